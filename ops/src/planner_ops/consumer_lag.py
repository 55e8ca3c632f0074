"""How far consumer groups (committed offsets, from Kafka) and projections (positions stored beside their
views) are behind their topics: messages, and the age of the oldest unconsumed message (its Kafka timestamp).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata as MemberMetadata

from planner_ops import kafka
from planner_ops.config import Ops


@dataclass
class TopicLag:
    """How far one reader (a consumer group or a projection) is behind one topic."""

    kind: str  # "group" or "projection"
    name: str
    topic: str
    lag: int
    oldest_unconsumed_seconds: float | None
    partitions_behind: int
    members: int | None = None
    database: str | None = None


def _age(now: float, ms: int | None) -> float | None:
    return None if ms is None else round(max(0.0, now - ms / 1000), 1)


Reader = tuple[str, str, str | None]  # (kind, name, database)


async def _groups(admin) -> tuple[dict[Reader, dict[TopicPartition, int]], dict[Reader, set[str]], dict[str, int]]:
    """Every consumer group's committed offsets, subscribed topics (a group that has not committed yet still
    shows) and number of members."""
    positions: dict[Reader, dict[TopicPartition, int]] = {}
    subscribed: dict[Reader, set[str]] = {}
    members: dict[str, int] = {}
    for group_id in sorted(g[0] for g in await admin.list_consumer_groups()):
        key = ("group", group_id, None)
        # One group per request: aiokafka 0.14 decodes a DescribeGroups v3 answer with its v2 schema, which
        # happens to fit one group and breaks on several ("Buffer underrun", connection closed).
        for response in await admin.describe_consumer_groups([group_id]):
            for group in response.groups:  # (error, id, state, protocol type, protocol, members, ...)
                members[group_id] = len(group[5])
                for member in group[5]:  # (id, client id, host, metadata, assignment)
                    try:
                        subscribed.setdefault(key, set()).update(MemberMetadata.decode(member[3]).subscription)
                    except Exception:  # noqa: BLE001 — not a consumer-protocol member: its commits still count
                        pass
        for tp, meta in (await admin.list_consumer_group_offsets(group_id)).items():
            if meta.offset >= 0:
                positions.setdefault(key, {})[tp] = meta.offset
        positions.setdefault(key, {})
    return positions, subscribed, members


async def kafka_lag(ops: Ops, projections: dict[str, list[tuple[str, str, int, int]]]) -> list[TopicLag]:
    """Consumer groups (committed offsets) and projections (stored positions) against the end offsets."""
    async with kafka.admin(ops.settings) as admin, kafka.reader(ops.settings) as consumer:
        positions, subscribed, members = await _groups(admin)
        for db, rows in projections.items():
            for projection, topic, partition, next_offset in rows:
                positions.setdefault(("projection", projection, db), {})[TopicPartition(topic, partition)] = \
                    next_offset
        topics_of = {key: {tp.topic for tp in pos} | subscribed.get(key, set()) for key, pos in positions.items()}
        tps = await kafka.topic_partitions(consumer, sorted(set().union(*topics_of.values())))
        ends = await consumer.end_offsets(tps) if tps else {}
        # The oldest unconsumed record of each reader: read the record at its position (one fetch per partition).
        wanted = {(tp, positions[key].get(tp, 0)) for key, topics in topics_of.items() for tp in tps
                  if tp.topic in topics and positions[key].get(tp, 0) < ends[tp]}
        stamps: dict[tuple[TopicPartition, int], int] = {}
        for batch in _rounds(wanted):
            found = await kafka.first_timestamps(consumer, dict(batch))
            stamps |= {(tp, offset): found[tp] for tp, offset in batch if tp in found}
    now = time.time()
    out = []
    for key in sorted(positions, key=lambda k: (k[0], k[1], k[2] or "")):
        kind, name, database = key
        pos = positions[key]
        for topic in sorted(topics_of[key]):
            lags = {tp: max(0, ends[tp] - pos.get(tp, 0)) for tp in tps if tp.topic == topic}
            oldest = [stamps[(tp, pos.get(tp, 0))] for tp, n in lags.items() if n and (tp, pos.get(tp, 0)) in stamps]
            total = sum(lags.values())
            age = _age(now, min(oldest)) if oldest else (0.0 if total == 0 else None)
            out.append(TopicLag(kind, name, topic, total, age, sum(1 for n in lags.values() if n),
                                members.get(name) if kind == "group" else None, database))
    return out


def _rounds(wanted: set[tuple[TopicPartition, int]]) -> list[list[tuple[TopicPartition, int]]]:
    """Split (partition, offset) pairs so each round seeks every partition at most once."""
    rounds: list[list[tuple[TopicPartition, int]]] = []
    for tp, offset in sorted(wanted, key=lambda x: (x[0].topic, x[0].partition, x[1])):
        for r in rounds:
            if all(t != tp for t, _ in r):
                r.append((tp, offset))
                break
        else:
            rounds.append([(tp, offset)])
    return rounds
