"""`planner-ops tail`: envelopes of a topic, filtered by type, key and correlation id; it moves no offsets."""

from __future__ import annotations

import asyncio

import pytest

from spine.settings import InfraSettings
from spine.testing import create_topics, unique_topic

from ops_support import envelope, planner_ops, send

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def topic():
    name = unique_topic("ops_tail")
    create_topics(name, partitions=3)
    ada, bob = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    asyncio.run(send(InfraSettings(), name,
                     envelope("Registered", aggregate_id=ada, correlation_id="c-1", name="Ada"),
                     envelope("Renamed", aggregate_id=ada, version=2, correlation_id="c-2", name="Ada L."),
                     envelope("Registered", aggregate_id=bob, correlation_id="c-3", name="Bob"),
                     b"not json at all"))
    return name, ada, bob


def test_from_the_beginning_everything_including_what_is_not_an_envelope(topic):
    name, _, _ = topic
    ran = planner_ops("tail", name, "--from-beginning", "--no-follow")
    assert ran.code == 0, ran.stderr
    docs = ran.json_lines()
    assert sorted(d.get("type", "?") for d in docs) == ["?", "Registered", "Registered", "Renamed"]
    assert [d["not_an_envelope"] for d in docs if "type" not in d] == ["not json at all"]
    assert all({"partition", "offset", "key"} <= d.keys() for d in docs)
    assert "4 envelope(s)" in ran.stderr


def test_filters_by_type_key_and_correlation_id(topic):
    name, ada, bob = topic
    by_type = planner_ops("tail", name, "--from-beginning", "--no-follow", "--type", "Registered").json_lines()
    assert sorted(d["payload"]["name"] for d in by_type) == ["Ada", "Bob"]
    by_key = planner_ops("tail", name, "--from-beginning", "--no-follow", "--key", ada).json_lines()
    assert [d["payload"]["name"] for d in by_key] == ["Ada", "Ada L."]  # one key, one partition, in order
    both = planner_ops("tail", name, "--from-beginning", "--no-follow", "--key", ada, "--type", "Registered")
    assert [d["payload"]["name"] for d in both.json_lines()] == ["Ada"]
    by_correlation = planner_ops("tail", name, "--from-beginning", "--no-follow", "-c", "c-3").json_lines()
    assert [(d["aggregate_id"], d["correlation_id"]) for d in by_correlation] == [(bob, "c-3")]


def test_without_from_beginning_only_new_envelopes(topic):
    name, _, _ = topic
    ran = planner_ops("tail", name, "--no-follow")
    assert ran.code == 0 and ran.stdout == ""


def test_follow_prints_envelopes_as_they_arrive():
    name = unique_topic("ops_follow")
    create_topics(name, partitions=1)

    async def scenario():
        import sys

        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "planner_ops", "--profile", "test", "tail", name, "--limit", "1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            # Until the tail is reading, what is sent is before its start: keep sending until it prints one.
            async def keep_sending():
                while True:
                    await send(InfraSettings(), name, envelope("Ping", n=1))
                    await asyncio.sleep(0.5)

            sender = asyncio.create_task(keep_sending())
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            sender.cancel()
        finally:
            if proc.returncode is None:
                proc.kill()
        assert proc.returncode == 0, err
        (line,) = out.decode().splitlines()
        assert '"type": "Ping"' in line

    asyncio.run(scenario())
