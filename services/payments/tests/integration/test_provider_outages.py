"""A provider outage never loses a saga step: RequestPayment and RefundPayment that meet a Stripe outage are
retried until Stripe answers — the booking's payment is not failed, and the refund is not dead-lettered
(the money goes back). Real PostgreSQL and Kafka; Stripe is its official SDK over a scripted HTTP
transport (the one seam: there is no network to Stripe here)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
import stripe
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from authkit.testing import caller
from contracts import Envelope, wrap
from contracts.payments import RefundPayment, RequestPayment
from contracts.topics import dlq
from spine.eventstore import postgres_env
from spine.testing import create_topics, unique_topic

from payments_service.application import Payments
from payments_service.main import build_worker
from payments_service.providers import Providers
from payments_service.providers.offline import BalanceProvider, CashProvider
from payments_service.providers.stripe_provider import StripeProvider

pytestmark = pytest.mark.integration


class ScriptedStripe(stripe.HTTPClient):
    """Answers Stripe API calls from a script: `outages[(method, path)]` calls fail with 503 before it works."""

    name = "scripted"

    def __init__(self, outages: dict[tuple[str, str], int]):
        super().__init__()
        self.outages = dict(outages)
        self.intent: dict[str, Any] = {}
        self.calls: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = url.split("api.stripe.com", 1)[1]
        key = (method, "/v1/payment_intents" if path.startswith("/v1/payment_intents") else path)
        with self.lock:
            if self.outages.get(key, 0) > 0:
                self.outages[key] -= 1
                self.calls.append((method, path, 503))
                error = {"error": {"type": "api_error", "message": "Stripe is having a moment"}}
                return json.dumps(error), 503, {"stripe-should-retry": "false"}
            self.calls.append((method, path, 200))
        if key == ("post", "/v1/refunds"):
            return json.dumps({"id": "re_1", "object": "refund", "status": "succeeded"}), 200, {}
        return json.dumps(self.intent), 200, {}

    def close(self):
        pass


async def send(settings, topic: str, envelope: Envelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options())
    await producer.start()
    try:
        await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.kafka_key())
    finally:
        await producer.stop()


async def dead_letters(settings, topic: str) -> list:
    consumer = AIOKafkaConsumer(dlq(topic), bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=None, **settings.kafka_client_options())
    await consumer.start()
    try:
        return [r for records in (await consumer.getmany(timeout_ms=1500)).values() for r in records]
    finally:
        await consumer.stop()


async def eventually(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)
    return result


def test_request_and_refund_survive_a_stripe_outage(client, settings, issuer):
    payments_topic, commands_topic, users_topic = (unique_topic("payments"), unique_topic("payments-commands"),
                                                   unique_topic("users"))
    create_topics(payments_topic, commands_topic, users_topic, *(dlq(t) for t in (payments_topic, commands_topic)),
                  partitions=1)
    http = ScriptedStripe({("post", "/v1/payment_intents"): 3, ("post", "/v1/refunds"): 4})
    providers = Providers([StripeProvider("sk_test_123", "whsec_test", http_client=http), CashProvider(),
                           BalanceProvider()], card_provider="stripe")
    payments = Payments(env=postgres_env(settings.database, settings), providers=providers)
    payer = caller(issuer, "participant")
    payment_id = uuid4()
    http.intent = {"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method",
                   "client_secret": "pi_1_secret_abc", "metadata": {"payment_id": str(payment_id)}}
    request = wrap(RequestPayment(payment_id=payment_id, booking_id=uuid4(), event_id=uuid4(), user_id=payer.user_id,
                                  amount=Decimal("12.50"), currency="EUR", payment_method="card"),
                   aggregate_id=str(payment_id))
    refund = wrap(RefundPayment(payment_id=payment_id, booking_id=request.payload["booking_id"],
                                reason="booking_cancelled"), aggregate_id=str(payment_id))

    def status() -> str | None:
        found = payments.find(payment_id)
        return found.status if found is not None else None

    async def scenario() -> None:
        worker = build_worker(settings, topic=payments_topic, commands_topic=commands_topic, users_topic=users_topic,
                              reconcile=False, providers=providers)
        await worker.start()
        try:
            # Stripe is down for the first three tries: the payment waits for it instead of failing.
            await send(settings, commands_topic, request)
            assert await eventually(lambda: status() == "pending")
            # The payer pays; Stripe says so when asked.
            http.intent = {**http.intent, "status": "succeeded"}
            assert await asyncio.to_thread(lambda: payments.reconcile(payment_id).status) == "succeeded"
            # The refund meets four failures and still goes through.
            await send(settings, commands_topic, refund)
            assert await eventually(lambda: status() == "refunded")
            assert await dead_letters(settings, commands_topic) == []
        finally:
            await worker.stop()

    asyncio.run(scenario())
    assert [c for c in http.calls if c[:2] == ("post", "/v1/payment_intents")] == [
        ("post", "/v1/payment_intents", 503)] * 3 + [("post", "/v1/payment_intents", 200)]
    assert [c[2] for c in http.calls if c[:2] == ("post", "/v1/refunds")] == [503] * 4 + [200]
    # The payer's client gets what Stripe.js needs while the payment is open (checked on the event store).
    assert payments.get_payment(payment_id).client_secret == "pi_1_secret_abc"
