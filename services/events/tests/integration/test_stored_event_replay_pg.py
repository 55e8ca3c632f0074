"""Events stored by the generated (pre-declaration) event classes load from PostgreSQL with the same state."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from spine.eventstore import postgres_env
from spine.testing import fresh_database

from events_service import public
from events_service.application import Events
from events_service.settings import Settings

pytestmark = pytest.mark.integration

STORED = json.loads((Path(__file__).parents[1] / "unit" / "fixtures" / "stored_events_v1.json").read_text())


def _as_written(app: Events, row: dict) -> StoredEvent:
    """The row as the application would have stored it (through its compressor and cipher, if any)."""
    state = json.dumps(row["state"]).encode()
    if app.mapper.compressor:
        state = app.mapper.compressor.compress(state)
    if app.mapper.cipher:
        state = app.mapper.cipher.encrypt(state)
    return StoredEvent(originator_id=UUID(row["originator_id"]), originator_version=row["originator_version"],
                       topic=row["topic"], state=state)


def _read(app: Events, state: bytes) -> dict:
    if app.mapper.cipher:
        state = app.mapper.cipher.decrypt(state)
    if app.mapper.compressor:
        state = app.mapper.compressor.decompress(state)
    return json.loads(state)


def _without_timestamp(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "timestamp"}


def test_old_stored_events_load_into_the_same_aggregates_and_translate():
    with fresh_database("events_replay_v1") as db:
        app = Events(env=postgres_env(db, Settings(database=db)))
        try:
            app.recorder.insert_events([_as_written(app, row) for row in STORED["events"]])
            for snap in STORED["snapshots"]:
                aggregate = app.repository.get(UUID(snap["originator_id"]))
                taken = app.mapper.to_stored_event(Snapshot.take(aggregate))
                assert taken.topic == snap["topic"]
                assert _without_timestamp(_read(app, taken.state)) == _without_timestamp(snap["state"])
            loaded = [app.mapper.to_domain_event(s) for s in app.recorder.select_events(
                UUID(STORED["events"][0]["originator_id"]))]
            published = [public.to_public(e) for e in loaded]
            assert [type(p).__name__ for p in published] == [
                "EventCreated", "EventUpdated", "SeatsReserved", "SeatsRejected", "SeatsReserved", "SeatsRejected",
                "SeatsReleased", "SeatsLeased", "SeatsLeased", "LeasedSeatsReturned", "EventCancelled",
                "LeaseRefused"]
        finally:
            app.close()
