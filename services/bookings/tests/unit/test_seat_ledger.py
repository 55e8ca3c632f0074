"""The seat lease ledger (issue 8): confirmed + held from the lease never exceeds what the Event leased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookings_service.domain.lease import LeaseOverdrawn, SeatLedger, seat_ledger_id

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC)


def ledger_with(leased: int = 0) -> SeatLedger:
    ledger = SeatLedger(event_id=uuid4())
    if leased:
        ledger.granted(ledger.ask(leased, NOW), leased)
    return ledger


def test_the_ledger_is_found_by_its_event_and_lease_ids_are_deterministic():
    event_id = uuid4()
    one, two = SeatLedger(event_id=event_id), SeatLedger(event_id=event_id)
    assert one.id == two.id == seat_ledger_id(event_id)
    assert one.ask(5, NOW) == two.ask(5, NOW)


def test_a_granted_lease_is_spent_by_bookings_and_refilled_when_they_cancel():
    ledger = ledger_with(5)
    first, second = uuid4(), uuid4()
    ledger.take(first, 3, NOW)
    ledger.take(second, 2, NOW)
    assert ledger.free == 0
    with pytest.raises(LeaseOverdrawn):
        ledger.take(uuid4(), 1, NOW)

    assert ledger.give_back(first) == 3
    assert ledger.give_back(first) == 0  # a second cancel gives nothing back
    assert (ledger.free, ledger.in_use, ledger.leased) == (3, 2, 5)


def test_one_lease_at_a_time_and_an_answer_heard_twice_counts_once():
    ledger = SeatLedger(event_id=uuid4())
    lease = ledger.ask(10, NOW)
    assert ledger.ask(10, NOW) is None  # the first is still open
    ledger.granted(lease, 7)
    ledger.granted(lease, 7)
    assert ledger.leased == 7


def test_an_unanswered_lease_is_asked_again_with_the_same_id():
    ledger = SeatLedger(event_id=uuid4())
    lease = ledger.ask(10, NOW)
    assert not ledger.ask_again(NOW + timedelta(seconds=1), timedelta(seconds=30))
    assert ledger.ask_again(NOW + timedelta(seconds=31), timedelta(seconds=30))
    [repeat] = [e for e in ledger.collect_events() if type(e).__name__ == "LeaseRequestRepeated"]
    assert (repeat.lease_id, repeat.seats) == (lease, 10)


def test_full_backs_off_a_while_and_any_other_refusal_closes_the_ledger():
    ledger = SeatLedger(event_id=uuid4())
    ledger.refused(ledger.ask(10, NOW), "full", NOW)
    assert ledger.ask(10, NOW + timedelta(seconds=1)) is None
    ledger.refused(ledger.ask(10, NOW + timedelta(seconds=6)), "event_cancelled", NOW)
    assert ledger.closed and ledger.ask(10, NOW + timedelta(hours=1)) is None


def test_idle_free_seats_go_back_and_a_closing_ledger_returns_all_it_does_not_use():
    ledger = ledger_with(10)
    ledger.take(uuid4(), 4, NOW)
    assert not ledger.is_idle(NOW + timedelta(seconds=5), timedelta(seconds=30))
    assert ledger.is_idle(NOW + timedelta(seconds=30), timedelta(seconds=30))
    ledger.return_free("idle", 2)
    ledger.close("event_cancelled")
    assert (ledger.leased, ledger.free, ledger.closed) == (4, 0, True)
    with pytest.raises(LeaseOverdrawn):
        ledger.return_free("idle", 1)


def test_a_lease_just_granted_is_not_idle_before_anyone_could_use_it():
    ledger = ledger_with(10)  # asked and granted at NOW, nothing taken yet
    assert not ledger.is_idle(NOW + timedelta(seconds=5), timedelta(seconds=30))
    assert ledger.is_idle(NOW + timedelta(seconds=30), timedelta(seconds=30))


# --- property: both invariants over random interleavings of the two writers and the messages between them ---

class Event:
    """The Event's side, as the events service keeps it (unit-tested there): grants from what is unallocated."""

    def __init__(self, capacity: int):
        self.capacity, self.reserved, self.leased, self.answers = capacity, 0, 0, {}

    def lease(self, lease_id, seats):
        if lease_id not in self.answers:
            granted = min(seats, self.capacity - self.reserved - self.leased)
            self.leased += granted
            self.answers[lease_id] = granted
        return self.answers[lease_id]


