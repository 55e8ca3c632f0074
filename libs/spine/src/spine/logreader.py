"""One reader of a service's notification log, feeding every topic the service publishes to.

A service publishes its events and, for the saga, commands to other services' topics. Each topic is a
`spine.relay.Relay` (its translator, its tracking row `relay:<topic>`, its parked records, metrics and
alarms, as `planner-ops lag`, liveness and republish know them); the reader drives all of one application's
relays with one tail of the log:
* one SELECT per batch, one decode per event (only when some relay may publish it), one idempotent
  producer (`acks=all`, `linger_ms=0`: a lone booking is not held back to fill a batch);
* wakes on the store's NOTIFY; a batch shorter than `batch_size` means it caught up, so it waits for the
  next NOTIFY instead of re-reading an empty log (notifications that came meanwhile wake it at once);
* each relay's position is stored (its tracking row) only when it moved, and at most every
  `flush_seconds`, once Kafka acknowledged everything up to it. A crash loses at most that window of
  positions: those events are published again with the same event ids, and consumers absorb them (views,
  saga, seat and payment handlers and notifications are tested idempotent under re-publish at new offsets).
* one leader per topic set among a service's workers: session advisory locks on the relays' names.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder

from spine.errors import describe

# Kafka refuses the record itself: sending it again can never succeed.
UNPUBLISHABLE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)

if TYPE_CHECKING:
    from spine.relay import Relay

log = logging.getLogger("spine.relay")


class LogReader:
    """Tails one application's notification log once for all of its relays."""

    batch_size = 500
    flush_seconds = 0.05

    def __init__(self, relays: list[Relay]):
        if not relays or any(r.app is not relays[0].app for r in relays):
            raise ValueError("a log reader serves relays of one application")
        self.relays = relays
        self.app = relays[0].app
        self.settings = relays[0].settings
        self.conninfo = relays[0].conninfo
        self.positions: dict[str, int] = {}  # acknowledged by Kafka, per relay (in memory)
        self.stored: dict[str, int] = {}  # written to the tracking rows
        self._flushed_at = 0.0
        self._read_to = 0

    def _channel(self) -> str:
        """The PostgreSQL channel the store NOTIFYs on after each commit."""
        recorder = self.app.recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            raise TypeError(f"a log reader needs a PostgreSQL event store, not {type(recorder).__name__}")
        return recorder.channel_name

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; on errors back off and resume from the recorded positions."""
        while not stop.is_set():
            try:
                await self._run_as_leader(stop)
            except Exception as exc:  # noqa: BLE001 — a broker or database outage: retry from the stored positions
                for relay in self.relays:
                    relay.last_error = describe(exc)
                log.exception("relay %s failed; restarting in 1 s", ",".join(r.topic for r in self.relays))
                await _sleep_or_stop(stop, 1.0)

    async def _run_as_leader(self, stop: asyncio.Event) -> None:
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            for name in sorted(r.tracking_name for r in self.relays):  # sorted: two readers never deadlock
                await conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
            await conn.execute(f'LISTEN "{self._channel()}"')
            producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers,
                                        enable_idempotence=True, acks="all", linger_ms=0,
                                        **self.settings.kafka_client_options())
            await producer.start()
            try:
                self.stored = await asyncio.to_thread(lambda: {r.tracking_name: r.position() for r in self.relays})
                self.positions = dict(self.stored)
                for relay in self.relays:
                    relay._m_position.set(self.stored[relay.tracking_name])
                    relay.last_error = None
                position = min(self.positions.values())
                while not stop.is_set():
                    read = await self.publish_batch(producer, position)
                    position = self._read_to if read else position
                    if read == self.batch_size:
                        await self.flush(due_only=True)
                        continue
                    if self._moved():  # caught up: store the positions within flush_seconds, then sleep
                        wait = max(0.0, self.flush_seconds - (time.monotonic() - self._flushed_at))
                        await _wait_for_notify(conn, stop, timeout=wait)
                        await self.flush(due_only=True)
                    else:
                        await _wait_for_notify(conn, stop)
            finally:
                try:
                    await self.flush()  # what Kafka acknowledged is safe to record, whatever stopped us
                except Exception:  # noqa: BLE001 — the database is gone: the next leader re-publishes a little
                    log.warning("could not record relay positions on the way out", exc_info=True)
                await producer.stop()

    async def publish_batch(self, producer: AIOKafkaProducer, position: int) -> int:
        """Publish the notifications after `position` to every relay that wants them; how many were read."""
        notifications = await asyncio.to_thread(
            self.app.recorder.select_notifications, start=position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        started = time.perf_counter()
        sends: dict[Relay, list[tuple[Notification, Any]]] = {r: [] for r in self.relays}
        oldest: dict[Relay, datetime] = {}
        for notification in notifications:
            wanted = [r for r in self.relays
                      if notification.id > self.positions[r.tracking_name] and not r.never_publishes(notification)]
            if not wanted:
                continue
            try:
                domain_event = self.app.mapper.to_domain_event(notification)
            except Exception as exc:  # noqa: BLE001 — undecodable: park it for each relay that may want it
                for relay in wanted:
                    await relay._park(notification, exc)
                continue
            for relay in wanted:
                try:
                    envelope = relay.envelope_for(domain_event)
                except Exception as exc:  # noqa: BLE001 — no public form: park it rather than stall every later event
                    await relay._park(notification, exc)
                    continue
                if envelope is None:
                    continue
                try:
                    sent = await producer.send(relay.topic, envelope.to_bytes(), key=envelope.kafka_key(),
                                               headers=envelope.kafka_headers())
                except UNPUBLISHABLE as exc:
                    await relay._park(notification, exc)
                    continue
                sends[relay].append((notification, sent))
                timestamp = getattr(domain_event, "timestamp", None)  # every stored event has one
                if isinstance(timestamp, datetime):
                    oldest.setdefault(relay, timestamp)
        last = notifications[-1].id
        for relay, pending in sends.items():
            await self._acknowledged(relay, pending, last, started, oldest.get(relay))
        self._read_to = last
        return len(notifications)

    async def _acknowledged(self, relay: Relay, pending: list[tuple[Notification, Any]], last: int, started: float,
                            oldest: datetime | None) -> None:
        results = await asyncio.gather(*(f for _, f in pending), return_exceptions=True)
        delivered = 0
        for (notification, _), result in zip(pending, results, strict=True):
            if isinstance(result, UNPUBLISHABLE):
                await relay._park(notification, result)
            elif isinstance(result, BaseException):
                raise result  # an outage: resume from the recorded positions
            else:
                delivered += 1
        self.positions[relay.tracking_name] = max(self.positions[relay.tracking_name], last)
        relay.published += delivered
        relay._m_published.inc(delivered)
        relay._m_seconds.observe(time.perf_counter() - started)
        if oldest is not None and delivered:
            relay._m_age.observe(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))

    def _moved(self) -> bool:
        return any(self.positions[n] > self.stored.get(n, 0) for n in self.positions)

    async def flush(self, *, due_only: bool = False) -> None:
        """Store the positions that moved (when `due_only`: only if `flush_seconds` passed since the last)."""
        if not self._moved() or (due_only and time.monotonic() - self._flushed_at < self.flush_seconds):
            return
        moved = {n: p for n, p in self.positions.items() if p > self.stored.get(n, 0)}
        recorder = self.app.process_recorder

        def write() -> None:
            for name, position in moved.items():
                recorder.insert_tracking(Tracking(name, position))

        await asyncio.to_thread(write)
        self.stored.update(moved)
        self._flushed_at = time.monotonic()
        for relay in self.relays:
            relay._m_position.set(self.stored[relay.tracking_name])


async def _wait_for_notify(conn: psycopg.AsyncConnection, stop: asyncio.Event, timeout: float = 1.0) -> None:
    async for _ in conn.notifies(timeout=timeout, stop_after=1):
        break


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
