"""The keyed Waitlist agrees with the plain list it replaced, replays old histories, and copies cheaply."""

from __future__ import annotations

from copy import deepcopy
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Mapper, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from bookings_service.domain import Waitlist
from bookings_service.domain.waitlist import may_take_seats
from bookings_service.domain.waitlist_policy import Candidate, choose

pytestmark = pytest.mark.unit


class ListLine:
    """The simple semantics: a list in place order, every query a scan (what Waitlist v1 did)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.ticket = 0

    def _find(self, key: str) -> dict[str, Any] | None:
        return next((e for e in self.entries if e["id"] == key), None)

    def join(self, key: str, group: int, sequence: int | None) -> None:
        entry = self._find(key)
        if entry is None:
            self.ticket += 1
            place = sequence if sequence is not None else -(10**15) + self.ticket
            self.entries.append({"id": key, "group": group, "skips": 0, "state": "waiting", "place": place})
            self.entries.sort(key=lambda e: e["place"])
        elif entry["state"] == "promoting":
            entry["state"] = "waiting"

    def leave(self, key: str) -> None:
        self.entries = [e for e in self.entries if e["id"] != key]

    def promote(self, seats: int, policy: str) -> list[str]:
        free = seats - sum(e["group"] for e in self.entries if e["state"] == "promoting")
        waiting = [Candidate(e["id"], e["group"], e["skips"]) for e in self.entries if e["state"] == "waiting"]
        if free <= 0 or not waiting:
            return []
        choice = choose(waiting, free, policy, 2)
        for e in self.entries:
            if e["id"] in choice.promote:
                e["state"] = "promoting"
            elif e["id"] in choice.skipped:
                e["skips"] += 1
        return list(choice.promote)  # type: ignore[arg-type]

    def positions(self) -> dict[str, int]:
        waiting = [e["id"] for e in self.entries if e["state"] == "waiting"]
        return {key: i + 1 for i, key in enumerate(waiting)}


IDS = [str(UUID(int=i + 1)) for i in range(8)]
step = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(IDS), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("leave"), st.sampled_from(IDS)),
    st.tuples(st.just("promote"), st.integers(0, 6), st.sampled_from(["strict_fifo", "first_fit", "first_fit_fair"])),
    st.just(("snapshot",)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=40))
def test_the_keyed_line_agrees_with_the_list_over_any_sequence(steps):
    model, waitlist = ListLine(), Waitlist(event_id=uuid4())
    sequences = iter(range(1, 1000))
    for s in steps:
        if s[0] == "join":
            sequence = next(sequences) if s[3] else None
            model.join(s[1], s[2], sequence)
            waitlist.join(UUID(s[1]), s[2], sequence)
        elif s[0] == "leave":
            model.leave(s[1])
            waitlist.leave(UUID(s[1]))
        elif s[0] == "promote":
            assert [str(b) for b in waitlist.promote(s[1], s[2], 2)] == model.promote(s[1], s[2])
        else:
            waitlist = replayed(waitlist)
        assert [str(b) for b in waitlist.booking_ids()] == [e["id"] for e in model.entries]
        assert {k: waitlist.position_of(UUID(k)) for k in IDS} == {k: model.positions().get(k) for k in IDS}
        assert waitlist.waiting_count == len(model.positions())
        assert waitlist.seats_waiting == sum(e["group"] for e in model.entries if e["state"] == "waiting")
        assert may_take_seats(waitlist) == (not model.entries)


def replayed(waitlist: Waitlist) -> Waitlist:
    """The same aggregate as the store would give it back: from its events, and from a snapshot of them."""
    events = waitlist.collect_events()
    rebuilt = None
    for e in events:
        rebuilt = e.mutate(rebuilt)
    assert rebuilt is not None
    stored = MAPPER.to_stored_event(Snapshot.take(rebuilt))  # through JSON, as the store keeps it
    restored = MAPPER.to_domain_event(stored).mutate(None)
    assert _plain(vars(restored)) == _plain(vars(rebuilt))
    for e in events:  # keep collecting: the next replay starts from the same history
        restored._pending_events.append(e)  # noqa: SLF001
    return restored


MAPPER = Mapper(transcoder=JSONTranscoder())
for _t in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
    MAPPER.transcoder.register(_t)


def _plain(state: dict[str, Any]) -> dict[str, Any]:
    """Tuples come back from JSON as lists."""
    return {k: ({e: list(v) for e, v in value.items()} if k == "line" else value) for k, value in state.items()}


def test_an_old_history_without_numbers_replays_to_the_same_line():
    """Joined events stored before acceptance numbers existed (no `sequence`) keep their join order."""
    waitlist = Waitlist(event_id=uuid4())
    a, b, c = uuid4(), uuid4(), uuid4()
    for x in (a, b, c):
        waitlist._joined(booking_id=x, group_size=1, ticket=waitlist.next_ticket)  # noqa: SLF001 (old shape)
    waitlist.promote(1, "first_fit", 3)
    waitlist.join(a, 1)  # rejected: back at the head
    rebuilt = None
    for e in waitlist.collect_events():
        rebuilt = e.mutate(rebuilt)
    assert rebuilt.booking_ids() == [a, b, c] and rebuilt.position_of(a) == 1
    later = uuid4()
    rebuilt.join(later, 1, sequence=1)  # numbered bookings come after every unnumbered one
    assert rebuilt.position_of(later) == 4


def test_a_v1_snapshot_upcasts_to_the_keyed_line():
    event_id, a, b = uuid4(), uuid4(), uuid4()
    waitlist = Waitlist(event_id=event_id)
    state = {k: v for k, v in vars(waitlist).items() if not k.startswith("_")}
    for k in ("line", "waiting_places", "waiting_ids", "line_places", "waiting_count", "seats_waiting",
              "seats_promoting"):
        state.pop(k)
    state["entries"] = [{"booking_id": str(a), "group_size": 2, "skips": 1, "state": "promoting", "ticket": 1},
                        {"booking_id": str(b), "group_size": 3, "skips": 0, "state": "waiting", "ticket": 2}]
    snapshot = Snapshot(originator_id=waitlist.id, originator_version=7, timestamp=waitlist.modified_on,
                        topic=Snapshot.take(waitlist).topic, state=state)
    old = snapshot.mutate(None)
    assert old.booking_ids() == [a, b] and old.position_of(b) == 1 and old.position_of(a) is None
    assert (old.waiting_count, old.seats_waiting, old.seats_promoting) == (1, 3, 2)
    assert old.promote(4, "strict_fifo", 3) == []  # 4 free minus 2 in flight: b's 3 do not fit
    assert old.promote(5, "strict_fifo", 3) == [b]


def test_a_copy_is_independent_of_the_original():
    waitlist = Waitlist(event_id=uuid4())
    a = uuid4()
    waitlist.join(a, 1, sequence=1)
    copy = deepcopy(waitlist)
    copy.leave(a)
    assert waitlist.holds(a) and not copy.holds(a)
    assert waitlist.waiting_ids and not copy.waiting_ids


def test_promote_builds_nothing_when_no_seat_is_free():
    waitlist = Waitlist(event_id=uuid4())
    for i in range(1, 1001):
        waitlist.join(uuid4(), 1, sequence=i)
    waitlist.waiting_ids = None  # type: ignore[assignment] — would fail if read
    assert waitlist.promote(0, "first_fit", 3) == []


def test_entries_are_ordered_by_acceptance_not_by_arrival():
    waitlist = Waitlist(event_id=uuid4())
    late, early, middle = uuid4(), uuid4(), uuid4()
    waitlist.join(late, 1, sequence=30)
    waitlist.join(early, 1, sequence=10)
    waitlist.join(middle, 1, sequence=20)
    assert waitlist.booking_ids() == [early, middle, late]
    assert may_take_seats(waitlist, 5) and not may_take_seats(waitlist, 11) and not may_take_seats(waitlist)


def test_numbers_are_handed_out_in_order_and_survive_replay():
    waitlist = Waitlist(event_id=uuid4())
    assert waitlist.number_requests(3) == 1
    assert waitlist.number_requests(2) == 4
    rebuilt = None
    for e in waitlist.collect_events():
        rebuilt = e.mutate(rebuilt)
    assert rebuilt.number_requests(1) == 6
