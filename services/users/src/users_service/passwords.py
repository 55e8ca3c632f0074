"""Password hashing with Argon2id (pwdlib's recommended parameters); ~200 ms per hash by design."""

from __future__ import annotations

from functools import cached_property

from pwdlib import PasswordHash


class Passwords:
    """Hashes and checks passwords; callers run it in a worker thread, never on the event loop."""

    def __init__(self, hasher: PasswordHash | None = None):
        self.hasher = hasher or PasswordHash.recommended()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Whether it matches, and a fresh hash when the stored one uses outdated parameters."""
        return self.hasher.verify_and_update(password, password_hash)

    def burn(self, password: str) -> None:
        """Spend the time of a real check, so unknown e-mails can't be told apart by response time."""
        self.hasher.verify(password, self._dummy_hash)

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("not-a-real-password")
