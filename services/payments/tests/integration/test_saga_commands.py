"""The booking saga's commands, as the worker applies them (HandlerSink → handler → event store), on real
PostgreSQL: given RequestPayment/RefundPayment messages, expect these payments, wallets and outcomes."""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from uuid import UUID, uuid4

import pytest

from contracts import Envelope, wrap
from contracts.payments import RefundPayment, RequestPayment
from spine.handlers import HandlerSink

from payments_service import public
from payments_service.consumers.commands import PaymentCommands
from payments_service.domain import PaymentOrder

pytestmark = pytest.mark.integration

TOPIC = "payments.commands.test"


@pytest.fixture
def payments(client):
    return client.app.state.container.payments


@pytest.fixture
def deliver(payments):
    """Deliver envelopes as the consumer would, each at the next offset of one partition."""
    sink = HandlerSink(PaymentCommands(payments, TOPIC), payments)
    offsets = count(sink.next_offsets(TOPIC).get(0, 0))

    def send(*envelopes: Envelope, at: list[int] | None = None) -> list[int]:
        used = at or [next(offsets) for _ in envelopes]
        sink.apply(TOPIC, 0, list(zip(used, envelopes, strict=True)))
        return used

    return send


def request(user: UUID, method: str = "balance", amount: str = "30.00", payment_id: UUID | None = None) -> Envelope:
    pid = payment_id or uuid4()
    return wrap(RequestPayment(payment_id=pid, booking_id=uuid4(), event_id=uuid4(), user_id=user,
                               amount=Decimal(amount), currency="EUR", payment_method=method),
                aggregate_id=str(pid))


def refund(payment_id: UUID, reason: str = "booking_cancelled") -> Envelope:
    return wrap(RefundPayment(payment_id=payment_id, booking_id=uuid4(), reason=reason),
                aggregate_id=str(payment_id))


def published(payments, payment_id: UUID) -> list[str]:
    envelopes = (public.to_envelope(e) for e in payments.events.get(payment_id))
    return [e.type for e in envelopes if e is not None]


def fund(payments, user: UUID, amount: str) -> None:
    top_up = payments.request_payment(PaymentOrder(payment_id=uuid4(), user_id=user, amount=Decimal(amount),
                                                   currency="EUR", method="cash"))
    payments.confirm_offline(top_up.id, operator_id=uuid4())


def test_a_balance_payment_settles_at_once_or_fails_for_lack_of_money(payments, deliver):
    user = uuid4()
    fund(payments, user, "50")
    paid, short = request(user, amount="30"), request(user, amount="30")
    deliver(paid, short)
    assert published(payments, UUID(paid.aggregate_id)) == ["PaymentRequested", "PaymentSucceeded"]
    assert published(payments, UUID(short.aggregate_id)) == ["PaymentRequested", "PaymentFailed"]
    assert payments.get_payment(UUID(short.aggregate_id)).failure_reason == "insufficient_balance"
    assert payments.wallet_of(user).balance("EUR") == Decimal("20.00")


def test_redelivered_and_repeated_commands_change_nothing(payments, deliver):
    user = uuid4()
    fund(payments, user, "50")
    command = request(user, amount="30")
    offsets = deliver(command)
    deliver(command, at=offsets)  # the same offset again: a redelivery after a crash
    deliver(command)  # the same command re-published at a new offset
    pid = UUID(command.aggregate_id)
    assert published(payments, pid) == ["PaymentRequested", "PaymentSucceeded"]
    assert payments.wallet_of(user).balance("EUR") == Decimal("20.00")
    deliver(refund(pid))
    deliver(refund(pid))
    assert published(payments, pid) == ["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"]
    assert payments.wallet_of(user).balance("EUR") == Decimal("50.00")


def test_an_online_payment_waits_and_a_cash_one_waits_for_the_desk(payments, deliver):
    user = uuid4()
    online, cash = request(user, "sandbox", "25"), request(user, "cash", "25")
    deliver(online, cash)
    sandbox_payment = payments.get_payment(UUID(online.aggregate_id))
    assert (sandbox_payment.status, sandbox_payment.provider) == ("pending", "sandbox")
    assert sandbox_payment.confirmation_url.endswith(f"/{online.aggregate_id}/sandbox")
    cash_payment = payments.get_payment(UUID(cash.aggregate_id))
    assert (cash_payment.status, cash_payment.is_offline) == ("pending", True)
    assert published(payments, cash_payment.id) == ["PaymentRequested"]


