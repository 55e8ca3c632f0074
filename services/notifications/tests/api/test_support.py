"""/api/v1/support: a user's threads, support's replies and management, per role; bad input changes nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from authkit.testing import caller

from notifications_service.testing import assert_problem
from notifications_service.testing_comms import World, sync_support

pytestmark = pytest.mark.api

URL = "/api/v1/support"


@pytest.fixture(scope="module")
def world(settings, client) -> World:
    return World(settings.conninfo(settings.database))


@pytest.fixture
def sync(client, settings):
    return lambda: sync_support(settings.conninfo(settings.database), client.app.state.container.support)


def post(client, who, content="My ticket did not arrive."):
    return client.post(f"{URL}/messages", headers=who.headers, json={"content": content})


def test_a_users_messages_continue_their_open_thread(client, participant):
    first = post(client, participant)
    assert first.status_code == 201, first.text
    second = post(client, participant, "Any news?")
    assert second.json()["id"] == first.json()["id"]
    assert [m["content"] for m in second.json()["messages"]] == ["My ticket did not arrive.", "Any news?"]
    assert [m["author"] for m in second.json()["messages"]] == ["user", "user"]
    assert second.json()["status"] == "open"


def test_nobody_else_but_support_and_admin_sees_a_thread(client, participant, other_participant, organizer,
                                                         support, admin):
    thread = post(client, participant).json()
    url = f"{URL}/threads/{thread['id']}"
    assert client.get(url, headers=participant.headers).status_code == 200
    for stranger in (other_participant, organizer):
        assert_problem(client.get(url, headers=stranger.headers), 404)
        assert_problem(client.post(f"{url}/close", headers=stranger.headers), 404)
        assert_problem(client.post(f"{url}/reopen", headers=stranger.headers), 404)
    for agent in (support, admin):
        assert client.get(url, headers=agent.headers).json()["user_id"] == str(participant.user_id)
    assert_problem(client.get(url), 401)
    assert_problem(client.get(f"{URL}/threads/{uuid4()}", headers=support.headers), 404)


def test_only_support_and_admin_reply_and_assign(client, participant, other_participant, organizer, support,
                                                 admin, world):
    thread = post(client, participant).json()
    url = f"{URL}/threads/{thread['id']}"
    for who in (participant, other_participant, organizer):
        assert_problem(client.post(f"{url}/reply", headers=who.headers, json={"content": "hi"}), 403)
        assert_problem(client.post(f"{url}/assign", headers=who.headers,
                                   json={"assignee_id": str(support.user_id)}), 403)
    r = client.post(f"{url}/reply", headers=support.headers, json={"content": "We are on it."})
    assert r.status_code == 200, r.text
    assert r.json()["messages"][-1] | {"posted_at": None} == {
        "id": r.json()["messages"][-1]["id"], "author_id": str(support.user_id), "author": "support",
        "content": "We are on it.", "posted_at": None}
    assert client.post(f"{url}/reply", headers=admin.headers, json={"content": "Admin here."}).status_code == 200

    world.user("support", user_id=support.user_id)
    r = client.post(f"{url}/assign", headers=admin.headers, json={"assignee_id": str(support.user_id)})
    assert r.status_code == 200 and r.json()["assignee_id"] == str(support.user_id)
    assert_problem(client.post(f"{url}/assign", headers=admin.headers,
                               json={"assignee_id": str(world.user("participant"))}), 422)
    assert_problem(client.post(f"{url}/assign", headers=admin.headers, json={"assignee_id": str(uuid4())}), 422)
    assert_problem(client.post(f"{URL}/threads/{uuid4()}/assign", headers=admin.headers,
                               json={"assignee_id": str(support.user_id)}), 404)


def test_replying_to_a_closed_thread_is_409_and_the_next_message_starts_a_new_thread(client, participant,
                                                                                     support):
    thread = post(client, participant).json()
    url = f"{URL}/threads/{thread['id']}"
    r = client.post(f"{url}/close", headers=participant.headers)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert_problem(client.post(f"{url}/close", headers=support.headers), 409)
    assert_problem(client.post(f"{url}/reply", headers=support.headers, json={"content": "Hello?"}), 409)
    assert len(client.get(url, headers=support.headers).json()["messages"]) == 1

    newer = post(client, participant, "Another question").json()
    assert newer["id"] != thread["id"] and len(newer["messages"]) == 1
    assert_problem(client.post(f"{url}/reopen", headers=support.headers), 409)  # the user has one open
    assert_problem(client.post(f"{URL}/threads/{newer['id']}/reopen", headers=support.headers), 409)  # open
    assert client.post(f"{URL}/threads/{newer['id']}/close", headers=support.headers).status_code == 200
    r = client.post(f"{url}/reopen", headers=support.headers)
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert post(client, participant, "Back to this one").json()["id"] == thread["id"]


def test_lists_own_threads_agents_all_with_filters(client, participant, other_participant, support, admin,
                                                   sync, world):
    mine = post(client, participant).json()
    theirs = post(client, other_participant).json()
    world.user("support", user_id=support.user_id)
    client.post(f"{URL}/threads/{theirs['id']}/assign", headers=support.headers,
                json={"assignee_id": str(support.user_id)})
    sync()
    own = client.get(f"{URL}/threads", headers=participant.headers)
    assert own.status_code == 200
    assert {t["user_id"] for t in own.json()} == {str(participant.user_id)}
    assert mine["id"] in [t["id"] for t in own.json()]
    every = client.get(f"{URL}/threads", headers=admin.headers, params={"limit": 100}).json()
    assert {mine["id"], theirs["id"]} <= {t["id"] for t in every}
    assigned = client.get(f"{URL}/threads", headers=support.headers,
                          params={"assignee_id": str(support.user_id), "status": "open"}).json()
    assert [t["id"] for t in assigned] == [theirs["id"]]
    assert assigned[0]["message_count"] == 1
    assert_problem(client.get(f"{URL}/threads", headers=participant.headers,
                              params={"assignee_id": str(support.user_id)}), 403)
    assert_problem(client.get(f"{URL}/threads", headers=participant.headers, params={"status": "lost"}), 422)
    assert_problem(client.get(f"{URL}/threads"), 401)


@pytest.mark.parametrize("content", ["", "   \n\t ", "x" * 4001, "bad\x00byte"])
def test_empty_or_oversized_content_is_422_and_changes_nothing(client, issuer, support, content):
    user = caller(issuer, "participant")
    thread = post(client, user).json()
    assert_problem(post(client, user, content), 422)
    url = f"{URL}/threads/{thread['id']}"
    assert_problem(client.post(f"{url}/reply", headers=support.headers, json={"content": content}), 422)
    assert len(client.get(url, headers=user.headers).json()["messages"]) == 1
    fresh = caller(issuer, "participant")
    assert_problem(post(client, fresh, content), 422)
    assert_problem(client.post(f"{URL}/messages", headers=fresh.headers, json={"content": "hi", "x": 1}), 422)


def test_every_input_is_bounded(client):
    from webkit.openapi import unbounded_inputs
    assert unbounded_inputs(client.app.openapi()) == []
