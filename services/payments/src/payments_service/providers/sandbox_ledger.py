"""The sandbox processor's charges, kept in table `sandbox_charges` of the payments database.

It stands for the outside processor's own records, so it is deliberately not part of the event store:
the service learns about it only by asking (`SandboxProvider.fetch_status`), as with a real provider.
"""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import ConnectionPool

DDL = """
CREATE TABLE IF NOT EXISTS sandbox_charges (
    reference text PRIMARY KEY,
    payment_id uuid NOT NULL,
    status text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)"""


class PostgresLedger:
    """A SandboxLedger in PostgreSQL."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def create_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('sandbox_charges'))")
            conn.execute(DDL)

    def open(self, reference: str, payment_id: UUID) -> None:
        with self.pool.connection() as conn:
            conn.execute("INSERT INTO sandbox_charges (reference, payment_id, status) VALUES (%s, %s, 'pending') "
                         "ON CONFLICT (reference) DO NOTHING", (reference, payment_id))

    def status(self, reference: str) -> tuple[UUID, str] | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT payment_id, status FROM sandbox_charges WHERE reference = %s",
                               (reference,)).fetchone()
        if row is None:
            return None
        return (row["payment_id"], row["status"]) if isinstance(row, dict) else (row[0], row[1])

    def set_status(self, reference: str, status: str, *, only_from: str | None = None) -> None:
        with self.pool.connection() as conn:
            conn.execute("UPDATE sandbox_charges SET status = %s, updated_at = now() "
                         "WHERE reference = %s AND (%s::text IS NULL OR status = %s)",
                         (status, reference, only_from, only_from))
