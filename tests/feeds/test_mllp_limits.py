"""MLLP listener limits over a real socket: idle connections closed, oversized frames refused (AR)
with bounded buffering, and an ACK for every frame whatever goes wrong inside."""

from __future__ import annotations

import socket
from typing import Any

from services.screening.hl7 import mllp as mllp_module
from services.screening.hl7.mllp import MAX_FRAME
from services.screening.settings import ScreeningSettings
from tests.feeds.conftest import ack_segments, msa, naat_oru
from tests.feeds.test_mllp import END, START, exchange


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the listener closed the connection (EOF or reset), False on our own timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_connection_is_closed_and_its_buffer_freed(listener):
    mllp = listener(wardgate_mllp_idle_s=0.3)
    with mllp.connect() as sock:
        sock.sendall(START + b"MSH|^~\\&|half a frame" + b"x" * 100_000)
        mllp.wait_until(lambda: mllp.server.buffered() > 100_000, "nothing buffered")
        sock.settimeout(15)
        assert closed_by_peer(sock)
    mllp.wait_until(lambda: mllp.server.connections() == 0, "connection still open")
    assert mllp.server.buffered() == 0


def test_the_idle_time_is_a_setting_with_a_default_of_60_seconds(monkeypatch):
    monkeypatch.delenv("WARDGATE_MLLP_IDLE_S", raising=False)
    assert ScreeningSettings().wardgate_mllp_idle_s == 60
    monkeypatch.setenv("WARDGATE_MLLP_IDLE_S", "2.5")
    assert ScreeningSettings().wardgate_mllp_idle_s == 2.5


def test_abandoned_connections_do_not_keep_memory(listener):
    mllp = listener(wardgate_mllp_idle_s=0.5)
    sockets = [mllp.connect() for _ in range(30)]
    try:
        for sock in sockets:
            sock.sendall(START + b"MSH|^~\\&|" + b"y" * 1_000_000)  # never terminated
        mllp.wait_until(lambda: mllp.server.connections() == 0, "abandoned connections open")
        assert mllp.server.buffered() == 0
        assert all(closed_by_peer(sock) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def test_a_frame_over_10_mib_gets_an_ar_and_the_connection_goes_on(feeds, listener):
    feeds.person("BIG1")
    mllp = listener()
    header = naat_oru("BIG1", control="HUGE-1").split("\r", 1)[0] + "\r"
    filler = b"NTE|1||" + b"z" * (MAX_FRAME + 1) + b"\r"
    with mllp.connect() as sock:
        answer = exchange(sock, header.encode() + filler)
        after = exchange(sock, naat_oru("BIG1", control="AFTER-1").encode())
    [ack] = msa(answer)
    assert ack[1:3] == ["AR", "HUGE-1"], answer
    err = next(s for s in ack_segments(answer) if s[0] == "ERR")
    assert "10 MiB" in err[8]
    assert msa(after)[0][1:3] == ["AA", "AFTER-1"]
    # The listener never held more than one largest legal frame for the connection.
    assert mllp.server.high_water() <= MAX_FRAME + len(START) + len(END)
    assert len(feeds.results("BIG1")) == 1
    refused = [r for r in feeds.audit(actor="mllp") if r["outcome"] == "rejected"]
    assert [r["resource"] for r in refused] == ["hl7/HUGE-1"]


def test_exactly_10_mib_is_still_taken(feeds, listener):
    feeds.person("BIG2")
    mllp = listener()
    message = naat_oru("BIG2", control="EDGE-1").encode()
    padded = message + b"\r" * (MAX_FRAME - len(message))
    assert len(padded) == MAX_FRAME
    with mllp.connect() as sock:
        answer = exchange(sock, padded)
    assert msa(answer)[0][1:3] == ["AA", "EDGE-1"], answer


def test_a_failure_inside_the_listener_still_answers_an_ar(feeds, listener, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(mllp_module, "handle_frame", broken)
    mllp = listener()
    with mllp.connect() as sock:
        first = exchange(sock, naat_oru("ANY", control="BROKEN-1").encode())
        second = exchange(sock, b"not even HL7")
    assert msa(first)[0][1:3] == ["AR", "BROKEN-1"]
    assert next(s for s in ack_segments(first) if s[0] == "ERR")[3].startswith("207^")
    assert msa(second)[0][1] == "AR"
