"""Key rotation: a verifier that meets a new `kid` fetches the JWKS again instead of refusing valid tokens."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from authkit import InvalidToken, TokenVerifier
from authkit.testing import TestIssuer
from authkit.tokens import jwks

pytestmark = pytest.mark.integration


class JwksServer:
    """A real HTTP endpoint serving whatever key set the test publishes, counting requests."""

    def __init__(self) -> None:
        self.keys: dict = {"keys": []}
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests += 1
                body = json.dumps(outer.keys).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"


@pytest.fixture
def server() -> Iterator[JwksServer]:
    s = JwksServer()
    thread = threading.Thread(target=s.server.serve_forever, daemon=True)
    thread.start()
    yield s
    s.server.shutdown()


def test_keys_are_fetched_once_and_cached(server):
    issuer = TestIssuer()
    server.keys = issuer.jwks
    verifier = TokenVerifier(server.url, refetch_cooldown=0)
    for _ in range(3):
        verifier.verify(issuer.token())
    assert server.requests == 1


def test_a_rotated_key_is_picked_up_by_refetching(server):
    old, new = TestIssuer(kid="2024-01"), TestIssuer(kid="2024-02")
    server.keys = old.jwks
    verifier = TokenVerifier(server.url, refetch_cooldown=0)
    verifier.verify(old.token())
    # Rotation: the users service publishes both keys, then signs with the newest.
    server.keys = jwks([(old.kid, old.key), (new.kid, new.key)])
    verifier.verify(new.token())
    verifier.verify(old.token())
    assert server.requests == 2


def test_unknown_kids_do_not_hammer_the_jwks_endpoint(server):
    server.keys = TestIssuer().jwks
    verifier = TokenVerifier(server.url, refetch_cooldown=60)
    for _ in range(5):
        with pytest.raises(InvalidToken, match="unknown key"):
            verifier.verify(TestIssuer().token())
    assert server.requests == 1


def test_an_unreachable_jwks_endpoint_refuses_the_token_cleanly():
    with pytest.raises(InvalidToken, match="cannot fetch") as refused:
        TokenVerifier("http://127.0.0.1:9/.well-known/jwks.json").verify(TestIssuer().token())
    # The refusal becomes a 401 detail: no internal address or socket error in it.
    assert "127.0.0.1" not in str(refused.value) and "Errno" not in str(refused.value)


def test_a_failing_jwks_endpoint_does_not_leak_its_address(server):
    server.server.RequestHandlerClass.do_GET = lambda self: (self.send_response(503), self.end_headers())
    with pytest.raises(InvalidToken, match="cannot fetch") as refused:
        TokenVerifier(server.url).verify(TestIssuer().token())
    assert server.url not in str(refused.value) and "503" not in str(refused.value)
