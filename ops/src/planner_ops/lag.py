"""`planner-ops lag`: how far behind everything is, relays first.

* Relays (from each service's database): the relay's recorded position against the newest record of its
  event store; `behind` counts records after the position and `oldest unpublished` is the age of the first
  of them (when it happened). Records parked in `spine_relay_parked` are counted too. A relay stuck behind
  one record — the failure that once stalled every booking for an hour while health said "ok", consumer lag
  was 0 and the DLQs were empty — shows here as PARKED, or as STUCK when its oldest unpublished record is
  older than `--stale`; those rows come first.
* Consumer groups (from Kafka): each group's committed offsets against the topics' end offsets, with the
  age of the oldest unconsumed message (its Kafka timestamp) and how many members the group has now (0: no
  process is consuming).
* Projections (from each service's database): the position stored beside each read model (what the
  projection really applied; the worker seeks to it on start) against the end offsets, same age measure.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from contracts.access import SERVICES

from planner_ops import consumer_lag, kafka, stores
from planner_ops.config import Ops
from planner_ops.durations import parse_duration

EXAMPLES = """
Examples:

# the run profile: relays, consumer groups, projections

    planner-ops lag

# machine-readable, e.g. for a monitoring check

    planner-ops --profile test lag --json

# one database, STUCK after 10 s

    planner-ops lag --database bookings --stale 10s
"""


def relay_status(r: stores.RelayState, stale: float, now: datetime) -> str:
    if r.parked:
        return "PARKED"
    if r.behind and r.oldest_unpublished is not None and (now - r.oldest_unpublished).total_seconds() >= stale:
        return "STUCK"
    return "behind" if r.behind else "ok"


def _relay_row(r: stores.RelayState, service: str | None, stale: float, now: datetime) -> dict[str, Any]:
    age = (now - r.oldest_unpublished).total_seconds() if r.oldest_unpublished else (None if r.behind else 0.0)
    return {"service": service, "database": r.database, "relay": r.relay, "store": r.store, "position": r.position,
            "head": r.head, "behind": r.behind, "oldest_unpublished_seconds": None if age is None else round(age, 1),
            "oldest_unpublished_id": r.oldest_unpublished_id, "parked": r.parked,
            "status": relay_status(r, stale, now)}


def collect(ops: Ops, databases: list[str] | None, stale: float) -> dict[str, Any]:
    """Everything `lag` shows, as plain data (the --json output)."""
    now = datetime.now(UTC)
    relays, projections, skipped = [], {}, []
    targets = [(db, None) for db in databases] if databases else [(ops.database(s), s) for s in ops.services()]
    for database, service in targets:
        expected = tuple(f"relay:{t}" for t in SERVICES[service].produces) if service else ()
        try:
            with stores.connect(ops.settings, database) as conn:
                for r in stores.relay_states(conn, database, expected):
                    relays.append(_relay_row(r, service, stale, now))
                projections[database] = stores.projection_positions(conn)
        except stores.NoDatabase as exc:
            if databases:
                raise
            skipped.append(str(exc))  # a service not deployed here: nothing of it can lag
    order = {"PARKED": 0, "STUCK": 1, "behind": 2, "ok": 3}
    relays.sort(key=lambda r: (order[r["status"]], -(r["behind"] or 0), r["database"], r["relay"]))
    readers = [asdict(t) for t in kafka.run(consumer_lag.kafka_lag(ops, projections))]
    readers.sort(key=lambda t: (t["kind"] != "group", -(t["lag"]), t["name"], t["topic"]))
    return {"relays": relays, "consumer_groups": [t for t in readers if t["kind"] == "group"],
            "projections": [t for t in readers if t["kind"] == "projection"], "skipped": skipped}


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def show(report: dict[str, Any], console: Console) -> None:
    relays = Table(title="Relays: event store → topic (age = oldest unpublished record)", title_justify="left")
    for col in ("status", "database", "relay", "position", "head", "behind", "age s", "parked"):
        relays.add_column(col, justify="right" if col in ("position", "head", "behind", "age s", "parked") else "left")
    style = {"PARKED": "bold red", "STUCK": "bold red", "behind": "yellow", "ok": "green"}
    for r in report["relays"]:
        relays.add_row(f"[{style[r['status']]}]{r['status']}[/]", r["database"], r["relay"], str(r["position"]),
                       str(r["head"]), str(r["behind"]), _seconds(r["oldest_unpublished_seconds"]), str(r["parked"]))
    console.print(relays)
    for note in report.get("skipped", ()):
        console.print(f"[dim]skipped: {note}[/]")
    for key, title in (("consumer_groups", "Consumer groups: committed offsets (age = oldest unconsumed message)"),
                       ("projections",
                        "Projections: positions stored with the views (age = oldest unconsumed message)")):
        table = Table(title=title, title_justify="left")
        first = "group" if key == "consumer_groups" else "projection"
        for col in (first, "topic", "lag", "age s", "partitions behind", "members" if first == "group" else "database"):
            table.add_column(col, justify="left" if col in (first, "topic", "database") else "right")
        for t in report[key]:
            lag_text = f"[yellow]{t['lag']}[/]" if t["lag"] else "0"
            last = str(t["members"]) if first == "group" else t["database"]
            if first == "group" and t["members"] == 0 and t["lag"]:
                last = "[bold red]0[/]"
            table.add_row(t["name"], t["topic"], lag_text, _seconds(t["oldest_unconsumed_seconds"]),
                          str(t["partitions_behind"]), last)
        console.print(table)


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def lag(ctx: typer.Context,
            as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
            database: Annotated[list[str] | None, typer.Option(
                "--database", "-d", help="look at this database's relays and projections (repeatable; default: "
                                         "every service's)")] = None,
            stale: Annotated[str, typer.Option(
                help="a relay whose oldest unpublished record is older is STUCK")] = "30s",
            check: Annotated[bool, typer.Option("--check", help="exit 1 when a relay is PARKED or STUCK "
                                                                 "(cron, monitoring)")] = False,
            ) -> None:
        """How far every relay, consumer group and projection is behind, in messages and seconds."""
        ops: Ops = ctx.obj
        report = collect(ops, database, parse_duration(stale))
        if as_json:
            typer.echo(json.dumps(report, indent=2, default=str))
        else:
            show(report, Console())
        if check and any(r["status"] in ("PARKED", "STUCK") for r in report["relays"]):
            raise typer.Exit(1)
