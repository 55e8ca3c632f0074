"""Views: read models whose tables and queries are SQLAlchemy 2 Core, with a name and a schema version.

A `View` declares its tables in its own `MetaData`; `install` creates them. Each view's version is kept in
`view_versions`: when the declared version differs from the stored one (or none is stored, e.g. tables made
by older hand-written DDL), the view's tables are dropped, re-created from the metadata and its positions
reset to 0, so the worker rebuilds it from the streams — no hand-written ALTERs. Bump `version` whenever
a table, column or index changes. The first start after this module replaced hand-written DDL rebuilds every
view once (no version was stored). Rebuilding at start-up assumes the service's api and worker start on the
same version (a worker of the old version would go on from its in-memory offsets into the emptied tables);
to rebuild a view without emptying it, use `spine.replay.replay` (`planner-ops replay`).

Statements are SQLAlchemy Core, compiled once for the psycopg dialect and run on the projector's psycopg
cursor (`execute`): the projector keeps its pooled psycopg connections, transactions and batching, and a
statement built at import time costs nothing per message. Queries built per request (filters) are compiled
per call (`fetch`), about a tenth of a millisecond.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

from psycopg import Cursor
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from spine.projector import SqlProjection

DIALECT = pg_psycopg.dialect()

# The view registry's own table (in the service database, beside projection_positions).
REGISTRY = MetaData()
view_versions = Table("view_versions", REGISTRY, Column("view", Text, primary_key=True),
                      Column("version", Integer, nullable=False))


class Compiled:
    """A Core statement compiled once: SQL text (pyformat placeholders) and its literal parameters."""

    __slots__ = ("sql", "defaults")

    def __init__(self, statement: ClauseElement):
        compiled = statement.compile(dialect=DIALECT)
        self.sql: str = compiled.string
        self.defaults: dict[str, Any] = dict(compiled.params)

    def params(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {**self.defaults, **values} if values else self.defaults


@lru_cache(maxsize=4096)
def compiled(statement: ClauseElement) -> Compiled:
    """The compiled form of a statement object built once (module level): cached by identity."""
    return Compiled(statement)


def execute(cur: Cursor, statement: ClauseElement, values: Mapping[str, Any] | None = None) -> Cursor:
    """Run a prebuilt Core statement with bound values (`bindparam` names) on a psycopg cursor."""
    c = compiled(statement)
    return cur.execute(c.sql, c.params(values))


def execute_many(cur: Cursor, statement: ClauseElement, rows: list[Mapping[str, Any]]) -> None:
    """Run a prebuilt statement once per row, pipelined (one round trip for the lot)."""
    if rows:
        c = compiled(statement)
        cur.executemany(c.sql, [c.params(r) for r in rows])


def fetch(conn: Any, statement: ClauseElement) -> list[Any]:
    """Compile a statement built for this call (values inline as bound literals) and return its rows."""
    c = Compiled(statement)
    return conn.execute(c.sql, c.defaults).fetchall()


def paged(statement: Select, limit: int, offset: int) -> Select:
    """LIMIT/OFFSET as bigint (SQLAlchemy would cast them to integer, and an offset past 2^31 would fail)."""
    return statement.limit(literal(limit, BigInteger)).offset(literal(offset, BigInteger))


def _sorted(tables: MetaData | Iterable[Table]) -> list[Table]:
    return list(tables.sorted_tables) if isinstance(tables, MetaData) else list(tables)


def create_tables(cur: Cursor, tables: MetaData | Iterable[Table]) -> None:
    """CREATE TABLE / INDEX IF NOT EXISTS for every table (in the search_path's first schema)."""
    for table in _sorted(tables):
        cur.execute(str(CreateTable(table, if_not_exists=True).compile(dialect=DIALECT)))
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            cur.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=DIALECT)))


def drop_tables(cur: Cursor, tables: MetaData | Iterable[Table]) -> None:
    for table in reversed(_sorted(tables)):
        cur.execute(f'DROP TABLE IF EXISTS "{table.name}" CASCADE')


def truncate_tables(cur: Cursor, tables: MetaData | Iterable[Table]) -> None:
    names = ", ".join(f'"{t.name}"' for t in _sorted(tables))
    cur.execute(f"TRUNCATE {names}")


