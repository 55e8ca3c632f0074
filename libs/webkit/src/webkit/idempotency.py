"""Safe retries of POSTs: a repeated `Idempotency-Key` gets the first answer back instead of a second effect.

Keys belong to the authenticated subject (the user id of a verified token, found by a `subject` callable the
service supplies), so a retry after a token refresh still replays, and nobody else can read the answer.
Anonymous requests have no key space: their keys are ignored (a shared anonymous space would hand one
stranger's answer — tokens, even — to another). Paths in `exclude` are never stored (e.g. token refresh,
whose answer is a secret and whose replay must reach the reuse detection). Answers that depend on the
moment rather than the request are not stored either (see `_storable`), and expired keys are purged
periodically while the app runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import structlog
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webkit.idempotency_store import IdempotencyStore, StoredResponse
from webkit.problems import problem_response

# Who is calling, from a verified credential: an id that stays the same across token refreshes, or None.
SubjectOf = Callable[[Scope], Awaitable[str | None]]

KEY_HEADER = b"idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

log = structlog.get_logger("webkit.idempotency")


@dataclass(frozen=True)
class _Request:
    caller: str  # the subject
    key: str
    fingerprint: str


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == name), None)


def _canonical(body: bytes) -> bytes:
    # The same JSON sent with other spacing or key order is the same request. A body that is not JSON, or is
    # nested too deep to parse ('[' * 100000), is compared as sent; the route then refuses it with a 4xx.
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return body


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), _canonical(body)):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


async def anonymous(scope: Scope) -> None:
    """The subject of every request when a service names no way to find one: keys are then ignored."""
    return None


# Answers about the caller's credentials, or about this moment (overload, rate limits, lost races: anything
# sent with Retry-After), say nothing final about the request; a retry with the same key must run again.
_NOT_STORED = {401, 403, 408, 425, 429}


def _storable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    return status < 500 and status not in _NOT_STORED and not any(k.lower() == b"retry-after" for k, _ in headers)


class IdempotencyMiddleware:
    """Store the first answer to each (subject, Idempotency-Key) POST and replay it for retries."""

    def __init__(self, app: ASGIApp, conninfo: str, *, subject: SubjectOf = anonymous,
                 exclude: Collection[str] = (), ttl: timedelta = timedelta(hours=24),
                 in_flight_timeout: timedelta = timedelta(minutes=5),
                 purge_interval: timedelta = timedelta(minutes=10)) -> None:
        self.app = app
        self.subject = subject
        self.exclude = frozenset(exclude)
        self.purge_interval = purge_interval
        self.store = IdempotencyStore(conninfo, ttl=ttl, in_flight_timeout=in_flight_timeout)
        self._purging: asyncio.Task | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._with_purging(send))
            return
        key = _header(scope, KEY_HEADER) if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None or scope["path"] in self.exclude:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            await problem_response(400, "Invalid Idempotency-Key",
                                   f"The Idempotency-Key header must have 1 to {MAX_KEY_LENGTH} characters.",
                                   instance=scope["path"])(scope, receive, send)
            return
        subject = await self.subject(scope)
        if subject is None:  # anonymous, or a credential the route will refuse itself
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        request = _Request(subject, key, _fingerprint(scope, body))
        try:
            outcome = await run_in_threadpool(self.store.claim, request.caller, request.key, request.fingerprint)
        except psycopg.OperationalError:  # the database is down: say so at once, the client retries
            log.warning("idempotency_store_unavailable", path=scope["path"])
            await problem_response(503, detail="The service is briefly unavailable; retry shortly.",
                                   instance=scope["path"], headers={"Retry-After": "1"})(scope, receive, send)
            return
        if isinstance(outcome, StoredResponse):
            log.info("idempotent_replay", path=scope["path"], status=outcome.status)
            await _replay(outcome, scope, receive, send)
        elif outcome == "mismatch":
            log.warning("idempotency_key_reused", path=scope["path"])
            await problem_response(422, "Idempotency-Key reused",
                                   "This Idempotency-Key was already used with a different request.",
                                   instance=scope["path"])(scope, receive, send)
        elif outcome == "in_flight":
            await problem_response(409, "Request in progress",
                                   "A request with this Idempotency-Key is still being processed; retry later.",
                                   instance=scope["path"], headers={"Retry-After": "1"})(scope, receive, send)
        else:
            await self._run_and_store(request, body, scope, send)

    async def _run_and_store(self, request: _Request, body: bytes, scope: Scope, send: Send) -> None:
        """Run the route once and keep its answer (unless it is transient, so a retry may succeed).

        The answer is held back until it is stored: a client that retries the moment it has the first answer
        must get the replay, not a 409 "in progress" for a request that is already done.
        """
        status, headers, messages = 500, [], []

        async def replay_body() -> Message:
            nonlocal body
            chunk, body = body, b""
            return {"type": "http.request", "body": chunk, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            messages.append(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await run_in_threadpool(self.store.release, request.caller, request.key)
            raise
        if not _storable(status, headers):
            await run_in_threadpool(self.store.release, request.caller, request.key)
        else:
            chunks = [m.get("body", b"") for m in messages if m["type"] == "http.response.body"]
            stored = StoredResponse(status, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
                                    b"".join(chunks))
            await run_in_threadpool(self.store.complete, request.caller, request.key, stored)
        for message in messages:
            await send(message)

    def _with_purging(self, send: Send) -> Send:
        """Purge expired keys from start-up to shutdown; close the store at shutdown."""
        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete" and self._purging is None:
                self._purging = asyncio.create_task(self._purge_periodically())
            elif message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                if self._purging is not None:
                    self._purging.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._purging
                    self._purging = None
                await run_in_threadpool(self.store.close)
            await send(message)
        return wrapped

    async def _purge_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.purge_interval.total_seconds())
            try:
                purged = await run_in_threadpool(self.store.purge)
            except Exception:  # the database may be away for a while; the next round tries again
                log.warning("idempotency_purge_failed", exc_info=True)
                continue
            if purged:
                log.info("idempotency_keys_purged", count=purged)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(stored: StoredResponse, scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers
               if k.lower() not in ("content-length", REPLAYED_HEADER.lower())]
    headers += [(b"content-length", str(len(stored.body)).encode()), (REPLAYED_HEADER.lower().encode(), b"true")]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})
