"""The `payments_view` read model: one row per payment, fed from `payments.v1`; it serves GET /api/v1/payments/.

Built only from public messages, so it can be dropped and rebuilt from offset 0. Each row keeps the
aggregate version it reflects; an older or repeated message leaves it unchanged.
"""

from __future__ import annotations

from typing import Any

from contracts import Envelope, parse_payload, topics
from contracts.payments import PaymentFailed, PaymentRefunded, PaymentRequested, PaymentSucceeded
from psycopg import Cursor
from spine.projector import SqlProjection

DDL = """
CREATE TABLE IF NOT EXISTS payments_view (
    payment_id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    event_id uuid,
    booking_id uuid,
    amount numeric NOT NULL,
    currency text NOT NULL,
    payment_method text NOT NULL,
    provider text NOT NULL,
    description text,
    confirmation_url text,
    status text NOT NULL,
    failure_reason text,
    refund_reason text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_view_user ON payments_view (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS payments_view_created ON payments_view (created_at DESC);
CREATE INDEX IF NOT EXISTS payments_view_pending ON payments_view (created_at) WHERE status = 'pending';
ALTER TABLE payments_view ADD COLUMN IF NOT EXISTS refunded_amount numeric
"""


class PaymentsView(SqlProjection):
    """Every payment with its current status, for lists and the reconciler."""

    name = "payments_view"

    def __init__(self, topic: str = topics.PAYMENTS):
        # Tests feed it from a throwaway topic; production reads payments.v1.
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute(DDL)

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE payments_view")

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        message = parse_payload(envelope)
        version, at = envelope.aggregate_version, envelope.occurred_at
        if isinstance(message, PaymentRequested):
            cur.execute(
                "INSERT INTO payments_view (payment_id, user_id, event_id, booking_id, amount, currency,"
                " payment_method, provider, description, confirmation_url, status, created_at, updated_at, version)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s, %s)"
                " ON CONFLICT (payment_id) DO NOTHING",
                (message.payment_id, message.user_id, message.event_id, message.booking_id, message.amount,
                 message.currency, message.payment_method, message.provider, message.description,
                 message.confirmation_url, at, at, version))
        elif isinstance(message, PaymentSucceeded):
            self._set(cur, message.payment_id, version, {"status": "succeeded", "updated_at": at})
        elif isinstance(message, PaymentFailed):
            self._set(cur, message.payment_id, version,
                      {"status": "failed", "failure_reason": message.reason, "updated_at": at})
        elif isinstance(message, PaymentRefunded):
            self._set(cur, message.payment_id, version,
                      {"status": "refunded", "refund_reason": message.reason, "refunded_amount": message.amount,
                       "updated_at": at})

    @staticmethod
    def _set(cur: Cursor, payment_id: object, version: int, values: dict[str, Any]) -> None:
        """Update one row, only if this message is newer than what the row already shows."""
        assignments = ", ".join(f"{column} = %({column})s" for column in values)
        cur.execute(f"UPDATE payments_view SET {assignments}, version = %(version)s "  # noqa: S608 - fixed names
                    "WHERE payment_id = %(payment_id)s AND version < %(version)s",
                    {**values, "version": version, "payment_id": payment_id})
