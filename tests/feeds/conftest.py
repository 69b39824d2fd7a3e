"""Fixtures for the feed tests: a screening service, sample messages filled in per test."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.screening.hl7.mllp import MllpServer
from services.screening.settings import ScreeningSettings
from tests.support.live import free_port

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_counter = itertools.count(1)


def fill(text: str, **values: str) -> str:
    """A sample with its {PLACEHOLDERS} replaced."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def hl7_sample(name: str, **values: str) -> str:
    """An HL7 fixture (segments end in CR) with placeholders filled."""
    with (FIXTURES / "hl7" / name).open(encoding="utf-8", newline="") as sample:
        return fill(sample.read(), **values)


def fhir_sample(name: str, **values: str) -> Any:
    """A FHIR fixture as a JSON document with placeholders filled."""
    return json.loads(fill((FIXTURES / "fhir" / name).read_text(encoding="utf-8"), **values))


def unique(prefix: str) -> str:
    """A fresh id for this test run."""
    return f"{prefix}{next(_counter):05d}"


def naat_oru(
    mrn: str,
    *,
    control: str | None = None,
    accession: str | None = None,
    result: str = "260415000^Not detected^SCT",
    status: str = "F",
) -> str:
    """The ELR 2.5.1 NAAT sample for one patient."""
    return hl7_sample(
        "elr_oru_r01_naat.hl7",
        MRN=mrn,
        CONTROL=control or unique("CTL"),
        ACCESSION=accession or unique("ACC"),
        RESULT=result,
        STATUS=status,
    )


def ack_segments(body: str) -> list[list[str]]:
    """An ACK (or batch of ACKs) split into segments and fields."""
    return [seg.split("|") for seg in body.split("\r") if seg]


def msa(body: str) -> list[list[str]]:
    """The MSA segments of an answer."""
    return [s for s in ack_segments(body) if s[0] == "MSA"]


class Feeds:
    """A started screening service and what the feed tests keep needing."""

    def __init__(self, client: Any, idp: Any) -> None:
        self.client = client
        self.integration = idp.headers("integration")
        self.nurse = idp.headers("nurse")
        self.idp = idp

    def person(self, ext: str, category: str = "inpatient") -> None:
        body = {"name": f"Patient {ext}", "category": category, "department": "resp"}
        r = self.client.put(f"/persons/{ext}", json=body, headers=self.nurse)
        assert r.status_code in (200, 201), r.text

    def hl7(self, text: str | bytes, content_type: str = "application/hl7-v2") -> Any:
        data = text.encode("utf-8") if isinstance(text, str) else text
        headers = {**self.integration, "Content-Type": content_type}
        r = self.client.post("/hl7/v2", content=data, headers=headers)
        assert r.status_code == 200, r.text
        return r

    def fhir(self, path: str, document: Any, expect: int | None = None) -> Any:
        data = document if isinstance(document, bytes) else json.dumps(document).encode()
        headers = {**self.integration, "Content-Type": "application/fhir+json"}
        r = self.client.post(path, content=data, headers=headers)
        assert r.status_code < 500, r.text
        if expect is not None:
            assert r.status_code == expect, r.text
        return r

    def results(self, ext: str, history: bool = False) -> list[dict[str, Any]]:
        r = self.client.get(
            f"/persons/{ext}/results",
            params={"include_history": history},
            headers=self.nurse,
        )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def inbox(self, **params: Any) -> list[dict[str, Any]]:
        r = self.client.get("/inbox", params=params, headers=self.nurse)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def audit(self, **params: Any) -> list[dict[str, Any]]:
        r = self.client.get(
            "/audit", params={"limit": 500, **params}, headers=self.idp.headers("auditor")
        )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])


@pytest.fixture
def feeds(make_client: Any, idp: Any) -> Feeds:
    """A screening service on a clean database."""
    return Feeds(make_client("screening"), idp)


class InProcessListener:
    """`MllpServer` on a free port in a thread of this process, so a test can read its state."""

    def __init__(self, settings: ScreeningSettings) -> None:
        self.server = MllpServer(settings)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._serving: asyncio.Task[None] | None = None
        self.done = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        self.wait_until(self._accepting, "the listener did not start")

    async def _serve(self) -> None:
        self._serving = asyncio.current_task()
        with contextlib.suppress(asyncio.CancelledError):
            await self.server.serve("127.0.0.1", self.port)

    def _accepting(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=20)

    def wait_until(self, condition: Callable[[], bool], failure: str) -> None:
        """Poll a condition (a bound on waiting, not a timing assertion)."""
        deadline = time.monotonic() + 20
        while not condition():
            assert time.monotonic() < deadline, failure
            time.sleep(0.02)

    def stop(self) -> None:
        """Cancel the server as SIGTERM does and wait until it has closed every connection."""
        assert self._serving is not None
        self.loop.call_soon_threadsafe(self._serving.cancel)
        self.done.result(timeout=20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def listener(feeds, database_url, service_env) -> Iterator[Callable[..., InProcessListener]]:
    """`listener(**settings)`: an in-process MLLP listener on the `feeds` service's database."""
    started: list[InProcessListener] = []

    def start(**overrides: Any) -> InProcessListener:
        values: dict[str, Any] = {k.lower(): v for k, v in service_env.items()}
        values["database_url"] = database_url("screening")
        values.update(overrides)
        started.append(InProcessListener(ScreeningSettings(**values)))
        return started[-1]

    yield start
    for one in started:
        one.stop()
