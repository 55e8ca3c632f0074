"""Each service's Swagger UI page needs nothing beyond the service: its scripts, styles and icon are served
under /docs/<service>/ (the same path through the gateway), and it is titled "Event Planner — <service>"."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from webkit import create_app
from webkit.testing import assert_problem

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def client() -> TestClient:
    router = APIRouter()

    @router.get("/api/v1/rooms/")
    def rooms() -> list[str]:
        return []

    return TestClient(create_app("rooms", version="1", routers=[router]))


def test_the_page_loads_everything_from_the_service_itself(client):
    page = client.get("/docs/rooms/")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text) + re.findall(r"url: ?'([^']+)'", page.text)
    assert urls and all(u.startswith("/docs/rooms/") for u in urls), urls
    assert "cdn" not in page.text and "https://" not in page.text
    assert "<title>Event Planner — rooms</title>" in page.text
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url
    assert client.get("/docs/rooms/assets/swagger-ui-bundle.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/docs/rooms/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.head("/docs/rooms/assets/swagger-ui.css").status_code == 200


def test_only_the_known_assets_are_served(client):
    for name in ("core.py", "..%2F__init__.py", "swagger-ui.js"):
        assert_problem(client.get(f"/docs/rooms/assets/{name}"), 404)


def test_the_title_scheme(client):
    assert client.get("/docs/rooms/openapi.json").json()["info"]["title"] == "Event Planner — rooms"
    other = create_app("rooms", version="1", routers=[], project="Club Planner")
    assert other.title == "Club Planner — rooms"
