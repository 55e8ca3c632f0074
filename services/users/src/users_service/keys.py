"""Signing keys for access tokens, kept in the users database with the private half encrypted by SECRET_KEY.

Ed25519 (JWS alg EdDSA) by default, RSA-2048 (RS256) when ALGORITHM=RS256. A key is created on the first
start; every replica then loads the same keys, so any of them can sign and JWKS is identical everywhere.

Rotation (no downtime, no invalid tokens):
1. `KeyRing(...).rotate()` adds a new key; restart the API replicas so each loads it. JWKS now publishes
   old and new; tokens are signed with the newest key.
2. Verifiers meet the new `kid` and re-fetch the JWKS (authkit does this on an unknown kid, at most once per
   cooldown, so a fetch that hit a not-yet-restarted replica is repeated a few seconds later).
3. After ACCESS_TOKEN_EXPIRE_MINUTES every token signed with the old key has expired:
   `KeyRing(...).retire_older_than(kid)` marks the older keys retired; they leave the JWKS.
Changing SECRET_KEY needs the keys re-encrypted (or rotated with the old key retired) — otherwise start-up
fails with a clear error rather than silently making new keys that invalidate every session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, generate_private_key

from authkit.tokens import SigningKey, algorithm_of, jwks

DDL = """
CREATE TABLE IF NOT EXISTS signing_keys (
    kid text PRIMARY KEY,
    algorithm text NOT NULL,
    private_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
)"""


class SigningKeyError(RuntimeError):
    """Raised at start-up when the stored keys cannot be decrypted with SECRET_KEY."""


@dataclass(frozen=True)
class StoredKey:
    kid: str
    key: SigningKey
    created_at: datetime


def new_key(algorithm: str) -> SigningKey:
    """A fresh private key for `algorithm` (EdDSA or RS256)."""
    return Ed25519PrivateKey.generate() if algorithm == "EdDSA" else generate_private_key(65537, 2048)


class KeyRing:
    """The active signing keys: the newest of the configured algorithm signs, all of them verify."""

    def __init__(self, conninfo: str, secret_key: str, algorithm: str = "EdDSA"):
        self.conninfo = conninfo
        self.secret = secret_key.encode()
        self.algorithm = algorithm
        self.keys: list[StoredKey] = []

    def load(self) -> KeyRing:
        """Read the active keys, creating the first one of the configured algorithm if there is none."""
        with psycopg.connect(self.conninfo) as conn, conn.transaction():
            # The api and the worker (and replicas) start together: one at a time creates the table and,
            # if there is none, the first key.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('users.signing_keys'))")
            conn.execute(DDL)
            rows = conn.execute("SELECT kid, algorithm, private_key, created_at FROM signing_keys "
                                "WHERE retired_at IS NULL ORDER BY created_at, kid").fetchall()
            if not any(alg == self.algorithm for _, alg, _, _ in rows):
                rows.append(self._insert(conn))
        self.keys = [StoredKey(kid, self._decrypt(kid, blob), created) for kid, _, blob, created in rows]
        return self

    def rotate(self) -> str:
        """Add a new key of the configured algorithm (it signs after the next load); returns its kid."""
        with psycopg.connect(self.conninfo) as conn, conn.transaction():
            conn.execute(DDL)
            kid = self._insert(conn)[0]
        self.load()
        return kid

    def retire_older_than(self, kid: str) -> int:
        """Retire every key created before `kid` (run once the access-token lifetime has passed)."""
        with psycopg.connect(self.conninfo) as conn, conn.transaction():
            count = conn.execute(
                "UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL AND created_at < "
                "(SELECT created_at FROM signing_keys WHERE kid = %s)", (kid,)).rowcount
        self.load()
        return count

    @property
    def signing(self) -> StoredKey:
        """The key new tokens are signed with."""
        return [k for k in self.keys if algorithm_of(k.key) == self.algorithm][-1]

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set for `/.well-known/jwks.json`."""
        return jwks((k.kid, k.key) for k in self.keys)

    def _insert(self, conn: psycopg.Connection) -> tuple[str, str, bytes, datetime]:
        key, now = new_key(self.algorithm), datetime.now(UTC)
        kid = f"{now:%Y%m%d}-{uuid4().hex[:8]}"
        blob = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.BestAvailableEncryption(self.secret))
        conn.execute("INSERT INTO signing_keys (kid, algorithm, private_key, created_at) VALUES (%s, %s, %s, %s)",
                     (kid, self.algorithm, blob, now))
        return kid, self.algorithm, blob, now

    def _decrypt(self, kid: str, blob: bytes) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(bytes(blob), password=self.secret)
        except (ValueError, TypeError):
            raise SigningKeyError(
                f"cannot decrypt signing key {kid} with SECRET_KEY; was SECRET_KEY changed? "
                "Restore it, or retire the stored keys (see users_service.keys)") from None
        if not isinstance(key, Ed25519PrivateKey | RSAPrivateKey):
            raise SigningKeyError(f"signing key {kid} is neither Ed25519 nor RSA")
        return key
