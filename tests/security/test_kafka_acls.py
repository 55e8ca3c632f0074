"""Kafka is a trust boundary: against the real broker (SASL/SCRAM + ACLs from contracts.access), a service
can write only its own topics, and nobody gets in without a password.

Uses the principals' passwords that deploy/env.sh exports (KAFKA_<PRINCIPAL>_PASSWORD).
"""

from __future__ import annotations

import asyncio
import os
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from contracts import Envelope
from contracts import topics as t
from spine.settings import InfraSettings

pytestmark = pytest.mark.integration


def principal(name: str, password: str | None = None) -> InfraSettings:
    return InfraSettings(kafka_username=name, kafka_password=password or os.environ[f"KAFKA_{name.upper()}_PASSWORD"])


def probe() -> Envelope:
    """A message of a type no consumer knows (consumers skip unknown types, so the live topics stay clean)."""
    return Envelope(type="AccessProbe", aggregate_id=str(uuid4()), payload={"test": "kafka acls"})


async def send(settings: InfraSettings, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True,
                                acks="all", request_timeout_ms=10000, **settings.kafka_client_options())
    try:
        await producer.start()
        message = probe()
        await producer.send_and_wait(topic, message.to_bytes(), key=message.kafka_key())
    finally:
        await producer.stop()


async def end_offsets(topic: str) -> dict[TopicPartition, int]:
    admin = InfraSettings()  # the test process's own principal (the super user in the test profile)
    consumer = AIOKafkaConsumer(bootstrap_servers=admin.kafka_bootstrap_servers, group_id=None,
                                **admin.kafka_client_options())
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not parts:
            await consumer.topics()
            parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return await consumer.end_offsets(parts)
    finally:
        await consumer.stop()


def test_bookings_cannot_fake_a_payment_and_nothing_reaches_payments_topic():
    before = asyncio.run(end_offsets(t.PAYMENTS))
    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(send(principal("bookings"), t.PAYMENTS))
    assert asyncio.run(end_offsets(t.PAYMENTS)) == before


def test_bookings_can_publish_its_own_events_and_the_commands_it_owns():
    for topic in (t.BOOKINGS, t.EVENTS_COMMANDS, t.PAYMENTS_COMMANDS):
        asyncio.run(send(principal("bookings"), topic))


def test_a_service_may_dead_letter_what_it_consumes_but_not_what_it_does_not():
    asyncio.run(send(principal("payments"), t.dlq(t.PAYMENTS_COMMANDS)))
    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(send(principal("payments"), t.dlq(t.EVENTS_COMMANDS)))


def test_ops_reads_but_cannot_write():
    async def read_one() -> None:
        ops = principal("ops")
        consumer = AIOKafkaConsumer(t.BOOKINGS, bootstrap_servers=ops.kafka_bootstrap_servers, group_id=None,
                                    auto_offset_reset="earliest", **ops.kafka_client_options())
        try:
            await consumer.start()
            assert await consumer.getone(), "bookings.v1 has the probes of the test above at least"
        finally:
            await consumer.stop()

    asyncio.run(asyncio.wait_for(read_one(), 30))
    # Refused already when the idempotent producer asks for its id: ops may write no topic at all.
    with pytest.raises((ClusterAuthorizationFailedError, TopicAuthorizationFailedError)):
        asyncio.run(send(principal("ops"), t.BOOKINGS))


def test_a_service_cannot_join_another_services_consumer_group():
    async def join(group: str) -> None:
        bookings = principal("bookings")
        consumer = AIOKafkaConsumer(t.USERS, bootstrap_servers=bookings.kafka_bootstrap_servers, group_id=group,
                                    enable_auto_commit=False, **bookings.kafka_client_options())
        try:
            await consumer.start()
            await asyncio.wait_for(consumer.getmany(timeout_ms=2000), 30)
        finally:
            await consumer.stop()

    asyncio.run(join(f"bookings.acl-test-{uuid4().hex[:6]}"))
    with pytest.raises(GroupAuthorizationFailedError):
        asyncio.run(join(f"payments.acl-test-{uuid4().hex[:6]}"))


def test_an_anonymous_client_cannot_connect():
    anonymous = InfraSettings(kafka_security_protocol="PLAINTEXT")
    with pytest.raises(KafkaConnectionError):
        asyncio.run(send(anonymous, t.PAYMENTS))


def test_a_wrong_password_cannot_connect():
    with pytest.raises(KafkaError):
        asyncio.run(send(principal("bookings", "not-the-password"), t.BOOKINGS))


def test_applying_the_declaration_takes_back_a_permission_it_does_not_grant():
    """An ACL given by hand (or left over from an older declaration) is deleted by deploy/kafka_acls.py."""
    import sys
    from pathlib import Path

    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.protocol.admin import CreateAclsRequest

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from deploy.kafka_acls import ALLOW, LITERAL, TOPIC, WRITE, apply

    async def grant_by_hand() -> None:
        admin_settings = InfraSettings()
        admin = AIOKafkaAdminClient(bootstrap_servers=admin_settings.kafka_bootstrap_servers,
                                    **admin_settings.kafka_client_options())
        await admin.start()
        try:
            request = CreateAclsRequest(TOPIC, t.PAYMENTS, LITERAL, "User:bookings", "*", WRITE, ALLOW)
            assert (await admin._send_request(request)).creation_responses[0][0] == 0  # noqa: SLF001
        finally:
            await admin.close()

    asyncio.run(grant_by_hand())
    # ACLs apply once the metadata log has them: retry until the hand-made one lets bookings in.
    for attempt in range(50):
        try:
            asyncio.run(send(principal("bookings"), t.PAYMENTS))
            break
        except TopicAuthorizationFailedError:
            assert attempt < 49, "the hand-made ACL never took effect"

    created, deleted = asyncio.run(apply(InfraSettings()))
    assert (created, deleted) == (0, 1)
    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(send(principal("bookings"), t.PAYMENTS))
