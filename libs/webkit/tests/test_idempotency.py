"""Retried POSTs with the same Idempotency-Key get the first answer back and cause no second effect."""

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spine.settings import InfraSettings
from spine.testing import fresh_database
from webkit import IdempotencyMiddleware, install_problem_handlers

pytestmark = pytest.mark.api

MEETUP = {"title": "Jazz night", "capacity": 40}


@pytest.fixture(scope="module")
def conninfo():
    with fresh_database("webkit") as name:
        yield InfraSettings().conninfo(name)


@pytest.fixture
def client(state, conninfo, make_app):
    with TestClient(make_app(state, conninfo), raise_server_exceptions=False) as c:
        yield c


def post(client, key: str, body=MEETUP, token: str | None = "Bearer alice"):
    headers = {"Idempotency-Key": key} | ({"Authorization": token} if token else {})
    return client.post("/api/v1/events", json=body, headers=headers)


def test_retry_replays_the_first_answer_without_creating_again(client, state):
    first = post(client, "create-jazz-1")
    again = post(client, "create-jazz-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert state["created"] == 1


def test_same_json_with_other_spacing_and_key_order_is_the_same_request(client, state):
    post(client, "create-jazz-2")
    again = client.post("/api/v1/events", content=b'{ "capacity": 40,  "title": "Jazz night" }',
                        headers={"Idempotency-Key": "create-jazz-2", "Authorization": "Bearer alice",
                                 "Content-Type": "application/json"})
    assert again.headers["idempotent-replayed"] == "true"
    assert state["created"] == 1


def test_same_key_with_a_different_body_is_422(client, state):
    post(client, "create-jazz-3")
    clash = post(client, "create-jazz-3", body={"title": "Rock night", "capacity": 40})
    assert clash.status_code == 422
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["title"] == "Idempotency-Key reused"
    assert state["created"] == 1


def test_same_key_while_the_first_is_still_running_is_409(client, state):
    state["gate"] = threading.Event()
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", post(client, "create-jazz-4")))
    first.start()
    assert state["entered"].wait(5)
    try:
        busy = post(client, "create-jazz-4")
    finally:
        state["gate"].set()
        first.join(5)
    assert busy.status_code == 409
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["retry-after"] == "1"
    assert results["first"].status_code == 201
    assert post(client, "create-jazz-4").headers["idempotent-replayed"] == "true"
    assert state["created"] == 1


def test_server_errors_are_not_stored_so_the_retry_runs_again(client):
    headers = {"Idempotency-Key": "flaky-1", "Authorization": "Bearer alice"}
    failed = client.post("/api/v1/events/5/flaky", headers=headers)
    retried = client.post("/api/v1/events/5/flaky", headers=headers)
    assert failed.status_code == 500
    assert retried.status_code == 200
    assert retried.json() == {"event_id": 5, "attempt": 2}
    assert "idempotent-replayed" not in retried.headers


def test_client_errors_are_stored_and_replayed(client):
    bad = {"title": "", "capacity": 0}
    first = post(client, "create-bad-1", body=bad)
    again = post(client, "create-bad-1", body=bad)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_keys_are_scoped_per_subject(client, state):
    alice = post(client, "shared-key", token="Bearer alice")
    bob = post(client, "shared-key", token="Bearer bob")
    assert alice.status_code == bob.status_code == 201
    assert alice.json()["id"] != bob.json()["id"]
    assert not any("idempotent-replayed" in r.headers for r in (alice, bob))
    assert state["created"] == 2


def test_a_refreshed_token_of_the_same_subject_replays(client, state):
    first = post(client, "after-refresh", token="Bearer alice.token-1")
    again = post(client, "after-refresh", token="Bearer alice.token-2")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert state["created"] == 1


def test_anonymous_requests_have_no_key_space(client, state, conninfo):
    first = post(client, "anonymous-key", token=None)
    again = post(client, "anonymous-key", token=None)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] != again.json()["id"]
    assert "idempotent-replayed" not in again.headers
    assert state["created"] == 2
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM idempotency_keys WHERE key = 'anonymous-key'").fetchone()[0] == 0


def test_a_token_that_fails_verification_gets_no_key_space(client, state):
    headers = {"Idempotency-Key": "bad-token", "Authorization": "Bearer invalid-signature"}
    refused = client.post("/api/v1/events/3/whoami", headers=headers)
    assert refused.status_code == 401
    ok = client.post("/api/v1/events/3/whoami", headers={**headers, "Authorization": "Bearer alice"})
    assert ok.status_code == 200 and "idempotent-replayed" not in ok.headers


