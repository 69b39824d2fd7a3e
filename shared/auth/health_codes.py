"""Health codes: compact JWS payloads (the text of a health-code QR), issued and verified.

A payload is a compact JWS, ES256 or RS256 only, whose claims are `{colour: green|yellow|red,
name_masked, id_last4?, exp}`. Keys come from a JWKS file (`WARDGATE_HEALTH_CODE_KEYS`) or
the development health-code key, an EC P-256 key pair of its own kept in `WARDGATE_DATA_DIR`
(created on first use, mode 600, never committed; not the token-signing key). As for tokens:
explicit algorithms, the key chosen by `kid`, `jku`/`jwk`/`x5u`/`x5c` headers refused, and a
bound on the payload's size. Signature first, expiry after: a forged code is never "expired".
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jws
from jose.exceptions import JOSEError

from shared.auth.keys import KeyConfigError, VerificationKey, load_jwks

DEV_HEALTH_CODE_KEY_FILE = "dev-health-code-key.pem"
# A QR code holds at most 2,953 bytes; anything longer was never a health code.
MAX_PAYLOAD_CHARS = 2953
ALLOWED_ALGORITHMS = frozenset({"ES256", "RS256"})
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c"})
COLOURS = ("green", "yellow", "red")
ID_LAST4 = re.compile(r"^[0-9]{3}[0-9Xx]$")
MAX_NAME_CHARS = 200

# Why a payload is not a valid health code.
BAD_SIGNATURE = "bad_signature"
EXPIRED = "expired"
UNKNOWN_KEY = "unknown_key"
MALFORMED = "malformed"
INVALID_REASONS = (BAD_SIGNATURE, EXPIRED, UNKNOWN_KEY, MALFORMED)


@dataclass(frozen=True)
class ValidHealthCode:
    """A health code whose signature and expiry hold."""

    colour: str
    name_masked: str
    id_last4: str | None
    valid_until: datetime


@dataclass(frozen=True)
class InvalidHealthCode:
    """A payload that must not be trusted; `reason` is one of INVALID_REASONS."""

    reason: str


HealthCodeCheck = ValidHealthCode | InvalidHealthCode


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _public_jwk(public: ec.EllipticCurvePublicKey) -> dict[str, str]:
    nums = public.public_numbers()
    core = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64(nums.x.to_bytes(32, "big")),
        "y": _b64(nums.y.to_bytes(32, "big")),
    }
    digest = hashlib.sha256(json.dumps(core, separators=(",", ":")).encode()).digest()
    return {**core, "kid": "hc-" + _b64(digest)[:13], "alg": "ES256", "use": "sig"}


def _create_dev_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, path)


@dataclass(frozen=True)
class SigningKey:
    """A private key that issues health codes, with its algorithm and kid."""

    pem: str
    algorithm: str
    kid: str
    public_jwk: dict[str, str]


def dev_signing_key(data_dir: Path) -> SigningKey:
    """The development health-code key (EC P-256), created in `data_dir` on first use."""
    path = Path(data_dir) / DEV_HEALTH_CODE_KEY_FILE
    if not path.exists():
        _create_dev_key(path)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise KeyConfigError(f"{path} is not an EC private key")
    public = _public_jwk(loaded.public_key())
    pem = loaded.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return SigningKey(pem, "ES256", public["kid"], public)


def health_code_keys(keys_file: Path | None, data_dir: Path) -> list[VerificationKey]:
    """Verification keys: the JWKS file `WARDGATE_HEALTH_CODE_KEYS`, else the dev key."""
    if keys_file:
        return load_jwks(Path(keys_file))
    public = dev_signing_key(data_dir).public_jwk
    return [VerificationKey(public["kid"], "ES256", jwk.construct(public, "ES256"))]


def issue_health_code(
    key: SigningKey,
    *,
    colour: str,
    name_masked: str,
    id_last4: str | None = None,
    ttl_s: int = 86400,
    now: float | None = None,
) -> str:
    """A signed health-code payload (development, demos and tests)."""
    if colour not in COLOURS:
        raise ValueError(f"colour must be one of {', '.join(COLOURS)}")
    if id_last4 is not None and not ID_LAST4.match(id_last4):
        raise ValueError("id_last4 must be the last four characters of an identity number")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"colour": colour, "name_masked": name_masked, "exp": issued + ttl_s}
    if id_last4 is not None:
        claims["id_last4"] = id_last4
    headers = {"kid": key.kid, "typ": "JWT"}
    return str(jws.sign(claims, key.pem, headers=headers, algorithm=key.algorithm))


def _header(payload: str) -> dict[str, Any] | None:
    try:
        header = jws.get_unverified_header(payload)
    except JOSEError:
        return None
    return header if isinstance(header, dict) else None


def _candidates(
    header: dict[str, Any], keys: list[VerificationKey]
) -> list[VerificationKey] | InvalidHealthCode:
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS or FORBIDDEN_HEADERS.intersection(header):
        return InvalidHealthCode(BAD_SIGNATURE)
    kid = header.get("kid")
    if kid is not None:
        chosen = [k for k in keys if k.kid == kid]
        if not chosen:
            return InvalidHealthCode(UNKNOWN_KEY)
    else:
        chosen = list(keys)
    matching = [k for k in chosen if k.algorithm == alg]
    return matching or InvalidHealthCode(UNKNOWN_KEY)


def _signed_claims(payload: str, keys: list[VerificationKey]) -> bytes | InvalidHealthCode:
    header = _header(payload)
    if header is None:
        return InvalidHealthCode(MALFORMED)
    candidates = _candidates(header, keys)
    if isinstance(candidates, InvalidHealthCode):
        return candidates
    for key in candidates:
        try:
            return bytes(jws.verify(payload, key.key, algorithms=[key.algorithm]))
        except JOSEError:
            continue
    return InvalidHealthCode(BAD_SIGNATURE)


def _claims(raw: bytes) -> dict[str, Any] | None:
    try:
        claims = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(claims, dict):
        return None
    exp, name, last4 = claims.get("exp"), claims.get("name_masked"), claims.get("id_last4")
    well_formed = (
        claims.get("colour") in COLOURS
        and isinstance(exp, int | float)
        and not isinstance(exp, bool)
        and isinstance(name, str)
        and 0 < len(name) <= MAX_NAME_CHARS
        and (last4 is None or (isinstance(last4, str) and ID_LAST4.match(last4) is not None))
    )
    return claims if well_formed else None


def verify_health_code(
    payload: str, keys: list[VerificationKey], now: datetime | None = None
) -> HealthCodeCheck:
    """Valid (colour, masked name, id_last4, valid until) or invalid (why)."""
    text = payload.strip()
    if not text or len(text) > MAX_PAYLOAD_CHARS or text.count(".") != 2:
        return InvalidHealthCode(MALFORMED)
    raw = _signed_claims(text, keys)
    if isinstance(raw, InvalidHealthCode):
        return raw
    claims = _claims(raw)
    if claims is None:
        return InvalidHealthCode(MALFORMED)
    try:
        valid_until = datetime.fromtimestamp(float(claims["exp"]), UTC)
    except (OverflowError, OSError, ValueError):
        return InvalidHealthCode(MALFORMED)
    if valid_until <= (now or datetime.now(UTC)):
        return InvalidHealthCode(EXPIRED)
    return ValidHealthCode(
        colour=claims["colour"],
        name_masked=claims["name_masked"],
        id_last4=claims.get("id_last4"),
        valid_until=valid_until,
    )
