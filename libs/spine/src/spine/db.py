"""Connection pools for a service's own database (read models, idempotency keys, relay positions)."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from spine.settings import InfraSettings


def connection_pool(dbname: str, settings: InfraSettings | None = None, *, max_size: int = 10) -> ConnectionPool:
    """An open pool of dict-row connections to one database."""
    s = settings or InfraSettings()
    return ConnectionPool(
        s.conninfo(dbname),
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row},
        open=True,
        name=dbname,
    )
