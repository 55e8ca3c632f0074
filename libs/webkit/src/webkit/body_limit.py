"""Request body limits per route, enforced by the service itself (not only by the gateway in front of it).

A route declares its limit with `openapi_extra=body_limit(n)` (it is shown in the OpenAPI document as
`x-max-body-bytes`); every other route gets the app's default. A body announced larger by Content-Length is
refused before a byte is read; a body without Content-Length (chunked) is counted as it arrives and refused
as soon as it passes the limit. Either way the answer is a 413 problem and nothing is stored.

Not FastAPI's own `max_body_size`: that one answers 413 in plain text from outside our middleware, and applies
a route's limit only once routing is reached, after the idempotency layer has already read the body.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webkit.methods import routes_of
from webkit.problems import problem_response

DEFAULT_MAX_BODY_BYTES = 64 * 1024
LIMIT_KEY = "x-max-body-bytes"


def body_limit(max_bytes: int) -> dict[str, Any]:
    """`openapi_extra=` for a route whose bodies may be larger (or must be smaller) than the app's default."""
    return {LIMIT_KEY: max_bytes}


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the body passes its limit; the route's error handler renders the 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body must not be larger than {limit} bytes.")
        self.limit = limit


def route_limit(app: FastAPI, scope: Scope, default: int) -> int:
    """The limit of the route this request goes to (the default for unknown paths)."""
    for route in routes_of(app):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            extra = getattr(route, "openapi_extra", None) or {}
            return int(extra.get(LIMIT_KEY, default))
    return default


class BodyLimitMiddleware:
    """Refuse request bodies above the route's limit with 413 (before they are read into memory)."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, default: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.default = default
        self._smallest: tuple[int, int] | None = None  # (number of routes, smallest limit) when last computed

    def _smallest_limit(self) -> int:
        """The smallest limit of any route (or the default), recomputed when routes were added."""
        routes = self.fastapi_app.routes
        if self._smallest is None or self._smallest[0] != len(routes):
            limits = [int((getattr(r, "openapi_extra", None) or {}).get(LIMIT_KEY, self.default))
                      for r in routes_of(self.fastapi_app)]
            self._smallest = (len(routes), min([self.default, *limits]))
        return self._smallest[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), None)
        if announced is not None and announced.isdigit() and int(announced) <= self._smallest_limit():
            # Within every route's limit: no need to find the route (a scan of every route per request), and
            # the server delivers no more than Content-Length bytes, so nothing needs counting either.
            await self.app(scope, receive, send)
            return
        limit = route_limit(self.fastapi_app, scope, self.default)
        if announced is not None and (not announced.isdigit() or int(announced) > limit):
            await _too_large(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # Raised where no route handler could answer (e.g. a middleware reading the body first).
            if started:
                raise
            await _too_large(limit, scope, receive, send)


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(413, detail=f"The request body must not be larger than {limit} bytes.",
                                instance=scope["path"], headers={"Connection": "close"})
    await response(scope, receive, send)
