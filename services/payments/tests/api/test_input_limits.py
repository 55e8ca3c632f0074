"""Input that used to crash a payments route (500), be misread, or break the payments view is refused at the
edge with a 4xx problem."""

from __future__ import annotations

from uuid import uuid4

import pytest

from webkit.openapi import unbounded_inputs

from payments_service.domain import wallet_id
from payments_service.testing import URL, assert_problem, pay_in_sandbox, top_up

pytestmark = pytest.mark.api


@pytest.mark.parametrize("fields", [{"description": "top-up\x00"}, {"description": "x" * 501},
                                    {"currency": "EU\x00"}, {"payment_method": "sand\x00box"},
                                    {"amount": "1e100000"}, {"amount": "NaN"}])
def test_top_ups_with_values_that_break_views_are_422(client, participant, fields):
    body = {"amount": "10.00", "currency": "EUR", "payment_method": "sandbox", **fields}
    assert_problem(client.post(URL, json=body, headers=participant.headers), 422)


@pytest.mark.parametrize("params", [{"offset": 2**63}, {"to": "0.5"}, {"from": "0.5"},
                                    {"from": "9999-12-31T23:59:59-23:00"}])
def test_list_filters_that_were_500s_or_misread_are_422(client, participant, params):
    assert_problem(client.get(URL, params=params, headers=participant.headers), 422)


def test_a_refund_reason_with_a_nul_is_422(client, admin):
    assert_problem(client.post(f"{URL}{uuid4()}/refund", json={"reason": "dup\x00"}, headers=admin.headers), 422)


def test_a_wallets_id_is_not_a_payment(client, participant):
    pay_in_sandbox(client, participant, top_up(client, participant, "5.00")["id"])  # the wallet now exists
    assert_problem(client.get(f"{URL}{wallet_id(participant.user_id)}", headers=participant.headers), 404)


def test_webhooks_are_bounded_in_provider_name_and_body_size(client):
    assert_problem(client.post(f"{URL}webhooks/{'p' * 40}", content=b"{}"), 422)
    assert_problem(client.post(f"{URL}webhooks/stripe", content=b"x" * (256 * 1024 + 1)), 413)


def test_a_body_too_deep_to_parse_with_an_idempotency_key_is_a_4xx_problem(client, participant):
    headers = {**participant.headers, "Content-Type": "application/json", "Idempotency-Key": str(uuid4())}
    assert_problem(client.post(URL, content=b"[" * 20_000, headers=headers), 400)


def test_a_body_over_the_limit_sent_straight_to_the_service_is_413(client, participant):
    # 20 MB straight to the service (not through the gateway) used to be read whole.
    headers = {**participant.headers, "Content-Type": "application/json"}
    assert_problem(client.post(URL, content=b" " * 20_000_000, headers=headers), 413)


def test_every_request_field_and_parameter_has_a_documented_limit(client):
    assert unbounded_inputs(client.app.openapi()) == []
