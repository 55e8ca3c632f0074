"""`python -m planner_ops` = `planner-ops`."""

from planner_ops.cli import app

app(prog_name="planner-ops")
