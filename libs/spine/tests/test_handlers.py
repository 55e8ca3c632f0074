"""Handlers that change aggregates: the change and the Kafka position commit together (real PG + Kafka)."""

from __future__ import annotations

import asyncio
import time
from uuid import NAMESPACE_URL, uuid5

import pytest
from aiokafka import AIOKafkaProducer
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking

from contracts import Envelope
from contracts.topics import dlq
from spine.eventstore import ServiceApplication, postgres_env
from spine.handlers import HandlerSink
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, unique_topic
from spine.worker import Worker

pytestmark = pytest.mark.integration


class Tally(Aggregate):
    """Counts the messages applied to it: any double application shows."""

    @event("Started")
    def __init__(self):
        self.count = 0

    @event("Counted")
    def count_one(self):
        self.count += 1


TALLY_ID = uuid5(NAMESPACE_URL, "/tally")


class Tallies(ServiceApplication):
    name = "tallies"


class CountCommands:
    name = "count"

    def __init__(self, app: Tallies, topic: str):
        self.app = app
        self.topics = (topic,)

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        if envelope.type == "Explode":
            raise RuntimeError("handler bug")
        tally = self.app.repository.get(TALLY_ID)
        tally.count_one()
        self.app.save_tracked(tally, tracking=tracking)


@pytest.fixture
def app():
    with fresh_database("handlers") as db:
        a = Tallies(env=postgres_env(db))
        tally = Tally._create(Tally.Started, id=TALLY_ID)  # one tally with a known id
        a.save(tally)
        yield a


def command(kind: str = "Count") -> Envelope:
    return Envelope(type=kind, aggregate_id=str(TALLY_ID))


def test_redelivered_message_changes_nothing(app):
    sink = HandlerSink(CountCommands(app, "t"), app)
    batch = [(0, command()), (1, command())]
    sink.apply("t", 0, batch)
    sink.apply("t", 0, batch)  # the same offsets again, as after a crash before the Kafka commit
    assert app.repository.get(TALLY_ID).count == 2
    assert sink.next_offsets("t") == {0: 2}


def test_handler_through_kafka_with_poison_to_dlq(app):
    settings = InfraSettings()
    topic = unique_topic("handlers")
    create_topics(topic, dlq(topic), partitions=1)
    handler = CountCommands(app, topic)

    async def scenario():
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                    **settings.kafka_client_options())
        await producer.start()
        for kind in ["Count"] * 5 + ["Explode"] + ["Count"] * 4:
            await producer.send_and_wait(topic, command(kind).to_bytes(), key=b"k")
        await producer.stop()
        worker = Worker("tallies", settings).add_handler(handler, app)
        await worker.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and HandlerSink(handler, app).next_offsets(topic).get(0) != 10:
            await asyncio.sleep(0.1)
        await worker.stop()
        # Restart: positions come from the database, nothing is applied again.
        worker = Worker("tallies", settings).add_handler(handler, app)
        await worker.start()
        await asyncio.sleep(2)
        await worker.stop()

    asyncio.run(scenario())
    assert app.repository.get(TALLY_ID).count == 9


class CountInBatches(CountCommands):
    """Same effect, one load and one save per fetched batch."""

    name = "count-batches"

    def __init__(self, app, topic):
        super().__init__(app, topic)
        self.batches = []

    def handle_batch(self, envelopes: list[Envelope], tracking: Tracking) -> None:
        self.batches.append(len(envelopes))
        if any(e.type == "Explode" for e in envelopes):
            raise RuntimeError("handler bug")
        tally = self.app.repository.get(TALLY_ID)
        for _ in envelopes:
            tally.count_one()
        self.app.save_tracked(tally, tracking=tracking)


def test_batch_handler_applies_each_message_once_and_isolates_poison(app):
    handler = CountInBatches(app, "t")
    sink = HandlerSink(handler, app)
    batch = [(o, command()) for o in range(5)]
    sink.apply("t", 0, batch)
    sink.apply("t", 0, batch + [(5, command())])  # a redelivery overlapping new messages
    assert app.repository.get(TALLY_ID).count == 6
    assert handler.batches == [5, 1]
    assert sink.next_offsets("t") == {0: 6}
