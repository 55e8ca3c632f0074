"""What a failure while applying a message means: wait and try again (transient), or give up (poison).

* Transient — the same message will go through later: a version conflict with another writer, the
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


def classify(exc: BaseException) -> Failure:
    """Whether retrying the message that raised `exc` can help."""
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
