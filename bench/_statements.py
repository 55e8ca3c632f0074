"""PostgreSQL's side of a measured window, from `pg_stat_statements` (loaded by deploy/postgres.sh on clusters
it creates): statements and their execution time per booking, by service database, and the statements that
cost most. Reset when the window opens, read when it closes. A cluster created before the library was
configured has no such view: the report then says so and the bench goes on."""

from __future__ import annotations

from typing import Any

import psycopg

from spine.settings import InfraSettings

_BY_DATABASE = """
SELECT d.datname AS db, sum(s.calls)::bigint AS calls, sum(s.total_exec_time) AS ms
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname NOT IN ('postgres', 'template0', 'template1') GROUP BY 1 ORDER BY 2 DESC"""
_TOP = """
SELECT d.datname AS db, s.calls, s.total_exec_time AS ms,
       left(regexp_replace(s.query, '\\s+', ' ', 'g'), 90) AS query
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname NOT IN ('postgres', 'template0', 'template1') AND s.query NOT IN ('BEGIN', 'COMMIT')
ORDER BY s.total_exec_time DESC LIMIT %s"""


def _connect(settings: InfraSettings) -> psycopg.Connection | None:
    try:
        conn = psycopg.connect(settings.conninfo("postgres"), autocommit=True)
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
        return conn
    except psycopg.Error:
        return None  # not in shared_preload_libraries on this cluster


def reset(settings: InfraSettings) -> bool:
    conn = _connect(settings)
    if conn is None:
        return False
    with conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    return True


def read(settings: InfraSettings, top: int = 8) -> dict[str, Any] | None:
    conn = _connect(settings)
    if conn is None:
        return None
    with conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        by_db = cur.execute(_BY_DATABASE).fetchall()
        costly = cur.execute(_TOP, (top,)).fetchall()
    return {"by_database": by_db, "top": costly}


def report(window: dict[str, Any] | None, bookings: int) -> None:
    if window is None:
        print("== PostgreSQL statements: pg_stat_statements not loaded on this cluster (re-create .data/<profile>/pg)")
        return
    total = sum(r["calls"] for r in window["by_database"])
    print(f"== PostgreSQL statements per booking (rush window): {total / bookings:.1f} in all")
    for r in window["by_database"]:
        print(f"  {r['db']:16} {r['calls'] / bookings:6.1f} statements   {r['ms'] / bookings:6.2f} ms executing")
    print("  costliest statements (total execution time in the window):")
    for r in window["top"]:
        print(f"  {r['ms']:8.0f} ms {r['calls']:6d}×  {r['db']:13} {r['query']}")
