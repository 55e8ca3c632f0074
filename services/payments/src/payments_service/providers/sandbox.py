"""The sandbox provider: a pretend card processor for local use and tests, with HMAC-signed webhooks.

It behaves like the real ones: a charge is created pending, the payer's outcome changes the charge's
state "at the provider" (the `SandboxLedger`), and a signed webhook tells the service to look. The
signature scheme copies Stripe's: header `Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>">` with a shared secret; signatures older than the tolerance are refused (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Protocol
from uuid import UUID, uuid4

from payments_service.providers.base import (
    ChargeRequest,
    ChargeState,
    ChargeStatus,
    CreatedCharge,
    InvalidWebhookSignature,
    PaymentProvider,
    WebhookNotice,
    WebhookRejected,
)

SIGNATURE_HEADER = "sandbox-signature"
OUTCOMES = ("succeeded", "failed")


class SandboxLedger(Protocol):
    """Where the pretend processor keeps its charges (a table in production, a dict in unit tests)."""

    def open(self, reference: str, payment_id: UUID) -> None: ...

    def status(self, reference: str) -> tuple[UUID, str] | None: ...

    def set_status(self, reference: str, status: str, *, only_from: str | None = None) -> None: ...


class MemoryLedger:
    """A SandboxLedger in memory."""

    def __init__(self) -> None:
        self.charges: dict[str, list] = {}

    def open(self, reference: str, payment_id: UUID) -> None:
        self.charges.setdefault(reference, [payment_id, "pending"])

    def status(self, reference: str) -> tuple[UUID, str] | None:
        charge = self.charges.get(reference)
        return None if charge is None else (charge[0], charge[1])

    def set_status(self, reference: str, status: str, *, only_from: str | None = None) -> None:
        charge = self.charges.get(reference)
        if charge is not None and (only_from is None or charge[1] == only_from):
            charge[1] = status


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class SandboxProvider(PaymentProvider):
    """Pretend card payments whose outcome the payer picks (POST /api/v1/payments/{id}/sandbox)."""

    name = "sandbox"

    def __init__(self, secret: str, ledger: SandboxLedger, *, tolerance_seconds: int = 300,
                 clock: Callable[[], float] = time.time, confirmation_base: str = "/api/v1/payments"):
        if not secret:
            raise ValueError("the sandbox provider needs a webhook secret")
        self.secret = secret
        self.ledger = ledger
        self.tolerance_seconds = tolerance_seconds
        self.clock = clock
        self.confirmation_base = confirmation_base

    def create_payment(self, charge: ChargeRequest) -> CreatedCharge:
        reference = f"sbx_{charge.payment_id.hex}"
        self.ledger.open(reference, charge.payment_id)
        return CreatedCharge(reference, f"{self.confirmation_base}/{charge.payment_id}/sandbox")

    def fetch_status(self, reference: str) -> ChargeState:
        found = self.ledger.status(reference)
        if found is None:
            return ChargeState(reference=reference, status="pending")
        payment_id, status = found
        # A refunded charge was paid first: refunds are tracked by the service, not by the charge status.
        mapped: ChargeStatus = "succeeded" if status == "refunded" else status  # type: ignore[assignment]
        return ChargeState(reference=reference, status=mapped, payment_id=payment_id,
                           failure_reason="card_declined" if status == "failed" else None)

    def refund(self, reference: str | None, amount: Decimal, currency: str, *, idempotency_key: str) -> str | None:
        if reference is not None:
            self.ledger.set_status(reference, "refunded")
        return f"sbx_re_{idempotency_key}"

    def complete(self, reference: str, outcome: str) -> None:
        """The payer finished at the pretend processor: the charge's state there changes (once)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        self.ledger.set_status(reference, outcome, only_from="pending")

    def signed_webhook(self, reference: str, event_type: str, *, event_id: str | None = None
                       ) -> tuple[bytes, dict[str, str]]:
        """The webhook the pretend processor sends about a charge: body and headers, signed now."""
        body = json.dumps({"id": event_id or f"evt_{uuid4().hex}", "type": event_type,
                           "data": {"reference": reference}}).encode()
        return body, {SIGNATURE_HEADER: sign(self.secret, body, int(self.clock())),
                      "content-type": "application/json"}

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], client_ip: str | None) -> WebhookNotice:
        header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER)
        if not header:
            raise InvalidWebhookSignature(f"missing {SIGNATURE_HEADER} header")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            timestamp = int(parts["t"])
            given = parts["v1"]
        except (KeyError, ValueError):
            raise InvalidWebhookSignature("malformed signature header") from None
        if abs(self.clock() - timestamp) > self.tolerance_seconds:
            raise InvalidWebhookSignature("signature timestamp outside the tolerance (a replay?)")
        if not hmac.compare_digest(sign(self.secret, body, timestamp), f"t={timestamp},v1={given}"):
            raise InvalidWebhookSignature("signature does not match the body")
        try:
            data = json.loads(body)
            return WebhookNotice(event_id=str(data["id"]), reference=data.get("data", {}).get("reference"))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # RecursionError: "[[[[..."
            raise WebhookRejected("signed, but not a sandbox event") from None
