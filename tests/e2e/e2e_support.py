"""What a client of the gateway does, as plain helpers: people, events, bookings, payments, and waiting.

Every wait polls with a deadline (never a long fixed sleep): the system is asynchronous, so a test waits
for what a user would eventually see, and fails with the last thing it saw.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import pytest

from spine.settings import InfraSettings

PASSWORD = "correct horse battery staple"
POLL = 0.1
# Statuses a booking never leaves by itself (waitlisted leaves only when seats free up).
FINAL = frozenset({"confirmed", "cancelled", "rejected", "expired"})
SETTLED = FINAL | {"waitlisted"}
T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
# Saga workers (and the bookings and payments APIs) run outside honcho so a test may kill them (see Workers).
# events runs in the default layout (API and worker in one `events-service` process, as the Procfile starts
# users and notifications); bookings and payments run split (`<service>-api` + `<service>-worker`, as
# Procfile.split starts every service), so the crash test can kill their workers while their APIs take
# bookings and sandbox payments — every booking and payment of the suite goes through the split layout.
OWN_WORKERS = ("bookings-worker", "events-service", "payments-worker")
OWN_APIS = ("bookings-api", "payments-api")
OWN_PROCESSES = OWN_WORKERS + OWN_APIS
# Procfile processes the session's own processes replace.
NOT_FROM_PROCFILE = (*OWN_PROCESSES, "bookings-service", "payments-service")
# The bookings processes that read BOOKINGS_SEAT_LEASES (restarted by the `seat_leases` fixture to switch it).
BOOKINGS_PROCESSES = ("bookings-api", "bookings-worker")
# The `seat_leases` fixture (conftest.py) switches bookings' seat leases per test. BOTH_LEASE_SETTINGS runs a
# test twice, leases on (the default) and off (the per-booking path, BOOKINGS_SEAT_LEASES=false): only the rush
# and crash tests, since switching restarts bookings. LEASES_OFF pins a test to the per-booking path.
BOTH_LEASE_SETTINGS = pytest.mark.parametrize("seat_leases", [True, False], ids=["leases-on", "leases-off"],
                                              indirect=True)
LEASES_OFF = pytest.mark.parametrize("seat_leases", [False], ids=["leases-off"], indirect=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def is_problem(r: httpx.Response, status: int | tuple[int, ...]) -> bool:
    statuses = (status,) if isinstance(status, int) else status
    return r.status_code in statuses and r.headers.get("content-type", "").startswith("application/problem+json")


def eventually(probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = POLL) -> T:
    """Call `probe` until it returns something other than None (or stops raising AssertionError)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            result = probe()
            if result is not None:
                return result
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {last})")
        time.sleep(interval)


@dataclass(frozen=True)
class Person:
    """A registered, logged-in user."""

    id: str
    email: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)


