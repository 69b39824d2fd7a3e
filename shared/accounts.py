"""Local accounts for the web sign-in: a JSON file of argon2 password hashes and roles.

The file (WARDGATE_USERS_FILE, default <data dir>/users.json) is mode 600 and always
replaced atomically; writers take an advisory lock beside it so two `wardgate user`
commands never lose each other's change. Services only read it.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth.roles import ALL_ROLES

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
DEMO_ACCOUNTS = ("nurse", "doctor", "infection_control", "auditor", "admin")
_FILE_VERSION = 1

# OWASP's argon2id setting (19 MiB, 2 passes): the library default's 64 MiB per sign-in
# would push a service past its memory budget under concurrent sign-ins. Hashes carry
# their parameters, so accounts hashed with other settings still verify.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both answers take as long. Made on
    # first use, not at import: one argon2 hash takes 64 MiB, which every service process
    # would otherwise carry as its peak RSS from startup on.
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class Account:
    """One local account (the hash never leaves this module except to the file)."""

    username: str
    roles: tuple[str, ...]
    password_hash: str


def valid_username(username: str) -> bool:
    """True for 1-64 letters, digits and . _ @ - (starting with a letter or digit)."""
    return bool(USERNAME_PATTERN.fullmatch(username))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS or "\x00" in password:
        raise AccountError("the password is too long or contains a NUL character")


def _check_roles(roles: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(roles) - ALL_ROLES)
    if not roles or unknown:
        raise AccountError(
            "unknown role(s): " + ", ".join(unknown) if unknown else "at least one role is needed"
        )
    return tuple(sorted(set(roles)))


class AccountStore:
    """Reads and (for the CLI) writes the users file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: tuple[tuple[int, int], dict[str, Account]] | None = None

    def _read(self) -> dict[str, Account]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._cache and self._cache[0] == stamp:
            return self._cache[1]
        doc = json.loads(self.path.read_text(encoding="utf-8"))
        accounts = {
            name: Account(name, tuple(entry["roles"]), entry["password_hash"])
            for name, entry in doc.get("users", {}).items()
        }
        self._cache = (stamp, accounts)
        return accounts

    def get(self, username: str) -> Account | None:
        """The account, or None."""
        return self._read().get(username)

    def usernames(self) -> list[str]:
        """Every account's username, sorted."""
        return sorted(self._read())

    def verify(self, username: str, password: str) -> Account | None:
        """The account when the password matches; None otherwise (same cost either way)."""
        account = self.get(username) if valid_username(username) else None
        try:
            _hasher.verify(account.password_hash if account else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        return account

    def add(self, username: str, roles: Sequence[str], password: str) -> Account:
        """Create an account; AccountError when it exists or the input is not acceptable."""
        if not valid_username(username):
            raise AccountError("usernames are 1-64 letters, digits and . _ @ -")
        clean_roles = _check_roles(roles)
        _check_password(password)
        with self._locked() as users:
            if username in users:
                raise AccountError(f"user {username!r} already exists")
            users[username] = _entry(clean_roles, _hasher.hash(password))
        return Account(username, clean_roles, users[username]["password_hash"])

    def set_password(self, username: str, password: str) -> None:
        """Replace an account's password; AccountError when there is no such account."""
        _check_password(password)
        with self._locked() as users:
            if username not in users:
                raise AccountError(f"no user {username!r}")
            users[username]["password_hash"] = _hasher.hash(password)
            users[username]["updated_at"] = _now()

    def ensure_demo_accounts(self) -> list[tuple[str, str | None]]:
        """Create the demo accounts that are missing; (username, new password or None)."""
        made: list[tuple[str, str | None]] = []
        with self._locked() as users:
            for role in DEMO_ACCOUNTS:
                if role in users:
                    made.append((role, None))
                    continue
                password = secrets.token_urlsafe(9)
                users[role] = _entry((role,), _hasher.hash(password))
                made.append((role, password))
        return made

    @contextmanager
    def _locked(self) -> Iterator[dict[str, dict[str, Any]]]:
        """The users as a mutable dict under the writers' lock, written back atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            users: dict[str, dict[str, Any]] = {}
            if self.path.exists():
                users = json.loads(self.path.read_text(encoding="utf-8")).get("users", {})
            yield users
            self._write(users)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, users: dict[str, dict[str, Any]]) -> None:
        doc = {"version": _FILE_VERSION, "users": users}
        fd, tmp = tempfile.mkstemp(prefix=".users.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._cache = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _entry(roles: Sequence[str], password_hash: str) -> dict[str, Any]:
    return {
        "roles": list(roles),
        "password_hash": password_hash,
        "created_at": _now(),
        "updated_at": _now(),
    }
