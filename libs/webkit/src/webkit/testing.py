"""Test helpers shared by every service's tests (plain functions, no fixtures)."""

from __future__ import annotations

from typing import Any


def assert_problem(response: Any, status: int, title: str | None = None) -> dict[str, Any]:
    """Check an RFC 9457 problem+json answer (status, and `title` when given); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    if title is not None:
        assert body["title"] == title, body
    return body
