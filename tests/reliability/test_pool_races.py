"""Pools under concurrency (PostgreSQL, live services): two lab messages for the same pool at
once resolve it once, and a kill -9 while pools are being resolved leaves every pool with
no member results or all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.feeds.conftest import hl7_sample, unique
from tests.reliability import figures
from tests.reliability.races import count, statuses, together
from tests.reliability.test_crash_safety import Stream, _rows
from tests.screening.conftest import ago
from tests.support.live import LiveService, live_service

pytestmark = pytest.mark.e2e
MEMBERS = 10


@pytest.fixture(autouse=True)
def _on_postgresql(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("races are proven on PostgreSQL (TEST_DATABASE_URL, as in CI)")


@pytest.fixture
def screening_live(
    database_url: Any, service_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., LiveService]]:
    """`live("screening")`, with room to start on a busy machine (8 suites share 2 cores)."""
    started: list[LiveService] = []

    def start(**env: str) -> LiveService:
        svc = live_service("screening", database_url("screening"), {**service_env, **env}, tmp_path)
        started.append(svc.start(timeout_s=120))
        return svc

    yield start
    for svc in started:
        svc.stop()


def _fill_pools(url: str, headers: dict[str, str], pools: list[str], members: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for pool in pools:
            for n in range(members):
                person = f"{pool}-M{n}"
                body = {"name": "Wang Fang", "category": "staff", "department": "resp"}
                assert http.put(f"/persons/{person}", json=body, headers=headers).is_success
                specimen = {
                    "specimen_id": f"{pool}-S{n}",
                    "person_external_id": person,
                    "collected_at": ago(hours=3),
                    "pool_id": pool,
                }
                r = http.post("/specimens", json=specimen, headers=headers)
                assert r.status_code == 201, r.text


def test_two_results_for_one_pool_at_once_resolve_it_once(
    screening_live: Any, idp: Any, database_url: Any
) -> None:
    svc = screening_live()
    headers = idp.headers("integration", sub="lis")
    _fill_pools(svc.url, headers, ["RACE-1", "RACE-2"], MEMBERS)
    body = {"external_id": "RACE-1-R", "result": "positive", "status": "final"}
    answers = together(
        2, lambda c, _i: c.post(f"{svc.url}/pools/RACE-1/result", json=body, headers=headers)
    )
    figures.record("races/pool result twice at once")
    assert statuses(answers) == {200: 2}, [r.text for r in answers]
    assert answers[0].json() == answers[1].json()
    # The same by HL7 v2: two copies of one lab message (distinct control ids) at once.
    accession = unique("ACC")

    def message(i: int) -> bytes:
        text = hl7_sample(
            "elr_oru_r01_naat.hl7",
            MRN="LAB-DOES-NOT-KNOW",
            CONTROL=f"{accession}-{i}",
            ACCESSION=accession,
            RESULT="260415000^Not detected^SCT",
            STATUS="F",
        )
        return text.replace("SPM|1|SPEC-1&", "SPM|1|RACE-2&").encode()

    hl7_headers = {**headers, "Content-Type": "application/hl7-v2"}
    acks = together(
        2, lambda c, i: c.post(f"{svc.url}/hl7/v2", content=message(i), headers=hl7_headers)
    )
    assert statuses(acks) == {200: 2}
    assert all("MSA|AA" in a.text for a in acks), [a.text for a in acks]
    url = database_url("screening")
    for pool, result_id in (("RACE-1", "RACE-1-R"), ("RACE-2", f"{accession}-1")):
        assert count(url, "SELECT count(*) FROM pool_result WHERE pool_id = :p", p=pool) == 1
        members = count(
            url,
            "SELECT count(*) FROM screening_result WHERE pool_id = :p AND external_id LIKE :e",
            p=pool,
            e=f"{result_id}:%",
        )
        assert members == MEMBERS
        distinct = count(
            url,
            "SELECT count(DISTINCT person_external_id) FROM screening_result WHERE pool_id = :p",
            p=pool,
        )
        assert distinct == MEMBERS
    assert count(url, "SELECT count(*) FROM retest WHERE pool_id = 'RACE-1'") == MEMBERS
    assert count(url, "SELECT count(*) FROM retest WHERE pool_id = 'RACE-2'") == 0


def test_a_kill_while_resolving_pools_leaves_all_or_none_of_each(
    screening_live: Any, idp: Any, database_url: Any, backend: str
) -> None:
    size, pools = 50, [f"K{n:03d}" for n in range(12)]
    svc = screening_live(WARDGATE_POOL_MAX=str(size))
    headers = idp.headers("integration", sub="lis")
    _fill_pools(svc.url, headers, pools, size)

    def send(client: httpx.Client, pool: str) -> httpx.Response:
        body = {"external_id": f"{pool}-R", "result": "negative", "status": "final"}
        return client.post(f"{svc.url}/pools/{pool}/result", json=body, headers=headers)

    items: Iterator[str] = iter(pools)
    stream = Stream(send, items)
    stream.run_until_killed(svc, after=3)
    figures.record(f"crashes survived/pools/{backend}")
    svc.start(timeout_s=120)  # the machine may be busy
    url = database_url("screening")
    per_pool = {
        r["pool_id"]: r["n"]
        for r in _rows(
            url,
            "SELECT pool_id, count(*) AS n FROM screening_result "
            "WHERE method = 'pooled' GROUP BY pool_id",
        )
    }
    resolved = {r["pool_id"] for r in _rows(url, "SELECT pool_id FROM pool_result")}
    acknowledged = {pool for pool, _answer in stream.acknowledged}
    figures.record(f"pools resolved before the kill/{backend}", len(resolved))
    assert acknowledged <= resolved
    assert set(per_pool) == resolved  # no member result without its pool's result
    assert all(n == size for n in per_pool.values()), per_pool  # all of them, never some
    states = {r["pool_id"]: r["state"] for r in _rows(url, "SELECT pool_id, state FROM pool")}
    assert {p for p, s in states.items() if s == "negative"} == resolved
    # The rest resolve after the restart, once each.
    with httpx.Client(timeout=30) as client:
        for pool in pools:
            assert send(client, pool).status_code == 200
    assert count(url, "SELECT count(*) FROM screening_result WHERE method = 'pooled'") == (
        size * len(pools)
    )
