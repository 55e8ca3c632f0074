"""One vocabulary of statuses and reasons for every service (issue 11: "one consistent API voice").

A booking cancelled by its user says `user`, and so does the refund of its payment (it used to say
`booking_user`). API response models use these enums, so each service's OpenAPI lists the values.

Contract fields that carry these words stay plain strings: narrowing what a consumer accepts within a
version would break it on messages already published. Words published before this vocabulary are still
read: `RefundReason.read` maps them to today's word (payments applies it to commands and to the payments it
stored earlier), and nothing else was renamed.
"""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """Where a booking is in its saga (DESIGN §4)."""

    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    """Where a payment is (the seed's `success` is accepted as a synonym of `succeeded` in filters only)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    VOIDED = "voided"  # its booking was cancelled before it was paid


class EventStatus(StrEnum):
    """Whether an event still takes place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class ReviewStatus(StrEnum):
    """Where a review is in moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PaymentMethod(StrEnum):
    """How a booking or top-up is paid (`card` is served by the configured card provider)."""

    CARD = "card"
    YOOKASSA = "yookassa"
    STRIPE = "stripe"
    CASH = "cash"
    BALANCE = "balance"
    SANDBOX = "sandbox"


class CancellationReason(StrEnum):
    """Why a booking was cancelled (BookingCancelled.reason, a booking's `reason`)."""

    USER = "user"  # its participant cancelled it
    ADMIN = "admin"  # staff (or the event's organizer) cancelled it
    EVENT_CANCELLED = "event_cancelled"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_REFUNDED = "payment_refunded"  # an operator refunded its payment: no seat without money
    LEFT_WAITLIST = "left_waitlist"


class RejectionReason(StrEnum):
    """Why the event could not take a booking (BookingRejected.reason, a booking's `reason`)."""

    EVENT_CANCELLED = "event_cancelled"
    NOT_BOOKABLE = "not_bookable"  # the event has started
    UNKNOWN_EVENT = "unknown_event"
    CAPACITY_REDUCED = "capacity_reduced"
    WAITLIST_FULL = "waitlist_full"


class RefundReason(StrEnum):
    """Why a payment's money went back (RefundPayment/PaymentRefunded.reason, a payment's `refund_reason`).

    A booking's cancellation refunds with the cancellation's own word. An admin's refund through the API
    carries the admin's own words instead (`refunded_by_admin` when they gave none)."""

    USER = "user"
    ADMIN = "admin"
    EVENT_CANCELLED = "event_cancelled"
    PAYMENT_FAILED = "payment_failed"
    LEFT_WAITLIST = "left_waitlist"
    AMOUNT_MISMATCH = "amount_mismatch"  # paid a different amount or currency than the booking costs
    HOLD_EXPIRED_SEATS_GONE = "hold_expired_seats_gone"  # paid after the hold lapsed, and the seats were taken
    BOOKING_NOT_LIVE = "booking_not_live"  # paid for a booking that no longer waited for this payment
    REFUNDED_BY_ADMIN = "refunded_by_admin"

    @classmethod
    def read(cls, value: str | None) -> RefundReason | str | None:
        """Today's word for a reason, also for words published before this vocabulary (`booking_user` → `user`,
        `booking_<status>` → `booking_not_live`); anything else (an admin's own words) as it is."""
        if value is None or value in cls._value2member_map_:
            return None if value is None else cls(value)
        rest = value.removeprefix("booking_")
        if rest != value and rest in _STATUS_WORDS:
            return cls.BOOKING_NOT_LIVE
        if rest != value and rest in cls._value2member_map_:
            return cls(rest)
        return value


# Before this vocabulary, a payment arriving for a booking in some status was refunded as `booking_<status>`.
_STATUS_WORDS = frozenset(BookingStatus)


class ReleaseReason(StrEnum):
    """Why a booking gives its seats back (ReleaseSeats.reason): its cancellation's word, or one of these."""

    USER = "user"
    ADMIN = "admin"
    EVENT_CANCELLED = "event_cancelled"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_REFUNDED = "payment_refunded"
    LEFT_WAITLIST = "left_waitlist"
    HOLD_EXPIRED = "hold_expired"
    BOOKING_NOT_LIVE = "booking_not_live"  # seats granted to a booking that had already ended


class SeatsRejectedReason(StrEnum):
    """Why the Event refused to hold seats (SeatsRejected.reason)."""

    FULL = "full"
    EVENT_CANCELLED = "event_cancelled"
    NOT_BOOKABLE = "not_bookable"
    UNKNOWN_EVENT = "unknown_event"
