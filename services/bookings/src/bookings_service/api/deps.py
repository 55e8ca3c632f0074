"""What routes need from the composition root, and who the caller is in domain terms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from authkit import Principal
from contracts.permissions import BOOKINGS_MANAGE_ANY, BOOKINGS_READ_ALL

from bookings_service.bootstrap import Container
from bookings_service.domain import Actor


async def get_container(request: Request) -> Container:
    """The composition root's parts. `async` so FastAPI calls it on the event loop: a plain `def` dependency
    costs every request a hop to the thread pool and back (issue 8: measurable CPU per booking)."""
    return request.app.state.container


def actor_of(principal: Principal) -> Actor:
    """The caller as the Booking aggregate sees them: what their token's permissions allow, never its role name."""
    return Actor(user_id=principal.user_id, may_manage_any=principal.can(BOOKINGS_MANAGE_ANY),
                 may_read_all=principal.can(BOOKINGS_READ_ALL))


Services = Annotated[Container, Depends(get_container)]
