"""The booking saga as given-message / expect-command scenarios: every step, its compensation, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from contracts.bookings import (
    BookingAwaitingPayment,
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingLatePaymentAccepted,
    BookingPromoted,
    BookingRejected,
    BookingRequested,
    BookingWaitlisted,
)
from contracts.events import (
    EventCancelled,
    EventUpdated,
    ReleaseSeats,
    ReserveSeats,
    SeatsRejected,
    SeatsReleased,
    SeatsReserved,
)
from contracts.payments import (
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    RefundPayment,
    RequestPayment,
    VoidPayment,
)

from bookings_service.domain import Actor, Booking, BookingRules, EventTerms, payment_id_for
from bookings_service.testing import MemoryUnit, names

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
EVENT = uuid4()


def terms(*, paid: bool = False, capacity: int = 10) -> EventTerms:
    return EventTerms(event_id=EVENT, created_by=uuid4(), start_time=NOW + timedelta(days=3), status="scheduled",
                      is_paid=paid, price=Decimal("25.00") if paid else None, currency="EUR" if paid else None,
                      allowed_payment_methods=("sandbox", "cash") if paid else (), max_participants=capacity,
                      seats_available=capacity)


def book(unit: MemoryUnit, *, paid: bool = False, seats: int = 1, method: str = "sandbox",
         event_terms: EventTerms | None = None) -> Booking:
    """Step 1 done: a booking that asked the Event for seats (its first messages already published)."""
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=event_terms or terms(paid=paid),
                              group_size=seats, payment_method=method if paid else None, rules=unit.rules(), now=NOW)
    booking.request_seats()
    unit.add(booking)
    assert names(unit.published()) == ["BookingRequested", "ReserveSeats"]
    return booking


def reserved(booking: Booking, attempt: int = 1, available: int = 5) -> SeatsReserved:
    return SeatsReserved(event_id=EVENT, booking_id=booking.id, seats=booking.group_size, seats_available=available,
                         attempt=attempt)


def full(booking: Booking, attempt: int = 1, available: int = 0) -> SeatsRejected:
    return SeatsRejected(event_id=EVENT, booking_id=booking.id, seats=booking.group_size, reason="full",
                         seats_available=available, attempt=attempt)


def released(available: int, booking_id: UUID | None = None) -> SeatsReleased:
    return SeatsReleased(event_id=EVENT, booking_id=booking_id or uuid4(), seats=1, seats_available=available)


def succeeded(booking: Booking, payment_id: UUID) -> PaymentSucceeded:
    return PaymentSucceeded(payment_id=payment_id, booking_id=booking.id, user_id=booking.user_id,
                            amount=Decimal("25.00"), currency="EUR")


@pytest.fixture
def unit() -> MemoryUnit:
    return MemoryUnit(now=NOW)


def test_a_new_booking_publishes_its_request_and_asks_for_seats(unit):
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms(), group_size=3,
                              payment_method=None, rules=unit.rules(), now=NOW)
    booking.request_seats()
    unit.add(booking)
    requested, reserve = unit.published()
    assert isinstance(requested, BookingRequested) and requested.group_size == 3
    assert reserve == ReserveSeats(event_id=EVENT, booking_id=booking.id, seats=3, user_id=booking.user_id, attempt=1)


def test_free_event_seats_reserved_confirms(unit):
    booking = book(unit)
    (confirmed,) = unit.given(reserved(booking))
    assert isinstance(confirmed, BookingConfirmed) and confirmed.payment_id is None
    assert booking.status == "confirmed"


def test_paid_event_seats_reserved_holds_and_requests_payment(unit):
    booking = book(unit, paid=True, seats=2)
    awaiting, request = unit.given(reserved(booking))
    payment_id = payment_id_for(booking.id, 1)
    assert isinstance(awaiting, BookingAwaitingPayment)
    assert (awaiting.payment_id, awaiting.amount, awaiting.expires_at) == (payment_id, Decimal("50.00"),
                                                                           NOW + timedelta(minutes=15))
    assert isinstance(request, RequestPayment) and request.payment_id == payment_id
    assert (request.amount, request.currency, request.payment_method) == (Decimal("50.00"), "EUR", "sandbox")


def test_hold_minutes_come_from_the_setting():
    unit = MemoryUnit(now=NOW, rules_value=BookingRules(booking_hold_minutes=3))
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    assert booking.expires_at == NOW + timedelta(minutes=3)


def test_payment_succeeded_confirms_and_a_second_delivery_changes_nothing(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    (confirmed,) = unit.given(succeeded(booking, booking.payment_id))
    assert isinstance(confirmed, BookingConfirmed) and confirmed.payment_id == booking.payment_id
    assert unit.given(succeeded(booking, booking.payment_id)) == []
    assert unit.given(reserved(booking)) == []


def test_payment_failed_cancels_and_releases_the_seats(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    failed = PaymentFailed(payment_id=booking.payment_id, booking_id=booking.id, user_id=booking.user_id,
                           reason="card_declined")
    cancelled, release = unit.given(failed)
    assert isinstance(cancelled, BookingCancelled) and cancelled.reason == "payment_failed"
    assert cancelled.refund_payment_id is None
    assert release == ReleaseSeats(event_id=EVENT, booking_id=booking.id, reason="payment_failed")
    assert unit.given(failed) == []


def test_a_failure_of_some_other_payment_is_ignored(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    assert unit.given(PaymentFailed(payment_id=uuid4(), booking_id=booking.id, user_id=booking.user_id,
                                    reason="x")) == []
    assert booking.status == "awaiting_payment"


def test_a_lapsed_hold_expires_and_releases_only_after_the_deadline(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    assert not booking.expire(NOW + timedelta(minutes=14))
    assert booking.expire(NOW + timedelta(minutes=15))
    expired, release = unit.published()
    assert isinstance(expired, BookingExpired) and expired.payment_id == booking.payment_id
    assert release.reason == "hold_expired"
    assert not booking.expire(NOW + timedelta(minutes=30))


def test_late_payment_re_reserves_then_confirms(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    payment_id = booking.payment_id
    booking.expire(NOW + timedelta(hours=1))
    unit.published()
    accepted, reserve = unit.given(succeeded(booking, payment_id))
    # Public, so the bookings view shows it pending again (and the sweeper re-drives it if the answer is lost).
    assert accepted == BookingLatePaymentAccepted(booking_id=booking.id, event_id=EVENT, user_id=booking.user_id,
                                                  group_size=1, payment_id=payment_id)
    assert reserve == ReserveSeats(event_id=EVENT, booking_id=booking.id, seats=1, user_id=booking.user_id, attempt=2)
    assert unit.given(succeeded(booking, payment_id)) == []  # duplicate
    (confirmed,) = unit.given(reserved(booking, attempt=2))
    assert isinstance(confirmed, BookingConfirmed) and confirmed.payment_id == payment_id


def test_late_payment_without_free_seats_is_refunded(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    payment_id = booking.payment_id
    booking.expire(NOW + timedelta(hours=1))
    unit.published()
    unit.given(succeeded(booking, payment_id))
    expired, refund = unit.given(full(booking, attempt=2))
    assert isinstance(expired, BookingExpired)
    assert refund == RefundPayment(payment_id=payment_id, booking_id=booking.id, reason="hold_expired_seats_gone")
    assert booking.status == "expired"
    assert unit.given(full(booking, attempt=2)) == [] and unit.given(succeeded(booking, payment_id)) == []


def test_payment_for_a_cancelled_booking_is_refunded_once(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    booking.cancel(Actor(booking.user_id))
    cancelled, release, void = unit.published()
    assert isinstance(cancelled, BookingCancelled) and cancelled.refund_payment_id is None
    assert isinstance(release, ReleaseSeats)
    # The pending payment is voided; a charge that races in anyway is refunded.
    assert void == VoidPayment(payment_id=booking.payment_id, booking_id=booking.id, reason="user")
    (refund,) = unit.given(succeeded(booking, booking.payment_id))
    assert refund == RefundPayment(payment_id=booking.payment_id, booking_id=booking.id, reason="booking_not_live")
    assert unit.given(succeeded(booking, booking.payment_id)) == []


def test_an_event_cancellation_voids_the_pending_payments_of_its_bookings(unit):
    awaiting, confirmed = book(unit, paid=True), book(unit, paid=True)
    unit.given(reserved(awaiting))
    unit.given(reserved(confirmed, available=4))
    paid_id = confirmed.payment_id
    unit.given(succeeded(confirmed, paid_id))
    out = unit.given(EventCancelled(event_id=EVENT, reason="weather", cancelled_at=NOW))
    voids = [m for m in out if isinstance(m, VoidPayment)]
    refunds = [m for m in out if isinstance(m, RefundPayment)]
    assert voids == [VoidPayment(payment_id=awaiting.payment_id, booking_id=awaiting.id,
                                 reason="event_cancelled")]
    assert [r.payment_id for r in refunds] == [paid_id]


def test_a_failed_payment_is_not_voided_again(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    out = unit.given(PaymentFailed(payment_id=booking.payment_id, booking_id=booking.id, user_id=booking.user_id,
                                   reason="card_declined"))
    assert names(out) == ["BookingCancelled", "ReleaseSeats"]


def test_a_cash_booking_is_held_until_the_event_starts_and_names_the_organizer(unit):
    event_terms = terms(paid=True)
    booking = book(unit, paid=True, method="cash", event_terms=event_terms)
    held, request = unit.given(reserved(booking))
    assert held.expires_at == request.expires_at == event_terms.start_time
    assert request.organizer_id == event_terms.created_by
    card = book(unit, paid=True)
    _, request = unit.given(reserved(card, available=4))
    assert request.expires_at == NOW + timedelta(minutes=15)


def test_the_cash_hold_ends_the_configured_minutes_before_the_start_but_never_sooner_than_the_normal_hold():
    rules = BookingRules(booking_hold_minutes=15, cash_hold_minutes_before_start=60)
    start = NOW + timedelta(days=1)
    assert rules.hold_deadline(NOW, cash_until=start) == start - timedelta(minutes=60)
    assert rules.hold_deadline(NOW, cash_until=NOW + timedelta(minutes=30)) == NOW + timedelta(minutes=15)
    assert rules.hold_deadline(NOW) == NOW + timedelta(minutes=15)
    garbage = BookingRules.from_settings({"cash_hold_minutes_before_start": -5})
    assert garbage.cash_hold_minutes_before_start == 0


def test_cancelling_a_confirmed_paid_booking_releases_and_refunds(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    payment_id = booking.payment_id
    unit.given(succeeded(booking, payment_id))
    booking.cancel(Actor(booking.user_id))
    cancelled, release, refund = unit.published()
    assert cancelled.reason == "user" and cancelled.refund_payment_id == payment_id
    assert release.reason == "user"
    assert refund == RefundPayment(payment_id=payment_id, booking_id=booking.id, reason="user")
    refunded = PaymentRefunded(payment_id=payment_id, booking_id=booking.id, user_id=booking.user_id,
                               amount=Decimal("25"), currency="EUR", reason="user")
    assert unit.given(refunded) == [] and booking.refunds_completed == [payment_id]


def test_an_operator_refund_of_a_confirmed_booking_gives_its_seats_back(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    unit.given(succeeded(booking, booking.payment_id))
    refunded = PaymentRefunded(payment_id=booking.paid_payment_id, booking_id=booking.id, user_id=booking.user_id,
                               amount=Decimal("25"), currency="EUR", reason="admin")
    cancelled, release = unit.given(refunded)
    assert cancelled.reason == "payment_refunded" and cancelled.refund_payment_id is None
    assert isinstance(release, ReleaseSeats)


def test_a_second_payment_of_a_confirmed_booking_is_refunded(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    unit.given(succeeded(booking, booking.payment_id))
    stray = uuid4()
    (refund,) = unit.given(succeeded(booking, stray))
    assert refund.payment_id == stray and booking.status == "confirmed"


def test_seats_for_a_booking_cancelled_while_pending_are_not_released_twice(unit):
    booking = book(unit)
    booking.cancel(Actor(booking.user_id))
    assert names(unit.published()) == ["BookingCancelled", "ReleaseSeats"]
    # The release was sent after the reservation on the same partition: nothing more to undo.
    assert unit.given(reserved(booking)) == []


def test_seats_for_a_booking_that_ended_without_release_are_given_back(unit):
    booking = book(unit)
    unit.given(SeatsRejected(event_id=EVENT, booking_id=booking.id, seats=1, reason="not_bookable",
                             seats_available=3, attempt=1))
    # An answer to a newer attempt that nobody wants (e.g. a replayed command): compensate.
    booking.attempt = 2
    (release,) = unit.given(reserved(booking, attempt=2))
    assert release == ReleaseSeats(event_id=EVENT, booking_id=booking.id, reason="booking_not_live")
    assert unit.given(reserved(booking, attempt=2)) == []


def test_rejection_for_other_reasons_rejects(unit):
    booking = book(unit)
    (rejected,) = unit.given(SeatsRejected(event_id=EVENT, booking_id=booking.id, seats=1, reason="event_cancelled",
                                           seats_available=0, attempt=1))
    assert isinstance(rejected, BookingRejected) and rejected.reason == "event_cancelled"
    assert booking.status == "rejected"


def test_full_puts_bookings_in_line_with_positions(unit):
    first, second = book(unit), book(unit, seats=2)
    (w1,) = unit.given(full(first))
    (w2,) = unit.given(full(second))
    assert isinstance(w1, BookingWaitlisted) and (w1.position, w2.position) == (1, 2)
    assert unit.given(full(first)) == []  # duplicate
    assert unit.waitlist(EVENT).position_of(second.id) == 2


def test_released_seats_promote_the_head_which_asks_again_with_a_new_attempt(unit):
    first, second = book(unit), book(unit)
    unit.given(full(first))
    unit.given(full(second))
    promoted, reserve = unit.given(released(available=1), version=7)
    assert isinstance(promoted, BookingPromoted) and promoted.booking_id == first.id
    assert reserve == ReserveSeats(event_id=EVENT, booking_id=first.id, seats=1, user_id=first.user_id, attempt=2)
    # The same release delivered again (same Event version) promotes nobody else.
    assert unit.given(released(available=1), version=7) == []
    # The promoted booking is confirmed; it leaves the line, the second moves up.
    (confirmed,) = unit.given(reserved(first, attempt=2, available=0), version=8)
    assert isinstance(confirmed, BookingConfirmed)
    assert unit.waitlist(EVENT).booking_ids() == [second.id] and unit.waitlist(EVENT).position_of(second.id) == 1


def test_a_promoted_paid_booking_gets_a_fresh_hold_and_payment(unit):
    booking = book(unit, paid=True)
    unit.given(full(booking))
    unit.given(released(available=1), version=3)
    unit.now = NOW + timedelta(hours=2)
    awaiting, request = unit.given(reserved(booking, attempt=2, available=0), version=4)
    assert awaiting.payment_id == payment_id_for(booking.id, 2) != payment_id_for(booking.id, 1)
    assert awaiting.expires_at == NOW + timedelta(hours=2, minutes=15)
    assert request.payment_id == awaiting.payment_id


def test_a_promoted_booking_beaten_to_the_seats_goes_back_to_its_place(unit):
    first, second = book(unit), book(unit)
    unit.given(full(first))
    unit.given(full(second))
    unit.given(released(available=1), version=5)
    assert unit.waitlist(EVENT).position_of(first.id) is None  # being promoted
    (waitlisted,) = unit.given(full(first, attempt=2, available=0), version=6)
    assert waitlisted.position == 1 and first.status == "waitlisted"
    assert unit.waitlist(EVENT).booking_ids() == [first.id, second.id]


def test_a_new_booking_goes_to_the_line_while_people_wait_and_cancel_leaves_it(unit):
    first = book(unit)
    unit.given(full(first))
    waitlist = unit.waitlist(EVENT)
    late = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms(), group_size=1, payment_method=None,
                           rules=unit.rules(), now=NOW)
    late.wait_in_line(waitlist.join(late.id, 1))
    unit.add(late)
    assert names(unit.published()) == ["BookingRequested", "BookingWaitlisted"]
    first.cancel(Actor(first.user_id))
    waitlist.leave(first.id)
    (cancelled,) = unit.published()
    assert cancelled.reason == "left_waitlist"  # no ReleaseSeats: it held none
    assert waitlist.position_of(late.id) == 1


def test_event_cancelled_cancels_every_live_booking_releasing_and_refunding(unit):
    paid_confirmed, waiting, done = book(unit, paid=True), book(unit), book(unit)
    unit.given(reserved(paid_confirmed))
    payment_id = paid_confirmed.payment_id
    unit.given(succeeded(paid_confirmed, payment_id))
    unit.given(full(waiting))
    unit.given(SeatsRejected(event_id=EVENT, booking_id=done.id, seats=1, reason="not_bookable", seats_available=0,
                             attempt=1))
    out = unit.given(EventCancelled(event_id=EVENT, cancelled_at=NOW))
    assert sorted(names(out)) == ["BookingCancelled", "BookingCancelled", "RefundPayment", "ReleaseSeats"]
    refund = next(m for m in out if isinstance(m, RefundPayment))
    assert refund.payment_id == payment_id
    assert {paid_confirmed.status, waiting.status, done.status} == {"cancelled", "rejected"}
    assert unit.waitlist(EVENT).is_empty
    assert unit.given(EventCancelled(event_id=EVENT, cancelled_at=NOW)) == []


def test_cancelling_twice_or_someone_elses_booking_is_refused(unit):
    from bookings_service.domain import BookingAlreadyCancelled, NotBookingOwner

    booking = book(unit)
    with pytest.raises(NotBookingOwner):
        booking.cancel(Actor(uuid4()))
    booking.cancel(Actor(uuid4(), may_manage_any=True))
    with pytest.raises(BookingAlreadyCancelled):
        booking.cancel(Actor(booking.user_id))


def test_messages_about_unknown_bookings_or_other_types_change_nothing(unit):
    stranger = SeatsReserved(event_id=EVENT, booking_id=uuid4(), seats=1, seats_available=1)
    assert unit.given(stranger) == []
    assert unit.given(PaymentSucceeded(payment_id=uuid4(), user_id=uuid4(), amount=Decimal(1), currency="EUR")) == []
    assert unit.given(BookingRequested(booking_id=uuid4(), event_id=EVENT, user_id=uuid4(), group_size=1,
                                       requested_at=NOW)) == []


def test_an_absurd_hold_setting_still_holds_the_seats_and_asks_for_payment():
    unit = MemoryUnit(now=NOW, rules_value=BookingRules(booking_hold_minutes=10_000_000_000))
    booking = book(unit, paid=True)
    awaiting, request = unit.given(reserved(booking))
    assert booking.status == "awaiting_payment"
    assert awaiting.expires_at == request.expires_at == NOW + timedelta(days=7)


def updated(capacity: int, available: int = 0) -> EventUpdated:
    return EventUpdated(event_id=EVENT, changes={"max_participants": capacity}, seats_available=available,
                        updated_at=NOW)


@pytest.mark.parametrize("policy", ["strict_fifo", "first_fit_fair"])
def test_a_group_the_reduced_capacity_can_never_hold_is_rejected_and_the_line_moves_on(policy):
    unit = MemoryUnit(now=NOW, rules_value=BookingRules(waitlist_policy=policy, waitlist_skip_limit=1))
    big, small = book(unit, seats=5), book(unit, seats=1)
    unit.given(full(big))
    unit.given(full(small))
    # Capacity 10 → 4 with one seat free: the group of 5 could never fit; the one behind it gets the seat.
    out = unit.given(updated(capacity=4, available=1), version=9)
    rejected = next(m for m in out if isinstance(m, BookingRejected))
    assert (rejected.booking_id, rejected.reason) == (big.id, "capacity_reduced")
    assert "ReleaseSeats" not in names(out)  # a waitlisted booking holds no seats
    assert big.status == "rejected" and small.status == "pending"
    assert any(isinstance(m, ReserveSeats) and m.booking_id == small.id for m in out)
    assert unit.waitlist(EVENT).booking_ids() == [small.id]
    assert unit.given(updated(capacity=4, available=1), version=9) == []  # redelivered


def test_a_group_in_flight_when_capacity_shrinks_is_rejected_when_the_event_says_full(unit):
    big = book(unit, seats=5)
    unit.given(updated(capacity=4, available=4), version=2)  # opens the line to remember the capacity
    (rejected,) = unit.given(full(big, available=4), version=3)
    assert isinstance(rejected, BookingRejected) and rejected.reason == "capacity_reduced"
    assert unit.waitlist(EVENT).is_empty


def test_a_larger_capacity_rejects_nobody(unit):
    waiting = book(unit, seats=3)
    unit.given(full(waiting))
    out = unit.given(updated(capacity=20, available=0), version=4)
    assert waiting.status == "waitlisted" and "BookingRejected" not in names(out)


def test_a_full_line_rejects_a_booking_the_event_turned_away():
    unit = MemoryUnit(now=NOW, rules_value=BookingRules(max_waitlist_length=1))
    first, second = book(unit), book(unit)
    unit.given(full(first))
    (rejected,) = unit.given(full(second))
    assert isinstance(rejected, BookingRejected) and rejected.reason == "waitlist_full"
    # A promoted booking beaten to the seats still goes back to its own place.
    unit.given(released(available=1), version=5)
    (back,) = unit.given(full(first, attempt=2), version=6)
    assert isinstance(back, BookingWaitlisted) and first.status == "waitlisted"
