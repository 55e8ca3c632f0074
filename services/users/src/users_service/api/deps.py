"""Access to the composition root from routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from users_service.bootstrap import Container


def get_container(request: Request) -> Container:
    return request.app.state.users


Services = Annotated[Container, Depends(get_container)]
