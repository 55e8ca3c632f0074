"""`planner-ops stuck`: a booking left pending longer than the threshold is listed with its last event; a
confirmed one is not, and neither is a pending one younger than the threshold."""

from __future__ import annotations

import time
from itertools import count

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from authkit.testing import caller
from contracts import wrap
from contracts.events import SeatsReserved
from spine.projector import apply_in_transaction
from spine.testing import fresh_database

from bookings_service.consumers.saga import SagaHandler
from bookings_service.main import create_app
from bookings_service.projections.catalogue_replica import CatalogueReplica
from bookings_service.settings import Settings
from bookings_service.testing import event_created, feed_view
from ops_support import planner_ops

pytestmark = pytest.mark.integration
URL = "/api/v1/bookings/"


def test_a_booking_pending_longer_than_the_threshold_is_listed_with_its_last_event(issuer, organizer):
    with fresh_database("ops_stuck") as db:
        settings = Settings(database=db)
        conninfo = settings.conninfo(db)
        created = event_created(organizer=organizer.user_id, capacity=5)
        event_id = created.payload["event_id"]
        with TestClient(create_app(settings, verifier=issuer.verifier())) as client:
            apply_in_transaction(conninfo, CatalogueReplica(), [created])
            alice, bob = caller(issuer, "participant"), caller(issuer, "participant")
            waiting = client.post(URL, json={"event_id": event_id}, headers=alice.headers)
            answered = client.post(URL, json={"event_id": event_id}, headers=bob.headers)
            assert waiting.status_code == answered.status_code == 202
            container = client.app.state.container
            saga = SagaHandler(container.bookings, live_booking_ids=container.query.live_booking_ids,
                               rules=container.rules.current)
            offsets = count()
            saga.handle(wrap(SeatsReserved(event_id=event_id, booking_id=answered.json()["id"], seats=1,
                                           seats_available=4), aggregate_id=event_id, aggregate_version=2),
                        Tracking("test:events.v1:0", next(offsets)))
            feed_view(container.bookings, conninfo)
        with psycopg.connect(conninfo) as conn:
            statuses = dict(conn.execute("SELECT booking_id::text, status FROM bookings_view").fetchall())
        assert statuses == {waiting.json()["id"]: "pending", answered.json()["id"]: "confirmed"}

        env = {"BOOKINGS_DATABASE": db, "PAYMENTS_DATABASE": db}  # no payments here: only this test's bookings
        young = planner_ops("stuck", "--older-than", "1h", "--json", env=env)
        assert young.code == 0, young.stderr
        assert young.json_lines() == []
        time.sleep(1.5)  # let the pending booking age past a 1 s threshold (a bound, not a timing assertion)
        old = planner_ops("stuck", "--older-than", "1s", "--json", env=env)
        assert old.code == 0, old.stderr
        (row,) = old.json_lines()
        assert (row["kind"], row["id"], row["status"]) == ("booking", waiting.json()["id"], "pending")
        assert row["last_event"].startswith("Booking.") and row["stuck_for_seconds"] >= 1
        assert row["event_id"] == event_id and row["user_id"] == str(alice.user_id)
        table = planner_ops("stuck", "--older-than", "1s", env=env)
        assert "1 saga(s) not final after 1s" in table.stdout and waiting.json()["id"] in table.stdout
