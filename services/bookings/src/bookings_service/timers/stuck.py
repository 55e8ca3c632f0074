"""Stuck sagas for operators: the bookings worker sets `ep_saga_stuck{service="bookings",status}` (spine.metrics).

A booking is stuck when it has waited longer than `BOOKINGS_STUCK_AFTER_SECONDS` for something that normally
takes milliseconds: `pending` (asking the Event for seats) that long, or `awaiting_payment` that long past its
hold deadline (the deadlines timer should have expired it). The operator's page (`/docs/ops`) shows the
counts and the oldest one's age; `planner-ops stuck` lists them. One grouped query on the bookings view,
every `HEALTH_CHECK_SECONDS`, off the hot path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from spine.metrics import SAGA_OLDEST_SECONDS, SAGA_STUCK

STATUSES = ("pending", "awaiting_payment")

STUCK_SQL = """
SELECT status, count(*) AS n, min(updated_at) AS oldest FROM bookings_view
WHERE (status = 'pending' AND updated_at <= %(before)s)
   OR (status = 'awaiting_payment' AND expires_at <= %(before)s)
GROUP BY status"""


class StuckSagas:
    """A worker timer: counts the stuck bookings and exports them as gauges."""

    def __init__(self, pool: ConnectionPool, stuck_after: timedelta):
        self.pool = pool
        self.stuck_after = stuck_after

    def __call__(self) -> dict[str, int]:
        now = datetime.now(UTC)
        with self.pool.connection() as conn:
            rows = conn.cursor(row_factory=dict_row).execute(STUCK_SQL, {"before": now - self.stuck_after}).fetchall()
        counts = {r["status"]: r["n"] for r in rows}
        for status in STATUSES:
            SAGA_STUCK.labels("bookings", status).set(counts.get(status, 0))
        oldest = min((r["oldest"] for r in rows if r["oldest"] is not None), default=None)
        SAGA_OLDEST_SECONDS.labels("bookings").set((now - oldest).total_seconds() if oldest else 0)
        return counts
