"""The `wardgate` command: tokens from the development key that a service then accepts."""

from __future__ import annotations

import os
import subprocess
import sys

from fastapi.testclient import TestClient


def _wardgate(*args: str, data_dir) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WARDGATE_DATA_DIR": str(data_dir)}
    env.pop("AUTH_JWKS_FILE", None)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_dev_token_is_accepted_by_a_service_on_the_dev_key(tmp_path):
    from services.screening.main import create_app
    from services.screening.settings import ScreeningSettings

    made = _wardgate(
        "token",
        "--sub",
        "nurse-1",
        "--role",
        "auditor",
        "--role",
        "nurse",
        "--ttl",
        "120",
        data_dir=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    key = tmp_path / "dev-signing-key.pem"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    from shared.migrate import upgrade

    url = f"sqlite:///{tmp_path}/screening.db"
    upgrade("screening", url)
    settings = ScreeningSettings(wardgate_data_dir=tmp_path, database_url=url)
    with TestClient(create_app(settings)) as client:
        r = client.get("/audit", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        other = _wardgate("token", "--sub", "x", "--role", "admin", data_dir=tmp_path / "other")
        r = client.get("/audit", headers={"Authorization": f"Bearer {other.stdout.strip()}"})
        assert r.status_code == 401


def test_unknown_service_is_refused(tmp_path):
    done = _wardgate("migrate", "pharmacy", data_dir=tmp_path)
    assert done.returncode == 2 and "invalid choice" in done.stderr
