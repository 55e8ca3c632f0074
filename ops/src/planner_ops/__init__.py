"""planner-ops: the operator's command line for Event Planner."""
