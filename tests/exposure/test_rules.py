"""The exposure rules as tables: the window, visit contacts, links and merging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.screening.domain.alerts import (
    delivery_id,
    follow_up_alert,
    needs_follow_up,
    wants_exposures,
)
from services.screening.domain.exposure import (
    CAREGIVER,
    ESCORTED_PATIENT,
    SAME_DEPARTMENT_VISIT,
    SAME_WARD,
    Contact,
    ExposureWindow,
    LinkedPerson,
    Visit,
    department_spans,
    exposure_status,
    exposure_window,
    link_contacts,
    merge_contacts,
    visit_contacts,
)
from shared.counting import ResultVersion

NOW = datetime(2030, 3, 31, 12, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
TWO_HOURS = 2 * H


def na(ext, days_ago, result="positive", status="final", version=1, test_type="nucleic_acid"):
    return ResultVersion(ext, version, test_type, result, status, NOW - days_ago * D)


@pytest.mark.parametrize(
    ("results", "onset_days_ago"),
    [
        ([], None),
        ([na("R1", 5)], 5),
        ([na("R1", 5), na("R2", 10)], 10),  # the first positive opens it
        ([na("R1", 31)], None),  # older than 30 days
        ([na("R1", 30)], 30),  # exactly 30 days: still in
        ([na("R1", 5, status="preliminary")], None),
        ([na("R1", 5, status="corrected")], 5),
        ([na("R1", 5, result="negative")], None),
        ([na("R1", 5, test_type="antibody_igm")], None),
        # a later version decides: corrected to negative, or entered in error
        ([na("R1", 5), na("R1", 5, result="negative", status="corrected", version=2)], None),
        ([na("R1", 5), na("R1", 5, status="entered_in_error", version=2)], None),
        ([na("R1", 5, result="negative"), na("R1", 5, status="corrected", version=2)], 5),
    ],
    ids=[
        "no results",
        "one positive",
        "earliest positive",
        "31 days ago",
        "30 days ago",
        "preliminary",
        "corrected positive",
        "negative",
        "antibody",
        "corrected to negative",
        "entered in error",
        "corrected to positive",
    ],
)
def test_default_window(results, onset_days_ago):
    window = exposure_window(results, NOW)
    onset = None if onset_days_ago is None else NOW - onset_days_ago * D
    assert window.first_positive_at == onset
    assert window.start == (onset or NOW) - 14 * D
    assert window.end == NOW


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (NOW - 3 * D, None, (NOW - 3 * D, NOW)),
        (None, NOW - D, (NOW - 19 * D, NOW - D)),
        (NOW - 3 * D, NOW - D, (NOW - 3 * D, NOW - D)),
    ],
)
def test_explicit_bounds_override(start, end, expected):
    window = exposure_window([na("R1", 5)], NOW, start=start, end=end)
    assert (window.start, window.end) == expected
    assert window.first_positive_at == NOW - 5 * D


T0 = datetime(2030, 3, 20, 10, tzinfo=UTC)


def v(person, minutes, department="RESP"):
    return Visit(person, f"name {person}", department, T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("own", "other", "contact_at"),
    [
        ([0], 0, 0),
        ([0], 60, 60),
        ([0], -60, 0),
        ([0], 120, 120),  # inclusive
        ([0], -120, 0),
        ([0], 121, None),
        ([0], -121, None),
        ([0, 300], 200, 300),  # near the second own visit only
        ([0, 100], 50, 50),  # near both: the earliest contact
        ([0, 100], -50, 0),
    ],
)
def test_visit_contacts(own, other, contact_at):
    contacts = visit_contacts([v("A", m) for m in own], [v("B", other)], "A", TWO_HOURS)
    if contact_at is None:
        assert contacts == []
    else:
        assert contacts == [
            Contact("B", SAME_DEPARTMENT_VISIT, T0 + timedelta(minutes=contact_at), "name B")
        ]


def test_visit_contacts_need_the_same_department_and_never_the_index_person():
    own = [v("A", 0, "RESP")]
    others = [v("B", 10, "ICU"), v("A", 5, "RESP"), v("C", 10, "RESP")]
    assert [c.external_id for c in visit_contacts(own, others, "A", TWO_HOURS)] == ["C"]


@pytest.mark.parametrize(
    ("own", "spans"),
    [
        ([], []),
        ([v("A", 0)], [("RESP", -120, 120)]),
        ([v("A", 0), v("A", 200)], [("RESP", -120, 320)]),  # overlapping spans merge
        ([v("A", 0), v("A", 240)], [("RESP", -120, 360)]),  # touching spans merge
        ([v("A", 0), v("A", 300)], [("RESP", -120, 120), ("RESP", 180, 420)]),
        ([v("A", 0, "RESP"), v("A", 0, "ICU")], [("ICU", -120, 120), ("RESP", -120, 120)]),
    ],
)
def test_department_spans(own, spans):
    got = department_spans(own, TWO_HOURS)
    assert got == [
        (d, T0 + timedelta(minutes=lo), T0 + timedelta(minutes=hi)) for d, lo, hi in spans
    ]


WINDOW = ExposureWindow(NOW - 14 * D, NOW, None)


@pytest.mark.parametrize(
    ("link", "index_admitted", "mate_admitted", "when"),
    [
        (SAME_WARD, None, None, WINDOW.start),
        (SAME_WARD, NOW - 20 * D, NOW - 30 * D, WINDOW.start),
        (SAME_WARD, NOW - 3 * D, NOW - 30 * D, NOW - 3 * D),
        (SAME_WARD, NOW - 30 * D, NOW - 2 * D, NOW - 2 * D),
        (SAME_WARD, None, NOW + D, None),  # admitted after the window: no contact
        (CAREGIVER, NOW - 3 * D, None, NOW - 3 * D),
        (ESCORTED_PATIENT, None, NOW - 3 * D, NOW - 3 * D),
    ],
)
def test_link_contacts(link, index_admitted, mate_admitted, when):
    contacts = link_contacts([LinkedPerson("X", link, mate_admitted)], WINDOW, index_admitted)
    assert contacts == ([] if when is None else [Contact("X", link, when)])


def test_merge_keeps_every_reason_the_earliest_time_and_never_the_index_person():
    contacts = [
        Contact("B", SAME_WARD, T0 + 3 * H),
        Contact("B", SAME_DEPARTMENT_VISIT, T0 + H, "visitor B"),
        Contact("B", SAME_DEPARTMENT_VISIT, T0 + 2 * H, "visitor B"),
        Contact("A", SAME_WARD, T0),
        Contact("C", CAREGIVER, T0 + 2 * H),
    ]
    merged = merge_contacts(contacts, "A")
    assert [(e.external_id, e.why, e.when, e.name) for e in merged] == [
        ("B", (SAME_DEPARTMENT_VISIT, SAME_WARD), T0 + H, "visitor B"),
        ("C", (CAREGIVER,), T0 + 2 * H, None),
    ]


@pytest.mark.parametrize(
    ("registered", "lacking", "status"),
    [
        (False, [], "unregistered"),
        (True, [], "compliant"),
        (True, [{"test_type": "chest_ct", "state": "missing"}], "noncompliant"),
    ],
)
def test_exposure_status(registered, lacking, status):
    assert exposure_status(registered, lacking) == status


def alert(test_type="nucleic_acid", result="positive", status="final", **extra):
    doc = {"alert_id": "result-7", "exposures": None, "person": {"external_id": "P1"}}
    doc["result"] = {"test_type": test_type, "result": result, "status": status}
    return {**doc, **extra}


@pytest.mark.parametrize(
    ("doc", "wanted"),
    [
        (alert(), True),
        (alert(status="corrected"), True),
        (alert(status="preliminary"), False),
        (alert(test_type="antibody_igm"), False),
        (alert(exposures=[]), False),  # already traced
    ],
)
def test_which_alerts_carry_exposures(doc, wanted):
    assert wants_exposures(doc) is wanted


@pytest.mark.parametrize(
    ("complete", "reason", "follow"),
    [
        (True, None, False),
        (False, "appointments_unavailable: unreachable", True),
        (False, "no service credential", False),  # nothing later would complete it
    ],
)
def test_which_alerts_get_a_follow_up(complete, reason, follow):
    doc = alert(exposures=[], exposures_complete=complete, exposures_incomplete_reason=reason)
    assert needs_follow_up(doc) is follow


def test_a_follow_up_is_traced_again_under_its_own_id():
    first = alert(exposures=[], exposures_complete=False, exposures_incomplete_reason="x")
    follow = follow_up_alert(first, NOW)
    assert follow["alert_id"] == "result-7-exposures" and follow["follow_up_of"] == "result-7"
    assert wants_exposures(follow) and "exposures_complete" not in follow
    assert (delivery_id(7, first), delivery_id(7, follow)) == ("7", "7-exposures")
