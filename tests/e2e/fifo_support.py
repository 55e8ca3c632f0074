"""Strict first come, first served in the e2e tests: switch the policy, and check a settled event's order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from spine.settings import InfraSettings

from e2e_support import Ask, Platform, eventually

DEFAULT_POLICY = "first_fit_fair"


@contextmanager
def waitlist_policy(platform: Platform, policy: str) -> Iterator[None]:
    """Run with `policy`, then put the default back (other tests expect it).

    Settings reach bookings through users.v1 into its settings replica; the readers re-read it every 2 s. The
    replica row is the only place that shows the change arrived, so it is read here (not asserted on)."""
    _set(platform, policy)
    try:
        yield
    finally:
        _set(platform, DEFAULT_POLICY)


def _set(platform: Platform, policy: str) -> None:
    platform.put_setting("waitlist_policy", policy, "string")

    def arrived() -> bool | None:
        with psycopg.connect(InfraSettings().conninfo("bookings")) as conn:
            row = conn.execute("SELECT value FROM settings_replica WHERE key = 'waitlist_policy'").fetchone()
        return True if row is not None and row[0] == policy else None

    eventually(arrived, timeout=30, what=f"waitlist_policy {policy} in the bookings settings replica")
    time.sleep(2.5)  # the readers' refresh period: not an assertion, only the settings' way in


def check_first_come_first_served(asks: list[Ask]) -> dict:
    """Of one settled event's bookings (read fresh): numbered 1..n in acceptance order, the confirmed ones are
    exactly the first k by number, and the line holds the rest in number order."""
    by_number = sorted(asks, key=lambda a: a.last["sequence"])
    assert [a.last["sequence"] for a in by_number] == list(range(1, len(asks) + 1)), "numbers are not 1..n"
    statuses = [a.status for a in by_number]
    k = statuses.count("confirmed")
    assert statuses == ["confirmed"] * k + ["waitlisted"] * (len(asks) - k), (
        f"confirmed are not the first {k} accepted: {[(a.last['sequence'], a.status) for a in by_number]}")
    line = sorted((a for a in asks if a.status == "waitlisted"), key=lambda a: a.last["waitlist_position"])
    assert line == by_number[k:], "the line is not in acceptance order"
    return {"first_waiting": by_number[k].last["sequence"] if line else None, "confirmed": k}
