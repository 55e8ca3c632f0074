"""One way to build every service's FastAPI app, so docs, health, errors and tracing look the same."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from webkit.body_limit import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware
from webkit.docs import DEFAULT_PROJECT, docs_base, docs_title, install_docs
from webkit.idempotency import IdempotencyMiddleware, SubjectOf, anonymous
from webkit.methods import AllowedMethodsMiddleware
from webkit.metrics import health_body, install_ops_routes
from webkit.observability import CorrelationMiddleware
from webkit.openapi import install_problem_openapi
from webkit.problems import Refusal, install_problem_handlers


def create_app(service: str, *, version: str, routers: list[APIRouter], project: str = DEFAULT_PROJECT,
               title: str | None = None, lifespan=None,
               domain_errors: Mapping[type[Exception], int | Refusal] = {},  # noqa: B006 - read only
               idempotency_conninfo: str | None = None, idempotency_subject: SubjectOf = anonymous,
               idempotency_exclude: Collection[str] = (), max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               health: Callable[..., Mapping[str, Any]] | None = None,
               ops_guard: Callable[..., object] | None = None) -> FastAPI:
    """A FastAPI app with docs under /docs/<service>/, a health check and the shared middleware.

    The docs are titled "<project> — <service>" (`project`: PROJECT_NAME; `title` only for tests' own apps)
    and need no internet (webkit.docs).

    Idempotency keys need `idempotency_subject` (e.g. authkit's `token_subject`): without it every caller
    is anonymous and keys are ignored. `max_body_bytes` is the body limit of routes that declare none
    (`openapi_extra=body_limit(n)`). `health` (e.g. `spine.health.reader(conninfo)`) adds the service's
    alarms to the health check. `ops_guard` (e.g. authkit's `require(OPS_READ)`) adds the admin-only detailed
    health and the gateway's check for `/metrics/...` (webkit.metrics); `/metrics` itself is always there."""
    app = FastAPI(title=title or docs_title(service, project), version=version, lifespan=lifespan,
                  openapi_url=f"{docs_base(service)}/openapi.json", docs_url=None, redoc_url=None)
    app.state.service = service
    install_docs(app, service)

    @app.get(f"/health/{service}", tags=["health"], summary="Liveness check and alarms",
             responses={503: {"description": "Unhealthy: something is not being processed"}})
    def health_check() -> JSONResponse:
        """Whether the service works: the gateway, deploy scripts and supervisors poll it.

        `{"status": "ok"}`; `{"status": "degraded", "alarms": [...]}` (200) while the service's worker reports
        something that needs an operator (a stalled partition, parked relay records, dead letters);
        `{"status": "unhealthy", ...}` (503) while work is not being processed: a relay stuck behind its
        store, a consumer that stopped, the database unreachable. Alarms are named, not detailed.
        """
        body, code = health_body(health, detail=False)
        return JSONResponse(body, status_code=code)

    install_ops_routes(app, service, health, ops_guard)

    for router in routers:
        app.include_router(router)

    # add_middleware wraps from the inside out: errors become 500 problems first, then idempotency sees
    # the final answer (and skips storing 5xx); the body limit applies to idempotency's reading of the body
    # too; 405s get their full Allow header; the correlation layer outermost tags and logs it all.
    install_problem_handlers(app, domain_errors)
    if idempotency_conninfo is not None:
        app.add_middleware(IdempotencyMiddleware, conninfo=idempotency_conninfo, subject=idempotency_subject,
                           exclude=idempotency_exclude)
    app.add_middleware(BodyLimitMiddleware, fastapi_app=app, default=max_body_bytes)
    app.add_middleware(AllowedMethodsMiddleware, fastapi_app=app)
    app.add_middleware(CorrelationMiddleware, service=service)
    install_problem_openapi(app, max_body_bytes)
    return app
