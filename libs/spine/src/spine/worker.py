"""The `worker` process of a service: relays, Kafka subscriptions (projections and handlers) and timers.

Relays of one application share one reader of its notification log (`spine.logreader`).

Built by the service's composition root, run with `.run()` (blocks until SIGINT/SIGTERM), or with
`await start()` / `await stop()` from tests. Its alarms (stalled partitions, dead letters, parked relay
records, stuck relays, stopped consumers) go to the service's database, where the api's `/health/<service>`
reads them; `health()` is the worker's own detailed readout (liveness, dependencies, retry state, counts),
served with `/metrics` by its listener on `WORKER_PORT` (spine.listener).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from faststream.kafka import KafkaBroker

from spine.consumer import Backoff, Subscription
from spine.eventstore import ServiceApplication
from spine.handlers import HandlerSink, MessageHandler
from spine.health import Alarms, status_of
from spine.listener import Listener
from spine.liveness import Liveness
from spine.logreader import LogReader
from spine.metrics import totals
from spine.projector import ProjectionSink, ProjectionStore, SqlProjection
from spine.relay import Relay
from spine.settings import InfraSettings

log = logging.getLogger("spine.worker")


class Worker:
    """Everything a service runs in the background, started and stopped together."""

    def __init__(self, service: str, settings: InfraSettings | None = None):
        self.service = service
        self.settings = settings or InfraSettings()
        self.settings.check_startup()  # production refuses development defaults before touching anything
        # FastStream logs "Received"/"Processed" for every batch at `log_level`; at DEBUG the logger's level
        # check drops them cheaply (formatting and writing them was a visible share of a busy worker's CPU).
        # Failures are still logged at ERROR.
        self.broker = KafkaBroker(self.settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all",
                                  security=self.settings.kafka_security(),
                                  logger=logging.getLogger(f"{service}.kafka"), log_level=logging.DEBUG)
        # Alarms go to the service's own database (services' settings name it), where its api reads them.
        database = getattr(self.settings, "database", None)
        self.alarms = Alarms(self.settings.conninfo(database) if database else None)
        self.backoff = Backoff(cap=self.settings.consumer_retry_max_seconds,
                               alarm_after=self.settings.consumer_alarm_after_seconds)
        self.relays: list[Relay] = []
        self.subscriptions: list[Subscription] = []
        self.timers: list[tuple[float, Callable[[], object]]] = []
        self._setup: list[Callable[[], None]] = []
        self._stores: list[ProjectionStore] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.liveness: Liveness | None = None
        self.listener: Listener | None = None
        # The listener's port: set by run() (the process entry point); tests that start() a worker in-process
        # leave it None, or set 0 for any free port, so they never collide with a running system's workers.
        self.listen_port: int | None = None
        self._last_check: dict[str, Any] = {"dependencies": {}, "relays": {}, "consumers": {}}

    def add_relay(self, relay: Relay) -> Worker:
        self.relays.append(relay)
        return self

    def log_readers(self) -> list[LogReader]:
        """One reader of the notification log per application, driving all of that application's relays."""
        by_app: dict[int, list[Relay]] = {}
        for relay in self.relays:
            by_app.setdefault(id(relay.app), []).append(relay)
        return [LogReader(relays) for relays in by_app.values()]

    def add_projection(self, projection: SqlProjection, dbname: str) -> Worker:
        store = ProjectionStore(self.settings.conninfo(dbname))
        self._stores.append(store)
        self._setup.append(lambda: store.setup(projection))
        group_id = f"{self.service}.{projection.name}{self.settings.consumer_group_suffix}"
        self.subscriptions.append(Subscription(self.broker, ProjectionSink(projection, store), group_id=group_id,
                                               alarms=self.alarms, backoff=self.backoff, settings=self.settings))
        return self

    def add_handler(self, handler: MessageHandler, app: ServiceApplication) -> Worker:
        group_id = f"{self.service}.{handler.name}{self.settings.consumer_group_suffix}"
        self.subscriptions.append(Subscription(self.broker, HandlerSink(handler, app), group_id=group_id,
                                               alarms=self.alarms, backoff=self.backoff, settings=self.settings))
        return self

    def add_timer(self, seconds: float, fn: Callable[[], object]) -> Worker:
        """Call `fn` (sync, run in a thread) every `seconds`; errors are logged, not fatal."""
        self.timers.append((seconds, fn))
        return self

    def health(self) -> dict[str, Any]:
        """This worker's readout: status, dependencies, relay and consumer liveness (as of the last check),
        active alarms, partitions waiting to retry, and counts since start."""
        alarms = self.alarms.snapshot() + [a for r in self.relays for a in r.alarms.snapshot()]
        check = self._last_check
        status = status_of(alarms)
        if any(not v.startswith("ok") for v in check["dependencies"].values()):
            status = "unhealthy"
        relays = {r.topic: {"published": r.published, "parked": r.parked, **check["relays"].get(r.topic, {})}
                  for r in self.relays}
        return {"status": status, "service": self.service, "dependencies": check["dependencies"],
                "relays": relays, "consumers": check["consumers"], "alarms": alarms,
                "stalled": {s.group_id: st for s in self.subscriptions if (st := s.stalled())},
                "counters": totals()}

    async def check(self) -> dict[str, Any]:
        """Run the liveness checks now (the worker does every `health_check_seconds`); returns `health()`."""
        if self.liveness is not None:
            self._last_check = await self.liveness.check()
        return self.health()

    async def start(self) -> None:
        self._stop = asyncio.Event()
        for setup in self._setup:
            await asyncio.to_thread(setup)
        await self.broker.connect()  # the producer for dead letters; subscriptions poll with their own consumers
        for subscription in self.subscriptions:
            await subscription.start()
        self._tasks = [asyncio.create_task(reader.run(self._stop), name=f"relays:{reader.app.name}")
                       for reader in self.log_readers()]
        self._tasks += [asyncio.create_task(self._tick(s, fn), name=f"timer:{fn}") for s, fn in self.timers]
        self.liveness = Liveness(self.relays, self.subscriptions, self.alarms,
                                 relay_stuck_after=self.settings.relay_stuck_after_seconds,
                                 consumer_stopped_after=self.settings.consumer_alarm_after_seconds)
        await self.liveness.clear_stale()
        self._tasks.append(asyncio.create_task(self._watch(), name="liveness"))
        if self.listen_port is not None:
            self.listener = Listener(self.settings.api_host, self.listen_port, self.health)
        log.info("worker %s started: %d relays, %d subscriptions, %d timers", self.service, len(self.relays),
                 len(self.subscriptions), len(self.timers))

    async def stop(self) -> None:
        self._stop.set()
        if self.listener is not None:
            await asyncio.to_thread(self.listener.close)
            self.listener = None
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for subscription in self.subscriptions:
            await subscription.stop()
        await self.broker.stop()
        for store in self._stores:
            await asyncio.to_thread(store.close)

    async def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                await self.check()
            except Exception:  # noqa: BLE001 — a failed check must not end the worker; the next one retries
                log.exception("liveness check failed")
            try:
                await asyncio.wait_for(self._stop.wait(), self.settings.health_check_seconds)
            except TimeoutError:
                pass

    async def _tick(self, seconds: float, fn: Callable[[], object]) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(fn)
            except Exception:  # noqa: BLE001
                log.exception("timer %s failed", fn)
            try:
                await asyncio.wait_for(self._stop.wait(), seconds)
            except TimeoutError:
                pass

    def configured_port(self) -> int | None:
        """`WORKER_PORT`, else `<SERVICE>_WORKER_PORT` (deploy/env.sh exports one per service), else none."""
        if self.settings.worker_port is not None:
            return self.settings.worker_port
        value = os.environ.get(f"{self.service.upper()}_WORKER_PORT")
        return int(value) if value else None

    def run(self) -> None:
        """Run until SIGINT or SIGTERM, with the /metrics and /health listener when a port is configured."""
        self.listen_port = self.configured_port()

        async def main() -> None:
            await self.start()
            done = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, done.set)
            await done.wait()
            await self.stop()

        with asyncio.Runner(loop_factory=_fast_loop_factory()) as runner:
            runner.run(main())


def _fast_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (it comes with uvicorn[standard], which every service has): a worker spends
    much of its CPU in the event loop (Kafka I/O, relays' LISTEN); None = the standard loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


# Public name for processes that run a worker in their own loop (webkit.service runs an API beside it).
fast_loop_factory = _fast_loop_factory
