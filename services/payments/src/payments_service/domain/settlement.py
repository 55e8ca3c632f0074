"""Rules that span a payment and the payer's wallet: what a success, a wallet payment or a refund changes.

The application loads the aggregates (the wallet only when `needs_wallet` says so), calls one of these,
and saves everything they touched in one transaction.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from payments_service.domain import errors
from payments_service.domain.payment import BALANCE, Payment
from payments_service.domain.refund import Refund
from payments_service.domain.wallet import Wallet

INSUFFICIENT_BALANCE = "insufficient_balance"


def needs_wallet(payment: Payment) -> bool:
    """Top-ups and balance payments move money in or out of the payer's wallet."""
    return payment.is_top_up or payment.method == BALANCE


def record_success(payment: Payment, wallet: Wallet | None, *, confirmed_by: UUID | None = None) -> None:
    """The money is taken; a top-up's money lands in the wallet at the same time."""
    payment.succeed(confirmed_by=confirmed_by)
    if payment.is_top_up:
        assert wallet is not None, "a top-up needs the payer's wallet"
        wallet.credit(payment.amount, payment.currency, payment_id=payment.id)


def pay_from_wallet(payment: Payment, wallet: Wallet) -> None:
    """A balance payment settles at once: debited and succeeded, or failed for lack of money."""
    payment.check_pending()
    try:
        wallet.debit(payment.amount, payment.currency, payment_id=payment.id)
    except errors.InsufficientBalance:
        payment.fail(INSUFFICIENT_BALANCE)
        return
    payment.succeed()


def refund(payment: Payment, wallet: Wallet | None, *, reason: str, requested_by: UUID | None = None,
           provider_reference: str | None = None, amount: Decimal | None = None) -> Refund:
    """Give a succeeded payment back (all, or `amount`): balance payments return to the wallet, top-ups leave it."""
    payment.check_refundable()
    back = payment.refund_amount(amount)
    if payment.is_top_up:
        assert wallet is not None, "a top-up refund needs the payer's wallet"
        # Money already spent from the wallet cannot be handed back a second time.
        wallet.debit(back, payment.currency, payment_id=payment.id)
    elif payment.method == BALANCE:
        assert wallet is not None, "a balance refund needs the payer's wallet"
        wallet.credit(back, payment.currency, payment_id=payment.id)
    return Refund.issue(payment, reason=reason, requested_by=requested_by, provider_reference=provider_reference,
                        amount=amount)


def check_refund(payment: Payment, wallet: Wallet | None, amount: Decimal | None = None) -> None:
    """Everything `refund` checks, without changing anything: asked before a provider gives money back."""
    payment.check_refundable()
    back = payment.refund_amount(amount)
    if payment.is_top_up:
        assert wallet is not None, "a top-up refund needs the payer's wallet"
        wallet.check_covers(back, payment.currency)
