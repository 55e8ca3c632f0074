"""The payments view is idempotent under redelivery: Kafka's again, the relay's re-publish."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_redelivery, fresh_database, golden_story

from payments_service.projections.payments_view import PaymentsView

pytestmark = pytest.mark.integration


def test_payments_view():
    refunded = golden_story(["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"], "payment_id",
                            payment_id=uuid4())
    failed = golden_story(["PaymentRequested", "PaymentFailed"], "payment_id", payment_id=uuid4())
    with fresh_database("payments_redelivery") as name:
        rows = check_redelivery(InfraSettings().conninfo(name), PaymentsView,
                                [refunded[0], failed[0], refunded[1], failed[1], refunded[2]])
    assert sorted(r["status"] for r in rows["payments_view"]) == ["failed", "refunded"]
