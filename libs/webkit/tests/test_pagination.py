"""Paged lists tell the client the total and where the neighbouring pages are (RFC 8288 Link)."""

import re

import pytest

from webkit import Page

pytestmark = pytest.mark.api


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]*)>; rel="(\w+)"', response.headers["link"])}


def test_middle_page_links_all_four_and_keeps_other_params(client):
    response = client.get("/api/v1/events", params={"q": "jazz", "limit": 10, "offset": 20})
    assert response.status_code == 200
    assert [e["id"] for e in response.json()] == list(range(20, 30))
    assert response.headers["x-total-count"] == "45"
    assert links(response) == {
        "first": "/api/v1/events?q=jazz&limit=10&offset=0",
        "prev": "/api/v1/events?q=jazz&limit=10&offset=10",
        "next": "/api/v1/events?q=jazz&limit=10&offset=30",
        "last": "/api/v1/events?q=jazz&limit=10&offset=40",
    }


def test_defaults_to_twenty_from_the_start_without_prev(client):
    response = client.get("/api/v1/events")
    assert len(response.json()) == 20
    assert links(response) == {
        "first": "/api/v1/events?limit=20&offset=0",
        "next": "/api/v1/events?limit=20&offset=20",
        "last": "/api/v1/events?limit=20&offset=40",
    }


def test_last_page_has_no_next(client):
    response = client.get("/api/v1/events?limit=20&offset=40")
    assert [e["id"] for e in response.json()] == list(range(40, 45))
    assert set(links(response)) == {"first", "prev", "last"}
    assert links(response)["prev"].endswith("offset=20")


def test_offset_past_the_end_gives_empty_page_pointing_back(client):
    response = client.get("/api/v1/events?limit=10&offset=100")
    assert response.json() == []
    assert links(response)["prev"].endswith("offset=40")  # the real last page, not offset 90


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=ten"])
def test_bad_paging_values_are_422_problems(client, query):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][0] == "query"


def test_page_rejects_out_of_range_values_when_built_in_code():
    assert Page().limit == 20 and Page().offset == 0
    with pytest.raises(ValueError):
        Page(limit=101)
    with pytest.raises(ValueError):
        Page(offset=-5)