def test_a_command_that_breaks_a_rule_becomes_a_failed_payment(payments, deliver):
    bad_amount, bad_method = request(uuid4(), "sandbox", "-10"), request(uuid4(), "stripe")
    deliver(bad_amount, bad_method)
    assert payments.get_payment(UUID(bad_amount.aggregate_id)).failure_reason == "NonPositiveAmount"
    assert payments.get_payment(UUID(bad_method.aggregate_id)).failure_reason == "ProviderNotEnabled"
    assert published(payments, UUID(bad_method.aggregate_id)) == ["PaymentRequested", "PaymentFailed"]


def test_a_refund_asked_while_paying_is_given_the_moment_the_money_arrives(client, payments, deliver):
    user = uuid4()
    command = request(user, "sandbox", "25")
    pid = UUID(command.aggregate_id)
    deliver(command, refund(pid, "booking_not_live"))
    assert payments.get_payment(pid).status == "pending"
    client.app.state.container.webhooks.complete_in_sandbox(pid, payer_id=user, outcome="succeeded")
    assert published(payments, pid) == ["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"]
    assert payments.get_payment(pid).refund_reason == "booking_not_live"


def test_a_refund_command_with_a_word_from_before_the_vocabulary_is_recorded_with_today_word(payments, deliver):
    """Bookings used to ask `booking_user` (its booking says `user`): still read, recorded as `user`."""
    user = uuid4()
    fund(payments, user, "50")
    command = request(user, amount="30")
    pid = UUID(command.aggregate_id)
    deliver(command, partial_refund(pid, "27.00"))
    assert payments.get_payment(pid).refund_reason == "user"
    [message] = [e for e in (public.to_envelope(x) for x in payments.events.get(pid))
                 if e is not None and e.type == "PaymentRefunded"]
    assert message.payload["reason"] == "user"


def test_refunds_of_failed_or_unknown_payments_give_nothing(payments, deliver):
    user = uuid4()
    short = request(user, amount="30")  # empty wallet: fails
    deliver(short, refund(UUID(short.aggregate_id)), refund(uuid4()))
    assert published(payments, UUID(short.aggregate_id)) == ["PaymentRequested", "PaymentFailed"]
    assert payments.wallet_of(user).balance("EUR") == Decimal("0")


def partial_refund(payment_id: UUID, amount: str) -> Envelope:
    return wrap(RefundPayment(payment_id=payment_id, booking_id=uuid4(), reason="booking_user",
                              amount=Decimal(amount)), aggregate_id=str(payment_id))


def refunded_amount(payments, payment_id: UUID) -> Decimal:
    [message] = [e for e in (public.to_envelope(x) for x in payments.events.get(payment_id))
                 if e is not None and e.type == "PaymentRefunded"]
    return Decimal(message.payload["amount"])


def test_a_refund_with_an_amount_gives_back_only_that_and_says_so(payments, deliver):
    user = uuid4()
    fund(payments, user, "50")
    command = request(user, amount="30")
    pid = UUID(command.aggregate_id)
    deliver(command, partial_refund(pid, "27.00"))
    assert payments.wallet_of(user).balance("EUR") == Decimal("47.00")  # 20 left + 27 back; the fee is kept
    assert refunded_amount(payments, pid) == Decimal("27.00")
    assert payments.get_payment(pid).refunded_amount == Decimal("27.00")
    deliver(partial_refund(pid, "27.00"))
    assert payments.wallet_of(user).balance("EUR") == Decimal("47.00")


def test_a_partial_refund_asked_while_paying_keeps_its_amount(client, payments, deliver):
    user = uuid4()
    command = request(user, "sandbox", "25")
    pid = UUID(command.aggregate_id)
    deliver(command, partial_refund(pid, "20.00"))
    client.app.state.container.webhooks.complete_in_sandbox(pid, payer_id=user, outcome="succeeded")
    assert refunded_amount(payments, pid) == Decimal("20.00")


def test_a_refund_amount_the_payment_cannot_give_is_refunded_in_full_not_stuck(payments, deliver):
    user = uuid4()
    fund(payments, user, "50")
    command = request(user, amount="30")
    pid = UUID(command.aggregate_id)
    deliver(command, partial_refund(pid, "31.00"))
    assert refunded_amount(payments, pid) == Decimal("30.00")
    assert payments.wallet_of(user).balance("EUR") == Decimal("50.00")
