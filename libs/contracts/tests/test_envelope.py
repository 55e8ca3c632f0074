"""The envelope on the wire: Kafka value, key and headers, and what happens to malformed values."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts import Envelope, wrap
from contracts.users import UserRoleChanged

pytestmark = pytest.mark.unit

USER = "3f9c2b1e-7d4a-4c6b-9e1f-2a8d5c7b0e41"


def role_changed(**fields) -> Envelope:
    payload = UserRoleChanged(user_id=USER, role="organizer", previous_role="participant")
    return wrap(payload, aggregate_id=USER, aggregate_version=2, **fields)


def test_bytes_round_trip_keeps_every_field():
    envelope = role_changed(correlation_id="req-1", causation_id="cause-1", actor_id="admin-1")

    assert Envelope.from_bytes(envelope.to_bytes()) == envelope


def test_value_is_plain_json_a_non_python_consumer_can_read():
    envelope = role_changed(occurred_at=datetime(2025, 3, 15, 11, 2, 17, tzinfo=UTC))

    body = json.loads(envelope.to_bytes())

    assert body["type"] == "UserRoleChanged"
    assert body["version"] == 1
    assert body["occurred_at"] == "2025-03-15T11:02:17Z"
    assert body["payload"] == {"user_id": USER, "role": "organizer", "previous_role": "participant"}


def test_defaults_give_a_fresh_id_and_a_utc_timestamp():
    first, second = role_changed(), role_changed()

    assert first.event_id != second.event_id
    assert first.occurred_at.utcoffset().total_seconds() == 0


def test_key_is_the_aggregate_id_so_one_aggregate_stays_in_order_on_one_partition():
    assert role_changed().kafka_key() == USER.encode()
    assert role_changed().kafka_key() == role_changed().kafka_key()


def test_headers_repeat_type_version_id_and_correlation_for_routing():
    envelope = role_changed(correlation_id="req-1")

    headers = dict(envelope.kafka_headers())

    assert headers == {
        "type": b"UserRoleChanged",
        "version": b"1",
        "event_id": str(envelope.event_id).encode(),
        "correlation_id": b"req-1",
    }


def test_headers_leave_out_a_missing_correlation_id():
    assert "correlation_id" not in dict(role_changed().kafka_headers())


def test_envelope_cannot_be_changed_after_it_is_built():
    with pytest.raises(ValidationError):
        role_changed().type = "UserDisabled"  # type: ignore[misc]


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"aggregate_id": "a"}',  # no type
        b'{"type": "UserRoleChanged", "aggregate_id": "a", "version": 0}',  # versions start at 1
        b'{"type": "UserRoleChanged", "aggregate_id": "a", "event_id": "nope"}',
        b'{"type": "UserRoleChanged", "aggregate_id": "a", "payload": [1, 2]}',
    ],
    ids=["garbage", "array", "no-type", "version-0", "bad-event-id", "payload-not-object"],
)
def test_malformed_values_are_rejected_not_half_parsed(raw):
    with pytest.raises(ValidationError):
        Envelope.from_bytes(raw)
