"""Business rules of the events service: the Event aggregate, its details and seats, and reviews. No I/O, no
frameworks."""

from events_service.domain.details import PAYMENT_METHODS, EventDetails
from events_service.domain.errors import (
    CapacityBelowSeatsTaken,
    EmptyTitle,
    EventAlreadyCancelled,
    EventAlreadyStarted,
    EventNotFound,
    EventNotStartedYet,
    EventRuleViolation,
    InvalidCurrency,
    InvalidEventDetails,
    InvalidPaymentMethods,
    InvalidPrice,
    InvalidReview,
    InvalidSeatCount,
    NonPositiveCapacity,
    NonPositiveDuration,
    NotAnAttendee,
    NotEventOrganizer,
    OwnReview,
    PaidSwitchWithBookings,
    PaymentMethodNotEnabled,
    ReviewAlreadyModerated,
    ReviewAlreadySubmitted,
    ReviewNotFound,
    ReviewRuleViolation,
    SeatsOutOfRange,
    StartNotInFuture,
)
from events_service.domain.event import (
    CANCELLED,
    EVENT_CANCELLED,
    FULL,
    NOT_BOOKABLE,
    PAID_EVENT,
    SCHEDULED,
    Actor,
    Event,
)
from events_service.domain.payment_methods import fallback_payment_methods
from events_service.domain.review import APPROVED, PENDING, REJECTED, Review
from events_service.domain.seats import (
    ReleaseSeats,
    RequestSeatLease,
    ReserveSeats,
    ReturnLeasedSeats,
    SeatCommand,
)
from events_service.domain.unknown_event import UNKNOWN_EVENT, UnknownEventAnswers

__all__ = [
    "CANCELLED", "EVENT_CANCELLED", "FULL", "NOT_BOOKABLE", "PAYMENT_METHODS", "SCHEDULED", "UNKNOWN_EVENT",
    "Actor", "fallback_payment_methods", "CapacityBelowSeatsTaken", "EmptyTitle", "Event", "EventAlreadyCancelled",
    "EventAlreadyStarted",
    "EventDetails",
    "EventNotFound", "EventRuleViolation", "InvalidCurrency", "InvalidEventDetails", "InvalidPaymentMethods",
    "InvalidPrice", "InvalidSeatCount", "NonPositiveCapacity", "NonPositiveDuration", "NotEventOrganizer",
    "PaidSwitchWithBookings", "PaymentMethodNotEnabled", "ReleaseSeats", "ReserveSeats", "PAID_EVENT",
    "RequestSeatLease", "ReturnLeasedSeats", "SeatCommand", "SeatsOutOfRange", "StartNotInFuture",
    "UnknownEventAnswers",
    "APPROVED", "PENDING", "REJECTED", "EventNotStartedYet", "InvalidReview", "NotAnAttendee", "OwnReview", "Review",
    "ReviewAlreadyModerated", "ReviewAlreadySubmitted", "ReviewNotFound", "ReviewRuleViolation",
]
