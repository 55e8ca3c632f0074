"""Payment, refund and wallet rules, without any I/O."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, uuid4, uuid5

import pytest

from contracts.events import PAYMENT_METHODS

from payments_service import domain
from payments_service.domain import Payment, PaymentOrder, Refund, Wallet, settlement

pytestmark = pytest.mark.unit


def order(**overrides) -> PaymentOrder:
    fields = {"payment_id": uuid4(), "user_id": uuid4(), "amount": Decimal("50.00"), "currency": "EUR",
              "method": "sandbox", "event_id": uuid4(), "booking_id": uuid4()}
    return PaymentOrder(**{**fields, **overrides})


def pending(**overrides) -> Payment:
    return Payment.request(order(**overrides), provider="sandbox", is_offline=False, reference="sbx_1")


def test_the_methods_match_the_ones_events_may_allow():
    assert set(domain.METHODS) == set(PAYMENT_METHODS)


def test_a_new_payment_is_pending_with_its_given_id_and_normalised_amount():
    o = order(amount=Decimal("50"))
    payment = Payment.request(o, provider="sandbox", is_offline=False, reference="sbx_1", confirmation_url="/pay")
    assert (payment.id, payment.status, payment.amount, payment.reference) == (o.payment_id, "pending",
                                                                              Decimal("50.00"), "sbx_1")
    assert str(payment.amount) == "50.00"


@pytest.mark.parametrize(("amount", "currency", "error"), [
    (Decimal("0"), "EUR", domain.NonPositiveAmount),
    (Decimal("-5.00"), "EUR", domain.NonPositiveAmount),
    (Decimal("NaN"), "EUR", domain.NonPositiveAmount),
    (Decimal("1.005"), "EUR", domain.AmountTooPrecise),
    (Decimal("1E+30"), "EUR", domain.AmountTooLarge),
    (Decimal("100.5"), "JPY", domain.AmountTooPrecise),
    (Decimal("10"), "eur", domain.InvalidCurrency),
    (Decimal("10"), "EURO", domain.InvalidCurrency),
    (Decimal("10"), "E1R", domain.InvalidCurrency),
])
def test_amounts_and_currencies_that_cannot_be_paid_are_refused(amount, currency, error):
    with pytest.raises(error):
        Payment.request(order(amount=amount, currency=currency), provider="sandbox", is_offline=False)


def test_three_decimal_currencies_and_minor_units():
    assert domain.to_minor_units(Decimal("12.345"), "KWD") == 12345
    assert domain.to_minor_units(Decimal("25.5"), "EUR") == 2550
    assert domain.to_minor_units(Decimal("500"), "JPY") == 500


def test_unknown_methods_and_top_ups_from_the_wallet_itself_are_refused():
    with pytest.raises(domain.UnknownPaymentMethod):
        domain.check_order(order(method="bitcoin"))
    with pytest.raises(domain.TopUpFromBalance):
        domain.check_order(order(method="balance", event_id=None, booking_id=None))


def test_a_pending_payment_succeeds_or_fails_once():
    payment = pending()
    payment.succeed()
    assert payment.status == "succeeded"
    with pytest.raises(domain.PaymentNotPending):
        payment.succeed()
    with pytest.raises(domain.PaymentNotPending):
        payment.fail("late decline")
    failed = pending()
    failed.fail("card_declined")
    assert (failed.status, failed.failure_reason) == ("failed", "card_declined")


def test_only_offline_payments_are_confirmed_by_an_operator():
    with pytest.raises(domain.NotOfflinePayment):
        pending().confirm_offline(uuid4())
    cash = Payment.request(order(method="cash"), provider="cash", is_offline=True)
    operator = uuid4()
    cash.confirm_offline(operator)
    assert (cash.status, cash.confirmed_by) == ("succeeded", operator)


def test_a_refused_command_is_recorded_as_a_failed_payment():
    payment = Payment.refuse(order(amount=Decimal("-1")), provider="sandbox", reason="NonPositiveAmount")
    assert (payment.status, payment.failure_reason, payment.amount) == ("failed", "NonPositiveAmount",
                                                                        Decimal("-1.00"))
    assert Payment.refuse(order(amount=Decimal("-1E+30")), provider="sandbox", reason="x").amount == Decimal("-1E+30")
    assert [type(e).__name__ for e in payment.collect_events()] == ["Requested", "Failed"]


def test_only_succeeded_payments_are_refunded_once_with_a_deterministic_refund_id():
    payment = pending()
    with pytest.raises(domain.PaymentNotRefundable):
        Refund.issue(payment, reason="cancelled")
    payment.succeed()
    refund = Refund.issue(payment, reason="booking_cancelled")
    assert refund.id == uuid5(NAMESPACE_URL, f"/refunds/{payment.id}")
    assert (payment.status, payment.refund_reason, refund.amount) == ("refunded", "booking_cancelled",
                                                                      Decimal("50.00"))
    with pytest.raises(domain.PaymentNotRefundable):
        Refund.issue(payment, reason="again")


def test_a_wallet_has_a_deterministic_id_and_never_goes_below_zero():
    user = uuid4()
    wallet = Wallet.open(user)
    assert wallet.id == uuid5(NAMESPACE_URL, f"/wallets/{user}")
    wallet.credit(Decimal("30.00"), "EUR", payment_id=uuid4())
    wallet.debit(Decimal("20.00"), "EUR", payment_id=uuid4())
    with pytest.raises(domain.InsufficientBalance):
        wallet.debit(Decimal("10.01"), "EUR", payment_id=uuid4())
    with pytest.raises(domain.InsufficientBalance):
        wallet.debit(Decimal("1.00"), "USD", payment_id=uuid4())  # balances are per currency
    with pytest.raises(domain.NonPositiveAmount):
        wallet.debit(Decimal("-5"), "EUR", payment_id=uuid4())  # a negative debit would be a credit
    assert wallet.balance("EUR") == Decimal("10.00")


def test_a_balance_payment_is_debited_or_fails_for_lack_of_money():
    user = uuid4()
    wallet = Wallet.open(user)
    wallet.credit(Decimal("60.00"), "EUR", payment_id=uuid4())
    first, second = pending(user_id=user, method="balance"), pending(user_id=user, method="balance")
    settlement.pay_from_wallet(first, wallet)
    settlement.pay_from_wallet(second, wallet)
    assert (first.status, second.status, second.failure_reason) == ("succeeded", "failed", "insufficient_balance")
    assert wallet.balance("EUR") == Decimal("10.00")


def test_a_top_up_credits_the_wallet_when_it_succeeds_and_its_refund_takes_it_back():
    user = uuid4()
    wallet = Wallet.open(user)
    top_up = pending(user_id=user, event_id=None, booking_id=None)
    settlement.record_success(top_up, wallet)
    assert wallet.balance("EUR") == Decimal("50.00")
    wallet.debit(Decimal("20.00"), "EUR", payment_id=uuid4())
    with pytest.raises(domain.InsufficientBalance):
        settlement.check_refund(top_up, wallet)  # 20 of it was spent already
    wallet.credit(Decimal("20.00"), "EUR", payment_id=uuid4())
    settlement.refund(top_up, wallet, reason="changed my mind")
    assert (top_up.status, wallet.balance("EUR")) == ("refunded", Decimal("0.00"))


def test_a_refunded_balance_payment_goes_back_to_the_wallet():
    user = uuid4()
    wallet = Wallet.open(user)
    wallet.credit(Decimal("50.00"), "EUR", payment_id=uuid4())
    payment = pending(user_id=user, method="balance")
    settlement.pay_from_wallet(payment, wallet)
    settlement.refund(payment, wallet, reason="booking_cancelled")
    assert wallet.balance("EUR") == Decimal("50.00")


def test_a_refund_asked_while_pending_is_remembered():
    payment = pending()
    payment.request_refund("booking_cancelled")
    payment.request_refund("booking_cancelled")  # a repeat records nothing new
    assert payment.refund_requested == "booking_cancelled"
    assert [type(e).__name__ for e in payment.collect_events()] == ["Requested", "RefundRequested"]


def test_only_the_payer_completes_a_payment():
    payment = pending()
    payment.check_owner(payment.user_id)
    with pytest.raises(domain.NotPaymentOwner):
        payment.check_owner(uuid4())


def test_the_payer_never_confirms_their_own_cash_but_another_operator_does():
    cash = Payment.request(order(method="cash"), provider="cash", is_offline=True)
    with pytest.raises(domain.OwnPaymentConfirmation):
        cash.confirm_offline(cash.user_id)
    assert cash.status == "pending"
    cash.confirm_offline(uuid4())
    assert cash.status == "succeeded"


def test_the_cash_ceiling_applies_per_currency_to_cash_top_ups_only():
    ceilings = {"RUB": Decimal("100000"), "*": Decimal("1000")}
    top_up = {"event_id": None, "booking_id": None, "method": "cash"}
    domain.check_cash_top_up(order(**top_up, amount=Decimal("1000")), ceilings)
    domain.check_cash_top_up(order(**top_up, amount=Decimal("99000"), currency="RUB"), ceilings)
    with pytest.raises(domain.CashTopUpTooLarge):
        domain.check_cash_top_up(order(**top_up, amount=Decimal("1000.01")), ceilings)
    domain.check_cash_top_up(order(method="cash", amount=Decimal("5000")), ceilings)  # a booking's price
    domain.check_cash_top_up(order(**{**top_up, "method": "card"}, amount=Decimal("5000")), ceilings)
    domain.check_cash_top_up(order(**top_up, amount=Decimal("5000")), {})  # no ceiling configured


def test_a_partial_refund_gives_back_only_the_amount_asked_and_is_final():
    payment = pending()
    payment.succeed()
    refund = Refund.issue(payment, reason="booking_user", amount=Decimal("45"))
    assert (refund.amount, payment.refunded_amount, payment.status) == (Decimal("45.00"), Decimal("45.00"),
                                                                        "refunded")
    refunded = [e for e in payment.collect_events() if type(e).__name__ == "Refunded"]
    assert refunded[0].amount == Decimal("45.00")
    with pytest.raises(domain.PaymentNotRefundable):
        Refund.issue(payment, reason="the rest", amount=Decimal("5"))


@pytest.mark.parametrize("amount, error", [
    (Decimal("50.01"), domain.InvalidRefundAmount), (Decimal("0"), domain.NonPositiveAmount),
    (Decimal("10.005"), domain.AmountTooPrecise),
])
def test_a_partial_refund_never_exceeds_the_payment_nor_its_minor_unit(amount, error):
    payment = pending()
    payment.succeed()
    with pytest.raises(error):
        Refund.issue(payment, reason="x", amount=amount)
    assert payment.status == "succeeded"


def test_a_partial_refund_of_a_balance_payment_credits_only_that_much():
    wallet = Wallet.open(uuid4())
    payment = pending(method="balance", user_id=wallet.user_id)
    payment.succeed()
    settlement.refund(payment, wallet, reason="booking_user", amount=Decimal("40.00"))
    assert wallet.balance("EUR") == Decimal("40.00")
