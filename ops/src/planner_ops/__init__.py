"""planner-ops: the operator's CLI of Event Planner (see `planner-ops --help`)."""
