"""Events stored before the event classes were declared explicitly still read back, with the same state.

`fixtures/stored_events_v1.json` was written by the generated (`@event("Name")`) classes: one stored event of
every type of Event, Review and UnknownEventAnswers, and a snapshot of each aggregate after them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from events_service.domain import Event, Review, UnknownEventAnswers

pytestmark = pytest.mark.unit

STORED = json.loads((Path(__file__).parent / "fixtures" / "stored_events_v1.json").read_text())
MAPPER = Application().mapper


def _stored(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(originator_id=UUID(row["originator_id"]), originator_version=row["originator_version"],
                       topic=row["topic"], state=json.dumps(row["state"]).encode())


def _taken(state: bytes | dict[str, Any]) -> dict[str, Any]:
    """A snapshot's state without when it was taken."""
    loaded = dict(json.loads(state) if isinstance(state, bytes) else state)
    loaded.pop("timestamp")
    return loaded


def _domain_events() -> list[Any]:
    return [MAPPER.to_domain_event(_stored(row)) for row in STORED["events"]]


def test_every_event_type_of_the_three_aggregates_is_in_the_fixture():
    declared = {f"{c.__module__}:{c.__qualname__}" for agg in (Event, Review, UnknownEventAnswers)
                for c in vars(agg).values()
                if isinstance(c, type) and issubclass(c, agg.Event) and c.__name__ not in ("Event", "Created")}
    assert {row["topic"] for row in STORED["events"]} == declared


@pytest.mark.parametrize("row", STORED["events"], ids=lambda row: row["topic"].rsplit(":", 1)[1])
def test_a_stored_event_reads_back_as_its_class_with_the_same_fields(row):
    domain_event = MAPPER.to_domain_event(_stored(row))
    assert resolve_topic(row["topic"]) is type(domain_event)
    again = MAPPER.to_stored_event(domain_event)
    assert (again.topic, json.loads(again.state)) == (row["topic"], row["state"])


def test_replaying_the_stored_events_gives_the_stored_state():
    streams: dict[UUID, list[Any]] = defaultdict(list)
    for domain_event in _domain_events():
        streams[domain_event.originator_id].append(domain_event)
    expected = {UUID(s["originator_id"]): s for s in STORED["snapshots"]}
    assert streams.keys() == expected.keys()
    for originator_id, stream in streams.items():
        aggregate: Aggregate | None = None
        for domain_event in stream:
            aggregate = domain_event.mutate(aggregate)
        snapshot = MAPPER.to_stored_event(Snapshot.take(aggregate))
        assert (snapshot.topic, _taken(snapshot.state)) == (expected[originator_id]["topic"],
                                                            _taken(expected[originator_id]["state"]))


@pytest.mark.parametrize("row", STORED["snapshots"], ids=lambda row: row["topic"].rsplit(":", 1)[1])
def test_a_stored_snapshot_still_restores(row):
    snapshot = MAPPER.to_domain_event(_stored(row))
    aggregate = snapshot.mutate(None)
    assert _taken(MAPPER.to_stored_event(Snapshot.take(aggregate)).state) == _taken(row["state"])
