"""Audit checkpoints: the newest rows cannot be deleted (with their seals) undetected.

The hash chain alone proves every row up to the newest seal; whoever can bypass the
append-only triggers (a superuser) can cut the newest rows and their seals, or rewrite a row
and re-chain everything, and `verify` still sees an intact (shorter or different) chain.
A checkpoint `{service, rows, head_hash, at}` kept elsewhere pins what was there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.shared.test_audit_trail import _fill, _unguarded
from tests.support.live import free_port


def _audit(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": url}
    environ.pop("WARDGATE_AUDIT_CHECKPOINT_URL", None)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "audit", *args],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


class CheckpointReceiver:
    """The off-box copy: a real HTTP server keeping every checkpoint POSTed to it."""

    def __init__(self, status: int = 201) -> None:
        self.received: list[tuple[str, Any, bytes]] = []  # (path, headers, body)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, self.headers, body))  # names case-insensitive
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/checkpoints/screening"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    started: list[CheckpointReceiver] = []

    def start(status: int = 201) -> CheckpointReceiver:
        started.append(CheckpointReceiver(status))
        return started[-1]

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def trail(make_client, idp, database_url, tmp_path):
    """Six audit rows (not yet sealed: the checkpoint seals them) and a checkpoint of them."""
    client = make_client("screening", wardgate_audit_seal_interval_s=3600)
    _fill(client, idp, 6)
    url = database_url("screening")
    out = tmp_path / "screening.checkpoint.json"
    done = _audit(url, "checkpoint", "screening", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return client, url, out


def test_a_checkpoint_names_the_service_its_rows_and_head(trail):
    _client, url, out = trail
    checkpoint = json.loads(out.read_text())
    assert set(checkpoint) == {"service", "rows", "head_hash", "at"}
    assert checkpoint["service"] == "screening" and checkpoint["rows"] == 6
    assert len(checkpoint["head_hash"]) == 64 and checkpoint["at"].endswith("+00:00")
    untouched = _audit(url, "verify", "screening", "--checkpoint", str(out))
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    assert "checkpoint" in untouched.stdout and "6 rows" in untouched.stdout
    printed = _audit(url, "checkpoint", "screening")  # no --out: the JSON on standard output
    assert printed.returncode == 0, printed.stderr
    again = json.loads(printed.stdout)
    assert (again["rows"], again["head_hash"]) == (6, checkpoint["head_hash"])


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (
            "DELETE FROM audit_seal WHERE seq > 4; DELETE FROM audit_log WHERE id > 4",
            "the newest 2 rows the checkpoint covers (seals 5-6) are missing",
        ),
        (
            "DELETE FROM audit_seal WHERE seq = 6; DELETE FROM audit_log WHERE id = 6",
            "the newest row the checkpoint covers (seal 6) is missing",
        ),
        ("UPDATE audit_log SET actor = 'someone-else' WHERE id = 6", "row 6 was changed"),
    ],
    ids=["newest-two-deleted", "newest-one-deleted", "newest-changed"],
)
def test_verify_against_the_checkpoint_names_what_is_gone(trail, backend, tamper, named):
    _client, url, out = trail
    _unguarded(url, backend, tamper)
    broken = _audit(url, "verify", "screening", "--checkpoint", str(out))
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert named in broken.stdout


def test_a_rewritten_and_rechained_trail_fails_against_the_checkpoint(trail, backend):
    _client, url, out = trail
    # A superuser edits row 3 and rebuilds every seal: the chain itself is intact again.
    _unguarded(
        url, backend, "DELETE FROM audit_seal; UPDATE audit_log SET actor = 'x' WHERE id = 3"
    )
    assert _audit(url, "seal", "screening").returncode == 0
    assert _audit(url, "verify", "screening").returncode == 0  # the chain alone cannot tell
    broken = _audit(url, "verify", "screening", "--checkpoint", str(out))
    assert broken.returncode == 1
    assert "seal 6 does not match the checkpoint" in broken.stdout


def test_rows_cut_and_replaced_by_new_ones_fail_against_the_checkpoint(trail, idp, backend):
    client, url, out = trail
    _unguarded(
        url, backend, "DELETE FROM audit_seal WHERE seq > 3; DELETE FROM audit_log WHERE id > 3"
    )
    _fill(client, idp, 5)  # newer rows take the sealed positions 4.. again
    assert _audit(url, "seal", "screening").returncode == 0
    broken = _audit(url, "verify", "screening", "--checkpoint", str(out))
    assert broken.returncode == 1
    assert "seal 6 does not match the checkpoint" in broken.stdout


def test_rows_appended_after_the_checkpoint_still_verify(trail, idp):
    client, url, out = trail
    _fill(client, idp, 4)
    assert _audit(url, "seal", "screening").returncode == 0
    ok = _audit(url, "verify", "screening", "--checkpoint", str(out))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact (10 rows" in ok.stdout


def test_a_checkpoint_of_another_service_or_a_bad_file_is_refused(trail, tmp_path):
    _client, url, out = trail
    other = _audit(url, "verify", "discharge", "--checkpoint", str(out))
    assert other.returncode != 0 and "screening" in other.stdout + other.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"rows": "many"}')
    bad = _audit(url, "verify", "screening", "--checkpoint", str(garbage))
    assert bad.returncode == 2 and "garbage.json" in bad.stderr


def test_each_new_checkpoint_is_sent_off_box(make_client, idp, database_url, tmp_path, receiver):
    hook = receiver()
    client = make_client("screening", wardgate_audit_seal_interval_s=3600)
    _fill(client, idp, 3)
    url, out = database_url("screening"), tmp_path / "cp.json"
    done = _audit(url, "checkpoint", "screening", "--out", str(out),
                  WARDGATE_AUDIT_CHECKPOINT_URL=hook.url)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    [(path, headers, body)] = hook.received
    assert path == "/checkpoints/screening" and headers["Content-Type"] == "application/json"
    assert json.loads(body) == json.loads(out.read_text())
    assert json.loads(body)["rows"] == 3


@pytest.mark.parametrize("fault", ["refused", "answers-500"])
def test_an_undelivered_checkpoint_is_reported_but_still_written(
    make_client, idp, database_url, tmp_path, receiver, fault
):
    target = (
        f"http://127.0.0.1:{free_port()}/checkpoints"
        if fault == "refused"
        else receiver(status=500).url
    )
    client = make_client("screening", wardgate_audit_seal_interval_s=3600)
    _fill(client, idp, 2)
    url, out = database_url("screening"), Path(tmp_path / "cp.json")
    done = _audit(url, "checkpoint", "screening", "--out", str(out),
                  WARDGATE_AUDIT_CHECKPOINT_URL=target)  # fmt: skip
    assert done.returncode == 1
    assert "not delivered" in done.stderr and target in done.stderr
    assert json.loads(out.read_text())["rows"] == 2
    assert _audit(url, "verify", "screening", "--checkpoint", str(out)).returncode == 0
