"""Calls between the services have a deadline for the whole answer, not only for each read.

A stand-in for the downstream service, on a real local port, trickles its answer one byte
every 0.2 s: every read beats the read timeout, the whole answer would take about a minute.
With a one-second deadline each caller fails closed (its 503 problem, or "not eligible" at
the discharge gate) and hangs up: the stand-in sees the connection end long before it has
sent its answer. Both where the trickle starts: in the status line and headers, and after
headers sent at once.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.reliability.races import count
from tests.reliability.test_fail_closed import _clean_results
from tests.screening.test_alerts import wait_until

DEADLINE_S = 1.0
DRIP_S = 0.2
PHASES = ["headers", "body"]


class Trickler:
    """An HTTP/1.1 stand-in that sends each answer one byte at a time."""

    def __init__(self, answer: Callable[[str], dict], phase: str) -> None:
        self.sent = 0
        self.full = 0
        self.head = 0
        self.phase = phase
        self.hung_up = threading.Event()
        self.released = threading.Event()
        trickler = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1].decode()
                trickler.reply(self.request, json.dumps(answer(path)).encode(), phase)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, sock: socket.socket, body: bytes, phase: str) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
        )
        self.full, self.head = len(head) + len(body), len(head)
        at_once, dripped = (b"", head + body) if phase == "headers" else (head, body)
        try:
            sock.sendall(at_once)
            self.sent = len(at_once)
            for i in range(len(dripped)):
                if self.released.wait(DRIP_S):
                    return
                sock.sendall(dripped[i : i + 1])
                self.sent += 1
        except OSError:  # the caller hung up
            self.hung_up.set()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trickler() -> Iterator[Callable[..., Trickler]]:
    started: list[Trickler] = []

    def start(answer: Callable[[str], dict], phase: str) -> Trickler:
        started.append(Trickler(answer, phase))
        return started[-1]

    yield start
    for t in started:
        t.stop()


def _ended_early(stand_in: Trickler) -> None:
    """The caller closed the connection before the stand-in could send what it trickled: the
    whole answer, or, trickled from the first byte, even just the status line and headers."""
    wait_until(stand_in.hung_up.is_set, timeout_s=30)
    assert stand_in.sent < (stand_in.head if stand_in.phase == "headers" else stand_in.full)


def _person(path: str) -> dict:
    pid = path.split("?")[0].split("/")[2]
    if path.split("?")[0].endswith("/results"):
        return _clean_results(pid)
    person = {
        "external_id": pid,
        "category": "inpatient",
        "department": "RESP",
        "ward": "W5",
        "admitted_at": "2026-11-01T08:00:00+08:00",
    }
    if "include=results" in path:  # the discharge gate's one call: the person and results
        person["results"] = _clean_results(pid)
    return person


@pytest.mark.parametrize("phase", PHASES)
def test_appointments_gives_up_on_a_trickling_screening_service(
    make_client, idp, trickler, database_url, phase
):
    screening = trickler(_person, phase)
    desk = make_client("appointments", screening_url=screening.url, screening_timeout_s=DEADLINE_S)
    tz = ZoneInfo("Asia/Shanghai")
    start = datetime.combine(datetime.now(tz).date() + timedelta(days=1), time(15), tzinfo=tz)
    body = {
        "patient_external_id": "IN-1",
        "visitor_name": "Wang Min",
        "visitor_phone": "+86 139 1234 5678",
        "start": start.isoformat(),
    }
    nurse = idp.headers("nurse")
    answer = desk.post("/virtual-visits", json=body, headers=nurse)
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "screening_unavailable"
    assert "nothing was booked" in answer.json()["detail"]
    _ended_early(screening)
    assert count(database_url("appointments"), "SELECT count(*) FROM virtual_visit") == 0


@pytest.mark.parametrize("phase", PHASES)
def test_screening_gives_up_on_a_trickling_appointments_service(make_client, idp, trickler, phase):
    appointments = trickler(lambda _path: {"items": [], "next_cursor": None}, phase)
    screening = make_client(
        "screening", appointments_url=appointments.url, appointments_timeout_s=DEADLINE_S
    )
    nurse = idp.headers("nurse")
    person = {"name": "A", "category": "outpatient", "department": "RESP"}
    assert screening.put("/persons/A", json=person, headers=nurse).status_code == 201
    answer = screening.get("/persons/A/exposures", headers=idp.headers("infection_control"))
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "appointments_unavailable"
    _ended_early(appointments)


@pytest.mark.parametrize("phase", PHASES)
def test_the_discharge_gate_gives_up_on_a_trickling_screening_service(
    make_client, idp, trickler, phase
):
    screening = trickler(_person, phase)
    discharge = make_client(
        "discharge", screening_url=screening.url, screening_timeout_s=DEADLINE_S
    )
    check = discharge.post(
        "/discharge-checks", json={"patient_external_id": "D-1"}, headers=idp.headers("nurse")
    )
    assert check.status_code == 200, check.text
    assert check.json()["eligible"] is False
    assert [r["code"] for r in check.json()["reasons"]] == ["screening_unavailable"]
    _ended_early(screening)
