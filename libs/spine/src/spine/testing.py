"""Test helpers for the real PostgreSQL and Kafka that `make test` starts: throwaway databases and topics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from uuid import uuid4

import psycopg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spine.settings import InfraSettings


@contextlib.contextmanager
def fresh_database(prefix: str = "test", settings: InfraSettings | None = None) -> Iterator[str]:
    """Create an empty database with a unique name; drop it afterwards."""
    s = settings or InfraSettings()
    name = f"{prefix}_{uuid4().hex[:10]}"
    with psycopg.connect(s.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(s.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_topics(*names: str, partitions: int = 3, settings: InfraSettings | None = None) -> None:
    """Create Kafka topics (event-topic retention) for one test."""
    s = settings or InfraSettings()

    async def go() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers, **s.kafka_client_options())
        await admin.start()
        try:
            await admin.create_topics([NewTopic(n, partitions, 1, topic_configs={"retention.ms": "-1"}) for n in names])
        finally:
            await admin.close()

    asyncio.run(go())


def unique_topic(prefix: str = "test") -> str:
    """A topic name no other test uses."""
    return f"{prefix}.{uuid4().hex[:8]}.v1"
