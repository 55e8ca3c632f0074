"""`planner-ops replay` and `planner-ops verify`: rebuild views from Kafka while serving, or check them.

The views of every service, by name; each lives in its service's database (`<SERVICE>_DATABASE`, by default
the service's name) and is rebuilt from its topics with `spine.replay`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import psycopg
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from spine import replay as rebuild
from spine.settings import InfraSettings
from spine.views import View

console = Console(stderr=True)
out = Console()


@dataclass(frozen=True)
class ViewRef:
    service: str
    make: Callable[[], View]

    def conninfo(self, settings: InfraSettings) -> str:
        return settings.conninfo(os.environ.get(f"{self.service.upper()}_DATABASE", self.service))


def _users() -> View:
    from users_service.projections.users_view import UsersView
    return UsersView()


def _roles() -> View:
    from users_service.projections.roles_view import RolesView
    return RolesView()


def _catalogue() -> View:
    from events_service.projections.catalogue import CatalogueProjection
    return CatalogueProjection()


def _bookings() -> View:
    from bookings_service.projections.bookings_view import BookingsView
    return BookingsView()


def _catalogue_replica() -> View:
    from bookings_service.projections.catalogue_replica import CatalogueReplica
    return CatalogueReplica()


def _settings_replica() -> View:
    from bookings_service.projections.settings_replica import SettingsReplica
    return SettingsReplica()


def _users_directory() -> View:
    from bookings_service.projections.users_directory import UsersDirectory
    return UsersDirectory()


def _payments_ledger() -> View:
    from bookings_service.projections.payments_ledger import PaymentsLedger
    return PaymentsLedger()


def _audit_log() -> View:
    from users_service.projections.audit_log import AuditLog
    return AuditLog()


def _attendance() -> View:
    from events_service.projections.attendance import AttendanceProjection
    return AttendanceProjection()


def _lease_use() -> View:
    from events_service.projections.lease_use import LeaseUseProjection
    return LeaseUseProjection()


def _payment_methods() -> View:
    from events_service.projections.payment_methods import PaymentMethodsReplica
    return PaymentMethodsReplica()


def _reviews() -> View:
    from events_service.projections.reviews import ReviewsProjection
    return ReviewsProjection()


def _notify(name: str) -> Callable[[], View]:
    def make() -> View:
        from notifications_service.projections import views
        kinds: dict[str, Callable[[], View]] = {"notify_users_view": views.UsersView,
                                                "notify_events_view": views.EventsView,
                                                "notify_bookings_view": views.BookingsView}
        return kinds[name]()
    return make


def _payments() -> View:
    from payments_service.projections.payments_view import PaymentsView
    return PaymentsView()


VIEWS: dict[str, ViewRef] = {
    "users_view": ViewRef("users", _users),
    "roles_view": ViewRef("users", _roles),
    "audit_log": ViewRef("users", _audit_log),
    "catalogue": ViewRef("events", _catalogue),
    "event_bookings": ViewRef("events", _attendance),
    "lease_use": ViewRef("events", _lease_use),
    "reviews": ViewRef("events", _reviews),
    "payment_methods": ViewRef("events", _payment_methods),
    "bookings_view": ViewRef("bookings", _bookings),
    "catalogue_replica": ViewRef("bookings", _catalogue_replica),
    "settings_replica": ViewRef("bookings", _settings_replica),
    "users_directory": ViewRef("bookings", _users_directory),
    "payments_ledger": ViewRef("bookings", _payments_ledger),
    "payments_view": ViewRef("payments", _payments),
    **{name: ViewRef("notifications", _notify(name))
       for name in ("notify_users_view", "notify_events_view", "notify_bookings_view")},
}


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _selected(view: str | None, every: bool) -> list[str]:
    if every == (view is not None):
        raise _fail("name one view or give --all (views: " + ", ".join(VIEWS) + ")")
    if view is not None and view not in VIEWS:
        raise _fail(f"unknown view {view!r} (views: {', '.join(VIEWS)})")
    return list(VIEWS) if every else [view]  # type: ignore[list-item]


def _run(name: str, work: Callable[..., object], settings: InfraSettings) -> rebuild.Outcome:
    ref = VIEWS[name]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]:>8.0f} events/s"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(name, total=None, rate=0.0)
        began = time.monotonic()

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, rate=done / max(time.monotonic() - began, 1e-6))

        try:
            return asyncio.run(work(ref.make(), ref.conninfo(settings), settings, progress))  # type: ignore[arg-type]
        except psycopg.OperationalError as exc:
            raise _fail(f"{name}: database of {ref.service} unreachable: {str(exc).strip().splitlines()[0]}") from None
        except psycopg.Error as exc:
            raise _fail(f"{name}: database error: {str(exc).strip().splitlines()[0]}") from None
        except (KafkaError, OSError) as exc:
            raise _fail(f"{name}: Kafka unreachable: {exc}") from None


ViewArg = Annotated[str | None, typer.Argument(help="The view's name (see --help for the list).", show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="Every view of every service.")]


def replay(view: ViewArg = None, every: AllOpt = False) -> None:
    """Rebuild a view from Kafka (offset 0) into shadow tables and swap them in atomically, while serving.

    Example: planner-ops replay catalogue    |    planner-ops replay --all
    """
    settings = InfraSettings()
    for name in _selected(view, every):
        outcome = _run(name, rebuild.replay, settings)
        out.print(f"{name}: replayed {outcome.messages} messages in {outcome.seconds:.1f} s "
                  f"({outcome.rate:.0f} events/s), swapped in", highlight=False)


def verify(view: ViewArg = None, every: AllOpt = False) -> None:
    """Rebuild a view into scratch tables and compare it with the live one; exit 1 on any difference.

    Example: planner-ops verify bookings_view    |    planner-ops verify --all
    """
    settings = InfraSettings()
    differences = 0
    for name in _selected(view, every):
        outcome = _run(name, rebuild.verify, settings)
        for d in outcome.differences:
            out.print(d.describe(), highlight=False, soft_wrap=True)
        differences += len(outcome.differences)
        state = "[green]equal[/green]" if not outcome.differences else f"[red]{len(outcome.differences)} differ[/red]"
        out.print(f"{name}: {outcome.messages} messages rebuilt, {state}")
    if differences:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `replay` and `verify` to the planner-ops app."""
    views = ", ".join(VIEWS)
    app.command(help=f"{replay.__doc__}\n\nViews: {views}.")(replay)
    app.command(help=f"{verify.__doc__}\n\nViews: {views}.")(verify)
