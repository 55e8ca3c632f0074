"""A PostgreSQL restart costs no failed request: pooled connections the server killed are replaced on checkout.

The fault test (tests/e2e/test_fault.py) found every API answering 500 to its first requests after a restart.
Here the restart is simulated by terminating every other connection to the database (what a restart does to
them), which is deterministic and quick.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event

from spine.db import connection_pool
from spine.eventstore import ServiceApplication, postgres_env
from spine.settings import InfraSettings
from spine.testing import fresh_database
from webkit.idempotency_store import IdempotencyStore

pytestmark = pytest.mark.integration


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str):
        self.text = text


class Notes(ServiceApplication):
    name = "notes"


def kill_every_connection(dbname: str) -> int:
    """What a server restart does to the clients' open connections."""
    with psycopg.connect(InfraSettings().conninfo(dbname), autocommit=True) as conn:
        killed = conn.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                              " WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)).fetchone()[0]
    return killed


def test_pools_and_the_event_store_recover_without_a_failed_request():
    with fresh_database("restart") as db:
        pool = connection_pool(db, max_size=2)
        app = Notes(env=postgres_env(db))
        store = IdempotencyStore(InfraSettings().conninfo(db), ttl=timedelta(hours=1),
                                 in_flight_timeout=timedelta(minutes=1))
        try:
            note = Note("before")
            app.save(note)
            with pool.connection() as conn:
                conn.execute("SELECT 1")
            assert store.claim("ada", "k1", "f") == "claimed"

            assert kill_every_connection(db) >= 3  # the pool's, the event store's and the idempotency store's

            # Each first use after the "restart" succeeds: no OperationalError reaches a request.
            with pool.connection() as conn:
                assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1
            assert app.repository.get(note.id).text == "before"
            app.save(Note("after"))
            assert store.claim("ada", f"k-{uuid4()}", "f") == "claimed"
        finally:
            store.close()
            pool.close()
            app.close()
