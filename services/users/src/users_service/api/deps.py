"""Access to the composition root from routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from users_service.bootstrap import UsersService


def _service(request: Request) -> UsersService:
    return request.app.state.users


Service = Annotated[UsersService, Depends(_service)]
