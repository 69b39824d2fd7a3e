"""Real service processes on real ports, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.migrate import upgrade


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveService:
    """A uvicorn process serving one WardGate service."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20, command: list[str] | None = None) -> LiveService:
        """Start the process (uvicorn, or `command`) and wait until /health answers 200."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command
            or [
                sys.executable,
                "-m",
                "uvicorn",
                f"services.{self.name}.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
            ],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become healthy: {self.log_path.read_text()}")

    def stop(self, kill: bool = False) -> None:
        """Stop the process (SIGKILL when `kill`)."""
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def live_service(
    name: str, database_url: str, env: Mapping[str, str], log_dir: Path, port: int | None = None
) -> LiveService:
    """A migrated, not yet started service process description."""
    upgrade(name, database_url)
    full_env = {**env, "DATABASE_URL": database_url}
    return LiveService(name, port or free_port(), full_env, log_dir / f"{name}.log")
