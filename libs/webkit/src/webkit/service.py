"""One wiring for every service: its API app and its worker, built from a declaration, run in one process or apart.

A service's main.py declares a `Service` (name, Settings, routers, domain errors, container builder, and the
worker's parts) and exports its entry points from it:

* `<service>-service` (`run`): API, worker (relays, consumers, timers) and the worker's health/metrics listener
  in ONE process and event loop — the default layout (`Procfile`, `make run`, the e2e suite);
* `<service>-api` (`run_api`) and `<service>-worker` (`run_worker`): the split layout for scale-out
  (`Procfile.split`: api replicas behind the gateway, one worker).

Token checks come from authkit, which builds on webkit: the declaration passes them in (`auth`, `subject`,
`ops_guard`) rather than webkit importing authkit.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI

from spine import health
from spine.settings import InfraSettings, load_settings
from spine.worker import Worker, fast_loop_factory
from webkit.app import create_app as create_web_app
from webkit.idempotency import SubjectOf, anonymous
from webkit.observability import configure_logging
from webkit.problems import Refusal


class Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=InfraSettings)  # a service's Settings: also `database`, `port`, `project_name`
C = TypeVar("C", bound=Closable)


@dataclass(frozen=True)
class Service(Generic[S, C]):
    """A service's declaration. `build(settings, **overrides)` makes the api's container (tests pass their
    verifier or providers as overrides); `worker(worker, settings, **options)` adds the relays, handlers,
    projections and timers to a fresh `Worker` (tests pass throwaway topics as options); `routers` may depend
    on the settings; `auth(app, container)` installs token checks."""

    name: str
    settings: type[S]
    routers: Sequence[APIRouter] | Callable[[S], Sequence[APIRouter]]
    domain_errors: Mapping[type[Exception], int | Refusal]
    build: Callable[..., C]
    worker: Callable[..., Worker]
    auth: Callable[[FastAPI, C], None]
    subject: SubjectOf = anonymous
    ops_guard: Callable[..., object] | None = None
    idempotency_exclude: Collection[str] = ()

    def create_app(self, settings: S | None = None, *, container: C | None = None, **overrides: Any) -> FastAPI:
        """The API. A ready-made `container` (tests) is used as is and left open; otherwise one is built from
        `settings` and closed on shutdown."""
        settings = getattr(container, "settings", None) or settings or self.settings()
        settings.check_startup()  # production refuses development defaults before touching anything
        built = container if container is not None else self.build(settings, **overrides)
        own: Any = settings  # the service's own fields

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            yield
            if container is None:
                built.close()

        routers = self.routers(settings) if callable(self.routers) else self.routers
        conninfo = settings.conninfo(own.database)
        app = create_web_app(self.name, project=settings.project_name, version=settings.api_version,
                             routers=list(routers),
                             lifespan=lifespan, domain_errors=self.domain_errors, idempotency_conninfo=conninfo,
                             idempotency_subject=self.subject, idempotency_exclude=self.idempotency_exclude,
                             health=health.reader(conninfo), ops_guard=self.ops_guard)
        app.state.container = built
        self.auth(app, built)
        return app

    def build_worker(self, settings: S | None = None, **options: Any) -> Worker:
        """The worker, not started (`.run()`, or `await start()`/`stop()` in tests)."""
        settings = settings or self.settings()
        return self.worker(Worker(self.name, settings), settings, **options)

    def entry_points(self) -> tuple[Callable[..., FastAPI], Callable[..., Worker], Callable[[], None],
                                    Callable[[], None], Callable[[], None]]:
        """`create_app, build_worker, run, run_api, run_worker = SERVICE.entry_points()` in the service's main.py
        (tests import the first two; pyproject's console scripts name the last three)."""
        return self.create_app, self.build_worker, self.run, self.run_api, self.run_worker

    def _settings(self, process: str) -> S:
        settings = load_settings(self.settings)
        configure_logging(self.name, getattr(settings, "log_level", "INFO"), process=process)
        return settings

    def run_api(self) -> None:
        """`<service>-api`: serve the API on $API_HOST:$<SERVICE>_PORT."""
        settings = self._settings(f"{self.name}-api")
        uvicorn.run(self.create_app(settings), host=settings.api_host, port=port_of(settings), log_config=None)

    def run_worker(self) -> None:
        """`<service>-worker`: the worker until SIGINT/SIGTERM."""
        self.build_worker(self._settings(f"{self.name}-worker")).run()

    def run(self) -> None:
        """`<service>-service`: API and worker in one process until SIGINT/SIGTERM."""
        settings = self._settings(f"{self.name}-service")
        with asyncio.Runner(loop_factory=fast_loop_factory()) as runner:
            runner.run(serve_both(self.create_app(settings), self.build_worker(settings), settings))


def port_of(settings: InfraSettings) -> int:
    """The API's port: each service's Settings has its own (`<SERVICE>_PORT`)."""
    port: int = getattr(settings, "port")  # noqa: B009 - not a field of InfraSettings
    return port


async def serve_both(app: FastAPI, worker: Worker, settings: InfraSettings) -> None:
    """Serve `app` while `worker` runs in the same loop; a signal stops the API first, then the worker."""
    worker.listen_port = worker.configured_port()  # the worker's /health and /metrics, as in its own process
    server = _Server(uvicorn.Config(app, host=settings.api_host, port=port_of(settings), log_config=None))
    await worker.start()
    try:
        await server.serve()
    finally:
        await worker.stop()


class _Server(uvicorn.Server):
    """uvicorn's server, whose signal handling only stops serving: uvicorn's own re-raises the signal once it
    has stopped, which would end the process before the worker could stop."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
