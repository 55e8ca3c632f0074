"""POST /api/v1/payments/webhooks/{provider}: signature first, then deduplication, then the provider's word."""

from __future__ import annotations

import json
import time
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from payments_service.main import create_app
from payments_service.providers.sandbox import sign
from payments_service.settings import Settings
from payments_service.testing import URL, assert_problem, balance, top_up

pytestmark = pytest.mark.api

HOOK = f"{URL}webhooks/sandbox"


def sandbox(client):
    return client.app.state.container.webhooks.sandbox()


def stored_events(client, payment_id: str) -> int:
    return len(list(client.app.state.container.payments.events.get(UUID(payment_id))))


def status_of(client, who, payment_id: str) -> str:
    return client.get(f"{URL}{payment_id}", headers=who.headers).json()["status"]


def test_a_signed_webhook_settles_the_payment_from_the_providers_state(client, participant):
    payment = top_up(client, participant, "10")
    reference = f"sbx_{UUID(payment['id']).hex}"
    sandbox(client).complete(reference, "succeeded")
    body, headers = sandbox(client).signed_webhook(reference, "payment.succeeded")
    response = client.post(HOOK, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False, "payment_id": payment["id"],
                               "status": "succeeded"}
    assert balance(client, participant) == {"EUR": "10.00"}


def test_the_webhook_body_is_not_trusted_for_the_outcome(client, participant):
    payment = top_up(client, participant)
    reference = f"sbx_{UUID(payment['id']).hex}"
    # Correctly signed, claims success — but the provider still says pending: nothing changes.
    body, headers = sandbox(client).signed_webhook(reference, "payment.succeeded")
    assert client.post(HOOK, content=body, headers=headers).json()["status"] == "pending"
    assert status_of(client, participant, payment["id"]) == "pending"


def test_a_bad_signature_is_refused_and_changes_nothing(client, participant):
    payment = top_up(client, participant)
    reference = f"sbx_{UUID(payment['id']).hex}"
    sandbox(client).complete(reference, "succeeded")
    body, headers = sandbox(client).signed_webhook(reference, "payment.succeeded")
    before = stored_events(client, payment["id"])
    forged = {**headers, "sandbox-signature": headers["sandbox-signature"][:-2] + "00"}
    assert_problem(client.post(HOOK, content=body, headers=forged), 401, "InvalidWebhookSignature")
    assert_problem(client.post(HOOK, content=body.replace(b"payment.succeeded", b"payment.failed"), headers=headers),
                   401)
    unsigned = {k: v for k, v in headers.items() if k != "sandbox-signature"}
    assert_problem(client.post(HOOK, content=body, headers=unsigned), 401)
    assert stored_events(client, payment["id"]) == before
    assert status_of(client, participant, payment["id"]) == "pending"


def test_a_duplicate_webhook_changes_nothing(client, participant):
    payment = top_up(client, participant)
    reference = f"sbx_{UUID(payment['id']).hex}"
    first_body, first_headers = sandbox(client).signed_webhook(reference, "payment.succeeded", event_id="evt_dup_1")
    assert client.post(HOOK, content=first_body, headers=first_headers).json()["duplicate"] is False
    # The provider's state moves on, but a repeat of the already processed event id is not looked at again.
    sandbox(client).complete(reference, "succeeded")
    again = client.post(HOOK, content=first_body, headers=first_headers)
    assert again.status_code == 200 and again.json() == {"received": True, "duplicate": True, "payment_id": None,
                                                         "status": None}
    assert status_of(client, participant, payment["id"]) == "pending"
    # A new event id about the same charge is processed.
    body, headers = sandbox(client).signed_webhook(reference, "payment.succeeded", event_id="evt_dup_2")
    assert client.post(HOOK, content=body, headers=headers).json()["status"] == "succeeded"
    events = stored_events(client, payment["id"])
    assert client.post(HOOK, content=body, headers=headers).json()["duplicate"] is True
    assert stored_events(client, payment["id"]) == events
    assert balance(client, participant) == {"EUR": "40.00"}


def test_unknown_providers_and_providers_without_webhooks(client):
    assert_problem(client.post(f"{URL}webhooks/paypal", content=b"{}"), 404)
    assert_problem(client.post(f"{URL}webhooks/stripe", content=b"{}"), 404)  # not configured here
    assert_problem(client.post(f"{URL}webhooks/cash", content=b"{}"), 404, "WebhooksNotSupported")


def test_a_signed_webhook_about_an_unknown_charge_is_accepted_and_ignored(client):
    body, headers = sandbox(client).signed_webhook(f"sbx_{uuid4().hex}", "payment.succeeded")
    assert client.post(HOOK, content=body, headers=headers).json()["payment_id"] is None
    signed_nonsense_body = json.dumps({"no": "id"}).encode()
    nonsense = {"sandbox-signature": sign(sandbox(client).secret, signed_nonsense_body, int(time.time()))}
    assert_problem(client.post(HOOK, content=signed_nonsense_body, headers=nonsense), 400)


def test_without_the_sandbox_there_is_no_sandbox_endpoint(settings, issuer, participant):
    app = create_app(Settings(database=settings.database, sandbox_enabled=False), verifier=issuer.verifier())
    with TestClient(app) as client:
        assert_problem(client.post(f"{URL}{uuid4()}/sandbox", json={"outcome": "succeeded"},
                                   headers=participant.headers), 404)
        assert_problem(client.post(HOOK, content=b"{}"), 404)
        assert_problem(client.post(URL, json={"amount": "5", "currency": "EUR"}, headers=participant.headers),
                       422, "ProviderNotEnabled")
        assert top_up(client, participant, method="cash")["status"] == "pending"
