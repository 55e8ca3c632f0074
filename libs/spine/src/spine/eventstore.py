"""Event-store wiring: every service's eventsourcing Application lives in the service's own database.

* PostgreSQL persistence, one table set per application (`<name>_events`, `_snapshots`, `_tracking`).
* A process recorder, so a consumer can save aggregates together with the Kafka position it
  processed (`app.save(..., tracking=Tracking(...))`) in one transaction.
* One snapshot policy (`_snapshot`): once per save, from the aggregate in memory.
* `get_many`: many aggregates with one query (`spine.loading`).
* The cause of each change (correlation id, causation id, actor) is stored inside the event under
  `_cause`, so the relay can put it on the public message without every domain event declaring it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar
from uuid import UUID

import psycopg
import psycopg.conninfo
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import InfrastructureFactory, Mapper, ProcessRecorder, Recording, StoredEvent, Tracking
from eventsourcing.utils import Environment

from spine import context
from spine.db import fail_fast
from spine.loading import load_many
from spine.settings import InfraSettings

log = logging.getLogger("spine.eventstore")

CAUSE_KEY = "_cause"


class CausedMapper(Mapper):
    """Mapper that records the current cause with each new event."""

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        state = vars(domain_event)
        if CAUSE_KEY not in state:
            cause = context.current().as_dict()
            if cause:
                state[CAUSE_KEY] = cause  # events are frozen dataclasses, but __dict__ is writable
        return super().to_stored_event(domain_event)


def cause_of(domain_event: DomainEventProtocol[Any]) -> dict[str, str]:
    """The cause stored with an event ({} for events saved without one)."""
    return dict(vars(domain_event).get(CAUSE_KEY) or {})


def postgres_env(dbname: str, settings: InfraSettings | None = None, **extra: str) -> dict[str, str]:
    """eventsourcing environment for an application stored in `dbname`."""
    s = settings or InfraSettings()
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": s.postgres_host,
        "POSTGRES_PORT": str(s.postgres_port),
        "POSTGRES_USER": s.postgres_user,
        "POSTGRES_PASSWORD": s.postgres_password,
        "POSTGRES_POOL_SIZE": str(s.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": "20",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        # Check pooled connections as they are handed out, so a PostgreSQL restart costs no failed request.
        "POSTGRES_PRE_PING": "y",
        "CREATE_TABLE": "y",
        "AGGREGATE_CACHE_MAXSIZE": "5000",
    }
    env.update(extra)
    return env


class ServiceApplication(Application):
    """Base for every service's Application: Postgres, process recorder, causes, snapshots."""

    # Subclasses list aggregates with long streams here, e.g. {Event: 50}.
    snapshotting_intervals: ClassVar[dict[type, int]] = {}

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        """The library's factory, its connection pool made fail-fast before anything opens it: while
        PostgreSQL is down, each of the library's 10 retries would wait POSTGRES_CONNECT_TIMEOUT for a
        connection (minutes in all), and once it is back the pool reconnects on a backoff of up to 32 s."""
        factory = super().construct_factory(env)
        datastore = getattr(factory, "datastore", None)  # None for in-memory persistence
        if datastore is not None:
            datastore.pool = fail_fast(datastore.pool)
        return factory

    def construct_mapper(self) -> Mapper:
        return CausedMapper(
            transcoder=self.construct_transcoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
        )

    def construct_recorder(self) -> ProcessRecorder:
        return self._creating_tables(self.factory.process_recorder)

    def construct_snapshot_store(self):
        return self._creating_tables(super().construct_snapshot_store)

    def _creating_tables(self, build):
        """Build a recorder (which creates its tables) while holding a session advisory lock: a service's
        api and worker start together, and on a fresh database the loser of a concurrent CREATE TABLE fails."""
        env = self.env
        conninfo = psycopg.conninfo.make_conninfo(
            host=env.get("POSTGRES_HOST"), port=env.get("POSTGRES_PORT"), dbname=env.get("POSTGRES_DBNAME"),
            user=env.get("POSTGRES_USER"), password=env.get("POSTGRES_PASSWORD"),
        )
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"create-tables:{self.name}",))
            return build()

    def story_of(self, aggregate_id: UUID) -> dict[str, str]:
        """The cause an aggregate was created under (its first event's), or {} when there is none."""
        first = self.recorder.select_events(aggregate_id, limit=1)
        return cause_of(self.mapper.to_domain_event(first[0])) if first else {}

    @contextlib.contextmanager
    def continuing_story(self, aggregate_id: UUID) -> Iterator[None]:
        """Bind the aggregate's story for a later request on it (a payment's outcome or refund, a booking's
        cancellation): its correlation id, so one booking's whole story reads under one id across services.
        The actor stays the caller (an admin, an operator, the owner); with none (a provider's webhook) it
        is whoever started the story."""
        story = self.story_of(aggregate_id)
        now = context.current()
        with context.caused_by(correlation_id=story.get("correlation_id") or now.correlation_id,
                               actor_id=now.actor_id or story.get("actor_id")):
            yield

    @property
    def process_recorder(self) -> ProcessRecorder:
        """The recorder, typed as one that can also record tracking positions."""
        assert isinstance(self.recorder, ProcessRecorder)
        return self.recorder

    def get_many(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, Any | None]:
        """Several aggregates with one query (snapshots and the cache honoured); None for an id with nothing
        stored. Callers check the type: an id may name another kind of aggregate."""
        return load_many(self, aggregate_ids)

    def save(self, *objs: Any, tracking: Tracking | None = None, **kwargs: Any) -> list[Recording]:
        """Save aggregates (and, with `tracking`, the position of the message that caused them) atomically,
        then snapshot those whose save crossed their interval (`snapshotting_intervals`).

        Raises eventsourcing's IntegrityError when that position was already recorded (a redelivered
        message) or on a version conflict; nothing is written in either case.
        """
        processing_event: ProcessingEvent[Any] = ProcessingEvent(tracking=tracking)
        for obj in objs:
            # The library tells aggregates from events with runtime Protocol checks (~16 us per object on
            # 3.11, every save); our aggregates are all `Aggregate`s, which one class check recognises.
            if isinstance(obj, Aggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self.events.put(processing_event.events, tracking=tracking, **processing_event.saved_kwargs)
        self._snapshot(processing_event)
        return recordings

    def save_tracked(self, *objs: Any, tracking: Tracking) -> list[Recording]:
        """`save` with the message's position (kept for handlers written before `save` took `tracking`)."""
        return self.save(*objs, tracking=tracking)

    def _snapshot(self, processing_event: ProcessingEvent) -> None:
        """At most one snapshot per aggregate and save, of the state just saved, from memory.

        The library's policy reloads the aggregate from the store for every multiple of the interval a save
        crosses (a batch of 500 reservations: 10 reloads of a 2,000-booking Event, a third of the writer's
        time). The saved in-memory aggregate is exactly the recorded state. A snapshot is only a shortcut for
        loading: if writing it fails, the save still stands and the next crossing takes one.
        """
        if self.snapshots is None or not self.snapshotting_intervals:
            return
        versions: dict[UUID, list[int]] = {}
        for domain_event in processing_event.events:
            versions.setdefault(domain_event.originator_id, []).append(domain_event.originator_version)
        snapshots = []
        for aggregate_id, aggregate in processing_event.aggregates.items():
            interval = self.snapshotting_intervals.get(type(aggregate))
            saved = versions.get(aggregate_id)
            if interval is None or not saved:
                continue
            if max(saved) // interval > (min(saved) - 1) // interval:  # a multiple of the interval was saved
                snapshot_class: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
                snapshots.append(snapshot_class.take(aggregate))
        if snapshots:
            try:
                self.snapshots.put(snapshots)
            except Exception:  # noqa: BLE001 — an optimisation only; the events are saved
                log.warning("%s: snapshot failed; the next interval takes one", self.name, exc_info=True)
