"""The whole spine for real: API → event store → relay → Kafka → worker → catalogue → GET /api/v1/events/."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import dlq
from spine.testing import create_topics, unique_topic

from events_service import public
from events_service.main import build_worker

pytestmark = pytest.mark.integration

URL = "/api/v1/events/"


@pytest.fixture
def topics_for_test():
    events_topic, users_topic = unique_topic("events"), unique_topic("users")
    commands_topic = unique_topic("events-commands")  # never the shared events.commands.v1 of a running system
    create_topics(events_topic, dlq(events_topic), users_topic, dlq(users_topic), commands_topic,
                  dlq(commands_topic), partitions=2)
    return events_topic, users_topic, commands_topic


async def listed(client, organizer, predicate, timeout: float = 15.0) -> list[dict]:
    """Poll the organizer's public list until `predicate(events)` holds (the read model is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        events = (await asyncio.to_thread(client.get, URL, params={"created_by": str(organizer.user_id)})).json()
        if predicate(events):
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"catalogue never matched; last seen {events}")
        await asyncio.sleep(0.1)


def test_a_published_event_reaches_the_catalogue_and_duplicates_change_nothing(
        client, settings, organizer, topics_for_test):
    events_topic, users_topic, commands_topic = topics_for_test
    payload = {"title": "Kafka talk", "description": "Logs all the way down", "duration_minutes": 45,
               "max_participants": 40, "is_paid": False,
               "start_time": (datetime.now(UTC) + timedelta(days=5)).isoformat()}

    async def scenario() -> None:
        worker = build_worker(settings, topic=events_topic, users_topic=users_topic,
                              commands_topic=commands_topic)
        await worker.start()
        try:
            created = await asyncio.to_thread(client.post, URL, json=payload, headers=organizer.headers)
            event = created.json()
            started = time.monotonic()
            (seen,) = await listed(client, organizer, lambda events: len(events) == 1)
            assert time.monotonic() - started < 10
            assert seen == event

            # A re-published old message (same aggregate version, stale content) must not win.
            app = client.app.state.container.events
            (stored,) = app.events.get(UUID(event["id"]))
            stale = public.to_envelope(stored).model_copy(update={"payload": {
                **public.to_envelope(stored).payload, "title": "Stale copy"}})
            producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                        **settings.kafka_client_options())
            await producer.start()
            try:
                await producer.send_and_wait(events_topic, stale.to_bytes(), key=stale.kafka_key())
            finally:
                await producer.stop()

            # A later change on the same partition proves the duplicate was consumed before it.
            await asyncio.to_thread(client.patch, f"{URL}{event['id']}", json={"max_participants": 41},
                                    headers=organizer.headers)
            (after,) = await listed(client, organizer, lambda events: events[0]["max_participants"] == 41)
            assert after["title"] == "Kafka talk" and after["seats_available"] == 41
            assert after == (await asyncio.to_thread(client.get, f"{URL}{event['id']}")).json()
        finally:
            await worker.stop()

    asyncio.run(scenario())


def test_a_user_disabled_on_users_topic_loses_access(client, settings, organizer, topics_for_test):
    events_topic, users_topic, commands_topic = topics_for_test
    from contracts import wrap
    from contracts.users import UserDisabled

    async def scenario() -> None:
        worker = build_worker(settings, topic=events_topic, users_topic=users_topic,
                              commands_topic=commands_topic)
        await worker.start()
        try:
            disabled = wrap(UserDisabled(user_id=organizer.user_id, disabled_at=datetime.now(UTC)),
                            aggregate_id=str(organizer.user_id), aggregate_version=3)
            producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                        **settings.kafka_client_options())
            await producer.start()
            try:
                await producer.send_and_wait(users_topic, disabled.to_bytes(), key=disabled.kafka_key())
            finally:
                await producer.stop()
            deadline = time.monotonic() + 15
            while True:
                response = await asyncio.to_thread(client.post, URL, json={}, headers=organizer.headers)
                if response.status_code == 401:
                    break
                assert response.status_code == 422  # still accepted as a caller, body invalid
                assert time.monotonic() < deadline, "the disabled user's token was never refused"
                await asyncio.sleep(0.2)
        finally:
            await worker.stop()

    asyncio.run(scenario())
