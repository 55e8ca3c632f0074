"""A throwaway token issuer for other services' API tests: real Ed25519 signatures, no users service."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from authkit.tokens import issue_access_token, jwks
from authkit.verifier import TokenVerifier
from contracts.permissions import DEFAULT_ROLES


class TestIssuer:
    """Signs access tokens like the users service does; `.verifier()` trusts exactly this issuer's key."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, kid: str | None = None):
        self.kid = kid or f"test-{uuid4().hex[:8]}"
        self.key = Ed25519PrivateKey.generate()

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWK Set with this issuer's public key."""
        return jwks([(self.kid, self.key)])

    def verifier(self) -> TokenVerifier:
        """A verifier that accepts this issuer's tokens."""
        return TokenVerifier(jwks=self.jwks)

    def token(self, user_id: UUID | None = None, role: str = "participant", permissions: Iterable[str] = (),
              ttl_seconds: int = 300, user_version: int | None = None, role_version: int | None = None) -> str:
        """A signed access token for `user_id` (a fresh id when None) with `role` and `permissions`."""
        return issue_access_token(self.key, self.kid, user_id=user_id or uuid4(), role=role,
                                  permissions=permissions, ttl_seconds=ttl_seconds, user_version=user_version,
                                  role_version=role_version)


@dataclass(frozen=True)
class Caller:
    """A user of an API under test, holding a token with one default role's permissions."""

    user_id: UUID
    role: str
    headers: dict[str, str]


def caller(issuer: TestIssuer, role: str) -> Caller:
    """A new user with `role` (a key of contracts.permissions.DEFAULT_ROLES) and its Authorization header."""
    user_id = uuid4()
    token = issuer.token(user_id=user_id, role=role, permissions=DEFAULT_ROLES[role])
    return Caller(user_id, role, {"Authorization": f"Bearer {token}"})