def run(target: Any, statement: ClauseElement) -> Any:
    """Compile a statement built for this call (values bound, IN-lists expanded) and run it on a psycopg
    cursor or connection; returns what their `execute` returns.

    A statement of a shape seen before (same SQLAlchemy cache key: same tables, columns and operators,
    any bound values) reuses that compilation with this statement's values, as SQLAlchemy's own engine
    does; statements with IN-lists to expand, or that SQLAlchemy cannot cache, are compiled every time."""
    sql, params = _run_form(statement)
    return target.execute(sql, params)


_RUN_CACHE: dict[Any, SQLCompiler | None] = {}  # shape → its compilation (None: has IN-lists to expand)
_RUN_CACHE_SIZE = 2048


def _run_form(statement: ClauseElement) -> tuple[str, Any]:
    """SQL text and parameters of a statement, from a compilation of its shape when there is one."""
    key = statement._generate_cache_key()  # noqa: SLF001 - SQLAlchemy's cache key, what its engine caches on
    if key is not None:
        if key.key in _RUN_CACHE:
            known = _RUN_CACHE[key.key]
        else:
            made = statement.compile(dialect=DIALECT, cache_key=key)
            assert isinstance(made, SQLCompiler)
            known = None if made.post_compile_params or made.literal_execute_params else made
            if len(_RUN_CACHE) >= _RUN_CACHE_SIZE:
                _RUN_CACHE.clear()
            _RUN_CACHE[key.key] = known
        if known is not None:
            return known.string, known.construct_params(extracted_parameters=key.bindparams, _check=False)
    c = statement.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    return c.string, c.params


