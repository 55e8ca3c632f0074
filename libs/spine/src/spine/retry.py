"""One way to re-run a command that lost an optimistic-concurrency race (eventsourcing's IntegrityError).

Every writer (routes, saga steps, timers) loads aggregates, decides, saves; when another writer saved the
same aggregate first, the save raises `IntegrityError` and nothing was written. Re-running the whole
command reloads the aggregates and decides again on the new state. Between tries it sleeps a jittered,
exponentially growing delay ("full jitter"), so two writers that collided do not collide again in step.

After `attempts` tries the last conflict is raised: a route answers 409/503-style "try again", and a
consumer treats it as transient (`spine.errors`): the partition is retried later, never dead-lettered.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar, overload

from eventsourcing.persistence import IntegrityError

T = TypeVar("T")

FIRST_DELAY = 0.005  # seconds; doubles per try
MAX_DELAY = 0.2


def conflict_delay(attempt: int, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> float:
    """Seconds to wait before try `attempt + 1` (attempt counts from 0): uniform in [0, min(cap, first·2^n)]."""
    return random.uniform(0, min(cap, first * 2**attempt))


@overload
def retrying(command: Callable[[], T], *, attempts: int = 10, done: None = None, first: float = FIRST_DELAY,
             cap: float = MAX_DELAY, sleep: Callable[[float], None] = time.sleep) -> T: ...


@overload
def retrying(command: Callable[[], T], *, attempts: int = 10, done: Callable[[], bool], first: float = FIRST_DELAY,
             cap: float = MAX_DELAY, sleep: Callable[[float], None] = time.sleep) -> T | None: ...


def retrying(command: Callable[[], T], *, attempts: int = 10, done: Callable[[], bool] | None = None,
             first: float = FIRST_DELAY, cap: float = MAX_DELAY,
             sleep: Callable[[float], None] = time.sleep) -> T | None:
    """Run `command`; on a version conflict wait (jittered backoff) and run it again, up to `attempts` times.

    `done`, when given, is asked after a conflict whether the work is already there (a concurrent
    redelivery of the same message recorded its position): then it returns None instead of retrying. Without
    `done` it never returns None (the overloads say so to type checkers).
    """
    for attempt in range(attempts):
        try:
            return command()
        except IntegrityError:
            if done is not None and done():
                return None
            if attempt == attempts - 1:
                raise
            sleep(conflict_delay(attempt, first, cap))
    raise AssertionError("unreachable")
