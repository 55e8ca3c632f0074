"""Routes of /api/v1/support: users talk to support in threads; support and admins answer and manage them.

A user sees only their own threads (another user's is 404, as if it did not exist). Replying and
assigning need `support:reply` (support, admin); closing and reopening are for the owner and for them.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from authkit import Principal
from authkit.deps import CurrentPrincipal, require
from contracts.permissions import SUPPORT_REPLY
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import Problem, problem_responses

from notifications_service.api.deps import Services
from notifications_service.api.support_schemas import (
    SupportAssign,
    SupportMessageCreate,
    SupportThreadPublic,
    SupportThreadSummary,
)
from notifications_service.domain.support import SupportThread, ThreadNotFound

router = APIRouter(prefix="/api/v1/support", tags=["support"])

Agent = Annotated[Principal, Depends(require(SUPPORT_REPLY))]


def _visible(services: Services, thread_id: UUID, principal: Principal) -> SupportThread:
    """The thread if the caller owns it or is an agent; 404 otherwise (even when it exists)."""
    thread = services.support.get_thread(thread_id)
    if thread.user_id != principal.user_id and not principal.can(SUPPORT_REPLY):
        raise ThreadNotFound(f"no support thread {thread_id}")
    return thread


@router.post("/messages", status_code=201, response_model=SupportThreadPublic,
             responses=problem_responses(401, 422))
def post_message(body: SupportMessageCreate, services: Services, response: Response, principal: CurrentPrincipal
                 ) -> SupportThreadPublic:
    """Write to support: continues your open thread, or starts a new one."""
    thread = services.support.post_message(principal.user_id, body.content)
    response.headers["Location"] = f"{router.prefix}/threads/{thread.id}"
    return SupportThreadPublic.from_aggregate(thread)


@router.get("/threads", response_model=list[SupportThreadSummary], responses=problem_responses(401, 403, 422))
def list_threads(
    request: Request, response: Response, services: Services, principal: CurrentPrincipal, page: PageParams,
    status: Annotated[Literal["open", "closed"] | None, Query(description="Only open or closed threads.")] = None,
    assignee_id: Annotated[UUID | None, Query(description="Only threads assigned to this agent (support/admin)."
                                              )] = None,
) -> list[SupportThreadSummary]:
    """Your support threads; support and admins see everyone's. Most recently active first."""
    agent = principal.can(SUPPORT_REPLY)
    if assignee_id is not None and not agent:
        raise Problem(403, "Forbidden", f"filtering by assignee needs the permission {SUPPORT_REPLY!r}",
                      required_permission=SUPPORT_REPLY)
    rows, total = services.support_threads.list(user_id=None if agent else principal.user_id, status=status,
                                                assignee_id=assignee_id, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [SupportThreadSummary.from_row(row) for row in rows]


@router.get("/threads/{thread_id}", response_model=SupportThreadPublic, responses=problem_responses(401, 404, 422))
def get_thread(thread_id: UUID, services: Services, principal: CurrentPrincipal) -> SupportThreadPublic:
    """A thread with its messages (yours, or any for support and admins)."""
    return SupportThreadPublic.from_aggregate(_visible(services, thread_id, principal))


@router.post("/threads/{thread_id}/reply", response_model=SupportThreadPublic,
             responses=problem_responses(401, 403, 404, 409, 422))
def reply(thread_id: UUID, body: SupportMessageCreate, services: Services, agent: Agent) -> SupportThreadPublic:
    """Answer a thread (support/admin); its user is notified in-app and by e-mail. 409 when it is closed."""
    return SupportThreadPublic.from_aggregate(services.support.reply(thread_id, agent.user_id, body.content))


@router.post("/threads/{thread_id}/assign", response_model=SupportThreadPublic,
             responses=problem_responses(401, 403, 404, 409, 422))
def assign(thread_id: UUID, body: SupportAssign, services: Services, agent: Agent) -> SupportThreadPublic:
    """Hand a thread to a support agent or admin (support/admin)."""
    services.support.get_thread(thread_id)  # 404 before judging the assignee
    return SupportThreadPublic.from_aggregate(services.support.assign(
        thread_id, body.assignee_id, agent.user_id,
        assignee_is_agent=services.support_threads.is_agent(body.assignee_id)))


@router.post("/threads/{thread_id}/close", response_model=SupportThreadPublic,
             responses=problem_responses(401, 404, 409, 422))
def close(thread_id: UUID, services: Services, principal: CurrentPrincipal) -> SupportThreadPublic:
    """Close a thread (its owner, or support/admin). 409 when it is closed already."""
    _visible(services, thread_id, principal)
    return SupportThreadPublic.from_aggregate(services.support.close_thread(thread_id, principal.user_id))


@router.post("/threads/{thread_id}/reopen", response_model=SupportThreadPublic,
             responses=problem_responses(401, 404, 409, 422))
def reopen(thread_id: UUID, services: Services, principal: CurrentPrincipal) -> SupportThreadPublic:
    """Reopen a closed thread (its owner, or support/admin). 409 when it is open, or its user has another open."""
    _visible(services, thread_id, principal)
    return SupportThreadPublic.from_aggregate(services.support.reopen_thread(thread_id, principal.user_id))
