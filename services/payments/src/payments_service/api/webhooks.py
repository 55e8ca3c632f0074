"""Routes where providers (and the sandbox's payer) report the outcome of a payment (handled by provider_webhooks)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from authkit.deps import CurrentPrincipal
from contracts import limits as lim
from webkit.body_limit import body_limit
from webkit.problems import Problem, problem_responses

from payments_service.api.deps import Services, client_ip
from payments_service.api.schemas import PaymentPublic, SandboxOutcome, WebhookReceipt
from payments_service.providers import ProviderNotEnabled

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
sandbox_router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


# Providers' notifications are small JSON documents; this leaves room for the largest of them.
WEBHOOK_BODY_LIMIT = 256 * 1024
Provider = Annotated[str, Path(max_length=lim.PROVIDER, pattern="^[a-z0-9_-]+$", examples=["stripe"])]


@router.post("/webhooks/{provider}", response_model=WebhookReceipt,
             responses=problem_responses(400, 401, 403, 404, 413, 422),
             openapi_extra=body_limit(WEBHOOK_BODY_LIMIT))
async def receive_webhook(provider: Provider, request: Request, services: Services) -> WebhookReceipt:
    """A provider's notification: signature checked, deduplicated on its event id, then the payment re-fetched."""
    body = await request.body()  # the exact bytes: signatures are computed over them
    headers = dict(request.headers)
    ip = client_ip(request)

    def receive():
        try:
            return services.webhooks.receive(provider, body, headers, ip)
        except ProviderNotEnabled as exc:
            raise Problem(404, "Not Found", str(exc)) from None

    outcome = await run_in_threadpool(receive)
    return WebhookReceipt(duplicate=outcome.duplicate, payment_id=outcome.payment_id, status=outcome.status)


@sandbox_router.post("/{payment_id}/sandbox", response_model=PaymentPublic,
                     responses=problem_responses(401, 403, 404, 409, 422))
def complete_in_sandbox(payment_id: UUID, body: SandboxOutcome, services: Services, payer: CurrentPrincipal
                        ) -> PaymentPublic:
    """Finish your own sandbox payment: the sandbox sends itself a signed webhook, handled like a real one."""
    payment = services.webhooks.complete_in_sandbox(payment_id, payer_id=payer.user_id, outcome=body.outcome)
    return PaymentPublic.from_aggregate(payment)
