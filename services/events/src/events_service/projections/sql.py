"""Running SQLAlchemy Core tables and statements on the psycopg connections and cursors we already have.

The read models added for reviews declare their tables as SQLAlchemy Core `Table`s and write their queries as
Core expressions; `spine.projector` hands projections a psycopg cursor and the api has a psycopg pool, so a
statement is compiled for PostgreSQL (psycopg dialect, `%(name)s` parameters) and run there. When the views
are moved onto SQLAlchemy connections, these calls become plain `connection.execute(statement)`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import ClauseElement

_DIALECT = postgresql.psycopg.dialect()


def execute(target: Any, statement: ClauseElement) -> Any:
    """Run a Core statement on a psycopg cursor or connection; returns what their `execute` returns."""
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return target.execute(str(compiled), compiled.params)


def create_all(target: Any, metadata: MetaData) -> None:
    """CREATE TABLE / INDEX IF NOT EXISTS for every table of `metadata` (idempotent, like the other views)."""
    for table in metadata.sorted_tables:
        target.execute(str(CreateTable(table, if_not_exists=True).compile(dialect=_DIALECT)))
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            target.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=_DIALECT)))
