"""When a participant may still cancel, and what a cancellation gives back (DESIGN §5 step 5).

* Deadline: `cancellation_deadline_hours` before the event's start a confirmed booking (or one whose money
  was taken) becomes final for its owner; after that a cancellation is refused with the deadline. Leaving
  the waitlist and dropping an unpaid hold stay possible until the end: nothing was paid, and the seats
  go back to the line sooner. An admin cancelling someone else's booking (an operational decision) is not
  bound by the deadline and refunds in full.
* Fee: a participant's own cancellation of a paid booking keeps `refund_fee_percent` of the price. The
  fee is rounded down to the currency's minor unit, so it never exceeds the percentage. Event
  cancellations, admin cancellations and refunds of payments that arrived too late are always in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from contracts.currencies import minor_units

from bookings_service.domain import errors


@dataclass(frozen=True)
class RefundSplit:
    """What goes back to the payer and what the platform keeps."""

    refund: Decimal
    fee: Decimal

    @property
    def is_full(self) -> bool:
        return self.fee == 0


def refund_after_fee(amount: Decimal, currency: str | None, fee_percent: Decimal) -> RefundSplit:
    """Split a paid amount by the fee percentage (0..100, clamped), the fee rounded down to the minor unit."""
    percent = min(max(Decimal(fee_percent), Decimal(0)), Decimal(100))
    places = minor_units(currency or "")
    unit = Decimal(1).scaleb(-(2 if places is None else places))
    fee = (amount * percent / 100).quantize(unit, rounding=ROUND_DOWN)
    return RefundSplit(refund=amount - fee, fee=fee)


@dataclass(frozen=True)
class CancellationTerms:
    """What a participant's cancellation is checked against, decided now."""

    now: datetime
    starts_at: datetime | None  # None when the catalogue no longer knows the event: no deadline to apply
    deadline_hours: int = 24
    fee_percent: Decimal = Decimal(0)

    @property
    def deadline(self) -> datetime | None:
        """The last moment a participant may cancel a confirmed booking."""
        if self.starts_at is None:
            return None
        return self.starts_at - timedelta(hours=max(0, min(int(self.deadline_hours), 8_760)))

    def check_in_time(self) -> None:
        """Refuses a participant's cancellation once the deadline has passed."""
        deadline = self.deadline
        if deadline is not None and self.now >= deadline:
            raise errors.CancellationDeadlinePassed(deadline)


NO_TERMS = CancellationTerms(now=datetime.min, starts_at=None, deadline_hours=0, fee_percent=Decimal(0))
