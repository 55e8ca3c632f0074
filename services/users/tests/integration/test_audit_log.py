"""The audit log's projector against real Kafka and PostgreSQL: every contract type, no secrets, no doubles.

Every registered message type's golden sample is produced to a throwaway topic, with secret-named fields
added at the top and nested (what a careless producer might one day send), and read by the users worker's
audit projection. Then the projection's positions are dropped so Kafka delivers everything again, and the
relay's re-publishing (same event ids at new offsets) is imitated: the log must not grow.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from contracts import Envelope, registered
from spine.testing import create_topics, fresh_database, unique_topic
from spine.worker import Worker

from users_service.bootstrap import build
from users_service.domain.audit_entry import is_secret
from users_service.settings import Settings

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parents[4] / "libs" / "contracts" / "tests" / "golden"
SECRETS = {name: f"LEAKED-{name}" for name in (
    "password", "password_hash", "refresh_token", "reset_token", "access_token", "card_number", "cvc",
    "client_secret", "api_key", "webhook-signature", "confirmation_url")}


def samples() -> list[Envelope]:
    """One envelope per registered message type, with secrets injected and a fresh id (no other test's)."""
    found = []
    for (type_, version) in registered():
        sample = json.loads((GOLDEN / f"{type_}.v{version}.json").read_text())
        payload = {**sample["payload"], **SECRETS, "provider": {"name": "stripe", "secret_key": "sk", "keep": 1}}
        found.append(Envelope.model_validate({**sample, "event_id": str(uuid4()), "aggregate_id": str(uuid4()),
                                              "payload": payload}))
    return found


@pytest.fixture
def service(fast_passwords):
    topic = unique_topic("audit")
    create_topics(topic)
    with fresh_database("users_audit") as db:
        built = build(Settings(database=db, topic=topic), seed=False, passwords=fast_passwords)
        yield built
        built.close()


async def produce(topic: str, settings: Settings, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                **settings.kafka_client_options())
    await producer.start()
    try:
        for e in envelopes:
            await producer.send_and_wait(topic, e.to_bytes(), key=e.kafka_key())
    finally:
        await producer.stop()


def rows(service) -> list[dict]:
    s = service.settings
    with psycopg.connect(s.conninfo(s.database), row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT * FROM audit_log").fetchall()


def wait_for_rows(service, n: int, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(found := rows(service)) >= n:
            return found
        time.sleep(0.1)
    raise AssertionError(f"audit log has {len(rows(service))} rows, expected {n}")


def wait_until_read(service, messages: int, timeout: float = 30.0) -> None:
    """Until the projection's stored positions cover `messages` (a fresh topic's offsets start at 0)."""
    s = service.settings
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(s.conninfo(s.database)) as conn:
            read = conn.execute("SELECT coalesce(sum(next_offset), 0) FROM projection_positions"
                                " WHERE projection = 'audit_log'").fetchone()[0]
        if read >= messages:
            return
        time.sleep(0.1)
    raise AssertionError("the audit projection did not read every message")


def run_worker(service, until) -> None:
    async def scenario():
        worker = Worker("users", service.settings).add_projection(service.audit_log, service.settings.database)
        await worker.start()
        try:
            return await asyncio.to_thread(until)
        finally:
            await worker.stop()

    return asyncio.run(scenario())


def secret_keys(value) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value if is_secret(k)] + [s for v in value.values() for s in secret_keys(v)]
    if isinstance(value, list):
        return [s for v in value for s in secret_keys(v)]
    return []


def test_every_contract_type_is_logged_once_without_its_secrets_even_when_delivered_again(service):
    s = service.settings
    topic = s.audit_event_topics()[0]
    envelopes = samples()
    asyncio.run(produce(topic, s, envelopes))

    logged = run_worker(service, lambda: wait_for_rows(service, len(envelopes)))

    by_id = {str(r["event_id"]): r for r in logged}
    assert set(by_id) == {str(e.event_id) for e in envelopes}
    for e in envelopes:
        row = by_id[str(e.event_id)]
        assert secret_keys(row["payload"]) == [], (e.type, row["payload"])
        assert not any(secret in json.dumps(row["payload"]) for secret in SECRETS.values()), e.type
        assert sorted(row["payload"]["_redacted"]) == sorted(SECRETS)
        assert row["payload"]["provider"] == {"name": "stripe", "keep": 1, "_redacted": ["secret_key"]}
        assert (row["action"], row["actor_id"], row["correlation_id"]) == (e.type, e.actor_id, e.correlation_id)
        assert row["entity_id"] in (e.aggregate_id, e.payload.get("name"), e.payload.get("key"))
        assert row["topic"] == topic and row["offset"] is not None
        # What is not secret is kept (all golden payloads are small enough to be kept whole).
        kept = {k: v for k, v in json.loads(json.dumps(e.payload)).items() if k not in SECRETS and k != "provider"}
        assert {k: row["payload"][k] for k in kept} == kept, e.type

    # Redelivery: positions dropped (Kafka delivers everything again), and the relay re-publishes the
    # same events at new offsets. Then one new event, to know the worker has read past the repeats.
    with psycopg.connect(s.conninfo(s.database), autocommit=True) as conn:
        conn.execute("DELETE FROM projection_positions WHERE projection = 'audit_log'")
        conn.execute("DELETE FROM projection_versions WHERE projection = 'audit_log'")
    marker = Envelope(type="UserEnabled", aggregate_id=str(uuid4()), aggregate_version=1,
                      payload={"user_id": str(uuid4()), "enabled_at": "2030-01-01T00:00:00Z"})
    asyncio.run(produce(topic, s, [*envelopes, marker]))

    run_worker(service, lambda: wait_until_read(service, 2 * len(envelopes) + 1))

    assert len(rows(service)) == len(envelopes) + 1
