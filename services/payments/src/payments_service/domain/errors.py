"""Named reasons the payment rules refuse a command; the API maps each to an HTTP problem status."""

from __future__ import annotations


class PaymentRuleViolation(Exception):
    """Base of every refusal by the payment, refund and wallet rules."""

    # A refusal is the same every time: a saga message that meets one is poison (dead-lettered at once by
    # spine's consumer, see spine.errors), not something to wait for.
    transient = False


class InvalidPaymentRequest(PaymentRuleViolation):
    """Base of refusals caused by what was asked for (HTTP 422)."""


class NonPositiveAmount(InvalidPaymentRequest):
    """Raised when an amount is zero or negative."""

    problem_title = "Amount not positive"


class InvalidCurrency(InvalidPaymentRequest):
    """Raised when a currency is not a three-letter ISO 4217 code the platform takes (contracts.currencies)."""


class InvalidRefundAmount(InvalidPaymentRequest):
    """Raised when a partial refund asks for more than the payment took."""


class AmountTooPrecise(InvalidPaymentRequest):
    """Raised when an amount has more decimal places than its currency's minor unit (e.g. 1.005 EUR)."""


class AmountTooLarge(InvalidPaymentRequest):
    """Raised when an amount is beyond any sensible payment (a typo or an attack, never a ticket)."""


class CashTopUpTooLarge(InvalidPaymentRequest):
    """Raised when a cash top-up is above the deployment's ceiling for its currency."""

    problem_title = "Cash top-up too large"


class UnknownPaymentMethod(InvalidPaymentRequest):
    """Raised when the payment method is not one the service knows."""


class TopUpFromBalance(InvalidPaymentRequest):
    """Raised when a wallet top-up would be paid from the same wallet."""

    problem_title = "Top-up paid from the same wallet"


class PaymentNotPending(PaymentRuleViolation):
    """Raised when a payment that already succeeded, failed or was refunded is confirmed or completed (409)."""


class PaymentVoided(PaymentNotPending):
    """Raised when a voided payment (its booking was cancelled before it was paid) is paid or confirmed (409)."""


class NotEventOrganizer(PaymentRuleViolation):
    """Raised when someone without payments:confirm confirms cash that is not for an event they organise (403)."""


class PaymentNotRefundable(PaymentRuleViolation):
    """Raised when a refund is asked for a payment that has not succeeded (409)."""


class NotOfflinePayment(PaymentRuleViolation):
    """Raised when an operator confirms a payment that an online provider settles (409)."""


class NotPaymentOwner(PaymentRuleViolation):
    """Raised when someone other than the payer acts on a payment only the payer may act on (403)."""


class OwnPaymentConfirmation(PaymentRuleViolation):
    """Raised when an operator confirms a payment they made themselves: cash is confirmed by someone else (403)."""


class InsufficientBalance(PaymentRuleViolation):
    """Raised when a wallet debit would take the balance below zero (409)."""


class PaymentNotFound(Exception):
    """Raised when no payment has the requested id (404)."""
