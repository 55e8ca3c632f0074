"""The reconciler: payments whose webhook never came are settled by asking the provider again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from payments_service.bootstrap import build_reconciler
from payments_service.domain import PaymentOrder

pytestmark = pytest.mark.integration


def test_stuck_payments_are_rechecked_with_their_provider_and_cash_is_left_to_the_desk(client, settings, feed_view):
    container = client.app.state.container
    payments, sandbox = container.payments, container.webhooks.sandbox()
    user = uuid4()

    def new(method: str):
        return payments.request_payment(PaymentOrder(payment_id=uuid4(), user_id=user, amount=Decimal("10"),
                                                     currency="EUR", method=method))

    lost_webhook, declined, still_paying, cash = new("sandbox"), new("sandbox"), new("sandbox"), new("cash")
    sandbox.complete(lost_webhook.reference, "succeeded")  # the provider knows; we were never told
    sandbox.complete(declined.reference, "failed")
    feed_view()
    reconciler = build_reconciler(settings, payments, container.pool)

    assert reconciler.run_once() == 0  # nothing is older than reconcile_after_minutes yet
    assert payments.get_payment(lost_webhook.id).status == "pending"

    later = datetime.now(UTC) + timedelta(minutes=settings.reconcile_after_minutes + 1)
    assert reconciler.run_once(now=later) == 2
    assert payments.get_payment(lost_webhook.id).status == "succeeded"
    assert payments.get_payment(declined.id).status == "failed"
    assert payments.get_payment(still_paying.id).status == "pending"
    assert payments.get_payment(cash.id).status == "pending"
    assert payments.wallet_of(user).balance("EUR") == Decimal("10.00")
    feed_view()
    assert reconciler.run_once(now=later) == 0  # settled ones are no longer pending in the read model
