"""Test helpers shared by every service's tests (plain functions, no fixtures)."""

from __future__ import annotations

from typing import Any

from webkit.problems import is_error_name, problem_type, slug_of


def assert_problem(response: Any, status: int, title: str | None = None) -> dict[str, Any]:
    """Check an RFC 9457 problem+json answer (status, and `title` when given); returns its body.

    A refusal's CamelCase name (`SeatsUnavailable`) checks its stable type instead
    (`/docs/problems#seats-unavailable`) and that its title is a phrase, not the class name."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    if title is not None and is_error_name(title):
        assert body["type"] == problem_type(slug_of(title)) and not is_error_name(body["title"]), body
    elif title is not None:
        assert body["title"] == title, body
    return body
