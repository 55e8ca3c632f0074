"""A tiny planning app built with create_app, used by every webkit test."""

from __future__ import annotations

import itertools
import threading
from typing import Annotated

import pytest
from fastapi import APIRouter, Header, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from spine.context import current
from webkit import (
    CONCURRENT_CHANGE,
    PageParams,
    Problem,
    configure_logging,
    create_app,
    problem_responses,
    set_page_headers,
    too_many_requests,
)


class SeatsUnavailable(Exception):
    """Raised when an event has fewer free seats than requested."""


class EventCreate(BaseModel):
    title: str = Field(min_length=1)
    capacity: int = Field(ge=1)


EVENTS = [{"id": i, "title": f"Meetup {i}"} for i in range(45)]


def planning_router(state: dict) -> APIRouter:
    """Routes that exercise each kind of answer the shared plumbing must shape."""
    router = APIRouter(prefix="/api/v1/events", tags=["events"])
    counter = itertools.count(1)

    @router.get("")
    def list_events(request: Request, response: Response, page: PageParams, q: str | None = None) -> list[dict]:
        set_page_headers(request, response, len(EVENTS), page)
        return page.slice(EVENTS)

    @router.post("", status_code=201)
    def create_event(body: EventCreate, response: Response) -> dict:
        gate = state.get("gate")
        if gate is not None:  # lets a test hold the first request open
            state["entered"].set()
            gate.wait(5)
        n = next(counter)
        state["created"] = state.get("created", 0) + 1
        response.headers["Location"] = f"/api/v1/events/{n}"
        return {"id": n, "title": body.title, "capacity": body.capacity}

    @router.post("/{event_id}/flaky")
    def flaky(event_id: int) -> dict:
        state["flaky_calls"] = state.get("flaky_calls", 0) + 1
        if state["flaky_calls"] == 1:
            raise RuntimeError("database password is hunter2")
        return {"event_id": event_id, "attempt": state["flaky_calls"]}

    @router.post("/{event_id}/book")
    def book(event_id: int, seats_left: int | None = None) -> dict:
        error = SeatsUnavailable(f"Event {event_id} has no free seats")
        if seats_left is not None:
            error.problem_extensions = {"seats_left": seats_left}  # type: ignore[attr-defined]
        raise error

    @router.post("/{event_id}/race", status_code=201)
    def race(event_id: int) -> dict:
        """Loses an optimistic-concurrency race on the first call (with the database's raw message)."""
        state["race_calls"] = state.get("race_calls", 0) + 1
        if state["race_calls"] == 1:
            raise SeatsChangedMeanwhile('duplicate key value violates unique constraint "events_pkey" '
                                        'DETAIL: Key (application_name, originator_id)=(...) already exists.')
        return {"event_id": event_id, "attempt": state["race_calls"]}

    @router.post("/{event_id}/busy")
    def busy(event_id: int) -> dict:
        state["busy_calls"] = state.get("busy_calls", 0) + 1
        if state["busy_calls"] == 1:
            raise too_many_requests(3)
        return {"event_id": event_id, "attempt": state["busy_calls"]}

    @router.post("/{event_id}/whoami")
    def whoami(event_id: int, authorization: Annotated[str | None, Header()] = None) -> dict:
        if authorization and authorization.startswith("Bearer invalid"):
            raise Problem(401, "Unauthorized", "bad token")
        state["whoami_calls"] = state.get("whoami_calls", 0) + 1
        return {"token": authorization, "call": state["whoami_calls"]}

    @router.get("/{event_id}", responses=problem_responses(401, 403, 404))
    def get_event(event_id: int, authorization: Annotated[str | None, Header()] = None) -> dict:
        if authorization is None:
            raise Problem(401, "Unauthorized", "Missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        if authorization != "Bearer organiser":
            raise Problem(403, "Forbidden", "Only the organiser may see drafts", permission="events:read")
        if event_id >= len(EVENTS):
            raise Problem(404, "Not Found", f"Event {event_id} does not exist")
        return EVENTS[event_id]

    @router.get("/{event_id}/cause")
    async def cause(event_id: int) -> dict:
        return {"correlation_id": current().correlation_id}

    @router.get("/{event_id}/cause-sync")
    def cause_sync(event_id: int) -> dict:
        return {"correlation_id": current().correlation_id}

    return router


@pytest.fixture
def state() -> dict:
    return {"entered": threading.Event()}


class SeatsChangedMeanwhile(Exception):
    """Raised when a concurrent request changed the event first (like eventsourcing's IntegrityError)."""


async def subject_of(scope) -> str | None:
    """Stand-in for authkit.deps.token_subject: `Bearer <name>` or `Bearer <name>.<anything>` is <name>;
    `Bearer invalid...` is a token that fails verification."""
    header = dict(scope["headers"]).get(b"authorization", b"").decode()
    if not header.startswith("Bearer ") or header.startswith("Bearer invalid"):
        return None
    return header.removeprefix("Bearer ").split(".", 1)[0]


def build_app(state: dict, conninfo: str | None = None, **idempotency):
    return create_app("planning", title="Planning", version="1.0", routers=[planning_router(state)],
                      domain_errors={SeatsUnavailable: 409, SeatsChangedMeanwhile: CONCURRENT_CHANGE},
                      idempotency_conninfo=conninfo, idempotency_subject=subject_of, **idempotency)


@pytest.fixture(autouse=True, scope="session")
def json_logs() -> None:
    # JSON lines, as in production (structlog's default console renderer is slow on tracebacks).
    configure_logging("planning-test", "WARNING")


@pytest.fixture
def client(state: dict):
    with TestClient(build_app(state), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def make_app():
    """Build the planning app (optionally with idempotency on a database) for tests that need their own."""
    return build_app


@pytest.fixture(name="subject_of")
def subject_of_fixture():
    """How the planning app finds the subject of a request (a stand-in for authkit's token_subject)."""
    return subject_of


@pytest.fixture
def make_router():
    return planning_router
