"""One reader of a service's notification log feeds all of its topics: real PostgreSQL and Kafka.

Given an application publishing to two topics (its events, and "commands" for some of them), a worker runs
one log reader for both relays: each topic gets exactly what its translator publishes, in order; each
relay's position is stored; a restart resumes from the stored positions without losing anything; a relay
that was behind (positions recorded apart, as separate relays used to) catches up without re-publishing
what the other relay already sent.
"""

from __future__ import annotations

import asyncio
import functools

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking

from contracts import Envelope
from contracts.topics import dlq
from contracts.users import UserRegistered
from spine.eventstore import ServiceApplication, postgres_env
from spine.logreader import LogReader
from spine.relay import Relay
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, read_topic, unique_topic
from spine.worker import Worker

pytestmark = pytest.mark.integration


class Member(Aggregate):
    @event("Joined")
    def __init__(self, email: str):
        self.email = email


class Club(ServiceApplication):
    name = "club"


@functools.singledispatch
def to_public(domain_event):
    return None


@to_public.register
def _(domain_event: Member.Joined):
    return UserRegistered(user_id=domain_event.originator_id, email=domain_event.email, full_name="M",
                          role="participant", registered_at=domain_event.timestamp)


@functools.singledispatch
def to_command(domain_event):
    """Publishes only the members whose address is at example.org (another topic's share of the log)."""
    return None


@to_command.register
def _command(domain_event: Member.Joined):
    return to_public(domain_event) if domain_event.email.endswith("@example.org") else None


@pytest.fixture
def world():
    settings = InfraSettings()
    with fresh_database("logreader") as db:
        events, commands = unique_topic("lr-events"), unique_topic("lr-commands")
        create_topics(events, dlq(events), commands, dlq(commands), partitions=1)
        yield settings, events, commands, Club(env=postgres_env(db, settings))


def emails(records) -> list[str]:
    return [Envelope.from_bytes(r.value).payload["email"] for r in records]


def test_one_reader_routes_each_event_to_its_topics_and_stores_both_positions(world):
    settings, events_topic, commands_topic, app = world
    for i in range(6):
        app.save(Member(f"m{i}@example.{'org' if i % 2 else 'com'}"))

    async def scenario():
        worker = (Worker("club", settings).add_relay(Relay(app, events_topic, to_public, settings))
                  .add_relay(Relay(app, commands_topic, to_command, settings)))
        assert len(worker.log_readers()) == 1
        await worker.start()
        try:
            got_events = await read_topic(settings, events_topic, 6)
            got_commands = await read_topic(settings, commands_topic, 3)
            app.save(Member("late@example.org"))  # after it caught up: the NOTIFY wakes it
            more = await read_topic(settings, commands_topic, 4)
        finally:
            await worker.stop()
        return got_events, got_commands, more, worker.relays

    got_events, got_commands, more, relays = asyncio.run(scenario())
    assert emails(got_events) == [f"m{i}@example.{'org' if i % 2 else 'com'}" for i in range(6)]
    assert emails(got_commands) == ["m1@example.org", "m3@example.org", "m5@example.org"]
    assert emails(more)[-1] == "late@example.org"
    head = app.recorder.max_notification_id()
    assert [r.position() for r in relays] == [head, head]  # stored on the way out at the latest


def test_a_relay_that_was_behind_catches_up_without_the_other_publishing_again(world):
    settings, events_topic, commands_topic, app = world
    for i in range(4):
        app.save(Member(f"b{i}@example.org"))
    head = app.recorder.max_notification_id()
    # The events relay had published everything before; the commands relay nothing (separate relays' past).
    app.process_recorder.insert_tracking(Tracking(f"relay:{events_topic}", head))

    async def scenario():
        reader = LogReader([Relay(app, events_topic, to_public, settings),
                            Relay(app, commands_topic, to_command, settings)])
        stop = asyncio.Event()
        task = asyncio.create_task(reader.run(stop))
        commands = await read_topic(settings, commands_topic, 4)
        events = await read_topic(settings, events_topic, 1, timeout=2.0)
        stop.set()
        await task
        return commands, events, reader.relays

    commands, events, relays = asyncio.run(scenario())
    assert emails(commands) == [f"b{i}@example.org" for i in range(4)]
    assert events == []
    assert [r.position() for r in relays] == [head, head]
