"""Apply time of one 500-message batch per hot view, through the projector's real path (version claims,
pipeline, positions; one transaction), in a fresh schema of the bookings/events/payments/users databases.

Run it with a checkout's interpreter to measure that checkout's views, e.g. before/after a change:
    .venv/bin/python bench/view_batches.py            # this worktree
    /work/main/.venv/bin/python bench/view_batches.py # main (its own code, same script)
Prints per view: messages, median / best of the runs (ms), and a digest of the resulting rows — equal digests
mean the two checkouts built exactly the same rows from the same messages. Also: the statements sent per batch
(whole transaction: lock, position, claims, the view's own) and the client's CPU time. No assertions on time;
on a loaded machine compare runs made one right after the other.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from sqlalchemy import Column, MetaData, Table, Text

from spine.projector import ProjectionStore
from spine.settings import InfraSettings
from spine.testing import golden_story, view_rows

RUNS = 7
SIZE = 500


def _ids(prefix: int) -> Any:
    n = 0
    while True:
        n += 1
        yield UUID(int=(prefix << 96) + n)


def interleave(stories: list[list[Any]], seed: int = 8) -> list[Any]:
    """Stories interleaved (each in order) with a few duplicates, cut to SIZE messages."""
    rng = random.Random(seed)
    queues, out = [[_fixed_id(e) for e in s] for s in stories], []
    while queues and len(out) < SIZE:
        q = rng.choice(queues)
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
        if rng.random() < 0.03:
            out.append(out[rng.randrange(len(out))])  # a redelivered/re-published message, maybe stale by now
    return out[:SIZE]


def _fixed_id(envelope: Any) -> Any:
    """The same event id in every run (golden_story draws random ones; the audit log keeps them)."""
    return envelope.model_copy(update={"event_id": uuid5(NAMESPACE_URL, f"{envelope.aggregate_id}/"
                                                                        f"{envelope.aggregate_version}")})


START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def bookings_batch() -> list[Any]:
    ids, event = _ids(1), UUID(int=1)
    lives = [["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed"],
             ["BookingRequested", "BookingWaitlisted", "BookingPromoted", "BookingAwaitingPayment"],
             ["BookingRequested", "BookingAwaitingPayment", "BookingExpired"],
             ["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed", "BookingCancelled"]]
    return interleave([golden_story(lives[i % 4], "booking_id", START, booking_id=next(ids), event_id=event)
                       for i in range(200)])


def events_batch() -> list[Any]:
    """A rush: a few events created, then seat answers for them (and a couple of updates)."""
    ids = _ids(2)
    life = ["EventCreated", *["SeatsReserved", "SeatsRejected", "SeatsReleased"] * 40, "EventUpdated",
            "EventCancelled"]
    return interleave([golden_story(life, "event_id", START, event_id=next(ids)) for _ in range(5)])


def payments_batch() -> list[Any]:
    ids = _ids(3)
    lives = [["PaymentRequested", "PaymentSucceeded"], ["PaymentRequested", "PaymentFailed"],
             ["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"], ["PaymentRequested", "PaymentVoided"]]
    return interleave([golden_story(lives[i % 4], "payment_id", START, payment_id=next(ids), booking_id=next(ids),
                                    event_id=UUID(int=7)) for i in range(250)])


def users_batch() -> list[Any]:
    ids = _ids(4)
    lives = [["UserRegistered", "UserRoleChanged", "UserDisabled", "UserEnabled"], ["UserRegistered"],
             ["UserRegistered", "UserDisabled"], ["RoleDefined", "RoleDefined"], ["SettingChanged", "SettingReset"]]
    stories = []
    for i in range(150):
        life = lives[i % 5]
        key = {"RoleDefined": "name", "SettingChanged": "key"}.get(life[0], "user_id")
        ident = next(ids) if key == "user_id" else ("booking_hold_minutes", "waitlist_policy", f"k{i}")[i % 3]
        story = golden_story(life, key, START, **{key: ident})
        if key == "key":  # a value per story: which message won shows in the row
            story = [e.model_copy(update={"payload": {**e.payload, "value": i}}) if "value" in e.payload else e
                     for e in story]
        stories.append(story)
    return interleave(stories)


def reviews_batch() -> list[Any]:
    ids = _ids(5)
    lives = [["ReviewSubmitted", "ReviewApproved"], ["ReviewSubmitted", "ReviewRejected"], ["ReviewSubmitted"],
             ["PaymentMethodsAvailable"]]
    return interleave([golden_story(lives[i % 4], "review_id", START, review_id=next(ids), event_id=UUID(int=i % 9),
                                    announced_by="payments") for i in range(250)])


def revocation_batch() -> list[Any]:
    ids = _ids(7)
    lives = [["UserRegistered", "UserDisabled", "UserEnabled", "UserDisabled", "UserPasswordChanged"],
             ["UserDisabled", "UserEnabled"], ["UserDisabled", "UserDisabled", "UserRoleChanged"]]
    stories = [golden_story(lives[i % 3], "user_id", START, user_id=next(ids)) for i in range(120)]
    stories = [[e.model_copy(update={"payload": {**e.payload, "reason": f"r{n}"}}) if e.type == "UserDisabled"
                else e for n, e in enumerate(story)] for story in stories]
    stories += [golden_story(["RoleDefined"] * 5, "name", START, name=f"role{i}") for i in range(10)]
    return interleave(stories)


def support_batch() -> list[Any]:
    ids = _ids(6)
    life = ["SupportMessagePosted", "SupportReplied", "SupportThreadAssigned", "SupportThreadClosed",
            "SupportThreadReopened", "SupportMessagePosted"]
    return interleave([golden_story(life, "thread_id", START, thread_id=next(ids)) for _ in range(90)])


_keys = MetaData()  # the revocation tables' names and keys, for reading them back (their DDL is authkit's)
_REVOCATION = [Table("disabled_users", _keys, Column("user_id", Text, primary_key=True)),
               Table("token_cutoffs", _keys, Column("user_id", Text, primary_key=True)),
               Table("role_cutoffs", _keys, Column("role", Text, primary_key=True))]


def views() -> list[tuple[str, str, Any, Any]]:
    from authkit.revocation import DisabledUsersProjection

    from bookings_service.projections.bookings_view import BookingsView
    from bookings_service.projections.catalogue_replica import CatalogueReplica
    from bookings_service.projections.payments_ledger import PaymentsLedger
    from bookings_service.projections.settings_replica import SettingsReplica
    from bookings_service.projections.users_directory import UsersDirectory
    from events_service.projections.attendance import AttendanceProjection
    from events_service.projections.catalogue import CatalogueProjection
    from events_service.projections.payment_methods import PaymentMethodsReplica
    from events_service.projections.reviews import ReviewsProjection
    from notifications_service.projections import views as notify
    from notifications_service.projections.support_threads import SupportThreadsView, support_threads_view
    from payments_service.projections.payments_view import PaymentsView
    from users_service.projections.audit_log import AuditLog
    from users_service.projections.roles_view import RolesView
    from users_service.projections.users_view import UsersView
    cold = [("users", "users_view", UsersView, users_batch), ("users", "roles_view", RolesView, users_batch),
            ("bookings", "users_directory", UsersDirectory, users_batch),
            ("bookings", "settings_replica", SettingsReplica, users_batch),
            ("events", "event_bookings", AttendanceProjection, bookings_batch),
            ("events", "reviews", ReviewsProjection, reviews_batch),
            ("events", "payment_methods", PaymentMethodsReplica, reviews_batch),
            ("notifications", "notify_users_view", notify.UsersView, users_batch),
            ("notifications", "notify_events_view", notify.EventsView, events_batch),
            ("notifications", "notify_bookings_view", notify.BookingsView, bookings_batch),
            ("notifications", "support_threads_view",
             type("Threads", (SupportThreadsView,), {"tables": [support_threads_view]}), support_batch),
            ("users", "disabled_users", type("Revocation", (DisabledUsersProjection,), {"tables": _REVOCATION}),
             revocation_batch)]
    return [("bookings", "bookings_view", BookingsView, bookings_batch),
            ("events", "catalogue", CatalogueProjection, events_batch),
            ("bookings", "catalogue_replica", CatalogueReplica, events_batch),
            ("payments", "payments_view", PaymentsView, payments_batch),
            ("bookings", "payments_ledger", PaymentsLedger, payments_batch),
            ("users", "audit_log", lambda: AuditLog(("t",)), bookings_batch), *cold]


def digest_of(rows: dict[str, list[Any]]) -> str:
    for table in rows.values():
        for row in table:
            row.pop("recorded_at", None)
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:12]


def raw_digest(conninfo: str, make_view: Any, batch: list[Any]) -> str:
    """The rows of the view's own SQL alone (no claims: duplicates and stale versions reach it)."""
    schema = f"bench_raw_{time.monotonic_ns() % 10**8}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    store, view = ProjectionStore(conninfo, schema=schema), make_view()
    try:
        store.setup(view)
        with store.connect() as conn, conn.transaction(), conn.cursor() as cur:
            view.apply_batch(cur, batch)
        return digest_of(view_rows(conninfo, view, schema))
    finally:
        store.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class Statements:
    """Counts the SQL statements psycopg sends (an executemany of n rows is n statements)."""

    count = 0

    @classmethod
    def install(cls) -> None:
        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

        def counted(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
            cls.count += 1
            return execute(self, query, params, **kw)

        def counted_many(self: Any, query: Any, params_seq: Any, **kw: Any) -> Any:
            params_seq = list(params_seq)
            cls.count += len(params_seq)
            return executemany(self, query, params_seq, **kw)

        psycopg.Cursor.execute = counted  # type: ignore[method-assign]
        psycopg.Cursor.executemany = counted_many  # type: ignore[method-assign]


def measure(conninfo: str, make_view: Any, batch: list[Any]) -> tuple[list[float], list[float], int, str]:
    times: list[float] = []
    cpu: list[float] = []
    statements, digest = 0, ""
    for run in range(RUNS):
        schema = f"bench_{run}_{time.monotonic_ns() % 10**8}"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        store, view = ProjectionStore(conninfo, schema=schema), make_view()
        try:
            store.setup(view)
            with store.connect():
                pass  # the pool's connection made before the clock starts
            Statements.count = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            store.apply_batch(view, "t", 0, list(enumerate(batch)))
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            statements = Statements.count
            digest = digest_of(view_rows(conninfo, view, schema))
        finally:
            store.close()
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return times, cpu, statements, digest


def main() -> None:
    only = set(sys.argv[1:])  # view names; default: all
    Statements.install()
    print(f"{'view':<21} {'msgs':>5} {'stmts':>6} {'median ms':>10} {'best ms':>8} {'client cpu ms':>14}"
          "  rows digest (projector / view SQL alone)")
    for database, name, make_view, batch_of in views():
        if only and name not in only:
            continue
        batch = batch_of()
        conninfo = InfraSettings().conninfo(database)
        times, cpu, statements, digest = measure(conninfo, make_view, batch)
        raw = raw_digest(conninfo, make_view, batch)
        print(f"{name:<21} {len(batch):>5} {statements:>6} {statistics.median(times):>10.1f} {min(times):>8.1f} "
              f"{statistics.median(cpu):>14.1f}  {digest} / {raw}")


if __name__ == "__main__":
    main()
