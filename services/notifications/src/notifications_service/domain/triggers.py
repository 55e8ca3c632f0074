"""What each public event means to whom: one handler per message type name, each returning triggers.

A trigger says "tell this user (or everyone booked on this event) about `kind`, with this data". The
consumer (consumers.triggers) turns each into notification rows, once per (event, recipient, kind,
channel). Adding a notification for a new message type is: a handler here (`@on("TypeName")`) plus its
template in templates/<locale>/<kind>.txt. Handlers read the payload as a plain dict, so a type another
service is still adding (support replies, review moderation) needs no import here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from contracts.money import format_amount

from notifications_service.domain.schedule import notable_changes


@dataclass(frozen=True)
class Trigger:
    """One notification to make: for `user_id`, or for every live booking of `attendees_of` (an event)."""

    kind: str
    category: str
    data: Mapping[str, Any] = field(default_factory=dict)
    user_id: UUID | str | None = None
    attendees_of: UUID | str | None = None
    booking_id: UUID | str | None = None      # the booking it is about (its calendar entry, its event)
    event_id: UUID | str | None = None
    calendar: str | None = None               # attach an ICS: "publish" (new/changed) or "cancel"


Handler = Callable[[Mapping[str, Any]], list[Trigger]]
HANDLERS: dict[str, Handler] = {}


def on(type_name: str) -> Callable[[Handler], Handler]:
    """Register the handler of a message type (by its contract type name)."""
    def register(fn: Handler) -> Handler:
        HANDLERS[type_name] = fn
        return fn
    return register


def triggers_for(type_name: str, payload: Mapping[str, Any]) -> list[Trigger]:
    """The notifications one public message causes (none for types nobody is told about)."""
    handler = HANDLERS.get(type_name)
    return handler(payload) if handler else []


def _booking(kind: str, p: Mapping[str, Any], category: str = "booking", calendar: str | None = None,
             **data: Any) -> list[Trigger]:
    return [Trigger(kind, category, data, user_id=p["user_id"], booking_id=p.get("booking_id"),
                    event_id=p.get("event_id"), calendar=calendar)]


# --- users.v1 ---------------------------------------------------------------------------------------------
@on("UserRegistered")
def _welcome(p):
    return [Trigger("welcome", "account", {}, user_id=p["user_id"])]


# --- bookings.v1 ------------------------------------------------------------------------------------------
@on("BookingConfirmed")
def _confirmed(p):
    return _booking("booking_confirmed", p, calendar="publish", group_size=p.get("group_size"))


@on("BookingWaitlisted")
def _waitlisted(p):
    return _booking("booking_waitlisted", p, position=p.get("position"))


@on("BookingPromoted")
def _promoted(p):
    return _booking("booking_promoted", p, group_size=p.get("group_size"))


@on("BookingAwaitingPayment")
def _awaiting(p):
    return _booking("booking_awaiting_payment", p, category="payment", expires_at=p.get("expires_at"),
                    amount=format_amount(p.get("amount"), p.get("currency")), currency=p.get("currency"))


@on("BookingExpired")
def _expired(p):
    return _booking("booking_expired", p)


@on("BookingRejected")
def _rejected(p):
    return _booking("booking_rejected", p, reason=p.get("reason"))


@on("BookingCancelled")
def _cancelled(p):
    if p.get("reason") == "event_cancelled":
        return []  # the event's own cancellation notice (EventCancelled) already tells them, with the ICS
    return _booking("booking_cancelled", p, calendar="cancel", reason=p.get("reason"))


# --- payments.v1 ------------------------------------------------------------------------------------------
def _payment(kind: str, p: Mapping[str, Any], **data: Any) -> list[Trigger]:
    # Written with the currency's minor units even when an older message said "50" (contracts.money).
    return [Trigger(kind, "payment", {"amount": format_amount(p.get("amount"), p.get("currency")),
                                      "currency": p.get("currency"), **data},
                    user_id=p["user_id"], booking_id=p.get("booking_id"))]


@on("PaymentSucceeded")
def _paid(p):
    return _payment("payment_succeeded", p)


@on("PaymentFailed")
def _payment_failed(p):
    return _payment("payment_failed", p, reason=p.get("reason"))


@on("PaymentRefunded")
def _refunded(p):
    return _payment("refund_issued", p, reason=p.get("reason"))


# --- events.v1 --------------------------------------------------------------------------------------------
@on("EventUpdated")
def _event_changed(p):
    changes = notable_changes(p.get("changes") or {})
    if not changes:
        return []
    return [Trigger("event_changed", "booking", {"changes": changes}, attendees_of=p["event_id"],
                    event_id=p["event_id"], calendar="publish")]


@on("EventCancelled")
def _event_cancelled(p):
    return [Trigger("event_cancelled", "booking", {"reason": p.get("reason")}, attendees_of=p["event_id"],
                    event_id=p["event_id"], calendar="cancel")]


# --- hooks for types other helpers add (support replies: notifications; reviews: events) ------------------
@on("SupportReplied")
def _support_reply(p):
    """The thread's owner hears of every reply (payload: thread_id, user_id = the thread's owner, content)."""
    return [Trigger("support_reply", "support", {"thread_id": str(p.get("thread_id")), "content": p.get("content")},
                    user_id=p["user_id"])]


@on("ReviewApproved")
def _review_approved(p):
    """The author hears that their review is public (payload: review_id, event_id, author_id)."""
    return [Trigger("review_approved", "reviews", {"reason": p.get("reason")}, user_id=p["author_id"],
                    event_id=p.get("event_id"))]


@on("ReviewRejected")
def _review_rejected(p):
    """The author hears that their review was rejected, and why (payload: review_id, event_id, author_id, reason)."""
    return [Trigger("review_rejected", "reviews", {"reason": p.get("reason")}, user_id=p["author_id"],
                    event_id=p.get("event_id"))]
