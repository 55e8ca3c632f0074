"""The Events application: loads an Event, runs one command on it, saves what it recorded."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from spine.eventstore import ServiceApplication
from spine.retry import retrying

from events_service.domain import (
    Actor,
    Event,
    EventDetails,
    EventNotFound,
    Review,
    ReviewAlreadySubmitted,
    ReviewNotFound,
)
from events_service.seating import SeatBatch

T = TypeVar("T")
A = TypeVar("A", Event, Review)

# A concurrent save of the same event (another request, later the booking saga) makes ours lose
# the optimistic-concurrency race; the command is simply re-run on the fresh state. Jittered backoff
# keeps many writers of one hot event from colliding round after round.
_RETRIES = 10


class Events(ServiceApplication):
    """Commands and queries on the event catalogue's aggregates."""

    # Reservations make Event streams long (one event per booking answer); snapshots keep loads from the
    # store fast (spine's policy: one per save, from memory), and the aggregate cache (AGGREGATE_CACHE_MAXSIZE)
    # makes repeated loads read only new events.
    snapshotting_intervals = {Event: 50}

    def schedule_event(self, details: EventDetails, *, created_by: UUID,
                       enabled_methods: Collection[str] | None = None) -> Event:
        """An organizer publishes a new event (advertising only `enabled_methods`, when given)."""
        event = Event.schedule(details, created_by=created_by, enabled_methods=enabled_methods)
        self.save(event)
        return event

    def get_event(self, event_id: UUID) -> Event:
        """The current state of one event; EventNotFound when there is none (or the id names another aggregate,
        e.g. the deterministic id where refusals for an unknown event are recorded)."""
        try:
            found: object = self.repository.get(event_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Event):
            raise EventNotFound(f"no event with id {event_id}")
        return found

    def update_event(self, event_id: UUID, changes: dict[str, Any], *, actor: Actor,
                     enabled_methods: Collection[str] | None = None) -> Event:
        """An organizer (or admin) edits some details of an event (adding only `enabled_methods`, when given)."""
        return self._run(event_id, lambda event: event.update(changes, actor=actor, enabled_methods=enabled_methods))

    def cancel_event(self, event_id: UUID, *, actor: Actor, reason: str | None = None) -> Event:
        """An organizer (or admin) calls an event off."""
        return self._run(event_id, lambda event: event.cancel(actor=actor, reason=reason))

    def seat_batch(self, now: datetime | None = None) -> SeatBatch:
        """A unit of work for the booking saga's seat commands (see seating.py); `now` decides "started"."""
        return SeatBatch(self, now)

    def submit_review(self, event_id: UUID, *, author_id: UUID, rating: int, comment: str, attended: bool,
                      now: datetime | None = None) -> Review:
        """An attendee reviews an event (`attended`: they hold a confirmed booking, per the attendance view)."""
        review = Review.submit(self.get_event(event_id), author_id=author_id, rating=rating, comment=comment,
                               attended=attended, now=now)
        try:
            self.save(review)
        except IntegrityError:
            # Version 1 of this (event, author) stream exists: reviewed before, or a racing twin just won.
            raise ReviewAlreadySubmitted("you have already reviewed this event") from None
        return review

    def get_review(self, review_id: UUID) -> Review:
        """One review as it stands; ReviewNotFound when the id names none."""
        try:
            found: object = self.repository.get(review_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Review):
            raise ReviewNotFound(f"no review with id {review_id}")
        return found

    def approve_review(self, review_id: UUID, *, moderator_id: UUID, reason: str | None = None) -> Review:
        """A moderator makes a pending review public."""
        return self._run(review_id, lambda r: r.approve(moderator_id=moderator_id, reason=reason), self.get_review)

    def reject_review(self, review_id: UUID, *, moderator_id: UUID, reason: str | None = None) -> Review:
        """A moderator keeps a pending review hidden."""
        return self._run(review_id, lambda r: r.reject(moderator_id=moderator_id, reason=reason), self.get_review)

    def _run(self, aggregate_id: UUID, command: Callable[[A], Any],
             load: Callable[[UUID], A] | None = None) -> A:
        """Load, command, save; on a version conflict reload and try again."""
        load = load or self.get_event  # type: ignore[assignment]

        def attempt() -> A:
            event = load(aggregate_id)  # type: ignore[misc]
            command(event)
            self.save(event)
            return event

        return retrying(attempt, attempts=_RETRIES)
