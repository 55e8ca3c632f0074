"""`planner-ops lag`: how far behind everything is, relays first.

* Relays (from each service's database): the relay's recorded position against the newest record of its
  event store; `behind` counts records after the position and `oldest unpublished` is the age of the first
  of them (when it happened). Records parked in `spine_relay_parked` are counted too. A relay stuck behind
  one record — the failure that once stalled every booking for an hour while health said "ok", consumer lag
  was 0 and the DLQs were empty — shows here as PARKED, or as STUCK when its oldest unpublished record is
  older than `--stale`; those rows come first.
* Consumer groups (from Kafka): each group's committed offsets against the topics' end offsets, with the
  age of the oldest unconsumed message (its Kafka timestamp) and how many members the group has now (0: no
  process is consuming).
* Projections (from each service's database): the position stored beside each read model (what the
  projection really applied; the worker seeks to it on start) against the end offsets, same age measure.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from aiokafka import TopicPartition
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata as MemberMetadata
from contracts.access import SERVICES
from rich.console import Console
from rich.table import Table

from planner_ops import kafka, stores
from planner_ops.config import Ops
from planner_ops.durations import parse_duration

EXAMPLES = """
Examples:

# the run profile: relays, consumer groups, projections

    planner-ops lag

# machine-readable, e.g. for a monitoring check

    planner-ops --profile test lag --json

# one database, STUCK after 10 s

    planner-ops lag --database bookings --stale 10s
"""


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
        for database, rows in projections.items():
            for projection, topic, partition, next_offset in rows:
                positions.setdefault(("projection", projection, database), {})[TopicPartition(topic, partition)] = \
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


def relay_status(r: stores.RelayState, stale: float, now: datetime) -> str:
    if r.parked:
        return "PARKED"
    if r.behind and r.oldest_unpublished is not None and (now - r.oldest_unpublished).total_seconds() >= stale:
        return "STUCK"
    return "behind" if r.behind else "ok"


def _relay_row(r: stores.RelayState, service: str | None, stale: float, now: datetime) -> dict[str, Any]:
    age = (now - r.oldest_unpublished).total_seconds() if r.oldest_unpublished else (None if r.behind else 0.0)
    return {"service": service, "database": r.database, "relay": r.relay, "store": r.store, "position": r.position,
            "head": r.head, "behind": r.behind, "oldest_unpublished_seconds": None if age is None else round(age, 1),
            "oldest_unpublished_id": r.oldest_unpublished_id, "parked": r.parked,
            "status": relay_status(r, stale, now)}


def collect(ops: Ops, databases: list[str] | None, stale: float) -> dict[str, Any]:
    """Everything `lag` shows, as plain data (the --json output)."""
    now = datetime.now(UTC)
    relays, projections, skipped = [], {}, []
    targets = [(db, None) for db in databases] if databases else [(ops.database(s), s) for s in ops.services()]
    for database, service in targets:
        expected = tuple(f"relay:{t}" for t in SERVICES[service].produces) if service else ()
        try:
            with stores.connect(ops.settings, database) as conn:
                for r in stores.relay_states(conn, database, expected):
                    relays.append(_relay_row(r, service, stale, now))
                projections[database] = stores.projection_positions(conn)
        except stores.NoDatabase as exc:
            if databases:
                raise
            skipped.append(str(exc))  # a service not deployed here: nothing of it can lag
    order = {"PARKED": 0, "STUCK": 1, "behind": 2, "ok": 3}
    relays.sort(key=lambda r: (order[r["status"]], -(r["behind"] or 0), r["database"], r["relay"]))
    readers = [asdict(t) for t in kafka.run(kafka_lag(ops, projections))]
    readers.sort(key=lambda t: (t["kind"] != "group", -(t["lag"]), t["name"], t["topic"]))
    return {"relays": relays, "consumer_groups": [t for t in readers if t["kind"] == "group"],
            "projections": [t for t in readers if t["kind"] == "projection"], "skipped": skipped}


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def show(report: dict[str, Any], console: Console) -> None:
    relays = Table(title="Relays: event store → topic (age = oldest unpublished record)", title_justify="left")
    for col in ("status", "database", "relay", "position", "head", "behind", "age s", "parked"):
        relays.add_column(col, justify="right" if col in ("position", "head", "behind", "age s", "parked") else "left")
    style = {"PARKED": "bold red", "STUCK": "bold red", "behind": "yellow", "ok": "green"}
    for r in report["relays"]:
        relays.add_row(f"[{style[r['status']]}]{r['status']}[/]", r["database"], r["relay"], str(r["position"]),
                       str(r["head"]), str(r["behind"]), _seconds(r["oldest_unpublished_seconds"]), str(r["parked"]))
    console.print(relays)
    for note in report.get("skipped", ()):
        console.print(f"[dim]skipped: {note}[/]")
    for key, title in (("consumer_groups", "Consumer groups: committed offsets (age = oldest unconsumed message)"),
                       ("projections", "Projections: positions stored with the views (age = oldest unconsumed message)")):
        table = Table(title=title, title_justify="left")
        first = "group" if key == "consumer_groups" else "projection"
        for col in (first, "topic", "lag", "age s", "partitions behind", "members" if first == "group" else "database"):
            table.add_column(col, justify="left" if col in (first, "topic", "database") else "right")
        for t in report[key]:
            lag_text = f"[yellow]{t['lag']}[/]" if t["lag"] else "0"
            last = str(t["members"]) if first == "group" else t["database"]
            if first == "group" and t["members"] == 0 and t["lag"]:
                last = "[bold red]0[/]"
            table.add_row(t["name"], t["topic"], lag_text, _seconds(t["oldest_unconsumed_seconds"]),
                          str(t["partitions_behind"]), last)
        console.print(table)


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def lag(ctx: typer.Context,
            as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
            database: Annotated[list[str] | None, typer.Option(
                "--database", "-d", help="look at this database's relays and projections (repeatable; default: "
                                         "every service's)")] = None,
            stale: Annotated[str, typer.Option(help="a relay whose oldest unpublished record is older is STUCK")] = "30s",
            check: Annotated[bool, typer.Option("--check", help="exit 1 when a relay is PARKED or STUCK "
                                                                 "(cron, monitoring)")] = False,
            ) -> None:
        """How far every relay, consumer group and projection is behind, in messages and seconds."""
        ops: Ops = ctx.obj
        report = collect(ops, database, parse_duration(stale))
        if as_json:
            typer.echo(json.dumps(report, indent=2, default=str))
        else:
            show(report, Console())
        if check and any(r["status"] in ("PARKED", "STUCK") for r in report["relays"]):
            raise typer.Exit(1)
