"""`planner-ops`: the operator's toolbox. Each command module exposes `register(app)`; this file wires them.

    planner-ops lag                         # relays, consumer groups, projections: how far behind
    planner-ops --profile test tail bookings.v1 --from-beginning --no-follow

A command module defines `register(app)` and adds its commands there; a command gets the `Ops` context
(settings, service databases, the writer principal) from `ctx.obj`, raises `OpsError` for a name that does not
exist, and lets broker/database errors propagate: `OpsGroup` turns them into one line and an exit code.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from planner_ops import dlq, lag, republish, stuck, tail, views
from planner_ops.config import Ops, load_profile
from planner_ops.errors import OpsGroup

app = typer.Typer(
    name="planner-ops", cls=OpsGroup, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Operate Event Planner: lag, tail, republish, dlq, stuck (and replay/verify of views).\n\n"
         "Works against the run profile by default; --profile test, or the environment the services read "
         "(POSTGRES_*, KAFKA_*), points it elsewhere.",
)


@app.callback()
def main(ctx: typer.Context,
         profile: Annotated[str | None, typer.Option(
             "--profile", "-p", help="deploy/env.sh profile: run or test (default: $EP_PROFILE, else run)")] = None,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show the Kafka client's own log")] = False,
         ) -> None:
    """Load the profile before any command runs."""
    if not verbose:
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # its retries would print before our one line
    ctx.obj = Ops(load_profile(profile))


for module in (lag, tail, republish, dlq, stuck, views):
    module.register(app)
