"""RFC 9457 problem details: every error a client sees has the same `application/problem+json` shape."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spine.context import current

PROBLEM_JSON = "application/problem+json"

log = structlog.get_logger("webkit.problems")


def status_phrase(status: int) -> str:
    """The standard reason phrase, used as the title when none is more specific."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemDetails(BaseModel):
    """The RFC 9457 document, for OpenAPI (extension members such as `errors` are allowed)."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route, so its docs show the problem+json errors it can answer with."""
    schema = ProblemDetails.model_json_schema()
    return {status: {"description": status_phrase(status), "content": {PROBLEM_JSON: {"schema": schema}}}
            for status in statuses}


class Problem(Exception):
    """Raise from a route or dependency to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str | None = None, *, type: str = "about:blank",
                 headers: Mapping[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = dict(headers or {})
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The JSON document (members of RFC 9457 first, then extension members)."""
        doc: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail is not None:
            doc["detail"] = self.detail
        if instance is not None:
            doc["instance"] = instance
        for name, value in self.extensions.items():
            doc.setdefault(name, value)
        return doc

    def response(self, instance: str | None = None) -> JSONResponse:
        """Render as a response with the problem media type."""
        return JSONResponse(self.body(instance), status_code=self.status, headers=self.headers or None,
                            media_type=PROBLEM_JSON)


def too_many_requests(retry_after: float, detail: str | None = None, **extensions: Any) -> Problem:
    """A 429 problem telling the client when to come back (Retry-After in whole seconds, at least 1)."""
    seconds = max(1, math.ceil(retry_after))
    return Problem(429, "Too Many Requests", detail or f"Too many requests; retry in {seconds} s.",
                   headers={"Retry-After": str(seconds)}, retry_after=seconds, **extensions)


@dataclass(frozen=True)
class Refusal:
    """How to answer a mapped error whose own text must not reach the client (e.g. a database's message
    naming tables and constraints): a fixed title and detail, and Retry-After when retrying can succeed.
    An answer with Retry-After is transient, so the idempotency layer does not store it for replay."""

    status: int
    detail: str
    retry_after: int | None = None
    title: str | None = None

    def problem(self) -> Problem:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return Problem(self.status, self.title or status_phrase(self.status), self.detail, headers=headers)


# A lost optimistic-concurrency race (eventsourcing's IntegrityError): the client may simply try again.
CONCURRENT_CHANGE = Refusal(409, "Another request changed the same data at the same moment; retry.", retry_after=1)


def problem_response(status: int, title: str | None = None, detail: str | None = None, *,
                     instance: str | None = None, headers: Mapping[str, str] | None = None,
                     **extensions: Any) -> JSONResponse:
    """Shortcut for middleware that answers directly instead of raising."""
    return Problem(status, title or status_phrase(status), detail, headers=headers, **extensions).response(instance)


def _internal_error(path: str | None) -> JSONResponse:
    # The correlation id lets a user quote the failure to support without seeing internals.
    return problem_response(500, detail="An unexpected error occurred.", instance=path,
                            correlation_id=current().correlation_id)


def install_problem_handlers(app: FastAPI,
                             domain_errors: Mapping[type[Exception], int | Refusal] = {}) -> None:  # noqa: B006
    """Render Problem, HTTP errors, validation errors, mapped domain errors and crashes as problem+json.

    A domain error mapped to a status answers with its own message; one mapped to a Refusal answers with the
    Refusal's fixed text (use that for errors from infrastructure, whose messages are not for clients)."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return exc.response(request.url.path)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = status_phrase(exc.status_code)
        detail, extensions = exc.detail, {}
        if not isinstance(detail, str):
            detail, extensions = None, {"errors": detail}
        elif detail == title:
            detail = None
        return problem_response(exc.status_code, title, detail, instance=request.url.path,
                                headers=exc.headers, **extensions)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        return problem_response(422, "Request validation failed",
                                f"{len(errors)} invalid field{'s' if len(errors) != 1 else ''} in the request.",
                                instance=request.url.path, errors=errors)

    def on_domain(status: int | Refusal):
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            if isinstance(status, Refusal):
                log.info("refused", error=type(exc).__name__, message=str(exc), status=status.status,
                         path=request.url.path)
                return status.problem().response(request.url.path)
            # A domain error may carry extension members (e.g. the deadline it enforces) for clients to use.
            extensions = dict(getattr(exc, "problem_extensions", None) or {})
            return problem_response(status, type(exc).__name__, str(exc) or None, instance=request.url.path,
                                    **extensions)
        return handler

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        return _internal_error(request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    for error_class, status in domain_errors.items():
        app.add_exception_handler(error_class, on_domain(status))
    # Starlette runs an Exception handler only in its outermost middleware, outside every user middleware, so
    # the correlation and idempotency layers would never see the 500; this inner layer answers first.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_exception_handler(Exception, on_crash)


class UnhandledErrorMiddleware:
    """Turn an uncaught exception into a 500 problem (logged with its traceback) before outer layers see it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:  # too late to change the answer; let the server drop the connection
                raise
            log.exception("unhandled_error", method=scope.get("method"), path=scope.get("path"))
            await _internal_error(scope.get("path"))(scope, receive, send)
