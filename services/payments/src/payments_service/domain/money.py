"""Money rules: Decimal amounts with an ISO 4217 currency, never floats, never finer than the minor unit."""

from __future__ import annotations

import re
from decimal import Decimal

from contracts.currencies import MINOR_UNITS

from payments_service.domain import errors

_CURRENCY = re.compile(r"[A-Z]{3}")

# No ticket or top-up comes near this; it also keeps Decimal arithmetic within its 28-digit precision.
MAX_AMOUNT = Decimal("1000000000")


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (contracts.currencies: one table for every service)."""
    return MINOR_UNITS.get(currency, 2)


def check_currency(currency: str) -> None:
    """A currency is a three-letter ISO 4217 code the platform prices in, e.g. EUR (events accept the same)."""
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise errors.InvalidCurrency(f"currency must be three upper-case letters (ISO 4217), got {currency!r}")
    if currency not in MINOR_UNITS:
        raise errors.InvalidCurrency(f"{currency} is not a currency the platform takes (ISO 4217, e.g. EUR)")


def check_amount(amount: Decimal, currency: str) -> None:
    """A payable amount: a finite positive Decimal no finer than the currency's minor unit."""
    check_currency(currency)
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise errors.NonPositiveAmount(f"amount must be a decimal number, got {amount!r}")
    if amount <= 0:
        raise errors.NonPositiveAmount(f"amount must be positive, got {amount}")
    if amount >= MAX_AMOUNT:
        raise errors.AmountTooLarge(f"amount must be below {MAX_AMOUNT}, got {amount}")
    places = exponent(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise errors.AmountTooPrecise(f"{currency} amounts have at most {places} decimal places, got {amount}")


def normalised(amount: Decimal, currency: str) -> Decimal:
    """The amount written with exactly the currency's decimal places (50 EUR → 50.00); others as they are."""
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        return amount
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)))


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Amount in the currency's smallest unit (cents), as card providers expect it."""
    return int(normalised(amount, currency).scaleb(exponent(currency)))
