"""What an operator reads of the running system, through the gateway (honcho-started, test profile).

* `/metrics/<service>-api` and `/metrics/<service>-worker` answer on every process with the named metric
  families, only for admins (ops:read): 401 anonymous, 403 for everyone else.
* A request through the gateway increments its route's counter (by route template).
* Each worker's detailed health is there for admins, with its relays and consumers.
* Every process logs to a file under `$EP_DATA/logs`.
* The `/docs/` index's links resolve, the AsyncAPI document is served, and the operator's page loads.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from e2e_support import OWN_PROCESSES, bearer, eventually, is_problem

pytestmark = pytest.mark.e2e

SERVICES = ("users", "events", "bookings", "payments")
API_FAMILIES = ("ep_http_requests_total", "ep_http_request_seconds_bucket", "process_cpu_seconds_total")
WORKER_FAMILIES = ("ep_relay_position", "ep_relay_store_position", "ep_relay_published_total",
                   "ep_relay_stuck", "ep_consumer_lag_messages", "ep_dlq_messages_total",
                   "ep_consumer_retries_total")
# Observed once per applied batch: present once the worker has applied something.
BATCH_FAMILIES = ("ep_consumer_batch_size_bucket", "ep_consumer_batch_seconds_bucket",
                  "ep_consumer_event_lag_seconds_bucket", "ep_consumer_messages_total",
                  "ep_relay_publish_seconds_bucket")


def sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1).split(",") for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


def families(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)", text, re.M)}


@pytest.fixture(scope="module")
def admin(platform) -> dict[str, str]:
    return bearer(platform.admin_token())


def test_metrics_answer_on_every_api_and_worker_with_the_named_families(gateway, platform, admin):
    # Something for the workers to relay and apply: an event (events), a booking (bookings, payments views).
    organizer = platform.organizer("Metrics Organizer")
    event = platform.create_event(organizer, seats=3, title="Metrics")
    platform.wait_bookable(event["id"], organizer)
    platform.booked(platform.register("Metrics Participant"), event["id"])
    for service in SERVICES:
        r = gateway.get(f"/metrics/{service}-api", headers=admin)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text[:200]
        missing = set(API_FAMILIES) - families(r.text)
        assert not missing, f"{service}-api lacks {missing}"

        def worker_families(process: str = f"{service}-worker") -> str | None:
            r = gateway.get(f"/metrics/{process}", headers=admin)
            assert r.status_code == 200, r.text[:200]
            missing = set(WORKER_FAMILIES) - families(r.text)
            assert not missing, f"{process} lacks {missing}"
            return r.text

        text = eventually(worker_families, timeout=30, what=f"{service}-worker metrics")
        if service != "users":  # the users worker may not have had a message of its own yet
            missing = set(BATCH_FAMILIES) - families(text)
            assert not missing, f"{service}-worker lacks {missing}"
    bookings = gateway.get("/metrics/bookings-worker", headers=admin).text
    assert 'ep_saga_stuck{service="bookings",status="pending"}' in bookings
    assert sample(bookings, "ep_consumer_messages_total", kind="handler", outcome="applied") >= 1  # saga steps


def test_metrics_and_worker_health_are_for_operators_only(gateway, platform):
    participant = platform.register("Curious Participant")
    for path in ("/metrics/bookings-api", "/metrics/bookings-worker", "/health/bookings-worker",
                 "/health/bookings/detail"):
        assert is_problem(gateway.get(path), 401), path
        assert is_problem(gateway.get(path, headers=participant.auth), 403), path
    assert gateway.get("/metrics").status_code == 404  # the raw endpoint is the internal port's, not the gateway's


def test_a_request_increments_its_routes_counter(gateway, admin):
    route = dict(service="events", method="GET", route="/api/v1/events/", status="200")
    before = sample(gateway.get("/metrics/events-api", headers=admin).text, "ep_http_requests_total", **route)
    for _ in range(3):
        assert gateway.get("/api/v1/events/?limit=1").status_code == 200
    after = sample(gateway.get("/metrics/events-api", headers=admin).text, "ep_http_requests_total", **route)
    assert after >= before + 3


def test_worker_health_reports_relays_consumers_and_dependencies(gateway, admin):
    for service in SERVICES:
        def healthy(service: str = service) -> dict | None:
            r = gateway.get(f"/health/{service}-worker", headers=admin)
            assert r.status_code == 200, r.text[:300]
            body = r.json()
            return body if body["dependencies"] else None

        body = eventually(healthy, timeout=30, what=f"{service}-worker health")
        assert body["status"] in ("ok", "degraded"), body
        assert body["dependencies"]["database"] == "ok"
        assert all(r["status"] == "ok" for r in body["relays"].values()), body["relays"]
        assert body["relays"], f"{service}-worker reports no relay"
    detail = gateway.get("/health/bookings/detail", headers=admin).json()
    assert detail["dependencies"]["database"]["status"] == "ok"


def test_every_process_logs_to_a_file_under_the_profiles_data_folder(gateway, system_env):
    logs = Path(system_env["LOG_DIR"])
    assert logs == Path(system_env["EP_DATA"]) / "logs"
    for service in SERVICES:
        # This run's layout: bookings and payments split in two processes, the others one each (e2e conftest).
        split = f"{service}-worker" in OWN_PROCESSES
        for process in (f"{service}-api", f"{service}-worker") if split else (f"{service}-service",):
            path = logs / f"{process}.log"
            line = eventually(lambda p=path: p.exists() and p.stat().st_size > 0 and p.read_text().splitlines()[0],
                              timeout=30, what=f"{path}")
            assert json.loads(line)["service"].startswith(service)  # users-worker names itself so


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/"):
            self.hrefs.append(href)


def test_the_docs_index_links_resolve_and_the_ops_page_loads(gateway):
    index = gateway.get("/docs/")
    assert index.status_code == 200
    parser = Links()
    parser.feed(index.text)
    assert {"/docs/asyncapi.json", "/docs/ops"} <= set(parser.hrefs)
    assert {f"/docs/{s}/openapi.json" for s in SERVICES} <= set(parser.hrefs)
    for href in parser.hrefs:
        r = gateway.get(href, follow_redirects=True)
        assert r.status_code == 200, href
    asyncapi = gateway.get("/docs/asyncapi.json").json()
    assert asyncapi["asyncapi"].startswith("3.") and "bookings.v1" in json.dumps(asyncapi["channels"])
    ops = gateway.get("/docs/ops")
    assert ops.status_code == 200 and ops.headers["content-type"].startswith("text/html")
    assert "/metrics/" in ops.text and "<script" in ops.text
    assert not re.search(r'src="https?://', ops.text), "no CDN: the machine has no internet"
