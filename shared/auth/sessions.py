"""Web sessions: short session tokens renewed while the session lives, sign-out, CSRF binding.

A local sign-in starts a session (8 h) in the session store and puts a short token (at most
5 minutes, claim `sid` naming the session) in the session cookie. Any service sharing the
store renews an expired short token while the session lives, and refuses it at once once
the session has ended. A service that does not share the store (another host) still accepts
the short token until it expires, and can never renew it: that is the 5-minute bound.
A session of the hospital IdP (its access token as the cookie) is ended by recording the
token's digest; elsewhere its own lifetime bounds it (keep the IdP's access tokens short).

CSRF tokens of a signed-in caller are an HMAC of the session (its `sid`, or the token's
digest) under the service's UI secret: a token from another session, or an anonymous one,
does not fit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.keys import KeyConfigError, dev_private_pem, public_jwk
from shared.auth.session_store import SessionStore
from shared.auth.tokens import InvalidToken, Principal, TokenExpired, TokenVerifier, mint_token
from shared.settings import WardGateSettings

SESSION_TTL_S = 8 * 3600
MAX_SESSION_TOKEN_TTL_S = 300  # the contract's "everywhere within 5 minutes"
SECRET_FILE = "ui-secret.key"  # noqa: S105 - a file name, not a secret
SESSION_STORE_FILE = "web-sessions.db"
CSRF_HEADER = "X-CSRF-Token"


def ui_secret(settings: WardGateSettings) -> bytes:
    """WARDGATE_UI_SECRET, else a random key kept (mode 600) in the data dir."""
    if settings.wardgate_ui_secret:
        return settings.wardgate_ui_secret.encode()
    path = Path(settings.wardgate_data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic; when another process won the race, keep its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


def session_store_path(settings: WardGateSettings) -> Path:
    """WARDGATE_SESSION_STORE, else web-sessions.db beside the users file."""
    configured = settings.wardgate_session_store
    return configured or settings.users_path().parent / SESSION_STORE_FILE


def session_key(principal: Principal) -> str:
    """What identifies the caller's session: its `sid`, else the token's digest."""
    sid = principal.claims.get("sid")
    if isinstance(sid, str) and sid:
        return "sid:" + sid
    return "tok:" + hashlib.sha256(principal.token.encode()).hexdigest()


class SessionMinter:
    """Signs session tokens: AUTH_LOCAL_SIGNING_KEY_FILE, else the development key."""

    def __init__(self, settings: WardGateSettings, ttl_s: int) -> None:
        self._issuer, self._audience = settings.auth_issuer, settings.auth_audience
        self.ttl_s = ttl_s
        key_file = settings.auth_local_signing_key_file
        if key_file is None:
            self._pem = dev_private_pem(Path(settings.wardgate_data_dir))
        else:
            self._pem = key_file.read_text()
        private = serialization.load_pem_private_key(self._pem.encode(), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise KeyConfigError(f"{key_file}: local sign-in signs with an RSA key only")
        self._kid = public_jwk(private.public_key())["kid"]

    def mint(
        self, sub: str, roles: Sequence[str], *, sid: str, session_exp: float, now: float
    ) -> str:
        """A short token of session `sid`, never outliving the session."""
        ttl = max(1, min(self.ttl_s, int(session_exp - now)))
        extra = {"preferred_username": sub, "sid": sid, "session_exp": int(session_exp)}
        return mint_token(
            self._pem,
            sub=sub,
            roles=roles,
            issuer=self._issuer,
            audience=self._audience,
            ttl_s=ttl,
            kid=self._kid,
            extra=extra,
            now=now,
        )


def local_sign_in_available(settings: WardGateSettings) -> bool:
    """Local accounts work when the service can sign tokens its own verifier accepts."""
    external = settings.auth_jwks_file or settings.auth_public_key_file
    return bool(settings.auth_local_signing_key_file or not external)


class WebSessions:
    """One service's view of the web sessions: start, check, renew, end; CSRF tokens."""

    def __init__(self, settings: WardGateSettings, verifier: TokenVerifier) -> None:
        self.settings = settings
        self.verifier = verifier
        self.store = SessionStore(session_store_path(settings))
        self.clock: Callable[[], float] = verifier.clock
        # Verifiers accept a token `auth_leeway_s` past its exp: that counts within the bound.
        longest = MAX_SESSION_TOKEN_TTL_S - max(0, settings.auth_leeway_s)
        self.token_ttl_s = max(1, min(settings.wardgate_session_token_ttl_s, longest))
        self._minter: SessionMinter | None = None
        self._secret: bytes | None = None
        self._renewed: LRUCache[str, Principal] = LRUCache(maxsize=4096)
        self._lock = threading.Lock()

    @property
    def minter(self) -> SessionMinter:
        """The signer of this service's session tokens (built on first use)."""
        if self._minter is None:
            self._minter = SessionMinter(self.settings, self.token_ttl_s)
        return self._minter

    @property
    def secret(self) -> bytes:
        """The service's UI secret (CSRF tokens, signed cookies)."""
        if self._secret is None:
            self._secret = ui_secret(self.settings)
        return self._secret

    # lifecycle -----------------------------------------------------------------------------
    def start(self, sub: str, roles: Sequence[str]) -> str:
        """A new session for a signed-in account: its first short token."""
        now = self.clock()
        sid = secrets.token_urlsafe(24)
        expires = now + SESSION_TTL_S
        self.store.start("sid:" + sid, sub, now, expires)
        return self.minter.mint(sub, roles, sid=sid, session_exp=expires, now=now)

    def end(self, principal: Principal) -> None:
        """Sign-out: the session is refused from now on wherever the store is shared."""
        exp = float(principal.claims.get("session_exp") or principal.claims["exp"])
        self.store.end(session_key(principal), principal.sub, self.clock(), exp)

    def check(self, principal: Principal) -> Principal:
        """`principal` when its session has not ended; InvalidToken otherwise."""
        has_sid = isinstance(principal.claims.get("sid"), str)
        row = self.store.get(session_key(principal))
        if row is not None and (row.ended_at is not None or row.expires_at <= self.clock()):
            raise InvalidToken("the session has ended (signed out)")
        session_exp = principal.claims.get("session_exp") if has_sid else None
        if isinstance(session_exp, int | float) and session_exp <= self.clock():
            raise InvalidToken("the session has ended")
        return principal

    def from_cookie(self, token: str) -> tuple[Principal, bool]:
        """The session cookie's caller, and whether its token was renewed just now."""
        try:
            return self.check(self.verifier.verify(token)), False
        except TokenExpired as expired:
            return self._renew(token, expired), True

    def _renew(self, token: str, refused: TokenExpired) -> Principal:
        if not local_sign_in_available(self.settings):
            raise refused
        old = self.verifier.verify_expired(token)
        sid = old.claims.get("sid")
        row = self.store.get("sid:" + sid) if isinstance(sid, str) else None
        now = self.clock()
        if row is None or row.ended_at is not None or row.expires_at <= now:
            raise InvalidToken("the session has ended; sign in again")
        assert isinstance(sid, str)
        with self._lock:
            cached = self._renewed.get(sid)
        if cached is not None and cached.claims["exp"] - 30 > now:
            return cached
        # Roles come from the account as it is now: a removed account's session stops here.
        # (Imported here: shared.accounts imports shared.auth.roles, so not at the top.)
        from shared.accounts import AccountStore

        account = AccountStore(self.settings.users_path()).get(old.sub)
        if account is None:
            raise InvalidToken("the account of this session no longer exists")
        fresh = self.minter.mint(
            account.username, account.roles, sid=sid, session_exp=row.expires_at, now=now
        )
        principal = self.verifier.verify(fresh)
        with self._lock:
            self._renewed[sid] = principal
        return principal

    def seconds_left(self, principal: Principal) -> int:
        """Seconds until the session (not its short token) ends: the cookie's Max-Age."""
        end = principal.claims.get("session_exp") or principal.claims["exp"]
        return max(0, min(SESSION_TTL_S, int(float(end) - self.clock())))

    # CSRF ----------------------------------------------------------------------------------
    def csrf_token(self, service: str, principal: Principal) -> str:
        """The CSRF token of this session on `service`."""
        return _mac(self.secret, f"csrf:{service}:session", session_key(principal))

    def csrf_valid(self, service: str, principal: Principal, token: object) -> bool:
        """True when `token` was made for this caller's session on `service`."""
        if not isinstance(token, str) or not token or len(token) > 200:
            return False
        return hmac.compare_digest(self.csrf_token(service, principal), token)


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}\n{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


_create_lock = threading.Lock()


def web_sessions(app: Any) -> WebSessions:
    """The app's `WebSessions` (made on first use, after the lifespan built the verifier)."""
    found: WebSessions | None = getattr(app.state, "web_sessions", None)
    if found is None:
        with _create_lock:
            found = getattr(app.state, "web_sessions", None)
            if found is None:
                found = WebSessions(app.state.settings, app.state.verifier)
                app.state.web_sessions = found
    return found
