"""POST /api/v1/payments/ (wallet top-ups), the sandbox, GET one, the balance: what a payer sees."""

from __future__ import annotations

from uuid import uuid4

import pytest

from payments_service.testing import URL, assert_problem, balance, pay_in_sandbox, top_up

pytestmark = pytest.mark.api


def test_a_sandbox_top_up_succeeds_and_fills_the_wallet(client, participant):
    payment = top_up(client, participant, "40")
    assert (payment["status"], payment["amount"], payment["currency"], payment["provider"]) == (
        "pending", "40.00", "EUR", "sandbox")
    assert payment["confirmation_url"] == f"{URL}{payment['id']}/sandbox"
    assert payment["user_id"] == str(participant.user_id) and payment["is_offline"] is False
    assert balance(client, participant) == {}

    paid = pay_in_sandbox(client, participant, payment["id"])
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"
    assert client.get(f"{URL}{payment['id']}", headers=participant.headers).json()["status"] == "succeeded"
    assert balance(client, participant) == {"EUR": "40.00"}


def test_a_failed_sandbox_payment_leaves_the_wallet_empty(client, participant):
    payment = top_up(client, participant)
    failed = pay_in_sandbox(client, participant, payment["id"], "failed").json()
    assert (failed["status"], failed["failure_reason"]) == ("failed", "card_declined")
    assert balance(client, participant) == {}


def test_the_seed_payload_works_and_card_goes_to_the_sandbox(client, participant):
    response = client.post(URL, json={"amount": 12.5, "currency": "usd", "description": "Seed style"},
                           headers=participant.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["payment_method"], body["provider"], body["amount"], body["currency"]) == (
        "card", "sandbox", "12.50", "USD")
    assert response.headers["Location"] == f"{URL}{body['id']}"


def test_a_payment_can_be_completed_only_once(client, participant):
    payment = top_up(client, participant)
    pay_in_sandbox(client, participant, payment["id"])
    assert_problem(pay_in_sandbox(client, participant, payment["id"], "failed"), 409, "PaymentNotPending")
    assert balance(client, participant) == {"EUR": "40.00"}


def test_nobody_pays_or_reads_someone_elses_payment(client, participant, other_participant, support):
    payment = top_up(client, participant)
    assert_problem(pay_in_sandbox(client, other_participant, payment["id"]), 403, "NotPaymentOwner")
    assert_problem(client.get(f"{URL}{payment['id']}", headers=other_participant.headers), 403)
    assert client.get(f"{URL}{payment['id']}", headers=participant.headers).json()["status"] == "pending"
    # Support may read every payment (payments:read_all).
    assert client.get(f"{URL}{payment['id']}", headers=support.headers).status_code == 200
    assert balance(client, other_participant) == {}


def test_the_sandbox_completes_only_sandbox_payments(client, participant):
    cash = top_up(client, participant, method="cash")
    assert_problem(pay_in_sandbox(client, participant, cash["id"]), 409, "NotSandboxPayment")
    assert_problem(client.post(f"{URL}{cash['id']}/sandbox", json={"outcome": "maybe"},
                               headers=participant.headers), 422)


@pytest.mark.parametrize(("payload", "title"), [
    ({"amount": "-5.00"}, "NonPositiveAmount"),
    ({"amount": "0"}, "NonPositiveAmount"),
    ({"currency": "EURO"}, "InvalidCurrency"),
    ({"currency": "€"}, "InvalidCurrency"),
    ({"amount": "10.005"}, "AmountTooPrecise"),
    ({"payment_method": "bitcoin"}, "UnknownPaymentMethod"),
    ({"payment_method": "balance"}, "TopUpFromBalance"),
    ({"payment_method": "stripe"}, "ProviderNotEnabled"),
    ({"booking_id": str(uuid4())}, "PaymentForEventNotDirect"),
    ({"event_id": str(uuid4())}, "PaymentForEventNotDirect"),
])
def test_refused_payments_get_a_422_problem_and_are_not_created(client, participant, feed_view, payload, title):
    body = {"amount": "10.00", "currency": "EUR", "payment_method": "sandbox", **payload}
    problem = assert_problem(client.post(URL, json=body, headers=participant.headers), 422, title)
    assert problem["detail"]
    feed_view()
    assert client.get(URL, headers=participant.headers).json() == []


def test_malformed_bodies_and_ids(client, participant):
    problem = assert_problem(client.post(URL, json={"amount": "lots"}, headers=participant.headers), 422)
    assert {tuple(e["loc"]) for e in problem["errors"]} == {("body", "amount"), ("body", "currency")}
    assert_problem(client.get(f"{URL}{uuid4()}", headers=participant.headers), 404, "PaymentNotFound")
    assert_problem(client.get(f"{URL}not-a-uuid", headers=participant.headers), 422)
    assert_problem(pay_in_sandbox(client, participant, str(uuid4())), 404, "PaymentNotFound")


def test_every_endpoint_needs_a_valid_token(client):
    some = uuid4()
    for method, path in [("post", URL), ("get", URL), ("get", f"{URL}balance"), ("get", f"{URL}{some}"),
                         ("post", f"{URL}{some}/confirm"), ("post", f"{URL}{some}/refund"),
                         ("post", f"{URL}{some}/sandbox")]:
        response = getattr(client, method)(path, json={}, headers={"Authorization": "Bearer nope"}) \
            if method == "post" else client.get(path)
        assert_problem(response, 401)


def test_a_retried_top_up_with_the_same_idempotency_key_makes_one_payment(client, participant, feed_view):
    headers = {**participant.headers, "Idempotency-Key": str(uuid4())}
    payload = {"amount": "15.00", "currency": "EUR", "payment_method": "sandbox"}
    first, again = (client.post(URL, json=payload, headers=headers) for _ in range(2))
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    feed_view()
    assert [p["id"] for p in client.get(URL, headers=participant.headers).json()] == [first.json()["id"]]


def test_health_and_docs(client):
    assert client.get("/health/payments").json() == {"status": "ok"}
    paths = client.get("/docs/payments/openapi.json").json()["paths"]
    assert {"/api/v1/payments/{payment_id}/sandbox", "/api/v1/payments/webhooks/{provider}",
            "/api/v1/payments/balance"} <= set(paths)
