"""One way to build every service's FastAPI app, so docs, health, errors and tracing look the same."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI

from webkit.body_limit import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware
from webkit.idempotency import IdempotencyMiddleware, SubjectOf, anonymous
from webkit.methods import AllowedMethodsMiddleware
from webkit.observability import CorrelationMiddleware
from webkit.openapi import install_problem_openapi
from webkit.problems import Refusal, install_problem_handlers


def create_app(service: str, *, title: str, version: str, routers: list[APIRouter], lifespan=None,
               domain_errors: Mapping[type[Exception], int | Refusal] = {},  # noqa: B006 - read only
               idempotency_conninfo: str | None = None, idempotency_subject: SubjectOf = anonymous,
               idempotency_exclude: Collection[str] = (), max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               health: Callable[[], Mapping[str, Any]] | None = None) -> FastAPI:
    """A FastAPI app with docs under /docs/<service>/, a health check and the shared middleware.

    Idempotency keys need `idempotency_subject` (e.g. authkit's `token_subject`): without it every caller
    is anonymous and keys are ignored. `max_body_bytes` is the body limit of routes that declare none
    (`openapi_extra=body_limit(n)`). `health` (e.g. `spine.health.reader(conninfo)`) adds the service's
    alarms to the health check."""
    docs = f"/docs/{service}"
    app = FastAPI(title=title, version=version, lifespan=lifespan,
                  docs_url=f"{docs}/", openapi_url=f"{docs}/openapi.json",
                  swagger_ui_oauth2_redirect_url=f"{docs}/oauth2-redirect", redoc_url=None)
    app.state.service = service

    @app.get(f"/health/{service}", tags=["health"], summary="Liveness check and alarms")
    def health_check() -> dict[str, Any]:
        """Answers 200 while the process can serve requests (the gateway and deploy scripts poll it).

        `{"status": "ok"}`, or `{"status": "degraded", "alarms": [...]}` while the service's worker reports
        something that needs an operator (a stalled partition, parked relay records, dead letters).
        """
        alarms = list((health() if health is not None else {}).get("alarms") or [])
        return {"status": "degraded", "alarms": alarms} if alarms else {"status": "ok"}

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
    app.add_middleware(CorrelationMiddleware)
    install_problem_openapi(app, max_body_bytes)
    return app
