"""Read-your-writes: a command's response says which event it produced; a list can wait for its view to show it.

The position is `<aggregate_id>:<version>` — the aggregate the command changed and its version after the
change, which is the `aggregate_version` of the envelope the relay publishes for it. Every view records,
per aggregate, the last version it applied (`projection_versions`, kept for redelivery anyway), so "has
this view caught up with my write" is one primary-key lookup, with no new field in the contracts and no
global order across partitions (which Kafka does not have). A per-store position (notification id) would
need a new envelope field and a per-partition comparison; the aggregate version needs neither.

A list endpoint takes the position as `?after=` or as the same `X-Event-Position` header on the request,
waits at most `MAX_WAIT_SECONDS` for its view, and answers anyway; `X-View-Stale: true` says it gave up.
A position the service's event store does not hold (another service's aggregate, a made-up one) can never
be reached: given the store's recorder, the list says so at once instead of waiting. Both headers are in the
gateway's Access-Control-Expose-Headers, so browser clients on allowed origins read them too (README "CORS").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Query, Response
from psycopg_pool import ConnectionPool

from spine.views import has_applied

POSITION_HEADER = "X-Event-Position"
STALE_HEADER = "X-View-Stale"
MAX_WAIT_SECONDS = 2.0
POSITION_PATTERN = r"^[A-Za-z0-9_.\-]{1,128}:[0-9]{1,18}$"
POSITION_EXAMPLE = "0d6f6f7c-1c4f-4f0e-9d8e-7b6b8e3f2a10:1"


@dataclass(frozen=True)
class EventPosition:
    """An aggregate at a version: the event a command produced."""

    aggregate_id: str
    version: int

    @classmethod
    def parse(cls, text: str) -> EventPosition:
        aggregate_id, _, version = text.rpartition(":")
        return cls(aggregate_id, int(version))

    def __str__(self) -> str:
        return f"{self.aggregate_id}:{self.version}"


def set_event_position(response: Response, aggregate: Any) -> None:
    """Tell the client which event its command produced (an eventsourcing aggregate: id and version)."""
    response.headers[POSITION_HEADER] = str(EventPosition(str(aggregate.id), int(aggregate.version)))


def position_param(
    after: Annotated[str | None, Query(
        max_length=148, pattern=POSITION_PATTERN, examples=[POSITION_EXAMPLE],
        description=f"Wait (at most {MAX_WAIT_SECONDS:g} s) until this list shows the change whose response "
                    f"carried this `{POSITION_HEADER}`.")] = None,
    x_event_position: Annotated[str | None, Header(
        max_length=148, pattern=POSITION_PATTERN, examples=[POSITION_EXAMPLE],
        description="The same as `after`, as a request header.")] = None,
) -> EventPosition | None:
    """The position a list must show, from `?after=` or the `X-Event-Position` request header."""
    text = after or x_event_position
    return EventPosition.parse(text) if text else None


AfterParam = Annotated[EventPosition | None, Depends(position_param)]


def wait_until(caught_up: Callable[[], bool], timeout: float = MAX_WAIT_SECONDS) -> bool:
    """Poll `caught_up` (first at once, then every 10 → 100 ms) until true or `timeout`; its last answer."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        if caught_up():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(delay, left))
        delay = min(delay * 2, 0.1)


def in_store(recorder: Any, position: EventPosition) -> bool:
    """Whether an eventsourcing recorder holds the aggregate's event of that version."""
    try:
        originator = UUID(position.aggregate_id)
    except ValueError:
        return False
    return bool(recorder.select_events(originator, gt=position.version - 1, lte=position.version, limit=1))


def read_after(response: Response, position: EventPosition | None, pool: ConnectionPool, view: str,
               timeout: float = MAX_WAIT_SECONDS, *, recorder: Any = None) -> None:
    """Before a list reads `view`: wait for `position` (if any); mark the response stale if it never came.

    With the service's event store `recorder`, a position it does not hold is stale at once (no wait).
    """
    if position is None:
        return
    if recorder is not None and not in_store(recorder, position):
        response.headers[STALE_HEADER] = "true"
        return

    def caught_up() -> bool:
        with pool.connection() as conn:
            return has_applied(conn, view, position.aggregate_id, position.version)

    if not wait_until(caught_up, timeout):
        response.headers[STALE_HEADER] = "true"


_POSITION_DOC = {POSITION_HEADER: {"description": "The event this command produced (`<aggregate id>:<version>`); "
                                                  "pass it to a list as `?after=` to read your write.",
                                   "schema": {"type": "string", "examples": [POSITION_EXAMPLE]}}}
_STALE_DOC = {STALE_HEADER: {"description": "`true` when `after` was given and the list's view had not caught "
                                            f"up with it within {MAX_WAIT_SECONDS:g} s.",
                             "schema": {"type": "string", "enum": ["true"]}}}


def position_response(status: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the command's success response carries `X-Event-Position`."""
    return {status: {"headers": _POSITION_DOC}}


def stale_response() -> dict[int | str, dict[str, Any]]:
    """OpenAPI: a list's 200 may carry `X-View-Stale`."""
    return {200: {"headers": _STALE_DOC}}
