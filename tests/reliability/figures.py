"""The figures a hospital asks for, gathered while the reliability tests run.

`record(...)` adds to a run-wide tally; the conftest prints it at the end of the session and
writes it to test-output/reliability.json, so the closing note of a run can quote it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

TALLY: Counter[str] = Counter()


def record(name: str, amount: int = 1) -> None:
    """Add `amount` to the figure `name` (e.g. "examples/screening/sqlite")."""
    TALLY[name] += amount


def summary_lines() -> list[str]:
    """The tally, one figure a line, sorted by name."""
    return [f"{name:<48} {value:>8}" for name, value in sorted(TALLY.items())]


def write(path: Path) -> None:
    """Write the tally as JSON (for CI artefacts and the closing note)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(TALLY.items())), indent=2) + "\n")
