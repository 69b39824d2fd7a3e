"""Load generation with wrk (a separate C process) and the servers it measures."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORKERS_ENV = "WARDGATE_BENCH_WORKERS"

_LUA = r"""
local bodies = {}
local paths = {}
local extra = %(headers)s
local i = 0
local j = 0
local f = io.open("%(bodies)s", "r")
if f then for line in f:lines() do bodies[#bodies + 1] = line end f:close() end
local g = io.open("%(paths)s", "r")
if g then for line in g:lines() do paths[#paths + 1] = line end g:close() end
-- One request for every call (what ../shared/lean/run.sh sends): no Lua runs per request.
wrk.method = "%(method)s"
for k, v in pairs(extra) do wrk.headers[k] = v end
if #bodies == 1 then wrk.body = bodies[1] end
if #bodies > 1 or #paths > 0 then
  request = function()
    local path = nil
    if #paths > 0 then
      j = j %% #paths + 1
      path = paths[j]
    end
    if #bodies > 0 then
      i = i %% #bodies + 1
      return wrk.format(nil, path, nil, bodies[i])
    end
    return wrk.format(nil, path)
  end
end
statuses = {}
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
if %(by_status)s then
  response = function(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end
done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses") or {}) do total[k] = (total[k] or 0) + v end
  end
  local s = {}
  for k, v in pairs(total) do s[#s + 1] = string.format('"%%d": %%d', k, v) end
  io.write(string.format(
    'WRKJSON {"requests": %%d, "seconds": %%f, "p50_us": %%d, "p99_us": %%d, ' ..
    '"socket_errors": %%d, "non2xx": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, table.concat(s, ", ")))
end
"""


@dataclass
class LoadResult:
    """What one load run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    statuses: dict[str, int] = field(default_factory=dict)


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def run_load(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    bodies: Sequence[Any] | None = None,
    paths: Sequence[str] | None = None,
    concurrency: int = 16,
    duration_s: int = 10,
    threads: int = 1,
    by_status: bool = False,
) -> LoadResult:
    """Drive `url` with wrk; `bodies` (JSON values) and `paths` are used in turn.

    Like the lean calibration's wrk, no Lua runs per request unless it must: one fixed
    request when there is one body or none and no paths, and answers counted by status only
    with `by_status` (wrk then parses every answer: it costs CPU on the cores measured).
    Without it, `statuses` holds the count of non-2xx answers under "non_2xx"."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    hdrs = dict(headers or {})
    if body is not None or bodies:
        hdrs.setdefault("Content-Type", "application/json")
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "bodies.txt"
        payloads = list(bodies or ([body] if body is not None else []))
        body_file.write_text("\n".join(json.dumps(b, separators=(",", ":")) for b in payloads))
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths or []))
        lua_headers = (
            "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in hdrs.items()) + "}"
        )
        script = Path(tmp) / "load.lua"
        script.write_text(
            _LUA
            % {
                "method": method,
                "headers": lua_headers,
                "bodies": body_file,
                "paths": path_file,
                "by_status": "true" if by_status else "false",
            }
        )
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{concurrency}",
                f"-d{duration_s}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    statuses = {str(k): int(v) for k, v in data["statuses"].items()}
    if not by_status and data["non2xx"]:
        statuses = {"non_2xx": int(data["non2xx"])}
    return LoadResult(
        rps=data["requests"] / data["seconds"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=int(data["socket_errors"]),
        requests=int(data["requests"]),
        statuses=statuses,
    )


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Peak resident memory of every WardGate service process the benches stopped, by service,
# since the last `take_peak_rss()` (bench/__main__.py reports it after each bench).
_PEAK_RSS_MB: dict[str, float] = {}
RSS_TARGET_MB = 150


def record_peak_rss(service: str, pid: int) -> float:
    """Note the peak RSS (VmHWM) of `pid` and its children under `service`; returns it in MB."""
    peak = _memory([pid, *_children(pid)], "VmHWM:", sum_over=False)
    _PEAK_RSS_MB[service] = max(peak, _PEAK_RSS_MB.get(service, 0.0))
    return peak


def take_peak_rss() -> dict[str, float]:
    """The peaks noted since the last call, by service (MB), and forget them."""
    peaks = {name: round(mb, 1) for name, mb in sorted(_PEAK_RSS_MB.items())}
    _PEAK_RSS_MB.clear()
    return peaks


@dataclass
class BenchServer:
    """A uvicorn process under measurement; `service` names a WardGate service, else ""."""

    url: str
    process: subprocess.Popen[bytes]
    service: str = ""

    def stop(self) -> None:
        """Terminate the server (a service's peak RSS is noted first, see take_peak_rss)."""
        if self.process.poll() is None:
            if self.service:
                record_peak_rss(self.service, self.process.pid)
            self.process.terminate()
            self.process.wait(timeout=15)

    def rss_mb(self) -> float:
        """Current resident memory of the server process (and its workers)."""
        return self._memory("VmRSS:")

    def peak_rss_mb(self) -> float:
        """Peak resident memory so far (VmHWM) of the largest process (supervisor or worker)."""
        return self._memory("VmHWM:", sum_over=False)

    def _memory(self, field_name: str, *, sum_over: bool = True) -> float:
        return _memory([self.process.pid, *_children(self.process.pid)], field_name, sum_over)


def _memory(pids: list[int], field_name: str, sum_over: bool = True) -> float:
    """A /proc/<pid>/status memory field in MB: summed over `pids`, or the largest."""
    sizes = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field_name):
                    sizes.append(int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            continue
    if not sizes:
        return 0.0
    return (sum(sizes) if sum_over else max(sizes)) / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _uvicorn(app: str, env: Mapping[str, str], port: int) -> BenchServer:
    workers = os.environ.get(WORKERS_ENV, "1")
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        workers,
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                service = app.split(".")[1] if app.startswith("services.") else ""
                return BenchServer(url, proc, service)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"{app} did not start")


def start_floor() -> BenchServer:
    """The floor: a bare `async def` FastAPI endpoint returning a constant."""
    return _uvicorn("bench.floor:app", {}, free_port())


def start_service(name: str, env: Mapping[str, str], port: int | None = None) -> BenchServer:
    """One WardGate service with `env` (DATABASE_URL, AUTH_* ...), same uvicorn settings."""
    return _uvicorn(
        f"services.{name}.main:app", {"WARDGATE_LOG_LEVEL": "WARNING", **env}, port or free_port()
    )


def ratio_row(name: str, result: LoadResult, floor: LoadResult) -> dict[str, Any]:
    """A printed and returned table row: figures and the ratio to the floor."""
    row = {
        "name": name,
        "rps": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "errors": result.errors,
        "non_2xx": sum(n for code, n in result.statuses.items() if not code.startswith("2")),
        "ratio_to_floor": round(result.rps / floor.rps, 3) if floor.rps else None,
    }
    print(
        f"  {name:<32} {row['rps']:>9} req/s  p50 {row['p50_ms']:>7} ms  "
        f"p99 {row['p99_ms']:>7} ms  x{row['ratio_to_floor']} of floor  errors {result.errors}"
        + (f"  non-2xx {row['non_2xx']}" if row["non_2xx"] else "")
    )
    return row


def bench_database(service: str, name: str | None = None) -> str:
    """A fresh, migrated PostgreSQL database for `service` (BENCH_DATABASE_URL's server).

    `name` keeps benches that may run at the same time off each other's databases.
    """
    import psycopg
    from sqlalchemy.engine import make_url

    from shared.migrate import upgrade

    server = make_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    name = name or f"wardgate_bench_{service}"
    admin = server.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(service, url)
    return url


def bench_auth(data_dir: str | None = None) -> tuple[dict[str, str], Any]:
    """(env for services trusting the dev key in `data_dir`, a token factory for roles)."""
    from shared.auth import mint_dev_token

    directory = data_dir or tempfile.mkdtemp(prefix="wardgate-bench-")

    def token(*roles: str, sub: str = "bench") -> str:
        return mint_dev_token(
            directory,
            sub=sub,
            roles=list(roles),
            issuer="wardgate",
            audience="wardgate",
            ttl_s=7200,
        )

    env = {"WARDGATE_DATA_DIR": directory, "AUTH_ISSUER": "wardgate", "AUTH_AUDIENCE": "wardgate"}
    return env, token


SETTLE_S = 5.0


def settle() -> None:
    """Let the previous bench's background work end before the next one measures.

    PostgreSQL flushes and vacuums after a bench has written (the lean calibration's audit
    rows, a dropped database): measured right after, a route ran 8-9 % slower than on a quiet
    machine. Every bench starts after a CHECKPOINT and a few seconds of quiet."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    admin = server.set(drivername="postgresql", database="postgres")
    try:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    except psycopg.Error as exc:  # not a superuser: the pause alone
        print(f"  (no CHECKPOINT before the bench: {exc.__class__.__name__})")
    time.sleep(SETTLE_S)
