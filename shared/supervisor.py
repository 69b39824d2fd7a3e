"""`wardgate run`'s supervision of the three service processes: they live and end together.

A supervisor stopping `wardgate run` (SIGTERM), Ctrl-C (SIGINT) or one service dying stops
all of them: each gets SIGTERM and `grace_s` seconds to finish its requests, then SIGKILL, and
the command exits only once every one has ended (0 when asked to stop, 1 when a service
died on its own). On Linux each service also gets SIGTERM from the kernel when the command
itself dies without a word (kill -9, the OOM killer), so no service outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType

_PR_SET_PDEATHSIG = 1
_POLL_S = 0.2


def _ends_with_parent(parent: int) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None).prctl  # looked up here: the child only makes the call

    def in_child() -> None:  # runs between fork and exec of a single-threaded parent
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os._exit(1)

    return in_child


def _describe(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"code {code}"


class ServiceSupervisor:
    """Starts service processes and stops all of them together."""

    def __init__(self, grace_s: float = 20.0) -> None:
        self.grace_s = grace_s
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = threading.Event()

    def catch_signals(self) -> None:
        """From now on SIGTERM and SIGINT ask for a stop (call before starting anything)."""

        def ask_to_stop(_signum: int, _frame: FrameType | None) -> None:
            self._stopping.set()

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)

    @property
    def stopping(self) -> bool:
        """True once a stop was asked for."""
        return self._stopping.is_set()

    def start(self, name: str, command: Sequence[str], env: dict[str, str]) -> int:
        """Start one service process; its pid."""
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            list(command), env=env, preexec_fn=_ends_with_parent(os.getpid())
        )
        self.procs[name] = proc
        return proc.pid

    def run(self) -> int:
        """Wait until asked to stop or a service dies, then stop them all; the exit status."""
        died: tuple[str, int] | None = None
        while died is None and not self._stopping.wait(_POLL_S):
            died = next(
                ((name, code) for name, p in self.procs.items() if (code := p.poll()) is not None),
                None,
            )
        if died is not None:
            name, code = died
            print(
                f"wardgate run: {name} exited ({_describe(code)}); stopping the others",
                file=sys.stderr,
                flush=True,
            )
        self.stop_all()
        return 1 if died is not None else 0

    def stop_all(self) -> None:
        """SIGTERM to every running service, SIGKILL to those still running after the grace."""
        running = [p for p in self.procs.values() if p.poll() is None]
        for p in running:
            p.terminate()
        deadline = time.monotonic() + self.grace_s
        for p in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(deadline - time.monotonic(), 0))
        for p in running:
            if p.poll() is None:
                print(f"wardgate run: pid {p.pid} did not stop in time; killed", file=sys.stderr)
                p.kill()
                p.wait()
