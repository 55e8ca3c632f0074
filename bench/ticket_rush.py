"""Ticket rush on ONE event through the whole system (gateway → bookings → saga → events → back), free and paid.

Subject: 2,000 booking requests from 50 keep-alive connections for 500 seats (group size 1), sent by a lean
load generator in its own process (bench/_loadgen.py: raw asyncio HTTP, reports its own CPU-seconds).
"Final" is observed through the public API by this process (not the load generator): the event's bookings
list, polled every 100 ms, until none is pending or awaiting payment. Measured:
* bookings/s until every booking is final and visible (confirmed, or waitlisted once the seats are gone);
* request → final latency per booking: the server's time of the booking's final step (`updated_at`) minus
  when the load generator sent the request (same machine, same clock);
* at low load, request → final of single bookings one at a time;
* CPU-seconds per booking of every process (from /proc: services, gateway, PostgreSQL, Kafka, load
  generator, observer).
The paid rush's bookings are paid in the sandbox (succeeding) by the load generator as soon as they await
payment, like payers at a card form; its request → final includes that round trip.
Baseline, same run, same PostgreSQL: pgbench (compiled, 50 clients) running single-row conditional
`UPDATE … SET taken = taken + 1 WHERE taken < cap` transactions — the hot-row limit of any design that keeps
an event's seat count in one row.
Checks zero oversell (confirmed seats ≤ capacity) and, apart, seats_available == capacity − confirmed − held.
Also: projection lag p99 during the rush (target ≤ 500 ms), from the workers' own /metrics (bench/_lag.py).
Also: PostgreSQL statements per booking by service database and the costliest statements (pg_stat_statements),
and with RUSH_PROFILE=1 a py-spy profile of every service during the rush (bench/_profile.py).
Knobs: RUSH_REQUESTS, RUSH_LOW_LOAD, RUSH_PAID=0 (free rush only), RUSH_PROCFILE=Procfile.split (split layout),
RUSH_LEASES=0 (seat leases off: every free booking asks the Event, as before issue 8; on is the default),
RUSH_PROFILE=1.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spine.settings import InfraSettings  # noqa: E402
from spine.testing import fresh_database  # noqa: E402

import _batches  # noqa: E402
import _cpu  # noqa: E402
import _lag  # noqa: E402
import _profile  # noqa: E402
import _statements  # noqa: E402
from _stats import summary_ms  # noqa: E402
from deploy.system import System  # noqa: E402

REQUESTS = int(os.environ.get("RUSH_REQUESTS", 2000))
CLIENTS, SEATS, USERS = 50, 500, 10
LOW_LOAD = int(os.environ.get("RUSH_LOW_LOAD", 100))
PAID = os.environ.get("RUSH_PAID", "1") != "0"
PROFILE = os.environ.get("RUSH_PROFILE", "0") != "0"  # py-spy every service during the rush (bench/_profile.py)
PROCFILE = os.environ.get("RUSH_PROCFILE", "Procfile")  # Procfile.split: each service's api and worker apart
LEASES = os.environ.get("RUSH_LEASES", "1") != "0"  # 0: BOOKINGS_SEAT_LEASES=false for the system under test
PASSWORD = "correct horse battery 42"
HERE = Path(__file__).resolve().parent


def bearer(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/users/login", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def register(client: httpx.Client, role: str | None = None) -> dict[str, str]:
    email, password = f"{uuid4().hex[:12]}@bench.example", PASSWORD
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
    for key, value in (("max_waitlist_length", 1_000_000), ("max_seats_per_user_per_event", 100_000),
                       ("max_pending_payments_per_user", 1_000)):
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


def create_event(client: httpx.Client, organizer: dict[str, str], seats: int, price: str | None = None) -> str:
    body = {"title": f"Rush {uuid4().hex[:6]}", "description": "bench", "duration_minutes": 60,
            "start_time": (datetime.now(UTC) + timedelta(days=30)).isoformat(), "max_participants": seats,
            "is_paid": price is not None}
    if price is not None:
        body.update(price=price, currency="EUR", allowed_payment_methods=["sandbox"])
    r = client.post("/api/v1/events/", json=body, headers=organizer)
    r.raise_for_status()
    return r.json()["id"]


def wait_bookable(client: httpx.Client, token: dict[str, str], event_id: str, timeout: float = 60) -> None:
    """Until the bookings service knows the event (it learns through Kafka): an impossible group size is
    refused with something other than 404 then, and nothing is booked."""
    deadline = time.monotonic() + timeout
    while client.post("/api/v1/bookings/", headers=token,
                      json={"event_id": event_id, "group_size": 10_000}).status_code == 404:
        if time.monotonic() > deadline:
            raise TimeoutError(f"event {event_id} not bookable after {timeout} s")
        time.sleep(0.2)


def loadgen(system: System, job: dict) -> subprocess.Popen:
    """Start the load generator in its own process; read its result with `result_of`."""
    work = Path(tempfile.mkdtemp(prefix="ep-rush-"))
    (work / "job.json").write_text(json.dumps({"host": "127.0.0.1", "port": int(system.env["GATEWAY_PORT"]), **job}))
    proc = subprocess.Popen([sys.executable, str(HERE / "_loadgen.py"), str(work / "job.json"), str(work / "out.json")])
    proc.out = work / "out.json"  # type: ignore[attr-defined]
    return proc


def result_of(proc: subprocess.Popen) -> dict:
    if proc.wait() != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode})")
    return json.loads(proc.out.read_text())  # type: ignore[attr-defined]


def count(client: httpx.Client, token: dict[str, str], event_id: str, status: str | None = None) -> int:
    params = {"event_id": event_id, "limit": 1, **({"status": status} if status else {})}
    r = client.get("/api/v1/bookings/", params=params, headers=token)
    r.raise_for_status()
    return int(r.headers["X-Total-Count"])


def observe(client: httpx.Client, token: dict[str, str], event_id: str, proc: subprocess.Popen,
            timeout: float = 600) -> float:
    """Poll the public bookings list until every requested booking is visible and none is pending or awaits
    payment; the wall-clock time it saw that."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None and count(client, token, event_id) >= REQUESTS and \
                count(client, token, event_id, "pending") + count(client, token, event_id, "awaiting_payment") == 0:
            return time.time()
        if time.monotonic() > deadline:
            raise TimeoutError(f"bookings of {event_id} not final after {timeout} s")
        time.sleep(0.1)