steps = st.lists(st.tuples(st.sampled_from(
    ["ask", "deliver", "redeliver", "answer", "reanswer", "confirm", "cancel", "return", "back", "capacity",
     "reserve"]),
    st.integers(1, 8)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 30), script=steps)
def test_no_seat_is_ever_given_twice_whatever_the_order(capacity, script):
    event, ledger = Event(capacity), SeatLedger(event_id=uuid4())
    commands: list = []  # RequestSeatLease on their way to the Event (ordered per key, may be redelivered)
    answers: list = []  # SeatsLeased/LeaseRefused on their way back
    returns: list = []
    confirmed: list = []
    sent: list = []
    now = NOW
    for op, n in script:
        now += timedelta(seconds=n)
        if op == "ask" and (lease_id := ledger.ask(n, now)) is not None:
            commands.append((lease_id, n))
        elif op in ("deliver", "redeliver") and commands:
            lease_id, seats = commands[0] if op == "redeliver" and sent else commands.pop(0)
            sent.append(lease_id)
            answers.append((lease_id, event.lease(lease_id, seats)))
        elif op in ("answer", "reanswer") and answers:
            lease_id, granted = answers[0] if op == "reanswer" else answers.pop(0)
            if granted:
                ledger.granted(lease_id, granted)
            else:
                ledger.refused(lease_id, "full", now)
        elif op == "confirm" and ledger.free >= n:
            ledger.take(booking := uuid4(), n, now)
            confirmed.append(booking)
        elif op == "cancel" and confirmed:
            ledger.give_back(confirmed.pop(n % len(confirmed)))
        elif op == "return" and ledger.free:
            seats = min(n, ledger.free)
            ledger.return_free("idle", seats)
            returns.append(seats)  # ReturnLeasedSeats on its way to the Event
        elif op == "back" and returns:
            event.leased -= returns.pop(0)
        elif op == "capacity":
            # The Event refuses to shrink below reserved + leased.
            event.capacity = max(n * 4, event.reserved + event.leased)
        elif op == "reserve" and event.capacity - event.reserved - event.leased >= n:
            event.reserved += n
        assert 0 <= ledger.in_use <= ledger.leased  # confirmed + held <= leased (this ledger)
        assert event.reserved + event.leased <= event.capacity  # leased <= capacity (the Event)
        assert ledger.leased <= event.leased  # seats in flight back to the Event are not spent twice
        assert ledger.in_use + event.reserved <= event.capacity  # hence: never oversold


def _notes(events) -> list[tuple[int, int]]:
    return [(e.leased, e.in_use) for e in events if isinstance(e, SeatLedger.UseNoted)]


def test_each_save_that_changes_the_use_ends_with_one_note_for_the_catalogue():
    """The catalogue counts capacity − reserved − in_use: it hears the ledger's use once per save, not per booking."""
    ledger = ledger_with(10)
    assert _notes(ledger.collect_events()) == [(10, 0)]
    for _ in range(4):
        ledger.take(uuid4(), 2, NOW)
    saved = ledger.collect_events()
    assert _notes(saved) == [(10, 8)] and isinstance(saved[-1], SeatLedger.UseNoted)
    assert ledger.collect_events() == []  # nothing pending: nothing said
    ledger.ask(5, NOW)  # a change that moves neither figure says nothing either
    assert _notes(ledger.collect_events()) == []
