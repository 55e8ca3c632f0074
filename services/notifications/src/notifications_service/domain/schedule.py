"""Which event changes matter to the people booked on it, and reading them from an EventUpdated's `changes`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

# A change to any of these moves the calendar entry: a new ICS SEQUENCE and an e-mail to every attendee.
TIME_FIELDS = frozenset({"start_time", "duration_minutes"})
PLACE_FIELDS = frozenset({"location", "place", "venue"})
SCHEDULE_FIELDS = TIME_FIELDS | PLACE_FIELDS
# Changes attendees hear of (capacity too: the issue asks for it; the title so the e-mail names it right).
NOTIFIED_FIELDS = SCHEDULE_FIELDS | {"max_participants", "title"}

_DATETIME = TypeAdapter(datetime)


def as_datetime(value: Any) -> datetime:
    """A change's time value (ISO text in JSON) as an aware UTC datetime."""
    parsed = _DATETIME.validate_python(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def place_of(changes: dict[str, Any]) -> str | None:
    """The new place, if the change names one (events have no place field yet: any of its usual names)."""
    for name in PLACE_FIELDS:
        if changes.get(name) is not None:
            return str(changes[name])
    return None


def notable_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The part of a change attendees are told about (empty: no e-mail)."""
    return {k: v for k, v in changes.items() if k in NOTIFIED_FIELDS}
