"""The saga for real: API → event store → relays → Kafka commands; seat and payment answers from Kafka →
saga handler → next commands. Messages are fed as the events and payments services would publish them;
every answer is delivered twice, and duplicates change nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from authkit.testing import caller
from contracts import Envelope, wrap
from contracts.events import SeatsRejected, SeatsReleased, SeatsReserved
from contracts.payments import PaymentSucceeded

from bookings_service.main import Topics, build_worker
from bookings_service.testing import event_created
from bookings_service.timers.deadlines import Deadlines

pytestmark = pytest.mark.integration

URL = "/api/v1/bookings/"


class Feed:
    """Produces to and reads from the test's topics."""

    def __init__(self, settings, names: Topics):
        self.settings, self.names = settings, names
        self.seen: dict[str, list[Envelope]] = {}

    async def __aenter__(self) -> Feed:
        servers = self.settings.kafka_bootstrap_servers
        self.producer = AIOKafkaProducer(bootstrap_servers=servers, **self.settings.kafka_client_options())
        self.consumer = AIOKafkaConsumer(self.names.bookings, self.names.events_commands,
                                         self.names.payments_commands, bootstrap_servers=servers,
                                         auto_offset_reset="earliest", group_id=None,
                                         **self.settings.kafka_client_options())
        await self.producer.start()
        await self.consumer.start()
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self.reader.cancel()
        await self.consumer.stop()
        await self.producer.stop()

    async def _read(self) -> None:
        async for record in self.consumer:
            envelope = Envelope.from_bytes(record.value)
            assert record.key == envelope.aggregate_id.encode()
            self.seen.setdefault(record.topic, []).append(envelope)

    async def send(self, topic: str, *envelopes: Envelope) -> None:
        for envelope in envelopes:
            await self.producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.kafka_key())

    def of(self, topic: str, type_: str, **payload) -> list[Envelope]:
        return [e for e in self.seen.get(topic, []) if e.type == type_
                and all(e.payload.get(k) == v for k, v in payload.items())]

    async def wait_for(self, topic: str, type_: str, n: int = 1, timeout: float = 20, **payload) -> list[Envelope]:
        deadline = time.monotonic() + timeout
        while len(found := self.of(topic, type_, **payload)) < n:
            assert time.monotonic() < deadline, f"no {type_} {payload} on {topic}; saw {self.seen}"
            await asyncio.sleep(0.05)
        return found


async def until(check: Callable[[], object], timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.05)
    return result


