"""Access to the composition root from routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from users_service.bootstrap import Container


def get_container(request: Request) -> Container:
    # main.py's lifespan stores it as `app.state.users` (the others: `app.state.container`, set in create_app);
    # that moves with the shared service wiring.
    container: Container = request.app.state.users
    return container


Services = Annotated[Container, Depends(get_container)]
