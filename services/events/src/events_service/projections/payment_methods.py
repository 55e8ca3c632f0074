"""The `payment_methods` view: which payment methods the payments service has switched on, from `payments.v1`.

The events service never asks payments anything: payments publishes `PaymentMethodsAvailable` at start-up
whenever its configuration changed, and this view keeps the latest (one row; an older or repeated message
leaves it as it is). Events check new and edited events against it (domain/details.check_methods_enabled);
before the first message arrives they use domain/payment_methods.fallback_payment_methods.
"""

from __future__ import annotations

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, select
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP

from contracts import Envelope, topics
from contracts.payments import PaymentMethodsAvailable
from spine.views import Rows, View, run

metadata = MetaData()

payment_methods = Table(
    "payment_methods", metadata,
    Column("announced_by", Text, primary_key=True),  # the announcing aggregate's id (there is one)
    Column("methods", ARRAY(Text), nullable=False),
    Column("announced_at", TIMESTAMP(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
)


class PaymentMethodsReplica(View):
    """The payment methods switched on, as payments last announced them."""

    name = "payment_methods"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.PAYMENTS):
        # Tests feed it from a throwaway topic; production reads payments.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The announcements of the batch in order, a newer one replacing the row (one statement each way)."""
        facts = [(e, PaymentMethodsAvailable.model_validate(e.payload)) for e in envelopes
                 if e.type == PaymentMethodsAvailable.message_type and e.version == 1]  # type: ignore[attr-defined]
        rows = Rows(cur, payment_methods, [e.aggregate_id for e, _ in facts])  # payments, refunds: not ours
        for envelope, fact in facts:
            rows.put(envelope.aggregate_id, {"methods": fact.methods, "announced_at": fact.announced_at},
                     envelope.aggregate_version)
        rows.write(cur)


class EnabledPaymentMethods:
    """Read side: the methods switched on, or None before payments has said."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def known(self) -> list[str] | None:
        """The latest announced methods; None when no announcement has arrived yet."""
        query = select(payment_methods.c.methods).order_by(payment_methods.c.announced_at.desc()).limit(1)
        with self.pool.connection() as conn:
            row = run(conn, query).fetchone()
        if row is None:
            return None
        return list(row["methods"] if isinstance(row, dict) else row[0])
