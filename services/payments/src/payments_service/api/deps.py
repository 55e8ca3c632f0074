"""What routes need from the composition root."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Annotated

from fastapi import Depends, Request

from payments_service.bootstrap import Container


def get_container(request: Request) -> Container:
    return request.app.state.container


Services = Annotated[Container, Depends(get_container)]


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(t, strict=False) for t in trusted)


def is_trusted_proxy(address: str | None, trusted: list[str]) -> bool:
    """Whether `address` is one of the TRUSTED_PROXIES (addresses or networks)."""
    try:
        ip = ip_address(address) if address else None
    except ValueError:
        return False
    return ip is not None and any(ip in network for network in _networks(tuple(trusted)))


def client_ip(request: Request) -> str | None:
    """The caller's address; behind the gateway (a trusted proxy) the one it reports in X-Real-IP."""
    direct = request.client.host if request.client else None
    forwarded = request.headers.get("x-real-ip")
    if forwarded and is_trusted_proxy(direct, request.app.state.container.settings.trusted_proxies):
        return forwarded.strip()
    return direct
