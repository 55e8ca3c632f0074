"""The `planner-ops` app: each module registers its commands (`views`: replay, verify)."""

from __future__ import annotations

import typer

from planner_ops import views

app = typer.Typer(help="Event Planner operations: rebuild and check views, and more. Works against the run "
                       "profile by default (or whatever PostgreSQL/Kafka the environment names).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
views.register(app)
