"""`wardgate run` as a supervisor runs it: stopping it stops the three services, no orphans.

The command runs as a real process with its own ports and data directory. The test waits
until all three services answer /health, then stops the parent the way a supervisor does
(SIGTERM), a terminal does (SIGINT), or loses a child under it (kill -9 of one service): the
parent ends and takes every service process with it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from shared.migrate import SERVICES
from tests.support.live import free_port

pytestmark = pytest.mark.e2e
BOUND_S = 60  # a guard against hanging for ever, not a timing claim


def _gone(pid: int) -> bool:
    """True once the process no longer exists (or is only a zombie awaiting its reaper)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return bool(re.search(r"^State:\s+Z", status, re.MULTILINE))


def _poll(predicate, what: str) -> None:
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not reached: {what}")


class Run:
    """`wardgate run` in a child process, its output read as it comes."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.ports = {svc: free_port() for svc in SERVICES}
        env = {**os.environ, "WARDGATE_DATA_DIR": str(tmp_path / "data")}
        for name in ("DATABASE_URL", "AUTH_JWKS_FILE", "AUTH_PUBLIC_KEY_FILE"):
            env.pop(name, None)
        args = [f"--{svc}-port={port}" for svc, port in self.ports.items()]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "run", *args, *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def pids(self) -> dict[str, int]:
        """The service processes the parent says it started."""
        found = {}
        for line in list(self.output):
            if m := re.match(r"\s+(\w+)\s+http://\S+/docs\s+\(pid (\d+)\)", line):
                found[m.group(1)] = int(m.group(2))
        return found

    def healthy(self) -> bool:
        for port in self.ports.values():
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    def started(self) -> dict[str, int]:
        _poll(lambda: len(self.pids()) == 3 or self.process.poll() is not None, "three pids")
        assert self.process.poll() is None, "".join(self.output)
        _poll(self.healthy, "all three services healthy")
        return self.pids()

    def stop(self) -> None:
        for pid in self.pids().values():
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def run(tmp_path):
    started = Run(tmp_path, "--stop-grace=2")
    yield started
    started.stop()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_the_parent_stops_every_service(run, signum):
    pids = run.started()
    assert sorted(pids) == sorted(SERVICES)
    run.process.send_signal(signum)
    _poll(lambda: run.process.poll() is not None, "the parent exited")
    assert run.process.returncode == 0, "".join(run.output)
    _poll(lambda: all(_gone(pid) for pid in pids.values()), "every service process ended")
    assert not any(_port_open(port) for port in run.ports.values()), (
        "a port is still served after the stop"
    )


def test_a_service_that_dies_stops_the_others_and_the_parent_fails(run):
    pids = run.started()
    os.kill(pids["screening"], signal.SIGKILL)
    _poll(lambda: run.process.poll() is not None, "the parent exited")
    assert run.process.returncode not in (0, None)
    assert any("screening" in line and "exited" in line for line in run.output), run.output
    _poll(lambda: all(_gone(pid) for pid in pids.values()), "every service process ended")


def _port_open(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
    except httpx.HTTPError:
        return False
    return True


def test_a_service_that_will_not_stop_is_killed_after_the_grace(run):
    pids = run.started()
    os.kill(pids["discharge"], signal.SIGSTOP)  # frozen: it cannot act on SIGTERM
    run.process.send_signal(signal.SIGTERM)
    _poll(lambda: run.process.poll() is not None, "the parent exited")
    _poll(lambda: all(_gone(pid) for pid in pids.values()), "every service process ended")
    assert any("did not stop in time; killed" in line for line in run.output), run.output


def test_services_do_not_outlive_a_parent_killed_without_warning(run):
    pids = run.started()
    run.process.kill()  # kill -9: no chance to stop anything itself
    _poll(lambda: run.process.poll() is not None, "the parent exited")
    _poll(lambda: all(_gone(pid) for pid in pids.values()), "every service process ended")
