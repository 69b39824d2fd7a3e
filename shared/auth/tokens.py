"""Token verification: RS256/ES256 only, every claim required, verified tokens cached."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError

from shared.auth.keys import VerificationKey, dev_private_pem, public_jwk

MAX_TOKEN_BYTES = 8 * 1024
ALLOWED_ALGORITHMS = frozenset({"RS256", "ES256"})
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c"})
REQUIRED_CLAIMS = ("exp", "sub", "iss", "aud")


class InvalidToken(Exception):
    """The token must not be trusted; the message says why (never echoed with the token)."""


class TokenExpired(InvalidToken):
    """A token that was valid but has expired (a web session may renew it)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and roles."""

    sub: str
    roles: frozenset[str]
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    token: str = field(default="", repr=False, compare=False, hash=False)

    def has_any(self, roles: Iterable[str]) -> bool:
        """True when the caller holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)


def roles_from_claims(claims: dict[str, Any]) -> frozenset[str]:
    """Roles from `roles` or Keycloak's `realm_access.roles`; anything else is ignored."""
    found: set[str] = set()
    direct = claims.get("roles")
    realm = claims.get("realm_access")
    nested = realm.get("roles") if isinstance(realm, dict) else None
    for source in (direct, nested):
        if isinstance(source, list):
            found.update(r for r in source if isinstance(r, str))
    return frozenset(found)


class TokenVerifier:
    """Verifies bearer tokens against fixed keys, issuer and audience."""

    def __init__(
        self,
        keys: Sequence[VerificationKey],
        *,
        issuer: str,
        audience: str,
        leeway_s: int = 30,
        cache_size: int = 4096,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # Read at each call (not bound here) so a test may move time for every verifier.
        self.clock: Callable[[], float] = clock or (lambda: time.time())
        self._keys = list(keys)
        self._by_kid = {k.kid: k for k in self._keys if k.kid}
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s
        self._cache: LRUCache[str, Principal] | None = (
            LRUCache(maxsize=cache_size) if cache_size > 0 else None
        )
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        """The token's principal, or InvalidToken."""
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("token too large")
        if self._cache is None:
            return self._verify_uncached(token)
        with self._lock:
            cached = self._cache.get(token)
        if cached is not None:
            if cached.claims["exp"] + self._leeway >= self.clock():
                return cached
            with self._lock:
                self._cache.pop(token, None)
            raise TokenExpired("token expired")
        principal = self._verify_uncached(token)
        with self._lock:
            self._cache[token] = principal
        return principal

    def verify_expired(self, token: str) -> Principal:
        """Every check of `verify` but expiry: only to renew a live web session's token."""
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("token too large")
        return self._verify_uncached(token, check_exp=False)

    def _candidate_keys(self, header: dict[str, Any]) -> list[VerificationKey]:
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"algorithm {alg!r} is not accepted")
        if FORBIDDEN_HEADERS.intersection(header):
            raise InvalidToken("embedded or remote key headers are refused")
        kid = header.get("kid")
        if kid is not None:
            key = self._by_kid.get(kid)
            if key is None:
                raise InvalidToken("unknown key id")
            candidates = [key]
        else:
            candidates = self._keys
        matching = [k for k in candidates if k.algorithm == alg]
        if not matching:
            raise InvalidToken("no key for this algorithm")
        return matching

    def _verify_uncached(self, token: str, *, check_exp: bool = True) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise InvalidToken("malformed token") from exc
        last_error: Exception = InvalidToken("signature verification failed")
        for key in self._candidate_keys(header):
            try:
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[key.algorithm],
                    audience=self._audience,
                    issuer=self._issuer,
                    options=_DECODE_OPTIONS | {"leeway": self._leeway, "verify_exp": check_exp},
                )
            except ExpiredSignatureError as exc:
                raise TokenExpired("token expired") from exc
            except JOSEError as exc:
                last_error = exc
                continue
            principal = _principal(claims, token, self._audience)
            # python-jose reads the system clock; the verifier's own clock is checked too.
            if check_exp and claims["exp"] + self._leeway < self.clock():
                raise TokenExpired("token expired")
            return principal
        raise InvalidToken(str(last_error) or "invalid token") from last_error


