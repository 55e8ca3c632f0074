"""Local verification of access tokens with the users service's public keys (JWKS), no call per request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import jwt

from authkit.principal import Principal
from authkit.settings import AUDIENCE, ISSUER

log = logging.getLogger("authkit.verifier")


MAX_CACHED_TOKENS = 10_000


class InvalidToken(Exception):
    """Raised when a token is malformed, expired, signed by an unknown key, or meant for someone else."""


class TokenVerifier:
    """Verifies access tokens against a JWKS, cached; an unknown `kid` (key rotation) triggers a re-fetch."""

    def __init__(self, jwks_url: str | None = None, *, jwks: dict | None = None, issuer: str = ISSUER,
                 audience: str = AUDIENCE, algorithms: Sequence[str] = ("EdDSA", "RS256"),
                 refetch_cooldown: float = 5.0, leeway_seconds: int = 5):
        if jwks_url is None and jwks is None:
            raise ValueError("TokenVerifier needs a jwks_url or a jwks")
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)
        # A flood of tokens with made-up kids must not turn into a flood of JWKS requests.
        self.refetch_cooldown = refetch_cooldown
        self.leeway = leeway_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        # Tokens already verified, until they expire: a client sends the same token with every request, and
        # an EdDSA check plus the claims' parsing is the costliest part of authenticating it.
        self._verified: dict[str, Principal] = {}
        if jwks is not None:
            self._load(jwks)

    def has_key_for(self, token: str) -> bool:
        """Whether verifying `token` needs no network (its kid is cached); lets async callers avoid blocking."""
        if token in self._verified:
            return True
        try:
            return jwt.get_unverified_header(token).get("kid") in self._keys
        except jwt.PyJWTError:
            return True  # malformed: rejected without fetching anything

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises InvalidToken otherwise."""
        cached = self._verified.get(token)
        if cached is not None:
            if time.time() <= cached.expires_at.timestamp() + self.leeway:
                return cached
            self._verified.pop(token, None)
            raise InvalidToken("token expired")
        principal = self._verify(token)
        self._remember(token, principal)
        return principal

    def _remember(self, token: str, principal: Principal) -> None:
        """Keep a verified token until it expires; bounded: the expired go first, then the oldest half."""
        if len(self._verified) >= MAX_CACHED_TOKENS:
            now = time.time()
            live = {t: p for t, p in list(self._verified.items()) if p.expires_at.timestamp() + self.leeway >= now}
            if len(live) >= MAX_CACHED_TOKENS:
                live = dict(list(live.items())[len(live) // 2:])
            self._verified = live
        self._verified[token] = principal

    def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        key = self._key(header.get("kid"))
        if header.get("alg") not in self.algorithms or header.get("alg") != key.algorithm_name:
            raise InvalidToken("token algorithm not accepted")
        try:
            claims = jwt.decode(
                token, key.key, algorithms=[key.algorithm_name], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        return _principal(claims)

    def _key(self, kid: Any) -> jwt.PyJWK:
        if not isinstance(kid, str):
            raise InvalidToken("token has no key id")
        if kid not in self._keys and self.jwks_url is not None:
            self._refresh()
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("token signed by an unknown key") from None

    def _refresh(self) -> None:
        with self._lock:
            if self._fetched_at is not None and time.monotonic() - self._fetched_at < self.refetch_cooldown:
                return
            self._fetched_at = time.monotonic()
            try:
                response = httpx.get(self.jwks_url, timeout=5.0)  # type: ignore[arg-type]
                response.raise_for_status()
                self._load(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                # The reason names internal addresses: it goes to the log, the client hears only the fact.
                log.warning("jwks_fetch_failed", extra={"url": self.jwks_url, "error": str(exc)})
                raise InvalidToken("cannot fetch signing keys right now") from None

    def _load(self, jwks: dict) -> None:
        keys = {}
        for jwk in jwks.get("keys", []):
            try:
                parsed = jwt.PyJWK(jwk)
            except jwt.PyJWTError:
                continue  # a key type this verifier cannot use must not hide the others
            if jwk.get("kid") and parsed.algorithm_name in self.algorithms:
                keys[jwk["kid"]] = parsed
        if set(keys) != set(self._keys):
            self._verified = {}  # a key taken away must not live on in tokens verified with it
        self._keys = keys


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        return Principal(
            user_id=UUID(claims["sub"]),
            role=str(claims.get("role", "")),
            permissions=frozenset(claims.get("perms") or ()),
            token_id=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            user_version=_version(claims.get("ver")),
            role_version=_version(claims.get("rver")),
        )
    except (ValueError, TypeError) as exc:
        raise InvalidToken(f"bad claims: {exc}") from None


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("ver and rver must be integers")
    return value
