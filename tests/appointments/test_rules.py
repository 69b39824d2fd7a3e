"""The pure rules: slot grid, bookable times, entry screening, visiting windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.appointments.domain.booking_code import ALPHABET, new_booking_code
from services.appointments.domain.entry_screening import (
    CheckInOutcome,
    EntryReadings,
    HealthCode,
    screen_at_entry,
)
from services.appointments.domain.schedule import (
    BookingRefused,
    Schedule,
    Slot,
    check_bookable,
    day_slots,
    slot_starting_at,
    within_arrival_window,
)
from services.appointments.domain.virtual_visit import (
    check_visit_time,
    join_url,
    new_room_name,
    visit_window,
)
from shared.masking import mask_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2030, 3, 4)


def schedule(minutes=15, opens=(8, 0), closes=(17, 0), ahead=7):
    return Schedule(minutes, 5, time(*opens), time(*closes), ahead)


@pytest.mark.parametrize(
    ("minutes", "opens", "closes", "count", "last_end"),
    [
        (15, (8, 0), (17, 0), 36, (17, 0)),
        (20, (8, 0), (9, 10), 3, (9, 0)),  # the last slot ends at or before closing
        (30, (8, 0), (8, 29), 0, None),
        (60, (23, 0), (23, 59), 0, None),
    ],
)
def test_day_slots(minutes, opens, closes, count, last_end):
    slots = day_slots(schedule(minutes, opens, closes), DAY, SHANGHAI)
    assert len(slots) == count
    if slots:
        assert slots[0].start == datetime.combine(DAY, time(*opens), tzinfo=SHANGHAI)
        assert slots[-1].end == datetime.combine(DAY, time(*last_end), tzinfo=SHANGHAI)


def test_day_slots_across_a_daylight_saving_change_keep_local_wall_times():
    new_york = ZoneInfo("America/New_York")
    slots = day_slots(schedule(60, (1, 0), (5, 0)), date(2030, 3, 10), new_york)
    assert [s.start.hour for s in slots] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("start", "ok"),
    [
        (datetime(2030, 3, 4, 8, 0, tzinfo=SHANGHAI), True),
        (datetime(2030, 3, 4, 0, 0, tzinfo=UTC), True),  # = 08:00 Shanghai
        (datetime(2030, 3, 4, 8, 0, 1, tzinfo=SHANGHAI), False),
        (datetime(2030, 3, 4, 16, 45, tzinfo=SHANGHAI), True),
        (datetime(2030, 3, 4, 17, 0, tzinfo=SHANGHAI), False),
        (datetime(2030, 3, 4, 7, 45, tzinfo=SHANGHAI), False),
    ],
)
def test_slot_starting_at(start, ok):
    if ok:
        assert slot_starting_at(schedule(), start, SHANGHAI).start == start
    else:
        with pytest.raises(BookingRefused) as caught:
            slot_starting_at(schedule(), start, SHANGHAI)
        assert caught.value.code == "not_a_slot_start"


NOW = datetime(2030, 3, 4, 9, 20, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (datetime(2030, 3, 4, 9, 15, tzinfo=SHANGHAI), None),  # the current slot
        (datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI), "slot_in_past"),
        (datetime(2030, 3, 11, 16, 45, tzinfo=SHANGHAI), None),  # last day of the horizon
        (datetime(2030, 3, 12, 8, 0, tzinfo=SHANGHAI), "beyond_booking_horizon"),
    ],
)
def test_check_bookable(start, code):
    slot = Slot(start, start + timedelta(minutes=15))
    if code is None:
        check_bookable(schedule(), slot, NOW, SHANGHAI)
    else:
        with pytest.raises(BookingRefused) as caught:
            check_bookable(schedule(), slot, NOW, SHANGHAI)
        assert caught.value.code == code


def test_arrival_window_is_fifteen_minutes_early_until_the_end():
    start = datetime(2030, 3, 4, 10, 0, tzinfo=SHANGHAI)
    slot, early = Slot(start, start + timedelta(minutes=15)), timedelta(minutes=15)
    tick = timedelta(microseconds=1)
    assert not within_arrival_window(slot, start - early - tick, early)
    assert within_arrival_window(slot, start - early, early)
    assert within_arrival_window(slot, slot.end - tick, early)
    assert not within_arrival_window(slot, slot.end, early)


def _readings(t=36.5, mask=True, code=HealthCode.GREEN, travel=False):
    return EntryReadings(t, mask, code, travel)


@pytest.mark.parametrize(
    ("readings", "outcome", "codes"),
    [
        (_readings(), CheckInOutcome.ADMITTED, []),
        (_readings(37.29), CheckInOutcome.ADMITTED, []),
        (_readings(37.3), CheckInOutcome.REDIRECTED_FEVER_CLINIC, ["fever"]),
        (
            _readings(code=HealthCode.YELLOW),
            CheckInOutcome.REDIRECTED_FEVER_CLINIC,
            ["health_code_yellow"],
        ),
        (
            _readings(code=HealthCode.RED),
            CheckInOutcome.REDIRECTED_FEVER_CLINIC,
            ["health_code_red"],
        ),
        (_readings(travel=True), CheckInOutcome.REDIRECTED_FEVER_CLINIC, ["risk_area_travel"]),
        (_readings(mask=False), CheckInOutcome.REFUSED, ["no_mask"]),
        (
            _readings(38.0, False, HealthCode.YELLOW, True),
            CheckInOutcome.REDIRECTED_FEVER_CLINIC,
            ["fever", "health_code_yellow", "risk_area_travel", "no_mask"],
        ),
    ],
)
def test_screen_at_entry(readings, outcome, codes):
    decision = screen_at_entry(readings, 37.3)
    assert decision.outcome is outcome
    assert [r.code for r in decision.reasons] == codes


@pytest.mark.parametrize(
    ("start", "window_start"),
    [
        (datetime(2030, 3, 4, 10, 0, tzinfo=SHANGHAI), (10, 0)),
        (datetime(2030, 3, 4, 10, 29, 59, tzinfo=SHANGHAI), (10, 0)),
        (datetime(2030, 3, 4, 10, 30, tzinfo=SHANGHAI), (10, 30)),
        (datetime(2030, 3, 4, 2, 45, tzinfo=UTC), (10, 30)),
    ],
)
def test_visit_window(start, window_start):
    window = visit_window(start, SHANGHAI)
    assert (window.start.hour, window.start.minute) == window_start
    assert window.end - window.start == timedelta(minutes=30)


def test_visit_window_in_a_half_hour_offset_zone_is_local():
    kathmandu = ZoneInfo("Asia/Kathmandu")  # +05:45
    window = visit_window(datetime(2030, 3, 4, 4, 20, tzinfo=UTC), kathmandu)  # 10:05 local
    assert window.start == datetime(2030, 3, 4, 10, 0, tzinfo=kathmandu)


def test_visit_time_refusals():
    now = datetime(2030, 3, 4, 10, 10, tzinfo=SHANGHAI)
    check_visit_time(visit_window(now, SHANGHAI), now)  # the current window is fine
    for when, code in [
        (now - timedelta(minutes=11), "visit_in_past"),
        (now + timedelta(days=31), "beyond_booking_horizon"),
    ]:
        with pytest.raises(BookingRefused) as caught:
            check_visit_time(visit_window(when, SHANGHAI), now)
        assert caught.value.code == code


def test_codes_rooms_urls_and_masks():
    codes = {new_booking_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("0O1I") & set(ALPHABET)
    rooms = {new_room_name() for _ in range(50)}
    assert len(rooms) == 50 and all(len(r) >= 20 for r in rooms)
    assert join_url("https://v.test/{room}?x={y}", "abc") == "https://v.test/abc?x={y}"
    assert mask_phone("+86 138-0013-8000") == "+86****8000"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None
