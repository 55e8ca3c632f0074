"""What routes need from the composition root."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from notifications_service.bootstrap import Container


def get_container(request: Request) -> Container:
    return request.app.state.container


Services = Annotated[Container, Depends(get_container)]
