"""The `payments_view` view: one row per payment, fed from `payments.v1`; it serves GET /api/v1/payments/.

Built only from public messages, so it can be dropped and rebuilt from offset 0. Each row keeps the
aggregate version it reflects; an older or repeated message leaves it unchanged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from contracts import Envelope, parse_payload, topics
from contracts.payments import PaymentFailed, PaymentRefunded, PaymentRequested, PaymentSucceeded, PaymentVoided
from psycopg import Cursor
from spine.views import View, execute
from sqlalchemy import BigInteger, Column, Index, MetaData, Numeric, Table, Text, bindparam, text, update
from sqlalchemy.dialects.postgresql import TIMESTAMP, UUID, insert

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
INSERT = insert(payments_view).values({c: bindparam(f"v_{c}") for c in _INSERTED}).on_conflict_do_nothing(
    index_elements=["payment_id"])


@cache
def _update(columns: tuple[str, ...]) -> Any:
    """UPDATE of these columns, only if the message is newer than what the row already shows."""
    return (update(payments_view).values({c: bindparam(f"v_{c}") for c in (*columns, "version")})
            .where(payments_view.c.payment_id == bindparam("id"), payments_view.c.version < bindparam("v_version")))


class PaymentsView(View):
    """Every payment with its current status, for lists and the reconciler."""

    name = "payments_view"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.PAYMENTS):
        # Tests feed it from a throwaway topic; production reads payments.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        message = parse_payload(envelope)
        version, at = envelope.aggregate_version, envelope.occurred_at
        if isinstance(message, PaymentRequested):
            row = {c: getattr(message, c, None) for c in _INSERTED}
            row.update(status="pending", created_at=at, updated_at=at, version=version)
            execute(cur, INSERT, {f"v_{c}": v for c, v in row.items()})
        elif isinstance(message, PaymentSucceeded):
            self._set(cur, message.payment_id, version, {"status": "succeeded", "updated_at": at})
        elif isinstance(message, PaymentFailed):
            self._set(cur, message.payment_id, version,
                      {"status": "failed", "failure_reason": message.reason, "updated_at": at})
        elif isinstance(message, PaymentRefunded):
            self._set(cur, message.payment_id, version,
                      {"status": "refunded", "refund_reason": message.reason, "refunded_amount": message.amount,
                       "updated_at": at})
        elif isinstance(message, PaymentVoided):
            self._set(cur, message.payment_id, version,
                      {"status": "voided", "failure_reason": message.reason, "updated_at": at})

    @staticmethod
    def _set(cur: Cursor, payment_id: object, version: int, values: dict[str, Any]) -> None:
        execute(cur, _update(tuple(sorted(values))),
                {**{f"v_{k}": v for k, v in values.items()}, "v_version": version, "id": payment_id})
