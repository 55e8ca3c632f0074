"""Cash confirmed at the desk, refunds by admins, and the payments list with its filters and pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from payments_service.domain import PaymentOrder
from payments_service.testing import URL, assert_problem, balance, pay_in_sandbox, top_up

pytestmark = pytest.mark.api


def confirm(client, who, payment_id):
    return client.post(f"{URL}{payment_id}/confirm", headers=who.headers)


def refund(client, who, payment_id, reason="duplicate charge"):
    return client.post(f"{URL}{payment_id}/refund", json={"reason": reason}, headers=who.headers)


def test_cash_stays_pending_until_support_confirms_it(client, participant, support):
    cash = top_up(client, participant, "25", method="cash")
    assert (cash["status"], cash["is_offline"], cash["confirmation_url"]) == ("pending", True, None)
    body = assert_problem(confirm(client, participant, cash["id"]), 403)
    assert body["required_permission"] == "payments:confirm"
    confirmed = confirm(client, support, cash["id"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    assert balance(client, participant) == {"EUR": "25.00"}
    assert_problem(confirm(client, support, cash["id"]), 409, "PaymentNotPending")
    assert balance(client, participant) == {"EUR": "25.00"}


def test_online_payments_are_not_confirmed_by_hand(client, participant, admin):
    online = top_up(client, participant)
    assert_problem(confirm(client, admin, online["id"]), 409, "NotOfflinePayment")
    assert_problem(confirm(client, admin, uuid4()), 404, "PaymentNotFound")


def test_an_admin_refunds_a_top_up_once_and_the_wallet_gives_it_back(client, participant, admin, support):
    payment = top_up(client, participant, "30")
    assert_problem(refund(client, admin, payment["id"]), 409, "PaymentNotRefundable")  # still pending
    pay_in_sandbox(client, participant, payment["id"])
    assert_problem(refund(client, participant, payment["id"]), 403)
    assert_problem(refund(client, support, payment["id"]), 403)  # support confirms cash, only admins refund
    refunded = refund(client, admin, payment["id"])
    assert refunded.status_code == 200, refunded.text
    assert (refunded.json()["status"], refunded.json()["refund_reason"]) == ("refunded", "duplicate charge")
    assert balance(client, participant) == {"EUR": "0.00"}
    assert_problem(refund(client, admin, payment["id"]), 409, "PaymentNotRefundable")
    assert_problem(refund(client, admin, uuid4()), 404)


def test_a_top_up_already_spent_cannot_be_refunded(client, participant, admin):
    payment = top_up(client, participant, "30")
    pay_in_sandbox(client, participant, payment["id"])
    payments = client.app.state.container.payments
    spent = payments.request_payment(PaymentOrder(payment_id=uuid4(), user_id=participant.user_id,
                                                  amount=Decimal("20"), currency="EUR", method="balance",
                                                  event_id=uuid4(), booking_id=uuid4()))
    assert spent.status == "succeeded"
    assert_problem(refund(client, admin, payment["id"]), 409, "InsufficientBalance")
    assert client.get(f"{URL}{payment['id']}", headers=participant.headers).json()["status"] == "succeeded"
    assert balance(client, participant) == {"EUR": "10.00"}
    # The booking's balance payment itself can be refunded: the money returns to the wallet.
    assert refund(client, admin, str(spent.id)).json()["status"] == "refunded"
    assert balance(client, participant) == {"EUR": "30.00"}


def test_the_list_shows_only_your_payments_newest_first_with_page_headers(client, issuer, feed_view):
    from authkit.testing import caller
    me, someone = caller(issuer, "participant"), caller(issuer, "participant")
    mine = [top_up(client, me, str(n)) for n in (1, 2, 3)]
    top_up(client, someone)
    pay_in_sandbox(client, me, mine[0]["id"])
    feed_view()
    listed = client.get(URL, params={"limit": 2}, headers=me.headers)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == [mine[2]["id"], mine[1]["id"]]
    assert listed.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in listed.headers["Link"]
    assert listed.json()[0] == client.get(f"{URL}{mine[2]['id']}", headers=me.headers).json()
    succeeded = client.get(URL, params={"status": "success"}, headers=me.headers).json()
    assert [(p["id"], p["status"]) for p in succeeded] == [(mine[0]["id"], "succeeded")]
    assert_problem(client.get(URL, params={"user_id": str(someone.user_id)}, headers=me.headers), 403)
    assert_problem(client.get(URL, params={"status": "lost"}, headers=me.headers), 422)


def test_support_and_admins_filter_everyones_payments(client, issuer, admin, feed_view):
    from authkit.testing import caller
    payer = caller(issuer, "participant")
    payment = top_up(client, payer)
    feed_view()
    feed_view()  # a redelivery changes nothing
    theirs = client.get(URL, params={"user_id": str(payer.user_id)}, headers=admin.headers).json()
    assert [p["id"] for p in theirs] == [payment["id"]]
    everyone = client.get(URL, params={"limit": 100}, headers=admin.headers)
    assert int(everyone.headers["X-Total-Count"]) > 1
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    assert client.get(URL, params={"user_id": str(payer.user_id), "from": later}, headers=admin.headers).json() == []
    window = client.get(URL, params={"user_id": str(payer.user_id), "from": earlier, "to": later},
                        headers=admin.headers).json()
    assert [p["id"] for p in window] == [payment["id"]]
