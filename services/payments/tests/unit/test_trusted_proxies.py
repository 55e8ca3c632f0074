"""Behind the gateway (docker-compose: another container on the compose network) a webhook's source is the
address the gateway reports, but only when the gateway is one of TRUSTED_PROXIES (addresses or networks)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from payments_service.api.deps import client_ip
from payments_service.settings import Settings

pytestmark = pytest.mark.unit

YOOKASSA_IP = "185.71.76.10"


def request(peer: str, real_ip: str | None, trusted: list[str]) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(container=SimpleNamespace(settings=SimpleNamespace(
        trusted_proxies=trusted))))
    headers = [(b"x-real-ip", real_ip.encode())] if real_ip else []
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 4000),
                    "app": app})


def test_the_gateway_on_a_trusted_network_reports_the_real_source():
    trusted = Settings(TRUSTED_PROXIES="127.0.0.1,172.16.0.0/12").trusted_proxies
    assert client_ip(request("172.18.0.7", YOOKASSA_IP, trusted)) == YOOKASSA_IP


def test_anyone_else_is_taken_at_their_own_address():
    trusted = Settings(TRUSTED_PROXIES="127.0.0.1,172.16.0.0/12").trusted_proxies
    assert client_ip(request("203.0.113.9", YOOKASSA_IP, trusted)) == "203.0.113.9"  # a forged header
    assert client_ip(request("172.18.0.7", None, trusted)) == "172.18.0.7"


def test_the_defaults_trust_only_this_machine_and_junk_is_refused_at_start_up(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("PAYMENTS_TRUSTED_PROXIES", raising=False)
    assert Settings().trusted_proxies == ["127.0.0.1", "::1"]
    with pytest.raises(ValidationError):
        Settings(TRUSTED_PROXIES="the-gateway")
