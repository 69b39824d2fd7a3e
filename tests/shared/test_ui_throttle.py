"""Failed sign-ins are throttled per account and per address across the three services."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shared.auth import SESSION_COOKIE
from shared.auth.sessions import web_sessions
from tests.shared.test_ui_pages import (
    PASSWORDS,
    csrf_of,
    sign_in,
)
from tests.support.clock import Clock


def from_address(client: TestClient, address: str) -> TestClient:
    """Another browser, at `address`, on the same running service."""
    return TestClient(client.app, client=(address, 40000), raise_server_exceptions=False)


def sign_in_as_api(client: TestClient, username: str, password: str):
    """Post the sign-in form as a non-browser client: refusals are problem+json."""
    form = {
        "username": username,
        "password": password,
        "csrf_token": csrf_of(client.get("/ui/").text),
    }
    return client.post("/ui/login", data=form, follow_redirects=False)


def test_an_account_locked_on_one_service_is_locked_on_the_others(ui_client):
    screening, discharge = ui_client("screening"), ui_client("discharge")
    answers = [sign_in(screening, "nurse", f"wrong-{i}").status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    elsewhere = sign_in_as_api(discharge, "nurse", PASSWORDS["nurse"])
    assert elsewhere.status_code == 429
    assert elsewhere.json()["type"] == "urn:wardgate:problem:locked_out"
    assert SESSION_COOKIE not in discharge.cookies


def test_spraying_many_accounts_from_one_address_is_throttled(ui_client):
    client = ui_client("screening")
    answers = [sign_in(client, f"user-{i}", "Winter2026!").status_code for i in range(20)]
    assert answers[:19] == [401] * 19 and answers[19] == 429
    refused = sign_in_as_api(client, "doctor", PASSWORDS["doctor"])
    assert refused.status_code == 429
    assert refused.json()["type"] == "urn:wardgate:problem:address_throttled"
    assert int(refused.headers["retry-after"]) <= 900
    # Another service sees the same address's failures.
    assert sign_in(ui_client("appointments"), "doctor", PASSWORDS["doctor"]).status_code == 429
    # Other addresses are not held back by this one.
    assert (
        sign_in(from_address(client, "10.0.0.9"), "doctor", PASSWORDS["doctor"]).status_code == 303
    )


def test_an_attacker_cannot_lock_the_victim_out_from_her_own_address(ui_client):
    client = ui_client("screening")
    attacker = from_address(client, "203.0.113.7")
    assert [sign_in(attacker, "nurse", f"guess-{i}").status_code for i in range(5)][-1] == 429
    assert sign_in(attacker, "nurse", PASSWORDS["nurse"]).status_code == 429
    victim = from_address(client, "10.1.2.3")
    assert sign_in(victim, "nurse", PASSWORDS["nurse"]).status_code == 303


def test_a_lock_never_outlasts_15_minutes_however_long_the_attack(ui_client):
    client = ui_client("screening")
    clock = Clock()
    web_sessions(client.app).clock = clock
    victim = from_address(client, "10.1.2.3")
    assert sign_in(victim, "nurse", "a-typo-of-hers").status_code == 401
    # Attackers at many addresses keep failing on her account for half an hour.
    for minute in range(30):
        attacker = from_address(client, f"198.51.100.{minute}")
        for attempt in range(5):
            sign_in(attacker, "nurse", f"guess-{minute}-{attempt}")
        if minute == 4:
            held = sign_in(victim, "nurse", PASSWORDS["nurse"])
            assert held.status_code == 429  # the account is under attack and she failed
            assert int(held.headers["retry-after"]) <= 900
        clock.now += 60
    assert sign_in(victim, "nurse", PASSWORDS["nurse"]).status_code == 303
    # A fresh address of hers is never held by the attackers' failures at all.
    assert sign_in(from_address(client, "10.1.2.4"), "nurse", PASSWORDS["nurse"]).status_code == 303


def test_a_pair_lock_lifts_after_15_minutes(ui_client):
    client = ui_client("screening")
    clock = Clock()
    web_sessions(client.app).clock = clock
    for i in range(5):
        sign_in(client, "nurse", f"wrong-{i}")
    clock.now += 14.9 * 60
    assert sign_in(client, "nurse", PASSWORDS["nurse"]).status_code == 429
    clock.now += 0.2 * 60
    assert sign_in(client, "nurse", PASSWORDS["nurse"]).status_code == 303
