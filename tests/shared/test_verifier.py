"""Unit tests of the token verifier: caching, expiry, roles."""

from __future__ import annotations

import time

import pytest

from shared.auth import InvalidToken, TokenVerifier
from shared.auth.keys import load_jwks
from shared.auth.tokens import roles_from_claims
from tests.support.keys import AUDIENCE, ISSUER


def _verifier(idp, leeway: int = 0) -> TokenVerifier:
    return TokenVerifier(
        load_jwks(idp.jwks_file), issuer=ISSUER, audience=AUDIENCE, leeway_s=leeway
    )


def test_cached_token_still_expires(idp, monkeypatch):
    verifier = _verifier(idp)
    token = idp.token("nurse", ttl_s=60)
    assert verifier.verify(token).roles == {"nurse"}
    assert verifier.verify(token).sub == "tester"  # served from the cache
    later = time.time() + 120
    monkeypatch.setattr("shared.auth.tokens.time.time", lambda: later)
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)  # the cache honours exp: no stale acceptance


def test_leeway_tolerates_small_clock_skew(idp):
    token = idp.token("nurse", ttl_s=-5)
    with pytest.raises(InvalidToken):
        _verifier(idp, leeway=0).verify(token)
    assert _verifier(idp, leeway=30).verify(token).roles == {"nurse"}


def test_audience_list_is_accepted_when_it_contains_ours(idp):
    from tests.support.keys import sign_raw

    now = int(time.time())
    token = sign_raw(
        idp.private_pem,
        {"alg": "RS256", "kid": idp.kid},
        {"sub": "s", "iss": ISSUER, "aud": ["x", AUDIENCE], "exp": now + 60},
    )
    assert _verifier(idp).verify(token).sub == "s"


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        ({"roles": ["nurse", "doctor"]}, {"nurse", "doctor"}),
        ({"realm_access": {"roles": ["admin"]}}, {"admin"}),
        ({"roles": ["nurse"], "realm_access": {"roles": ["auditor"]}}, {"nurse", "auditor"}),
        ({"roles": "admin"}, set()),
        ({"roles": [1, None, "nurse"]}, {"nurse"}),
        ({}, set()),
    ],
)
def test_roles_from_claims(claims, roles):
    assert roles_from_claims(claims) == roles
