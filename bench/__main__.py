"""`make bench`: the hot paths next to the lean calibration, the mass screening day and the
focused benches, then one JSON line.

`python -m bench` runs `DEFAULT`; `python -m bench NAME ...` runs the named modules only (e.g.
`screening_status`, `discharge_checks`, `screening_ingest`, `appointments_booking`,
`auth_overhead`, `lean`). A run that measures screening status or the discharge check also runs
the lean calibration (bench/lean.py, ../shared/lean/run.sh) first and prints each WardGate
ratio next to the lean one; not when profiling (py-spy takes CPU: ratios would not compare),
nor with WARDGATE_BENCH_LEAN=0. After each bench the peak RSS of every WardGate service process
it started is printed and added to its figures (`service_rss_mb`).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

from bench import lean
from bench.load import RSS_TARGET_MB, settle, take_peak_rss
from bench.profile import ENV as PROFILE_ENV

DEFAULT = (
    "lean",
    "screening_status",
    "discharge_checks",
    "mass_screening_day",
    "auth_overhead",
    "feeds_ingest",
    "exposure_list",
    "public_health_reports",
)
LEAN_ENV = "WARDGATE_BENCH_LEAN"


def with_lean(names: list[str]) -> list[str]:
    """The bench names to run: `lean` first when a hot path it calibrates is measured."""
    calibrated = {bench for _, bench, _ in lean.HOT_PATHS}
    profiling = os.environ.get(PROFILE_ENV) == "1"
    if profiling or os.environ.get(LEAN_ENV) == "0":
        if "lean" in names and calibrated.intersection(names):
            print(f"(lean comparison skipped: {PROFILE_ENV}=1 or {LEAN_ENV}=0)")
        return [n for n in names if n != "lean"]
    if "lean" in names or not calibrated.intersection(names):
        return names
    return ["lean", *names]


def _report_memory(name: str, result: object) -> None:
    """Print the peak RSS of the services `name` started; keep it in its figures."""
    peaks = take_peak_rss()
    if not peaks:
        return
    shown = ", ".join(f"{service} {mb:.0f} MB" for service, mb in peaks.items())
    print(f"  peak RSS per service process: {shown} (target < {RSS_TARGET_MB} MB each)")
    if isinstance(result, dict):
        result["service_rss_mb"] = peaks


def main() -> int:
    """Run bench modules (the default set, or those named on the command line)."""
    names = with_lean(sys.argv[1:] or list(DEFAULT))
    figures: dict[str, object] = {}
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n== {name}", flush=True)
        settle()
        try:
            figures[name] = module.main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        _report_memory(name, figures.get(name))
    comparison = lean.compare(figures)
    if comparison is not None:
        figures["lean_comparison"] = comparison
    print("\nBENCH_JSON " + json.dumps(figures, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
