"""Relay: the service's event store is its outbox; this tails it in order and publishes to Kafka.

* Follows the notification log (LISTEN/NOTIFY for latency, a 1 s poll as a fallback) through a
  `spine.logreader.LogReader`, which drives all relays of one application with one tail of the log.
* Maps each internal event to its public contract with the service's `translate` function, wraps it in
  an Envelope keyed by aggregate id, and publishes with an idempotent producer (`acks=all`).
* Records the last published notification id in the same database (eventsourcing tracking table),
  only after the broker acknowledged, when it moved and at most every ~50 ms: a restart resumes there, so
  nothing is lost or reordered per aggregate; a crash re-publishes the events of that window (same event
  ids; consumers absorb them).
* One relay per topic at a time: a session advisory lock elects the active one among workers.
* A service publishing to several topics (its events, and saga commands) has one relay per topic,
  each with its own `translate` that returns None for what it does not publish; the worker runs them all
  on one log reader (one SELECT, one decode, one producer). Commands are addressed to another aggregate
  (ReserveSeats → the event): `address` gives that id, which becomes the envelope's aggregate_id and Kafka key
  (aggregate_version 0: not an event of it).
* A record it can never publish (the mapper or `translate` raises; Kafka refuses it as too large) does
  not stall the relay: it is parked in `spine_relay_parked` (service database: notification id, error)
  and a `relay_parked` alarm is raised (log, counter, `/health/<service>`); later events go on. Parked,
  not sent to `<topic>.dlq`: an oversized record does not fit there either, and a record that cannot
  be translated has no public form to send. After a fix an operator re-publishes it (its notification
  id is enough) and clears the alarm. Broker or database outages are not parking matters: the relay
  retries them from its recorded position.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import psycopg
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel

from contracts import Envelope
from contracts.registry import wrap
from spine.db import scalar
from spine.errors import describe
from spine.eventstore import ServiceApplication, cause_of
from spine.health import Alarms, ensure_tables
from spine.logreader import UNPUBLISHABLE, LogReader  # noqa: F401 — UNPUBLISHABLE: re-exported
from spine.metrics import RELAY_EVENT_AGE, RELAY_PARKED, RELAY_POSITION, RELAY_PUBLISH_SECONDS, RELAY_PUBLISHED
from spine.settings import InfraSettings

log = logging.getLogger("spine.relay")

Translate = Callable[[Any], BaseModel | None]
Address = Callable[[BaseModel, Any], str | None]


PARKED_DDL = """
CREATE TABLE IF NOT EXISTS spine_relay_parked (
    relay text NOT NULL,
    notification_id bigint NOT NULL,
    event_topic text NOT NULL,
    error text NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relay, notification_id)
)"""


def public_event_id(app_name: str, originator_id: object, originator_version: int) -> str:
    """Deterministic: a re-published event keeps its id, so consumers can deduplicate on it."""
    return str(uuid5(NAMESPACE_URL, f"/{app_name}/{originator_id}/{originator_version}"))


def envelope_of(domain_event: Any, translate: Translate, app_name: str,
                address: Address | None = None) -> Envelope | None:
    """The envelope a relay publishes for an internal event (None if `translate` does not publish it).

    A function of its own so tests and tools can build exactly what the relay would send, without Kafka.
    """
    payload = translate(domain_event)
    if payload is None:
        return None
    cause = cause_of(domain_event)
    target = address(payload, domain_event) if address else None
    return wrap(
        payload,
        aggregate_id=target or str(domain_event.originator_id),
        aggregate_version=0 if target else domain_event.originator_version,
        event_id=public_event_id(app_name, domain_event.originator_id, domain_event.originator_version),
        occurred_at=domain_event.timestamp,
        correlation_id=cause.get("correlation_id"),
        causation_id=cause.get("causation_id"),
        actor_id=cause.get("actor_id"),
    )


class Relay:
    """Publishes one application's events to one topic."""

    batch_size = 500

    def __init__(self, app: ServiceApplication, topic: str, translate: Translate,
                 settings: InfraSettings | None = None, *, conninfo: str | None = None,
                 address: Address | None = None):
        self.app = app
        self.topic = topic
        self.translate = translate
        self.address = address
        self.settings = settings or InfraSettings()
        self.conninfo = conninfo or self.settings.conninfo(str(app.env.get("POSTGRES_DBNAME")))
        self.tracking_name = f"relay:{topic}"
        self.published = 0
        self.parked = 0
        self.alarms = Alarms(self.conninfo)
        self.last_error: str | None = None  # the outage it is retrying, for the worker's health (None: fine)
        self._never_published: dict[str, bool] = {}
        # Bound once: labels() is a locked dict look-up, cheap but not free on every batch.
        self._m_published = RELAY_PUBLISHED.labels(topic)
        self._m_seconds = RELAY_PUBLISH_SECONDS.labels(topic)
        self._m_age = RELAY_EVENT_AGE.labels(topic)
        self._m_position = RELAY_POSITION.labels(topic)
        RELAY_PARKED.labels(topic)  # zero from the start

    def envelope_for(self, domain_event: Any) -> Envelope | None:
        """The public message for an internal event, or None if it is not published."""
        return envelope_of(domain_event, self.translate, self.app.name, self.address)

    def never_publishes(self, notification: Notification) -> bool:
        """Whether `translate` ignores this kind of event outright, so it need not be decoded at all.

        A service runs one relay per topic over the same log, so each relay would otherwise deserialise
        every event to throw most away (in the bookings worker that decoding was a visible share of CPU).
        Known only for `functools.singledispatch` translators: a class dispatched to the fallback (the
        `object` registration, which returns None) is skipped; anything else is decoded as before.
        """
        topic = notification.topic
        known = self._never_published.get(topic)
        if known is None:
            registry = getattr(self.translate, "registry", None)
            dispatch = getattr(self.translate, "dispatch", None)
            known = False
            if registry is not None and dispatch is not None and object in registry:
                try:
                    known = dispatch(resolve_topic(topic)) is registry[object]
                except Exception:  # noqa: BLE001 — an unresolvable topic: let the mapper raise as before
                    known = False
            self._never_published[topic] = known
        return known

    def position(self) -> int:
        """The last notification id that Kafka acknowledged."""
        return self.app.process_recorder.max_tracking_id(self.tracking_name) or 0

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set (a log reader of its own; a worker runs one reader per application)."""
        reader = LogReader([self])
        reader.batch_size = self.batch_size
        await reader.run(stop)

    async def _park(self, notification: Notification, exc: BaseException) -> None:
        """Set aside a record that can never be published, and raise the alarm."""
        error = describe(exc)
        await asyncio.to_thread(self._store_parked, notification, error)
        self.parked += 1
        RELAY_PARKED.labels(self.topic).inc()
        await asyncio.to_thread(self.alarms.raise_alarm, f"relay:{self.topic}", "relay_parked",
                                f"notification {notification.id} ({notification.topic}) parked: {error}"[:1000])

    def _store_parked(self, notification: Notification, error: str) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            ensure_tables(conn, self.conninfo, PARKED_DDL)
            conn.execute("INSERT INTO spine_relay_parked (relay, notification_id, event_topic, error)"
                         " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                         (self.tracking_name, notification.id, notification.topic, error))

    def parked_ids(self) -> list[int]:
        """Notification ids this relay parked (for operators and tests)."""
        with psycopg.connect(self.conninfo) as conn:
            if not scalar(conn.execute("SELECT to_regclass('spine_relay_parked') IS NOT NULL")):
                return []
            return [r[0] for r in conn.execute("SELECT notification_id FROM spine_relay_parked WHERE relay = %s"
                                               " ORDER BY notification_id", (self.tracking_name,))]
