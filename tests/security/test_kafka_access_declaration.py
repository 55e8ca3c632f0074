"""contracts.access is what the ACLs are made from, so it must match what each service's worker really does:
a topic a worker publishes or subscribes to without a declaration would be refused by the broker, and one
declared but unused is a permission nobody needs."""

from __future__ import annotations

import pytest

from contracts.access import SERVICES, principals, usernames
from contracts.topics import all_topics
from spine.testing import fresh_database

pytestmark = pytest.mark.integration


def worker_of(service: str, db: str):
    """The service's worker as its `<service>-worker` builds it (default topics), on a throwaway database."""
    module = __import__(f"{service}_service.main", fromlist=["build_worker"])
    settings = __import__(f"{service}_service.settings", fromlist=["Settings"]).Settings(database=db)
    return module.build_worker(settings), lambda: None


@pytest.mark.parametrize("service", ["users", "events", "bookings", "payments"])
def test_each_worker_uses_exactly_what_its_principal_is_allowed(service):
    access = SERVICES[service]
    with fresh_database(f"acl_{service}") as db:
        worker, close = worker_of(service, db)
        try:
            published = {relay.topic for relay in worker.relays}
            consumed = {topic for s in worker.subscriptions for topic in s.sink.topics}
            groups = {s.subscriber.group_id for s in worker.subscriptions}
        finally:
            close()
    assert published == set(access.produces)
    assert consumed == set(access.reads())
    assert all(group.startswith(access.group_prefix) for group in groups), groups


def test_every_declared_topic_exists_and_ops_reads_them_all():
    known = set(all_topics())
    for access in principals().values():
        assert set(access.writes()) | set(access.reads()) <= known, access.principal
    assert set(principals()["ops"].reads()) == known
    assert principals()["ops"].writes() == ()


def test_the_local_broker_gets_a_password_for_every_principal():
    from pathlib import Path

    env_sh = (Path(__file__).resolve().parents[2] / "deploy/env.sh").read_text()
    line = next(line for line in env_sh.splitlines() if line.startswith("for _p in "))
    assert set(line.removeprefix("for _p in ").split(";")[0].split()) == set(usernames())
