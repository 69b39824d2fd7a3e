"""`make bench`: the mass screening day plus the focused benches, then one JSON line.

`python -m bench` runs `DEFAULT` (the mass screening day's table is the headline);
`python -m bench NAME ...` runs the named modules only (e.g. `screening_status`,
`discharge_checks`, `screening_ingest`, `appointments_booking`, `auth_overhead`).
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback

DEFAULT = ("mass_screening_day", "auth_overhead", "feeds_ingest", "exposure_list")


def main() -> int:
    """Run bench modules (the default set, or those named on the command line)."""
    names = sys.argv[1:] or list(DEFAULT)
    figures: dict[str, object] = {}
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n== {name}", flush=True)
        try:
            figures[name] = module.main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
    print("\nBENCH_JSON " + json.dumps(figures, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