def test_the_saga_over_kafka(client, settings, issuer, organizer, names):
    c = client
    free = event_created(organizer=organizer.user_id, capacity=1)
    paid = event_created(organizer=organizer.user_id, is_paid=True, price="15.00", currency="EUR",
                         methods=("sandbox",), capacity=5)
    free_id, paid_id = free.payload["event_id"], paid.payload["event_id"]

    def status(who, booking: dict) -> str:
        return c.get(f"{URL}{booking['id']}", headers=who.headers).json()["status"]

    def book(who, event_id: str, **extra) -> dict:
        response = c.post(URL, json={"event_id": event_id, **extra}, headers=who.headers)
        return response.json() if response.status_code == 202 else {}

    async def scenario() -> None:
        alice, bob = caller(issuer, "participant"), caller(issuer, "participant")
        worker = build_worker(settings, names=names)
        await worker.start()
        try:
            async with Feed(settings, names) as feed:
                await feed.send(names.events, free, paid)
                first = await until(lambda: book(alice, free_id))

                # Step 1 → ReserveSeats to the event; step 2 (free) → confirmed. Answers arrive twice.
                (reserve,) = await feed.wait_for(names.events_commands, "ReserveSeats", booking_id=first["id"])
                assert reserve.aggregate_id == free_id and reserve.payload["attempt"] == 1
                answer = wrap(SeatsReserved(event_id=free_id, booking_id=first["id"], seats=1, seats_available=0),
                              aggregate_id=free_id, aggregate_version=2)
                await feed.send(names.events, answer, answer)
                await until(lambda: status(alice, first) == "confirmed")

                # Step 3: full → waitlisted at position 1.
                second = await asyncio.to_thread(book, bob, free_id)
                await feed.wait_for(names.events_commands, "ReserveSeats", booking_id=second["id"])
                rejected = wrap(SeatsRejected(event_id=free_id, booking_id=second["id"], seats=1, reason="full",
                                              seats_available=0), aggregate_id=free_id, aggregate_version=3)
                await feed.send(names.events, rejected, rejected)
                (waitlisted,) = await feed.wait_for(names.bookings, "BookingWaitlisted", booking_id=second["id"])
                assert waitlisted.payload["position"] == 1

                # Step 5/6: alice cancels → ReleaseSeats; the release promotes bob (ReserveSeats attempt 2).
                await asyncio.to_thread(c.post, f"{URL}{first['id']}/cancel", headers=alice.headers)
                (release,) = await feed.wait_for(names.events_commands, "ReleaseSeats", booking_id=first["id"])
                assert release.aggregate_id == free_id
                freed = wrap(SeatsReleased(event_id=free_id, booking_id=first["id"], seats=1, seats_available=1),
                             aggregate_id=free_id, aggregate_version=4)
                await feed.send(names.events, freed, freed)
                (again,) = await feed.wait_for(names.events_commands, "ReserveSeats", attempt=2)
                assert again.payload["booking_id"] == second["id"]
                await feed.wait_for(names.bookings, "BookingPromoted", booking_id=second["id"])

                # Paid: step 2 → awaiting_payment + RequestPayment addressed to the payment.
                third = await until(lambda: book(alice, paid_id, group_size=2, payment_method="sandbox"))
                await feed.wait_for(names.events_commands, "ReserveSeats", booking_id=third["id"])
                held = wrap(SeatsReserved(event_id=paid_id, booking_id=third["id"], seats=2, seats_available=3),
                            aggregate_id=paid_id, aggregate_version=2)
                await feed.send(names.events, held, held)
                (request,) = await feed.wait_for(names.payments_commands, "RequestPayment", booking_id=third["id"])
                payment_id = request.payload["payment_id"]
                assert request.aggregate_id == payment_id and Decimal(request.payload["amount"]) == Decimal("30.00")

                # Step 4: paid twice (same payment) → confirmed once, nothing refunded.
                paid_msg = wrap(PaymentSucceeded(payment_id=payment_id, booking_id=third["id"], user_id=alice.user_id,
                                                 amount=Decimal("30.00"), currency="EUR"),
                                aggregate_id=payment_id, aggregate_version=2)
                await feed.send(names.payments, paid_msg, paid_msg)
                await until(lambda: status(alice, third) == "confirmed")

                # Step 4 (deadline): a hold the timer finds lapsed → expired + ReleaseSeats.
                fourth = await asyncio.to_thread(book, bob, paid_id, payment_method="sandbox")
                await feed.wait_for(names.events_commands, "ReserveSeats", booking_id=fourth["id"])
                await feed.send(names.events, wrap(SeatsReserved(event_id=paid_id, booking_id=fourth["id"], seats=1,
                                                                 seats_available=2),
                                                   aggregate_id=paid_id, aggregate_version=3))
                await feed.wait_for(names.bookings, "BookingAwaitingPayment", booking_id=fourth["id"])
                container = client.app.state.container
                # Only the hold deadline is under test: the promoted booking, still unanswered, is not re-driven.
                deadlines = Deadlines(container.bookings, container.query, container.rules.current,
                                      stuck_after=timedelta(days=1))
                later = datetime.now(UTC) + timedelta(hours=1)
                await until(lambda: deadlines.tick(later)["expired"] == 1)
                await feed.wait_for(names.events_commands, "ReleaseSeats", booking_id=fourth["id"])
                assert status(bob, fourth) == "expired"

                # Let any duplicate reactions surface, then count: each command exactly once.
                await asyncio.sleep(1.0)
                for type_, booking in (("ReserveSeats", first), ("ReleaseSeats", first), ("ReserveSeats", third),
                                       ("ReleaseSeats", fourth)):
                    assert len(feed.of(names.events_commands, type_, booking_id=booking["id"])) == 1, type_
                assert len(feed.of(names.payments_commands, "RequestPayment")) == 2
                assert feed.of(names.payments_commands, "RefundPayment") == []
                assert len(feed.of(names.bookings, "BookingConfirmed", booking_id=third["id"])) == 1
                assert len(feed.of(names.events_commands, "ReserveSeats", booking_id=second["id"])) == 2
        finally:
            await worker.stop()

    asyncio.run(scenario())
