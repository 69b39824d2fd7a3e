"""`wardgate demo` against the three services as real processes: what a newcomer then sees.

The demo runs as the CLI runs it (development-key tokens, *_URL from the environment); the
services trust both the test IdP and the development key of their data dir.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared import cli
from shared.auth.keys import dev_private_key, public_jwk
from shared.demo import cast
from shared.demo.plan import build_day, slot_open_now
from shared.vocabulary import ResultStatus, TestType
from tests.support.keys import AUDIENCE, ISSUER, TestIdp
from tests.support.live import LiveService, free_port, live_service

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")
NAMES = ("appointments", "screening", "discharge")


def _trust_dev_key(idp: TestIdp, data_dir: Path, directory: Path) -> Path:
    """A JWKS with the test IdP's key and the development key `wardgate demo` signs with."""
    keys = json.loads(idp.jwks_file.read_text())["keys"]
    keys.append(public_jwk(dev_private_key(data_dir).public_key()))
    path = directory / "jwks-with-dev-key.json"
    path.write_text(json.dumps({"keys": keys}))
    return path


@pytest.fixture
def hospital(
    database_url: Callable[[str], str],
    service_env: dict[str, str],
    idp: TestIdp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, str]]:
    """The three services on free ports, each told where the others listen; their URLs."""
    data_dir = Path(service_env["WARDGATE_DATA_DIR"])
    ports = {name: free_port() for name in NAMES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **service_env,
        "AUTH_JWKS_FILE": str(_trust_dev_key(idp, data_dir, tmp_path)),
        **{f"{name.upper()}_URL": url for name, url in urls.items()},
    }
    for name, url in urls.items():
        monkeypatch.setenv(f"{name.upper()}_URL", url)
    started: list[LiveService] = []
    try:
        for name in ("screening", "appointments", "discharge"):
            svc = live_service(name, database_url(name), env, tmp_path, port=ports[name])
            started.append(svc.start())
        yield urls
    finally:
        for svc in started:
            svc.stop()


