"""Business rules of the payments service: payments, refunds, wallets. No I/O, no frameworks."""

from payments_service.domain.errors import (
    AmountTooLarge,
    AmountTooPrecise,
    CashTopUpTooLarge,
    InsufficientBalance,
    InvalidCurrency,
    InvalidPaymentRequest,
    InvalidRefundAmount,
    NonPositiveAmount,
    NotEventOrganizer,
    NotOfflinePayment,
    NotPaymentOwner,
    OwnPaymentConfirmation,
    PaymentNotFound,
    PaymentNotPending,
    PaymentNotRefundable,
    PaymentRuleViolation,
    PaymentVoided,
    TopUpFromBalance,
    UnknownPaymentMethod,
)
from payments_service.domain.methods import METHODS_ID, PaymentMethods
from payments_service.domain.money import check_amount, check_currency, exponent, normalised, to_minor_units
from payments_service.domain.payment import (
    BALANCE,
    CASH,
    FAILED,
    METHODS,
    PENDING,
    REFUNDED,
    STATUSES,
    SUCCEEDED,
    VOIDED,
    Payment,
    PaymentOrder,
    RefundOrder,
    VoidOrder,
    check_cash_top_up,
    check_order,
)
from payments_service.domain.provider_event import ProviderEvent, provider_event_id
from payments_service.domain.refund import Refund, refund_id
from payments_service.domain.settlement import (
    INSUFFICIENT_BALANCE,
    check_refund,
    needs_wallet,
    pay_from_wallet,
    record_success,
    refund,
)
from payments_service.domain.wallet import Wallet, wallet_id

__all__ = [
    "BALANCE", "CASH", "METHODS_ID", "PaymentMethods", "FAILED", "INSUFFICIENT_BALANCE", "METHODS", "PENDING",
    "REFUNDED", "STATUSES", "SUCCEEDED", "VOIDED", "NotEventOrganizer", "PaymentVoided",
    "AmountTooLarge", "AmountTooPrecise", "CashTopUpTooLarge", "InsufficientBalance", "InvalidCurrency",
    "InvalidPaymentRequest", "InvalidRefundAmount", "OwnPaymentConfirmation", "check_cash_top_up",
    "NonPositiveAmount", "NotOfflinePayment", "NotPaymentOwner", "Payment", "PaymentNotFound", "PaymentNotPending",
    "PaymentNotRefundable", "PaymentOrder", "PaymentRuleViolation", "ProviderEvent", "Refund", "RefundOrder",
    "TopUpFromBalance", "VoidOrder",
    "UnknownPaymentMethod", "Wallet", "check_amount", "check_currency", "check_order", "check_refund", "exponent",
    "needs_wallet", "normalised", "pay_from_wallet", "provider_event_id", "record_success", "refund", "refund_id",
    "to_minor_units", "wallet_id",
]
