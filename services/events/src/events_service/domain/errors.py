"""Named reasons the Event aggregate refuses a command; the API maps each to an HTTP problem status."""

from __future__ import annotations


class EventRuleViolation(Exception):
    """Base of every refusal by the Event aggregate."""

    # A refusal is the same every time: a saga message that meets one is poison (dead-lettered at once by
    # spine's consumer, see spine.errors), not something to wait for.
    transient = False


class InvalidEventDetails(EventRuleViolation):
    """Base of the refusals caused by what the organizer typed (HTTP 422)."""


class EmptyTitle(InvalidEventDetails):
    """Raised when an event's title is missing or only whitespace."""


class StartNotInFuture(InvalidEventDetails):
    """Raised when an event is scheduled, or moved, to a start time that is not in the future."""

    problem_title = "Start time not in the future"


class NonPositiveDuration(InvalidEventDetails):
    """Raised when an event's duration is zero or negative minutes."""

    problem_title = "Duration not positive"


class NonPositiveCapacity(InvalidEventDetails):
    """Raised when an event's seat capacity (`max_participants`) is zero or negative."""

    problem_title = "Capacity not positive"


class InvalidPrice(InvalidEventDetails):
    """Raised when a paid event has no positive price, or a free event carries a price."""


class InvalidCurrency(InvalidEventDetails):
    """Raised when a paid event lacks a 3-letter ISO 4217 currency, or a free event names one."""


class InvalidPaymentMethods(InvalidEventDetails):
    """Raised when a payment method is unknown, or a paid event allows no method at all."""


class PaymentMethodNotEnabled(InvalidPaymentMethods):
    """Raised when an event would advertise a payment method the payments service has not switched on (the
    problem's `enabled_methods` lists those it has)."""

    problem_title = "Payment method not enabled"

    def __init__(self, message: str, *, enabled: list[str]):
        super().__init__(message)
        self.problem_extensions = {"enabled_methods": enabled}


class PaidSwitchWithBookings(EventRuleViolation):
    """Raised when an event whose seats are held by bookings would switch between free and paid (HTTP 409):
    those bookings were made, and paid or not, on the other terms."""

    problem_title = "Free/paid switch with bookings"


class CapacityBelowSeatsTaken(EventRuleViolation):
    """Raised when a new capacity would be lower than the seats already reserved (HTTP 409)."""


class EventAlreadyCancelled(EventRuleViolation):
    """Raised when a cancelled event is edited or cancelled again (HTTP 409)."""


class EventAlreadyStarted(EventRuleViolation):
    """Raised when an organizer cancels an event that has already started (HTTP 409)."""


class NotEventOrganizer(EventRuleViolation):
    """Raised when someone other than the event's organizer, without events:manage_any, changes it (HTTP 403)."""


class EventNotFound(Exception):
    """Raised when no event has the requested id (HTTP 404)."""


class InvalidSeatCount(EventRuleViolation):
    """Raised when a reservation asks for zero or a negative number of seats."""


class SeatsOutOfRange(EventRuleViolation):
    """Raised when a change would leave fewer than 0 or more than capacity seats taken (never recorded)."""


class ReviewRuleViolation(Exception):
    """Base of every refusal by the Review aggregate (or the rules for writing one)."""


class InvalidReview(ReviewRuleViolation):
    """Raised when a review's rating is outside 1–5 or its comment is empty or too long (HTTP 422)."""


class NotAnAttendee(ReviewRuleViolation):
    """Raised when someone without a confirmed booking for the event reviews it (HTTP 403: it is about who
    asks, not about the state of the review, and asking again will not help)."""


class EventNotStartedYet(ReviewRuleViolation):
    """Raised when an event is reviewed before it has started (HTTP 409)."""


class ReviewAlreadySubmitted(ReviewRuleViolation):
    """Raised when a user reviews an event they already reviewed (HTTP 409)."""


class ReviewAlreadyModerated(ReviewRuleViolation):
    """Raised when a review that was already approved or rejected is decided again (HTTP 409)."""


class OwnReview(ReviewRuleViolation):
    """Raised when a moderator approves or rejects their own review (HTTP 403)."""


class ReviewNotFound(Exception):
    """Raised when no review has the requested id (HTTP 404)."""
