"""AsyncAPI 3.0 document of every topic and message, built from the contract models so it cannot drift (DESIGN §3).

Run `python -m contracts.asyncapi [--out docs/asyncapi.json] [--check]` from the repository root.
Each Kafka message value is an `Envelope` whose `payload` follows the registered model of its (type, version);
payload schemas are pydantic's validation schemas, i.e. exactly what consumers accept.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import contracts  # noqa: F401  (registers every message model)
from contracts import topics
from contracts.envelope import Envelope
from contracts.registry import registered

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
DEFAULT_OUT = "docs/asyncapi.json"
REF = "#/components/schemas/{model}"

# Who writes and who reads each topic; the service name is the topic's first segment.
_EVENT_TOPIC_TEXT = ("Public events of the {service} service, keyed by aggregate id. "
                     "Kept forever so projectors can replay.")
_COMMAND_TOPIC_TEXT = "Saga commands addressed to the {service} service, keyed by aggregate id."
_DLQ_TEXT = "Messages of `{topic}` that a consumer could not process; same messages as `{topic}`."


def message_key(type_: str, version: int) -> str:
    """Component name of one message (and of its payload schema), e.g. `EventCreated.v1`."""
    return f"{type_}.v{version}"


def _service(topic: str) -> str:
    return topic.split(".", 1)[0]


def _hoist(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Move a model schema's `$defs` into the shared components, refusing two different models of one name."""
    for name, definition in schema.pop("$defs", {}).items():
        if name in schemas and schemas[name] != definition:
            raise ValueError(f"two different nested models are both called {name!r}; rename one")
        schemas[name] = definition
    return schema


def _model_schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    return _hoist(model.model_json_schema(ref_template=REF), schemas)


def _message(type_: str, version: int, model: type[BaseModel]) -> dict[str, Any]:
    doc = inspect.getdoc(model) or type_
    key = message_key(type_, version)
    return {
        "name": type_,
        "title": f"{type_} v{version}",
        "summary": doc.splitlines()[0],
        "description": doc,
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "description": "Kafka headers duplicated from the envelope, for routing without parsing the value.",
            "properties": {
                "type": {"type": "string", "const": type_},
                "version": {"type": "string", "const": str(version)},
                "event_id": {"type": "string", "format": "uuid"},
                "correlation_id": {"type": "string", "description": "Present when the envelope has one."},
            },
            "required": ["type", "version", "event_id"],
        },
        "payload": {
            "allOf": [
                {"$ref": REF.format(model="Envelope")},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": type_},
                        "version": {"const": version},
                        "payload": {"$ref": REF.format(model=key)},
                    },
                    "required": ["type", "version", "payload"],
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The envelope's aggregate_id (UTF-8)."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(topic: str, config: dict[str, str], message_keys: list[str]) -> dict[str, Any]:
    source = topic.removesuffix(".dlq")
    if topic != source:
        text = _DLQ_TEXT.format(topic=source)
    elif topic in topics.COMMAND_TOPICS:
        text = _COMMAND_TOPIC_TEXT.format(service=_service(topic))
    else:
        text = _EVENT_TOPIC_TEXT.format(service=_service(topic))
    return {
        "address": topic,
        "description": text,
        "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in message_keys},
        "bindings": {
            "kafka": {
                "topic": topic,
                "topicConfiguration": {"retention.ms": int(config["retention.ms"])},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _operation(topic: str, message_keys: list[str]) -> dict[str, Any]:
    # Event topics are written by their service; command topics are the inbox their service reads.
    receives = topic.removesuffix(".dlq") in topics.COMMAND_TOPICS
    service = _service(topic)
    return {
        "action": "receive" if receives else "send",
        "channel": {"$ref": f"#/channels/{topic}"},
        "summary": f"The {service} service {'consumes' if receives else 'publishes'} `{topic}`.",
        "messages": [{"$ref": f"#/channels/{topic}/messages/{key}"} for key in message_keys],
    }


def build_asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of all topics and registered messages."""
    schemas: dict[str, Any] = {}
    schemas["Envelope"] = _model_schema(Envelope, schemas)
    messages: dict[str, Any] = {}
    by_topic: dict[str, list[str]] = {}
    for (type_, version), (topic, model) in sorted(registered().items(), key=lambda kv: (kv[1][0], kv[0])):
        key = message_key(type_, version)
        schemas[key] = _model_schema(model, schemas)
        messages[key] = _message(type_, version, model)
        by_topic.setdefault(topic, []).append(key)
        by_topic.setdefault(topics.dlq(topic), []).append(key)
    unknown = set(by_topic) - set(topics.all_topics())
    if unknown:
        raise ValueError(f"messages registered on topics missing from contracts.topics: {sorted(unknown)}")

    channels = {t: _channel(t, cfg, by_topic.get(t, [])) for t, cfg in topics.all_topics().items()}
    operations = {}
    for t in channels:
        operation = _operation(t, by_topic.get(t, []))
        operations[f"{t}.{operation['action']}"] = operation
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Event Planner integration events and commands",
            "version": _contracts_version(),
            "description": (
                "Every Kafka topic of the Event Planner services and the messages on it. Each message value is a "
                "JSON Envelope; its `payload` follows the schema of the envelope's (type, version). Within a version "
                "payloads change only by new optional fields; anything else is a new version published side by "
                "side. Consumers ignore types and versions they do not know. Generated by `python -m "
                "contracts.asyncapi`; do not edit by hand."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _contracts_version() -> str:
    try:
        return package_version("contracts")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0"


def render(document: dict[str, Any]) -> str:
    """The document as committed: indented JSON with a final newline, key order as built."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """CLI: write the document (or `--check` that the written one is current)."""
    parser = argparse.ArgumentParser(prog="python -m contracts.asyncapi", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"file to write, '-' for stdout (default {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true", help="exit 1 if --out differs from a fresh build")
    args = parser.parse_args(argv)
    text = render(build_asyncapi())
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if args.check:
        current = out.read_text() if out.exists() else None
        if current != text:
            print(f"{out} is out of date: run python -m contracts.asyncapi --out {out}", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
