"""No free money: no sandbox in production, nobody confirms their own cash, cash top-ups have a ceiling."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from authkit.testing import caller
from spine.settings import UnsafeConfiguration

from payments_service.main import create_app
from payments_service.settings import Settings
from payments_service.testing import URL, assert_problem, balance, top_up

pytestmark = pytest.mark.api


def test_in_production_the_sandbox_route_and_provider_do_not_exist(settings, issuer, participant):
    prod = settings.model_copy(update={"environment": "production"})
    with TestClient(create_app(prod, verifier=issuer.verifier())) as client:
        for method in ("sandbox", "card"):  # card goes to the sandbox unless a real provider is configured
            r = client.post(URL, json={"amount": "999999999.99", "currency": "EUR", "payment_method": method},
                            headers=participant.headers)
            assert_problem(r, 422, "ProviderNotEnabled")
        cash = top_up(client, participant, "20", method="cash")  # a payment that does exist
        r = client.post(f"{URL}{cash['id']}/sandbox", json={"outcome": "succeeded"}, headers=participant.headers)
        assert_problem(r, 404)
        assert_problem(client.post(f"{URL}webhooks/sandbox", content=b"{}"), 404)
        assert "/api/v1/payments/{payment_id}/sandbox" not in client.get("/docs/payments/openapi.json").json()["paths"]
        assert balance(client, participant) == {}


def test_in_development_the_sandbox_is_on_by_default(settings):
    assert Settings(database=settings.database).sandbox_on
    assert not Settings(database=settings.database, environment="production").sandbox_on


@pytest.mark.parametrize(("override", "expected"), [
    ({"sandbox_enabled": True}, "PAYMENTS_SANDBOX_ENABLED=true"),
    ({"sandbox_enabled": True}, "PAYMENTS_SANDBOX_SECRET is the default"),
    ({"card_provider": "sandbox"}, "PAYMENTS_CARD_PROVIDER=sandbox"),
])
def test_production_refuses_the_sandbox_at_start_up(settings, issuer, override, expected):
    prod = Settings(database=settings.database, environment="production", **override)
    with pytest.raises(UnsafeConfiguration) as refused:
        create_app(prod, verifier=issuer.verifier())
    assert any(reason.startswith(expected) for reason in refused.value.reasons), refused.value.reasons


def test_the_payments_processes_exit_naming_the_sandbox():
    for script in ("payments-api", "payments-worker"):
        exe = Path(sys.executable).parent / script
        exe = exe if exe.exists() else Path(shutil.which(script) or script)
        env = {**os.environ, "ENVIRONMENT": "production", "PAYMENTS_SANDBOX_ENABLED": "true"}
        done = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        assert "  - PAYMENTS_SANDBOX_ENABLED=true" in done.stderr and "Traceback" not in done.stderr


def test_nobody_confirms_their_own_cash_payment(client, issuer, support, admin):
    own = top_up(client, support, "50", method="cash")
    body = assert_problem(client.post(f"{URL}{own['id']}/confirm", headers=support.headers), 403,
                          "OwnPaymentConfirmation")
    assert "own payment" in body["detail"]
    admins_own = top_up(client, admin, "50", method="cash")
    assert_problem(client.post(f"{URL}{admins_own['id']}/confirm", headers=admin.headers), 403)
    assert balance(client, support) == {} and balance(client, admin) == {}

    colleague = caller(issuer, "support")
    assert client.post(f"{URL}{own['id']}/confirm", headers=colleague.headers).json()["status"] == "succeeded"
    assert balance(client, support) == {"EUR": "50.00"}


def test_cash_top_ups_stop_at_the_configured_ceiling(client, participant, settings, issuer):
    r = client.post(URL, json={"amount": "1000.01", "currency": "EUR", "payment_method": "cash"},
                    headers=participant.headers)
    body = assert_problem(r, 422, "CashTopUpTooLarge")
    assert "1000" in body["detail"]
    assert top_up(client, participant, "1000.00", method="cash")["status"] == "pending"
    assert top_up(client, participant, "5000.00", method="sandbox")["status"] == "pending"  # cash only

    custom = Settings(database=settings.database, cash_top_up_max={"RUB": "100000", "*": "200"})
    with TestClient(create_app(custom, verifier=issuer.verifier())) as other:
        assert top_up(other, participant, "90000", method="cash", currency="RUB")["status"] == "pending"
        r = other.post(URL, json={"amount": "200.01", "currency": "USD", "payment_method": "cash"},
                       headers=participant.headers)
        assert_problem(r, 422, "CashTopUpTooLarge")
