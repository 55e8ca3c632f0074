"""Users events reach Kafka as public contracts, and the admin list is built from the topic by the worker."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiokafka import AIOKafkaConsumer

from contracts import Envelope, parse_payload
from contracts.users import RoleDefined, UserDisabled, UserRegistered
from spine.testing import create_topics, fresh_database, unique_topic

from users_service.bootstrap import build
from users_service.domain import EmailAlreadyRegistered
from users_service.main import build_worker
from users_service.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def service(fast_passwords):
    topic = unique_topic("users")
    create_topics(topic)
    with fresh_database("users_relay") as db:
        built = build(Settings(database=db, topic=topic, admin_email="boss@example.com"),
                          passwords=fast_passwords)
        yield built
        built.close()


async def read(topic: str, settings: Settings, count: int, timeout: float = 20.0) -> list[Envelope]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **settings.kafka_client_options())
    await consumer.start()
    found: list[Envelope] = []
    try:
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [Envelope.from_bytes(r.value) for r in records]
    finally:
        await consumer.stop()
    return found


def wait_for(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := check()):
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_registration_is_published_as_user_registered_and_lands_in_the_user_list(service):
    s = service.settings
    ada = service.users.register("Ada@Example.com", "Ada Lovelace", "analytical-engine-7")
    service.users.disable(ada.id, "fraud")

    async def scenario() -> list[Envelope]:
        worker = build_worker(service.settings, container=service)
        await worker.start()
        try:
            # 4 default roles + the admin + Ada's registration and disabling.
            messages = await read(s.topic, s, 7)
            rows = await asyncio.to_thread(wait_for, lambda: service.users_query.page(
                limit=10, offset=0, q="ada@")[0])
        finally:
            await worker.stop()
        assert rows[0].user_id == ada.id and rows[0].disabled_at is not None
        return messages

    messages = asyncio.run(scenario())
    assert len({m.event_id for m in messages}) == len(messages) == 7
    by_type: dict[str, list[Envelope]] = {}
    for m in messages:
        by_type.setdefault(m.type, []).append(m)
    assert len(by_type["RoleDefined"]) == 4 and len(by_type["UserDisabled"]) == 1
    registered = [parse_payload(m) for m in by_type["UserRegistered"]]
    assert all(isinstance(p, UserRegistered) for p in registered)
    ada_msg = next(m for m in by_type["UserRegistered"] if m.aggregate_id == str(ada.id))
    assert ada_msg.payload["email"] == "ada@example.com" and "password" not in str(ada_msg.payload)
    assert ada_msg.aggregate_version == 1
    assert isinstance(parse_payload(by_type["UserDisabled"][0]), UserDisabled)
    assert isinstance(parse_payload(by_type["RoleDefined"][0]), RoleDefined)
    # Private events (sessions, e-mail claims) never leave the service.
    assert set(by_type) == {"RoleDefined", "UserRegistered", "UserDisabled"}


def test_concurrent_registrations_of_one_email_create_exactly_one_account(service):
    def attempt(i: int) -> str:
        try:
            service.users.register(f"Twin@Example.com{' ' * i}", f"Twin {i}", "analytical-engine-7")
            return "created"
        except EmailAlreadyRegistered:
            return "conflict"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    assert sorted(outcomes) == ["conflict"] * 3 + ["created"]
