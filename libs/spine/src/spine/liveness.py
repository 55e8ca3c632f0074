"""Liveness of a worker: is each relay and consumer moving when there is work for it?

Checked every `HEALTH_CHECK_SECONDS` by the worker (off the hot path: two small queries per relay and one
ListOffsets request per consumer group, whatever the load):

* a **relay** is stuck when its event store has notifications beyond the relay's recorded position and that
  position has not moved for `RELAY_STUCK_AFTER_SECONDS` — a record it keeps failing on, a leader lock held
  by a hung replica, a broker refusing it. It is exactly the failure where consumer lag is 0 and the DLQs
  are empty, so it must be seen here;
* a **consumer** partition is stopped when it is behind its topic's end and its next offset has not moved
  for `CONSUMER_ALARM_AFTER_SECONDS`, while it is not waiting to retry (that has its `consumer_stalled` alarm).

Each becomes an alarm (`relay_stuck`, `consumer_stopped`) in the service's database, so the api's public
`/health/<service>` turns `unhealthy` too, and is cleared when the position moves again. "Behind and not
moving" is judged across checks, so a message in flight at the moment of one check never counts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from spine.consumer import Subscription
from spine.errors import describe
from spine.health import Alarms
from spine.metrics import CONSUMER_LAG, CONSUMER_STOPPED, RELAY_POSITION, RELAY_STORE_POSITION, RELAY_STUCK
from spine.relay import Relay

log = logging.getLogger("spine.liveness")


@dataclass
class Progress:
    """A position chasing a target: how long it has been behind without moving."""

    position: int | None = None
    behind_since: float | None = None

    def update(self, position: int, target: int, now: float) -> float:
        """Seconds behind and unmoved (0 while caught up or moving)."""
        if target <= position:
            self.behind_since = None
        elif position != self.position or self.behind_since is None:
            self.behind_since = now
        self.position = position
        return 0.0 if self.behind_since is None else now - self.behind_since


class Liveness:
    """The checks of one worker; `check()` returns the readout and raises or clears the alarms."""

    def __init__(self, relays: list[Relay], subscriptions: list[Subscription], alarms: Alarms, *,
                 relay_stuck_after: float, consumer_stopped_after: float):
        self.relays = relays
        self.subscriptions = subscriptions
        self.alarms = alarms
        self.relay_stuck_after = relay_stuck_after
        self.consumer_stopped_after = consumer_stopped_after
        self._relays: dict[str, Progress] = {}
        self._partitions: dict[tuple[str, TopicPartition], Progress] = {}
        self._alarmed: set[str] = set()

    async def clear_stale(self) -> None:
        """Drop this worker's liveness alarms left by a previous run (see Alarms.clear_stale). Stopped-consumer
        alarms are per partition: every partition of the subscribed topics up to a generous 64."""
        sources = [f"relay_stuck:{r.topic}" for r in self.relays]
        sources += [f"stopped:{s.group_id}:{topic}:{p}" for s in self.subscriptions for topic in s.sink.topics
                    for p in range(64)]
        await asyncio.to_thread(self.alarms.clear_stale, sources)

    async def check(self) -> dict[str, Any]:
        now = time.monotonic()
        dependencies: dict[str, str] = {}
        relays = {}
        for relay in self.relays:
            relays[relay.topic] = await self._check_relay(relay, now, dependencies)
        consumers = {}
        for subscription in self.subscriptions:
            consumers[subscription.group_id] = await self._check_consumer(subscription, now, dependencies)
        return {"dependencies": dependencies, "relays": relays, "consumers": consumers}

    async def _check_relay(self, relay: Relay, now: float, dependencies: dict[str, str]) -> dict[str, Any]:
        try:
            position, store = await asyncio.to_thread(_relay_positions, relay)
        except Exception as exc:  # noqa: BLE001 — the database is down: say so, judge nothing
            dependencies["database"] = f"unreachable ({describe(exc)[:200]})"
            return {"status": "unknown"}
        dependencies.setdefault("database", "ok")
        if relay.last_error:
            dependencies["kafka"] = f"unreachable ({relay.last_error[:200]})"
        else:
            dependencies.setdefault("kafka", "ok")
        RELAY_POSITION.labels(relay.topic).set(position)
        RELAY_STORE_POSITION.labels(relay.topic).set(store)
        seconds = self._relays.setdefault(relay.topic, Progress()).update(position, store, now)
        stuck = seconds > self.relay_stuck_after
        RELAY_STUCK.labels(relay.topic).set(1 if stuck else 0)
        await self._alarm(f"relay_stuck:{relay.topic}", "relay_stuck", stuck,
                          f"the store is at {store}, the relay at {position} and it has not moved for "
                          f"{seconds:.0f} s (last error: {relay.last_error or 'none'})")
        return {"status": "stuck" if stuck else "ok", "position": position, "store": store,
                "behind": max(0, store - position), "unmoved_seconds": round(seconds, 1),
                "published": relay.published, "parked": relay.parked}

    async def _check_consumer(self, sub: Subscription, now: float, dependencies: dict[str, str]) -> dict[str, Any]:
        consumer = getattr(sub.subscriber, "consumer", None)
        assigned = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition)) if consumer else []
        if consumer is None or not assigned:
            return {"status": "ok", "partitions": {}}
        try:
            ends = await asyncio.wait_for(consumer.end_offsets(assigned), timeout=10)
        except Exception as exc:  # noqa: BLE001 — the broker is unreachable: the consumer cannot be judged
            dependencies["kafka"] = f"unreachable ({describe(exc)[:200]})"
            return {"status": "unknown", "partitions": {}}
        dependencies.setdefault("kafka", "ok")
        partitions, stopped_any = {}, False
        for tp in assigned:
            next_offset = sub.next_offsets.get(tp)
            if next_offset is None or tp not in ends:
                continue
            lag = max(0, ends[tp] - next_offset)
            CONSUMER_LAG.labels(sub.group_id, tp.topic, str(tp.partition)).set(lag)
            progress = self._partitions.setdefault((sub.group_id, tp), Progress())
            seconds = progress.update(next_offset, ends[tp], now)
            stopped = seconds > self.consumer_stopped_after and not sub.paused(tp)
            stopped_any |= stopped
            CONSUMER_STOPPED.labels(sub.group_id, tp.topic, str(tp.partition)).set(1 if stopped else 0)
            await self._alarm(f"stopped:{sub.group_id}:{tp.topic}:{tp.partition}", "consumer_stopped", stopped,
                              f"{lag} messages behind at offset {next_offset}, unmoved for {seconds:.0f} s")
            partitions[f"{tp.topic}[{tp.partition}]"] = {"next_offset": next_offset, "end": ends[tp], "lag": lag,
                                                        "unmoved_seconds": round(seconds, 1),
                                                        "retrying": sub.paused(tp), "stopped": stopped}
        return {"status": "stopped" if stopped_any else "ok", "partitions": partitions}

    async def _alarm(self, source: str, kind: str, on: bool, detail: str) -> None:
        """Raise on the way in, clear on the way out (not on every check: each raise is a database write)."""
        if on and source not in self._alarmed:
            self._alarmed.add(source)
            await asyncio.to_thread(self.alarms.raise_alarm, source, kind, detail[:1000])
        elif not on and source in self._alarmed:
            self._alarmed.discard(source)
            await asyncio.to_thread(self.alarms.clear, source)


def _relay_positions(relay: Relay) -> tuple[int, int]:
    return relay.position(), relay.app.recorder.max_notification_id() or 0
