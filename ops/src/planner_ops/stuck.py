"""`planner-ops stuck`: the sagas that are not final after a threshold — the first question in an incident.

Read-only, from the services' own databases: the current status comes from their views (`bookings_view`,
`payments_view`), the last thing that happened from their event stores (the aggregate's latest stored event
and its time, so a view that is itself behind does not hide a stuck saga's real last step).

Not final means: a booking `pending` (asked the events service for seats, or promoted from the waitlist
and asking again) with no change for longer than the threshold; a booking `awaiting_payment` whose hold
lapsed longer than the threshold ago (the deadline sweeper should have expired it); a payment `pending`
with no change for longer than the threshold (the reconciler should have settled it). Waitlisted bookings
are waiting by design and are not listed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from planner_ops import stores
from planner_ops.config import Ops
from planner_ops.durations import parse_duration

EXAMPLES = """
Examples:

# not final after 5 minutes

    planner-ops stuck

# not final after 30 seconds, as JSON lines

    planner-ops stuck --older-than 30s --json
"""

BOOKINGS = """
SELECT booking_id AS id, status, updated_at, expires_at, event_id, user_id FROM bookings_view
WHERE (status = 'pending' AND updated_at < %(cutoff)s)
   OR (status = 'awaiting_payment' AND expires_at < %(cutoff)s)
ORDER BY updated_at"""

PAYMENTS = """
SELECT payment_id AS id, status, updated_at, NULL::timestamptz AS expires_at, event_id, user_id FROM payments_view
WHERE status = 'pending' AND updated_at < %(cutoff)s ORDER BY updated_at"""

SAGAS = (("bookings", "booking", "bookings_view", BOOKINGS), ("payments", "payment", "payments_view", PAYMENTS))


def find(ops: Ops, older_than: float) -> list[dict[str, Any]]:
    """Every saga not final for longer than `older_than` seconds, oldest first."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=older_than)
    out = []
    for service, kind, view, query in SAGAS:
        try:
            with stores.connect(ops.settings, ops.database(service)) as conn:
                if stores.has_table(conn, view):  # else the service never ran here: nothing can be stuck in it
                    out += _rows(conn, service, kind, query, cutoff, now)
        except stores.NoDatabase:
            continue  # not deployed here
    out.sort(key=lambda r: -r["stuck_for_seconds"])
    return out


def _rows(conn, service: str, kind: str, query: str, cutoff: datetime, now: datetime) -> list[dict[str, Any]]:
    out = []
    event_stores = stores.event_stores(conn)
    for row in conn.execute(query, {"cutoff": cutoff}).fetchall():
        aggregate_id, status, updated_at, expires_at, event_id, user_id = row
        last = stores.last_event(conn, event_stores, aggregate_id)
        last_type, last_at = last if last else (None, None)
        since = last_at or updated_at
        out.append({"service": service, "kind": kind, "id": str(aggregate_id), "status": status,
                    "event_id": str(event_id) if event_id else None, "user_id": str(user_id) if user_id else None,
                    "last_event": last_type, "last_event_at": since.isoformat(timespec="seconds"),
                    "stuck_for_seconds": round((now - since).total_seconds(), 1),
                    "hold_expired_at": expires_at.isoformat(timespec="seconds") if expires_at else None})
    return out


def _ago(seconds: float) -> str:
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m" if hours else f"{m}m{s:02d}s"


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def stuck(ctx: typer.Context,
              older_than: Annotated[str, typer.Option("--older-than", help="not final for longer than this")] = "5m",
              as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False) -> None:
        """Bookings and payments not final after a threshold, each with its last event."""
        rows = find(ctx.obj, parse_duration(older_than))
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row))
            return
        table = Table(title=f"{len(rows)} saga(s) not final after {older_than}", title_justify="left")
        for col in ("kind", "id", "status", "last event", "at", "for", "event", "user"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(r["kind"], r["id"], r["status"], r["last_event"] or "?", r["last_event_at"],
                          _ago(r["stuck_for_seconds"]), r["event_id"] or "", r["user_id"] or "")
        Console().print(table)
