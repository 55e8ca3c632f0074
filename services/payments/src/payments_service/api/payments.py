"""Routes of /api/v1/payments: top up, list, read, confirm cash, refund, and the wallet balance."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from authkit import Principal
from authkit.deps import CurrentPrincipal, require
from contracts.permissions import PAYMENTS_CONFIRM, PAYMENTS_READ_ALL, PAYMENTS_REFUND
from webkit.consistency import AfterParam, position_response, read_after, set_event_position, stale_response
from webkit.fields import Timestamp
from webkit.links import link, linked
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import Problem, problem_responses

from payments_service.api.deps import Services
from payments_service.api.schemas import PaymentCreate, PaymentPublic, PaymentRefund, StatusFilter, WalletPublic
from payments_service.domain import NotEventOrganizer, Payment, PaymentOrder
from payments_service.projections.payments_query import PaymentFilters

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

# OpenAPI links: the flows a client (and the stateful fuzzer) follows from one response to the next request.
_PAYMENT = "/api/v1/payments/{payment_id}"
_FROM_PAYMENT = {"payment_id": "$response.body#/id"}
LINKS_FROM_PAYMENT = {
    "GetPayment": link("get", _PAYMENT, "Read the payment.", **_FROM_PAYMENT),
    "ConfirmPayment": link("post", _PAYMENT + "/confirm", "Confirm cash taken at the desk.", **_FROM_PAYMENT),
    "RefundPayment": link("post", _PAYMENT + "/refund", "Give the money back.", **_FROM_PAYMENT),
}


def _readable(payment: Payment, principal: Principal) -> Payment:
    """The payer, or someone allowed to read every payment."""
    if payment.user_id != principal.user_id and not principal.can(PAYMENTS_READ_ALL):
        raise Problem(403, "NotPaymentOwner", "this payment belongs to someone else")
    return payment


@router.post("/", status_code=201, response_model=PaymentPublic,
             responses={**position_response(201), **problem_responses(401, 422, 502)},
             openapi_extra=linked(201, **LINKS_FROM_PAYMENT))
def create_payment(body: PaymentCreate, services: Services, response: Response, payer: CurrentPrincipal
                   ) -> PaymentPublic:
    """Top up your wallet: a pending payment with `confirmation_url` (cash: pay at the desk). `Idempotency-Key`."""
    if body.event_id is not None or body.booking_id is not None:
        raise Problem(422, "PaymentForEventNotDirect",
                      "payments for events are created by the booking (POST /api/v1/bookings/) at the event's "
                      "price × group size; POST /api/v1/payments/ without event_id and booking_id tops up "
                      "your wallet, which the `balance` method then pays from")
    order = PaymentOrder(payment_id=uuid4(), user_id=payer.user_id, amount=body.amount, currency=body.currency,
                         method=body.payment_method, description=body.description)
    payment = services.payments.request_payment(order)
    response.headers["Location"] = f"{router.prefix}/{payment.id}"
    set_event_position(response, payment)
    return PaymentPublic.from_aggregate(payment, viewer=payer.user_id)


@router.get("/", response_model=list[PaymentPublic], responses={**stale_response(), **problem_responses(401, 403, 422)})
def list_payments(
    request: Request, response: Response, services: Services, principal: CurrentPrincipal, page: PageParams,
    after: AfterParam,
    user_id: Annotated[UUID | None, Query(description="Whose payments (needs payments:read_all for others).")
                       ] = None,
    status: Annotated[StatusFilter | None, Query(description="`success` means succeeded.")] = None,
    created_from: Annotated[Timestamp | None, Query(alias="from", description="Created at or after.")] = None,
    created_to: Annotated[Timestamp | None, Query(alias="to", description="Created before.")] = None,
) -> list[PaymentPublic]:
    """Your payments, newest first; support/admins (payments:read_all) see everyone's and filter by user_id."""
    if not principal.can(PAYMENTS_READ_ALL):
        if user_id is not None and user_id != principal.user_id:
            raise Problem(403, "Forbidden", f"listing others' payments needs the permission {PAYMENTS_READ_ALL!r}",
                          required_permission=PAYMENTS_READ_ALL)
        user_id = principal.user_id
    filters = PaymentFilters(user_id=user_id, status="succeeded" if status == "success" else status,
                             created_from=created_from, created_to=created_to)
    read_after(response, after, services.query.pool, "payments_view", recorder=services.payments.recorder)
    rows, total = services.query.search(filters, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [PaymentPublic.from_row(row) for row in rows]


@router.get("/balance", response_model=WalletPublic, responses=problem_responses(401))
def get_balance(services: Services, principal: CurrentPrincipal) -> WalletPublic:
    """What you hold in your wallet, per currency (top-ups in, `balance` payments out)."""
    return WalletPublic.from_aggregate(services.payments.wallet_of(principal.user_id))


@router.get("/{payment_id}", response_model=PaymentPublic, responses=problem_responses(401, 403, 404, 422))
def get_payment(payment_id: UUID, services: Services, principal: CurrentPrincipal) -> PaymentPublic:
    """One payment, current to the last change (the payer, or payments:read_all)."""
    return PaymentPublic.from_aggregate(_readable(services.payments.get_payment(payment_id), principal),
                                        viewer=principal.user_id)


@router.post("/{payment_id}/confirm", response_model=PaymentPublic,
             responses={**position_response(200), **problem_responses(401, 403, 404, 409, 422)},
             openapi_extra=linked(200, GetPayment=LINKS_FROM_PAYMENT["GetPayment"],
                                  RefundPayment=LINKS_FROM_PAYMENT["RefundPayment"]))
def confirm_payment(payment_id: UUID, services: Services, response: Response,
                    operator: CurrentPrincipal) -> PaymentPublic:
    """Someone took the cash for an offline payment: it succeeds (a top-up fills the wallet). Support/admin
    (payments:confirm) confirm any; an event's organizer confirms the cash of bookings of their own event, at the
    door (403 `not-event-organizer` otherwise). A voided payment (booking cancelled) answers 409 `payment-voided`."""
    try:
        payment = services.payments.confirm_offline(payment_id, operator_id=operator.user_id,
                                                    may_confirm_any=operator.can(PAYMENTS_CONFIRM))
    except NotEventOrganizer as exc:  # say which permission would have done (as `require` does)
        raise Problem(403, "NotEventOrganizer", str(exc), required_permission=PAYMENTS_CONFIRM) from None
    set_event_position(response, payment)
    return PaymentPublic.from_aggregate(payment)


@router.post("/{payment_id}/refund", response_model=PaymentPublic,
             responses={**position_response(200), **problem_responses(401, 403, 404, 409, 422, 502)},
             openapi_extra=linked(200, GetPayment=LINKS_FROM_PAYMENT["GetPayment"]))
def refund_payment(payment_id: UUID, services: Services, response: Response,
                   admin: Annotated[Principal, Depends(require(PAYMENTS_REFUND))],
                   body: Annotated[PaymentRefund | None, Body()] = None) -> PaymentPublic:
    """Give a succeeded payment's money back in full, once (admins)."""
    reason = body.reason if body else PaymentRefund().reason
    payment = services.payments.refund_payment(payment_id, reason=reason, requested_by=admin.user_id)
    assert payment is not None
    set_event_position(response, payment)
    return PaymentPublic.from_aggregate(payment)
