"""A test identity provider: an RSA key pair published as a JWKS file, and token minting."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import mint_token
from shared.auth.keys import public_jwk

ISSUER = "https://idp.test/realms/hospital"
AUDIENCE = "wardgate-test"


@dataclass
class TestIdp:
    """Signs tokens the services under test trust (via AUTH_JWKS_FILE)."""

    __test__ = False

    private_pem: str
    kid: str
    jwks_file: Path

    def token(self, *roles: str, sub: str = "tester", ttl_s: int = 600, **claims: Any) -> str:
        """A valid token with `roles`."""
        return mint_token(
            self.private_pem,
            sub=sub,
            roles=roles,
            issuer=ISSUER,
            audience=AUDIENCE,
            ttl_s=ttl_s,
            kid=self.kid,
            extra=claims,
        )

    def headers(self, *roles: str, sub: str | None = None) -> dict[str, str]:
        """Authorization header for a caller with `roles`."""
        return {"Authorization": f"Bearer {self.token(*roles, sub=sub or '-'.join(roles))}"}


def make_idp(directory: Path) -> TestIdp:
    """A fresh key pair and its JWKS file in `directory`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk = public_jwk(key.public_key())
    jwks_file = directory / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [jwk]}))
    return TestIdp(private_pem=pem, kid=jwk["kid"], jwks_file=jwks_file)


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWS uses."""
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_raw(private_pem: str, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """An RS256 JWS over exactly these header and claims (for crafting bad tokens)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)
