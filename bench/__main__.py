"""`make bench`: run every benchmark module and print one JSON line with all figures."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import traceback
from pathlib import Path

SKIP = {"load", "floor", "auth_app", "__main__"}


def main() -> int:
    """Run bench modules (all, or those named on the command line)."""
    here = Path(__file__).parent
    names = sys.argv[1:] or sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP
    )
    figures: dict[str, object] = {}
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n== {name}")
        try:
            figures[name] = module.main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
    print("\nBENCH_JSON " + json.dumps(figures, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
