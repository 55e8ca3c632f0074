"""The organizer-editable description of an event, and the rules it must satisfy.

Field names match `contracts.events.EventDetails`; this is the domain's own copy so the domain
imports no framework.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from contracts.currencies import MINOR_UNITS, fits_minor_units
from contracts.money import canonical

from events_service.domain import errors

# Mirrors contracts.events.PAYMENT_METHODS (a unit test guards against drift).
PAYMENT_METHODS: tuple[str, ...] = ("card", "yookassa", "stripe", "cash", "balance", "sandbox")

FIELDS = ("title", "description", "start_time", "duration_minutes", "max_participants", "is_paid", "price",
          "currency", "allowed_payment_methods", "tags")


@dataclass(frozen=True)
class EventDetails:
    """What an event is, when, how many seats, and what a seat costs."""

    title: str
    start_time: datetime
    duration_minutes: int
    max_participants: int
    description: str = ""
    is_paid: bool = False
    price: Decimal | None = None
    currency: str | None = None
    allowed_payment_methods: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def normalised(self) -> EventDetails:
        """Same details in canonical form: trimmed text, UTC time, upper-case currency, clean lists."""
        start = self.start_time if self.start_time.tzinfo else self.start_time.replace(tzinfo=UTC)
        price = None if self.price is None else Decimal(self.price)
        if not self.is_paid and price == 0:
            price = None  # "free" may be sent as price 0
        currency = self.currency.strip().upper() if self.currency else None
        return dataclasses.replace(
            self,
            title=(self.title or "").strip(),
            description=(self.description or "").strip(),
            start_time=start.astimezone(UTC),
            price=canonical(price, currency),  # "10" EUR is stored (and published) as 10.00
            currency=currency,
            allowed_payment_methods=_unique(m.strip().lower() for m in self.allowed_payment_methods or ()),
            tags=_unique(t.strip().lower() for t in self.tags or ()),
        )

    def merged(self, changes: dict[str, Any]) -> EventDetails:
        """These details with some fields replaced (a partial update)."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise ValueError(f"not event details: {sorted(unknown)}")
        return dataclasses.replace(self, **changes)

    def as_state(self) -> dict[str, Any]:
        """Plain values for storing in domain events."""
        return {name: getattr(self, name) for name in FIELDS}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EventDetails:
        """Rebuild from stored values (lists come back as lists, Decimal and datetime are transcoded)."""
        return cls(**{name: state[name] for name in FIELDS if name in state})


def _unique(items: Any) -> list[str]:
    """Non-empty items, first occurrence kept, order preserved."""
    return list(dict.fromkeys(i for i in items if i))


def check_details(details: EventDetails, *, now: datetime, start_changed: bool = True) -> None:
    """Every rule on normalised details; the start must be in the future only when it is being set."""
    check_title(details)
    if start_changed:
        check_start_in_future(details, now)
    check_duration(details)
    check_capacity(details)
    check_price(details)
    check_currency(details)
    check_payment_methods(details)


def check_title(d: EventDetails) -> None:
    """An event needs a name people can find it by."""
    if not d.title:
        raise errors.EmptyTitle("title must not be empty")


def check_start_in_future(d: EventDetails, now: datetime) -> None:
    """Nobody can book an event that has already started."""
    if d.start_time <= now:
        raise errors.StartNotInFuture(f"start_time {d.start_time.isoformat()} is not in the future")


def check_duration(d: EventDetails) -> None:
    """An event lasts some time."""
    if d.duration_minutes <= 0:
        raise errors.NonPositiveDuration("duration_minutes must be positive")


def check_capacity(d: EventDetails) -> None:
    """An event without seats cannot be booked."""
    if d.max_participants <= 0:
        raise errors.NonPositiveCapacity("max_participants must be positive")


def check_price(d: EventDetails) -> None:
    """Paid seats cost something, in whole minor units of their currency (JPY 10.50 could never be paid);
    free seats cost nothing."""
    if d.is_paid and (d.price is None or d.price <= 0):
        raise errors.InvalidPrice("a paid event needs a positive price")
    if d.is_paid and d.currency in MINOR_UNITS and not fits_minor_units(d.price, d.currency):  # type: ignore[arg-type]
        places = MINOR_UNITS[d.currency]
        raise errors.InvalidPrice(f"a {d.currency} price has at most {places} decimal place{'s' * (places != 1)}"
                                  f", got {d.price}")
    if not d.is_paid and d.price is not None:
        raise errors.InvalidPrice("a free event cannot have a price")


def check_currency(d: EventDetails) -> None:
    """A price means nothing without its currency; a free event has none."""
    if d.is_paid and not (d.currency and len(d.currency) == 3 and d.currency.isascii() and d.currency.isalpha()):
        raise errors.InvalidCurrency("a paid event needs a 3-letter ISO 4217 currency, e.g. EUR")
    if d.is_paid and d.currency not in MINOR_UNITS:
        raise errors.InvalidCurrency(f"{d.currency} is not a currency the platform prices in (ISO 4217, e.g. EUR)")
    if not d.is_paid and d.currency is not None:
        raise errors.InvalidCurrency("a free event cannot have a currency")


def check_payment_methods(d: EventDetails) -> None:
    """Bookings may only use methods the payments service knows, and a paid event needs one."""
    unknown = [m for m in d.allowed_payment_methods if m not in PAYMENT_METHODS]
    if unknown:
        raise errors.InvalidPaymentMethods(f"unknown payment methods {unknown}; allowed: {list(PAYMENT_METHODS)}")
    if d.is_paid and not d.allowed_payment_methods:
        raise errors.InvalidPaymentMethods("a paid event must allow at least one payment method")


def check_methods_enabled(d: EventDetails, enabled: Collection[str], already: Collection[str] = ()) -> None:
    """An event may only advertise payment methods the payments service has switched on: a booking with any
    other would fail its payment every time. Methods it already advertised (`already`, on an edit) are
    left alone, so switching a provider off does not make its events uneditable."""
    refused = [m for m in d.allowed_payment_methods if m not in enabled and m not in already]
    if refused:
        raise errors.PaymentMethodNotEnabled(
            f"payment method{'s' * (len(refused) != 1)} {refused} {'are' if len(refused) != 1 else 'is'} not "
            f"switched on here; enabled: {sorted(enabled)}", enabled=sorted(enabled))
