"""Concurrent balance payments from one wallet: each decision re-checked after a lost race, never overdrawn."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier
from uuid import uuid4

import pytest

from payments_service.domain import PaymentOrder
from payments_service.testing import balance, pay_in_sandbox, top_up

pytestmark = pytest.mark.api

THREADS = 20


def test_twenty_concurrent_debits_never_overdraw_the_wallet(client, participant, feed_view):
    payment = top_up(client, participant, "100")
    pay_in_sandbox(client, participant, payment["id"])
    payments = client.app.state.container.payments
    start = Barrier(THREADS)

    def pay_for_a_booking(_: int) -> str:
        order = PaymentOrder(payment_id=uuid4(), user_id=participant.user_id, amount=Decimal("15.00"),
                             currency="EUR", method="balance", event_id=uuid4(), booking_id=uuid4())
        start.wait()
        # The saga's code path: a refusal is a failed payment, not an exception.
        return payments.request_payment_for_booking(order).status

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(pay_for_a_booking, range(THREADS)))

    assert outcomes.count("succeeded") == 6 and outcomes.count("failed") == THREADS - 6
    assert balance(client, participant) == {"EUR": "10.00"}
    wallet = payments.wallet_of(participant.user_id)
    assert min(e.balance for e in payments.events.get(wallet.id) if hasattr(e, "balance")) >= 0
    feed_view()
    failed = client.get("/api/v1/payments/", params={"status": "failed", "limit": 100},
                        headers=participant.headers).json()
    assert {p["failure_reason"] for p in failed} == {"insufficient_balance"} and len(failed) == THREADS - 6


def test_concurrent_top_ups_all_arrive(client, participant):
    payments = [top_up(client, participant, "5") for _ in range(10)]
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda p: pay_in_sandbox(client, participant, p["id"]).status_code, payments))
    assert codes == [200] * 10
    assert balance(client, participant) == {"EUR": "50.00"}
