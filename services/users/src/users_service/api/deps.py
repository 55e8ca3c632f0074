"""Access to the composition root from routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from users_service.bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container  # set by webkit.service's create_app
    return container


Services = Annotated[Container, Depends(get_container)]
