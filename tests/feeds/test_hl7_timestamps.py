"""HL7 timestamps out of range or malformed: an AE ACK naming the field, never a 500."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from services.screening.feeds.findings import FeedError
from services.screening.feeds.hl7.time import parse_timestamp
from tests.feeds.conftest import ack_segments, msa, naat_oru

SHANGHAI = ZoneInfo("Asia/Shanghai")


def set_field(message: str, segment: str, number: int, value: str) -> str:
    """The message with field `number` of the first `segment` replaced (MSH counted as HL7 does)."""
    lines = message.split("\r")
    for index, line in enumerate(lines):
        if line.startswith(segment + "|"):
            parts = line.split("|")
            position = number - 1 if segment == "MSH" else number
            parts.extend([""] * (position + 1 - len(parts)))
            parts[position] = value
            lines[index] = "|".join(parts)
            return "\r".join(lines)
    raise AssertionError(f"no {segment} in the message")


def _err(body: str) -> list[str]:
    return next(s for s in ack_segments(body) if s[0] == "ERR")


FIELDS = [
    ("SPM", 17, "SPM^1^17", "SPM-17"),
    ("OBR", 7, "OBR^1^7", "OBR-7"),
    ("OBR", 22, "OBR^1^22", "OBR-22"),
    ("OBX", 14, "OBX^1^14", "OBX[1]-14"),
    ("OBX", 19, "OBX^1^19", "OBX[1]-19"),
    ("MSH", 7, "MSH^1^7", "MSH-7"),
]
BAD_OFFSETS = ["+9999", "-2400", "+2400", "+1401", "-1201", "+1460", "-0099", "+0800x"]


@pytest.mark.parametrize(("segment", "number", "location", "name"), FIELDS)
@pytest.mark.parametrize("offset", BAD_OFFSETS)
def test_offset_out_of_range_is_an_ae_naming_the_field(
    feeds, segment, number, location, name, offset
):
    feeds.person("T1")
    message = naat_oru("T1", control=f"OFF{offset}{segment}{number}")
    message = set_field(message, segment, number, f"20240110080000{offset}")
    answer = feeds.hl7(message)  # 200, or the helper fails on the 500
    [ack] = msa(answer.text)
    assert ack[1:3] == ["AE", f"OFF{offset}{segment}{number}"], answer.text
    err = _err(answer.text)
    assert err[2] == location and err[3].startswith("102^"), answer.text
    assert name in err[8]
    assert feeds.results("T1") == []


@pytest.mark.parametrize(
    "value",
    [
        "20241310080000+0800",  # month 13
        "20240110250000+0800",  # hour 25
        "20240110086000+0800",  # minute 60
        "00000110080000+0800",  # year 0000
        "202401100800001+0800",  # one digit too many
        "20240110080000.12345+0800",  # five fraction digits
        "2024011008000+0800",  # an odd digit count
        "20240110080000+08",  # a short offset
        "20240110080000Z",
        "\uff12\uff10\uff12\uff14\uff10\uff11\uff11\uff10",  # full-width digits: int() reads them
        "00010101000000+1400",  # before year 1 in UTC
        "99991231235959-1200",  # after year 9999 in UTC
    ],
)
def test_malformed_specimen_time_is_an_ae_naming_spm17(feeds, value):
    feeds.person("T2")
    message = set_field(naat_oru("T2"), "SPM", 17, value)
    answer = feeds.hl7(message)
    assert msa(answer.text)[0][1] == "AE", answer.text
    err = _err(answer.text)
    assert err[2] == "SPM^1^17" and err[3].startswith("102^"), answer.text
    assert feeds.results("T2") == []


@pytest.mark.parametrize(
    ("offset", "utc"), [("+1400", "2024-01-09T18:00:00Z"), ("-1200", "2024-01-10T20:00:00Z")]
)
def test_offsets_at_the_edges_are_taken(feeds, offset, utc):
    feeds.person("T3")
    message = naat_oru("T3")
    for segment, number in (("SPM", 17), ("OBX", 14), ("OBR", 7), ("MSH", 7)):
        message = set_field(message, segment, number, f"20240110080000{offset}")
    message = set_field(message, "OBX", 19, "")
    message = set_field(message, "OBR", 22, "")
    assert msa(feeds.hl7(message).text)[0][1] == "AA"
    [stored] = feeds.results("T3")
    assert stored["specimen_collected_at"] == utc


def test_a_bad_msh7_in_a_batch_fails_only_its_message(feeds):
    feeds.person("T4")
    good = naat_oru("T4", control="GOOD-T4").strip()
    bad = set_field(naat_oru("T4", control="BAD-T4"), "MSH", 7, "20240110+9999").strip()
    answer = feeds.hl7("\r".join(["BHS|^~\\&|LIS|LAB", good, bad, "BTS|2"]))
    assert [m[1:3] for m in msa(answer.text)] == [["AA", "GOOD-T4"], ["AE", "BAD-T4"]]
    assert len(feeds.results("T4")) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("20240110080000+9999", "offset"),
        ("20240110080000-2400", "offset"),
        ("20240110080000+1401", "offset"),
        ("00010101000000+1400", "range"),
        ("20240110", None),
        ("20240110080000+1400", None),
    ],
)
def test_the_one_parser_raises_feed_errors_only(value, message):
    if message is None:
        assert parse_timestamp(value, SHANGHAI, "OBR-7") is not None
        return
    with pytest.raises(FeedError) as raised:
        parse_timestamp(value, SHANGHAI, "OBR-7")
    assert raised.value.where == "OBR-7" and raised.value.code == "102"
    assert message in raised.value.detail
