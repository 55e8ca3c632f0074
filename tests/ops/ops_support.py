"""Running `planner-ops` in tests: as a real process (`python -m planner_ops`), against the test profile.

A subprocess, not typer's CliRunner: the commands run their own event loops and the tests run workers in
theirs, and what the operator sees (stdout, stderr, exit code, no traceback) is exactly what is checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def planner_ops(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Ran:
    """Run `planner-ops --profile test ARGS` and capture what the operator would see."""
    done = subprocess.run([sys.executable, "-m", "planner_ops", "--profile", "test", *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=timeout)
    return Ran(done.returncode, done.stdout, done.stderr)


def envelope(type_: str = "Renamed", *, aggregate_id: str | None = None, version: int = 1,
             correlation_id: str | None = None, **payload):
    """A hand-made envelope (the topics here are the test's own; consumers here only read its payload)."""
    from datetime import UTC, datetime
    from uuid import uuid4

    from contracts import Envelope

    return Envelope(event_id=uuid4(), type=type_, version=1, aggregate_id=aggregate_id or str(uuid4()),
                    aggregate_version=version, occurred_at=datetime.now(UTC), correlation_id=correlation_id,
                    payload=payload)


async def send(settings, topic: str, *messages) -> list:
    """Publish envelopes (keyed by aggregate id) or raw bytes to a topic; returns where each landed."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options())
    await producer.start()
    landed = []
    try:
        for m in messages:
            if isinstance(m, bytes):
                landed.append(await producer.send_and_wait(topic, m))
            else:
                landed.append(await producer.send_and_wait(topic, m.to_bytes(), key=m.kafka_key(),
                                                           headers=m.kafka_headers()))
        return landed
    finally:
        await producer.stop()


async def until(check, timeout: float = 60.0, every: float = 0.2):
    """Wait (in a thread) until `check()` is truthy; returns its value. Not a timing assertion: a bound."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(every)
    return result
