"""What a failure while applying a message means: wait and try again (transient), or give up (poison).

* Transient — the same message will go through later: a version conflict with another writer (always,
  even wrapped in another error: `is_conflict`), the
  database or Kafka unreachable, a payment provider's outage. The consumer retries it with backoff,
  indefinitely, with its partition paused, and raises an alarm when it stays stuck.
* Poison — it will never go through: undecodable bytes, a contract violation, a domain rule that can
  never pass. It goes to `<topic>.dlq`; its position is recorded without effect.
* Anything else is unknown: retried a few times (it may be a transient cause not listed here), then
  treated as poison.

Domain and application code says which it is by raising (a subclass of) `Transient` or `Poison`, or
by setting a class attribute `transient = True/False` on its own exception types.
"""

from __future__ import annotations

from enum import Enum

import psycopg
from eventsourcing import persistence
from eventsourcing.domain import OriginatorVersionError
from pydantic import ValidationError


class Transient(Exception):
    """Raised when applying a message failed for a reason that will pass (an outage): retry it later."""

    transient = True


class Poison(Exception):
    """Raised when a message can never be applied (a rule that will never pass): dead-letter it."""

    transient = False


class Failure(Enum):
    TRANSIENT = "transient"
    POISON = "poison"
    UNKNOWN = "unknown"


_TRANSIENT: tuple[type[BaseException], ...] = (
    persistence.IntegrityError,  # a version conflict: another writer got there first; reload and re-run
    persistence.OperationalError,
    persistence.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    ConnectionError,
    TimeoutError,
)
_POISON: tuple[type[BaseException], ...] = (
    ValidationError,  # the payload breaks its contract
    persistence.DataError,
    psycopg.DataError,  # a value the read model's column cannot hold
    persistence.MapperDeserialisationError,
    UnicodeDecodeError,
)


_CONFLICTS: tuple[type[BaseException], ...] = (
    persistence.RecordConflictError,  # IntegrityError: another writer saved the same aggregate version first
    OriginatorVersionError,  # a (cached) aggregate that another writer moved on meanwhile
)


def is_conflict(exc: BaseException) -> bool:
    """Whether a version conflict is behind `exc` (itself, or anywhere in its cause/context chain).

    A conflict is never poison, whatever it was wrapped in: the other writer finishes and a retry passes.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _CONFLICTS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def classify(exc: BaseException) -> Failure:
    """Whether retrying the message that raised `exc` can help."""
    if is_conflict(exc):
        return Failure.TRANSIENT
    marked = getattr(exc, "transient", None)
    if marked is True:
        return Failure.TRANSIENT
    if marked is False:
        return Failure.POISON
    if isinstance(exc, _TRANSIENT):
        return Failure.TRANSIENT
    if isinstance(exc, _POISON):
        return Failure.POISON
    try:
        from aiokafka.errors import KafkaError
    except ImportError:  # pragma: no cover
        return Failure.UNKNOWN
    return Failure.TRANSIENT if isinstance(exc, KafkaError) else Failure.UNKNOWN


def describe(exc: BaseException) -> str:
    """A short, single-line description for logs, headers and alarms."""
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:2000]
