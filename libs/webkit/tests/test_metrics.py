"""An api's metrics, health and log file: what an operator (and a supervisor) reads.

* A request increments its route's counter, labelled by the route template, not the raw path.
* The public health is terse; the detailed one answers only through the ops guard; unhealthy alarms are 503.
* With LOG_DIR set, the process also logs to `<LOG_DIR>/<process>.log`, size-capped and rotated.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
from typing import Annotated

import pytest
from fastapi import APIRouter, Header, HTTPException
from fastapi.testclient import TestClient

from webkit import configure_logging, create_app

pytestmark = pytest.mark.unit

router = APIRouter()


@router.get("/api/v1/rooms/{room_id}")
def room(room_id: int) -> dict:
    return {"id": room_id}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in the Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1).split(",") for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


def forbid_unless_header(x_ops: Annotated[str | None, Header()] = None) -> None:
    """A stand-in for authkit's require(OPS_READ): a real token check is the e2e tests' business."""
    if x_ops != "yes":
        raise HTTPException(403, "ops:read needed")


def app_with(alarms: list[dict]):
    def readout(detail: bool = False) -> dict:
        return {"alarms": [a if detail else {k: v for k, v in a.items() if k != "detail"} for a in alarms],
                **({"dependencies": {"database": {"status": "ok"}}} if detail else {})}

    return TestClient(create_app("rooms", title="rooms", version="1", routers=[router], health=readout,
                                 ops_guard=forbid_unless_header))


def test_a_request_increments_its_routes_counter_by_template():
    client = app_with([])
    route = "/api/v1/rooms/{room_id}"
    before = sample(client.get("/metrics").text, "ep_http_requests_total", service="rooms", route=route, status="200")
    assert client.get("/api/v1/rooms/7").status_code == 200
    assert client.get("/api/v1/rooms/8").status_code == 200
    text = client.get("/metrics").text
    assert sample(text, "ep_http_requests_total", service="rooms", route=route, status="200") == before + 2
    assert sample(text, "ep_http_request_seconds_count", service="rooms", route=route, method="GET") >= 2
    assert "/api/v1/rooms/7" not in text  # never a raw path: one series per route, not per room

    client.get("/no/such/path")
    text = client.get("/metrics").text
    assert sample(text, "ep_http_requests_total", service="rooms", route="unmatched", status="404") >= 1


def test_public_health_is_terse_and_the_detailed_one_is_guarded():
    client = app_with([{"source": "dlq:x", "kind": "dead_lettered", "detail": "psycopg said something internal"}])
    public = client.get("/health/rooms")
    assert public.status_code == 200
    assert public.json() == {"status": "degraded", "alarms": [{"source": "dlq:x", "kind": "dead_lettered"}]}
    assert client.get("/health/rooms/detail").status_code == 403
    assert client.get("/ops/authorize").status_code == 403
    detail = client.get("/health/rooms/detail", headers={"X-Ops": "yes"})
    assert detail.status_code == 200
    assert detail.json()["alarms"][0]["detail"] == "psycopg said something internal"
    assert detail.json()["dependencies"] == {"database": {"status": "ok"}}
    assert client.get("/ops/authorize", headers={"X-Ops": "yes"}).status_code == 204


@pytest.mark.parametrize("kind", ["relay_stuck", "consumer_stopped", "unreachable"])
def test_work_not_being_processed_is_unhealthy_503(kind):
    r = app_with([{"source": "s", "kind": kind, "detail": "d"}]).get("/health/rooms")
    assert r.status_code == 503
    assert r.json() == {"status": "unhealthy", "alarms": [{"source": "s", "kind": kind}]}


def test_logs_also_go_to_a_rotated_file_under_LOG_DIR(tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("LOG_FILE_MAX_BYTES", "2000")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("rooms", process="rooms-api")
        for i in range(50):
            logging.getLogger("rooms").info("line %s of the test", i)
        for handler in root.handlers:
            handler.flush()
        log_file = tmp_path / "logs" / "rooms-api.log"
        last = json.loads(log_file.read_text().splitlines()[-1])
        assert last["event"] == "line 49 of the test" and last["service"] == "rooms"
        assert log_file.stat().st_size <= 2000
        assert (tmp_path / "logs" / "rooms-api.log.1").exists()  # rotated, not grown without bound
        assert not (tmp_path / "logs" / "rooms-api.log.4").exists()  # and capped: three old files at most
    finally:
        for handler in root.handlers:
            if isinstance(handler, logging.handlers.RotatingFileHandler):
                handler.close()
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
