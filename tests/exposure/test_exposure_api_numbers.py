"""The exposure window takes ISO 8601 timestamps only: a number is not a time."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("value", ["0", "0.5", "1700000000", "true"])
def test_numbers_are_not_timestamps(make_client, idp, value):
    client = make_client("screening")
    headers = idp.headers("integration")
    person = {"name": "Index", "category": "outpatient", "department": "resp"}
    assert client.put("/persons/IDX-1", json=person, headers=headers).status_code == 201
    r = client.get(
        f"/persons/IDX-1/exposures?from={value}", headers=idp.headers("infection_control")
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "query.from"
