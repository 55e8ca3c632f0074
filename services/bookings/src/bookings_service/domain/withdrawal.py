"""Cancelling a booking and taking it out of its event's line: one step, wherever the cancellation comes from.

The owner or an admin (with the cancellation terms), the event being called off (the saga's cascade and the
timer's safety net): each ends the booking and frees its place in line together, so no caller can do one
without the other. A line that was closed (the event was cancelled) has nobody left in it: leaving is a no-op.
"""

from __future__ import annotations

from bookings_service.domain.booking import Booking
from bookings_service.domain.cancellation import NO_TERMS, CancellationTerms
from bookings_service.domain.terms import Actor
from bookings_service.domain.waitlist import Waitlist


def cancel_and_leave(booking: Booking, waitlist: Waitlist | None, *, actor: Actor | None = None,
                     terms: CancellationTerms = NO_TERMS) -> None:
    """Cancel `booking` (by `actor` under `terms`; without an actor: the event was called off, a no-op for a
    booking that already ended) and take it out of `waitlist`. Guards raise before anything is recorded."""
    if actor is None:
        booking.cancel_for_event()
    else:
        booking.cancel(actor, terms)
    if waitlist is not None:
        waitlist.leave(booking.id)