def _json(value: Any) -> Any:
    """What `json` cannot encode itself, as the text PostgreSQL reads back exactly (Decimal as a string)."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to a view row")


@cache
def _row_statements(table: Table) -> tuple[Any, Any, Any]:
    """SELECT … WHERE key = ANY(keys) FOR UPDATE; the INSERT of new rows and the UPDATE of rows read, both
    given as one JSON array (one parameter whatever the batch size: PostgreSQL makes each object a row)."""
    (key,) = table.primary_key.columns
    read = (select(table).where(key == func.any(cast(bindparam("keys"), ARRAY(key.type))))
            .order_by(key).with_for_update())
    names = [c.name for c in table.columns]
    source = func.jsonb_populate_recordset(literal_column(f'NULL::"{table.name}"'),
                                           cast(bindparam("rows"), JSONB)).table_valued(*names, name="r")
    add = insert(table).from_select(names, select(*(source.c[n] for n in names)))
    add = add.on_conflict_do_update(index_elements=[key], set_={n: add.excluded[n] for n in names if n != key.name})
    # `key = ANY(keys)` as well: joined to the JSON rows alone, the planner (which guesses 100 of them) scans
    # the whole table once per batch; with the keys it reads just the batch's rows by the primary key.
    change = (update(table).values({n: source.c[n] for n in names if n != key.name})
              .where(key == source.c[key.name], key == func.any(cast(bindparam("keys"), ARRAY(key.type)))))
    return read, add, change


class Rows:
    """The rows one batch touches, keyed by the table's primary key: read once (locked), changed in memory
    message by message with the same rules the per-message statements had, written back with one UPDATE (rows
    that were there) and one INSERT (new rows).

    A batch thus costs three statements whatever its size, and repeated keys (a booking requested, confirmed
    and cancelled in one batch) end as one row write. `insert` is INSERT … ON CONFLICT DO NOTHING; `update`
    is UPDATE … WHERE key = … [AND version < …]; both change nothing for a row that is absent (resp. there).
    Not for JSON columns that may hold a JSON null (it would be written as SQL NULL).
    """

    def __init__(self, cur: Cursor, table: Table, keys: Iterable[Hashable]):
        self.table = table
        self._read, self._insert, self._update = _row_statements(table)
        self.key = next(iter(table.primary_key.columns)).name
        self.columns = [c.name for c in table.columns]
        self.rows: dict[Any, dict[str, Any]] = {}
        self.dirty: set[Any] = set()
        self.found: set[Any] = set()  # keys whose rows were there before the batch
        # Keys as the column's Python value (a uuid column's rows come back as UUID, a payload may give a str).
        self._uuid_key = isinstance(next(iter(table.primary_key.columns)).type, Uuid)
        wanted = list({self._key(k) for k in keys if k is not None})
        if wanted:
            execute(cur, self._read, {"keys": wanted})
            for found in cur.fetchall():  # SELECT table: its columns in order
                row = dict(found) if isinstance(found, Mapping) else dict(zip(self.columns, found, strict=True))
                self.rows[row[self.key]] = row
            self.found = set(self.rows)

    def _key(self, key: Hashable) -> Any:
        return key if not self._uuid_key or isinstance(key, UUID) else UUID(str(key))

    def get(self, key: Hashable) -> dict[str, Any] | None:
        """The row as this batch has left it so far (change it in place, then `touch`)."""
        return self.rows.get(self._key(key))

    def touch(self, key: Hashable) -> None:
        self.dirty.add(self._key(key))

    def insert(self, key: Hashable, values: Mapping[str, Any]) -> None:
        """INSERT … ON CONFLICT DO NOTHING: a row for `key` unless there is one; columns not given are NULL."""
        key = self._key(key)
        if key not in self.rows:
            self.rows[key] = {**dict.fromkeys(self.columns), **values, self.key: key}
            self.dirty.add(key)

    def update(self, key: Hashable, values: Mapping[str, Any], version: int | None = None) -> dict[str, Any] | None:
        """UPDATE of an existing row (with `version`: only if the row's `version` is older; it becomes it)."""
        key = self._key(key)
        row = self.rows.get(key)
        if row is None or (version is not None and not row["version"] < version):
            return None
        row.update(values)
        if version is not None:
            row["version"] = version
        self.dirty.add(key)
        return row

    def put(self, key: Hashable, values: Mapping[str, Any], version: int,
            first: Mapping[str, Any] | None = None) -> None:
        """The row as of `version`: created with `values` (and `first`, the columns only a new row gets) when
        absent, else given `values` if `version` is newer than its own — a versioned view's usual step."""
        if self.get(key) is None:
            self.insert(key, {**(first or {}), **values, "version": version})
        else:
            self.update(key, values, version)

    def write(self, cur: Cursor) -> None:
        """The changed rows: one UPDATE of those read, one INSERT of the new ones (at most two statements)."""
        changed = sorted(self.dirty & self.found)
        added = sorted(self.dirty - self.found)
        if changed:
            execute(cur, self._update, {"rows": json.dumps([self.rows[k] for k in changed], default=_json),
                                        "keys": changed})
        if added:
            execute(cur, self._insert, {"rows": json.dumps([self.rows[k] for k in added], default=_json)})
            self.found.update(added)
        self.dirty.clear()


class View(SqlProjection):
    """A projection with its own tables (`metadata`'s, or `tables` where several views share one MetaData)
    and a schema `version` (bump it when they change)."""

    name: str
    version: int
    metadata: MetaData
    topics: tuple[str, ...]
    pipelined = True  # one statement per execute, no rowcount: a batch goes out in one round trip
    # Columns a rebuild cannot reproduce (e.g. when a row was recorded): `verify` does not compare them.
    volatile_columns: frozenset[str] = frozenset()

    @property
    def tables(self) -> list[Table]:
        return list(self.metadata.sorted_tables)

    def create_schema(self, cur: Cursor) -> None:
        create_tables(cur, self.tables)

    def reset(self, cur: Cursor) -> None:
        truncate_tables(cur, self.tables)

    def install(self, cur: Cursor) -> bool:
        """Create the tables; drop and re-create them (positions reset) if the stored version differs.

        Returns True when the view was (re)created empty and must be rebuilt from the streams.
        """
        create_tables(cur, REGISTRY)
        cur.execute("SELECT version FROM view_versions WHERE view = %s", (self.name,))
        row = cur.fetchone()
        stored = None if row is None else (row[0] if isinstance(row, tuple) else row["version"])
        if stored == self.version:
            self.create_schema(cur)  # a table dropped by hand comes back (empty)
            return False
        drop_tables(cur, self.tables)
        self.create_schema(cur)
        cur.execute("DELETE FROM projection_positions WHERE projection = %s", (self.name,))
        cur.execute("DELETE FROM projection_versions WHERE projection = %s", (self.name,))
        cur.execute("INSERT INTO view_versions VALUES (%s, %s) ON CONFLICT (view) DO UPDATE"
                    " SET version = EXCLUDED.version", (self.name, self.version))
        return True


def has_applied(conn: Any, view: str, aggregate_id: str, version: int) -> bool:
    """Whether `view` has applied the aggregate's event of `version` (read-your-writes, see webkit.consistency)."""
    row = conn.execute("SELECT version FROM projection_versions WHERE projection = %s AND aggregate_id = %s",
                       (view, aggregate_id)).fetchone()
    if row is None:
        return False
    return (row["version"] if isinstance(row, dict) else row[0]) >= version
