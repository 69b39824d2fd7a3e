"""Sign-in throttling, per account and per client address, across every service.

Failures are kept in the session store every service shares (`shared.auth.session_store`),
so a lock on one service holds on the others. Three rules, each over a sliding window
(WARDGATE_SIGN_IN_LOCKOUT_S, at most 15 minutes):

- one account from one address: after `pair` failures, that pair is held;
- one address, any accounts (password spraying): after `address` failures, it is held;
- one account from many addresses: after `account` failures, addresses that have failed on
  it within the window are held, while addresses with no failure on it may still try.

A held attempt is refused before the password is checked and is not counted, so a hold ends
at most one window after the failure that caused it: an attacker cannot extend it, and their
failures never hold the account for someone at an address that has not failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shared.auth.session_store import RecentFailures
from shared.auth.sessions import WebSessions
from shared.settings import WardGateSettings

MAX_WINDOW_S = 15 * 60


@dataclass(frozen=True)
class ThrottleLimits:
    """How many failures within `window_s` hold a sign-in."""

    pair: int = 5
    address: int = 20
    account: int = 20
    window_s: float = MAX_WINDOW_S

    @classmethod
    def from_settings(cls, settings: WardGateSettings) -> ThrottleLimits:
        """The limits an operator set (the window is capped at 15 minutes)."""
        return cls(
            pair=max(1, settings.wardgate_sign_in_max_failures),
            address=max(1, settings.wardgate_sign_in_address_max_failures),
            account=max(1, settings.wardgate_sign_in_account_max_failures),
            window_s=min(MAX_WINDOW_S, max(1, settings.wardgate_sign_in_lockout_s)),
        )


@dataclass(frozen=True)
class Hold:
    """A sign-in refused for now: which rule, and for how many more seconds."""

    code: str  # "locked_out" (this account) or "address_throttled" (this address)
    retry_after_s: int


def hold_for(recent: RecentFailures, limits: ThrottleLimits, now: float) -> Hold | None:
    """The rule: the hold these recent failures impose at `now`, or None."""

    def until(failures: list[float], limit: int) -> float | None:
        # The limit-th newest failure leaves the window at `at + window`.
        return failures[limit - 1] + limits.window_s if len(failures) >= limit else None

    def hold(code: str, end: float) -> Hold:
        return Hold(code, max(1, math.ceil(end - now)))

    pair_end = until(recent.pair, limits.pair)
    if pair_end is not None and pair_end > now:
        return hold("locked_out", pair_end)
    address_end = until(recent.address, limits.address)
    if address_end is not None and address_end > now:
        return hold("address_throttled", address_end)
    if recent.account >= limits.account and recent.pair:
        return hold("locked_out", recent.pair[0] + limits.window_s)
    return None


def _account_key(username: str) -> str:
    return username.strip().casefold()[:128]


class SignInThrottle:
    """Asks and updates the shared failure counts for one sign-in attempt."""

    def __init__(self, sessions: WebSessions, limits: ThrottleLimits) -> None:
        self._sessions = sessions
        self.limits = limits

    def _recent(self, account: str, address: str, now: float) -> RecentFailures:
        return self._sessions.store.recent_failures(
            account,
            address[:64],
            now - self.limits.window_s,
            self.limits.pair,
            self.limits.address,
        )

    def held(self, username: str, address: str) -> Hold | None:
        """The hold on this attempt before the password is checked, or None."""
        now = self._sessions.clock()
        return hold_for(self._recent(_account_key(username), address, now), self.limits, now)

    def failed(self, username: str, address: str) -> Hold | None:
        """Count a failure; the hold it brings about (if any)."""
        account, now = _account_key(username), self._sessions.clock()
        self._sessions.store.record_failure(account, address[:64], now, now - self.limits.window_s)
        return hold_for(self._recent(account, address, now), self.limits, now)

    def succeeded(self, username: str, address: str) -> None:
        """A successful sign-in forgets this account's failures from this address."""
        self._sessions.store.clear_failures(_account_key(username), address[:64])
