"""The worker for real: saga commands on Kafka → handler → event store → relay → payments.v1 and the read
model; a redelivered command batch and a restart change nothing."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from decimal import Decimal
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import Envelope, parse_payload, wrap
from contracts.payments import PaymentRefunded, RefundPayment, RequestPayment
from contracts.topics import dlq
from spine.testing import create_topics, unique_topic

from payments_service.domain import PaymentOrder
from payments_service.main import build_worker
from payments_service.projections.payments_query import PaymentFilters

pytestmark = pytest.mark.integration


@pytest.fixture
def topics_for_test():
    names = unique_topic("payments"), unique_topic("payments-commands"), unique_topic("users")
    create_topics(*names, *(dlq(n) for n in names), partitions=2)
    return names


async def send(settings, topic: str, *envelopes: Envelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options())
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.kafka_key())
    finally:
        await producer.stop()


async def read_all(settings, topic: str, until, timeout: float = 20.0) -> dict[str, list[Envelope]]:
    """Every message on `topic` by aggregate id, once `until(messages)` holds (or the timeout passes)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **settings.kafka_client_options())
    await consumer.start()
    seen: dict[str, list[Envelope]] = defaultdict(list)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not until(seen):
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    envelope = Envelope.from_bytes(record.value)
                    seen[envelope.aggregate_id].append(envelope)
    finally:
        await consumer.stop()
    return seen


def test_saga_commands_through_kafka_publish_each_outcome_once(client, settings, topics_for_test):
    payments_topic, commands_topic, users_topic = topics_for_test
    payments = client.app.state.container.payments
    user = uuid4()
    top_up = payments.request_payment(PaymentOrder(payment_id=uuid4(), user_id=user, amount=Decimal("50"),
                                                   currency="EUR", method="cash"))
    payments.confirm_offline(top_up.id, operator_id=uuid4())
    by_balance, by_card = uuid4(), uuid4()

    def request(pid, method):
        return wrap(RequestPayment(payment_id=pid, booking_id=uuid4(), event_id=uuid4(), user_id=user,
                                   amount=Decimal("30.00"), currency="EUR", payment_method=method),
                    aggregate_id=str(pid))

    commands = [request(by_balance, "balance"), request(by_card, "card"),
                wrap(RefundPayment(payment_id=by_balance, booking_id=uuid4(), reason="booking_cancelled"),
                     aggregate_id=str(by_balance))]

    def types(seen, pid):
        return [e.type for e in seen.get(str(pid), [])]

    async def scenario() -> dict[str, list[Envelope]]:
        worker = build_worker(settings, topic=payments_topic, commands_topic=commands_topic, users_topic=users_topic,
                              reconcile=False)
        await worker.start()
        try:
            await send(settings, commands_topic, *commands)
            await read_all(settings, payments_topic, lambda seen: len(types(seen, by_balance)) == 3)
            # Every command again (a re-publish by bookings' relay after a crash), then a restart.
            await send(settings, commands_topic, *commands)
            await asyncio.sleep(1.5)
        finally:
            await worker.stop()
        worker = build_worker(settings, topic=payments_topic, commands_topic=commands_topic, users_topic=users_topic,
                              reconcile=False)
        await worker.start()
        try:
            await asyncio.sleep(1.5)
            return await read_all(settings, payments_topic, lambda seen: False, timeout=2.0)
        finally:
            await worker.stop()

    seen = asyncio.run(scenario())
    assert types(seen, by_balance) == ["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"]
    assert types(seen, by_card) == ["PaymentRequested"]
    assert types(seen, top_up.id) == ["PaymentRequested", "PaymentSucceeded"]
    refunded = parse_payload(seen[str(by_balance)][-1])
    assert isinstance(refunded, PaymentRefunded) and refunded.amount == Decimal("30.00")
    assert payments.wallet_of(user).balance("EUR") == Decimal("50.00")
    # The read model followed the topic.
    rows, total = client.app.state.container.query.search(PaymentFilters(user_id=user), limit=10, offset=0)
    assert total == 3
    assert {str(r["payment_id"]): r["status"] for r in rows} == {
        str(top_up.id): "succeeded", str(by_balance): "refunded", str(by_card): "pending"}
