"""Every forged or unacceptable token is a 401 problem on every service."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.keys import AUDIENCE, ISSUER, TestIdp, b64url, make_idp, sign_raw

SERVICES = ("appointments", "screening", "discharge")


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "mallory",
        "roles": ["admin"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _forgeries(idp: TestIdp, tmp_path: Any) -> dict[str, str]:
    header = {"alg": "RS256", "typ": "JWT", "kid": idp.kid}
    good = sign_raw(idp.private_pem, header, _claims())
    h, p, s = good.split(".")
    now = int(time.time())
    public_pem = json.dumps(json.loads(idp.jwks_file.read_text())["keys"][0])
    hs_input = b64url(json.dumps({"alg": "HS256", "kid": idp.kid}).encode()) + "." + p
    hs_sig = hmac.new(public_pem.encode(), hs_input.encode(), hashlib.sha256).digest()
    foreign = make_idp(tmp_path)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    from cryptography.hazmat.primitives import hashes

    es_input = b64url(json.dumps({"alg": "ES256", "kid": idp.kid}).encode()) + "." + p
    es_sig = ec_key.sign(es_input.encode(), ec.ECDSA(hashes.SHA256()))
    del ec_pem
    return {
        "alg_none": b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + p + ".",
        "hs256_with_public_key": hs_input + "." + b64url(hs_sig),
        "es256_against_rsa_key": es_input + "." + b64url(es_sig),
        "tampered_payload": h + "." + b64url(json.dumps(_claims(sub="root")).encode()) + "." + s,
        "foreign_key_same_kid": sign_raw(foreign.private_pem, header, _claims()),
        "expired": sign_raw(idp.private_pem, header, _claims(exp=now - 3600, iat=now - 7200)),
        "no_exp": sign_raw(idp.private_pem, header, _claims(exp=None)),
        "future_nbf": sign_raw(idp.private_pem, header, _claims(nbf=now + 3600)),
        "wrong_aud": sign_raw(idp.private_pem, header, _claims(aud="other-app")),
        "missing_aud": sign_raw(idp.private_pem, header, _claims(aud=None)),
        "wrong_iss": sign_raw(idp.private_pem, header, _claims(iss="https://evil.test")),
        "missing_iss": sign_raw(idp.private_pem, header, _claims(iss=None)),
        "missing_sub": sign_raw(idp.private_pem, header, _claims(sub=None)),
        "unknown_kid": sign_raw(idp.private_pem, {**header, "kid": "nope"}, _claims()),
        "jku_header": sign_raw(
            idp.private_pem, {**header, "jku": "https://evil.test/jwks"}, _claims()
        ),
        "embedded_jwk": sign_raw(
            idp.private_pem, {**header, "jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}}, _claims()
        ),
        "oversized": sign_raw(idp.private_pem, header, _claims(pad="x" * 9000)),
        "garbage": "not-a-token",
        "two_segments": h + "." + p,
    }


@pytest.mark.parametrize("service", SERVICES)
def test_every_forged_token_is_401_problem(make_client, idp, tmp_path, service):
    client = make_client(service)
    for name, token in _forgeries(idp, tmp_path).items():
        r = client.get("/audit", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json", name
        body = r.json()
        assert body["status"] == 401 and body["code"] == "unauthorized", name
        assert r.headers.get("www-authenticate", "").startswith("Bearer")


@pytest.mark.parametrize("service", SERVICES)
def test_valid_tokens_pass_and_roles_are_enforced(make_client, idp, service):
    client = make_client(service)
    assert client.get("/audit").status_code == 401
    assert client.get("/audit", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/audit", headers=idp.headers("auditor")).status_code == 200
    r = client.get("/audit", headers=idp.headers("nurse"))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    keycloak = idp.token(sub="kc-user", realm_access={"roles": ["admin"]})
    r = client.get("/audit", headers={"Authorization": f"Bearer {keycloak}"})
    assert r.status_code == 200


def test_cookie_carries_the_same_token(make_client, idp):
    client = make_client("screening")
    client.cookies.set("wardgate_session", idp.token("auditor"))
    assert client.get("/audit").status_code == 200
