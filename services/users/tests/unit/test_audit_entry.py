"""The audit log's rules: which fields are secrets, how payloads are compacted, what an event is about."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest

from contracts import Envelope, topics

from users_service.domain.audit_entry import MAX_BYTES, compact_payload, entity_of, is_secret

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", ["password", "new_password", "password_hash", "hashed_password", "refresh_token",
                                  "reset_token", "token", "card_number", "card", "cvc", "client_secret",
                                  "api_key", "PASSWORD", "Webhook-Signature", "otp", "confirmation_url", "iban"])
def test_secret_names(name):
    assert is_secret(name)


@pytest.mark.parametrize("name", ["email", "full_name", "amount", "key", "payment_method", "reason", "provider",
                                  "role", "booking_id", "seats_available", "kind", "tags", "card_provider"])
def test_ordinary_names(name):
    assert not is_secret(name)


def test_secrets_are_dropped_at_any_depth_and_listed_by_name_only():
    payload = {"email": "a@example.com", "password_hash": "$argon2id$x",
               "nested": {"items": [{"card_number": "4242", "last4": "4242"}]}}

    kept = compact_payload(payload)

    assert kept == {"email": "a@example.com", "_redacted": ["password_hash"],
                    "nested": {"items": [{"last4": "4242", "_redacted": ["card_number"]}]}}


def test_big_payloads_are_cut_to_a_few_kilobytes():
    payload = {"title": "x" * 10_000, "tags": [f"t{i}" for i in range(500)], "value": {"deep": list(range(5000))},
               "seats": 3}

    kept = compact_payload(payload)

    assert len(json.dumps(kept)) <= MAX_BYTES + 100
    assert kept["seats"] == 3 and kept["title"].endswith("…") and len(kept["tags"]) == 20


def test_roles_and_settings_are_named_by_their_name_and_key_others_by_their_aggregate():
    role = Envelope(type="RoleDefined", aggregate_id=str(uuid4()), payload={"name": "support", "permissions": []})
    setting = Envelope(type="SettingChanged", aggregate_id=str(uuid4()), payload={"key": "max_group_size"})
    booking = Envelope(type="BookingConfirmed", aggregate_id="b-1", payload={})
    seats = Envelope(type="SeatsReserved", aggregate_id="e-1", payload={})

    assert entity_of(role, topics.USERS) == ("role", "support")
    assert entity_of(setting, topics.USERS) == ("setting", "max_group_size")
    assert entity_of(booking, "any.topic.v1") == ("booking", "b-1")
    assert entity_of(seats, topics.EVENTS) == ("event", "e-1")
    assert entity_of(Envelope(type="Unheard", aggregate_id="n-1"), topics.NOTIFICATIONS) == ("notification", "n-1")
