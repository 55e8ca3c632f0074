"""GET /api/v1/notifications/ and POST /{id}/read: own notifications only, newest first, unread filter."""

from __future__ import annotations

from uuid import uuid4

import pytest

from notifications_service.testing import assert_problem

pytestmark = pytest.mark.api

URL = "/api/v1/notifications/"


def test_a_new_user_has_an_empty_inbox(client, participant):
    r = client.get(URL, headers=participant.headers)
    assert r.status_code == 200, r.text
    assert r.json() == [] and r.headers["X-Total-Count"] == "0"


def test_anonymous_gets_401(client):
    assert_problem(client.get(URL), 401)


def test_reading_a_notification_nobody_has_is_404(client, participant):
    assert_problem(client.post(f"{URL}{uuid4()}/read", headers=participant.headers), 404)


def test_bad_paging_is_a_422_problem(client, participant):
    assert_problem(client.get(URL, params={"limit": 0}, headers=participant.headers), 422)


def test_every_input_is_bounded(client):
    from webkit.openapi import unbounded_inputs
    assert unbounded_inputs(client.app.openapi()) == []
