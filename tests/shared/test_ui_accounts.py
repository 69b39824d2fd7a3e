"""Local accounts: the users file, its CLI, and the sign-in lockout rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shared.accounts import DEMO_ACCOUNTS, AccountError, AccountStore
from shared.web.ui.security import SignInLockout


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


def _wardgate(*args: str, data_dir, stdin: str = ""):
    env = {**os.environ, "WARDGATE_DATA_DIR": str(data_dir)}
    env.pop("WARDGATE_USERS_FILE", None)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_user_commands_add_and_change_accounts(tmp_path):
    added = _wardgate(
        "user",
        "add",
        "--username",
        "zhao",
        "--role",
        "nurse",
        "--role",
        "doctor",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="first-password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "first-password" not in added.stdout + added.stderr
    store = AccountStore(tmp_path / "users.json")
    assert store.verify("zhao", "first-password").roles == ("doctor", "nurse")

    changed = _wardgate(
        "user",
        "passwd",
        "--username",
        "zhao",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="second-password\n",
    )
    assert changed.returncode == 0, changed.stderr
    assert store.verify("zhao", "second-password") is not None

    twice = _wardgate(
        "user",
        "add",
        "--username",
        "zhao",
        "--role",
        "nurse",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="third-password\n",
    )
    assert twice.returncode == 1 and "already exists" in twice.stderr
    unknown = _wardgate(
        "user",
        "passwd",
        "--username",
        "qian",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="third-password\n",
    )
    assert unknown.returncode == 1 and "no user" in unknown.stderr
    bad_role = _wardgate(
        "user",
        "add",
        "--username",
        "sun",
        "--role",
        "surgeon",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="third-password\n",
    )
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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
def test_lockout_rule(failures, minutes_later, locked):
    clock = Clock()
    lockout = SignInLockout(clock=clock)
    for _ in range(failures):
        lockout.failed("nurse")
    clock.now += minutes_later * 60
    assert lockout.locked("NURSE ") is locked
    assert not lockout.locked("doctor")


def test_failures_spread_over_more_than_15_minutes_do_not_lock():
    clock = Clock()
    lockout = SignInLockout(clock=clock)
    for _ in range(4):
        lockout.failed("nurse")
    clock.now += 16 * 60
    assert lockout.failed("nurse") is False
    assert not lockout.locked("nurse")


def test_a_success_clears_the_count_and_an_expired_lock_starts_afresh():
    clock = Clock()
    lockout = SignInLockout(clock=clock)
    for _ in range(4):
        lockout.failed("nurse")
    lockout.succeeded("nurse")
    assert lockout.failed("nurse") is False
    for _ in range(4):
        lockout.failed("nurse")
    assert lockout.locked("nurse")
    clock.now += 15 * 60 + 1
    assert lockout.failed("nurse") is False  # first failure of a new count


def test_the_lockout_table_stays_bounded():
    lockout = SignInLockout(capacity=100)
    for i in range(1000):
        lockout.failed(f"user-{i}")
    assert len(lockout._state) == 100
