"""`wardgate import results FILE`: a spreadsheet of results sent through the screening API.

The file goes to `POST /uploads/check` first (a progress bar shows the bytes sent); with any
error, the errors are printed by row and column, nothing is stored and the exit status is 1.
Otherwise the same file goes to `POST /uploads`, stored in one go (all rows or none).
Without `--token` (or `WARDGATE_TOKEN`) the command signs an `integration` token with the
local development key, as `wardgate demo` does.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import httpx
from tqdm import tqdm

from shared.settings import WardGateSettings

KINDS = ("results", "pool_results")
MAX_BYTES = 10 * 1024 * 1024
TIMEOUT_S = 600.0  # storing 50,000 rows in one transaction takes a while on a small server
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class _Counted(io.BytesIO):
    """The file's bytes, moving a progress bar as the HTTP client reads them to send."""

    def __init__(self, data: bytes, bar: tqdm[Any]) -> None:
        super().__init__(data)
        self._bar = bar

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self._bar.update(len(chunk))
        return chunk


def _post(
    client: httpx.Client, path: str, data: bytes, name: str, kind: str, label: str, out: TextIO
) -> httpx.Response:
    media = XLSX_TYPE if data.startswith(b"PK\x03\x04") else "text/csv"
    with tqdm(total=len(data), unit="B", unit_scale=True, desc=label, file=out, leave=True) as bar:
        body = _Counted(data, bar)
        return client.post(path, files={"file": (name, body, media)}, data={"kind": kind})


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:500]}
    return body if isinstance(body, dict) else {"detail": str(body)[:500]}


def print_errors(body: dict[str, Any], out: TextIO) -> None:
    """The errors of a checked sheet, one line each: row, cell, column, message."""
    errors = body.get("errors") or []
    count = body.get("error_count", len(errors))
    print(f"{count} error(s); nothing was stored.", file=out)
    for e in errors:
        where = f"row {e.get('row')}"
        if e.get("cell"):
            where += f", cell {e['cell']}"
        if e.get("column"):
            where += f" ({e['column']})"
        print(f"  {where}: {e.get('msg')} [{e.get('type')}]", file=out)
    if count > len(errors):
        print(f"  ... and {count - len(errors)} more.", file=out)


def default_token(settings: WardGateSettings) -> str:
    """An `integration` token signed with the local development key (sub `import-cli`)."""
    from shared.auth import mint_dev_token

    return mint_dev_token(
        settings.wardgate_data_dir,
        sub="import-cli",
        roles=["integration"],
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        ttl_s=3600,
    )


def import_file(
    path: Path, kind: str, url: str, token: str, out: TextIO, *, check_only: bool = False
) -> int:
    """Check, then store, `path` through the screening service at `url`; the exit status."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        print(f"{path}: larger than 10 MiB; split it into smaller sheets.", file=out)
        return EXIT_REFUSED
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT_S) as client:
        checked = _post(client, "/uploads/check", data, path.name, kind, "check", out)
        if checked.status_code != 200:
            return _refused(checked, out)
        body = checked.json()
        if not body["ready"]:
            print_errors(body, out)
            return EXIT_REFUSED
        print(f"{body['rows']} rows ready.", file=out)
        if check_only:
            return EXIT_OK
        stored = _post(client, "/uploads", data, path.name, kind, "store", out)
        if stored.status_code != 200:
            return _refused(stored, out)
        done = stored.json()
        print(
            f"Stored {done['rows']} rows: {done['accepted']} new, "
            f"{done['duplicates']} already stored (unchanged).",
            file=out,
        )
    return EXIT_OK


def _refused(response: httpx.Response, out: TextIO) -> int:
    body = _problem(response)
    if body.get("errors") and body.get("code") == "upload_invalid":
        print_errors(body, out)
    else:
        code = body.get("code", "")
        print(f"Refused ({response.status_code} {code}): {body.get('detail')}", file=out)
    return EXIT_REFUSED


def cmd_import_results(args: argparse.Namespace) -> int:
    """`wardgate import results FILE`."""
    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return EXIT_USAGE
    url = args.url or os.environ.get("SCREENING_URL") or "http://127.0.0.1:8002"
    token = args.token or os.environ.get("WARDGATE_TOKEN") or default_token(WardGateSettings())
    try:
        return import_file(path, args.kind, url, token, sys.stderr, check_only=args.check_only)
    except httpx.HTTPError as exc:
        print(f"Cannot reach the screening service at {url}: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def add_import_commands(sub: Any) -> None:
    """`wardgate import results FILE [--kind ...] [--url ...] [--token ...] [--check-only]`."""
    p = sub.add_parser("import", help="import spreadsheets through the screening API")
    kinds = p.add_subparsers(dest="import_command", required=True)
    r = kinds.add_parser(
        "results", help="a CSV or XLSX of results or pool results: checked, then stored"
    )
    r.add_argument("file", help="the sheet (CSV in UTF-8 or GB18030, or XLSX)")
    r.add_argument("--kind", choices=KINDS, default="results")
    r.add_argument("--url", help="the screening service (default SCREENING_URL or :8002)")
    r.add_argument("--token", help="bearer token (default WARDGATE_TOKEN, else dev key)")
    r.add_argument("--check-only", action="store_true", help="check every row; store nothing")
    r.set_defaults(func=cmd_import_results)
