"""Placing a posted result among its stored versions (pure rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.screening.domain.versions import StoredVersion, content_hash, place_result


def sv(version, status="final", digest="h1", person="P1", test="nucleic_acid"):
    return StoredVersion(version, status, digest, person, test)


CASES = [
    # label, history, incoming status, digest, person, test, (kind, version, replaces, code)
    ("first post", [], "final", "h1", "P1", "nucleic_acid", ("new", 1, None, "")),
    (
        "first corrected is accepted",
        [],
        "corrected",
        "h1",
        "P1",
        "nucleic_acid",
        ("new", 1, None, ""),
    ),
    (
        "void of nothing",
        [],
        "entered_in_error",
        "h1",
        "P1",
        "nucleic_acid",
        ("rejected", 0, None, "unknown_result"),
    ),
    ("identical retry", [sv(1)], "final", "h1", "P1", "nucleic_acid", ("duplicate", 1, None, "")),
    (
        "retry of an older version",
        [sv(1), sv(2, "corrected", "h2")],
        "final",
        "h1",
        "P1",
        "nucleic_acid",
        ("duplicate", 1, None, ""),
    ),
    (
        "different final content",
        [sv(1)],
        "final",
        "h2",
        "P1",
        "nucleic_acid",
        ("rejected", 0, None, "result_conflict"),
    ),
    ("correction", [sv(1)], "corrected", "h2", "P1", "nucleic_acid", ("new", 2, 1, "")),
    (
        "second correction",
        [sv(1), sv(2, "corrected", "h2")],
        "corrected",
        "h3",
        "P1",
        "nucleic_acid",
        ("new", 3, 2, ""),
    ),
    ("void", [sv(1)], "entered_in_error", "h2", "P1", "nucleic_acid", ("new", 2, 1, "")),
    (
        "nothing after a void",
        [sv(1), sv(2, "entered_in_error", "h2")],
        "corrected",
        "h3",
        "P1",
        "nucleic_acid",
        ("rejected", 0, None, "result_conflict"),
    ),
    (
        "final after preliminary",
        [sv(1, "preliminary")],
        "final",
        "h2",
        "P1",
        "nucleic_acid",
        ("new", 2, 1, ""),
    ),
    (
        "preliminary after preliminary",
        [sv(1, "preliminary")],
        "preliminary",
        "h2",
        "P1",
        "nucleic_acid",
        ("new", 2, 1, ""),
    ),
    (
        "preliminary after final",
        [sv(1)],
        "preliminary",
        "h2",
        "P1",
        "nucleic_acid",
        ("rejected", 0, None, "result_conflict"),
    ),
    (
        "correction to another person",
        [sv(1)],
        "corrected",
        "h2",
        "P2",
        "nucleic_acid",
        ("rejected", 0, None, "result_conflict"),
    ),
    (
        "correction to another test",
        [sv(1)],
        "corrected",
        "h2",
        "P1",
        "chest_ct",
        ("rejected", 0, None, "result_conflict"),
    ),
]


@pytest.mark.parametrize(
    ("history", "status", "digest", "person", "test", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_place_result(history, status, digest, person, test, expected):
    got = place_result(
        history, status=status, digest=digest, person_external_id=person, test_type=test
    )
    assert (got.kind, got.version, got.replaces, got.code) == expected


def test_content_hash_compares_instants_not_offsets():
    at = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    shanghai = at.astimezone(timezone(timedelta(hours=8)))
    assert content_hash({"at": at}) == content_hash({"at": shanghai})
    assert content_hash({"at": at}) != content_hash({"at": at + timedelta(seconds=1)})


def test_content_hash_canonical_form_is_stable():
    # Stored versions keep their hash: a retry of a result recorded by an older release must
    # still be recognised as a retry. The digest below was made by the first implementation.
    content = {
        "external_id": "LAB-1",
        "specimen_collected_at": datetime(2026, 11, 3, 8, 0, tzinfo=timezone(timedelta(hours=8))),
        "resulted_at": None,
        "values": {"wbc": {"value": 6.1, "unit": "10^9/L"}},
        "note": "复查",
    }
    expected = "450b54b33243b68d07bd4594aadf507e6cb8e5af037dd32ca2436d496773877e"
    assert content_hash(content) == expected
    assert content_hash(dict(reversed(list(content.items())))) == expected
