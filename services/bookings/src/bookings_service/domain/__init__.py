"""Business rules of the bookings service: Booking and Waitlist aggregates, waitlist policies, the saga
policy. No I/O, no frameworks."""

from bookings_service.domain.booking import (
    AWAITING_PAYMENT,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    LIVE,
    PENDING,
    REJECTED,
    WAITLISTED,
    Booking,
    payment_id_for,
)
from bookings_service.domain.cancellation import CancellationTerms, RefundSplit, refund_after_fee
from bookings_service.domain.errors import (
    BookingAlreadyCancelled,
    BookingNotCancellable,
    BookingNotFound,
    BookingRuleViolation,
    CancellationDeadlinePassed,
    EventAlreadyStarted,
    EventIsCancelled,
    EventNotBookable,
    EventNotFound,
    GroupSizeOutOfRange,
    IllegalTransition,
    InvalidBookingRequest,
    NotBookingOwner,
    PaymentMethodNotAllowed,
    TooManyPendingPayments,
    TooManySeatsForUser,
    UserLimitReached,
    WaitlistFull,
)
from bookings_service.domain.status import BookingStatus
from bookings_service.domain.terms import Actor, BookingRules, EventTerms
from bookings_service.domain.user_limits import Holding, UserBookings, check_user_limits, user_bookings_id
from bookings_service.domain.waitlist import Waitlist, waitlist_id

__all__ = [
    "AWAITING_PAYMENT", "CANCELLED", "CONFIRMED", "EXPIRED", "LIVE", "PENDING", "REJECTED", "WAITLISTED", "Actor",
    "Booking", "BookingStatus", "BookingAlreadyCancelled", "CancellationDeadlinePassed", "CancellationTerms",
    "RefundSplit",
    "refund_after_fee", "BookingNotCancellable", "BookingNotFound", "BookingRules",
    "BookingRuleViolation", "EventAlreadyStarted", "EventIsCancelled", "EventNotBookable", "EventNotFound",
    "EventTerms", "GroupSizeOutOfRange", "IllegalTransition", "InvalidBookingRequest", "NotBookingOwner",
    "PaymentMethodNotAllowed", "Waitlist", "payment_id_for", "waitlist_id", "Holding", "TooManyPendingPayments",
    "TooManySeatsForUser", "UserBookings", "UserLimitReached", "WaitlistFull", "check_user_limits",
    "user_bookings_id",
]
