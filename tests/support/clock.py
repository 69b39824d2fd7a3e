"""A clock the test moves by hand (never slept on)."""

from __future__ import annotations

import time


class Clock:
    """Wall-clock seconds, moved by the test (never slept on)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now
