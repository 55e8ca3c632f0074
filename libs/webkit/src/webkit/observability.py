"""JSON-line logs that carry the correlation id, and the middleware that gives every request one."""

from __future__ import annotations

import logging
import re
import sys
import time
from uuid import uuid4

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spine.context import caused_by, current

CORRELATION_HEADER = "X-Correlation-ID"
# Anything else (too long, odd characters) could be used to forge log lines, so it is replaced.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

log = structlog.get_logger("webkit.request")


def _add_cause(logger: object, method: str, event: dict) -> dict:
    """Stamp each line with who and what caused the work (the spine context of this task or thread)."""
    cause = current()
    if cause.correlation_id:
        event.setdefault("correlation_id", cause.correlation_id)
    if cause.actor_id:
        event.setdefault("actor_id", cause.actor_id)
    return event


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send structlog and standard-library logs to stdout as one JSON object per line."""

    def add_service(logger: object, method: str, event: dict) -> dict:
        event.setdefault("service", service)
        return event

    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service,
        _add_cause,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: module-level loggers made before this call must still pick up the configuration.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our middleware logs each request once; uvicorn's access log would only repeat it without the context.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class CorrelationMiddleware:
    """Bind the request's correlation id (taken or made) for its whole handling, echo it, log the outcome."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"]
                         if k.lower() == CORRELATION_HEADER.lower().encode()), None)
        correlation_id = incoming if incoming and _SAFE_ID.match(incoming) else str(uuid4())
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation_id
            await send(message)

        with caused_by(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info("request", method=scope.get("method"), path=scope.get("path"), status=status,
                         duration_ms=round((time.perf_counter() - started) * 1000, 1))