_DECODE_OPTIONS: dict[str, Any] = {
    "verify_signature": True,
    "verify_aud": True,
    "verify_iat": True,
    "verify_exp": True,
    "verify_nbf": True,
    "verify_iss": True,
    "verify_sub": True,
    "verify_jti": True,
    "verify_at_hash": False,
    "require_aud": True,
    "require_iat": False,
    "require_exp": True,
    "require_nbf": False,
    "require_iss": True,
    "require_sub": True,
    "require_jti": False,
    "require_at_hash": False,
}


def _principal(claims: dict[str, Any], token: str, audience: str) -> Principal:
    # Belt and braces over python-jose: each required claim present and well typed.
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise InvalidToken(f"claim {name!r} is required")
    if not isinstance(claims["exp"], int | float) or isinstance(claims["exp"], bool):
        raise InvalidToken("claim 'exp' must be a number")
    aud = claims["aud"]
    if audience not in (aud if isinstance(aud, list) else [aud]):
        raise InvalidToken("wrong audience")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub or len(sub) > 200:
        raise InvalidToken("claim 'sub' must be a non-empty string")
    return Principal(sub=sub, roles=roles_from_claims(claims), claims=claims, token=token)


def mint_token(
    private_pem: str,
    *,
    sub: str,
    roles: Sequence[str],
    issuer: str,
    audience: str,
    ttl_s: int = 3600,
    kid: str | None = None,
    extra: dict[str, Any] | None = None,
    now: float | None = None,
) -> str:
    """A signed RS256 token (development and tests; production tokens come from the IdP)."""
    now = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": list(roles),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_s,
    }
    claims.update(extra or {})
    headers = {"kid": kid} if kid else None
    return str(jwt.encode(claims, private_pem, algorithm="RS256", headers=headers))


def mint_dev_token(data_dir: Path | str, **kwargs: Any) -> str:
    """A token signed with the local development key (kid set to its thumbprint)."""
    from cryptography.hazmat.primitives import serialization

    pem = dev_private_pem(Path(data_dir))
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    kid = public_jwk(private.public_key()).get("kid")  # type: ignore[arg-type]
    return mint_token(pem, kid=kid, **kwargs)


WORKER_TOKEN_TTL_S = 300
# A minted worker token is reused until this close to its expiry: minting loads and checks the
# RSA key (tens of ms on the event loop), which a worker polling every 2 s must not pay each time.
_WORKER_TOKEN_RENEW_S = 60
_worker_tokens: dict[tuple[str, ...], tuple[str, float]] = {}


def worker_credential(settings: Any, subject: str, role: str) -> str | None:
    """A background worker's token for another service: `WARDGATE_SERVICE_TOKEN` when set;
    else, only while the services trust the development key (no AUTH_JWKS_FILE and no
    AUTH_PUBLIC_KEY_FILE), a 5-minute development-key token for `subject` with `role` (minted
    again a minute before it expires); else None (a development-key token would be refused)."""
    if settings.wardgate_service_token:
        return str(settings.wardgate_service_token)
    if settings.auth_jwks_file or settings.auth_public_key_file:
        return None
    key = (
        str(settings.wardgate_data_dir),
        subject,
        role,
        str(settings.auth_issuer),
        str(settings.auth_audience),
    )
    now = time.time()
    cached = _worker_tokens.get(key)
    if cached is not None and cached[1] - now > _WORKER_TOKEN_RENEW_S:
        return cached[0]
    token = mint_dev_token(
        settings.wardgate_data_dir,
        sub=subject,
        roles=[role],
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        ttl_s=WORKER_TOKEN_TTL_S,
        now=now,
    )
    _worker_tokens[key] = (token, now + WORKER_TOKEN_TTL_S)
    return token
