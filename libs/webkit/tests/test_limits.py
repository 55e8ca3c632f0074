"""Input limits at the edge: body sizes, bounded field types, Allow on OPTIONS/405, and the OpenAPI document
that states all of it. Every refusal is a 4xx problem, never a 500."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import OAuth2PasswordBearer
from fastapi.testclient import TestClient
from pydantic import BaseModel

from webkit import PageParams, create_app, set_page_headers
from webkit.body_limit import DEFAULT_MAX_BODY_BYTES, body_limit
from webkit.fields import INT32_MAX, INT64_MAX, BoundedJson, Line, LowerLine, PositiveInt32, Text, Timestamp
from webkit.openapi import unbounded_inputs
from webkit.testing import assert_problem as problem

pytestmark = pytest.mark.unit


class Note(BaseModel):
    title: Annotated[str, Line(20, min_length=1)]
    body: Annotated[str, Text(100)] = ""
    tags: list[Annotated[str, LowerLine(5)]] = []
    seats: PositiveInt32 = 1
    at: Timestamp | None = None
    extra: Annotated[Any, BoundedJson(64, max_depth=3)] = None


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1/notes")

    @r.post("")
    def create(note: Note) -> dict[str, Any]:
        return note.model_dump(mode="json")

    @r.get("")
    def search(request: Request, response: Response, page: PageParams,
               q: Annotated[Annotated[str, Line(10)] | None, Query()] = None,
               after: Annotated[Timestamp | None, Query()] = None
               ) -> dict[str, Any]:
        set_page_headers(request, response, 0, page)
        return {"q": q, "after": after and after.isoformat(), "offset": page.offset}

    @r.post("/upload", openapi_extra=body_limit(200_000))
    async def upload(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @r.post("/tiny", openapi_extra=body_limit(10))
    async def tiny(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @r.get("/mine")
    def mine(token: Annotated[str | None, Depends(OAuth2PasswordBearer("/token", auto_error=False))]) -> dict:
        return {"token": token}

    @r.get("/{note_id}")
    def read(note_id: int) -> dict[str, int]:
        return {"id": note_id}

    @r.patch("/{note_id}")
    def edit(note_id: int) -> dict[str, int]:
        return {"id": note_id}

    return r


@pytest.fixture(scope="module")
def client():
    app = create_app("notes", title="Notes", version="1", routers=[router()])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_a_body_over_the_default_limit_is_413_before_it_is_read(client):
    body = problem(client.post("/api/v1/notes", content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1),
                               headers={"content-type": "application/json"}), 413)
    assert str(DEFAULT_MAX_BODY_BYTES) in body["detail"]


def test_a_chunked_body_is_counted_as_it_arrives(client):
    chunks = (b"x" * 10_000 for _ in range(10))
    problem(client.post("/api/v1/notes", content=chunks, headers={"content-type": "application/json"}), 413)


def test_a_route_sets_its_own_limit_larger_or_smaller(client):
    assert client.post("/api/v1/notes/upload", content=b"x" * 150_000).json() == {"size": 150_000}
    problem(client.post("/api/v1/notes/upload", content=b"x" * 200_001), 413)
    assert client.post("/api/v1/notes/tiny", content=b"x" * 10).json() == {"size": 10}
    problem(client.post("/api/v1/notes/tiny", content=b"x" * 11), 413)


@pytest.mark.parametrize("note", [
    {"title": "a\x00b"},                                  # NUL: PostgreSQL text cannot hold it
    {"title": "line\nbreak"},                             # a single line stays one line
    {"title": "x" * 21},
    {"title": "ok", "body": "bell\x07"},
    {"title": "c1\x85control"},
    {"title": "ok", "tags": ["İİİ"]},                     # 6 characters once lower-cased
    {"title": "ok", "seats": INT32_MAX + 1},              # beyond PostgreSQL integer
    {"title": "ok", "seats": 10**100},
    {"title": "ok", "at": "9999-12-31T23:59:59-23:00"},   # year 10000 in UTC
    {"title": "ok", "at": "1969-12-31T23:59:59Z"},
    {"title": "ok", "at": 0.5},                           # seconds since 1970 are not a date-time here
    {"title": "ok", "extra": "x" * 100},
    {"title": "ok", "extra": [[[["deep"]]]]},
    {"title": "ok", "extra": {"k": "nul\x00"}},
])
def test_values_that_would_break_a_view_are_422(client, note):
    body = problem(client.post("/api/v1/notes", json=note), 422)
    assert body["errors"]


def test_values_within_the_limits_are_kept(client):
    note = {"title": "Ünïcode ok", "body": "two\nlines\ttab", "tags": [" PyCon "], "seats": INT32_MAX,
            "at": "2030-05-01T20:00:00+02:00", "extra": {"a": [1, 2]}}
    assert client.post("/api/v1/notes", json=note).json() == {
        **note, "tags": ["pycon"], "at": "2030-05-01T18:00:00Z"}


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"q": "x" * 11}, {"after": "0.5"}, {"after": "1e9"},
                                    {"offset": INT64_MAX + 1}, {"offset": -1}])
def test_bad_query_parameters_are_422(client, params):
    problem(client.get("/api/v1/notes", params=params), 422)


def test_the_largest_offset_is_an_empty_page(client):
    assert client.get("/api/v1/notes", params={"offset": INT64_MAX}).json()["offset"] == INT64_MAX


def test_a_deeply_nested_body_is_a_400_problem(client):
    problem(client.post("/api/v1/notes", content=b"[" * 20_000, headers={"content-type": "application/json"}), 400)


def test_options_and_405_name_every_method_of_the_path(client):
    options = client.options("/api/v1/notes/7")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, OPTIONS, PATCH"
    problem(client.delete("/api/v1/notes/7"), 405)
    assert client.delete("/api/v1/notes/7").headers["allow"] == "GET, OPTIONS, PATCH"
    assert client.options("/api/v1/nowhere").status_code == 404


def test_the_openapi_document_states_problems_and_body_limits(client):
    doc = client.get("/docs/notes/openapi.json").json()
    create = doc["paths"]["/api/v1/notes"]["post"]
    assert {"400", "413", "422"} <= set(create["responses"])
    assert create["x-max-body-bytes"] == DEFAULT_MAX_BODY_BYTES
    assert doc["paths"]["/api/v1/notes/upload"]["post"]["x-max-body-bytes"] == 200_000
    assert "422" in doc["paths"]["/api/v1/notes"]["get"]["responses"]
    assert "401" in doc["paths"]["/api/v1/notes/mine"]["get"]["responses"]  # it reads a token
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (path, method, status)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    note = doc["components"]["schemas"]["Note"]["properties"]
    assert note["title"]["maxLength"] == 20 and "pattern" in note["title"]
    assert note["seats"]["maximum"] == INT32_MAX


class Loose(BaseModel):
    name: str
    sizes: list[Annotated[str, Line(5)]]
    count: int
    blob: Any
    bounded: Annotated[Any, BoundedJson(10)]


def test_unbounded_inputs_are_found_in_the_document():
    r = APIRouter()

    @r.post("/loose/{n}")
    def loose(n: int, body: Loose, q: str | None = None) -> None:
        return None

    app = create_app("loose", title="Loose", version="1", routers=[r])
    assert sorted(unbounded_inputs(app.openapi())) == [
        "POST /loose/{n} body.blob: any JSON value without x-max-bytes",
        "POST /loose/{n} body.count: integer without maximum",
        "POST /loose/{n} body.name: string without maxLength",
        "POST /loose/{n} body.sizes: array without maxItems",
        "POST /loose/{n} n: integer without maximum",
        "POST /loose/{n} q: string without maxLength",
    ]
