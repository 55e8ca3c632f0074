"""Signing access tokens and publishing public keys as JWKs (used by the users service and TestIssuer)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from authkit.settings import AUDIENCE, ISSUER

SigningKey = Ed25519PrivateKey | RSAPrivateKey


def algorithm_of(key: SigningKey) -> str:
    """JWS `alg` for a private key: EdDSA for Ed25519, RS256 for RSA."""
    return "EdDSA" if isinstance(key, Ed25519PrivateKey) else "RS256"


def public_jwk(key: SigningKey, kid: str) -> dict[str, Any]:
    """The public half of `key` as a JWK with `kid`, `alg` and `use`."""
    if isinstance(key, Ed25519PrivateKey):
        text = OKPAlgorithm.to_jwk(key.public_key())
    else:
        text = RSAAlgorithm.to_jwk(key.public_key())
    jwk = json.loads(text)
    jwk.update(kid=kid, alg=algorithm_of(key), use="sig")
    return jwk


def jwks(keys: Iterable[tuple[str, SigningKey]]) -> dict[str, Any]:
    """A JWK Set of the public keys, for `/.well-known/jwks.json`."""
    return {"keys": [public_jwk(key, kid) for kid, key in keys]}


def issue_access_token(key: SigningKey, kid: str, *, user_id: UUID, role: str, permissions: Iterable[str],
                       ttl_seconds: int, issuer: str = ISSUER, audience: str = AUDIENCE,
                       now: datetime | None = None, token_id: str | None = None, user_version: int | None = None,
                       role_version: int | None = None) -> str:
    """A signed access token carrying the claims every service's TokenVerifier requires.

    `user_version` (claim `ver`) is the user's stream version when the token was issued: a role change,
    password change or re-enabling at a later version voids it everywhere (authkit.revocation); likewise
    `role_version` (claim `rver`, the role's version) when the role's permissions are redefined.
    """
    issued = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": token_id or uuid4().hex,
        "role": role,
        "perms": sorted(set(permissions)),
    }
    if user_version is not None:
        claims["ver"] = user_version
    if role_version is not None:
        claims["rver"] = role_version
    return jwt.encode(claims, key, algorithm=algorithm_of(key), headers={"kid": kid})
