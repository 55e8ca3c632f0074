"""The largest valid message of every registered type fits Kafka many times over.

"Largest" is built from the limits each contract documents (`maxLength`, `maxItems`, `maximum`, ...; see
`contracts.limits`): every string at its maximum length in 4-byte UTF-8 characters, every list full, every
optional field present. A field without a documented limit fails the test, so a new message cannot be added
unbounded. Each envelope is then produced to the real broker, which would refuse a record over its
`max.message.bytes` (a relay that met one stopped publishing altogether).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import MessageSizeTooLargeError

from contracts import Envelope, registered
from contracts import limits as lim
from contracts.envelope import Envelope as EnvelopeModel
from contracts.events import EventDetails
from spine.settings import InfraSettings
from spine.testing import create_topics, unique_topic

WIDE = "\U0001d518"  # 𝔘: four bytes in UTF-8, the most a character of any allowed text can take
LATEST = "9999-12-31T23:59:59.999999Z"
HEADROOM = 8  # "well under": the largest message must fit the broker's limit this many times

# Fields whose shape the JSON schema cannot bound by itself: EventUpdated.changes holds EventDetails fields.
SPECIAL = {("EventUpdated", "changes"): lambda: largest_of(EventDetails)}


class Unbounded(AssertionError):
    """A field of a public message has no documented limit."""


def largest(schema: dict[str, Any], defs: dict[str, Any], where: str) -> Any:
    """The largest JSON value the schema allows (by encoded size)."""
    if "$ref" in schema:
        return largest({**defs[schema["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in schema.items()
                                                                      if k != "$ref"}}, defs, where)
    if "x-max-digits" in schema:
        return "-" + "9" * (schema["x-max-digits"] - 2) + ".99"
    if "anyOf" in schema:
        outer = {k: v for k, v in schema.items() if k != "anyOf"}
        options = [largest({**option, **outer}, defs, where) for option in schema["anyOf"]]
        return max(options, key=lambda v: len(json.dumps(v, ensure_ascii=False).encode()))
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return max(schema["enum"], key=lambda v: len(json.dumps(v)))
    if "x-max-bytes" in schema:  # any JSON value: a string filling the allowance
        return WIDE * ((schema["x-max-bytes"] - 2) // 4)
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "uuid":
            return str(uuid4())
        if schema.get("format") == "date-time":
            return LATEST
        if "maxLength" not in schema:
            raise Unbounded(f"{where}: string without maxLength")
        return WIDE * schema["maxLength"]
    if kind == "integer":
        if "maximum" not in schema:
            raise Unbounded(f"{where}: integer without maximum")
        return max(schema["maximum"], -schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    if kind == "array":
        if "maxItems" not in schema:
            raise Unbounded(f"{where}: array without maxItems")
        return [largest(schema.get("items", {}), defs, f"{where}[]")] * schema["maxItems"]
    if kind == "object" and "properties" in schema:
        return {name: largest(prop, defs, f"{where}.{name}") for name, prop in schema["properties"].items()}
    raise Unbounded(f"{where}: no limit documented for {schema}")


def largest_of(model: type, special: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    special = special or {}
    return {name: special[name] if name in special else largest(prop, defs, f"{model.__name__}.{name}")
            for name, prop in schema["properties"].items()}


def largest_envelope(type_: str, version: int, model: type) -> Envelope:
    special = {field: make() for (t, field), make in SPECIAL.items() if t == type_}
    payload = model.model_validate(largest_of(model, special)).model_dump(mode="json")
    fields = largest_of(EnvelopeModel, {"payload": payload})  # the payload's own limits are its model's
    return Envelope.model_validate({**fields, "type": type_, "version": version, "payload": payload})


MESSAGES = sorted(registered().items())


@pytest.mark.unit
@pytest.mark.parametrize(("key", "entry"), MESSAGES, ids=[f"{t}.v{v}" for (t, v), _ in MESSAGES])
def test_every_field_of_every_message_has_a_documented_limit(key, entry):
    type_, version = key
    envelope = largest_envelope(type_, version, entry[1])
    assert len(envelope.to_bytes()) < 1024 * 1024 // HEADROOM


@pytest.mark.integration
def test_the_largest_message_of_each_type_is_produced_to_the_real_broker_well_under_its_limit():
    settings = InfraSettings()
    topic = unique_topic("largest")
    create_topics(topic, partitions=1)

    async def go() -> dict[str, tuple[int, int]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers,
                                    **settings.kafka_client_options())
        await admin.start()
        try:
            described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        finally:
            await admin.close()
        config = {entry[0]: entry[1] for entry in described[0].resources[0][4]}
        broker_limit = int(config["max.message.bytes"])
        # The producer's own cap would refuse first; lift it so the broker is the judge.
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                    max_request_size=broker_limit * 2, **settings.kafka_client_options())
        await producer.start()
        sizes = {}
        try:
            for (type_, version), (_, model) in MESSAGES:
                envelope = largest_envelope(type_, version, model)
                value = envelope.to_bytes()
                await producer.send_and_wait(topic, value, key=envelope.kafka_key(),
                                             headers=envelope.kafka_headers())
                sizes[f"{type_}.v{version}"] = (len(value), broker_limit)
            # The broker really is the judge: one byte over its limit is refused.
            with pytest.raises(MessageSizeTooLargeError):
                await producer.send_and_wait(topic, b"x" * (broker_limit + 1))
        finally:
            await producer.stop()
        return sizes

    sizes = asyncio.run(go())
    assert len(sizes) == len(MESSAGES)
    too_big = {name: size for name, (size, limit) in sizes.items() if size * HEADROOM > limit}
    assert not too_big, f"largest messages not {HEADROOM}x under max.message.bytes: {too_big}"
    assert max(size for size, _ in sizes.values()) > lim.DESCRIPTION * 4  # the builder really filled them
