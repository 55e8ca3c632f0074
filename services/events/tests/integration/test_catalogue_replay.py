"""The catalogue view against real PostgreSQL and Kafka: replay while serving, verify, version bump, read-your-writes.

A real events worker (relay + catalogue projector) runs on throwaway topics; the API reads the same database.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest

from contracts.topics import dlq
from spine.replay import replay, verify
from spine.testing import create_topics, unique_topic
from spine.worker import Worker

from events_service.bootstrap import build_events
from events_service.domain import Actor, EventDetails
from events_service.main import build_worker
from events_service.projections.catalogue import CatalogueProjection

pytestmark = pytest.mark.integration

URL = "/api/v1/events/"


@pytest.fixture
def topics_for_test():
    events, commands, users = unique_topic("events"), unique_topic("events-commands"), unique_topic("users")
    create_topics(events, dlq(events), commands, dlq(commands), users, dlq(users), partitions=3)
    return events, commands, users


def details(i: int) -> EventDetails:
    return EventDetails(title=f"Replay meetup {i}", start_time=datetime.now(UTC) + timedelta(days=1, minutes=i),
                        duration_minutes=60, max_participants=10 + i % 5)


def catalogue_ids(settings) -> set:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        return {row[0] for row in conn.execute("SELECT event_id FROM catalogue")}


def catalogue_count(settings) -> int:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        return conn.execute("SELECT count(*) FROM catalogue").fetchone()[0]


async def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def test_replay_while_writes_go_on_serves_throughout_and_ends_equal_to_a_rebuild(settings, client, topics_for_test):
    events_topic, commands_topic, users_topic = topics_for_test
    app = build_events(settings)
    organizer = Actor(uuid4())
    ids = [app.schedule_event(details(i), created_by=organizer.user_id).id for i in range(60)]
    for event_id in ids[:20]:
        app.update_event(event_id, {"max_participants": 30}, actor=organizer)
    for event_id in ids[20:25]:
        app.cancel_event(event_id, actor=organizer, reason="rain")
    stop = threading.Event()
    seen: list[tuple[int, int]] = []  # (status, X-Total-Count) of every list read during the replay
    written = [len(ids)]

    def write() -> None:  # new events and edits while the replay runs
        i = len(ids)
        while not stop.is_set():
            new = app.schedule_event(details(i), created_by=organizer.user_id).id
            app.update_event(new, {"title": f"Edited {i}"}, actor=organizer)
            written[0] += 1
            i += 1
            time.sleep(0.02)

    def read() -> None:
        while not stop.is_set():
            response = client.get(URL, params={"limit": 5, "include_cancelled": "true"})
            seen.append((response.status_code, int(response.headers.get("X-Total-Count", -1))))
            time.sleep(0.01)

    async def scenario():
        worker = build_worker(settings, topic=events_topic, users_topic=users_topic, commands_topic=commands_topic)
        await worker.start()
        try:
            await until(lambda: catalogue_count(settings) == len(ids))
            threads = [threading.Thread(target=write), threading.Thread(target=read)]
            for t in threads:
                t.start()
            try:
                outcome = await replay(CatalogueProjection(events_topic), settings.conninfo(settings.database),
                                       settings)
                await asyncio.sleep(0.5)  # a few more writes after the swap
            finally:
                stop.set()
                for t in threads:
                    t.join()
            await until(lambda: catalogue_count(settings) == written[0])
            return outcome, await verify(CatalogueProjection(events_topic), settings.conninfo(settings.database),
                                         settings)
        finally:
            await worker.stop()

    replayed, verified = asyncio.run(scenario())
    app.close()
    assert replayed.messages >= len(ids) + 25
    assert seen and all(status == 200 for status, _ in seen)
    totals = [total for _, total in seen]
    assert min(totals) >= len(ids), "a list read during the replay saw fewer events than existed before it"
    assert totals == sorted(totals), "the list went backwards during the replay"
    assert verified.differences == []
    assert verified.messages > 0


def test_verify_reports_a_tampered_row_and_a_missing_one(settings, topics_for_test):
    events_topic, commands_topic, users_topic = topics_for_test
    app = build_events(settings)
    ids = [app.schedule_event(details(i), created_by=uuid4()).id for i in range(3)]
    app.close()

    async def scenario():
        worker = build_worker(settings, topic=events_topic, users_topic=users_topic, commands_topic=commands_topic)
        await worker.start()
        try:
            await until(lambda: set(ids) <= catalogue_ids(settings))
            with psycopg.connect(settings.conninfo(settings.database)) as conn:
                conn.execute("UPDATE catalogue SET title = 'Tampered' WHERE event_id = %s", (ids[0],))
                conn.execute("DELETE FROM catalogue WHERE event_id = %s", (ids[1],))
            return await verify(CatalogueProjection(events_topic), settings.conninfo(settings.database), settings)
        finally:
            await worker.stop()

    outcome = asyncio.run(scenario())
    by_key = {d.key: d for d in outcome.differences}
    assert set(by_key) == {str(ids[0]), str(ids[1])}
    tampered = by_key[str(ids[0])]
    assert (tampered.live["title"], tampered.rebuilt["title"]) == ("Tampered", "Replay meetup 0")
    assert "title live='Tampered' rebuilt='Replay meetup 0'" in tampered.describe()
    assert by_key[str(ids[1])].live is None


class CatalogueV2(CatalogueProjection):
    """The same view with a bumped schema version (as after a change to its tables)."""

    version = CatalogueProjection.version + 1


def test_a_view_whose_version_changed_is_rebuilt_from_the_topic_at_start_up(settings, topics_for_test):
    events_topic, _, _ = topics_for_test
    app = build_events(settings)
    from spine.relay import Relay

    from events_service import public
    ids = [app.schedule_event(details(i), created_by=uuid4()).id for i in range(4)]

    def worker_with(view) -> Worker:
        return (Worker("events", settings).add_relay(Relay(app, events_topic, public.to_public, settings,
                                                            address=public.address))
                .add_projection(view, settings.database))

    def rows() -> dict:
        with psycopg.connect(settings.conninfo(settings.database)) as conn:
            return dict(conn.execute("SELECT event_id, title FROM catalogue").fetchall())

    async def run(view, tamper: bool = False) -> dict:
        worker = worker_with(view)
        await worker.start()
        try:
            await until(lambda: set(ids) <= set(rows()))
            if tamper:  # a row the old schema had and the rebuild will not
                with psycopg.connect(settings.conninfo(settings.database)) as conn:
                    conn.execute("UPDATE catalogue SET title = 'Old layout' WHERE event_id = %s", (ids[0],))
            return rows()
        finally:
            await worker.stop()

    with psycopg.connect(settings.conninfo(settings.database), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS catalogue")  # the module's earlier tests used other topics
        conn.execute("DELETE FROM projection_positions WHERE projection = 'catalogue'")
        conn.execute("DELETE FROM projection_versions WHERE projection = 'catalogue'")
        conn.execute("DELETE FROM view_versions WHERE view = 'catalogue'")
    first = asyncio.run(run(CatalogueProjection(events_topic), tamper=True))
    assert first[ids[0]] == "Old layout"
    second = asyncio.run(run(CatalogueV2(events_topic)))
    app.close()
    assert second[ids[0]] == "Replay meetup 0"  # dropped, re-created and rebuilt from offset 0
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        version = conn.execute("SELECT version FROM view_versions WHERE view = 'catalogue'").fetchone()[0]
    assert version == CatalogueV2.version


def test_a_list_after_a_create_shows_it_and_an_unreachable_position_says_stale(settings, client, organizer,
                                                                                topics_for_test):
    events_topic, commands_topic, users_topic = topics_for_test

    async def scenario():
        worker = build_worker(settings, topic=events_topic, users_topic=users_topic, commands_topic=commands_topic)
        await worker.start()
        try:
            body = {"title": "Read your writes", "start_time": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                    "duration_minutes": 30, "max_participants": 5}
            created = await asyncio.to_thread(client.post, URL, json=body, headers=organizer.headers)
            assert created.status_code == 201, created.text
            position = created.headers["X-Event-Position"]
            assert position == f"{created.json()['id']}:1"
            listed = await asyncio.to_thread(client.get, URL, params={"after": position, "q": "Read your writes",
                                                                      "limit": 100})
            by_header = await asyncio.to_thread(client.get, URL, params={"q": "Read your writes"},
                                                headers={"X-Event-Position": position})
            return created.json()["id"], listed, by_header
        finally:
            await worker.stop()

    event_id, listed, by_header = asyncio.run(scenario())
    for response in (listed, by_header):
        assert response.status_code == 200
        assert "X-View-Stale" not in response.headers
        assert event_id in [e["id"] for e in response.json()]

    stale = client.get(URL, params={"after": f"{uuid4()}:1"})  # not in the store: stale at once
    assert stale.status_code == 200 and stale.headers["X-View-Stale"] == "true"
    # Stored but never projected (no worker runs now): the list waits its 2 s, then answers stale.
    unseen = client.post(URL, json={"title": "Unseen", "duration_minutes": 30, "max_participants": 5,
                                    "start_time": (datetime.now(UTC) + timedelta(days=3)).isoformat()},
                         headers=organizer.headers)
    waited = client.get(URL, params={"after": unseen.headers["X-Event-Position"], "q": "Unseen"})
    assert waited.status_code == 200 and waited.headers["X-View-Stale"] == "true" and waited.json() == []
    bad = client.get(URL, params={"after": "not a position"})
    assert bad.status_code == 422
