"""HTTP metrics of an api process and its operator routes: `/metrics`, `/health/<service>/detail`, `/ops/authorize`.

Requests are counted and timed per *route template* (`/api/v1/bookings/{booking_id}`), never per raw path:
a path with ids would make a time series per booking. Requests no route matched share `unmatched`.

Who may read what:
* `/metrics` on the api's own port is open, for a Prometheus inside the services' network; the gateway does
  not route it. Through the gateway it is `/metrics/<service>-api` (and `/metrics/<service>-worker`), only for
  callers whose token grants `ops:read` (admins): the gateway asks `/ops/authorize` first (nginx
  `auth_request`). Metrics name consumer groups, topics and error counts: internals an outsider should
  not map.
* `/health/<service>` stays public and terse (status and alarm kinds); `/health/<service>/detail` adds each
  alarm's detail and the dependencies' state, for `ops:read`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Depends, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.types import Scope

from spine.health import status_of
from spine.metrics import LATENCY_BUCKETS, exposition
from webkit.problems import problem_responses

HTTP_REQUESTS = Counter("ep_http_requests", "HTTP requests by route template and status",
                        ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram("ep_http_request_seconds", "HTTP request duration by route template",
                         ["service", "method", "route"], buckets=LATENCY_BUCKETS)

Health = Callable[..., Mapping[str, Any]]


def route_of(scope: Scope) -> str:
    """The template of the route that handled the request (set by the router), else `unmatched`."""
    route = scope.get("route")
    path = getattr(route, "path", None) or getattr(getattr(route, "func", None), "path", None)
    return path if isinstance(path, str) else "unmatched"


def observe_request(service: str, scope: Scope, status: int, seconds: float) -> None:
    """Count and time one request (called once per request by the correlation middleware)."""
    method, route = scope.get("method", ""), route_of(scope)
    HTTP_REQUESTS.labels(service, method, route, str(status)).inc()
    HTTP_SECONDS.labels(service, method, route).observe(seconds)


def health_body(health: Health | None, *, detail: bool) -> tuple[dict[str, Any], int]:
    """The health answer and its status code: 200 while ok or degraded, 503 when unhealthy."""
    readout = dict(health(detail=detail) if health is not None and detail else
                   (health() if health is not None else {}))
    alarms = list(readout.pop("alarms", None) or [])
    status = status_of(alarms)
    body: dict[str, Any] = {"status": status}
    if alarms or detail:
        body["alarms"] = alarms
    if detail:
        body |= readout
    return body, 503 if status == "unhealthy" else 200


def install_ops_routes(app: FastAPI, service: str, health: Health | None, ops_guard: Callable[..., object] | None
                       ) -> None:
    """`/metrics` always; the detailed health and the gateway's authorization check when `ops_guard` is given."""

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus text format (internal port; the gateway exposes it to admins only)."""
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    if ops_guard is None:
        return

    @app.get(f"/health/{service}/detail", tags=["health"], summary="Health with alarm details (ops:read)",
             dependencies=[Depends(ops_guard)],
             responses={**problem_responses(401, 403),
                        503: {"description": "Unhealthy: something is not being processed"}})
    def health_detail() -> JSONResponse:
        """What the public health check hides: each alarm's detail, the database's state and round trip."""
        body, code = health_body(health, detail=True)
        return JSONResponse(body, status_code=code)

    @app.get("/ops/authorize", include_in_schema=False, status_code=204, dependencies=[Depends(ops_guard)])
    def ops_authorize() -> Response:
        """204 when the caller's token grants ops:read: the gateway's `auth_request` for metrics routes."""
        return Response(status_code=204)
