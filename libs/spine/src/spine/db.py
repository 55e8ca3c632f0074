"""Connection pools for a service's own database (read models, idempotency keys, relay positions).

Every pool here (and the event store's, see `spine.eventstore`) is a `FailFastPool`: while PostgreSQL is
down, psycopg_pool would keep each caller waiting for its whole get-connection timeout (and the event store's
own retries multiply that to minutes), and after PostgreSQL is back it reconnects only on its exponential
backoff (1, 2, 4, … 32 s). With one writer per process, every queued booking request waited behind that.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from psycopg_pool.base import AttemptWithBackoff

from spine.settings import InfraSettings

# Longest pause between a pool's attempts to reconnect: a refused connect to a down server is cheap, and the
# first request after a restart should find a fresh connection instead of waiting out a long backoff.
RECONNECT_EVERY = 0.5
# How long a direct "is the server there?" connect may take before the server counts as unreachable.
PROBE_TIMEOUT = 2


class DatabaseUnavailable(psycopg.OperationalError):
    """The database did not accept a connection just now: fail the request (503) rather than wait for it."""


class _QuickReconnect(AttemptWithBackoff):
    """The pool's reconnect schedule, capped at RECONNECT_EVERY between attempts."""

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, RECONNECT_EVERY)


class FailFastMixin:
    """psycopg_pool behaviour for outages. A caller that would otherwise wait — no idle connection while the
    last connect failed, or a pooled connection failing its check — first probes the server with one direct
    connect; if that is refused it gets DatabaseUnavailable at once instead of waiting for the pool's timeout
    (or sleeping 1, 2, 4 s between checks). Reconnects are retried every RECONNECT_EVERY seconds."""

    _unreachable = False

    def _connect(self, timeout: float | None = None) -> Any:
        try:
            conn = super()._connect(timeout)  # type: ignore[misc]
        except Exception:
            self._unreachable = True
            raise
        self._unreachable = False
        return conn

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        if attempt is None:
            attempt = _QuickReconnect(timeout=self.reconnect_timeout)  # type: ignore[attr-defined]
        super()._add_connection(attempt, growing)  # type: ignore[misc]

    def _getconn_with_check_loop(self, deadline: float) -> Any:
        while True:
            if self._unreachable and not self._pool:  # type: ignore[attr-defined]
                self._probe()
            conn = self._getconn_unchecked(deadline - monotonic())  # type: ignore[attr-defined]
            try:
                self._check_connection(conn)  # type: ignore[attr-defined]
            except BaseException as exc:
                self._putconn(conn, from_getconn=True)  # type: ignore[attr-defined]
                if not isinstance(exc, Exception):
                    raise
                self._probe()  # a killed connection: is the server gone (fail now) or back (take the next)?
            else:
                return conn

    def _probe(self) -> None:
        kwargs = {**self._resolve_kwargs(), "connect_timeout": PROBE_TIMEOUT}  # type: ignore[attr-defined]
        try:
            psycopg.connect(self._resolve_conninfo(), **kwargs).close()  # type: ignore[attr-defined]
        except psycopg.Error as exc:
            raise DatabaseUnavailable(f"database of pool {self.name!r} unreachable: {exc}") from exc  # type: ignore[attr-defined]
        self._unreachable = False
        # The server answers: reconnect now rather than at the next scheduled attempt.
        self.check()  # type: ignore[attr-defined]


class FailFastPool(FailFastMixin, ConnectionPool):
    """A psycopg_pool ConnectionPool that fails fast while its database is down (see FailFastMixin)."""


def fail_fast(pool: ConnectionPool) -> ConnectionPool:
    """The same pool (same settings, e.g. the event store's, built by its library), failing fast.

    It must not be open yet: its state moves to an instance of a subclass with the mixin, and the unopened
    original, which no thread refers to, is dropped."""
    if isinstance(pool, FailFastMixin):
        return pool
    if not pool.closed:
        raise ValueError(f"pool {pool.name!r} is already open")
    base = type(pool)
    cls = _FAIL_FAST.get(base)
    if cls is None:
        cls = _FAIL_FAST[base] = type(f"FailFast{base.__name__}", (FailFastMixin, base), {})
    twin: ConnectionPool = object.__new__(cls)
    twin.__dict__.update(vars(pool))
    return twin


_FAIL_FAST: dict[type, type] = {}


def connection_pool(dbname: str, settings: InfraSettings | None = None, *, max_size: int = 10) -> ConnectionPool:
    """An open pool of dict-row connections to one database.

    Each connection is checked as it is handed out: after a PostgreSQL restart the pool still holds
    connections the server killed, and without the check each one would fail its next request once (a 500).
    """
    s = settings or InfraSettings()
    return FailFastPool(
        s.conninfo(dbname),
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row},
        open=True,
        check=ConnectionPool.check_connection,
        name=dbname,
    )


def scalar(cursor: psycopg.Cursor[Any]) -> Any:
    """The first column of a query's one row (a `SELECT <expression>` always has one; None would be a bug)."""
    row = cursor.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row[0]
