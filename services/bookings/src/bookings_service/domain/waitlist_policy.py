"""Who gets freed seats first (DESIGN §5, "Waitlist and groups"): pure functions, no state.

* `strict_fifo`: only the head of the line may take seats; a big group at the head blocks everyone.
* `first_fit`: in queue order, everyone who fits gets seats; small groups may starve a big one forever.
* `first_fit_fair` (default): first-fit, but a group skipped `skip_limit` times holds the freed seats
  for itself: nobody behind it is promoted until it fits.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

STRICT_FIFO, FIRST_FIT, FIRST_FIT_FAIR = "strict_fifo", "first_fit", "first_fit_fair"


@dataclass(frozen=True)
class Candidate:
    """A waiting entry as the policy sees it, in queue order."""

    key: Hashable
    group_size: int
    skips: int = 0


@dataclass(frozen=True)
class Choice:
    """Entries to promote, and entries passed over by someone behind them (their skip count grows)."""

    promote: list[Hashable] = field(default_factory=list)
    skipped: list[Hashable] = field(default_factory=list)


def choose(candidates: Iterable[Candidate], free_seats: int, policy: str, skip_limit: int = 3) -> Choice:
    """Pick the waiting entries that get `free_seats`, by `policy`."""
    if policy == STRICT_FIFO:
        return _strict_fifo(candidates, free_seats)
    if policy == FIRST_FIT:
        return _first_fit(candidates, free_seats, skip_limit=None)
    return _first_fit(candidates, free_seats, skip_limit=skip_limit)


def _strict_fifo(candidates: Iterable[Candidate], free: int) -> Choice:
    promote = []
    for candidate in candidates:
        if candidate.group_size > free:
            break
        promote.append(candidate.key)
        free -= candidate.group_size
    return Choice(promote=promote)


def _first_fit(candidates: Iterable[Candidate], free: int, *, skip_limit: int | None) -> Choice:
    promote: list[Hashable] = []
    passed_over: list[Hashable] = []
    skipped: list[Hashable] = []
    for candidate in candidates:
        if free <= 0:
            break
        if candidate.group_size <= free:
            promote.append(candidate.key)
            free -= candidate.group_size
            # Whoever did not fit before this one has now been skipped by it.
            skipped.extend(passed_over)
            passed_over = []
        elif skip_limit is not None and candidate.skips >= skip_limit:
            break  # skipped often enough: the seats freed from now on are held for this group
        else:
            passed_over.append(candidate.key)
    return Choice(promote=promote, skipped=list(dict.fromkeys(skipped)))
