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


@dataclass(frozen=True)
class Tell:
    """A message type that tells one person about `kind`: who (a payload field), which payload fields the
    template reads, and whether a calendar file goes with it. Most types need nothing more (TELL below)."""

    kind: str
    category: str
    fields: tuple[str, ...] = ()
    calendar: str | None = None
    recipient: str = "user_id"

    def __call__(self, p: Mapping[str, Any]) -> list[Trigger]:
        data = {f: _plain(p.get(f)) for f in self.fields}
        if "amount" in data:  # with the currency's minor units even when an older message said "50"
            data["amount"] = format_amount(p.get("amount"), p.get("currency"))
        return [Trigger(self.kind, self.category, data, user_id=p[self.recipient], booking_id=p.get("booking_id"),
                        event_id=p.get("event_id"), calendar=self.calendar)]


def _plain(value: Any) -> Any:
    """JSON-ready: amounts (Decimal) and ids as strings."""
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


_MONEY = ("amount", "currency")

TELL: dict[str, Tell] = {
    # users.v1
    "UserRegistered": Tell("welcome", "account"),
    # bookings.v1
    "BookingConfirmed": Tell("booking_confirmed", "booking", ("group_size",), calendar="publish"),
    "BookingWaitlisted": Tell("booking_waitlisted", "booking", ("position",)),
    "BookingPromoted": Tell("booking_promoted", "booking", ("group_size",)),
    "BookingAwaitingPayment": Tell("booking_awaiting_payment", "payment", ("expires_at", *_MONEY)),
    "BookingExpired": Tell("booking_expired", "booking"),
    "BookingRejected": Tell("booking_rejected", "booking", ("reason",)),
    "BookingCancelled": Tell("booking_cancelled", "booking", ("reason",), calendar="cancel"),
    # payments.v1
    "PaymentSucceeded": Tell("payment_succeeded", "payment", _MONEY),
    "PaymentFailed": Tell("payment_failed", "payment", (*_MONEY, "reason")),
    "PaymentRefunded": Tell("refund_issued", "payment", (*_MONEY, "reason")),
    # notifications.v1: the thread's owner hears of every reply (payload: thread_id, user_id, content)
    "SupportReplied": Tell("support_reply", "support", ("thread_id", "content")),
    # events.v1: the author hears the moderator's decision (payload: review_id, event_id, author_id, reason)
    "ReviewApproved": Tell("review_approved", "reviews", ("reason",), recipient="author_id"),
    "ReviewRejected": Tell("review_rejected", "reviews", ("reason",), recipient="author_id"),
}
HANDLERS.update(TELL)


@on("BookingCancelled")
def _cancelled(p):
    if p.get("reason") == "event_cancelled":
        return []  # the event's own cancellation notice (EventCancelled) already tells them, with the ICS
    return TELL["BookingCancelled"](p)


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
