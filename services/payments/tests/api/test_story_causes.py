"""Later requests on a payment continue its story: the payment's outcome (sandbox, webhook), a cash
confirmation and an admin's refund carry the correlation id the payment was requested under — a booking's
whole story reads under one id in the audit log — with the caller as actor (the admin for a refund, the
operator for cash), or the payer when nobody called (a provider's webhook)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from contracts import wrap
from contracts.payments import RequestPayment
from spine.handlers import HandlerSink
from spine.relay import envelope_of

from payments_service import public
from payments_service.consumers.commands import PaymentCommands
from payments_service.testing import URL

pytestmark = pytest.mark.api


def published(client, payment_id: str) -> dict[str, tuple[str | None, str | None]]:
    """The payment's public messages as the relay sends them: type → (actor_id, correlation_id)."""
    app = client.app.state.container.payments
    envelopes = [e for stored in app.recorder.select_events(UUID(payment_id))
                 if (e := envelope_of(app.mapper.to_domain_event(stored), public.to_public, app.name))]
    return {e.type: (e.actor_id, e.correlation_id) for e in envelopes}


def test_sandbox_outcome_and_an_admins_refund_stay_in_the_payments_story(client, participant, admin):
    r = client.post(URL, json={"amount": "30", "currency": "EUR", "payment_method": "sandbox"},
                    headers={**participant.headers, "X-Correlation-ID": "story-1"})
    payment = r.json()
    assert client.post(f"{URL}{payment['id']}/sandbox", json={"outcome": "succeeded"},
                       headers={**participant.headers, "X-Correlation-ID": "payer-click"}).status_code == 200
    refund = client.post(f"{URL}{payment['id']}/refund", json={"reason": "goodwill"},
                         headers={**admin.headers, "X-Correlation-ID": "admin-desk"})
    assert refund.status_code == 200, refund.text
    assert refund.headers["X-Correlation-ID"] == "admin-desk"  # the request itself keeps its own id

    assert published(client, payment["id"]) == {
        "PaymentRequested": (str(participant.user_id), "story-1"),
        "PaymentSucceeded": (str(participant.user_id), "story-1"),
        "PaymentRefunded": (str(admin.user_id), "story-1"),
    }


def test_cash_confirmed_by_support_carries_support_as_actor_in_the_payments_story(client, participant, support):
    cash = client.post(URL, json={"amount": "25", "currency": "EUR", "payment_method": "cash"},
                       headers={**participant.headers, "X-Correlation-ID": "cash-story"}).json()
    assert client.post(f"{URL}{cash['id']}/confirm", headers=support.headers).status_code == 200

    assert published(client, cash["id"])["PaymentSucceeded"] == (str(support.user_id), "cash-story")


def test_a_providers_webhook_settles_a_booking_payment_in_the_bookings_story_as_the_payer(client, participant):
    container = client.app.state.container
    payment_id, booking_id = uuid4(), uuid4()
    command = wrap(RequestPayment(payment_id=payment_id, booking_id=booking_id, event_id=uuid4(),
                                  user_id=participant.user_id, amount="12.00", currency="EUR",
                                  payment_method="sandbox"),
                   aggregate_id=str(payment_id), correlation_id="booking-story", actor_id=str(participant.user_id))
    HandlerSink(PaymentCommands(container.payments), container.payments).apply(
        "payments.commands.v1", 0, [(0, command)])
    sandbox = container.webhooks.sandbox()
    payment = container.payments.get_payment(payment_id)
    sandbox.complete(payment.reference, "succeeded")
    body, headers = sandbox.signed_webhook(payment.reference, "payment.succeeded")

    container.webhooks.receive("sandbox", body, headers, client_ip=None)  # no caller, no correlation bound

    assert published(client, str(payment_id)) == {
        "PaymentRequested": (str(participant.user_id), "booking-story"),
        "PaymentSucceeded": (str(participant.user_id), "booking-story"),
    }
