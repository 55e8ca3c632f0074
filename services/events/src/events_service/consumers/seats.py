"""The seat desk: applies the booking saga's ReserveSeats/ReleaseSeats (and the lease ledger's
RequestSeatLease/ReturnLeasedSeats) from `events.commands.v1`.

Each answer (SeatsReserved, SeatsRejected, SeatsReleased) is recorded on the Event aggregate together
with the Kafka position, then the relay publishes it on `events.v1`. Commands are keyed by event id, so
all commands of one event reach one consumer in order: a single writer per event, and a whole fetched
batch is applied with one load and one save per event (`handle_batch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from eventsourcing.persistence import Tracking

from contracts import Envelope, parse_payload, topics
from contracts import events as messages
from spine.handlers import caused_by_message

from events_service.application import Events
from events_service.domain import ReleaseSeats, RequestSeatLease, ReserveSeats, ReturnLeasedSeats, SeatCommand


def to_domain(envelope: Envelope) -> SeatCommand | None:
    """The domain command a message asks for; None for types this service does not handle."""
    payload = parse_payload(envelope)
    if isinstance(payload, messages.ReserveSeats):
        return ReserveSeats(event_id=payload.event_id, booking_id=payload.booking_id, seats=payload.seats,
                            attempt=payload.attempt, repeat=payload.repeat)
    if isinstance(payload, messages.ReleaseSeats):
        # The relay gives a re-published command the same event_id: that is what makes a repeat harmless.
        return ReleaseSeats(event_id=payload.event_id, booking_id=payload.booking_id, reason=payload.reason,
                            command_id=str(envelope.event_id))
    if isinstance(payload, messages.RequestSeatLease):
        return RequestSeatLease(event_id=payload.event_id, lease_id=payload.lease_id, seats=payload.seats,
                                repeat=payload.repeat)
    if isinstance(payload, messages.ReturnLeasedSeats):
        return ReturnLeasedSeats(event_id=payload.event_id, return_id=payload.return_id, seats=payload.seats,
                                 reason=payload.reason)
    return None


class SeatsHandler:
    """Message handler for spine's Worker: seat commands in, recorded answers out."""

    name = "seats"

    def __init__(self, app: Events, topic: str = topics.EVENTS_COMMANDS):
        self.app = app
        # Tests use a throwaway topic; production reads events.commands.v1.
        self.topics = (topic,)

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        """One message (the consumer falls back to this when isolating a poison message)."""
        self.handle_batch([envelope], tracking)

    def handle_batch(self, envelopes: Sequence[Envelope], tracking: Tracking) -> None:
        """A partition batch in offset order: one load and one save per event, one transaction in all."""
        batch = self.app.seat_batch(datetime.now(UTC))
        commands = [(envelope, to_domain(envelope)) for envelope in envelopes]
        batch.preload(c.event_id for _, c in commands if c is not None)
        for envelope, command in commands:
            if command is None:
                continue
            with caused_by_message(envelope):
                batch.apply(command)
        batch.save(tracking)
