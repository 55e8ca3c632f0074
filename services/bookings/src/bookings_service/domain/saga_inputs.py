"""What the booking saga hears, in the domain's words: the facts it reacts to (DESIGN §5).

The saga never sees a contract message: `consumers/saga_input.py` maps each public message it uses to one
of these at the edge, keeping only what the saga decides on. `seats_version` is the Event's aggregate
version the seat count comes from, or None when the answer is about no Event at all (the events service
publishes those with version 0): the waitlist ignores a seat count older than one it already acted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, slots=True)
class SeatsReserved:
    """The Event holds a booking's seats for `attempt`."""

    event_id: UUID
    booking_id: UUID
    attempt: int
    seats_available: int
    seats_version: int | None = None


@dataclass(frozen=True, slots=True)
class SeatsRejected:
    """The Event refused a booking's `attempt`; `is_full` means it might fit later (the waitlist)."""

    event_id: UUID
    booking_id: UUID
    attempt: int
    reason: str
    seats_available: int
    seats_version: int | None = None

    @property
    def is_full(self) -> bool:
        return self.reason == "full"


@dataclass(frozen=True, slots=True)
class SeatsReleased:
    """Seats went back to the Event: the line may move."""

    event_id: UUID
    seats_available: int
    seats_version: int | None = None


@dataclass(frozen=True, slots=True)
class EventUpdated:
    """The Event changed; `capacity` is its new maximum when that changed (None otherwise)."""

    event_id: UUID
    seats_available: int
    capacity: int | None = None
    seats_version: int | None = None


@dataclass(frozen=True, slots=True)
class EventCancelled:
    """The Event was called off."""

    event_id: UUID


@dataclass(frozen=True, slots=True)
class PaymentSucceeded:
    """Money for `payment_id` arrived (`booking_id` None: a payment of no booking, e.g. a top-up)."""

    payment_id: UUID
    booking_id: UUID | None
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class PaymentFailed:
    """The payment will not be made."""

    payment_id: UUID
    booking_id: UUID | None


@dataclass(frozen=True, slots=True)
class PaymentRefunded:
    """The payment's money went back."""

    payment_id: UUID
    booking_id: UUID | None


@dataclass(frozen=True, slots=True)
class SeatsLeased:
    """The Event granted the lease ledger `seats` seats for `lease_id` (issue 8, setting seat_leases)."""

    event_id: UUID
    lease_id: UUID
    seats: int


@dataclass(frozen=True, slots=True)
class LeaseRefused:
    """The Event granted nothing for `lease_id`: "full" (ask again later) or a reason that ends leasing."""

    event_id: UUID
    lease_id: UUID
    reason: str


@dataclass(frozen=True, slots=True)
class LeasedSeatsReturned:
    """Leased seats went back to the Event (`seats_unallocated` are its to give now): the line may move."""

    event_id: UUID
    seats_unallocated: int
    seats_version: int | None = None


SagaInput = (SeatsReserved | SeatsRejected | SeatsReleased | EventUpdated | EventCancelled | PaymentSucceeded
             | PaymentFailed | PaymentRefunded | SeatsLeased | LeaseRefused | LeasedSeatsReturned)
