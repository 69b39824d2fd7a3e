"""CPU profiles of a server under load, with `WARDGATE_BENCH_PROFILE=1` (`make bench-profile`).

`profiled(server, label)` runs `py-spy record --gil` on the server's process around a load run,
writes the raw stacks to bench/out/profile-<label>.txt and prints where the sampled CPU went,
in buckets a reader knows (framework, socket write, SQLAlchemy, the thread-pool hop, the audit
row, the rule...), plus the hottest frames. `python -m bench.profile FILE...` prints the same
tables again from saved files.

Sampling is `--nonblocking`: py-spy reads the stacks without stopping the server 250 times a
second, so the profile adds no pauses to the requests it measures. The price: a stack that
changed while being read is torn and skipped (10-17 % of samples here, counted in the table's
header), and deep, fast-changing stacks tear more often: compare buckets, not single points.
py-spy still takes CPU on the same cores, so a profiled run's req/s is below an unprofiled
one: read the shares, not the rates.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from bench.load import ROOT, WORKERS_ENV, BenchServer

ENV = "WARDGATE_BENCH_PROFILE"
OUT = ROOT / "bench" / "out"
RATE = 250
TOP_FRAMES = 10
TOP_BUCKETS = 12
OTHER = "other (frames in no bucket)"


class Bucket(NamedTuple):
    """Where a frame's time goes: the first bucket with a fragment in "<path>:<function>".

    `wrappers` are frames that enclose a whole request or thread (uvicorn's run_asgi, a worker
    thread's loop): they take the samples with nothing deeper (their own time) but do not count
    towards the inclusive share. `encloses`: the bucket's frames wrap other buckets' work
    (middleware, routing, route handlers), so only its own share is meaningful.
    """

    name: str
    fragments: tuple[str, ...]
    wrappers: frozenset[str] = frozenset()
    encloses: bool = False


BUCKETS = (
    Bucket(
        "thread-pool hop (anyio to_thread / Queue)",
        (
            "anyio/",
            "starlette/concurrency.py",
            "/queue.py",
            "/threading.py",
            "concurrent/",
            "shared/db.py:in_transaction",  # the route's await of the worker (and its wrapper)
        ),
        frozenset(
            {
                "WorkerThread.run",
                "Thread.run",
                "Thread._bootstrap",
                "Thread._bootstrap_inner",
                "in_transaction.<locals>.run",
            }
        ),
    ),
    Bucket(
        "socket write / HTTP protocol (uvicorn)",
        ("uvicorn/protocols/",),
        frozenset({"RequestResponseCycle.run_asgi"}),
    ),
    Bucket(
        "event loop (uvloop, asyncio)", ("asyncio/", "uvloop/"), frozenset({"Runner.run", "run"})
    ),
    Bucket(
        "middleware (request id, metrics, logs)",
        (
            "uvicorn/middleware/",
            "starlette/middleware/",
            "fastapi/middleware/",
            "fastapi/telemetry/",
            "fastapi/_body_limit",
            "shared/web/",
            "prometheus_client/",
            "/logging/",
        ),
        encloses=True,
    ),
    Bucket(
        "token check (shared/auth, jose, cryptography)", ("shared/auth/", "jose/", "cryptography/")
    ),
    Bucket("audit row (shared/audit)", ("shared/audit/",)),
    Bucket("domain rule (services/*/domain)", ("/domain/",)),
    Bucket(
        "httpx client (services' clients, httpx, httpcore)",
        ("/clients/", "shared/service_client", "httpx/", "httpcore/", "h11/"),
    ),
    Bucket("psycopg (driver, GIL held)", ("psycopg/", "psycopg_pool/")),
    Bucket(
        "SQLAlchemy session + execute",
        ("sqlalchemy/", "sqlmodel/", "shared/db.py"),
    ),
    Bucket(
        "pydantic validation/serialisation",
        ("pydantic/", "pydantic_core/", "fastapi/_compat", "fastapi/encoders"),
    ),
    Bucket("json", ("/json/", "orjson")),
    Bucket(
        "route handlers, repository (services/, shared/)", ("services/", "shared/"), encloses=True
    ),
    Bucket("FastAPI/Starlette routing + dependencies", ("fastapi/", "starlette/"), encloses=True),
)
_ENCLOSING = {b.name for b in BUCKETS if b.encloses}
_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>.*?)(?::\d+)?\)$")


@dataclass
class Profile:
    """One profiled load run; `figures` is filled when the run ends (empty when off)."""

    label: str
    figures: dict[str, Any] = field(default_factory=dict)


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def profiled(server: BenchServer, label: str) -> Iterator[Profile]:
    """Record `server` with py-spy while the body runs, when WARDGATE_BENCH_PROFILE=1."""
    profile = Profile(label)
    py_spy = _py_spy() if os.environ.get(ENV) == "1" else None
    if os.environ.get(ENV) == "1" and py_spy is None:
        print(f"  ({ENV}=1 but py-spy is missing: `make install` brings it with the dev extra)")
    if py_spy is None:
        yield profile
        return
    OUT.mkdir(exist_ok=True)
    out = OUT / f"profile-{label}.txt"
    out.unlink(missing_ok=True)  # a failed run must not report the previous one
    cmd = [py_spy, "record", "--gil", "--nonblocking", "-r", str(RATE), "-f", "raw"]
    if int(os.environ.get(WORKERS_ENV, "1")) > 1:
        cmd.append("--subprocesses")
    cmd += ["-o", str(out), "-p", str(server.process.pid)]
    spy = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield profile
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            log = spy.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            spy.kill()
            log = spy.communicate()[0]
    summary = re.search(r"Samples: (\d+) Errors: (\d+)", log)
    if spy.returncode != 0 or not out.exists():
        print(f"  py-spy failed ({spy.returncode}): {log.strip()[-300:]}")
        return
    profile.figures = report(out, label, errors=int(summary.group(2)) if summary else None)


def _frames(line: str) -> tuple[list[tuple[str, str]], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    frames = []
    for text in stack.split(";"):
        match = _FRAME.match(text)
        if match and not text.startswith("process "):
            frames.append((match["func"], "/" + match["path"]))
    return frames, int(count)


def _bucket(func: str, path: str) -> tuple[str | None, bool]:
    """(bucket of the frame or None, whether it is a wrapper)."""
    key = f"{path}:{func}"
    for bucket in BUCKETS:
        if any(fragment in key for fragment in bucket.fragments):
            return bucket.name, func in bucket.wrappers
    return None, False


def analyse(raw: Path) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    """(samples, inclusive per bucket, own per bucket, self per leaf frame) of a raw file."""
    total, inclusive, own, leaves = 0, Counter[str](), Counter[str](), Counter[str]()
    for line in raw.read_text().splitlines():
        if not line.strip():
            continue
        frames, count = _frames(line)
        if not frames:
            continue
        total += count
        tagged = [(*_bucket(func, path), func, path) for func, path in frames]
        for name in {name for name, wrapper, *_ in tagged if name and not wrapper}:
            inclusive[name] += count
        own[next((name for name, *_ in reversed(tagged) if name), OTHER)] += count
        func, path = frames[-1]
        short = path.split("site-packages/")[-1].split("/lib/python3")[-1].lstrip("/")
        leaves[f"{func} ({short})"] += count
    return total, inclusive, own, leaves


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _pct(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0.0


def _rows(total: int, inclusive: Counter[str], own: Counter[str]) -> list[tuple[str, float, Any]]:
    """(bucket, own %, inclusive % or None where the bucket wraps the others), by own share."""
    names = sorted({*own, *inclusive}, key=lambda n: (-own[n], -inclusive[n]))
    return [
        (
            name,
            _pct(own[name], total),
            None if name in _ENCLOSING or name == OTHER else _pct(inclusive[name], total),
        )
        for name in names
    ]


def report(raw: Path, label: str, errors: int | None = None) -> dict[str, Any]:
    """Print the bucket and self-frame tables of one raw file; return them as figures."""
    total, inclusive, own, leaves = analyse(raw)
    rows = _rows(total, inclusive, own)
    torn = f", {errors} torn stacks skipped" if errors else ""
    print(f"\n  profile {label}: {total} samples at {RATE} Hz{torn} ({_shown(raw)})")
    print("  shares of the sampled CPU with the GIL held (py-spy --gil: waits are not in it)")
    print("  own: each sample to the innermost bucket on its stack (the column adds up to 100)")
    print("  incl: the stack holds a frame of the bucket (overlaps; - where it wraps the rest)")
    print(f"  {'own %':>6} {'incl %':>6}  bucket")
    for name, own_pct, incl_pct in rows[:TOP_BUCKETS]:
        print(f"  {own_pct:>6} {'-' if incl_pct is None else incl_pct:>6}  {name}")
    if len(rows) > TOP_BUCKETS:
        rest = round(sum(r[1] for r in rows[TOP_BUCKETS:]), 1)
        print(f"  {rest:>6} {'':>6}  {len(rows) - TOP_BUCKETS} more buckets")
    print(f"  {'self %':>6} {'':>6}  hottest frames (leaf of the stack)")
    for frame, count in leaves.most_common(TOP_FRAMES):
        print(f"  {_pct(count, total):>6} {'':>6}  {frame}")
    return {
        "samples": total,
        "errors": errors,
        "file": _shown(raw),
        "buckets": {name: {"own_pct": o, "incl_pct": i} for name, o, i in rows},
        "self_top": {frame: _pct(n, total) for frame, n in leaves.most_common(TOP_FRAMES)},
    }


def figures(*profiles: Profile) -> dict[str, Any]:
    """{"profiles": {label: figures}} for the JSON line, or {} when nothing was profiled."""
    done = {p.label: p.figures for p in profiles if p.figures}
    return {"profiles": done} if done else {}


if __name__ == "__main__":
    for name in sys.argv[1:]:
        report(Path(name).resolve(), Path(name).stem.removeprefix("profile-"))
