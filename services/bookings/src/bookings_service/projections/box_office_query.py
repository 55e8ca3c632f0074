"""Queries of an event's box office: who booked (bookings_view + users_directory + payments_ledger) and what
was sold (plus the catalogue replica's free seats). Read models only: no other service is asked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import and_, case, func, or_, select

from contracts.money import format_amount
from spine.views import fetch, paged

from bookings_service.projections.bookings_view import bookings_view
from bookings_service.projections.catalogue_replica import catalogue_replica
from bookings_service.projections.payments_ledger import payments_ledger
from bookings_service.projections.users_directory import users_directory

b, u, p, c = bookings_view.c, users_directory.c, payments_ledger.c, catalogue_replica.c


@dataclass(frozen=True)
class SalesSummary:
    """What the summary endpoint shows, already added up."""

    capacity: int
    seats_free: int
    seats: dict[str, int]  # confirmed, held (awaiting payment), pending (asking the Event)
    waitlist: dict[str, int]  # bookings, seats
    bookings: dict[str, int]  # count per status
    revenue: list[dict[str, Any]]
    refunds: list[dict[str, Any]]


class BoxOfficeQuery:
    """The attendee list and the sales summary of one event."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def attendees(self, event_id: UUID, *, status: str | None, limit: int, offset: int
                  ) -> tuple[list[dict[str, Any]], int]:
        """One page of the event's bookings in booking order, with names and payment status; and the total."""
        where = and_(b.event_id == event_id, *([b.status == status] if status else []))
        query = (select(b.booking_id, b.user_id, u.full_name, u.email, b.group_size, b.status, b.reason,
                        b.payment_method, b.payment_id, p.status.label("payment_status"), b.amount, b.currency,
                        b.created_at, b.confirmed_at, func.count().over().label("total"))
                 .select_from(bookings_view.outerjoin(users_directory, u.user_id == b.user_id)
                              .outerjoin(payments_ledger, p.payment_id == b.payment_id))
                 .where(where).order_by(b.created_at, b.booking_id))
        with self.pool.connection() as conn:
            rows = fetch(conn, paged(query, limit, offset))
            if rows:
                return [dict(r) for r in rows], rows[0]["total"]
            total = fetch(conn, select(func.count().label("n")).select_from(bookings_view).where(where))[0]["n"]
        return [], total

    def summary(self, event_id: UUID) -> SalesSummary | None:
        """The event's seats, line and money; None when the catalogue replica does not know the event."""
        with self.pool.connection() as conn:
            event = fetch(conn, select(c.max_participants, c.seats_available).where(c.event_id == event_id))
            if not event:
                return None
            by_status = fetch(conn, select(b.status, func.count().label("n"), func.sum(b.group_size).label("seats"))
                              .where(b.event_id == event_id).group_by(b.status))
            refunded = case((p.status == "refunded", func.coalesce(p.refunded_amount, p.amount)), else_=0)
            sales = fetch(conn, select(p.currency, p.payment_method, func.count().label("payments"),
                                       func.sum(p.amount).label("gross"), func.sum(refunded).label("refunded"),
                                       func.count().filter(p.status == "refunded").label("refunds"))
                          .where(p.event_id == event_id, or_(p.status == "succeeded", p.status == "refunded"))
                          .group_by(p.currency, p.payment_method).order_by(p.currency, p.payment_method))
        counts = {r["status"]: int(r["n"]) for r in by_status}
        seats = {r["status"]: int(r["seats"] or 0) for r in by_status}
        revenue = [{"currency": r["currency"], "payment_method": r["payment_method"], "payments": int(r["payments"]),
                    "gross": format_amount(r["gross"], r["currency"]),
                    "refunded": format_amount(r["refunded"], r["currency"]),
                    "net": format_amount(r["gross"] - r["refunded"], r["currency"])} for r in sales]
        refunds: dict[str, dict[str, Any]] = {}
        for r in sales:
            if r["refunds"]:
                entry = refunds.setdefault(r["currency"], {"currency": r["currency"], "refunds": 0,
                                                           "amount": Decimal(0)})
                entry["refunds"] += int(r["refunds"])
                entry["amount"] += r["refunded"]
        return SalesSummary(
            capacity=event[0]["max_participants"], seats_free=event[0]["seats_available"],
            seats={"confirmed": seats.get("confirmed", 0), "held": seats.get("awaiting_payment", 0),
                   "pending": seats.get("pending", 0)},
            waitlist={"bookings": counts.get("waitlisted", 0), "seats": seats.get("waitlisted", 0)},
            bookings=counts, revenue=revenue,
            refunds=[{**e, "amount": format_amount(e["amount"], e["currency"])} for e in refunds.values()])
