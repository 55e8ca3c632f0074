"""RFC 9457 problem details: every error a client sees has the same `application/problem+json` shape."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spine.context import current

PROBLEM_JSON = "application/problem+json"
# The page (served by the gateway) that explains every problem type; a type is "<page>#<slug>".
PROBLEMS_PAGE = "/docs/problems"
VALIDATION_SLUG = "validation-failed"

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def slug_of(name: str) -> str:
    """`SeatsUnavailable` → `seats-unavailable`: a stable anchor derived from a refusal's class name."""
    return _WORD_BREAK.sub("-", name).lower()


def humanise(name: str) -> str:
    """`EmailAlreadyRegistered` → `Email already registered`: a refusal's title when it names none."""
    words = _WORD_BREAK.sub(" ", name).split()
    return " ".join([words[0], *(w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:])])


def is_error_name(title: str) -> bool:
    """Whether a title is a refusal's CamelCase name (`NotPaymentOwner`) rather than a phrase."""
    return bool(re.fullmatch(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+", title))


def problem_type(slug: str) -> str:
    """The `type` URI reference of a problem: an anchor on the gateway's problems page."""
    return f"{PROBLEMS_PAGE}#{slug}"


def error_slug(error_class: type[BaseException]) -> str:
    """A domain error's slug: its `problem_slug` attribute, else derived from its class name."""
    return getattr(error_class, "problem_slug", None) or slug_of(error_class.__name__)


def error_title(error_class: type[BaseException]) -> str:
    """A domain error's human title: its `problem_title` attribute, else its class name in words."""
    return getattr(error_class, "problem_title", None) or humanise(error_class.__name__)

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

    type: str = Field("about:blank", description="`/docs/problems#<slug>` for a named refusal (explained on that "
                      "page), `about:blank` for a plain HTTP error.", examples=["/docs/problems#seats-unavailable"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def problem_responses(*statuses: int, descriptions: Mapping[int, str] | None = None
                      ) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route, so its docs show the problem+json errors it can answer with; `descriptions`
    may say what a status means for these routes (else its reason phrase)."""
    schema = ProblemDetails.model_json_schema()
    described = descriptions or {}
    return {status: {"description": described.get(status) or status_phrase(status),
                     "content": {PROBLEM_JSON: {"schema": schema}}} for status in statuses}


class Problem(Exception):
    """Raise from a route or dependency to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str | None = None, *, type: str = "about:blank",
                 headers: Mapping[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail or title)
        if type == "about:blank" and is_error_name(title):
            # A route's named refusal (e.g. "NotPaymentOwner") gets the same type and title as a domain error.
            type, title = problem_type(slug_of(title)), humanise(title)
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
    slug: str | None = None  # the problem type's anchor; derived from the mapped error's class name if None

    def problem(self, slug: str | None = None) -> Problem:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        kind = self.slug or slug
        return Problem(self.status, self.title or status_phrase(self.status), self.detail, headers=headers,
                       type=problem_type(kind) if kind else "about:blank")


# A lost optimistic-concurrency race (eventsourcing's IntegrityError): the client may simply try again.
CONCURRENT_CHANGE = Refusal(409, "Another request changed the same data at the same moment; retry.", retry_after=1,
                            title="Concurrent change", slug="concurrent-change")


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
        detail: str | None = exc.detail
        extensions: dict[str, Any] = {}
        if not isinstance(exc.detail, str):
            detail, extensions = None, {"errors": exc.detail}
        elif detail == title:
            detail = None
        return problem_response(exc.status_code, title, detail, instance=request.url.path,
                                headers=exc.headers, **extensions)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        # Every invalid field at once, so a client fixes its request in one round trip.
        return Problem(422, "Request validation failed",
                       f"{len(errors)} invalid field{'s' if len(errors) != 1 else ''} in the request.",
                       type=problem_type(VALIDATION_SLUG), errors=errors).response(request.url.path)

    def on_domain(mapped: type[Exception], status: int | Refusal):
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            if isinstance(status, Refusal):
                log.info("refused", error=type(exc).__name__, message=str(exc), status=status.status,
                         path=request.url.path)
                return status.problem(error_slug(mapped)).response(request.url.path)
            # A domain error may carry extension members (e.g. the deadline it enforces) for clients to use.
            extensions = dict(getattr(exc, "problem_extensions", None) or {})
            return Problem(status, error_title(type(exc)), str(exc) or None, type=problem_type(error_slug(type(exc))),
                           **extensions).response(request.url.path)
        return handler

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        return _internal_error(request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    for error_class, status in domain_errors.items():
        app.add_exception_handler(error_class, on_domain(error_class, status))
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
