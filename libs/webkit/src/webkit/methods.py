"""Which methods a path allows: `OPTIONS` answers them, and a 405 names all of them in `Allow` (RFC 9110 §10.2.1).

The router alone names only the first route that matched the path, so `/api/v1/events/{id}` (GET, PATCH)
said `Allow: GET`. Here every route whose path matches is asked.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def routes_of(app: FastAPI) -> list[Any]:
    """Every route of the app as it is matched, with included routers' prefixes applied."""
    return list(iter_route_contexts(app.routes))


def allowed_methods(app: FastAPI, scope: Scope) -> set[str]:
    """Every method some route accepts on this request's path (empty when no route has the path)."""
    methods: set[str] = set()
    for route in routes_of(app):
        route_methods = route.methods
        if route_methods and route.matches(scope)[0] != Match.NONE:
            methods |= set(route_methods)
    if methods:
        methods.add("OPTIONS")
    return methods


def allow_header(methods: set[str]) -> str:
    return ", ".join(sorted(methods))


class AllowedMethodsMiddleware:
    """Answer `OPTIONS` with 204 and the path's methods; complete the `Allow` header of every 405."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            methods = allowed_methods(self.fastapi_app, scope)
            if methods:
                await Response(status_code=204, headers={"Allow": allow_header(methods)})(scope, receive, send)
                return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = allowed_methods(self.fastapi_app, scope)
                if methods:
                    MutableHeaders(scope=message)["Allow"] = allow_header(methods)
            await send(message)

        await self.app(scope, receive, send_with_allow)
