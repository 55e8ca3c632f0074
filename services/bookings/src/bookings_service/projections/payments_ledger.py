"""What became of the payments of each event's bookings (payments.v1), for the attendee list's payment status
and the sales summary's revenue and refunds. Rows keep the Payment's version: an older or repeated message
never overwrites a newer one."""

from __future__ import annotations

from functools import cache
from typing import Any

from psycopg import Cursor
from sqlalchemy import BigInteger, Column, Index, MetaData, Numeric, Table, Text, bindparam, update
from sqlalchemy.dialects.postgresql import UUID, insert

from contracts import Envelope, parse_payload, topics
from contracts.payments import PaymentFailed, PaymentRefunded, PaymentRequested, PaymentSucceeded, PaymentVoided
from spine.views import View, execute

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
INSERT = insert(payments_ledger).values(
    {**{c: bindparam(f"v_{c}") for c in _INSERTED}, "status": "pending", "version": bindparam("v_version")}
).on_conflict_do_nothing(index_elements=["payment_id"])


@cache
def _update(columns: tuple[str, ...]) -> Any:
    p = payments_ledger.c
    return (update(payments_ledger).values({c: bindparam(f"v_{c}") for c in (*columns, "version")})
            .where(p.payment_id == bindparam("id"), p.version < bindparam("v_version")))


class PaymentsLedger(View):
    """Table `payments_ledger`: payments of events (top-ups are skipped) with their status."""

    name = "payments_ledger"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.PAYMENTS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.version != 1:
            return
        m = parse_payload(envelope)
        version = envelope.aggregate_version
        if isinstance(m, PaymentRequested):
            if m.booking_id is None and m.event_id is None:
                return  # a wallet top-up: no event's sales
            execute(cur, INSERT, {**{f"v_{c}": getattr(m, c) for c in _INSERTED}, "v_version": version})
        elif isinstance(m, PaymentSucceeded):
            self._set(cur, m.payment_id, version, status="succeeded")
        elif isinstance(m, PaymentFailed):
            self._set(cur, m.payment_id, version, status="failed")
        elif isinstance(m, PaymentVoided):
            self._set(cur, m.payment_id, version, status="voided")
        elif isinstance(m, PaymentRefunded):
            self._set(cur, m.payment_id, version, status="refunded", refunded_amount=m.amount)

    @staticmethod
    def _set(cur: Cursor, payment_id: Any, version: int, **values: Any) -> None:
        execute(cur, _update(tuple(sorted(values))),
                {**{f"v_{k}": v for k, v in values.items()}, "v_version": version, "id": payment_id})
