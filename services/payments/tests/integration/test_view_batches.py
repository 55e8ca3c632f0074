"""payments_view applies a batch with a few multi-row statements: the rows must be exactly those of the same
messages applied one by one (repeated keys, duplicates and stale versions included)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_batched, fresh_database, golden_story, mixed_batch

from payments_service.projections.payments_view import PaymentsView

pytestmark = pytest.mark.integration


def test_payments_view_batch_equals_one_by_one():
    lives = [["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"], ["PaymentRequested", "PaymentFailed"],
             ["PaymentRequested", "PaymentVoided"], ["PaymentRequested"], ["PaymentSucceeded", "PaymentRefunded"]]
    stories = [golden_story(life, "payment_id", payment_id=uuid4()) for life in lives * 3]
    with fresh_database("payments_batches") as name:
        rows = check_batched(InfraSettings().conninfo(name), PaymentsView, mixed_batch(stories))
    assert sorted(r["status"] for r in rows["payments_view"]) == sorted(
        ["refunded", "failed", "voided", "pending"] * 3)
