"""A role change, password change, re-enabling or role redefinition in the users service voids earlier tokens
in other services.

The whole path is real: users' event store → relay → Kafka → another service's revocation projection (in
its own database) → the check its API runs on every request.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from authkit.revocation import DisabledUsers, DisabledUsersProjection
from spine.db import connection_pool
from spine.testing import create_topics, fresh_database, unique_topic
from spine.worker import Worker

from users_service.bootstrap import build
from users_service.main import build_worker
from users_service.settings import Settings

pytestmark = pytest.mark.integration

PASSWORD, NEW = "analytical-engine-7", "difference engine no. 2"


@pytest.fixture
def service(fast_passwords):
    topic = unique_topic("users")
    create_topics(topic)
    with fresh_database("users_revoke") as db:
        built = build(Settings(database=db, topic=topic, admin_email="boss@example.com"),
                          passwords=fast_passwords)
        yield built
        built.close()


def wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_other_services_refuse_tokens_issued_before_a_demotion_a_password_change_a_re_enabling_or_a_redefinition(
        service):
    app, s = service.users, service.settings
    verify = service.verifier().verify
    ada = app.register("ada@example.com", "Ada Lovelace", PASSWORD, role="organizer")
    app.register("bob@example.com", "Bob", PASSWORD)
    as_organizer = verify(app.login("ada@example.com", PASSWORD).access_token)
    bystander = verify(app.login("bob@example.com", PASSWORD).access_token)

    with fresh_database("other_service") as other_db:
        pool = connection_pool(other_db, s)
        revoked = DisabledUsers(pool, refresh_seconds=0)

        async def scenario() -> None:
            users_worker = build_worker(service.settings, container=service)
            other = Worker("other", s).add_projection(DisabledUsersProjection(s.topic), other_db)
            await users_worker.start()
            await other.start()
            try:
                await asyncio.to_thread(steps)
            finally:
                await other.stop()
                await users_worker.stop()

        def steps() -> None:
            app.change_role(ada.id, "participant")
            wait_for(lambda: revoked(as_organizer))
            as_participant = verify(app.login("ada@example.com", PASSWORD).access_token)
            assert not revoked(as_participant)

            fresh = verify(app.change_password(ada.id, PASSWORD, NEW).access_token)
            wait_for(lambda: revoked(as_participant))
            assert not revoked(fresh)

            app.disable(ada.id, "fraud")
            wait_for(lambda: revoked(fresh))
            app.enable(ada.id)
            after = verify(app.login("ada@example.com", NEW).access_token)
            wait_for(lambda: not revoked(after))
            assert revoked(fresh) and revoked(as_organizer)  # re-enabling revives no old token

            app.register("cleo@example.com", "Cleo", PASSWORD, role="organizer")
            cleo = verify(app.login("cleo@example.com", PASSWORD).access_token)
            app.define_role("organizer", ["events:create"])  # mailings:manage taken away
            wait_for(lambda: revoked(cleo))
            assert not revoked(verify(app.login("cleo@example.com", PASSWORD).access_token))
            assert not revoked(bystander)

        try:
            asyncio.run(scenario())
        finally:
            pool.close()