def test_a_lost_race_is_a_retryable_409_that_is_not_stored_and_hides_the_database_text(client, state):
    headers = {"Idempotency-Key": "race-1", "Authorization": "Bearer alice"}
    lost = client.post("/api/v1/events/5/race", headers=headers)
    assert lost.status_code == 409
    assert lost.headers["content-type"] == "application/problem+json"
    assert lost.headers["retry-after"] == "1"
    assert "duplicate key" not in lost.text and "constraint" not in lost.text and "DETAIL" not in lost.text
    retried = client.post("/api/v1/events/5/race", headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert retried.json() == {"event_id": 5, "attempt": 2}


def test_a_429_is_not_stored(client):
    headers = {"Idempotency-Key": "busy-1", "Authorization": "Bearer alice"}
    refused = client.post("/api/v1/events/5/busy", headers=headers)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "3"
    assert refused.json()["retry_after"] == 3
    assert client.post("/api/v1/events/5/busy", headers=headers).json() == {"event_id": 5, "attempt": 2}


def test_excluded_paths_are_never_stored(state, conninfo, make_app):
    app = make_app(state, conninfo, idempotency_exclude=["/api/v1/events/9/whoami"])
    headers = {"Idempotency-Key": "excluded-1", "Authorization": "Bearer alice"}
    with TestClient(app) as c:
        first, again = (c.post("/api/v1/events/9/whoami", headers=headers) for _ in range(2))
    assert (first.json()["call"], again.json()["call"]) == (1, 2)
    assert "idempotent-replayed" not in again.headers
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM idempotency_keys WHERE key = 'excluded-1'").fetchone()[0] == 0


def test_expired_keys_are_purged_while_the_app_runs(state, conninfo, make_router, subject_of):
    app = FastAPI()
    app.include_router(make_router(state))
    install_problem_handlers(app)
    app.add_middleware(IdempotencyMiddleware, conninfo=conninfo, subject=subject_of, ttl=timedelta(hours=1),
                       purge_interval=timedelta(milliseconds=50))
    with TestClient(app) as c:
        post(c, "fresh-key")  # start-up purge done; from now on only the periodic one runs
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("INSERT INTO idempotency_keys (caller, key, fingerprint, status, created_at)"
                         " VALUES ('alice', 'stale-key', 'f', 201, now() - interval '2 hours')")
            deadline = time.monotonic() + 10
            while conn.execute("SELECT count(*) FROM idempotency_keys WHERE key = 'stale-key'").fetchone()[0]:
                assert time.monotonic() < deadline, "the expired key was never purged"
                time.sleep(0.05)
            assert conn.execute("SELECT count(*) FROM idempotency_keys WHERE key = 'fresh-key'").fetchone()[0] == 1


def test_posts_without_a_key_are_not_deduplicated(client, state):
    client.post("/api/v1/events", json=MEETUP)
    client.post("/api/v1/events", json=MEETUP)
    assert state["created"] == 2


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_empty_or_overlong_key_is_400(client, state, key):
    response = post(client, key)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "created" not in state


def test_keys_are_stored_under_the_subject_not_the_token(client, conninfo):
    post(client, "secret-check", token="Bearer carol.very-secret-token")
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("SELECT caller, key FROM idempotency_keys WHERE key = 'secret-check'").fetchall()
    assert rows == [("carol", "secret-check")]


def test_expired_keys_run_again(state, conninfo, make_router, subject_of):
    app = FastAPI()
    app.include_router(make_router(state))
    install_problem_handlers(app)
    app.add_middleware(IdempotencyMiddleware, conninfo=conninfo, subject=subject_of, ttl=timedelta(microseconds=1))
    with TestClient(app) as c:
        first, again = post(c, "expiring"), post(c, "expiring")
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert state["created"] == 2


def test_a_body_nested_too_deep_to_parse_is_a_4xx_problem_not_a_crash(client, state):
    # json.loads raises RecursionError (not ValueError) on '[' * 20000; it used to escape as a plain-text 500.
    response = client.post("/api/v1/events", content=b"[" * 20_000,
                           headers={"Idempotency-Key": "deep-1", "Content-Type": "application/json",
                                    "Authorization": "Bearer alice"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "created" not in state


def test_the_answer_is_stored_before_the_client_sees_it(conninfo, state, make_app):
    """A client that retries the instant it has the first answer gets the replay, never 409 "in progress"."""
    import asyncio

    from webkit.idempotency import _fingerprint
    from webkit.idempotency_store import IdempotencyStore, StoredResponse

    app = make_app(state, conninfo)
    store = IdempotencyStore(conninfo, ttl=timedelta(hours=1), in_flight_timeout=timedelta(minutes=5))
    seen_while_sending: list[object] = []
    body = b'{"title": "Jazz night", "capacity": 40}'
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/events", "raw_path": b"/api/v1/events", "root_path": "", "query_string": b"",
             "server": ("testserver", 80), "client": ("127.0.0.1", 1),
             "headers": [(b"idempotency-key", b"stored-first"), (b"authorization", b"Bearer alice"),
                         (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            # What a retry arriving right now would find: the completed answer, not an in-flight claim.
            seen_while_sending.append(store.claim("alice", "stored-first", _fingerprint(scope, body)))

    asyncio.run(app(scope, receive, send))
    store.close()
    assert len(seen_while_sending) == 1 and isinstance(seen_while_sending[0], StoredResponse), seen_while_sending
    assert seen_while_sending[0].status == 201
