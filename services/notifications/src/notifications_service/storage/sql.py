"""SQLAlchemy Core on psycopg: one `MetaData` for the service's tables; statements run with spine's `run`.

The service talks to PostgreSQL through psycopg (the projector hands projections a cursor, the api uses a
pool); SQLAlchemy only builds the SQL. `run(target, stmt)` (spine.views) compiles a Core statement to
psycopg's pyformat and executes it on a cursor or connection (on an async connection: `await run(...)`).
"""

from __future__ import annotations

from psycopg import Cursor
from sqlalchemy import MetaData, Table

from spine import views
from spine.views import run  # noqa: F401  (the service's modules import it from here)

metadata = MetaData()


def create_tables(cur: Cursor, *tables: Table) -> None:
    """CREATE TABLE/INDEX IF NOT EXISTS for `tables` (callers hold the projector's schema lock)."""
    views.create_tables(cur, tables)
