"""Password hashing with Argon2id (pwdlib's recommended parameters); ~200 ms per hash by design.

Hashes run on a small pool of their own, with a bounded number of requests waiting for it. Without that,
a burst of logins takes every thread of the API's shared pool (each spending ~200 ms of CPU), and cheap
requests — /users/me, the JWKS every service needs — wait seconds behind them. With it, at most
`workers + queue` request threads wait on hashing; any further sign-in is refused at once (HashingBusy)
and told to retry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TypeVar

from pwdlib import PasswordHash

T = TypeVar("T")


class HashingBusy(Exception):
    """Raised when more password hashes are waiting than the hashing pool accepts; retrying shortly works."""


class Passwords:
    """Hashes and checks passwords on a bounded pool; callers are worker threads, never the event loop."""

    def __init__(self, hasher: PasswordHash | None = None, *, workers: int = 2, queue: int = 8):
        self.hasher = hasher or PasswordHash.recommended()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        # Running plus waiting hashes; a slot is freed when its hash is done, whoever stopped waiting.
        self._slots = threading.BoundedSemaphore(workers + queue)

    def hash(self, password: str) -> str:
        return self._run(self.hasher.hash, password)

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Whether it matches, and a fresh hash when the stored one uses outdated parameters."""
        return self._run(self.hasher.verify_and_update, password, password_hash)

    def burn(self, password: str) -> None:
        """Spend the time of a real check, so unknown e-mails can't be told apart by response time."""
        dummy = self._dummy_hash
        self._run(self.hasher.verify, password, dummy)

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hash("not-a-real-password")

    def _run(self, work: Callable[..., T], *args: object) -> T:
        if not self._slots.acquire(blocking=False):
            raise HashingBusy("too many sign-ins are being checked right now; retry in a moment")
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future.result()
