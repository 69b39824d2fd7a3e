"""Local accounts: the users file, its CLI, and the sign-in lockout rule."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from types import SimpleNamespace

import pytest

from shared import cli
from shared.accounts import DEMO_ACCOUNTS, AccountError, AccountStore
from shared.auth.session_store import SessionStore
from shared.settings import WardGateSettings
from shared.web.ui.throttle import SignInThrottle, ThrottleLimits


def test_accounts_are_stored_with_argon2_hashes_in_a_private_file(tmp_path):
    store = AccountStore(tmp_path / "data" / "users.json")
    store.add("wang.fang", ["nurse", "doctor"], "correct horse")
    assert (store.path.stat().st_mode & 0o777) == 0o600
    doc = json.loads(store.path.read_text())
    entry = doc["users"]["wang.fang"]
    assert entry["roles"] == ["doctor", "nurse"]
    assert entry["password_hash"].startswith("$argon2id$")
    assert "correct horse" not in store.path.read_text()
    assert store.verify("wang.fang", "correct horse").roles == ("doctor", "nurse")
    assert store.verify("wang.fang", "Correct horse") is None
    assert store.verify("nobody", "correct horse") is None
    leftovers = {p.name for p in store.path.parent.iterdir()}
    assert leftovers == {"users.json", "users.json.lock"}  # no half-written temp files


def test_a_new_password_replaces_the_old_one(tmp_path):
    store = AccountStore(tmp_path / "users.json")
    store.add("li", ["auditor"], "first-password")
    store.set_password("li", "second-password")
    assert store.verify("li", "first-password") is None
    assert store.verify("li", "second-password") is not None


@pytest.mark.parametrize(
    ("username", "roles", "password", "why"),
    [
        ("li", ["nurse"], "short", "at least 8"),
        ("li", ["surgeon"], "long-enough", "unknown role"),
        ("li", [], "long-enough", "at least one role"),
        ("bad name", ["nurse"], "long-enough", "usernames are"),
        ("x" * 65, ["nurse"], "long-enough", "usernames are"),
        ("li", ["nurse"], "nul\x00byte-password", "NUL"),
    ],
)
def test_unacceptable_accounts_are_refused(tmp_path, username, roles, password, why):
    store = AccountStore(tmp_path / "users.json")
    with pytest.raises(AccountError, match=why):
        store.add(username, roles, password)
    assert not store.path.exists()


def test_an_existing_account_is_not_overwritten(tmp_path):
    store = AccountStore(tmp_path / "users.json")
    store.add("li", ["nurse"], "first-password")
    with pytest.raises(AccountError, match="already exists"):
        store.add("li", ["admin"], "other-password")
    with pytest.raises(AccountError, match="no user"):
        store.set_password("zhang", "other-password")
    assert store.get("li").roles == ("nurse",)


def test_demo_accounts_are_created_once_and_never_reset(tmp_path):
    store = AccountStore(tmp_path / "users.json")
    store.add("nurse", ["nurse"], "my-own-password")
    made = dict(store.ensure_demo_accounts())
    assert set(made) == set(DEMO_ACCOUNTS)
    assert made["nurse"] is None  # already there: left alone
    assert store.verify("nurse", "my-own-password") is not None
    assert store.verify("auditor", made["auditor"]).roles == ("auditor",)
    again = dict(store.ensure_demo_accounts())
    assert all(password is None for password in again.values())


def test_the_user_add_command_reads_the_password_from_stdin(tmp_path):
    env = {**os.environ, "WARDGATE_DATA_DIR": str(tmp_path)}
    env.pop("WARDGATE_USERS_FILE", None)
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "user",
            "add",
            "--username",
            "zhao",
            "--role",
            "nurse",
            "--role",
            "doctor",
            "--password-stdin",
        ],
        input="first-password\n",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    assert "first-password" not in added.stdout + added.stderr
    store = AccountStore(tmp_path / "users.json")
    assert store.verify("zhao", "first-password").roles == ("doctor", "nurse")


@pytest.fixture
def wardgate(tmp_path, monkeypatch, capsys):
    """`wardgate(*args, stdin=...)`: the CLI in-process -> (exit code, stdout, stderr)."""
    monkeypatch.setenv("WARDGATE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("WARDGATE_USERS_FILE", raising=False)

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse refusals
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_the_user_commands_change_passwords_and_refuse_mistakes(wardgate, tmp_path):
    store = AccountStore(tmp_path / "users.json")
    add = ("user", "add", "--username", "zhao", "--role", "nurse", "--password-stdin")
    assert wardgate(*add, stdin="first-password\n")[0] == 0
    passwd = ("user", "passwd", "--username", "zhao", "--password-stdin")
    assert wardgate(*passwd, stdin="second-password\n")[0] == 0
    assert store.verify("zhao", "second-password") is not None

    code, _, err = wardgate(*add, stdin="third-password\n")
    assert code == 1 and "already exists" in err
    code, _, err = wardgate("user", "passwd", "--username", "qian", "--password-stdin")
    assert code == 1 and "no user" in err
    code, _, err = wardgate(*passwd, stdin="short\n")
    assert code == 1 and "at least 8" in err
    code, _, err = wardgate("user", "add", "--username", "sun", "--role", "surgeon")
    assert code == 2 and "invalid choice" in err
    assert store.usernames() == ["zhao"]


class Clock:
    """A hand-moved clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_throttle(tmp_path, clock: Clock) -> SignInThrottle:
    """The sign-in throttle over a real session store, at one client address."""
    sessions = SimpleNamespace(store=SessionStore(tmp_path / "web-sessions.db"), clock=clock)
    return SignInThrottle(sessions, ThrottleLimits())  # type: ignore[arg-type]


