"""GET /api/v1/events/: the public catalogue, served by the read model that events.v1 feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from authkit.testing import caller

from events_service.testing import feed_catalogue

pytestmark = pytest.mark.api

URL = "/api/v1/events/"
NOW = datetime.now(UTC)


def publish(client, who, *, days: int, **fields) -> dict:
    payload = {"title": f"Event in {days} days", "description": "", "duration_minutes": 60,
               "max_participants": 10, "start_time": (NOW + timedelta(days=days)).isoformat(), "is_paid": False,
               **fields}
    response = client.post(URL, json=payload, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


# These tests only read, so one catalogue serves the whole module.
@pytest.fixture(scope="module")
def organizer(issuer):
    return caller(issuer, "organizer")


@pytest.fixture(scope="module")
def other_organizer(issuer):
    return caller(issuer, "organizer")


@pytest.fixture(scope="module")
def feed_catalogue_now(client, settings):
    return lambda: feed_catalogue(client.app.state.container.events, settings.conninfo(settings.database))


@pytest.fixture(scope="module")
def catalogue(client, organizer, other_organizer, feed_catalogue_now) -> dict[str, dict]:
    """Five events by two organizers, one of them cancelled and one edited, published to the read model."""
    events = {
        "jazz": publish(client, organizer, days=3, title="Jazz night", tags=["music"], is_paid=True, price="15.00",
                        currency="EUR", allowed_payment_methods=["card"]),
        "python": publish(client, organizer, days=1, title="Python meetup", description="Async & pizza",
                          tags=["tech", "python"]),
        "rust": publish(client, other_organizer, days=2, title="Rust workshop", tags=["tech"]),
        "gone": publish(client, other_organizer, days=4, title="Cancelled gig", tags=["music"]),
        "late": publish(client, organizer, days=30, title="100% fun_party"),
    }
    client.post(f"{URL}{events['gone']['id']}/cancel", json={"reason": "Rain"}, headers=other_organizer.headers)
    edited = client.patch(f"{URL}{events['python']['id']}", json={"max_participants": 25},
                          headers=organizer.headers)
    events["python"] = edited.json()
    # Money and times travel as JSON strings in EventUpdated.changes; the read model must type them back.
    moved = client.patch(f"{URL}{events['jazz']['id']}", headers=organizer.headers, json={
        "price": "18.50", "start_time": (NOW + timedelta(days=3, hours=2)).isoformat()})
    events["jazz"] = moved.json()
    feed_catalogue_now()
    return events


def titles(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [e["title"] for e in response.json()]


def test_the_list_is_public_ordered_by_start_and_matches_the_single_event_view(client, catalogue):
    response = client.get(URL, params={"include_cancelled": "true"})
    assert titles(response) == ["Python meetup", "Rust workshop", "Jazz night", "Cancelled gig", "100% fun_party"]
    assert response.headers["X-Total-Count"] == "5"
    listed = {e["id"]: e for e in response.json()}
    for event in catalogue.values():
        assert listed[event["id"]] == client.get(f"{URL}{event['id']}").json()
    assert listed[catalogue["python"]["id"]]["seats_available"] == 25


@pytest.mark.parametrize(("query", "expected"), [
    ({"is_paid": "true"}, ["Jazz night"]),
    ({"is_paid": "false", "status": "scheduled"}, ["Python meetup", "Rust workshop", "100% fun_party"]),
    ({"tag": "MUSIC"}, ["Jazz night"]),
    ({"tag": "MUSIC", "include_cancelled": "true"}, ["Jazz night", "Cancelled gig"]),
    ({"tag": "tech"}, ["Python meetup", "Rust workshop"]),
    ({"q": "pizza"}, ["Python meetup"]),
    ({"q": "WORK"}, ["Rust workshop"]),
    ({"q": "%"}, ["100% fun_party"]),
    ({"q": "n_g"}, []),
    ({"status": "cancelled"}, ["Cancelled gig"]),
    ({"has_seats": "true", "starts_before": (NOW + timedelta(days=2, hours=12)).isoformat()},
     ["Python meetup", "Rust workshop"]),
    ({"has_seats": "false"}, []),
    ({"starts_after": (NOW + timedelta(days=3, hours=-1)).isoformat()}, ["Jazz night", "100% fun_party"]),
    ({"starts_after": (NOW + timedelta(days=3, hours=-1)).isoformat(), "include_cancelled": "true"},
     ["Jazz night", "Cancelled gig", "100% fun_party"]),
])
def test_filters(client, catalogue, query, expected):
    assert titles(client.get(URL, params=query)) == expected


def test_filter_by_organizer(client, catalogue, other_organizer):
    """The organizer's own listing hides their cancelled events too, unless asked."""
    mine = {"created_by": str(other_organizer.user_id)}
    assert titles(client.get(URL, params=mine)) == ["Rust workshop"]
    assert titles(client.get(URL, params={**mine, "include_cancelled": "true"})) == ["Rust workshop", "Cancelled gig"]
    assert titles(client.get(URL, params={"created_by": str(uuid4())})) == []


def test_pages_carry_total_and_links_that_keep_the_filters(client, catalogue):
    response = client.get(URL, params={"limit": 2, "offset": 2, "tag": "music", "include_cancelled": "true"})
    assert response.headers["X-Total-Count"] == "2" and response.json() == []
    response = client.get(URL, params={"limit": 2, "offset": 2, "include_cancelled": "true"})
    assert titles(response) == ["Jazz night", "Cancelled gig"]
    assert response.headers["X-Total-Count"] == "5"
    links = response.headers["Link"]
    for rel, offset in (("first", 0), ("prev", 0), ("next", 4), ("last", 4)):
        assert f'include_cancelled=true&limit=2&offset={offset}>; rel="{rel}"' in links


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"is_paid": "maybe"},
                                   {"created_by": "bob"}, {"starts_after": "yesterday"}, {"status": "deleted"}])
def test_bad_query_parameters_get_a_422_problem(client, query):
    response = client.get(URL, params=query)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_cancelled_events_are_hidden_unless_asked_for(client, catalogue):
    default = client.get(URL)
    assert "Cancelled gig" not in titles(default) and default.headers["X-Total-Count"] == "4"
    assert "Cancelled gig" in titles(client.get(URL, params={"include_cancelled": "true"}))
    assert titles(client.get(URL, params={"status": "cancelled"})) == ["Cancelled gig"]
    assert "Cancelled gig" not in titles(client.get(URL, params={"include_cancelled": "false"}))


def test_a_cancelled_event_shows_its_status_and_reason(client, catalogue):
    (gone,) = client.get(URL, params={"status": "cancelled"}).json()
    assert (gone["status"], gone["cancel_reason"]) == ("cancelled", "Rain")


def test_redelivered_messages_change_nothing(client, catalogue, feed_catalogue_now):
    before = client.get(URL).json()
    feed_catalogue_now()  # every message again, as after a relay crash
    assert client.get(URL).json() == before
