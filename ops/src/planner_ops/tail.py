"""`planner-ops tail`: envelopes on a topic as they arrive, one JSON document per line (stdout).

Reads without a consumer group, so no service's committed offsets move. Each line is the envelope with
where it sat (partition, offset, key); anything on the topic that is not an envelope (a DLQ marker, bytes
a producer got wrong) is shown as `not_an_envelope`. The count goes to stderr at the end.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from contracts.envelope import Envelope

from planner_ops import kafka
from planner_ops.config import Ops

EXAMPLES = """
Examples:

# new envelopes until Ctrl-C

    planner-ops tail bookings.v1

# everything so far, then exit

    planner-ops tail users.v1 --from-beginning --no-follow

# one booking's story, only confirmations

    planner-ops tail bookings.v1 --from-beginning -c <id> -t BookingConfirmed
"""


def render(record: ConsumerRecord, raw: bool = False) -> dict:
    """One output document: the envelope (or what the bytes are) plus its partition, offset and key; on a DLQ
    also its headers (the error, the original topic/partition/offset)."""
    where = {"partition": record.partition, "offset": record.offset,
             "key": record.key.decode(errors="replace") if record.key else None}
    if record.topic.endswith(".dlq") and record.headers:
        where["headers"] = {k: (v or b"").decode(errors="replace") for k, v in record.headers}
    if raw:
        return {**where, "value": record.value.decode(errors="replace")}
    try:
        envelope = Envelope.from_bytes(record.value)
    except (ValidationError, ValueError, TypeError):
        return {**where, "not_an_envelope": (record.value or b"").decode(errors="replace")}
    return {**where, **envelope.model_dump(mode="json")}


def matches(doc: dict, types: set[str], key: str | None, correlation_id: str | None) -> bool:
    """Whether a rendered document passes the filters (each given filter must hold)."""
    if types and doc.get("type") not in types:
        return False
    if key is not None and doc.get("key") != key:
        return False
    return correlation_id is None or doc.get("correlation_id") == correlation_id


async def follow(ops: Ops, topic: str, *, from_beginning: bool, keep_following: bool, types: set[str],
                 key: str | None, correlation_id: str | None, raw: bool, limit: int | None) -> int:
    """Print matching envelopes; without `keep_following`, stop at the end offsets seen at the start."""
    async with kafka.reader(ops.settings) as consumer:
        tps = await kafka.partitions(consumer, topic)
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        count = 0
        while keep_following or pending:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if not keep_following and record.offset >= ends[tp]:
                        continue
                    doc = render(record, raw)
                    if matches(doc, types, key, correlation_id):
                        print(json.dumps(doc, ensure_ascii=False), flush=True)
                        count += 1
                        if limit is not None and count >= limit:
                            return count
            if not keep_following:
                pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return count


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def tail(ctx: typer.Context,
             topic: Annotated[str, typer.Argument(help="e.g. users.v1, events.commands.v1, bookings.v1.dlq")],
             from_beginning: Annotated[bool, typer.Option("--from-beginning", help="start at offset 0")] = False,
             follow_: Annotated[bool, typer.Option("--follow/--no-follow",
                                                   help="keep waiting for new envelopes, or stop at the end")] = True,
             type_: Annotated[list[str] | None, typer.Option("--type", "-t",
                                                             help="only this type (repeatable)")] = None,
             key: Annotated[str | None, typer.Option("--key", "-k", help="only this Kafka key (aggregate id)")] = None,
             correlation_id: Annotated[str | None, typer.Option("--correlation-id", "-c",
                                                                help="only this correlation id")] = None,
             limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="stop after N envelopes")] = None,
             raw: Annotated[bool, typer.Option("--raw", help="print values as they are, without parsing")] = False,
             ) -> None:
        """Print envelopes on TOPIC as they arrive, one JSON document per line."""
        ops: Ops = ctx.obj
        try:
            count = kafka.run(follow(ops, topic, from_beginning=from_beginning, keep_following=follow_,
                                     types=set(type_ or ()), key=key, correlation_id=correlation_id, raw=raw,
                                     limit=limit))
        except BrokenPipeError:  # piped into `head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        typer.echo(f"{count} envelope(s) on {topic}", err=True)
