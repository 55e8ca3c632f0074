"""`make replay` on a running system: every view is rebuilt from Kafka while writes go on and the gateway
answers every list throughout (no 5xx, never fewer rows than before); afterwards `planner-ops verify --all`
finds each view equal to a rebuild, and a list read with a command's position shows that command's row.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def planner_ops(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv/bin/planner-ops"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_replay_all_while_serving_then_verify(platform, gateway, system_env):
    organizer = platform.organizer("Rita Replay")
    participant = platform.register("Pat Replay")
    events = [platform.create_event(organizer, seats=4, title="Replay") for _ in range(3)]
    platform.wait_bookable(events[0]["id"], participant)
    platform.booked(participant, events[0]["id"])
    lists = {"/api/v1/events/?limit=5": {}, "/api/v1/bookings/": participant.auth,
             "/api/v1/roles": participant.auth}
    stop = threading.Event()
    seen: dict[str, list[tuple[int, int]]] = {path: [] for path in lists}
    gateway_url = str(gateway.base_url)

    def read() -> None:
        with httpx.Client(base_url=gateway_url, timeout=30) as http:
            while not stop.is_set():
                for path, headers in lists.items():
                    r = http.get(path, headers=headers)
                    seen[path].append((r.status_code, int(r.headers.get("X-Total-Count", -1))))
                time.sleep(0.02)

    def write() -> None:
        while not stop.is_set():
            platform.create_event(organizer, seats=2, title="Replay more")
            time.sleep(0.2)

    threads = [threading.Thread(target=read), threading.Thread(target=write)]
    for t in threads:
        t.start()
    try:
        replay = planner_ops(system_env, "replay", "--all")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert replay.returncode == 0, replay.stdout + replay.stderr
    for path, answers in seen.items():
        assert answers, path
        assert all(status == 200 for status, _ in answers), (path, sorted({s for s, _ in answers}))
        totals = [total for _, total in answers]
        assert totals == sorted(totals), f"{path}: the list went backwards during the replay"
        assert totals[0] > 0, path

    created = gateway.post("/api/v1/events/", headers=organizer.auth, json={
        "title": "After the replay", "start_time": events[0]["start_time"], "duration_minutes": 30,
        "max_participants": 3})
    assert created.status_code == 201, created.text
    listed = gateway.get("/api/v1/events/", params={"after": created.headers["X-Event-Position"], "limit": 100,
                                                    "q": "After the replay"})
    assert listed.status_code == 200 and "X-View-Stale" not in listed.headers
    assert created.json()["id"] in [e["id"] for e in listed.json()]

    verify = planner_ops(system_env, "verify", "--all")
    assert verify.returncode == 0, verify.stdout + verify.stderr
