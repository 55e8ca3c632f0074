"""The catalogue and settings replicas decide what POST accepts: edits, cancellations and settings from
events.v1 / users.v1 change the answer; older or repeated messages do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import wrap
from contracts.events import EventCancelled, EventUpdated, LeasedSeatsReturned, SeatsLeased, SeatsReleased
from contracts.users import SettingChanged, SettingReset
from spine.projector import apply_in_transaction

from bookings_service.domain import BookingRules
from bookings_service.projections.settings_replica import SettingsReplica
from bookings_service.testing import event_created

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


def replica_row(client, event_id: str) -> dict:
    with client.app.state.container.pool.connection() as conn:
        return conn.execute("SELECT * FROM catalogue_replica WHERE event_id = %s", (event_id,)).fetchone()


def test_event_edits_and_seat_counts_reach_the_replica_in_version_order(client, catalogue, organizer, participant):
    created = event_created(organizer=organizer.user_id, capacity=4)
    event_id = created.payload["event_id"]
    now = datetime.now(UTC)
    edit = wrap(EventUpdated(event_id=event_id, changes={"is_paid": True, "price": "9.90", "currency": "EUR",
                                                         "allowed_payment_methods": ["cash"], "title": "x"},
                             seats_available=4, updated_at=now), aggregate_id=event_id, aggregate_version=2)
    seats = wrap(SeatsReleased(event_id=event_id, booking_id=event_id, seats=1, seats_available=3),
                 aggregate_id=event_id, aggregate_version=3)
    catalogue(created, edit, seats, edit)  # the edit again, late: older than the seat count
    row = replica_row(client, event_id)
    assert (row["is_paid"], str(row["price"]), row["allowed_payment_methods"], row["seats_available"]) == (
        True, "9.90", ["cash"], 3)
    response = client.post(URL, json={"event_id": event_id, "payment_method": "cash"}, headers=participant.headers)
    assert response.status_code == 202 and response.json()["amount"] == "9.90"
    catalogue(wrap(EventCancelled(event_id=event_id, cancelled_at=now), aggregate_id=event_id, aggregate_version=4))
    assert client.post(URL, json={"event_id": event_id, "payment_method": "cash"},
                       headers=participant.headers).status_code == 409


def test_lease_grants_and_returns_move_the_replicas_free_seats_in_version_order(client, catalogue, organizer):
    """Promotion asks the Event for seats: the replica's count is the Event's own (leased seats are not its)."""
    created = event_created(organizer=organizer.user_id, capacity=10)
    event_id = created.payload["event_id"]
    granted = wrap(SeatsLeased(event_id=event_id, lease_id=event_id, seats=6, seats_leased=6, seats_unallocated=4),
                   aggregate_id=event_id, aggregate_version=2)
    catalogue(created, granted)
    assert replica_row(client, event_id)["seats_available"] == 4
    back = wrap(LeasedSeatsReturned(event_id=event_id, return_id=event_id, seats=5, seats_leased=1,
                                    seats_unallocated=9), aggregate_id=event_id, aggregate_version=3)
    catalogue(back, granted)  # the grant again, late: older than the return
    assert replica_row(client, event_id)["seats_available"] == 9


def test_a_moved_start_time_is_honoured(client, catalogue, organizer, participant):
    created = event_created(organizer=organizer.user_id)
    event_id = created.payload["event_id"]
    moved = wrap(EventUpdated(event_id=event_id, changes={"start_time": (datetime.now(UTC) - timedelta(minutes=1))
                                                          .isoformat()}, seats_available=10,
                              updated_at=datetime.now(UTC)), aggregate_id=event_id, aggregate_version=2)
    catalogue(created, moved)
    assert client.post(URL, json={"event_id": event_id}, headers=participant.headers).status_code == 409


def test_max_group_size_comes_from_the_settings_replica(client, settings, catalogue, organizer, participant):
    created = event_created(organizer=organizer.user_id, capacity=50)
    catalogue(created)
    rules = client.app.state.container.rules
    apply_in_transaction(settings.conninfo(settings.database), SettingsReplica(), [
        wrap(SettingChanged(key="max_group_size", type="number", value=20), aggregate_id="s", aggregate_version=1),
        wrap(SettingChanged(key="booking_hold_minutes", type="number", value=5), aggregate_id="h",
             aggregate_version=1),
        wrap(SettingChanged(key="smtp_host", type="string", value="x"), aggregate_id="o", aggregate_version=1),
        # One account may hold more than one big group's worth of seats here.
        wrap(SettingChanged(key="max_seats_per_user_per_event", type="number", value=40), aggregate_id="m",
             aggregate_version=1),
    ])
    rules.refresh_seconds = 0
    assert (rules.current().max_group_size, rules.current().booking_hold_minutes) == (20, 5)
    ok = client.post(URL, json={"event_id": created.payload["event_id"], "group_size": 15},
                     headers=participant.headers)
    assert ok.status_code == 202
    too_big = client.post(URL, json={"event_id": created.payload["event_id"], "group_size": 21},
                          headers=participant.headers)
    assert too_big.status_code == 422


def test_a_reset_setting_is_back_to_its_default_even_if_an_older_change_comes_late(client, settings, catalogue,
                                                                                    organizer, participant):
    created = event_created(organizer=organizer.user_id, capacity=50)
    catalogue(created)
    rules = client.app.state.container.rules
    rules.refresh_seconds = 0
    # Versions above the ones earlier tests in this module used for the same key (one row per key).
    changed = wrap(SettingChanged(key="max_group_size", type="number", value=3), aggregate_id="s",
                   aggregate_version=10)
    apply_in_transaction(settings.conninfo(settings.database), SettingsReplica(), [changed])
    assert rules.current().max_group_size == 3
    assert client.post(URL, json={"event_id": created.payload["event_id"], "group_size": 4},
                       headers=participant.headers).status_code == 422

    reset = wrap(SettingReset(key="max_group_size"), aggregate_id="s", aggregate_version=11)
    apply_in_transaction(settings.conninfo(settings.database), SettingsReplica(), [reset, changed])
    assert rules.current().max_group_size == BookingRules().max_group_size
    assert client.post(URL, json={"event_id": created.payload["event_id"], "group_size": 4},
                       headers=participant.headers).status_code == 202
