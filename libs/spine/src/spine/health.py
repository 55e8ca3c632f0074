"""Alarms: what a worker raises when it cannot make progress on its own, and the readout health reports.

An alarm is logged (ERROR), counted (`ep_alarms_raised_total`, spine.metrics), and kept as a row of
`spine_alarms` in the service's own database, so the service's api (another process) can report it on
`/health/<service>`:
* `consumer_stalled` — a partition keeps failing with a transient error (it stays paused and retried);
  cleared by the worker as soon as the message goes through;
* `relay_parked` — the relay met records it cannot publish and parked them in `spine_relay_parked`;
  stays until an operator has dealt with them (`clear_alarm`);
* `dead_lettered` — a consumer sent messages to `<topic>.dlq`; stays until an operator clears it;
* `relay_stuck` — the store has events beyond a relay's position and the position has not moved for
  `RELAY_STUCK_AFTER_SECONDS` (a blocked record, a lost leader lock, a broker refusing it); cleared by the
  worker once it moves (spine.liveness);
* `consumer_stopped` — a partition is behind its topic and has not moved for `CONSUMER_ALARM_AFTER_SECONDS`
  while not waiting for a retry (the consumer stopped polling); cleared once it moves.

The first three make a service `degraded` (it still works, an operator has something to do); the last two,
and an unreachable database, make it `unhealthy` (HTTP 503 on health): something is not being processed.

Writing an alarm never fails the caller: if the database is down, the log line and counter remain.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from spine.db import scalar
from spine.metrics import ALARMS_RAISED

log = logging.getLogger("spine.health")

# Alarm kinds that mean work is not being processed (rather than "an operator has something to look at").
UNHEALTHY_KINDS = frozenset({"relay_stuck", "consumer_stopped", "unreachable"})


def status_of(alarms: list[dict[str, Any]]) -> str:
    """`ok`, `degraded` (alarms an operator should look at) or `unhealthy` (something is not processed)."""
    if any(a.get("kind") in UNHEALTHY_KINDS for a in alarms):
        return "unhealthy"
    return "degraded" if alarms else "ok"

ALARMS_DDL = """
CREATE TABLE IF NOT EXISTS spine_alarms (
    source text PRIMARY KEY,
    kind text NOT NULL,
    detail text NOT NULL,
    occurrences bigint NOT NULL DEFAULT 1,
    raised_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
)"""

UPSERT = """
INSERT INTO spine_alarms (source, kind, detail, raised_at, updated_at) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (source) DO UPDATE SET detail = EXCLUDED.detail, updated_at = EXCLUDED.updated_at,
    occurrences = spine_alarms.occurrences + 1"""

_ready: set[str] = set()
_ready_lock = threading.Lock()


def ensure_tables(conn: psycopg.Connection, conninfo: str, ddl: str = ALARMS_DDL) -> None:
    """Create a spine table once per process (an advisory lock: api and worker may start together)."""
    key = f"{conninfo}|{hash(ddl)}"
    with _ready_lock:
        if key in _ready:
            return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('spine_tables'))")
        conn.execute(ddl)
    with _ready_lock:
        _ready.add(key)


class Alarms:
    """The alarms of one worker, kept in memory and in the service's database (when it has one)."""

    def __init__(self, conninfo: str | None = None):
        self.conninfo = conninfo
        self.active: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def raise_alarm(self, source: str, kind: str, detail: str) -> None:
        """Raise (or repeat) an alarm; blocking (database write): call it from a thread in async code."""
        now = datetime.now(UTC)
        with self._lock:
            new = source not in self.active
            self.active[source] = {"source": source, "kind": kind, "detail": detail, "updated_at": now.isoformat()}
        if new:
            ALARMS_RAISED.labels(kind).inc()
        log.error("ALARM %s %s: %s", kind, source, detail)
        self._write(UPSERT, (source, kind, detail, now, now))

    def clear(self, source: str) -> None:
        """The condition is gone (no-op for alarms this worker did not raise)."""
        with self._lock:
            if self.active.pop(source, None) is None:
                return
        log.warning("alarm cleared: %s", source)
        self._write("DELETE FROM spine_alarms WHERE source = %s", (source,))

    def clear_stale(self, sources: list[str]) -> None:
        """At start: forget these alarms left by an earlier run of this worker (a killed process cannot clear
        its own); the liveness checks raise them again within seconds if the condition still holds."""
        if sources:
            self._write("DELETE FROM spine_alarms WHERE source = ANY(%s)", (sources,))

    def snapshot(self) -> list[dict[str, Any]]:
        """This process's active alarms."""
        with self._lock:
            return list(self.active.values())

    def _write(self, statement: str, params: tuple[Any, ...]) -> None:
        if self.conninfo is None:
            return
        try:
            with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                ensure_tables(conn, self.conninfo)
                conn.execute(statement, params)
        except Exception:  # noqa: BLE001 — the alarm is logged anyway; never fail the caller for it
            log.exception("could not store the alarm")


def read_alarms(conninfo: str) -> list[dict[str, Any]]:
    """Every active alarm of a service (none when the worker never raised one)."""
    with psycopg.connect(conninfo, row_factory=dict_row, connect_timeout=5) as conn:
        exists = conn.execute("SELECT to_regclass('spine_alarms') IS NOT NULL AS e").fetchone()
        if not exists or not exists["e"]:
            return []
        rows = conn.execute("SELECT source, kind, detail, occurrences, raised_at, updated_at FROM spine_alarms"
                            " ORDER BY raised_at").fetchall()
    return [{**r, "raised_at": r["raised_at"].isoformat(), "updated_at": r["updated_at"].isoformat()} for r in rows]


def clear_alarm(conninfo: str, source: str) -> bool:
    """An operator dealt with it (e.g. re-published parked records); True if there was such an alarm."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if not scalar(conn.execute("SELECT to_regclass('spine_alarms') IS NOT NULL")):
            return False
        return conn.execute("DELETE FROM spine_alarms WHERE source = %s", (source,)).rowcount > 0


def reader(conninfo: str):
    """A health readout for webkit's `/health/<service>`: `{"alarms": [...]}` from the service's database.

    The health route is public (load balancers poll it through the gateway), so it names each alarm's kind and
    source but not its detail, which may quote internal error text; operators read that from `read_alarms`
    and the logs, or from the admin-only `/health/<service>/detail` (`detail=True`), which adds each alarm's
    detail and the database's round trip.
    """

    def readout(detail: bool = False) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            alarms = read_alarms(conninfo)
        except psycopg.Error as exc:
            log.warning("health: alarms unreadable", exc_info=True)
            down = {"source": "database", "kind": "unreachable"}
            if detail:
                return {"alarms": [{**down, "detail": type(exc).__name__}],
                        "dependencies": {"database": {"status": "unreachable"}}}
            return {"alarms": [down]}
        if not detail:
            return {"alarms": [{k: v for k, v in alarm.items() if k != "detail"} for alarm in alarms]}
        return {"alarms": alarms, "dependencies": {"database": {
            "status": "ok", "round_trip_ms": round((time.perf_counter() - started) * 1000, 1)}}}

    return readout
