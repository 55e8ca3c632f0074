"""An attendee's review appears in the catalogue after moderation (issue 7, "Done when"), through the gateway.

The whole path: bookings saga → bookings.v1 → the events service's attendance view → POST review → Review
aggregate → relay → events.v1 → reviews and ratings views → GET /api/v1/events (list and detail).
"""

from __future__ import annotations

import pytest

from e2e_support import Platform, bearer, eventually, is_problem
from reviews_support import held_event, reviews_url, submit

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def people(platform: Platform) -> dict:
    support = platform.register("Sam Support")
    r = platform.http.put(f"/api/v1/users/{support.id}/role", json={"role": "support"},
                          headers=bearer(platform.admin_token()))
    assert r.status_code == 200, r.text
    return {"organizer": platform.organizer("Rita Reviewed"), "ann": platform.register("Ann Attendee"),
            "bob": platform.register("Bob Attendee"), "stranger": platform.register("Stan Stranger"),
            "support": bearer(platform.login(support.email))}


def test_an_attendees_review_appears_in_the_catalogue_after_moderation(platform: Platform, people: dict):
    ann, bob, stranger = people["ann"], people["bob"], people["stranger"]
    event = held_event(platform, people["organizer"], [ann, bob], title="Reviewed meetup")
    url = reviews_url(event["id"])

    refused = platform.http.post(url, json={"rating": 5, "comment": "I was not there"}, headers=stranger.auth)
    assert is_problem(refused, 403) and refused.json()["type"] == "/docs/problems#not-an-attendee"
    assert is_problem(platform.http.post(url, json={"rating": 9, "comment": "Too many stars"}, headers=ann.auth), 422)
    assert is_problem(platform.http.post(url, json={"rating": 5, "comment": "  "}, headers=ann.auth), 422)

    good = submit(platform, ann, event["id"], 5, "Great talks and pizza.")
    meh = submit(platform, bob, event["id"], 2, "Too crowded.")
    assert (good["status"], meh["status"]) == ("pending", "pending")
    twice = platform.http.post(url, json={"rating": 1, "comment": "Again"}, headers=ann.auth)
    assert is_problem(twice, 409) and twice.json()["type"] == "/docs/problems#review-already-submitted"
    assert is_problem(platform.http.post(f"/api/v1/reviews/{good['id']}/approve", headers=ann.auth), 403)

    approved = platform.http.post(f"/api/v1/reviews/{good['id']}/approve", headers=people["support"],
                                  json={"reason": "Thanks!"})
    rejected = platform.http.post(f"/api/v1/reviews/{meh['id']}/reject", headers=bearer(platform.admin_token()),
                                  json={"reason": "Please describe the event, not the queue."})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    again = platform.http.post(f"/api/v1/reviews/{meh['id']}/approve", headers=people["support"])
    assert is_problem(again, 409) and again.json()["type"] == "/docs/problems#review-already-moderated"

    def rated() -> dict | None:
        shown = platform.event(event["id"])
        return shown if shown["rating_count"] == 1 else None

    shown = eventually(rated, timeout=15, what="the approved review counted in the event's rating")
    assert shown["rating_avg"] == 5.0
    listed = platform.http.get("/api/v1/events/", params={"q": event["title"]}).json()
    assert [(e["id"], e["rating_avg"], e["rating_count"]) for e in listed] == [(event["id"], 5.0, 1)]

    public = platform.http.get(url).json()
    assert [(r["id"], r["rating"], r["comment"], r["reason"]) for r in public] == [
        (good["id"], 5, "Great talks and pizza.", None)]

    def hidden() -> list | None:  # the rejection is another review's stream: maybe another partition, a bit later
        found = platform.http.get(url, params={"status": "rejected"}, headers=people["support"]).json()
        return found or None

    assert [(r["id"], r["reason"]) for r in eventually(hidden, timeout=15, what="the rejected review listed")] == [
        (meh["id"], "Please describe the event, not the queue.")]
    assert is_problem(platform.http.get(url, params={"status": "rejected"}, headers=stranger.auth), 403)
