"""`planner-ops republish`: re-emit a service's events from its event store to its topic (a lost or truncated
topic, a new cluster).

It builds the service's worker exactly as `<service>-worker` does and takes its relays, so every envelope is
the relay's own (`Relay.envelope_for`: the service's public.py translator, deterministic event ids, the same
key and headers); nothing is started, and the relay's recorded position is not touched. It reads the
notification log from `--from` (inclusive) to its end, and publishes with an idempotent producer.

Consumers deduplicate what they have already applied: projections by aggregate version (spine.projector),
saga handlers by their aggregates' state. Commands (ReserveSeats, RequestPayment…) are re-sent only when a
command topic is named with `--topic`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from spine.relay import Relay

from planner_ops import kafka
from planner_ops.config import Ops
from planner_ops.errors import OpsError

EXAMPLES = """
Examples:

# bookings.v1 from notification 1

    planner-ops republish bookings

# payments.v1 from notification id 1200 on

    planner-ops republish payments --from 1200

# the seat commands too, from 5000 on

    planner-ops republish bookings --topic events.commands.v1 --from 5000
"""


def service_relays(service: str) -> tuple[list[Relay], Callable[[], None]]:
    """The relays of the service's worker (default topics; database from its Settings), and how to close it."""
    try:
        main = __import__(f"{service}_service.main", fromlist=["build_worker"])
        settings = __import__(f"{service}_service.settings", fromlist=["Settings"]).Settings()
    except ImportError as exc:
        raise OpsError(f"service {service!r} has no worker here ({exc})") from None
    extra = {"reconcile": False} if service == "payments" else {}
    worker = main.build_worker(settings, **extra)
    return worker.relays, lambda: None


async def publish(ops: Ops, relay: Relay, start: int, end: int | None, to_topic: str, dry_run: bool
                  ) -> tuple[int, int, int]:
    """Publish the relay's envelopes for notifications start..end; returns (sent, skipped, last id)."""
    app = relay.app
    head = await asyncio.to_thread(app.recorder.max_notification_id) or 0
    end = min(end, head) if end else head
    sent = skipped = 0
    last = start - 1
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeRemainingColumn())
    err = Console(stderr=True)  # stdout keeps the summary alone
    with Progress(*columns, transient=True, console=err, disable=not err.is_terminal) as progress:
        task = progress.add_task(f"{relay.topic} → {to_topic}", total=max(0, end - start + 1), rate="")
        async with kafka.writer(ops.writer()) as producer:
            position, inclusive = start, True
            loop = asyncio.get_running_loop()
            began = loop.time()
            while position <= end:
                notifications = await asyncio.to_thread(app.recorder.select_notifications, start=position,
                                                        limit=500, stop=end, inclusive_of_start=inclusive)
                if not notifications:
                    break
                pending = []
                for n in notifications:
                    if relay.never_publishes(n):
                        continue
                    try:
                        envelope = relay.envelope_for(app.mapper.to_domain_event(n))
                    except Exception:  # noqa: BLE001 — what the relay parks: no public form
                        skipped += 1
                        continue
                    if envelope is None:
                        continue
                    if not dry_run:
                        pending.append(await producer.send(to_topic, envelope.to_bytes(), key=envelope.kafka_key(),
                                                           headers=envelope.kafka_headers()))
                    sent += 1
                await asyncio.gather(*pending)  # a refusal ends the command: say where it stopped
                last = notifications[-1].id
                position, inclusive = last, False
                elapsed = max(loop.time() - began, 1e-3)
                progress.update(task, completed=last - start + 1, rate=f"{sent / elapsed:,.0f} events/s")
    return sent, skipped, last


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def republish(ctx: typer.Context,
                  service: Annotated[str, typer.Argument(help="users, events, bookings, payments, …")],
                  from_: Annotated[int, typer.Option("--from", min=1, help="first notification id (inclusive)")] = 1,
                  to: Annotated[int | None, typer.Option("--to", min=1,
                                                         help="last notification id (inclusive)")] = None,
                  topic: Annotated[str | None, typer.Option(
                      help="which of the service's relays (its topic; default: the service's event topic)")] = None,
                  into: Annotated[str | None, typer.Option(
                      "--into", help="publish to this topic instead (e.g. a fresh one to compare)")] = None,
                  dry_run: Annotated[bool, typer.Option("--dry-run", help="count, publish nothing")] = False,
                  ) -> None:
        """Re-emit SERVICE's events from its event store to its topic, as its relay would."""
        ops: Ops = ctx.obj
        ops.database(service)  # unknown service → one line
        relays, close = service_relays(service)
        try:
            wanted = topic or f"{service}.v1"
            chosen = [r for r in relays if r.topic == wanted]
            if not chosen:
                published = ", ".join(r.topic for r in relays)
                raise OpsError(f"{service} has no relay to {wanted!r}: it publishes {published}")
            relay = chosen[0]
            destination = into or relay.topic

            async def go():
                async with kafka.reader(ops.settings) as consumer:
                    await kafka.partitions(consumer, destination)
                return await publish(ops, relay, from_, to, destination, dry_run)

            sent, skipped, last = kafka.run(go())
        finally:
            close()
        verb = "would republish" if dry_run else "republished"
        span = f"notifications {from_}..{last}" if last >= from_ else f"no notification from {from_} on"
        typer.echo(f"{verb} {sent} envelope(s) of {service} ({span}) to {destination}"
                   + (f"; {skipped} without a public form skipped (see spine_relay_parked)" if skipped else ""))
