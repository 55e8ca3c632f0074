"""Durations on the command line: `90`, `30s`, `5m`, `2h`, `1h30m`, `1d`."""

from __future__ import annotations

import re

from planner_ops.errors import OpsError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str) -> float:
    """Seconds in `text`; OpsError for anything else."""
    value = text.strip().lower()
    try:
        return float(value)
    except ValueError:
        pass
    parts = _PART.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise OpsError(f"not a duration: {text!r} (e.g. 90, 30s, 5m, 2h, 1h30m)")
    return sum(float(n) * _UNITS[u] for n, u in parts)
