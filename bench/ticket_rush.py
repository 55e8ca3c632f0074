"""Ticket rush on ONE free event through the whole system (gateway → bookings → saga → events → back).

Subject: 2,000 booking requests from 50 concurrent clients for 500 seats (group size 1). Measured:
bookings/s until every booking is final (confirmed, or waitlisted once the seats are gone) and the
request → final-state latency, seen on the bookings.v1 topic. Then, at low load, request → confirmed
latency of single free bookings, one at a time.
Baseline, same run, same PostgreSQL: the rate of single-row conditional
`UPDATE … SET taken = taken + 1 WHERE taken < cap` transactions from 50 clients — the hot-row limit of any
design that keeps an event's seat count in one row.
Checks zero oversell: confirmed seats == capacity, seats_available == 0.
Also: projection lag p99 during the rush (target ≤ 500 ms), from the workers' own /metrics (bench/_lag.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _lag  # noqa: E402
from _stats import summary_ms  # noqa: E402
from deploy.system import System  # noqa: E402
from spine.settings import InfraSettings  # noqa: E402
from spine.testing import fresh_database  # noqa: E402

REQUESTS, CLIENTS, SEATS, USERS = 2000, 50, 500, 10
LOW_LOAD = 100
FINAL = {"BookingConfirmed": "confirmed", "BookingWaitlisted": "waitlisted", "BookingRejected": "rejected"}


def bearer(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/users/login", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def register(client: httpx.Client, role: str | None = None) -> dict[str, str]:
    email, password = f"{uuid4().hex[:12]}@bench.example", "bench-password-1"
    r = client.post("/api/v1/users/", json={"email": email, "full_name": "Bench User", "password": password})
    r.raise_for_status()
    if role:
        admin = bearer(client, os.environ.get("ADMIN_EMAIL", "admin@example.com"),
                       os.environ.get("ADMIN_PASSWORD", "admin-change-me"))
        client.put(f"/api/v1/users/{r.json()['id']}/role", json={"role": role}, headers=admin).raise_for_status()
    return bearer(client, email, password)


def admin_token(client: httpx.Client) -> dict[str, str]:
    return bearer(client, os.environ.get("ADMIN_EMAIL", "admin@example.com"),
                  os.environ.get("ADMIN_PASSWORD", "admin-change-me"))


def lift_per_user_limits(client: httpx.Client, organizer: dict[str, str]) -> None:
    """Ten accounts send 2,000 requests (1,500 of them waiting): lift the per-user seat limit and the waitlist
    cap, and wait until the bookings service obeys them (settings travel through users.v1)."""
    admin = admin_token(client)
    for key, value in (("max_waitlist_length", 1_000_000), ("max_seats_per_user_per_event", 100_000)):
        client.put(f"/api/v1/settings/{key}", json={"value": value, "type": "number"},
                   headers=admin).raise_for_status()
    prober, probe_event = register(client), create_event(client, organizer, 100)
    deadline = time.monotonic() + 60
    accepted = 0
    while accepted < 11:  # over the default share of 10 seats per account and event
        r = client.post("/api/v1/bookings/", headers=prober, json={"event_id": probe_event, "group_size": 1})
        if r.status_code == 202:
            accepted += 1
            continue
        if time.monotonic() > deadline:
            r.raise_for_status()
        time.sleep(0.2)  # 404: the event is not known yet; 409: the old limits still apply


def create_event(client: httpx.Client, organizer: dict[str, str], seats: int) -> str:
    body = {"title": f"Rush {uuid4().hex[:6]}", "description": "bench", "duration_minutes": 60,
            "start_time": (datetime.now(UTC) + timedelta(days=30)).isoformat(), "max_participants": seats,
            "is_paid": False}
    r = client.post("/api/v1/events/", json=body, headers=organizer)
    r.raise_for_status()
    return r.json()["id"]


class FinalStates:
    """Follows bookings.v1 and records when each booking reached a final state."""

    def __init__(self, bootstrap: str):
        self.consumer = AIOKafkaConsumer("bookings.v1", bootstrap_servers=bootstrap, group_id=None,
                                         auto_offset_reset="latest", fetch_max_wait_ms=10,
                                         **InfraSettings().kafka_client_options())
        self.seen: dict[str, tuple[str, float]] = {}
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer.seek_to_end()
        self.task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        import json
        while True:
            for records in (await self.consumer.getmany(timeout_ms=50)).values():
                now = time.perf_counter()
                for r in records:
                    body = json.loads(r.value)
                    if body["type"] in FINAL and body["aggregate_id"] not in self.seen:
                        self.seen[body["aggregate_id"]] = (FINAL[body["type"]], now)

    async def wait_for(self, ids: set[str], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not ids <= self.seen.keys():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{len(ids - self.seen.keys())} bookings not final after {timeout} s")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()


async def rush(base_url: str, tokens: list[dict[str, str]], event_id: str, finals: FinalStates) -> dict:
    sent: dict[str, float] = {}
    queue = list(range(REQUESTS))

    async def client_loop(n: int) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            while queue:
                i = queue.pop()
                t0 = time.perf_counter()
                r = await http.post("/api/v1/bookings/", headers=tokens[i % len(tokens)],
                                    json={"event_id": event_id, "group_size": 1})
                r.raise_for_status()
                sent[r.json()["id"]] = t0

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(CLIENTS)))
    await finals.wait_for(set(sent), timeout=300)
    done = max(finals.seen[b][1] for b in sent)
    latencies = [finals.seen[b][1] - t0 for b, t0 in sent.items()]
    states = [finals.seen[b][0] for b in sent]
    return {"rate": len(sent) / (done - started), "latency": summary_ms(latencies),
            "confirmed": states.count("confirmed"), "waitlisted": states.count("waitlisted"),
            "accepted_rate": len(sent) / (max(sent.values()) - started)}


async def low_load(base_url: str, token: dict[str, str], event_id: str, finals: FinalStates) -> dict:
    latencies = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        for _ in range(LOW_LOAD):
            t0 = time.perf_counter()
            r = await http.post("/api/v1/bookings/", headers=token, json={"event_id": event_id, "group_size": 1})
            r.raise_for_status()
            booking = r.json()["id"]
            await finals.wait_for({booking}, timeout=30)
            latencies.append(finals.seen[booking][1] - t0)
    return summary_ms(latencies)


async def hot_row(settings: InfraSettings, db: str, seconds: float = 5.0) -> float:
    async with await psycopg.AsyncConnection.connect(settings.conninfo(db), autocommit=True) as conn:
        await conn.execute("CREATE TABLE hot (id int PRIMARY KEY, taken int NOT NULL, cap int NOT NULL)")
        await conn.execute("INSERT INTO hot VALUES (1, 0, 1000000000)")
    count = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal count
        async with await psycopg.AsyncConnection.connect(settings.conninfo(db), autocommit=True) as conn:
            while time.perf_counter() < stop_at:
                await conn.execute("UPDATE hot SET taken = taken + 1 WHERE id = 1 AND taken < cap")
                count += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return count / (time.perf_counter() - started)


def main() -> None:
    with System("test") as system:
        env = system.env
        client = system.client
        organizer = register(client, "organizer")
        tokens = [register(client) for _ in range(USERS)]
        lift_per_user_limits(client, organizer)
        rush_event = create_event(client, organizer, SEATS)
        calm_event = create_event(client, organizer, 100_000)
        time.sleep(1.5)  # the bookings service learns of new events through Kafka

        admin = admin_token(client)
        lag_window: dict = {}

        async def measure() -> tuple[dict, dict]:
            finals = FinalStates(env["KAFKA_BOOTSTRAP_SERVERS"])
            await finals.start()
            try:
                low = await low_load(str(client.base_url), tokens[0], calm_event, finals)
                before = await asyncio.to_thread(_lag.settle, client, admin)
                result = await rush(str(client.base_url), tokens, rush_event, finals)
                after = await asyncio.to_thread(_lag.settle, client, admin)
                lag_window.update(_lag.delta(after, before))
            finally:
                await finals.stop()
            return low, result

        low, result = asyncio.run(measure())
        seats_left = client.get(f"/api/v1/events/{rush_event}").json()["seats_available"]

    settings = InfraSettings(postgres_port=int(env["POSTGRES_PORT"]), kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"])
    with fresh_database("bench_hot", settings) as db:
        hot = asyncio.run(hot_row(settings, db))

    lat = result["latency"]
    print(f"\n== ticket rush: {REQUESTS} requests, {CLIENTS} clients, {SEATS} seats, one free event")
    print(f"  bookings final/s (subject)        {result['rate']:10.1f}")
    print(f"  hot-row UPDATE tx/s (baseline)    {hot:10.1f}")
    print(f"  ratio subject/baseline            {result['rate'] / hot:10.3f}")
    print(f"  requests accepted/s (HTTP 202)    {result['accepted_rate']:10.1f}")
    print(f"  request → final  p50 {lat['p50']:.0f} ms  p95 {lat['p95']:.0f} ms  p99 {lat['p99']:.0f} ms")
    print(f"  confirmed {result['confirmed']}  waitlisted {result['waitlisted']}  seats_available {seats_left}")
    print(f"  oversell: {'NONE' if result['confirmed'] <= SEATS and seats_left == SEATS - result['confirmed'] else 'YES'}")
    print(f"== low load: {LOW_LOAD} free bookings one at a time, request → confirmed")
    print(f"  p50 {low['p50']:.1f} ms  p95 {low['p95']:.1f} ms  p99 {low['p99']:.1f} ms")
    _lag.report(lag_window)


if __name__ == "__main__":
    main()
