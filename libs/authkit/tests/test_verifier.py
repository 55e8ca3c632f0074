"""Access tokens: what a service accepts and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from authkit import InvalidToken, TokenVerifier
from authkit.testing import TestIssuer
from authkit.tokens import issue_access_token, jwks

pytestmark = pytest.mark.unit


def test_a_signed_token_yields_the_principal_it_was_issued_for():
    issuer = TestIssuer()
    user = uuid4()
    principal = issuer.verifier().verify(issuer.token(user, role="organizer", permissions=["events:create"]))
    assert principal.user_id == user
    assert principal.role == "organizer"
    assert principal.can("events:create") and not principal.can("users:manage")
    assert principal.expires_at - principal.issued_at == timedelta(seconds=300)
    assert principal.token_id


def test_rs256_keys_are_accepted_too():
    key = generate_private_key(public_exponent=65537, key_size=2048)
    token = issue_access_token(key, "rsa-1", user_id=uuid4(), role="participant", permissions=(), ttl_seconds=60)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert TokenVerifier(jwks=jwks([("rsa-1", key)])).verify(token).role == "participant"


def test_an_expired_token_is_refused():
    issuer = TestIssuer()
    past = datetime.now(UTC) - timedelta(hours=1)
    token = issue_access_token(issuer.key, issuer.kid, user_id=uuid4(), role="participant", permissions=(),
                               ttl_seconds=60, now=past)
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verifier().verify(token)


@pytest.mark.parametrize("field", ["issuer", "audience"])
def test_a_token_for_another_issuer_or_audience_is_refused(field):
    issuer = TestIssuer()
    token = issue_access_token(issuer.key, issuer.kid, user_id=uuid4(), role="participant", permissions=(),
                               ttl_seconds=60, **{field: "someone-else"})
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(token)


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused():
    trusted, forger = TestIssuer(kid="k1"), TestIssuer(kid="k1")
    with pytest.raises(InvalidToken):
        trusted.verifier().verify(forger.token())


def test_a_token_with_an_unknown_kid_is_refused_without_a_jwks_url():
    with pytest.raises(InvalidToken, match="unknown key"):
        TestIssuer().verifier().verify(TestIssuer().token())


def test_unsigned_and_symmetric_tokens_are_refused():
    issuer = TestIssuer()
    claims = {"sub": str(uuid4()), "iss": "event-planner", "aud": "event-planner", "jti": "x",
              "iat": int(datetime.now(UTC).timestamp()), "exp": int(datetime.now(UTC).timestamp()) + 60}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.kid})
    hs256 = jwt.encode(claims, "a-shared-secret-that-is-long-enough!", algorithm="HS256",
                       headers={"kid": issuer.kid})
    for token in (unsigned, hs256, "not-a-token", ""):
        with pytest.raises(InvalidToken):
            issuer.verifier().verify(token)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "jti"])
def test_tokens_without_required_claims_are_refused(missing):
    key, now = Ed25519PrivateKey.generate(), int(datetime.now(UTC).timestamp())
    claims = {"sub": str(uuid4()), "iss": "event-planner", "aud": "event-planner", "jti": "x", "iat": now,
              "exp": now + 60}
    del claims[missing]
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "k"})
    with pytest.raises(InvalidToken):
        TokenVerifier(jwks=jwks([("k", key)])).verify(token)


def test_a_verifier_needs_keys_from_somewhere():
    with pytest.raises(ValueError):
        TokenVerifier()


def test_the_users_version_travels_in_the_ver_claim_and_must_be_an_integer():
    issuer = TestIssuer()
    assert issuer.verifier().verify(issuer.token(user_version=7)).user_version == 7
    assert issuer.verifier().verify(issuer.token()).user_version is None
    forged = jwt.encode({**jwt.decode(issuer.token(), options={"verify_signature": False}), "ver": "7"},
                        issuer.key, algorithm="EdDSA", headers={"kid": issuer.kid})
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(forged)


def test_a_verified_token_is_remembered_until_it_expires(monkeypatch):
    issuer = TestIssuer()
    verifier = issuer.verifier()
    token = issuer.token(ttl_seconds=60)
    first = verifier.verify(token)
    monkeypatch.setattr(verifier, "_verify", lambda _: pytest.fail("a cached token is not verified again"))
    assert verifier.verify(token) is first and verifier.has_key_for(token)

    import authkit.verifier as module
    later = first.expires_at.timestamp() + verifier.leeway + 1
    monkeypatch.setattr(module.time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)  # the cache never outlives the token


def test_a_rotated_out_key_forgets_the_tokens_verified_with_it():
    issuer, successor = TestIssuer(), TestIssuer(kid="next")
    verifier = issuer.verifier()
    token = issuer.token()
    verifier.verify(token)
    verifier._load(successor.jwks)
    with pytest.raises(InvalidToken, match="unknown key"):
        verifier.verify(token)
