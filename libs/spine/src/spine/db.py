"""Connection pools for a service's own database (read models, idempotency keys, relay positions)."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from spine.settings import InfraSettings


def connection_pool(dbname: str, settings: InfraSettings | None = None, *, max_size: int = 10) -> ConnectionPool:
    """An open pool of dict-row connections to one database.

    Each connection is checked as it is handed out: after a PostgreSQL restart the pool still holds
    connections the server killed, and without the check each one would fail its next request once (a 500).
    """
    s = settings or InfraSettings()
    return ConnectionPool(
        s.conninfo(dbname),
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row},
        open=True,
        check=ConnectionPool.check_connection,
        name=dbname,
    )
