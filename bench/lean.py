"""WardGate's hot paths next to the lean calibration (../shared/lean/run.sh), in one run.

`run.sh` (outside the repository, read it there) serves the same work written lean and prints
one JSON line: floor/status/check req/s, their ratios to its bare FastAPI floor and p99s.
`main()` runs it (the `lean` bench); `compare()` then sets each WardGate ratio to its own
floor beside the lean one, with the issue's targets: >= 0.80 of the lean ratio, p99 within
2x of lean's, no non-2xx, every service under 150 MB resident. Absolute rates on a shared
2-core machine move 2x from hour to hour; ratios measured in one run do not.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from bench.load import RSS_TARGET_MB

SCRIPT = Path(__file__).resolve().parents[2] / "shared" / "lean" / "run.sh"
OF_LEAN_TARGET = 0.80
P99_TARGET = 2.0
# (printed name, WardGate bench, key prefix in run.sh's JSON)
HOT_PATHS = (
    ("screening status", "screening_status", "status"),
    ("discharge check", "discharge_checks", "check"),
)
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def latency_ms(text: str) -> float | None:
    """wrk's latency text ('29.12ms', '1.02s', '850.00us') in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return round(float(match[1]) * _UNITS_MS[match[2]], 2) if match else None


def main() -> dict[str, Any]:
    """Run the lean calibration; its figures, or {"error": ...} (the comparison then skips)."""
    if not SCRIPT.exists():
        print(f"  {SCRIPT} not found: no lean calibration, the comparison is skipped")
        return {"error": f"{SCRIPT} not found"}
    seconds = os.environ.get("LEAN_SECONDS", "6")
    print(f"lean calibration ({SCRIPT}, wrk -t1 -c16 -d{seconds}s each)", flush=True)
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=1800)
    lines = [x for x in done.stdout.splitlines() if x.startswith("{")]
    figures: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    if done.returncode != 0 or not lines or "error" in figures:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        print("  the lean calibration failed:\n    " + "\n    ".join(tail))
        return {"error": figures.get("error", "run.sh failed"), "output": tail}
    for prefix in ("status", "check"):
        figures[f"{prefix}_p99_ms"] = latency_ms(str(figures.get(f"{prefix}_p99", "")))
    print(
        f"  floor {figures['floor_rps']:.0f} req/s; status {figures['status_rps']:.0f} "
        f"(x{figures['status_ratio']}, p99 {figures['status_p99']}); check "
        f"{figures['check_rps']:.0f} (x{figures['check_ratio']}, p99 {figures['check_p99']})"
    )
    return figures


def _route(bench: dict[str, Any]) -> dict[str, Any] | None:
    """The measured route's row of a WardGate bench (ratio_to_floor, p99_ms, non_2xx)."""
    route = bench.get("route")
    return route if isinstance(route, dict) else None


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def compare_one(
    name: str, route: dict[str, Any], lean: dict[str, Any], prefix: str
) -> dict[str, Any]:
    """One hot path beside its lean twin: printed, and returned for BENCH_JSON."""
    ratio, lean_ratio = route["ratio_to_floor"], lean[f"{prefix}_ratio"]
    p99, lean_p99 = route["p99_ms"], lean[f"{prefix}_p99_ms"]
    of_lean = round(ratio / lean_ratio, 2) if ratio is not None and lean_ratio else float("nan")
    p99_x = round(p99 / lean_p99, 2) if lean_p99 else float("nan")
    non_2xx = int(route.get("non_2xx", 0)) + int(route.get("errors", 0))
    row = {
        "ratio_to_floor": ratio,
        "lean_ratio": lean_ratio,
        "of_lean": of_lean,
        "of_lean_ok": of_lean >= OF_LEAN_TARGET,
        "p99_ms": p99,
        "lean_p99_ms": lean_p99,
        "p99_of_lean": p99_x,
        "p99_ok": p99_x <= P99_TARGET,
        "non_2xx_or_errors": non_2xx,
    }
    print(
        f"  {name}: {ratio:.2f} of floor, lean {lean_ratio:.2f} -> {of_lean:.2f} of lean "
        f"(target >= {OF_LEAN_TARGET:.2f}: {_verdict(row['of_lean_ok'])}); p99 {p99:.0f} ms "
        f"vs lean {lean_p99:.0f} ms -> {p99_x:.2f}x (target <= {P99_TARGET:.0f}x: "
        f"{_verdict(row['p99_ok'])}); non-2xx/errors {non_2xx} ({_verdict(non_2xx == 0)})"
    )
    return row


def compare(figures: dict[str, Any]) -> dict[str, Any] | None:
    """Print each WardGate hot path's ratio next to the lean one, and every service's RSS."""
    lean = figures.get("lean")
    if not isinstance(lean, dict):
        return None
    if "error" in lean:
        print(f"\n(no comparison with lean: {lean['error']})")
        return None
    print("\n== WardGate next to lean (same run)")
    rows: dict[str, Any] = {}
    for name, bench, prefix in HOT_PATHS:
        route = _route(figures.get(bench) or {})
        if route is None:
            print(f"  {name}: not measured in this run (BENCH={bench} measures it)")
            continue
        rows[bench] = compare_one(name, route, lean, prefix)
    rss = {
        f"{bench}/{service}": mb
        for bench, result in figures.items()
        if isinstance(result, dict)
        for service, mb in (result.get("service_rss_mb") or {}).items()
    }
    for label, mb in rss.items():
        ok = _verdict(mb < RSS_TARGET_MB)
        print(f"  peak RSS {label}: {mb:.0f} MB (target < {RSS_TARGET_MB}: {ok})")
    if rss:
        rows["service_rss_mb"] = rss
        rows["rss_ok"] = all(mb < RSS_TARGET_MB for mb in rss.values())
    return rows


if __name__ == "__main__":
    main()
