"""The `payments_view` view: one row per payment, fed from `payments.v1`; it serves GET /api/v1/payments/.

Built only from public messages, so it can be dropped and rebuilt from offset 0. Each row keeps the
aggregate version it reflects; an older or repeated message leaves it unchanged.
"""

from __future__ import annotations

from psycopg import Cursor
from sqlalchemy import BigInteger, Column, Index, MetaData, Numeric, Table, Text, text
from sqlalchemy.dialects.postgresql import TIMESTAMP, UUID

from contracts import Envelope, parse_payload, topics
from contracts.payments import PaymentFailed, PaymentRefunded, PaymentRequested, PaymentSucceeded, PaymentVoided
from spine.views import Rows, View

metadata = MetaData()
payments_view = Table(
    "payments_view", metadata,
    Column("payment_id", UUID, primary_key=True),
    Column("user_id", UUID, nullable=False),
    Column("event_id", UUID),
    Column("booking_id", UUID),
    Column("amount", Numeric, nullable=False),
    Column("currency", Text, nullable=False),
    Column("payment_method", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("description", Text),
    Column("confirmation_url", Text),
    Column("status", Text, nullable=False),
    Column("failure_reason", Text),
    Column("refund_reason", Text),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("refunded_amount", Numeric),
    Index("payments_view_user", "user_id", text("created_at DESC")),
    Index("payments_view_created", text("created_at DESC")),
    Index("payments_view_pending", "created_at", postgresql_where=text("status = 'pending'")),
)

_INSERTED = ("payment_id", "user_id", "event_id", "booking_id", "amount", "currency", "payment_method", "provider",
             "description", "confirmation_url", "status", "created_at", "updated_at", "version")

class PaymentsView(View):
    """Every payment with its current status, for lists and the reconciler."""

    name = "payments_view"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.PAYMENTS):
        # Tests feed it from a throwaway topic; production reads payments.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's payments read once, changed message by message, written back in one statement."""
        messages = [(e.aggregate_version, e.occurred_at, parse_payload(e)) for e in envelopes]
        rows = Rows(cur, payments_view, [getattr(m, "payment_id", None) for _, _, m in messages])
        for version, at, message in messages:
            if isinstance(message, PaymentRequested):
                row = {c: getattr(message, c, None) for c in _INSERTED}
                row.update(status="pending", created_at=at, updated_at=at, version=version)
                rows.insert(message.payment_id, row)
            elif isinstance(message, PaymentSucceeded):
                rows.update(message.payment_id, {"status": "succeeded", "updated_at": at}, version)
            elif isinstance(message, PaymentFailed):
                rows.update(message.payment_id, {"status": "failed", "failure_reason": message.reason,
                                                 "updated_at": at}, version)
            elif isinstance(message, PaymentRefunded):
                rows.update(message.payment_id, {"status": "refunded", "refund_reason": message.reason,
                                                 "refunded_amount": message.amount, "updated_at": at}, version)
            elif isinstance(message, PaymentVoided):
                rows.update(message.payment_id, {"status": "voided", "failure_reason": message.reason,
                                                 "updated_at": at}, version)
        rows.write(cur)
