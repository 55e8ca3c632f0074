"""Per-user limits: seats one account may hold at one event, paid bookings it may leave unpaid; the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from bookings_service.domain import (
    Actor,
    Booking,
    BookingRules,
    EventTerms,
    Holding,
    TooManyPendingPayments,
    TooManySeatsForUser,
    UserBookings,
    check_user_limits,
    user_bookings_id,
)

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, tzinfo=UTC)
USER = uuid4()
RULES = BookingRules(max_seats_per_user_per_event=4, max_pending_payments_per_user=2)


def terms(event_id=None, *, paid=False) -> EventTerms:
    return EventTerms(event_id=event_id or uuid4(), created_by=uuid4(), start_time=NOW + timedelta(days=2),
                      status="scheduled", is_paid=paid, price=Decimal("10.00") if paid else None,
                      currency="EUR" if paid else None, allowed_payment_methods=("sandbox",) if paid else (),
                      max_participants=50, seats_available=50)


def booking(t: EventTerms, seats: int = 1) -> Booking:
    b = Booking.request(booking_id=uuid4(), user_id=USER, terms=t, group_size=seats,
                        payment_method="sandbox" if t.is_paid else None, rules=BookingRules(), now=NOW)
    b.request_seats()
    return b


def check(holdings, t: EventTerms, seats: int = 1) -> None:
    check_user_limits([Holding.of(b) for b in holdings], event_id=t.event_id, group_size=seats, is_paid=t.is_paid,
                      rules=RULES)


def test_one_account_holds_at_most_the_limit_of_seats_at_one_event():
    event, other = terms(), terms()
    mine = [booking(event, 2), booking(event, 1), booking(other, 4)]
    check(mine, event, 1)  # 3 + 1 = 4: the limit itself is fine
    with pytest.raises(TooManySeatsForUser) as refused:
        check(mine, event, 2)
    assert refused.value.problem_extensions == {"limit": 4, "seats_held": 3}


def test_ended_bookings_do_not_count_but_waitlisted_ones_do():
    event = terms()
    cancelled, waiting = booking(event, 3), booking(event, 3)
    cancelled.cancel(Actor(USER))
    waiting.wait_in_line(1)
    check([cancelled], event, 4)
    with pytest.raises(TooManySeatsForUser):
        check([cancelled, waiting], event, 2)


def test_unpaid_paid_bookings_are_limited_across_events_and_paying_frees_a_slot():
    first, second = booking(terms(paid=True)), booking(terms(paid=True))
    free_event = terms()
    check([first, second], free_event)  # a free booking owes nothing
    with pytest.raises(TooManyPendingPayments) as refused:
        check([first, second], terms(paid=True))
    assert refused.value.problem_extensions == {"limit": 2, "pending_payments": 2}
    first.seats_reserved(1, now=NOW, rules=BookingRules())
    first.payment_succeeded(first.payment_id)
    check([first, second], terms(paid=True))


def test_the_ledger_lists_what_may_count_and_forgets_what_ended():
    event, other = terms(), terms(paid=True)
    ledger = UserBookings(user_id=USER)
    assert ledger.id == user_bookings_id(USER)
    here, gone, elsewhere_paid, elsewhere_free = booking(event), booking(event), booking(other), booking(terms())
    for b in (here, gone, elsewhere_paid, elsewhere_free):
        ledger.add(b)
    assert set(ledger.relevant_to(event.event_id)) == {here.id, gone.id, elsewhere_paid.id}
    gone.cancel(Actor(USER))
    elsewhere_paid.seats_reserved(1, now=NOW, rules=BookingRules())
    elsewhere_paid.payment_succeeded(elsewhere_paid.payment_id)
    ledger.refresh({here.id: here, gone.id: gone, elsewhere_paid.id: elsewhere_paid})
    assert ledger.relevant_to(event.event_id) == [here.id]
    ledger.refresh({here.id: here})  # nothing ended since: nothing recorded
    assert [type(e).__name__ for e in ledger.collect_events()] == ["Opened", "Added", "Added", "Added", "Added",
                                                                   "Refreshed"]


def test_the_ledger_alone_clears_a_request_well_within_the_limits_and_never_under_counts():
    event = terms(paid=True)
    ledger = UserBookings(user_id=USER)
    for b in (booking(event, 2), booking(terms(paid=True))):
        ledger.add(b)
    assert ledger.surely_within_limits(event.event_id, 2, False, RULES)  # 2 + 2 seats: within 4 whatever happened
    assert not ledger.surely_within_limits(event.event_id, 3, False, RULES)  # 5 seats > 4: look closer
    assert not ledger.surely_within_limits(event.event_id, 1, True, RULES)  # 2 maybe unpaid: look closer
    assert ledger.surely_within_limits(terms().event_id, 4, False, RULES)  # another, free event: nothing counts
