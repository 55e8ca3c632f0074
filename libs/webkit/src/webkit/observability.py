"""JSON-line logs that carry the correlation id, and the middleware that gives every request one.

Logs go to stdout and, when `LOG_DIR` is set (deploy/env.sh: `$EP_DATA/logs`), also to
`<LOG_DIR>/<process>.log` (e.g. `bookings-worker.log`), rotated at `LOG_FILE_MAX_BYTES` (10 MB) keeping
`LOG_FILE_BACKUPS` (3) old files, so a long `make run` cannot fill the disk.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import time
from pathlib import Path
from uuid import uuid4

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict, Processor, WrappedLogger

from spine.context import caused_by, current
from webkit.metrics import observe_request

CORRELATION_HEADER = "X-Correlation-ID"
# Anything else (too long, odd characters) could be used to forge log lines, so it is replaced.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

log = structlog.get_logger("webkit.request")


def _add_cause(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """Stamp each line with who and what caused the work (the spine context of this task or thread)."""
    cause = current()
    if cause.correlation_id:
        event.setdefault("correlation_id", cause.correlation_id)
    if cause.actor_id:
        event.setdefault("actor_id", cause.actor_id)
    return event


def process_name() -> str:
    """This process's name for its log file: the console script that started it (`bookings-api`)."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name.removesuffix(".py")) or "process"


def file_handler(process: str | None = None) -> logging.Handler | None:
    """A size-capped, rotating handler on `$LOG_DIR/<process>.log`, or None when LOG_DIR is unset."""
    directory = os.environ.get("LOG_DIR")
    if not directory:
        return None
    Path(directory).mkdir(parents=True, exist_ok=True)
    return logging.handlers.RotatingFileHandler(
        Path(directory) / f"{process or process_name()}.log", encoding="utf-8",
        maxBytes=int(os.environ.get("LOG_FILE_MAX_BYTES", 10 * 1024 * 1024)),
        backupCount=int(os.environ.get("LOG_FILE_BACKUPS", 3)))


class _FormatOnce(logging.Formatter):
    """Renders a record once for all handlers (terminal and file): JSON rendering is the costly part."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        line = record.__dict__.get("_ep_line")
        if line is None:
            line = record.__dict__["_ep_line"] = self.inner.format(record)
        return line


def configure_logging(service: str, level: str = "INFO", process: str | None = None) -> None:
    """Send structlog and standard-library logs to stdout as one JSON object per line, and to the process's
    log file under `LOG_DIR` when set."""

    def add_service(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        event.setdefault("service", service)
        return event

    shared: list[Processor] = [
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
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if (to_file := file_handler(process)) is not None:
        handlers.append(to_file)
    once = _FormatOnce(formatter)
    for handler in handlers:
        handler.setFormatter(once)
    root = logging.getLogger()
    root.handlers[:] = handlers
    # The rendered line carries none of the caller's frame, thread or process (see `shared` above): skip
    # computing them for every record (the logging HOWTO's "Optimization" switches; ~40% of a line's CPU).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root.setLevel(level.upper())
    # Our middleware logs each request once; uvicorn's access log would only repeat it without the context.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class CorrelationMiddleware:
    """Bind the request's correlation id (taken or made) for its whole handling, echo it, log the outcome and
    count it in the HTTP metrics (one timing serves both)."""

    def __init__(self, app: ASGIApp, service: str = "") -> None:
        self.app = app
        self.service = service

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
                seconds = time.perf_counter() - started
                observe_request(self.service, scope, status, seconds)
                log.info("request", method=scope.get("method"), path=scope.get("path"), status=status,
                         duration_ms=round(seconds * 1000, 1))
