"""What every purpose of the Users application shares: its parts (keys, passwords, token policy), loading an
aggregate of a known kind, finding accounts, and the retry rule for lost optimistic-concurrency races."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from authkit.settings import AUDIENCE, ISSUER
from spine.eventstore import ServiceApplication
from spine.retry import retrying

from users_service.domain import EmailRegistration, User, UserNotFound, email_registration_id
from users_service.keys import KeyRing
from users_service.passwords import Passwords

T = TypeVar("T")


@dataclass(frozen=True)
class TokenPolicy:
    """Lifetimes and audience of the tokens this service issues."""

    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=14)
    issuer: str = ISSUER
    audience: str = AUDIENCE
    reset_ttl: timedelta = timedelta(hours=1)


class UsersBase(ServiceApplication):
    """The event store with the service's keys, password hasher and token policy."""

    def __init__(self, env: dict[str, str] | None = None, *, keys: KeyRing | None = None,
                 passwords: Passwords | None = None, policy: TokenPolicy | None = None):
        super().__init__(env)
        self.keys = keys
        self.passwords = passwords or Passwords()
        self.policy = policy or TokenPolicy()

    def user(self, user_id: UUID) -> User:
        """The account; raises UserNotFound."""
        return self._get(user_id, User, UserNotFound(f"user {user_id} not found"))

    def user_by_email(self, email: str) -> User | None:
        """The account registered under this e-mail (any case), or None."""
        try:
            claim: EmailRegistration = self.repository.get(email_registration_id(email))
        except AggregateNotFoundError:
            return None
        return self.user(claim.user_id)

    def _get(self, aggregate_id: UUID, kind: type[T], missing: Exception) -> T:
        """The aggregate of that kind, or `missing` raised. Ids come from requests (a user id, the id part of a
        refresh token) and some aggregates have public deterministic ids (roles, settings): an id naming an
        aggregate of another kind is as missing as an unknown one."""
        try:
            found: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(found, kind):
            raise missing
        return found

    @staticmethod
    def _retrying(command: Callable[[], T], attempts: int = 3) -> T:
        """Re-run a command that lost an optimistic-concurrency race (it reloads the aggregates); after the
        last attempt the IntegrityError reaches the API, which answers 409 with Retry-After."""
        return retrying(command, attempts=attempts)

    @staticmethod
    def _ignore_conflict(command: Callable[[], object]) -> None:
        try:
            command()
        except IntegrityError:
            pass
