"""`wardgate health-code issue`: a signed health-code payload and its QR image (development).

Signs with the development health-code key in `WARDGATE_DATA_DIR` (the key the `local`
verifier trusts when `WARDGATE_HEALTH_CODE_KEYS` is not set), for demos, tests and the
entrance desk's camera test. Real codes come from the health-code platform.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shared.auth.health_codes import COLOURS, dev_signing_key, issue_health_code
from shared.masking import mask_name
from shared.settings import WardGateSettings

MAX_TTL_S = 366 * 86400


def write_qr_png(payload: str, path: Path, scale: int = 8) -> None:
    """The payload as a QR code PNG (error correction M, quiet zone of 4 modules)."""
    import segno

    segno.make_qr(payload, error="m").save(str(path), kind="png", scale=scale, border=4)


def cmd_health_code_issue(args: argparse.Namespace) -> int:
    """Print a payload signed with the development health-code key; write its QR PNG."""
    if not 0 < args.ttl <= MAX_TTL_S:
        print(f"wardgate health-code issue: --ttl must be 1..{MAX_TTL_S} s", file=sys.stderr)
        return 2
    name_masked = mask_name(args.name.strip())
    if not name_masked:
        print("wardgate health-code issue: --name is empty", file=sys.stderr)
        return 2
    key = dev_signing_key(Path(WardGateSettings().wardgate_data_dir))
    try:
        payload = issue_health_code(
            key, colour=args.colour, name_masked=name_masked, id_last4=args.id_last4, ttl_s=args.ttl
        )
    except ValueError as exc:
        print(f"wardgate health-code issue: {exc}", file=sys.stderr)
        return 2
    if os.environ.get("WARDGATE_HEALTH_CODE_KEYS"):
        print(
            "note: WARDGATE_HEALTH_CODE_KEYS is set; the services trust only its keys, not "
            f"this development key (kid {key.kid})",
            file=sys.stderr,
        )
    if args.png:
        write_qr_png(payload, args.png)
    print(payload)
    return 0


def add_health_code_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`wardgate health-code issue ...`."""
    p = sub.add_parser("health-code", help="development health codes for the entrance")
    codes = p.add_subparsers(dest="health_code_command", required=True)
    issue = codes.add_parser("issue", help="print a signed payload and write its QR PNG")
    issue.add_argument("--colour", required=True, choices=COLOURS)
    issue.add_argument("--name", required=True, help="the holder's name (stored masked)")
    issue.add_argument("--id-last4", help="last four characters of the identity number")
    issue.add_argument("--ttl", type=int, default=86400, help="seconds valid (default 1 day)")
    issue.add_argument("--png", type=Path, help="write the QR code to this PNG file")
    issue.set_defaults(func=cmd_health_code_issue)
