"""The AsyncAPI document: generated from the code, committed, and never out of date."""

import json
from pathlib import Path

import pytest

from contracts import registered, topics
from contracts.asyncapi import build_asyncapi, main, message_key, render

pytestmark = pytest.mark.unit

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.json"
REGENERATE = "run `.venv/bin/python -m contracts.asyncapi` from the repository root and commit docs/asyncapi.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return build_asyncapi()


def resolve(document: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        assert part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_committed_document_equals_a_fresh_build(document):
    assert COMMITTED.exists(), f"{COMMITTED} is missing: {REGENERATE}"
    assert COMMITTED.read_text() == render(document), f"{COMMITTED} is out of date: {REGENERATE}"


def test_is_an_asyncapi_3_document_with_a_channel_per_topic(document):
    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == set(topics.all_topics())
    assert document["channels"][topics.EVENTS]["bindings"]["kafka"]["topicConfiguration"] == {"retention.ms": -1}
    assert {op["channel"]["$ref"] for op in document["operations"].values()} == {
        f"#/channels/{t}" for t in topics.all_topics()
    }


@pytest.mark.parametrize("key", sorted(registered()), ids=lambda k: f"{k[0]}.v{k[1]}")
def test_every_registered_message_is_documented_on_its_topic(document, key):
    topic, model = registered()[key]
    name = message_key(*key)

    message = document["components"]["messages"][name]

    assert name in document["channels"][topic]["messages"]
    assert name in document["channels"][topics.dlq(topic)]["messages"]
    assert message["name"] == key[0]
    assert message["summary"] == model.__doc__.strip().splitlines()[0]
    assert resolve(document, message["payload"]["allOf"][1]["properties"]["payload"]["$ref"]) == (
        document["components"]["schemas"][name]
    )


def test_field_descriptions_and_examples_are_carried_over(document):
    schemas = document["components"]["schemas"]

    email = schemas["UserRegistered.v1"]["properties"]["email"]
    aggregate_id = schemas["Envelope"]["properties"]["aggregate_id"]

    assert email["description"] == "Login e-mail, lower-cased."
    assert email["examples"] == ["ada@example.com"]
    assert aggregate_id["description"].startswith("Id of the aggregate")


def test_every_reference_resolves(document):
    for ref in refs(document):
        resolve(document, ref)


def test_messages_nobody_sends_are_not_invented(document):
    """Topics without registered messages yet (bookings, payments...) are listed but empty."""
    documented = set(document["components"]["messages"])
    assert documented == {message_key(*key) for key in registered()}


def test_cli_writes_the_document_and_check_catches_drift(tmp_path, capsys):
    out = tmp_path / "docs" / "asyncapi.json"

    assert main(["--out", str(out)]) == 0
    assert json.loads(out.read_text()) == build_asyncapi()
    assert main(["--out", str(out), "--check"]) == 0

    out.write_text(out.read_text().replace("UserRegistered", "UserSignedUp"))
    assert main(["--out", str(out), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
