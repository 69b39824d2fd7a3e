"""The MLLP listener (`wardgate mllp`): frames over a real socket, stored and ACKed like HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.feeds.conftest import ack_segments, hl7_sample, msa, naat_oru
from tests.support.live import free_port

START, END = b"\x0b", b"\x1c\r"


class Listener:
    """A `wardgate mllp` process on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "mllp", "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the MLLP listener did not start: {log.read_text()}")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log.close()


def exchange(sock: socket.socket, payload: bytes) -> str:
    """Send one frame; read one framed answer."""
    sock.sendall(START + payload + END)
    answer = b""
    while not answer.endswith(END):
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the ACK"
        answer += chunk
    assert answer.startswith(START)
    return answer[1 : -len(END)].decode("utf-8")


@pytest.fixture
def mllp(feeds, database_url, service_env, tmp_path) -> Iterator[Listener]:
    """A listener on the same database as the `feeds` service."""
    env = {**service_env, "DATABASE_URL": database_url("screening")}
    listener = Listener(env, tmp_path / "mllp.log")
    yield listener
    listener.stop()


def test_frames_are_stored_and_acked_like_post_hl7(feeds, mllp):
    feeds.person("M1")
    with mllp.connect() as sock:
        first = exchange(sock, naat_oru("M1", control="MLLP-1", accession="MA").encode())
        second = exchange(sock, naat_oru("M1", control="MLLP-1", accession="MA").encode())
        positive = naat_oru("M1", control="MLLP-2", accession="MB", result="260373001^Detected^SCT")
        third = exchange(sock, positive.encode())
    assert msa(first)[0][1:4] == ["AA", "MLLP-1", "stored 1"]
    assert second == first  # a re-send replays the stored ACK
    assert msa(third)[0][1] == "AA"
    stored = {r["external_id"]: r["result"] for r in feeds.results("M1")}
    assert stored == {"MA-1": "negative", "MB-1": "positive"}
    rows = feeds.audit(actor="mllp")
    assert {r["action"] for r in rows} >= {"result.create", "hl7.message"}
    assert all(r["client"] == "127.0.0.1" for r in rows)


def test_batch_and_garbage_frames(feeds, mllp):
    feeds.person("M2")
    batch = hl7_sample(
        "batch_fhs_bhs.hl7", MRN1="M2", MRN2="M2", MRN3="M-UNKNOWN", CONTROL="MB", ACCESSION="MBA"
    )
    with mllp.connect() as sock:
        answer = exchange(sock, batch.encode())
        garbage = exchange(sock, b"\x00\x01 definitely not HL7")
        after = exchange(sock, naat_oru("M2", control="MLLP-9").encode())
    segments = ack_segments(answer)
    assert [s[1] for s in segments if s[0] == "MSA"] == ["AA", "AA", "AA"]
    assert segments[0][0] == "FHS" and segments[-1] == ["FTS", "1"]
    assert msa(garbage)[0][1] == "AR"
    assert msa(after)[0][1] == "AA"  # the connection survives a bad frame
    assert len(feeds.results("M2")) == 3
    assert feeds.inbox()[0]["person_identifiers"] == ["M-UNKNOWN"]


def test_several_connections_at_once(feeds, mllp):
    feeds.person("M3")
    sockets: list[Any] = [mllp.connect() for _ in range(4)]
    try:
        answers = [
            exchange(s, naat_oru("M3", control=f"PAR-{n}", accession=f"PAR{n}").encode())
            for n, s in enumerate(sockets)
        ]
    finally:
        for s in sockets:
            s.close()
    assert [msa(a)[0][1] for a in answers] == ["AA"] * 4
    assert len(feeds.results("M3")) == 4


def test_bad_timestamp_offset_gets_an_ae_and_the_connection_stays_open(feeds, mllp):
    feeds.person("M4")
    bad = naat_oru("M4", control="TZ-1").replace(
        "20240110080000+0800^20240110080000+0800", "20240110080000+9999"
    )
    with mllp.connect() as sock:
        first = exchange(sock, bad.encode())
        again = exchange(sock, bad.encode())  # the engine's re-send gets the same answer
        after = exchange(sock, naat_oru("M4", control="TZ-2").encode())
    for answer in (first, again):
        assert msa(answer)[0][1:3] == ["AE", "TZ-1"], answer
        err = next(s for s in ack_segments(answer) if s[0] == "ERR")
        assert err[2] == "SPM^1^17" and err[3].startswith("102^")
    assert msa(after)[0][1:3] == ["AA", "TZ-2"]
    assert len(feeds.results("M4")) == 1
