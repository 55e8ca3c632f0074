"""Named reasons the bookings domain refuses a request; the API maps each base class to one HTTP status."""

from __future__ import annotations

from datetime import datetime


class BookingRuleViolation(Exception):
    """Base of every refusal by the bookings domain."""

    # A refusal is the same every time: a saga message that meets one is poison (dead-lettered at once by
    # spine's consumer, see spine.errors), not something to wait for.
    transient = False


class EventNotFound(BookingRuleViolation):
    """Raised when a booking names an event the catalogue does not know (HTTP 404)."""


class BookingNotFound(BookingRuleViolation):
    """Raised when no booking has the requested id (HTTP 404)."""


class EventNotBookable(BookingRuleViolation):
    """Base of the refusals caused by the event's state (HTTP 409)."""


class EventAlreadyStarted(EventNotBookable):
    """Raised when someone books an event whose start time has passed."""


class EventIsCancelled(EventNotBookable):
    """Raised when someone books an event its organizer called off."""


class InvalidBookingRequest(BookingRuleViolation):
    """Base of the refusals caused by what the user asked for (HTTP 422)."""


class GroupSizeOutOfRange(InvalidBookingRequest):
    """Raised when group_size is below 1, above the per-booking maximum, or above the event's capacity."""


class PaymentMethodNotAllowed(InvalidBookingRequest):
    """Raised when a paid event is booked without a payment method, or with one the event does not accept."""


class WaitlistFull(EventNotBookable):
    """Raised when a booking would join an event's line that already holds max_waitlist_length bookings (409)."""


class UserLimitReached(BookingRuleViolation):
    """Base of the per-user limits; the problem document carries the limit and what the user already has."""

    def __init__(self, message: str, **extensions: int):
        super().__init__(message)
        self.problem_extensions = extensions


class TooManySeatsForUser(UserLimitReached):
    """Raised when a booking would take one account over max_seats_per_user_per_event (HTTP 409)."""


class TooManyPendingPayments(UserLimitReached):
    """Raised when a user with max_pending_payments_per_user unpaid bookings books a paid event (HTTP 429)."""


class BookingNotCancellable(BookingRuleViolation):
    """Raised when a booking that already ended (rejected, expired) is cancelled (HTTP 409)."""


class BookingAlreadyCancelled(BookingNotCancellable):
    """Raised when a cancelled booking is cancelled a second time (HTTP 409)."""


class CancellationDeadlinePassed(BookingNotCancellable):
    """Raised when a participant cancels a confirmed booking after the cancellation deadline (HTTP 409).

    The deadline travels in the problem document (`cancellation_deadline`), so a client can show it."""

    def __init__(self, deadline: datetime):
        super().__init__(f"bookings of this event could be cancelled until {deadline.isoformat()}; "
                         "the deadline has passed")
        self.deadline = deadline
        self.problem_extensions = {"cancellation_deadline": deadline.isoformat()}


class NotBookingOwner(BookingRuleViolation):
    """Raised when someone other than the booking's owner (or an admin) cancels or reads it (HTTP 403)."""


class IllegalTransition(BookingRuleViolation):
    """Raised when the saga asks a booking for a step its status does not allow (a bug, not user input)."""
