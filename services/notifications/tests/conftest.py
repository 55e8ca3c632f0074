"""Shared fixtures: a fresh notifications database per test module, the API on it, callers with real tokens.

Each test makes its own users (fresh ids), so tests in a module do not see each other's notifications;
one database per module keeps the suite fast on two cores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from authkit.testing import Caller, TestIssuer, caller
from spine.testing import fresh_database

from notifications_service.main import create_app
from notifications_service.settings import Settings


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with fresh_database("notifications_test") as name:
        yield Settings(database=name)


@pytest.fixture(scope="module")
def client(settings: Settings, issuer: TestIssuer) -> Iterator[TestClient]:
    with TestClient(create_app(settings, verifier=issuer.verifier())) as test_client:
        yield test_client


@pytest.fixture
def other_participant(issuer: TestIssuer) -> Caller:
    return caller(issuer, "participant")


@pytest.fixture(scope="module")
def smtp_sink(tmp_path_factory) -> Iterator[tuple[int, str]]:
    """A real SMTP server (aiosmtpd, the sink deploy/smtp.sh runs) storing a Maildir: (port, maildir)."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    maildir = tmp_path_factory.mktemp("mail")
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Mailbox(str(maildir)), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, str(maildir)
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def mail_settings(settings: Settings, smtp_sink) -> Settings:
    """The module's settings, sending to the sink, retrying at once (tests need no waiting)."""
    port, _ = smtp_sink
    return settings.model_copy(update={"smtp_port": port, "smtp_host": "127.0.0.1", "send_retry_base_seconds": 0.0})


@pytest.fixture
def deliver(mail_settings: Settings):
    """Call it to run the sender until nothing is due (what the worker's timer does)."""
    from spine.db import connection_pool

    from notifications_service.timers.sender import Sender

    pools = []

    def run(settings: Settings | None = None) -> int:
        s = settings or mail_settings
        pool = connection_pool(s.database, s, max_size=2)
        pools.append(pool)
        return Sender(s, pool)()

    yield run
    for pool in pools:
        pool.close()