ADDRESS = "10.0.0.1"


@pytest.mark.parametrize(
    ("failures", "minutes_later", "locked"),
    [
        (4, 0, False),  # four failures: still allowed
        (5, 0, True),  # the fifth locks
        (5, 14.9, True),  # for 15 minutes
        (5, 15.1, False),  # and no longer
        (6, 0, True),
    ],
)
def test_lockout_rule(tmp_path, failures, minutes_later, locked):
    clock = Clock()
    lockout = make_throttle(tmp_path, clock)
    for _ in range(failures):
        lockout.failed("nurse", ADDRESS)
    clock.now += minutes_later * 60
    assert (lockout.held("NURSE ", ADDRESS) is not None) is locked
    assert lockout.held("doctor", ADDRESS) is None


def test_failures_spread_over_more_than_15_minutes_do_not_lock(tmp_path):
    clock = Clock()
    lockout = make_throttle(tmp_path, clock)
    for _ in range(4):
        lockout.failed("nurse", ADDRESS)
    clock.now += 16 * 60
    assert lockout.failed("nurse", ADDRESS) is None
    assert lockout.held("nurse", ADDRESS) is None


def test_a_success_clears_the_count_and_an_expired_lock_starts_afresh(tmp_path):
    clock = Clock()
    lockout = make_throttle(tmp_path, clock)
    for _ in range(4):
        lockout.failed("nurse", ADDRESS)
    lockout.succeeded("nurse", ADDRESS)
    assert lockout.failed("nurse", ADDRESS) is None
    for _ in range(4):
        lockout.failed("nurse", ADDRESS)
    assert lockout.held("nurse", ADDRESS) is not None
    clock.now += 15 * 60 + 1
    assert lockout.failed("nurse", ADDRESS) is None  # first failure of a new count


def test_the_failure_store_forgets_what_left_the_window(tmp_path):
    clock = Clock()
    lockout = make_throttle(tmp_path, clock)
    for i in range(1000):
        lockout.failed(f"user-{i}", f"192.0.2.{i % 250}")
    clock.now += 15 * 60 + 1
    lockout.failed("nurse", ADDRESS)
    with sqlite3.connect(tmp_path / "web-sessions.db") as conn:
        assert conn.execute("SELECT count(*) FROM sign_in_failures").fetchone() == (1,)


def test_run_prints_the_demo_accounts_and_where_to_sign_in(tmp_path, capsys):
    settings = WardGateSettings(
        wardgate_data_dir=tmp_path, wardgate_discharge_public_url="http://ward.example/discharge"
    )
    cli._print_web_sign_in(settings)
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8002/ui/" in out and "http://ward.example/discharge/ui/" in out
    printed = dict(re.findall(r"^  (\w+) +(\S+)$", out, flags=re.MULTILINE))
    store = AccountStore(tmp_path / "users.json")
    for username in DEMO_ACCOUNTS:
        assert store.verify(username, printed[username]).roles == (username,)
    cli._print_web_sign_in(settings)
    assert "exists; change with: wardgate user passwd --username nurse" in capsys.readouterr().out
