"""SQLAlchemy Core on psycopg: one `MetaData` for the service's tables, statements compiled for PostgreSQL.

The service talks to PostgreSQL through psycopg (the projector hands projections a cursor, the api uses a
pool); SQLAlchemy only builds the SQL. `run(cur, stmt)` compiles a Core statement to psycopg's pyformat
and executes it, so projections, the outbox and the api share one way of writing queries.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from spine import views
from spine.views import run  # noqa: F401  (the service's modules import it from here)
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

metadata = MetaData()

DIALECT = postgresql.psycopg.dialect()


def compiled(stmt: ClauseElement) -> tuple[str, dict[str, Any]]:
    """The statement as (SQL with %(name)s placeholders, parameters)."""
    c = stmt.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    return str(c), dict(c.params)


def create_tables(cur: Cursor, *tables: Table) -> None:
    """CREATE TABLE/INDEX IF NOT EXISTS for `tables` (callers hold the projector's schema lock)."""
    views.create_tables(cur, tables)
