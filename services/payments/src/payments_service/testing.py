"""Test support for this service's tests (and e2e suites): a relay without Kafka."""

from __future__ import annotations

from spine.projector import apply_in_transaction
from webkit.testing import assert_problem  # noqa: F401 - re-exported for the payments tests

from payments_service import public
from payments_service.application import Payments
from payments_service.projections.payments_view import PaymentsView


def feed_payments_view(payments: Payments, conninfo: str) -> int:
    """What relay + projector do, without Kafka: every stored event → public envelope → payments_view.

    Re-running it re-delivers everything, which must change nothing. Returns how many messages it applied.
    """
    notifications = payments.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
    maybe = [public.to_envelope(payments.mapper.to_domain_event(n), payments.name) for n in notifications]
    envelopes = [e for e in maybe if e is not None]
    apply_in_transaction(conninfo, PaymentsView(), envelopes)
    return len(envelopes)


# --- HTTP helpers for API and e2e tests ----------------------------------------------------------

URL = "/api/v1/payments/"


def top_up(client, who, amount: str = "40.00", method: str = "sandbox", currency: str = "EUR", **extra) -> dict:
    """POST a wallet top-up for `who`; returns the created payment."""
    response = client.post(URL, json={"amount": amount, "currency": currency, "payment_method": method,
                                      "description": "Wallet top-up", **extra}, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


def pay_in_sandbox(client, who, payment_id: str, outcome: str = "succeeded"):
    """`who` finishes a sandbox payment with `outcome`; returns the response."""
    return client.post(f"{URL}{payment_id}/sandbox", json={"outcome": outcome}, headers=who.headers)


def balance(client, who) -> dict[str, str]:
    """`who`'s wallet as {currency: amount}."""
    response = client.get(f"{URL}balance", headers=who.headers)
    assert response.status_code == 200, response.text
    return {b["currency"]: b["amount"] for b in response.json()["balances"]}
