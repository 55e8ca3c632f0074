"""Signing keys: made once, kept across restarts, encrypted with SECRET_KEY, rotatable without breaking tokens."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

from authkit import TokenVerifier
from authkit.tokens import issue_access_token
from spine.settings import InfraSettings
from spine.testing import fresh_database

from users_service.keys import KeyRing, SigningKeyError

pytestmark = pytest.mark.integration


@pytest.fixture
def conninfo():
    with fresh_database("users_keys") as db:
        yield InfraSettings().conninfo(db)


def sign(ring: KeyRing) -> str:
    k = ring.signing
    return issue_access_token(k.key, k.kid, user_id=uuid4(), role="participant", permissions=(), ttl_seconds=60)


def test_the_first_start_creates_one_key_and_later_starts_reuse_it(conninfo):
    first = KeyRing(conninfo, "s3cret").load()
    second = KeyRing(conninfo, "s3cret").load()
    assert [k.kid for k in first.keys] == [k.kid for k in second.keys]
    TokenVerifier(jwks=second.jwks()).verify(sign(first))


def test_private_keys_are_encrypted_at_rest_and_a_wrong_secret_fails_start_up_clearly(conninfo):
    KeyRing(conninfo, "s3cret").load()
    with psycopg.connect(conninfo) as conn:
        [blob] = conn.execute("SELECT private_key FROM signing_keys").fetchone()
    assert b"ENCRYPTED PRIVATE KEY" in bytes(blob)
    with pytest.raises(SigningKeyError, match="SECRET_KEY"):
        KeyRing(conninfo, "another-secret").load()


def test_rs256_gets_its_own_key_and_both_stay_published(conninfo):
    ed = KeyRing(conninfo, "s3cret", "EdDSA").load()
    rsa = KeyRing(conninfo, "s3cret", "RS256").load()
    token = sign(rsa)
    assert rsa.signing.kid != ed.signing.kid
    assert {k["alg"] for k in rsa.jwks()["keys"]} == {"EdDSA", "RS256"}
    assert TokenVerifier(jwks=rsa.jwks()).verify(token).role == "participant"


def test_rotation_signs_with_the_new_key_while_old_tokens_still_verify_until_retired(conninfo):
    ring = KeyRing(conninfo, "s3cret").load()
    old_token, old_kid = sign(ring), ring.signing.kid
    new_kid = ring.rotate()
    assert ring.signing.kid == new_kid != old_kid
    verifier = TokenVerifier(jwks=ring.jwks())
    verifier.verify(old_token)
    verifier.verify(sign(ring))
    assert ring.retire_older_than(new_kid) == 1
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new_kid]
