"""`wardgate health-code issue`: a payload the local verifier accepts, and its QR code PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno
from PIL import Image

from shared.auth.health_codes import (
    InvalidHealthCode,
    ValidHealthCode,
    health_code_keys,
    verify_health_code,
)

SCALE, BORDER = 8, 4  # what the command writes


def _wardgate(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "WARDGATE_DATA_DIR": str(data_dir)}
    environment.pop("WARDGATE_HEALTH_CODE_KEYS", None)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "health-code", "issue", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def _modules(png: Path) -> list[list[bool]]:
    """The dark/light modules read back from the PNG (the centre pixel of each module)."""
    image = Image.open(png).convert("L")
    size = image.width // SCALE - 2 * BORDER
    return [
        [
            image.getpixel(((BORDER + x) * SCALE + SCALE // 2, (BORDER + y) * SCALE + SCALE // 2))
            < 128
            for x in range(size)
        ]
        for y in range(size)
    ]


def test_issue_prints_a_payload_the_verifier_accepts_and_writes_its_qr(tmp_path):
    png = tmp_path / "code.png"
    made = _wardgate(
        "--colour",
        "yellow",
        "--name",
        "张三",
        "--id-last4",
        "123X",
        "--png",
        str(png),
        data_dir=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    payload = made.stdout.strip()
    checked = verify_health_code(payload, health_code_keys(None, tmp_path))
    assert isinstance(checked, ValidHealthCode)
    assert (checked.colour, checked.name_masked, checked.id_last4) == ("yellow", "张*", "123X")
    in_a_day = datetime.now(UTC) + timedelta(days=1)
    assert abs((checked.valid_until - in_a_day).total_seconds()) < 60
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    expected = segno.make_qr(payload, error="m").matrix
    assert _modules(png) == [[bool(m) for m in row] for row in expected]
    assert (tmp_path / "dev-health-code-key.pem").stat().st_mode & 0o777 == 0o600


def test_another_data_dirs_key_is_unknown(tmp_path):
    made = _wardgate("--colour", "green", "--name", "Li Wei", data_dir=tmp_path / "a")
    checked = verify_health_code(made.stdout.strip(), health_code_keys(None, tmp_path / "b"))
    assert checked == InvalidHealthCode("unknown_key")


def test_a_short_ttl_expires(tmp_path):
    made = _wardgate("--colour", "red", "--name", "Li Wei", "--ttl", "1", data_dir=tmp_path)
    later = datetime.now(UTC) + timedelta(seconds=5)
    checked = verify_health_code(made.stdout.strip(), health_code_keys(None, tmp_path), later)
    assert checked == InvalidHealthCode("expired")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--colour", "blue", "--name", "Li"], "invalid choice"),
        (["--colour", "green", "--name", "Li", "--id-last4", "12"], "id_last4"),
        (["--colour", "green", "--name", "Li", "--ttl", "0"], "--ttl"),
        (["--colour", "green", "--name", "  "], "--name"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, args, words):
    made = _wardgate(*args, data_dir=tmp_path)
    assert made.returncode == 2
    assert words in made.stderr and made.stdout == ""
