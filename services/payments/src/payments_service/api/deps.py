"""What routes need from the composition root."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from payments_service.bootstrap import Container


def get_container(request: Request) -> Container:
    return request.app.state.container


Services = Annotated[Container, Depends(get_container)]


def client_ip(request: Request) -> str | None:
    """The caller's address; behind the gateway (a trusted proxy) the one it reports in X-Real-IP."""
    direct = request.client.host if request.client else None
    trusted = request.app.state.container.settings.trusted_proxies
    forwarded = request.headers.get("x-real-ip")
    if direct in trusted and forwarded:
        return forwarded.strip()
    return direct
