"""Fault test beyond worker SIGKILLs: during a rush of free and paid bookings, restart the Kafka broker,
restart PostgreSQL, and SIGKILL the bookings API (then start it again).

Clients behave as real ones do: a request that meets an outage (502/503/504, 500, a dropped connection) is
retried with the same Idempotency-Key. Right after PostgreSQL is back, every API must answer a read with 200
(no 500 from a pooled connection the restart killed). Afterwards: every accepted booking (202) is final or waitlisted,
no event is oversold and seats add up, every kept payment belongs to exactly one confirmed booking and none
succeeded or was refunded twice, and every read model (events' catalogue, bookings_view, payments_view)
equals a rebuild of it from its topic at offset 0, row for row.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import httpx
import pytest

from e2e_support import (
    ROOT,
    SETTLED,
    Ask,
    Person,
    Platform,
    Workers,
    check_seats,
    eventually,
    read_topic,
    refresh,
)
from fault_support import caught_up, rebuild_equals_live

# Last of all: whatever a restart leaves behind, no other test sees it.
pytestmark = [pytest.mark.e2e, pytest.mark.disruptive(last=True),
              # It restarts the local clusters with deploy/*.sh; containers (deploy/test_infra.py) are not restarted.
              pytest.mark.skipif(os.environ.get("EP_INFRA") == "containers",
                                 reason="restarts the local PostgreSQL and Kafka, not containers")]

WAVES = 4
FREE_PER_WAVE, PAID_PER_WAVE = 10, 8
FREE_SEATS, PAID_SEATS = 20, 12
RETRY_FOR = 90.0  # how long a client keeps retrying one request through the outages
SETTLE_TIMEOUT = 150.0
OUTAGE = (500, 502, 503, 504)
# One read per service that needs its database.
PROBES = ("/api/v1/users/me", "/api/v1/events/?limit=1", "/api/v1/bookings/?limit=1", "/api/v1/payments/?limit=1")


class Faults:
    """Runs the three faults one after another in a thread, each after the wave before it went out."""

    def __init__(self, env: dict[str, str], workers: Workers, platform: Platform, person: Person):
        self.env = env
        self.workers = workers
        self.platform = platform
        self.person = person
        self.done: list[str] = []
        self.errors: list[BaseException] = []
        self.after_restart: list[tuple[str, int, str]] = []  # answers other than 200 once PostgreSQL is back

    def _script(self, script: str, action: str) -> None:
        subprocess.run(["bash", script, action], cwd=ROOT, env=self.env, check=True, capture_output=True,
                       timeout=180)

    def restart_kafka(self, outage: threading.Event) -> None:
        self._script("deploy/kafka.sh", "down")
        outage.set()
        time.sleep(2.0)  # the broker stays away a while: producers and consumers must notice, not just retry
        self._script("deploy/kafka.sh", "up")
        self.done.append("kafka restarted")

    def restart_postgres(self, outage: threading.Event) -> None:
        self._script("deploy/postgres.sh", "down")
        outage.set()
        time.sleep(2.0)
        self._script("deploy/postgres.sh", "up")
        self.done.append("postgres restarted")
        # PostgreSQL is back: every API must serve again at once (a pooled connection the restart killed must
        # not reach a client as a 500).
        for _ in range(3):
            for path in PROBES:
                r = self.platform.http.get(path, headers=self.person.auth)
                if r.status_code != 200:
                    self.after_restart.append((path, r.status_code, r.text[:200]))

    def kill_api(self, outage: threading.Event) -> None:
        self.workers.kill("bookings-api")
        outage.set()
        time.sleep(1.0)
        self.workers.start("bookings-api")
        self.done.append("bookings-api killed and restarted")

    def run_in_background(self, fault) -> tuple[threading.Thread, threading.Event]:
        """Start `fault` in a thread; the event is set once the component is down."""
        outage = threading.Event()

        def run() -> None:
            try:
                fault(outage)
            except BaseException as exc:  # surfaced by the test
                self.errors.append(exc)
            finally:
                outage.set()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, outage


def submit(platform: Platform, asks: list[Ask], refused: list[tuple[str, int, str]], stage: str) -> None:
    """Book like a client that retries through outages with one Idempotency-Key per booking: an outage, or
    any answer with Retry-After (e.g. 409 for a lost concurrency race), is tried again after a pause; any
    other answer than 202 goes to `refused` (the ask stays unaccepted)."""
    def send(ask: Ask) -> None:
        key = str(uuid4())
        deadline = time.monotonic() + RETRY_FOR
        last = None
        while time.monotonic() < deadline:
            r = None
            try:
                r = platform.book(ask.person, ask.event_id, ask.group_size, method=ask.method, key=key)
            except httpx.TransportError as exc:
                last = exc
            else:
                if r.status_code == 202:
                    ask.booking_id, ask.last = r.json()["id"], r.json()
                    return
                if r.status_code not in OUTAGE and "Retry-After" not in r.headers:
                    refused.append((stage, r.status_code, r.text[:300]))
                    return
                last = f"{r.status_code} {r.text[:200]}"
            time.sleep(0.3 if r is None or "Retry-After" not in r.headers
                       else min(2.0, float(r.headers["Retry-After"])))
        refused.append((stage, 0, f"not accepted within {RETRY_FOR:.0f} s: {last}"))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, asks))


def pay_due(platform: Platform, asks: list[Ask], answered: set[str], rng: random.Random) -> None:
    """Owners pay held bookings (a fifth of first payments fail on purpose); outages are simply tried again."""
    try:
        refresh(platform, [a for a in asks if a.status not in SETTLED])
    except (AssertionError, httpx.TransportError):
        return
    for ask in asks:
        if ask.status != "awaiting_payment" or ask.last["payment_id"] in answered:
            continue
        first = ask.booking_id not in answered  # a promoted booking's fresh payment is always paid
        outcome = "failed" if first and rng.random() < 0.2 else "succeeded"
        try:
            r = platform.sandbox(ask.person, ask.last["payment_id"], outcome)
        except httpx.TransportError:
            continue
        if r.status_code in (200, 409):
            answered.add(ask.last["payment_id"])
            answered.add(ask.booking_id)  # type: ignore[arg-type]


def test_restarting_kafka_and_postgres_and_killing_an_api_loses_nothing(platform: Platform, crowd,
                                                                        workers: Workers, system_env):
    rng = random.Random(6)
    organizer = platform.organizer()
    free = platform.create_event(organizer, seats=FREE_SEATS, title="Fault free")
    paid = platform.create_event(organizer, seats=PAID_SEATS, price="12.50", title="Fault paid")
    platform.wait_bookable(free["id"], crowd[0])
    platform.wait_bookable(paid["id"], crowd[0])

    faults = Faults(system_env, workers, platform, crowd[-1])
    asks: list[Ask] = []
    refused: list[tuple[str, int, str]] = []
    answered: set[str] = set()
    plan = [None, faults.kill_api, faults.restart_kafka, faults.restart_postgres]
    try:
        for wave, fault in zip(range(WAVES), plan, strict=True):
            batch = ([Ask(rng.choice(crowd), free["id"], rng.choice((1, 2))) for _ in range(FREE_PER_WAVE)]
                     + [Ask(rng.choice(crowd), paid["id"], rng.choice((1, 2)), "sandbox")
                        for _ in range(PAID_PER_WAVE)])
            rng.shuffle(batch)
            thread = None
            if fault is not None:
                thread, outage = faults.run_in_background(fault)
                outage.wait(timeout=120)  # the wave goes out while the component is down
            stage = fault.__name__ if fault else "no fault"
            started = time.monotonic()
            submit(platform, batch, refused, stage)  # while the fault happens
            print(f"\nwave {wave} ({stage}): sent in {time.monotonic() - started:.1f} s, {len(refused)} refused so far")
            asks += [a for a in batch if a.booking_id is not None]
            while thread is not None and thread.is_alive():
                pay_due(platform, asks, answered, rng)
                time.sleep(0.3)
            pay_due(platform, asks, answered, rng)
    finally:
        workers.restart_dead()
    assert not faults.errors, faults.errors
    assert faults.done == ["bookings-api killed and restarted", "kafka restarted", "postgres restarted"]
    print(f"\nfaults: {faults.done}; kills: {workers.kills}; refused: {refused}")

    def all_settled() -> bool:
        pay_due(platform, asks, answered, rng)
        unsettled = [(a.booking_id, a.status) for a in asks if a.status not in SETTLED]
        assert not unsettled, f"{len(unsettled)} accepted bookings not final yet, e.g. {unsettled[:3]}"
        return True

    eventually(all_settled, timeout=SETTLE_TIMEOUT, interval=0.5, what="every accepted booking final")
    for event in (free, paid):
        def seats_add_up(e: dict = event) -> dict:
            pay_due(platform, asks, answered, rng)  # a late promotion gets a fresh hold: its owner pays it
            return check_seats(platform, organizer, e, asks)

        result = eventually(seats_add_up, timeout=60, interval=0.5, what=f"seats add up on {event['title']}")
        print(f"{event['title']}: {result}")

    bootstrap = system_env["KAFKA_BOOTSTRAP_SERVERS"]
    ours = {a.booking_id: a for a in asks}

    def money_adds_up() -> dict:
        succeeded: dict[str, set[str]] = defaultdict(set)
        refunded: dict[str, set[str]] = defaultdict(set)
        outcomes: dict[tuple[str, str], set[str]] = defaultdict(set)
        for envelope in read_topic(bootstrap, "payments.v1"):
            payload = envelope["payload"]
            if payload.get("booking_id") not in ours or envelope["type"] not in ("PaymentSucceeded",
                                                                                 "PaymentRefunded"):
                continue
            (succeeded if envelope["type"] == "PaymentSucceeded" else refunded)[payload["booking_id"]].add(
                payload["payment_id"])
            outcomes[(envelope["type"], payload["payment_id"])].add(envelope["event_id"])
        doubled = {k: v for k, v in outcomes.items() if len(v) > 1}
        assert not doubled, f"a payment succeeded or was refunded more than once: {doubled}"
        for ask in (a for a in asks if a.event_id == paid["id"]):
            kept = succeeded[ask.booking_id] - refunded[ask.booking_id]
            if ask.status == "confirmed":
                assert kept == {ask.last["payment_id"]}, f"confirmed {ask.booking_id} keeps {kept}"
            else:
                assert not kept, f"{ask.booking_id} is {ask.status} but keeps payments {kept}"
        return {"charged": sum(map(len, succeeded.values())), "refunded": sum(map(len, refunded.values()))}

    print(f"payments: {eventually(money_adds_up, timeout=30, interval=1, what='every kept payment has a seat')}")

    def views_equal_aggregates() -> bool:
        """What lists show (read models) equals what the aggregates say, for this test's events and bookings."""
        r = platform.http.get("/api/v1/events/", params={"created_by": organizer.id, "limit": 100})
        assert r.status_code == 200, r.text
        listed = {e["id"]: e["seats_available"] for e in r.json()}
        for event in (free, paid):
            assert listed.get(event["id"]) == platform.event(event["id"])["seats_available"], (event["id"], listed)
        refresh(platform, asks)
        for event in (free, paid):
            in_view = {b["id"]: b["status"] for b in platform.event_bookings(organizer, event["id"])}
            aggregates = {a.booking_id: a.status for a in asks if a.event_id == event["id"]}
            assert in_view == aggregates, {k: (in_view.get(k), v) for k, v in aggregates.items()
                                           if in_view.get(k) != v}
        return True

    eventually(views_equal_aggregates, timeout=30, interval=0.5, what="read models equal the aggregates")
    for database, projection in (("events", "catalogue"), ("bookings", "bookings_view"),
                                 ("payments", "payments_view")):
        def view_equals_rebuild(d: str = database, p: str = projection) -> bool:
            caught_up(system_env, d, p)
            differences = rebuild_equals_live(system_env, d, p)
            assert not differences, f"{p} differs from its rebuild: {differences}"
            return True

        eventually(view_equals_rebuild, timeout=60, interval=1, what=f"{projection} equals a rebuild")
    # Last, so the invariants above are checked whatever happened: a client retrying through an outage with
    # its Idempotency-Key must end with its booking accepted, never with another answer.
    assert not refused, f"{len(refused)} booking requests refused during the faults: {refused}"
    assert not faults.after_restart, f"answers other than 200 right after PostgreSQL came back: {faults.after_restart}"
