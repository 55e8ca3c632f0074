"""While PostgreSQL is down a pool answers at once (DatabaseUnavailable) instead of holding the caller for its
whole get-connection timeout — with one writer per process, every queued request waited behind that caller."""

from __future__ import annotations

import time

import pytest
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from spine.db import DatabaseUnavailable, FailFastMixin, FailFastPool, connection_pool
from spine.eventstore import ServiceApplication, postgres_env
from spine.testing import fresh_database

pytestmark = pytest.mark.integration


class Notes(ServiceApplication):
    name = "notes"


def test_a_pool_whose_server_is_gone_refuses_at_once_rather_than_after_its_timeout(tmp_path):
    # A socket directory with no server in it: every connect is refused, as while PostgreSQL restarts.
    pool = FailFastPool(f"host={tmp_path} dbname=nothing user=nobody", min_size=1, max_size=2, open=True,
                        kwargs={"row_factory": dict_row}, check=ConnectionPool.check_connection, timeout=600)
    try:
        while not pool.get_stats().get("connections_errors"):  # its first connect (in the background) failed
            time.sleep(0.05)
        with pytest.raises(DatabaseUnavailable), pool.connection():
            pass
    finally:
        pool.close(timeout=0)


def test_every_pool_of_a_service_fails_fast():
    with fresh_database("failfast") as db:
        pool = connection_pool(db, max_size=2)
        app = Notes(env=postgres_env(db))
        try:
            assert isinstance(pool, FailFastPool)
            assert isinstance(app.process_recorder.datastore.pool, FailFastMixin)  # the event store's own
        finally:
            pool.close()
            app.close()
