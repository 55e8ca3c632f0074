"""The api's single writer keeps users' ledgers between batches; another writer (an api replica) saving the
same ledger meanwhile must not let a user past the per-user limits: the stale ledger fails the save's version
check and the batch is re-run from a fresh load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from bookings_service.application import BookingRequest, KeptLedgers
from bookings_service.domain import BookingRules, EventTerms, TooManySeatsForUser

pytestmark = pytest.mark.integration


def test_a_kept_ledger_that_another_replica_changed_is_reloaded_and_the_limit_holds(client):
    app = client.app.state.container.bookings
    terms = EventTerms(event_id=uuid4(), created_by=uuid4(), start_time=datetime.now(UTC) + timedelta(days=1),
                       status="scheduled", is_paid=False, price=None, currency=None, allowed_payment_methods=(),
                       max_participants=100, seats_available=100)
    rules = BookingRules(max_seats_per_user_per_event=3)
    user = uuid4()

    def ask(seats: int) -> BookingRequest:
        return BookingRequest(booking_id=uuid4(), user_id=user, terms=terms, rules=rules, group_size=seats,
                              payment_method=None)

    kept = KeptLedgers()
    [first] = app.request_many([ask(1)], kept=kept)
    assert first.group_size == 1 and user in kept
    # Another replica books 2 seats for the same user: its ledger is saved, ours is now one version behind.
    app.request_booking(booking_id=uuid4(), user_id=user, terms=terms, rules=rules, group_size=2,
                        payment_method=None)

    [refused] = app.request_many([ask(1)], kept=kept)  # 1 + 2 + 1 > 3: refused, though the kept ledger knew of 1

    assert isinstance(refused, TooManySeatsForUser)
    assert user in kept  # the fresh ledger (with the refusal's bookkeeping) is kept for the next batch
