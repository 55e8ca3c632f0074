"""Print the envelopes on a Kafka topic from offset 0, one JSON document per line, then exit.

    python -m deploy.read_topic users.v1                # everything so far, every partition
    python -m deploy.read_topic events.v1 --type EventCreated --timeout 10
    python -m deploy.read_topic bookings.v1 --follow    # keep printing until Ctrl-C

Reads without a consumer group, so it never moves any service's committed offsets.
The broker defaults to $KAFKA_BOOTSTRAP_SERVERS (deploy/env.sh sets it for the chosen EP_PROFILE); it
authenticates as $KAFKA_USERNAME (deploy/env.sh: the read-only `ops` principal for `make run`'s profile).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from aiokafka import AIOKafkaConsumer
from contracts.envelope import Envelope
from pydantic import ValidationError
from spine.settings import InfraSettings


def render(message, raw: bool) -> str:
    """One output line: the envelope (or, for anything else on the topic, what it is) plus where it sat."""
    where = {"partition": message.partition, "offset": message.offset,
             "key": message.key.decode(errors="replace") if message.key else None}
    if raw:
        return json.dumps({**where, "value": message.value.decode(errors="replace")}, ensure_ascii=False)
    try:
        envelope = Envelope.from_bytes(message.value)
    except ValidationError:
        return json.dumps({**where, "not_an_envelope": message.value.decode(errors="replace")}, ensure_ascii=False)
    return json.dumps({**where, **envelope.model_dump(mode="json")}, ensure_ascii=False)


async def read(topic: str, bootstrap: str, timeout: float, follow: bool, types: set[str], raw: bool) -> int:
    """Print every message of `topic`; stop after `timeout` seconds without a new one (unless following)."""
    # No group: nothing is committed, every partition is read, and "earliest" means offset 0.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", **InfraSettings().kafka_client_options())
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            print(f"topic {topic!r} does not exist on {bootstrap}", file=sys.stderr)
            return 2
        consumer.subscribe([topic])
        count = 0
        while True:
            batch = await consumer.getmany(timeout_ms=int(timeout * 1000))
            if not batch and not follow:
                break
            for messages in batch.values():
                for message in messages:
                    line = render(message, raw)
                    if types and json.loads(line).get("type") not in types:
                        continue
                    print(line, flush=True)
                    count += 1
        print(f"{count} message(s) on {topic}", file=sys.stderr)
        return 0
    finally:
        await consumer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic", help="e.g. users.v1, events.v1, events.commands.v1, users.v1.dlq")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:59092"))
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds without a new message before exiting")
    parser.add_argument("--follow", action="store_true", help="keep waiting for new messages")
    parser.add_argument("--type", action="append", default=[], help="only envelopes of this type (repeatable)")
    parser.add_argument("--raw", action="store_true", help="print values as they are, without parsing")
    args = parser.parse_args()
    try:
        return asyncio.run(read(args.topic, args.bootstrap, args.timeout, args.follow, set(args.type), args.raw))
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # piped into `head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
