"""Input that used to be accepted and then broke the catalogue, the relay or a worker is refused at the edge
with a 4xx problem, and an event at every limit is accepted, listed and bookable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts import limits as lim
from webkit.openapi import unbounded_inputs
from webkit.testing import assert_problem as problem

from events_service.domain.unknown_event import UnknownEventAnswers

pytestmark = pytest.mark.api

URL = "/api/v1/events/"
WIDE = "\U0001d518"  # four bytes in UTF-8


def soon() -> str:
    return (datetime.now(UTC) + timedelta(days=7)).isoformat()


def payload(**overrides) -> dict:
    return {"title": "Limits night", "start_time": soon(), "duration_minutes": 60, "max_participants": 10,
            **overrides}


def test_a_megabyte_of_tags_is_refused_before_it_is_read(client, organizer):
    # Once accepted with 201: lower-cased, its EventCreated passed Kafka's record limit and wedged the relay.
    tags = ["İ" * 1000] * 500
    body = json.dumps(payload(tags=tags)).encode()
    assert len(body) > 1_000_000
    problem(client.post(URL, content=body, headers={**organizer.headers, "Content-Type": "application/json"}), 413)


@pytest.mark.parametrize("fields", [
    {"tags": ["İ" * 26]},                      # 26 characters, 52 once lower-cased
    {"tags": ["t" * (lim.TAG + 1)]},
    {"tags": [f"t{i}" for i in range(lim.TAGS + 1)]},
    {"allowed_payment_methods": ["x" * 100]},
    {"title": "Jazz\x00night"},                 # NUL: the catalogue (PostgreSQL text) cannot hold it
    {"description": "a\x00b"},
    {"tags": ["nul\x00"]},
    {"max_participants": 3_000_000_000},        # beyond integer: 201, then never listed, then 404 on booking
    {"max_participants": 10**100},
    {"duration_minutes": 2**31},
    {"start_time": "9999-12-31T23:59:59-23:00"},  # year 10000 in UTC: was a 500
    {"start_time": 1_900_000_000},              # seconds since 1970 are not a date-time here
])
def test_values_that_break_views_or_workers_are_422(client, organizer, fields):
    body = problem(client.post(URL, json=payload(**fields), headers=organizer.headers), 422)
    assert body["errors"]


def test_an_edit_is_held_to_the_same_limits(client, organizer):
    event = client.post(URL, json=payload(), headers=organizer.headers).json()
    for change in ({"max_participants": 2**31}, {"title": "\x00"}, {"start_time": "9999-12-31T23:59:59-23:00"}):
        problem(client.patch(f"{URL}{event['id']}", json=change, headers=organizer.headers), 422)
    assert client.get(f"{URL}{event['id']}").json() == event


def test_an_event_at_every_limit_is_accepted_and_listed(client, organizer, feed_catalogue_now):
    big = payload(title=WIDE * lim.TITLE, description=(WIDE * 99 + "\n") * (lim.DESCRIPTION // 100),
                  max_participants=lim.INT32_MAX, duration_minutes=lim.INT32_MAX,
                  tags=[f"{i:02d}" + WIDE * (lim.TAG - 2) for i in range(lim.TAGS)])
    created = client.post(URL, json=big, headers=organizer.headers)
    assert created.status_code == 201, created.text
    feed_catalogue_now()
    listed = client.get(URL, params={"created_by": str(organizer.user_id), "tag": created.json()["tags"][0]}).json()
    assert [e["id"] for e in listed] == [created.json()["id"]]
    assert listed[0]["max_participants"] == lim.INT32_MAX


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"tag": "\x00"}, {"offset": 2**63}, {"starts_before": "0.5"},
                                    {"starts_after": "9999-12-31T23:59:59-23:00"}])
def test_list_filters_that_were_500s_or_misread_are_422(client, params):
    problem(client.get(URL, params=params), 422)


def test_the_largest_offset_is_an_empty_page(client):
    response = client.get(URL, params={"offset": 2**63 - 1})
    assert response.status_code == 200 and response.json() == []


def test_a_body_too_deep_to_parse_with_an_idempotency_key_is_a_400_problem(client, organizer):
    headers = {**organizer.headers, "Content-Type": "application/json", "Idempotency-Key": f"deep-{uuid4()}"}
    problem(client.post(URL, content=b"[" * 100_000, headers=headers), 400)


def test_an_id_of_another_aggregate_type_is_404(client):
    # Refusals for an unknown event are kept under a deterministic id; it names no Event.
    answers = UnknownEventAnswers(event_id=uuid4())
    client.app.state.container.events.save(answers)
    problem(client.get(f"{URL}{answers.id}"), 404)


def test_options_and_405_name_every_method_of_the_path(client, organizer):
    event = client.post(URL, json=payload(), headers=organizer.headers).json()
    options = client.options(f"{URL}{event['id']}")
    assert (options.status_code, options.headers["allow"]) == (204, "GET, OPTIONS, PATCH")
    refused = client.delete(f"{URL}{event['id']}", headers=organizer.headers)
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, OPTIONS, PATCH")


def test_the_openapi_document_lists_problem_responses_and_limits(client):
    doc = client.get("/docs/events/openapi.json").json()
    create = doc["paths"]["/api/v1/events/"]["post"]
    assert {"400", "413", "422"} <= set(create["responses"])
    assert create["x-max-body-bytes"] == 256 * 1024
    for item in doc["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"]
    details = doc["components"]["schemas"]["EventCreate"]["properties"]
    assert details["max_participants"]["maximum"] == lim.INT32_MAX
    assert details["tags"]["maxItems"] == lim.TAGS


def test_every_request_field_and_parameter_has_a_documented_limit(client):
    assert unbounded_inputs(client.app.openapi()) == []
