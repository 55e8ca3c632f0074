"""Input that used to crash a bookings route (500) is refused at the edge with a 4xx problem."""

from __future__ import annotations

from uuid import uuid4

import pytest

from webkit.openapi import unbounded_inputs
from webkit.testing import assert_problem as problem

from bookings_service.domain.waitlist import Waitlist
from bookings_service.testing import event_created

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


def test_a_waitlists_id_is_not_a_booking(client, participant, admin):
    # A waitlist's id is derived from its event's id, so anyone can name it.
    line = Waitlist(event_id=uuid4())
    client.app.state.container.bookings.save(line)
    problem(client.get(f"{URL}{line.id}", headers=admin.headers), 404)
    problem(client.post(f"{URL}{line.id}/cancel", headers=participant.headers), 404)


@pytest.mark.parametrize("fields", [{"group_size": 2**31}, {"group_size": 10**100},
                                    {"payment_method": "card\x00"}, {"payment_method": "x" * 33}])
def test_out_of_range_requests_are_422(client, participant, catalogue, organizer, fields):
    envelope = event_created(organizer=organizer.user_id, capacity=5)
    catalogue(envelope)
    problem(client.post(URL, json={"event_id": envelope.payload["event_id"], **fields},
                        headers=participant.headers), 422)


def test_an_offset_beyond_bigint_is_422(client, participant):
    problem(client.get(URL, params={"offset": 2**63}, headers=participant.headers), 422)
    assert client.get(URL, params={"offset": 2**63 - 1}, headers=participant.headers).json() == []


def test_a_body_too_deep_to_parse_with_an_idempotency_key_is_a_4xx_problem(client, participant):
    headers = {**participant.headers, "Content-Type": "application/json", "Idempotency-Key": str(uuid4())}
    problem(client.post(URL, content=b"[" * 20_000, headers=headers), 400)


def test_options_names_every_method(client):
    options = client.options(f"{URL}{uuid4()}")
    assert (options.status_code, options.headers["allow"]) == (204, "GET, OPTIONS")


def test_every_request_field_and_parameter_has_a_documented_limit(client):
    assert unbounded_inputs(client.app.openapi()) == []
