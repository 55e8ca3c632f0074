"""The admin's user list is the users view: it follows every account change, and reads the caller's writes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.api


def test_a_re_enabled_account_is_listed_as_enabled(client, admin, signup, project):
    ada = signup()
    assert client.post(f"/api/v1/users/{ada.id}/disable", headers=admin.headers).status_code == 200
    project()
    listed = client.get("/api/v1/users/", params={"q": ada.email}, headers=admin.headers).json()
    assert [u["disabled"] for u in listed] == [True]
    enabled = client.post(f"/api/v1/users/{ada.id}/enable", headers=admin.headers)
    assert enabled.status_code == 200 and enabled.headers["X-Event-Position"].startswith(f"{ada.id}:")
    project()
    listed = client.get("/api/v1/users/", params={"q": ada.email}, headers=admin.headers).json()
    assert [u["disabled"] for u in listed] == [False]


def test_a_position_the_view_has_not_reached_answers_stale(client, admin, signup):
    ada = signup()
    later = f"{ada.id}:999"
    response = client.get("/api/v1/users/", params={"after": later}, headers=admin.headers)
    assert response.status_code == 200 and response.headers["X-View-Stale"] == "true"


def test_the_role_list_is_paged_in_definition_order_and_shows_a_new_role(client, admin, project):
    created = client.post("/api/v1/roles", json={"name": "usher", "permissions": []}, headers=admin.headers)
    assert created.status_code == 201
    project()
    first = client.get("/api/v1/roles", params={"limit": 2, "after": created.headers["X-Event-Position"]},
                       headers=admin.headers)
    assert first.status_code == 200 and "X-View-Stale" not in first.headers
    assert [r["name"] for r in first.json()] == ["admin", "organizer"]
    total = int(first.headers["X-Total-Count"])
    assert 'rel="next"' in first.headers["Link"]
    last = client.get("/api/v1/roles", params={"limit": 1, "offset": total - 1}, headers=admin.headers).json()
    assert last == [{"name": "usher", "permissions": []}]
