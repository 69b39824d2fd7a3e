"""Auth overhead: an authenticated constant endpoint next to a bare FastAPI one."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from bench.load import _uvicorn, free_port, ratio_row, run_load, start_floor
from shared.auth import mint_dev_token


def main(duration_s: int = 8) -> dict[str, Any]:
    """Measure floor, auth with the token cache, and auth verifying every request."""
    data_dir = tempfile.mkdtemp(prefix="wardgate-bench-")
    token = mint_dev_token(
        data_dir, sub="bench", roles=["nurse"], issuer="wardgate", audience="wardgate", ttl_s=3600
    )
    headers = {"Authorization": f"Bearer {token}"}
    print("auth overhead (16 connections, one uvicorn worker)")
    rows = []
    floor = start_floor()
    try:
        floor_r = run_load(floor.url + "/floor", duration_s=duration_s)
        rows.append(ratio_row("bare FastAPI (floor)", floor_r, floor_r))
    finally:
        floor.stop()
    for label, cache in (("authenticated, token cache", "4096"), ("authenticated, no cache", "0")):
        env = {
            "WARDGATE_DATA_DIR": data_dir,
            "AUTH_TOKEN_CACHE_SIZE": cache,
            "WARDGATE_LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite:///{data_dir}/b.db",
        }
        server = _uvicorn("bench.auth_app:app", env, free_port())
        try:
            r = run_load(server.url + "/whoami", headers=headers, duration_s=duration_s)
            rows.append(ratio_row(label, r, floor_r))
        finally:
            server.stop()
    os.environ.pop("AUTH_TOKEN_CACHE_SIZE", None)
    return {"auth_overhead": rows}


if __name__ == "__main__":
    main()
