"""A throwaway token issuer for other services' API tests: real Ed25519 signatures, no users service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from authkit.tokens import issue_access_token, jwks
from authkit.verifier import TokenVerifier


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
              ttl_seconds: int = 300) -> str:
        """A signed access token for `user_id` (a fresh id when None) with `role` and `permissions`."""
        return issue_access_token(self.key, self.kid, user_id=user_id or uuid4(), role=role,
                                  permissions=permissions, ttl_seconds=ttl_seconds)
