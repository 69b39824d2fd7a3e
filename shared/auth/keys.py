"""Verification keys: a JWKS file, a PEM public key, or the local development key pair."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk

DEV_KEY_FILE = "dev-signing-key.pem"
KEY_ALGORITHMS = {"RSA": "RS256", "EC": "ES256"}


class KeyConfigError(RuntimeError):
    """The configured verification keys cannot be used."""


@dataclass(frozen=True)
class VerificationKey:
    """One public key with the single algorithm it may verify."""

    kid: str | None
    algorithm: str
    key: Any


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The RSA public key as a JWK with a thumbprint kid."""
    nums = public_key.public_numbers()
    core = {"e": _b64(nums.e), "kty": "RSA", "n": _b64(nums.n)}
    digest = hashlib.sha256(json.dumps(core, separators=(",", ":")).encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:16]
    return {**core, "kid": kid, "alg": "RS256", "use": "sig"}


def _from_jwk(data: dict[str, Any]) -> VerificationKey:
    kty = data.get("kty")
    if kty not in KEY_ALGORITHMS:
        raise KeyConfigError(f"unsupported key type {kty!r} in JWKS (RSA or EC only)")
    algorithm = KEY_ALGORITHMS[kty]
    if data.get("alg") not in (None, algorithm):
        raise KeyConfigError(f"key {data.get('kid')!r}: alg {data['alg']!r} is not allowed")
    if "d" in data:
        data = {k: v for k, v in data.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}
    return VerificationKey(data.get("kid"), algorithm, jwk.construct(data, algorithm))


def load_jwks(path: Path) -> list[VerificationKey]:
    """Keys from a JWKS JSON file."""
    try:
        doc = json.loads(path.read_text())
        keys = [_from_jwk(k) for k in doc["keys"] if k.get("use", "sig") == "sig"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyConfigError(f"cannot read JWKS file {path}: {exc}") from exc
    if not keys:
        raise KeyConfigError(f"JWKS file {path} has no signing keys")
    return keys


def load_pem(path: Path) -> list[VerificationKey]:
    """The single public key of a PEM file."""
    try:
        public = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise KeyConfigError(f"cannot read public key {path}: {exc}") from exc
    if isinstance(public, rsa.RSAPublicKey):
        algorithm = "RS256"
    elif isinstance(public, ec.EllipticCurvePublicKey):
        algorithm = "ES256"
    else:
        raise KeyConfigError(f"{path}: only RSA and EC keys are accepted")
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return [VerificationKey(None, algorithm, jwk.construct(pem.decode(), algorithm))]


def dev_private_key(data_dir: Path) -> rsa.RSAPrivateKey:
    """The local development signing key, created (mode 600) on first use."""
    path = data_dir / DEV_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
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
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise KeyConfigError(f"{path} is not an RSA private key")
    return loaded


def dev_private_pem(data_dir: Path) -> str:
    """The development private key as PEM text, for minting tokens."""
    key = dev_private_key(data_dir)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def dev_keys(data_dir: Path) -> list[VerificationKey]:
    """The development key pair's public half."""
    data = public_jwk(dev_private_key(data_dir).public_key())
    return [_from_jwk(data)]


def load_keys(
    jwks_file: Path | None, public_key_file: Path | None, data_dir: Path
) -> list[VerificationKey]:
    """Keys in order of precedence: AUTH_JWKS_FILE, AUTH_PUBLIC_KEY_FILE, the dev key."""
    if jwks_file:
        return load_jwks(jwks_file)
    if public_key_file:
        return load_pem(public_key_file)
    return dev_keys(data_dir)
