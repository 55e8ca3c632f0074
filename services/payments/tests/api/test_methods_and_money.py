"""Issue 11: payments tells other services which methods it takes, and writes money with its minor units."""

from __future__ import annotations

import pytest

from contracts.payments import PaymentMethodsAvailable

from payments_service import domain, public
from payments_service.application import Payments
from payments_service.bootstrap import build_providers
from payments_service.providers import Providers
from payments_service.providers.offline import BalanceProvider, CashProvider
from payments_service.testing import assert_problem, balance, pay_in_sandbox, top_up

pytestmark = pytest.mark.api


def announcements(app: Payments) -> list[PaymentMethodsAvailable]:
    stored = app.repository.get(domain.METHODS_ID)
    return [public.to_public(e) for e in app.events.get(stored.id)]


def test_the_enabled_methods_are_announced_once_and_again_when_they_change(client, settings):
    app: Payments = client.app.state.container.payments
    default = build_providers(settings, client.app.state.container.pool)
    assert default.enabled_methods() == ["card", "cash", "balance", "sandbox"]  # development: the sandbox serves card

    app.providers = default
    app.announce_methods()
    assert app.announce_methods() is False  # a restart with the same configuration publishes nothing
    first = announcements(app)[-1]
    assert (first.methods, first.card_provider) == (["card", "cash", "balance", "sandbox"], "sandbox")

    app.providers = Providers([CashProvider(), BalanceProvider()], card_provider="stripe")  # Stripe keys missing
    assert app.announce_methods() is True
    latest = announcements(app)[-1]
    assert (latest.methods, latest.card_provider) == (["cash", "balance"], None)
    app.providers = default


@pytest.mark.parametrize(("amount", "currency", "written"), [
    ("40", "EUR", "40.00"), ("12.5", "usd", "12.50"), ("1000", "JPY", "1000"), ("5", "KWD", "5.000"),
])
def test_amounts_and_balances_are_written_with_the_currency_minor_units(client, participant, amount, currency,
                                                                         written):
    payment = top_up(client, participant, amount, currency=currency)
    assert payment["amount"] == written
    assert pay_in_sandbox(client, participant, payment["id"]).json()["amount"] == written
    assert balance(client, participant)[currency.upper()] == written


@pytest.mark.parametrize(("amount", "currency"), [("1000.5", "JPY"), ("1.001", "EUR"), ("10", "XYZ")])
def test_amounts_finer_than_the_currency_or_unknown_currencies_are_422(client, participant, amount, currency):
    response = client.post("/api/v1/payments/", json={"amount": amount, "currency": currency,
                                                      "payment_method": "sandbox"}, headers=participant.headers)
    assert_problem(response, 422)
