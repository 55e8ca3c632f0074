"""Golden samples: every registered message has one, and today's code reads and writes it byte for byte.

A sample that stops round-tripping means a change that breaks consumers still running the old code:
make it additive (an optional field) or publish a new version beside the old one (README.md).
"""

import json
from pathlib import Path

import pytest

from contracts import Envelope, parse_payload, payload_model, registered, wrap

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).parent / "golden"
SAMPLES = sorted(GOLDEN.glob("*.json"))


def sample_name(type_: str, version: int) -> str:
    return f"{type_}.v{version}.json"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_registered_message_has_a_golden_sample():
    missing = [sample_name(t, v) for (t, v) in registered() if not (GOLDEN / sample_name(t, v)).exists()]
    assert not missing, (
        f"registered messages without a golden sample in {GOLDEN}: {missing}. "
        "Add a full Envelope with a realistic payload for each (copy a neighbour and edit it)."
    )


def test_every_golden_sample_belongs_to_a_registered_message():
    known = {sample_name(t, v) for (t, v) in registered()}
    orphans = [p.name for p in SAMPLES if p.name not in known]
    assert not orphans, f"samples of messages nobody registers any more (renamed or removed?): {orphans}"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_round_trips_through_the_envelope(path):
    raw = path.read_bytes()
    envelope = Envelope.from_bytes(raw)

    assert envelope.model_dump(mode="json") == json.loads(raw)
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope
    assert sample_name(envelope.type, envelope.version) == path.name


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_payload_is_exactly_what_a_producer_publishes(path):
    sample = load(path)
    envelope = Envelope.model_validate(sample)

    payload = parse_payload(envelope)

    assert isinstance(payload, payload_model(envelope.type, envelope.version))
    # Re-wrapping the parsed model must give the very same message: nothing lost, nothing renamed.
    fields = envelope.model_dump(exclude={"type", "version", "payload"})
    assert wrap(payload, **fields).model_dump(mode="json") == sample


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_from_a_newer_producer_with_extra_fields_still_parses(path):
    sample = load(path)
    expected = parse_payload(Envelope.model_validate(sample))
    # What a producer one additive change ahead of this consumer would send.
    newer = {**sample, "tenant_id": "acme", "payload": {**sample["payload"], "added_later": {"any": ["shape"]}}}

    envelope = Envelope.from_bytes(json.dumps(newer).encode())

    assert parse_payload(envelope) == expected
    assert "added_later" not in parse_payload(envelope).model_dump()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_without_its_optional_fields_still_parses(path):
    """An older producer, from before an optional field was added, must still be understood."""
    sample = load(path)
    model = payload_model(sample["type"], sample["version"])
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    older = {k: v for k, v in sample["payload"].items() if k in required}

    assert parse_payload(Envelope.model_validate({**sample, "payload": older})) is not None
