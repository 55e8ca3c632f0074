"""Who and what caused the work in progress: carried from HTTP headers and Kafka headers into stored
events, logs and the messages they lead to."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from uuid import uuid4


@dataclass(frozen=True)
class Cause:
    """The correlation of one request or saga, the message that caused this step, and the acting user."""

    correlation_id: str | None = None
    causation_id: str | None = None
    actor_id: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


NO_CAUSE = Cause()  # frozen, so one shared default is safe
_cause: ContextVar[Cause] = ContextVar("cause", default=NO_CAUSE)


def current() -> Cause:
    """The cause bound to this task or thread."""
    return _cause.get()


@contextlib.contextmanager
def caused_by(**fields: str | None) -> Iterator[Cause]:
    """Bind cause fields for the duration of a block (missing correlation id gets a fresh one)."""
    cause = replace(_cause.get(), **fields)
    if cause.correlation_id is None:
        cause = replace(cause, correlation_id=str(uuid4()))
    token = _cause.set(cause)
    try:
        yield cause
    finally:
        _cause.reset(token)
