"""YooKassa (ЮKassa), through its official SDK: redirect payments, refunds and HTTP notifications.

YooKassa signs nothing: its notifications are authenticated by where they come from. A notification is
accepted only from the networks YooKassa publishes (setting `yookassa_trusted_networks`, default the
SDK's list), and — as with every provider — it is only a trigger: the payment is re-fetched from the
API with our credentials before anything changes, so a forged body cannot change a payment's state.
Notifications carry no event id; `<event>:<object id>` (e.g. `payment.succeeded:2d…`) is unique per
state change and serves for deduplication.

Behind a proxy (the gateway, docker-compose) the source address is the one the proxy reports, and only
proxies listed in TRUSTED_PROXIES are believed (see `api.deps.client_ip`).

Errors: YooKassa refusing the request itself (400, 401/403, 404) is `ProviderRefused`; network errors,
429 and its 5xx are `ProviderError`, which saga commands retry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

import yookassa
from netaddr import AddrFormatError, IPAddress, IPNetwork
from yookassa.domain.common import SecurityHelper
from yookassa.domain.exceptions.bad_request_error import BadRequestError
from yookassa.domain.exceptions.forbidden_error import ForbiddenError
from yookassa.domain.exceptions.not_found_error import NotFoundError
from yookassa.domain.notification import WebhookNotificationFactory
from yookassa.domain.request import PaymentRequest

from payments_service.domain.money import normalised
from payments_service.providers.base import (
    ChargeRequest,
    ChargeState,
    CreatedCharge,
    PaymentProvider,
    ProviderError,
    ProviderRefused,
    UntrustedWebhookSource,
    WebhookNotice,
    WebhookRejected,
)

DEFAULT_NETWORKS = tuple(SecurityHelper.YOOKASSA_NETWORKS)
# YooKassa refuses the request itself; an unauthorised shop is a configuration an operator must fix.
_REFUSED = (BadRequestError, ForbiddenError, NotFoundError)


def _failure(exc: Exception, what: str) -> Exception:
    text = f"yookassa {what}: {exc}"
    return ProviderRefused(text) if isinstance(exc, _REFUSED) else ProviderError(text)


class YooKassaProvider(PaymentProvider):
    """Payments through YooKassa's hosted page."""

    name = "yookassa"

    def __init__(self, account_id: str, secret_key: str, return_url: str,
                 trusted_networks: Iterable[str] = DEFAULT_NETWORKS):
        self.return_url = return_url
        self.networks = [IPNetwork(n) for n in trusted_networks]
        # The SDK keeps its credentials in class attributes: one shop per process.
        yookassa.Configuration.configure(account_id, secret_key)

    def payment_request(self, charge: ChargeRequest) -> PaymentRequest:
        """The SDK's validated request object for a charge (validated without any network call)."""
        request = PaymentRequest({
            "amount": {"value": str(normalised(charge.amount, charge.currency)), "currency": charge.currency},
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": self.return_url},
            "description": (charge.description or f"Payment {charge.payment_id}")[:128],
            "metadata": {"payment_id": str(charge.payment_id), "user_id": str(charge.user_id)},
        })
        request.validate()
        return request

    def create_payment(self, charge: ChargeRequest) -> CreatedCharge:
        try:
            response = yookassa.Payment.create(self.payment_request(charge), idempotency_key=str(charge.payment_id))
        except Exception as exc:  # the SDK raises requests' and its own error types
            raise _failure(exc, "payment") from exc
        return CreatedCharge(reference=response.id, confirmation_url=response.confirmation.confirmation_url)

    def fetch_status(self, reference: str) -> ChargeState:
        try:
            response = yookassa.Payment.find_one(reference)
        except Exception as exc:  # noqa: BLE001
            raise _failure(exc, "lookup") from exc
        return self.state_of(response)

    @staticmethod
    def state_of(payment: Any) -> ChargeState:
        """Our view of a YooKassa payment object."""
        metadata = payment.metadata or {}
        payment_id = UUID(metadata["payment_id"]) if metadata.get("payment_id") else None
        if payment.status == "succeeded":
            return ChargeState(payment.id, "succeeded", payment_id)
        if payment.status == "canceled":
            details = payment.cancellation_details
            return ChargeState(payment.id, "failed", payment_id, getattr(details, "reason", None) or "canceled")
        return ChargeState(payment.id, "pending", payment_id)  # pending, waiting_for_capture

    def refund(self, reference: str | None, amount: Decimal, currency: str, *, idempotency_key: str) -> str | None:
        params = {"payment_id": reference,
                  "amount": {"value": str(normalised(amount, currency)), "currency": currency}}
        try:
            return yookassa.Refund.create(params, idempotency_key=idempotency_key).id
        except Exception as exc:  # noqa: BLE001
            raise _failure(exc, "refund") from exc

    def is_trusted(self, client_ip: str | None) -> bool:
        """Does the request come from one of YooKassa's networks?"""
        try:
            address = IPAddress(client_ip) if client_ip else None
        except (AddrFormatError, ValueError):
            return False
        return address is not None and any(address in network for network in self.networks)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], client_ip: str | None) -> WebhookNotice:
        if not self.is_trusted(client_ip):
            raise UntrustedWebhookSource(f"{client_ip} is not a YooKassa notification address")
        try:
            notification = WebhookNotificationFactory().create(json.loads(body))
            obj = notification.object
            reference = obj.id if notification.event.startswith("payment.") else getattr(obj, "payment_id", None)
            return WebhookNotice(event_id=f"{notification.event}:{obj.id}", reference=reference)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):  # RecursionError: "[[[[..."
            raise WebhookRejected("not a YooKassa notification") from None
