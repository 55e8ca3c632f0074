"""What became of the payments of each event's bookings (payments.v1), for the attendee list's payment status
and the sales summary's revenue and refunds. Rows keep the Payment's version: an older or repeated message
never overwrites a newer one."""

from __future__ import annotations

from psycopg import Cursor
from sqlalchemy import BigInteger, Column, Index, MetaData, Numeric, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from contracts import Envelope, parse_payload, topics
from contracts.payments import PaymentFailed, PaymentRefunded, PaymentRequested, PaymentSucceeded, PaymentVoided
from spine.views import Rows, View

metadata = MetaData()
payments_ledger = Table(
    "payments_ledger", metadata,
    Column("payment_id", UUID, primary_key=True),
    Column("booking_id", UUID),
    Column("event_id", UUID),
    Column("payment_method", Text, nullable=False),
    Column("amount", Numeric, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("refunded_amount", Numeric),
    Column("version", BigInteger, nullable=False),
    Index("payments_ledger_event", "event_id"),
)
_INSERTED = ("payment_id", "booking_id", "event_id", "payment_method", "amount", "currency")


class PaymentsLedger(View):
    """Table `payments_ledger`: payments of events (top-ups are skipped) with their status."""

    name = "payments_ledger"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.PAYMENTS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's payments read once, changed message by message, written back in one statement."""
        messages = [(e.aggregate_version, parse_payload(e)) for e in envelopes if e.version == 1]
        rows = Rows(cur, payments_ledger, [getattr(m, "payment_id", None) for _, m in messages])
        for version, m in messages:
            if isinstance(m, PaymentRequested):
                if m.booking_id is None and m.event_id is None:
                    continue  # a wallet top-up: no event's sales
                rows.insert(m.payment_id, {**{c: getattr(m, c) for c in _INSERTED}, "status": "pending",
                                           "version": version})
            elif isinstance(m, PaymentSucceeded):
                rows.update(m.payment_id, {"status": "succeeded"}, version)
            elif isinstance(m, PaymentFailed):
                rows.update(m.payment_id, {"status": "failed"}, version)
            elif isinstance(m, PaymentVoided):
                rows.update(m.payment_id, {"status": "voided"}, version)
            elif isinstance(m, PaymentRefunded):
                rows.update(m.payment_id, {"status": "refunded", "refunded_amount": m.amount}, version)
        rows.write(cur)