def all_bookings(client: httpx.Client, token: dict[str, str], event_id: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for offset in range(0, REQUESTS + 100, 100):
        r = client.get("/api/v1/bookings/", params={"event_id": event_id, "limit": 100, "offset": offset},
                       headers=token)
        r.raise_for_status()
        found.update((b["id"], b) for b in r.json())
    return found


def scenario(system: System, organizer: dict[str, str], tokens: list[str], admin: dict[str, str],
             paid: bool) -> dict:
    """Low-load bookings one at a time, then the rush; figures of both."""
    client = system.client
    price = "5.00" if paid else None
    rush_event = create_event(client, organizer, SEATS, price)
    calm_event = create_event(client, organizer, 100_000, price)
    for e in (rush_event, calm_event):
        wait_bookable(client, {"Authorization": f"Bearer {tokens[0]}"}, e)
    low_n = LOW_LOAD if not paid else max(10, LOW_LOAD // 3)
    low = result_of(loadgen(system, {"mode": "serial", "event_id": calm_event, "tokens": tokens[:1],
                                     "requests": low_n, "clients": 1, "paid": paid}))
    lag_before = _lag.settle(client, admin)
    batches_before = _batches.scrape(client, admin)
    session = system.proc.pid
    infra = InfraSettings(postgres_port=int(system.env["POSTGRES_PORT"]),
                          kafka_bootstrap_servers=system.env["KAFKA_BOOTSTRAP_SERVERS"])
    _statements.reset(infra)
    profiles = _profile.Profiles(system.proc.pid) if PROFILE else None
    cpu_before, me_before = _cpu.sample(session, system.env["EP_DATA"]), os.times()
    proc = loadgen(system, {"mode": "rush", "event_id": rush_event, "tokens": tokens, "requests": REQUESTS,
                            "clients": CLIENTS, "paid": paid})
    done = observe(client, organizer, rush_event, proc)
    cpu_after, me_after = _cpu.sample(session, system.env["EP_DATA"]), os.times()
    statements = _statements.read(infra)
    profiled = profiles.stop() if profiles else {}
    gen = result_of(proc)
    lag_window = _lag.delta(_lag.settle(client, admin), lag_before)
    batches_window = _batches.delta(_batches.scrape(client, admin), batches_before)
    bookings = all_bookings(client, organizer, rush_event)
    mine = [bookings[b] for b in gen["sent"]]
    latencies = [datetime.fromisoformat(b["updated_at"]).timestamp() - gen["sent"][b["id"]] for b in mine]
    seats_left = client.get(f"/api/v1/events/{rush_event}").json()["seats_available"]
    cpu = _cpu.delta(cpu_after, cpu_before)
    cpu["load generator"] = gen["cpu_seconds"]
    cpu["observer (this process)"] = (me_after.user + me_after.system) - (me_before.user + me_before.system)
    states = [b["status"] for b in mine]
    return {"paid": paid, "rate": len(mine) / (done - gen["started"]),
            "decided_rate": len(mine) / (max(latencies[i] + gen["sent"][b["id"]] for i, b in enumerate(mine))
                                         - gen["started"]),
            "accepted_rate": len(mine) / (gen["accepted_done"] - gen["started"]),
            "latency": summary_ms(latencies), "low": summary_ms(low["latencies"]), "low_n": low_n,
            "confirmed": states.count("confirmed"), "waitlisted": states.count("waitlisted"),
            "other": len(states) - states.count("confirmed") - states.count("waitlisted"),
            "seats_left": seats_left, "cpu": cpu, "lag": lag_window,
            "statements": statements, "profiled": profiled, "batches": batches_window,
            "wall": done - gen["started"]}


def pgbench_hot_row(env: dict[str, str], seconds: int = 5) -> float:
    """The same-run baseline: pgbench's tx/s of the conditional hot-row UPDATE from CLIENTS connections."""
    binary = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), "pgbench")
    settings = InfraSettings(postgres_port=int(env["POSTGRES_PORT"]),
                             kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"])
    with fresh_database("bench_hot", settings) as db:
        import psycopg
        with psycopg.connect(settings.conninfo(db), autocommit=True) as conn:
            conn.execute("CREATE TABLE hot (id int PRIMARY KEY, taken int NOT NULL, cap int NOT NULL)")
            conn.execute("INSERT INTO hot VALUES (1, 0, 1000000000)")
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write("UPDATE hot SET taken = taken + 1 WHERE id = 1 AND taken < cap;\n")
            script.flush()
            out = subprocess.run([binary, "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(seconds), "-f", script.name,
                                  "-h", settings.postgres_host, "-p", str(settings.postgres_port),
                                  "-U", settings.postgres_user, db], capture_output=True, text=True, check=True,
                                 env={**os.environ, "PGPASSWORD": settings.postgres_password}).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def report(r: dict, hot: float) -> None:
    lat, low = r["latency"], r["low"]
    kind = "paid (sandbox payments succeed)" if r["paid"] else "free"
    print(f"\n== ticket rush: {REQUESTS} requests, {CLIENTS} keep-alive connections, {SEATS} seats, one {kind} event, "
          f"seat leases {'on' if LEASES else 'off'}")
    print(f"  bookings final/s (visible via API) {r['rate']:10.1f}   ({r['wall']:.1f} s)")
    print(f"  bookings final/s (decided)         {r['decided_rate']:10.1f}")
    print(f"  hot-row UPDATE tx/s (pgbench)      {hot:10.1f}")
    print(f"  ratio subject/baseline             {r['rate'] / hot:10.3f}")
    print(f"  requests accepted/s (HTTP 202)     {r['accepted_rate']:10.1f}")
    print(f"  request → final  p50 {lat['p50']:.0f} ms  p95 {lat['p95']:.0f} ms  p99 {lat['p99']:.0f} ms")
    held = r["confirmed"]
    print(f"  confirmed {r['confirmed']}  waitlisted {r['waitlisted']}  other {r['other']}  "
          f"seats_available {r['seats_left']}")
    # Oversell is more seats confirmed than exist. seats_available is checked apart: with seat leases it may
    # show fewer (the lease's free seats) until the catalogue counts lease use (h/truthful).
    print(f"  oversell: {'NONE' if held <= SEATS else 'YES'}   seats_available == capacity - confirmed: "
          f"{'yes' if r['seats_left'] == SEATS - held else 'NO'}")
    print(f"== low load: {r['low_n']} {kind} bookings one at a time, request → final")
    print(f"  p50 {low['p50']:.1f} ms  p95 {low['p95']:.1f} ms  p99 {low['p99']:.1f} ms")
    print(f"== CPU-seconds per booking (rush window), by process; total {sum(r['cpu'].values()):.1f} CPU-s")
    for name, secs in sorted(r["cpu"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:28} {secs / REQUESTS * 1000:8.2f} ms/booking   ({secs:6.2f} s)")
    _lag.report(r["lag"])
    _batches.report(r["batches"])
    _statements.report(r["statements"], REQUESTS)
    if r["profiled"]:
        _profile.report(r["profiled"])


def main() -> None:
    # The system's processes inherit this environment (deploy.system.profile_env keeps what is already set).
    os.environ["BOOKINGS_SEAT_LEASES"] = "true" if LEASES else "false"
    print(f"== ticket rush with seat leases {'ON' if LEASES else 'OFF'} (BOOKINGS_SEAT_LEASES="
          f"{os.environ['BOOKINGS_SEAT_LEASES']}; RUSH_LEASES=0 runs it off), layout {PROCFILE}", flush=True)
    with System("test", procfile=PROCFILE) as system:
        client = system.client
        organizer = register(client, "organizer")
        tokens = [register(client)["Authorization"].split()[1] for _ in range(USERS)]
        lift_per_user_limits(client, organizer)
        admin = admin_token(client)
        results = [scenario(system, organizer, tokens, admin, paid=False)]
        if PAID:
            results.append(scenario(system, organizer, tokens, admin, paid=True))
        env = system.env
    hot = pgbench_hot_row(env)
    for r in results:
        report(r, hot)
    summary = [{k: v for k, v in r.items() if k not in ("lag", "cpu", "statements", "profiled")}
               | {"hot": hot, "seat_leases": LEASES}
               for r in results]
    print(f"\nSUMMARY {json.dumps(summary)}")


if __name__ == "__main__":
    main()
