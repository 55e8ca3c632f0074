"""A view batch's multi-row write (`spine.views.Rows`) changes exactly its rows, and reads them by the primary
key: joined to the JSON rows alone, PostgreSQL scanned the whole table once per batch (17.8 ms for 10 rows of
an 18,000-row bookings view), so every projection slowed down as its table grew."""

from __future__ import annotations

import json
from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, Uuid

from spine.settings import InfraSettings
from spine.testing import fresh_database
from spine.views import Compiled, Rows, _row_statements, create_tables

pytestmark = pytest.mark.integration

shelf = Table("shelf", MetaData(), Column("item_id", Uuid, primary_key=True), Column("label", Text, nullable=False),
              Column("count", Integer, nullable=False))
tally = Table("tally", MetaData(), Column("name", Text, primary_key=True), Column("figure", Integer, nullable=False),
              Column("first_seen", Integer), Column("version", Integer, nullable=False))
MANY = 3000


@pytest.fixture(scope="module")
def conn() -> Iterator[psycopg.Connection]:
    settings = InfraSettings()
    with fresh_database("view_rows", settings) as name, psycopg.connect(settings.conninfo(name)) as connection:
        with connection.cursor() as cur:
            create_tables(cur, [shelf, tally])
            cur.execute("INSERT INTO shelf SELECT gen_random_uuid(), 'old', 0 FROM generate_series(1, %s)", (MANY,))
        connection.commit()
        connection.execute("ANALYZE shelf")
        connection.commit()
        yield connection


def test_a_batch_changes_its_rows_adds_new_ones_and_leaves_the_rest(conn):
    (a,), (b,) = conn.execute("SELECT item_id FROM shelf ORDER BY item_id LIMIT 2").fetchall()
    new = uuid4()
    with conn.cursor() as cur:
        rows = Rows(cur, shelf, [a, b, new])
        rows.update(a, {"label": "changed", "count": 1})
        rows.insert(new, {"label": "new", "count": 2})
        rows.insert(b, {"label": "ignored", "count": 9})  # there already: INSERT … DO NOTHING
        rows.write(cur)
    conn.commit()
    found = dict(conn.execute("SELECT item_id, label || ':' || count FROM shelf WHERE item_id = ANY(%s)",
                              ([a, b, new],)).fetchall())
    assert found == {a: "changed:1", b: "old:0", new: "new:2"}
    assert conn.execute("SELECT count(*) FROM shelf WHERE label = 'old'").fetchone()[0] == MANY - 1


def test_the_update_reads_only_the_batchs_rows(conn):
    keys = [k for (k,) in conn.execute("SELECT item_id FROM shelf LIMIT 3").fetchall()]
    change = Compiled(_row_statements(shelf)[2])
    rows = json.dumps([{"item_id": str(k), "label": "x", "count": 1} for k in keys])
    explained = conn.execute("EXPLAIN " + change.sql, {**change.defaults, "rows": rows, "keys": keys}).fetchall()
    conn.rollback()
    plan = "\n".join(r[0] for r in explained)
    assert "Seq Scan on shelf" not in plan, plan


def test_put_creates_a_row_then_takes_only_newer_versions(conn):
    """A versioned view's step: a new row gets `first` too; an older or repeated version changes nothing."""
    for version, figure, seen in ((2, 20, 1), (1, 10, 2), (2, 99, 3), (3, 30, 4)):
        with conn.cursor() as cur:
            rows = Rows(cur, tally, ["seats"])
            rows.put("seats", {"figure": figure}, version, first={"first_seen": seen})
            rows.write(cur)
        conn.commit()
    assert conn.execute("SELECT figure, first_seen, version FROM tally WHERE name = 'seats'").fetchone() == (30, 1, 3)
