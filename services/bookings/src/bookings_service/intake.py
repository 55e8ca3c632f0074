"""The api's way in for booking requests: routes `await` a single writer that commits them in batches.

Per batch (not per request): one pipelined round trip takes every requester's rate-limit token, one query
reads the terms of the batch's events from the local catalogue replica, and `Bookings.request_many` loads
each event's line once (the users' ledgers only when this writer does not hold them from its last save)
and saves the batch in one transaction. A route does no database round trip of
its own, and holds no thread while it waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing import persistence

from spine.writer import GroupCommitWriter
from webkit.problems import Problem, too_many_requests
from webkit.rate_limit import TokenBuckets

from bookings_service.application import BookingRequest, Bookings, KeptLedgers
from bookings_service.domain import Booking, EventNotFound
from bookings_service.projections.catalogue_replica import EventTermsReader
from bookings_service.projections.settings_replica import RulesReader

MAX_BATCH = 256
TOO_FAST = "You are asking for bookings too fast; retry later."
# A batch that could not reach the database (its pools fail fast while it is down: spine.db.FailFastPool)
# wrote nothing; its requesters hear 503 with Retry-After, are not stored for replay, and simply retry.
UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError, persistence.OperationalError,
               persistence.InterfaceError)


def database_unavailable() -> Problem:
    return Problem(503, "Service Unavailable", "The bookings database is briefly unavailable; retry shortly.",
                   headers={"Retry-After": "1"}, retry_after=1)


def key_reused() -> Problem:
    """As the idempotency layer answers a key sent again with another request (when it still knows the key)."""
    return Problem(422, "Idempotency-Key reused", "This Idempotency-Key was already used with a different request.")


@dataclass(frozen=True)
class Ask:
    """What the route knows of one request: who, which event, how many seats, and the request's cause."""

    booking_id: UUID
    user_id: UUID
    event_id: UUID
    group_size: int
    payment_method: str | None
    cause: dict[str, str] = field(default_factory=dict)
    keyed: bool = False  # the id came from an Idempotency-Key (`keyed_booking_id`): a booking with it may exist


def keyed_booking_id(user_id: UUID, idempotency_key: str) -> UUID:
    """The booking id of `user_id`'s request under `idempotency_key`: the same for every retry of it."""
    return uuid5(NAMESPACE_URL, f"/bookings/by-idempotency-key/{user_id}/{idempotency_key}")


class BookingIntake:
    """`await intake.request(ask)` → the new booking (after COMMIT), or the request's own error raised."""

    def __init__(self, app: Bookings, terms: EventTermsReader, rules: RulesReader, rate: TokenBuckets,
                 max_batch: int = MAX_BATCH, *, leases: bool = False):
        self.app, self.terms, self.rules, self.rate = app, terms, rules, rate
        self.leases = leases  # confirm free bookings from the event's seat lease (settings.seat_leases)
        self.kept = KeptLedgers()  # only ever touched on the writer's thread
        self.writer: GroupCommitWriter[Ask, Booking] = GroupCommitWriter(
            self._apply, max_batch=max_batch, name="bookings-writer")

    async def request(self, ask: Ask) -> Booking:
        try:
            return await self.writer.submit(ask)
        except UNREACHABLE as exc:
            raise database_unavailable() from exc

    def _apply(self, asks: Sequence[Ask]) -> list[Booking | Exception]:
        """One batch, in arrival order: 429 for those over their rate, 404 for unknown events, else booked."""
        verdicts = self.rate.take_many([str(a.user_id) for a in asks])
        terms = self.terms.get_many(a.event_id for a in asks)
        rules = self.rules.current()
        results: list[Booking | Exception | None] = [None] * len(asks)
        requests, slots = [], []
        for i, (ask, verdict) in enumerate(zip(asks, verdicts, strict=True)):
            event_terms = terms[ask.event_id]
            if not verdict.allowed:
                results[i] = too_many_requests(verdict.retry_after, TOO_FAST)
            elif event_terms is None:
                results[i] = EventNotFound(f"no event with id {ask.event_id}")
            else:
                requests.append(BookingRequest(booking_id=ask.booking_id, user_id=ask.user_id, terms=event_terms,
                                               rules=rules, group_size=ask.group_size,
                                               payment_method=ask.payment_method, cause=ask.cause,
                                               keyed=ask.keyed))
                slots.append(i)
        for i, result in zip(slots, self.app.request_many(requests, kept=self.kept, leases=self.leases), strict=True):
            ask = asks[i]
            if ask.keyed and isinstance(result, Booking) and (result.event_id, result.group_size) != (
                    ask.event_id, ask.group_size):  # the key's booking is another request's
                result = key_reused()
            results[i] = result
        return results  # type: ignore[return-value]

    def close(self) -> None:
        self.writer.close()