def _run_demo(
    service_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """`wardgate demo` as typed (its settings from the environment, like the services')."""
    monkeypatch.setenv("WARDGATE_DATA_DIR", service_env["WARDGATE_DATA_DIR"])
    monkeypatch.setenv("AUTH_ISSUER", ISSUER)
    monkeypatch.setenv("AUTH_AUDIENCE", AUDIENCE)
    assert cli.main(["demo"]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def _get(url: str, idp: TestIdp, role: str, **params: object) -> dict:
    answer = httpx.get(url, params=params, headers=idp.headers(role), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _persons(hospital: dict[str, str], idp: TestIdp) -> list[dict]:
    return _get(f"{hospital['screening']}/persons", idp, "auditor", limit=500)["items"]


def test_demo_fills_the_hospital_and_runs_again_without_duplicates(
    hospital: dict[str, str], idp: TestIdp, service_env: dict[str, str], capsys, monkeypatch
) -> None:
    printed = _run_demo(service_env, capsys, monkeypatch)
    assert "/ui/persons/P003" in printed
    screening, appointments = hospital["screening"], hospital["appointments"]
    discharge = hospital["discharge"]

    people = _persons(hospital, idp)
    assert len(people) == len(cast.PEOPLE)
    wards = {p["ward"] for p in people if p["category"] == "inpatient"}
    assert wards == {cast.RESPIRATORY_WARD, cast.CARDIOLOGY_WARD}

    # A correction is visible in the history; a positive shows as positive.
    results = f"{screening}/persons/P004/results"
    history = _get(results, idp, "doctor", test_type="antibody_igm", include_history="true")
    statuses = {(r["status"], r["result"]) for r in history["items"]}
    assert {("final", "positive"), ("corrected", "negative")} <= statuses
    status = _get(f"{screening}/persons/P003/screening-status", idp, "nurse")
    nucleic = next(i for i in status["items"] if i["test_type"] == "nucleic_acid")
    assert nucleic["state"] == "positive"

    # Check-ins of every outcome today, and bookings for tomorrow.
    check_ins = _get(f"{appointments}/check-ins", idp, "nurse", limit=500)["items"]
    outcomes = Counter(c["outcome"] for c in check_ins)
    assert set(outcomes) == {"admitted", "redirected_fever_clinic", "refused"}, outcomes
    visits = _get(f"{appointments}/virtual-visits", idp, "nurse", limit=500)["items"]
    assert {v["patient_external_id"] for v in visits} == {"P002", "P004", "P006", "P007"}

    # Discharges: one home, one blocked, one to the designated hospital.
    records = _get(f"{discharge}/discharges", idp, "auditor", limit=500)["items"]
    by_outcome = {(r["patient_external_id"], r["outcome"]) for r in records}
    assert by_outcome == {("P001", "discharged"), ("P002", "blocked"), ("P008", "exception")}

    # Infection control's exposure lists are not empty.
    ward_list = _get(f"{screening}/persons/P003/exposures", idp, "infection_control")
    why = {item["external_id"]: set(item["why"]) for item in ward_list["items"]}
    assert "caregiver" in why["C002"] and "same_ward" in why["P004"]
    clinic_list = _get(f"{screening}/persons/O003/exposures", idp, "infection_control")
    assert "O002" in {item["external_id"] for item in clinic_list["items"]}

    # Again: nobody new, nothing stored twice, no second check-in or discharge.
    again = _run_demo(service_env, capsys, monkeypatch)
    told = {line.split()[0]: line for line in again.splitlines() if line.startswith("  ")}
    assert "created" not in told["persons"] and "new" not in told["results"], again
    assert len(_persons(hospital, idp)) == len(cast.PEOPLE)
    assert len(_get(f"{appointments}/check-ins", idp, "nurse", limit=500)["items"]) == len(
        check_ins
    )
    assert len(_get(f"{discharge}/discharges", idp, "auditor", limit=500)["items"]) == 3
    appointments_now = _get(f"{appointments}/appointments", idp, "nurse", limit=500)["items"]
    assert len(appointments_now) == len({a["patient_external_id"] for a in appointments_now})


@pytest.mark.parametrize(
    ("local", "department", "slot"),
    [
        ("2026-12-07T10:07", cast.RESPIRATORY, "2026-12-07T10:00"),
        ("2026-12-07T07:46", cast.RESPIRATORY, "2026-12-07T08:00"),
        ("2026-12-07T03:20", cast.EMERGENCY, "2026-12-07T03:15"),
        ("2026-12-07T23:50", cast.EMERGENCY, "2026-12-08T00:00"),
    ],
)
def test_check_ins_go_to_a_slot_open_now_at_any_hour(local, department, slot) -> None:
    now = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
    day = build_day(now.astimezone(UTC), SHANGHAI)
    assert day.check_in_department == department
    arrivals = [b for b in day.bookings if b.readings]
    assert {b.slot_start for b in arrivals} == {
        datetime.fromisoformat(slot).replace(tzinfo=SHANGHAI)
    }
    assert all(datetime.fromisoformat(r["specimen_collected_at"]) < now for r in day.results)


def test_the_current_slot_is_offered_until_it_ends() -> None:
    emergency = next(d for d in cast.DEPARTMENTS if d.code == cast.EMERGENCY)
    now = datetime(2026, 12, 7, 23, 44, tzinfo=SHANGHAI)
    assert slot_open_now(emergency, now) == datetime(2026, 12, 7, 23, 30, tzinfo=SHANGHAI)


def test_without_running_services_it_says_what_to_start(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WARDGATE_DATA_DIR", str(tmp_path))
    for name in NAMES:
        monkeypatch.setenv(f"{name.upper()}_URL", f"http://127.0.0.1:{free_port()}")
    assert cli.main(["demo"]) == 1
    assert "make run" in capsys.readouterr().err


def test_the_day_has_every_test_type_positives_a_correction_a_void_and_a_pending_result() -> None:
    day = build_day(datetime(2026, 12, 7, 2, 0, tzinfo=UTC), SHANGHAI)
    kinds = {(r["test_type"], r["status"], r["result"]) for r in day.results}
    assert {t for t, _, _ in kinds} == {t.value for t in TestType}
    assert {s for _, s, _ in kinds} == {s.value for s in ResultStatus}
    assert (TestType.NUCLEIC_ACID.value, "final", "positive") in kinds
    ids = [r["external_id"] for r in day.results]
    corrected = next(r for r in day.results if r["status"] == "corrected")
    original = day.results[ids.index(corrected["external_id"])]  # sent before its correction
    assert (original["status"], original["result"]) == ("final", "positive")
    assert max(len(i) for i in ids) <= 64
