"""`planner-ops dlq list|retry`: the messages consumers dead-lettered to `<topic>.dlq`, and sending them back.

What a DLQ entry is (spine.consumer): the original record's value and key, with headers `error`,
`original_topic`, `original_partition`, `original_offset` and `consumer_group`. Its id here is its own
place in the DLQ topic, `<partition>:<offset>` (stable: DLQ topics keep everything).

How a retry is recorded: after the original bytes are back on the original topic (acknowledged by the
broker, `acks=all`), a *marker* record is appended to the same DLQ topic, keyed like the entry, with header
`dlq_retried=<partition>:<offset>` of the entry it settles (and `retried_to`, `retried_at`, `retried_by`).
`dlq list` shows the entries that no marker settles. So the list needs nothing but the DLQ topic itself, keeps
the history (who retried what, when, to which offset) and works for a retry of one `--id` among many, which a
committed offset of an ops consumer group could not express. A retried message that fails again is
dead-lettered again by its consumer: a new entry, with the new original offset, so it is back on the list.

A retried message reaches every consumer of the original topic, not only the one that failed: the others
deduplicate it (projections by aggregate version, handlers by the aggregate's state). A crash between the
send and the marker leaves the entry listed, so a second retry sends it once more: harmless for the same
reason. Writing needs a principal that may produce to the original topic and its DLQ: the super user (see
planner_ops.config).
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from rich.console import Console
from rich.table import Table

from contracts.envelope import Envelope
from contracts.topics import dlq as dlq_of

from planner_ops import kafka
from planner_ops.config import Ops
from planner_ops.errors import OpsError, OpsGroup

MARKER = "dlq_retried"
EXAMPLES = """
Examples:

# what bookings.v1's consumers dead-lettered

    planner-ops dlq list bookings.v1

# send one entry back to bookings.v1

    planner-ops dlq retry bookings.v1 --id 2:17

# send every listed entry back

    planner-ops dlq retry bookings.v1
"""


@dataclass
class Entry:
    """One dead-lettered message not yet retried."""

    id: str
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    consumer_group: str | None
    error: str
    dead_lettered_at: str
    key: bytes | None
    value: bytes
    type: str | None
    aggregate_id: str | None

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("key", "value")} | {
            "key": self.key.decode(errors="replace") if self.key else None,
            "value": self.value.decode(errors="replace")}


def _headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: (v or b"").decode(errors="replace") for k, v in (record.headers or ())}


def _topics(topic: str) -> tuple[str, str]:
    """(original, dlq) for either name."""
    original = topic.removesuffix(".dlq")
    return original, dlq_of(original)


async def read_all(consumer: AIOKafkaConsumer, topic: str) -> list[ConsumerRecord]:
    """Every record of `topic` up to its end offsets now."""
    tps = await kafka.partitions(consumer, topic)
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    records: list[ConsumerRecord] = []
    pending = {tp for tp in tps if ends[tp] > await consumer.position(tp)}
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=1000)
        for tp, recs in batch.items():
            records += [r for r in recs if r.offset < ends[tp]]
        pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    return records


def entries(records: list[ConsumerRecord], original: str) -> list[Entry]:
    """The DLQ's entries that no marker settles, oldest first."""
    settled = {_headers(r)[MARKER] for r in records if MARKER in _headers(r)}
    out = []
    for r in sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset)):
        h = _headers(r)
        ident = f"{r.partition}:{r.offset}"
        if MARKER in h or ident in settled:
            continue
        kind: str | None
        aggregate: str | None
        try:
            envelope = Envelope.from_bytes(r.value)
            kind, aggregate = envelope.type, envelope.aggregate_id
        except Exception:  # noqa: BLE001 — undecodable bytes are a reason to be dead-lettered
            kind = aggregate = None
        out.append(Entry(ident, h.get("original_topic", original),
                         int(h["original_partition"]) if h.get("original_partition", "").isdigit() else None,
                         int(h["original_offset"]) if h.get("original_offset", "").isdigit() else None,
                         h.get("consumer_group"), h.get("error", ""),
                         datetime.fromtimestamp(r.timestamp / 1000, UTC).isoformat(timespec="seconds"),
                         r.key, r.value or b"", kind, aggregate))
    return out


