"""`spine.views.run` reuses the compilation of a statement shape: each call still gets its own values, and
the SQL and parameters are exactly what compiling that statement afresh gives (IN-lists expanded)."""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert

from spine.settings import InfraSettings
from spine.testing import fresh_database
from spine.views import DIALECT, _run_form, create_tables, paged, run

meta = MetaData()
things = Table("run_things", meta, Column("id", Integer, primary_key=True), Column("name", Text),
               Column("n", Integer))


def shapes(i: int) -> list:
    return [
        select(things).where(things.c.id == i),
        select(things.c.name).where(and_(things.c.n > i, things.c.name != f"x{i}")).order_by(things.c.id),
        paged(select(things).order_by(things.c.id), limit=i + 1, offset=i),
        update(things).where(things.c.id == i).values(name=f"n{i}", n=things.c.n + i),
        insert(things).values(id=i, name=f"i{i}", n=i).on_conflict_do_nothing(),
        select(things).where(things.c.id.in_(list(range(i + 1)))),  # an IN-list of a different length each time
        select(func.count()).select_from(things).where(things.c.name == str(UUID(int=i))),
    ]


@pytest.mark.unit
def test_a_repeated_shape_gives_the_same_sql_and_each_calls_own_values():
    for i in range(4):
        for statement in shapes(i):
            fresh = statement.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
            assert _run_form(statement) == (fresh.string, fresh.params)


@pytest.mark.integration
def test_statements_of_one_shape_run_with_their_own_values_against_postgresql():
    settings = InfraSettings()
    with fresh_database("spine_views_run") as db, psycopg.connect(settings.conninfo(db)) as conn:
        with conn.cursor() as cur:
            create_tables(cur, meta)
        for i in range(1, 4):
            run(conn, insert(things).values(id=i, name=f"i{i}", n=i * 10))
        run(conn, update(things).where(things.c.id == 2).values(name="two"))
        got = [run(conn, select(things.c.name).where(things.c.id == i)).fetchone()[0] for i in range(1, 4)]
        assert got == ["i1", "two", "i3"]
        assert run(conn, select(things.c.id).where(things.c.id.in_([1, 3])).order_by(things.c.id)).fetchall() == \
            [(1,), (3,)]
