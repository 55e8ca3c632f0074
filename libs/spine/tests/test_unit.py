"""spine's event-store plumbing against real PostgreSQL: get_many, the snapshot policy, the batch unit."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking

from contracts import Envelope
from spine.eventstore import ServiceApplication, cause_of, postgres_env
from spine.settings import InfraSettings
from spine.testing import fresh_database
from spine.unit import Unit

pytestmark = pytest.mark.integration


class Counter(Aggregate):
    @event("Started")
    def __init__(self, name: str):
        self.name = name
        self.count = 0

    @event("Counted")
    def count_one(self):
        self.count += 1


class Ledger(Counter):
    """Same as a Counter, but snapshotted."""


def counter_id(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"/counters/{name}")


class Counters(ServiceApplication):
    name = "counters"
    snapshotting_intervals = {Ledger: 5}


@pytest.fixture
def db():
    with fresh_database("unit") as name:
        yield name


@pytest.fixture
def app(db):
    a = Counters(env=postgres_env(db))
    yield a
    a.close()


def conninfo(db: str) -> str:
    s = InfraSettings()
    return psycopg.conninfo.make_conninfo(host=s.postgres_host, port=s.postgres_port, dbname=db,
                                          user=s.postgres_user, password=s.postgres_password)


def make(app: Counters, kind: type[Counter], name: str, counted: int) -> UUID:
    aggregate = kind._create(kind.Started, id=counter_id(name), name=name)
    for _ in range(counted):
        aggregate.count_one()
    app.save(aggregate)
    return aggregate.id


def snapshot_versions(db: str, aggregate_id: UUID) -> list[int]:
    with psycopg.connect(conninfo(db)) as conn:
        rows = conn.execute("SELECT originator_version FROM counters_snapshots WHERE originator_id = %s "
                            "ORDER BY 1", (aggregate_id,)).fetchall()
    return [r[0] for r in rows]


def test_get_many_loads_every_aggregate_with_snapshots_honoured(app, db):
    plain = make(app, Counter, "plain", 3)
    ledger = make(app, Ledger, "ledger", 11)  # versions 1..12: a snapshot at 10
    missing = uuid4()
    assert snapshot_versions(db, ledger) == [12]  # one per save, of the saved state
    # The events the snapshot covers are gone: only a load that starts at the snapshot still works.
    with psycopg.connect(conninfo(db)) as conn:
        conn.execute("DELETE FROM counters_events WHERE originator_id = %s", (ledger,))
    found = app.get_many([plain, ledger, missing])  # nothing cached: saves do not fill the cache
    assert found[missing] is None
    assert (found[ledger].name, found[ledger].count, found[ledger].version) == ("ledger", 11, 12)
    assert (found[plain].name, found[plain].count, found[plain].version) == ("plain", 3, 4)


def test_get_many_fast_forwards_cached_aggregates(app, db):
    counter = make(app, Counter, "cached", 1)
    app.repository.get(counter)  # now in this process's cache
    other = Counters(env=postgres_env(db))  # another process writes on
    try:
        theirs = other.repository.get(counter)
        theirs.count_one()
        other.save(theirs)
    finally:
        other.close()
    found = app.get_many([counter])[counter]
    assert (found.count, found.version) == (2, 3)
    found.count_one()  # a copy: what a failed command did never reaches the cache
    assert app.repository.get(counter).count == 2


def test_one_snapshot_per_save_from_memory(app, db):
    ledger = make(app, Ledger, "big", 0)
    loaded = app.repository.get(ledger)
    for _ in range(23):  # versions 2..24 in one save: crosses 5, 10, 15, 20
        loaded.count_one()
    app.save(loaded, tracking=Tracking("t:0", 7))
    assert snapshot_versions(db, ledger) == [24]
    assert app.process_recorder.max_tracking_id("t:0") == 7


def envelope(correlation: str) -> Envelope:
    return Envelope(type="Count", aggregate_id=str(uuid4()), correlation_id=correlation, actor_id=None)


def test_unit_stamps_each_message_cause_only_on_what_it_touched(app):
    a, b = make(app, Counter, "a", 0), make(app, Counter, "b", 0)
    missing = uuid4()
    unit = Unit(app)
    unit.preload([a, b, missing])
    with unit.message(envelope("first")):
        unit.get(a).count_one()
        assert unit.get(missing) is None
    with unit.message(envelope("second")):
        unit.get(b).count_one()
        unit.get(a, Counter)  # looked at, changed nothing
        unit.add(Counter._create(Counter.Started, id=counter_id("new"), name="new"))
    unit.save(Tracking("t:1", 3))
    assert app.process_recorder.max_tracking_id("t:1") == 3
    causes = {name: [cause_of(e).get("correlation_id") for e in app.events.get(counter_id(name))]
              for name in ("a", "b", "new")}
    assert causes == {"a": [None, "first"], "b": [None, "second"], "new": ["second"]}
    assert app.repository.get(a).count == 1


def test_unit_with_nothing_changed_records_the_position_alone(app):
    a = make(app, Counter, "idle", 0)
    unit = Unit(app)
    with unit.message(envelope("x")):
        unit.get(a)
    unit.save(Tracking("t:2", 9))
    assert app.process_recorder.max_tracking_id("t:2") == 9
    assert app.repository.get(a).version == 1