async def list_entries(ops: Ops, topic: str) -> list[Entry]:
    original, dead = _topics(topic)
    async with kafka.reader(ops.settings) as consumer:
        await kafka.partitions(consumer, original)  # an unknown original topic is the operator's typo
        return entries(await read_all(consumer, dead), original)


async def retry(ops: Ops, topic: str, ids: list[str]) -> list[tuple[Entry, str]]:
    """Send entries back to their original topic, then mark each retried; returns (entry, where it went)."""
    pending = await list_entries(ops, topic)
    if ids:
        known = {e.id: e for e in pending}
        missing = [i for i in ids if i not in known]
        if missing:
            raise OpsError(f"no such entry in {_topics(topic)[1]}: {', '.join(missing)} (see `planner-ops dlq list`)")
        pending = [known[i] for i in ids]
    done = []
    who = getpass.getuser()
    async with kafka.writer(ops.writer()) as producer:
        for entry in pending:
            headers = [("dlq_retry_of", f"{_topics(topic)[1]}:{entry.id}".encode())]
            try:
                headers += Envelope.from_bytes(entry.value).kafka_headers()
            except Exception:  # noqa: BLE001 — still not an envelope: send the bytes as they were
                pass
            meta = await producer.send_and_wait(entry.original_topic, entry.value, key=entry.key, headers=headers)
            where = f"{meta.topic}[{meta.partition}]@{meta.offset}"
            marker = {"retried": entry.id, "to": where, "at": datetime.now(UTC).isoformat(), "by": who}
            await producer.send_and_wait(
                _topics(topic)[1], json.dumps(marker).encode(), key=entry.key,
                headers=[(MARKER, entry.id.encode()), ("retried_to", where.encode()),
                         ("retried_at", marker["at"].encode()), ("retried_by", who.encode())])
            done.append((entry, where))
    return done


def show(rows: list[Entry], topic: str, console: Console) -> None:
    table = Table(title=f"{_topics(topic)[1]}: {len(rows)} dead-lettered message(s)", title_justify="left")
    for col in ("id", "original", "group", "type", "aggregate", "at", "error"):
        table.add_column(col, overflow="fold")
    for e in rows:
        where = e.original_topic if e.original_offset is None else \
            f"{e.original_topic}[{e.original_partition}]@{e.original_offset}"
        table.add_row(e.id, where, e.consumer_group or "",
                      e.type or "(not an envelope)", e.aggregate_id or "", e.dead_lettered_at, e.error)
    console.print(table)


def register(app: typer.Typer) -> None:

    group = typer.Typer(cls=OpsGroup, no_args_is_help=True, help="Dead-lettered messages: list them, send them back.")
    app.add_typer(group, name="dlq")

    @group.command("list", epilog=EXAMPLES)
    def list_(ctx: typer.Context,
              topic: Annotated[str, typer.Argument(help="the original topic (or its .dlq), e.g. bookings.v1")],
              as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False) -> None:
        """Each dead-lettered message of TOPIC not yet retried: the error, the original offset, the message."""
        rows = kafka.run(list_entries(ctx.obj, topic))
        if as_json:
            for e in rows:
                typer.echo(json.dumps(e.public(), ensure_ascii=False))
        else:
            show(rows, topic, Console())

    @group.command("retry", epilog=EXAMPLES)
    def retry_(ctx: typer.Context,
               topic: Annotated[str, typer.Argument(help="the original topic (or its .dlq)")],
               ids: Annotated[list[str] | None, typer.Option("--id", help="an entry id from `dlq list` (repeatable; "
                                                                           "default: every listed entry)")] = None,
               ) -> None:
        """Send dead-lettered messages back to their original topic; each retried one leaves the list."""
        done = kafka.run(retry(ctx.obj, topic, list(ids or ())))
        for entry, where in done:
            typer.echo(f"retried {entry.id} ({entry.type or 'bytes'}) → {where}")
        typer.echo(f"{len(done)} message(s) sent back", err=True)