class Platform:
    """The gateway seen by one test session."""

    def __init__(self, client: httpx.Client):
        self.http = client
        self._admin: str | None = None
        self._admin_at = 0.0

    # --- people --------------------------------------------------------------------------------------

    def login(self, email: str, password: str = PASSWORD) -> str:
        r = self.http.post("/api/v1/users/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def register(self, name: str = "E2E Participant") -> Person:
        """A new participant with a unique e-mail (the test database outlives a single run)."""
        email = f"e2e-{uuid4().hex[:12]}@example.com"
        r = self.http.post("/api/v1/users/", json={"email": email, "full_name": name, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return Person(r.json()["id"], email, self.login(email))

    def register_many(self, count: int, name: str = "Rush Participant") -> list[Person]:
        """Registration hashes passwords (slow on purpose): a few at a time."""
        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda i: self.register(f"{name} {i}"), range(count)))

    def admin_token(self) -> str:
        # Access tokens live 15 minutes and a whole `make test` session is longer: sign in again well before.
        if self._admin is None or time.monotonic() - self._admin_at > 600:
            self._admin_at = time.monotonic()
            self._admin = self.login(os.environ.get("ADMIN_EMAIL", "admin@example.com"),
                                     os.environ.get("ADMIN_PASSWORD", "admin-change-me"))
        return self._admin

    def organizer(self, name: str = "Olga Organizer") -> Person:
        """A participant promoted by the admin; a fresh login puts the new role into the token."""
        person = self.register(name)
        r = self.http.put(f"/api/v1/users/{person.id}/role", json={"role": "organizer"},
                          headers=bearer(self.admin_token()))
        assert r.status_code == 200, r.text
        return Person(person.id, person.email, self.login(person.email))

    # --- events --------------------------------------------------------------------------------------

    def create_event(self, organizer: Person, seats: int, *, price: str | None = None,
                     methods: Iterable[str] = ("sandbox",), title: str = "E2E event") -> dict:
        """A scheduled event two weeks ahead; paid when `price` is given."""
        body: dict[str, Any] = {
            "title": f"{title} {uuid4().hex[:8]}", "description": "Seats for the saga tests.",
            "start_time": (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0).isoformat(),
            "duration_minutes": 90, "max_participants": seats, "is_paid": price is not None, "tags": ["e2e"]}
        if price is not None:
            body.update(price=price, currency="EUR", allowed_payment_methods=list(methods))
        r = self.http.post("/api/v1/events/", json=body, headers=organizer.auth)
        assert r.status_code == 201, r.text
        return r.json()

    def event(self, event_id: str) -> dict:
        r = self.http.get(f"/api/v1/events/{event_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def wait_bookable(self, event_id: str, person: Person, timeout: float = 15) -> None:
        """Until the bookings service knows the event (its catalogue replica is fed through Kafka).

        Probes with an impossible group size: 404 means "unknown event yet", another refusal means known;
        nothing is booked.
        """
        def probe() -> bool | None:
            r = self.http.post("/api/v1/bookings/", json={"event_id": event_id, "group_size": 100_000},
                               headers=person.auth)
            assert r.status_code in (404, 409, 422), r.text
            return True if r.status_code != 404 else None

        eventually(probe, timeout=timeout, what=f"event {event_id} bookable")

    # --- platform settings ---------------------------------------------------------------------------

    def put_setting(self, key: str, value: Any, type_: str = "number") -> None:
        r = self.http.put(f"/api/v1/settings/{key}", json={"value": value, "type": type_},
                          headers=bearer(self.admin_token()))
        assert r.status_code == 200, r.text

    def allow_many_bookings_per_account(self, timeout: float = 30) -> None:
        """Rushes let a few accounts stand for many buyers (registering is slow): lift the per-user limits
        (max_seats_per_user_per_event 10, max_pending_payments_per_user 5 by default) and wait until the
        bookings service obeys them — settings reach it through users.v1. Probed with 11 unpaid one-seat
        bookings of a paid probe event, which is over both defaults."""
        self.put_setting("max_pending_payments_per_user", 1_000)
        self.put_setting("max_seats_per_user_per_event", 100_000)
        prober = self.register("Limit Prober")
        event = self.create_event(self.organizer("Limit Probe Organizer"), seats=100, price="1.00",
                                  title="Limit probe")
        self.wait_bookable(event["id"], prober)
        accepted = 0

        def probe() -> bool | None:
            nonlocal accepted
            while accepted < 11:
                r = self.book(prober, event["id"], method="sandbox")
                assert r.status_code in (202, 409, 429), r.text
                if r.status_code != 202:
                    return None  # still the old limits: ask again later
                accepted += 1
            return True

        eventually(probe, timeout=timeout, what="per-user limits lifted in the bookings service")

    # --- bookings ------------------------------------------------------------------------------------

    def book(self, person: Person, event_id: str, group_size: int = 1, *, method: str | None = None,
             key: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"event_id": event_id, "group_size": group_size}
        if method is not None:
            body["payment_method"] = method
        headers = {**person.auth, **({"Idempotency-Key": key} if key else {})}
        return self.http.post("/api/v1/bookings/", json=body, headers=headers)

    def booked(self, person: Person, event_id: str, group_size: int = 1, *, method: str | None = None) -> dict:
        r = self.book(person, event_id, group_size, method=method)
        assert r.status_code == 202, r.text
        # With seat leases (the default) a free booking may be confirmed in the request's own transaction.
        assert r.json()["status"] in ("pending", "waitlisted", "confirmed"), r.json()
        return r.json()

    def booking(self, person: Person, booking_id: str) -> dict:
        r = self.http.get(f"/api/v1/bookings/{booking_id}", headers=person.auth)
        assert r.status_code == 200, r.text
        return r.json()

    def wait_status(self, person: Person, booking_id: str, *statuses: str, timeout: float = 10) -> dict:
        """Until the booking is in one of `statuses`; fails at once if it ends in another final status."""
        def probe() -> dict | None:
            b = self.booking(person, booking_id)
            if b["status"] in statuses:
                return b
            assert b["status"] not in FINAL, f"booking ended {b['status']} ({b.get('reason')}), wanted {statuses}"
            return None

        return eventually(probe, timeout=timeout, what=f"booking {booking_id} {'|'.join(statuses)}")

    def cancel(self, person: Person, booking_id: str) -> httpx.Response:
        return self.http.post(f"/api/v1/bookings/{booking_id}/cancel", headers=person.auth)

    def event_bookings(self, organizer: Person, event_id: str) -> list[dict]:
        """Every booking of an event as its organizer lists them (read model; waitlisted last, in line order)."""
        rows: list[dict] = []
        while True:
            r = self.http.get("/api/v1/bookings/", params={"event_id": event_id, "limit": 100, "offset": len(rows)},
                              headers=organizer.auth)
            assert r.status_code == 200, r.text
            rows += r.json()
            if len(rows) >= int(r.headers["X-Total-Count"]) or not r.json():
                return rows

    # --- payments ------------------------------------------------------------------------------------

    def payment(self, person: Person, payment_id: str) -> dict:
        r = self.http.get(f"/api/v1/payments/{payment_id}", headers=person.auth)
        assert r.status_code == 200, r.text
        return r.json()

    def sandbox(self, person: Person, payment_id: str, outcome: str) -> httpx.Response:
        return self.http.post(f"/api/v1/payments/{payment_id}/sandbox", json={"outcome": outcome},
                              headers=person.auth)

    def pay(self, person: Person, payment_id: str, outcome: str = "succeeded", timeout: float = 15) -> dict:
        """Complete the sandbox payment once the payments service has created it (it arrives through Kafka)."""
        def probe() -> dict | None:
            r = self.sandbox(person, payment_id, outcome)
            if r.status_code == 404:
                return None
            assert r.status_code == 200, r.text
            return r.json()

        return eventually(probe, timeout=timeout, what=f"sandbox payment {payment_id} {outcome}")

    def wait_payment(self, person: Person, payment_id: str, status: str, timeout: float = 10) -> dict:
        def probe() -> dict | None:
            r = self.http.get(f"/api/v1/payments/{payment_id}", headers=person.auth)
            assert r.status_code in (200, 404), r.text
            return r.json() if r.status_code == 200 and r.json()["status"] == status else None

        return eventually(probe, timeout=timeout, what=f"payment {payment_id} {status}")


# --- processes ----------------------------------------------------------------------------------------

def tail(path: Path, lines: int = 200) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no output)"
    return "\n".join(text.splitlines()[-lines:])


def stop_group(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the process group (honcho stops its processes, each in its own session); SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def kafka_principal(env: dict[str, str], process: str) -> dict[str, str]:
    """A service process authenticates to Kafka as its own service, as the Procfile starts it."""
    service = process.split("-")[0]
    return {**env, "KAFKA_USERNAME": service, "KAFKA_PASSWORD": env[f"KAFKA_{service.upper()}_PASSWORD"]}


class Workers:
    """The saga workers as our own subprocesses, each in its own process group: start, SIGKILL, restart."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self.kills: dict[str, int] = {name: 0 for name in OWN_PROCESSES}
        self.overrides: dict[str, str] = {}  # on top of `env` for every (re)start, e.g. BOOKINGS_SEAT_LEASES

    def start(self, name: str) -> None:
        assert name in OWN_PROCESSES and not self.alive(name), name
        with (self.log_dir / f"{name}.log").open("ab") as out:
            self.procs[name] = subprocess.Popen([str(ROOT / ".venv/bin" / name)], cwd=ROOT,
                                                env=kafka_principal({**self.env, **self.overrides}, name),
                                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def setting(self, name: str) -> str | None:
        """An environment variable as the processes started from now on see it."""
        return {**self.env, **self.overrides}.get(name)

    def restart_with(self, names: Iterable[str], overrides: dict[str, str]) -> None:
        """Stop `names` (SIGTERM, as a deploy would) and start them again with `overrides` on the system's
        environment; the overrides stay for every later (re)start (a crash test's restarts keep them)."""
        self.overrides = dict(overrides)
        names = list(names)
        for name in names:
            if name in self.procs:
                stop_group(self.procs[name])
        for name in names:
            self.start(name)

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def kill(self, name: str) -> None:
        """kill -9 the worker's whole process group: no shutdown hooks, no flushing, no commits."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.kills[name] += 1

    def restart_dead(self) -> None:
        """Bring back any process that is not running (a crashed one, or one a test left killed)."""
        for name in OWN_PROCESSES:
            if not self.alive(name):
                self.start(name)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            stop_group(proc, timeout=15)

    def log(self, name: str, lines: int = 60) -> str:
        return tail(self.log_dir / f"{name}.log", lines)


# --- rushes: many bookings at once, and what must hold once they settle --------------------------------

@dataclass
class Ask:
    """One booking request of a rush and what became of it."""

    person: Person
    event_id: str
    group_size: int
    method: str | None = None
    booking_id: str | None = None
    last: dict | None = None  # the booking as last read

    @property
    def status(self) -> str | None:
        return self.last["status"] if self.last else None


def send_all(platform: Platform, asks: list[Ask], concurrency: int = 30) -> None:
    """POST every ask, `concurrency` at a time; each must be accepted (202)."""
    def send(ask: Ask) -> None:
        r = platform.book(ask.person, ask.event_id, ask.group_size, method=ask.method)
        assert r.status_code == 202, r.text
        ask.booking_id, ask.last = r.json()["id"], r.json()

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, asks))


def refresh(platform: Platform, asks: list[Ask], concurrency: int = 16) -> None:
    """Read every booking again (from its aggregate: always current)."""
    def read(ask: Ask) -> None:
        ask.last = platform.booking(ask.person, ask.booking_id)  # type: ignore[arg-type]

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(read, asks))


def check_seats(platform: Platform, organizer: Person, event: dict, asks: list[Ask]) -> dict:
    """What must hold for one event once its bookings settled; raises AssertionError while they have not.

    * confirmed seats never exceed the capacity (checked first: an oversell fails whatever the timing);
    * every booking is final or waitlisted, and seats add up: seats_available == capacity − confirmed seats;
    * the waitlist positions are exactly 1..k, the same in the organizer's list (in that order, last);
    * the line is not stuck: its head does not fit the seats left, and any group that would fit waits
      behind one that does not (first_fit_fair keeps seats for a group skipped too often).
    """
    capacity = event["max_participants"]
    mine = [a for a in asks if a.event_id == event["id"]]
    refresh(platform, mine)
    confirmed = sum(a.group_size for a in mine if a.status == "confirmed")
    assert confirmed <= capacity, f"OVERSOLD: {confirmed} seats confirmed for {capacity}"
    unsettled = [(a.booking_id, a.status) for a in mine if a.status not in SETTLED]
    assert not unsettled, f"{len(unsettled)} bookings not settled, e.g. {unsettled[:3]}"
    seats = platform.event(event["id"])["seats_available"]
    assert seats == capacity - confirmed, f"seats_available {seats} != {capacity} - {confirmed} confirmed"

    line = sorted((a for a in mine if a.status == "waitlisted"), key=lambda a: a.last["waitlist_position"])
    assert [a.last["waitlist_position"] for a in line] == list(range(1, len(line) + 1))
    if line:
        assert line[0].group_size > seats, f"head of the line ({line[0].group_size}) fits {seats} free seats"
    for i, ask in enumerate(line):
        if ask.group_size <= seats:
            assert any(ahead.group_size > seats for ahead in line[:i]), f"{ask.booking_id} fits but waits"

    listed = platform.event_bookings(organizer, event["id"])
    in_view = [(b["id"], b["waitlist_position"]) for b in listed if b["status"] == "waitlisted"]
    assert in_view == [(a.booking_id, i) for i, a in enumerate(line, start=1)], "organizer's list != the line"
    assert [b["status"] for b in listed[len(listed) - len(line):]] == ["waitlisted"] * len(line)
    return {"capacity": capacity, "confirmed": confirmed, "seats_available": seats, "waitlisted": len(line),
            "statuses": {s: sum(a.status == s for a in mine) for s in {a.status for a in mine}}}


def read_topic(bootstrap: str, topic: str) -> list[dict]:
    """Every envelope on `topic` from offset 0 up to its current end (no consumer group: nothing committed)."""
    import asyncio
    import json

    from aiokafka import AIOKafkaConsumer

    async def read() -> list[dict]:
        # Subscribed without a group: every partition is assigned to us, and nothing is ever committed.
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                    auto_offset_reset="earliest", **InfraSettings().kafka_client_options())
        await consumer.start()
        try:
            partitions = sorted(consumer.assignment())
            assert partitions, f"topic {topic} not found"
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            out: list[dict] = []
            pending = {tp for tp in partitions if ends[tp] > 0}
            deadline = time.monotonic() + 60
            while pending:
                assert time.monotonic() < deadline, f"{topic}: could not read up to {ends}"
                batch = await consumer.getmany(*pending, timeout_ms=1000)
                for tp, records in batch.items():
                    out += [json.loads(r.value) for r in records if r.offset < ends[tp]]
                    if records and records[-1].offset >= ends[tp] - 1:
                        pending.discard(tp)
            return out
        finally:
            await consumer.stop()

    return asyncio.run(read())


def topic_sizes(bootstrap: str, topics: Iterable[str]) -> dict[str, int]:
    """How many messages each topic holds (0 for one that does not exist yet)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def sizes() -> dict[str, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                    **InfraSettings().kafka_client_options())
        await consumer.start()
        try:
            existing = await consumer.topics()
            out = {}
            for topic in topics:
                if topic not in existing:
                    out[topic] = 0
                    continue
                await consumer._client._wait_on_metadata(topic)  # noqa: SLF001 (partition list of one topic)
                parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
                out[topic] = sum((await consumer.end_offsets(parts)).values()) if parts else 0
            return out
        finally:
            await consumer.stop()

    return asyncio.run(sizes())
