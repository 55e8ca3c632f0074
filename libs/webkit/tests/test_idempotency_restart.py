"""A claim whose request failed while PostgreSQL was down is released once it is back: the client's retry runs
again instead of meeting 409 "Request in progress" for the claim's whole in-flight timeout (5 minutes)."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from spine.settings import InfraSettings
from spine.testing import fresh_database
from webkit.idempotency_store import IdempotencyStore

pytestmark = [pytest.mark.integration, pytest.mark.disruptive(last=True),
              pytest.mark.skipif(os.environ.get("EP_INFRA") == "containers",
                                 reason="restarts the local PostgreSQL with deploy/postgres.sh")]

ROOT = Path(__file__).resolve().parents[3]


def postgres(action: str) -> None:
    subprocess.run(["bash", "deploy/postgres.sh", action], cwd=ROOT, check=True, capture_output=True, timeout=180)


def test_a_release_that_met_the_outage_happens_once_the_database_is_back():
    with fresh_database("idem_restart") as db:
        store = IdempotencyStore(InfraSettings().conninfo(db), ttl=timedelta(hours=1),
                                 in_flight_timeout=timedelta(minutes=5))
        try:
            assert store.claim("ada", "k1", "f") == "claimed"
            postgres("down")
            try:
                store.release("ada", "k1")  # its request failed with the outage; the release cannot reach the database
            finally:
                postgres("up")
            assert store.claim("ada", "k1", "f") == "claimed"  # the retry runs again, not "in_flight"
            assert store.claim("ada", "k1", "f") == "in_flight"  # and holds the key as usual
        finally:
            store.close()
