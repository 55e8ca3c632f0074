"""One API voice through the gateway: a refusal names its stable type and a human title, the type resolves to
an anchor on the page the gateway serves, and a bad request lists every invalid field at once."""

from __future__ import annotations

from uuid import uuid4

import pytest

from e2e_support import PASSWORD, Platform, is_problem

pytestmark = pytest.mark.e2e


def test_a_refusals_type_resolves_to_an_anchor_on_the_problems_page(platform: Platform):
    email = f"twice-{uuid4().hex[:8]}@example.com"
    account = {"email": email, "full_name": "Twice", "password": PASSWORD}
    assert platform.http.post("/api/v1/users/", json=account).status_code == 201
    again = platform.http.post("/api/v1/users/", json=account)
    assert is_problem(again, 409)
    assert (again.json()["type"], again.json()["title"]) == ("/docs/problems#email-already-registered",
                                                             "Email already registered")
    page = platform.http.get(again.json()["type"].partition("#")[0])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="email-already-registered"' in page.text and 'id="validation-failed"' in page.text


def test_validation_reports_every_invalid_field_at_once(platform: Platform):
    r = platform.http.post("/api/v1/users/", json={"email": "not an e-mail", "full_name": "", "password": 5})
    assert is_problem(r, 422)
    assert r.json()["type"] == "/docs/problems#validation-failed"
    fields = {tuple(e["loc"])[-1] for e in r.json()["errors"]}
    assert {"email", "full_name", "password"} <= fields, r.json()
