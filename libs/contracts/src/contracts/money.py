"""Money on the wire: always a string with exactly its currency's minor units (DESIGN §4).

"10.00" EUR, "1000" JPY, "10.000" KWD — never "10" and "10.00" for the same price. Values keep their JSON
type (a string, from a `Decimal`); only the writing becomes canonical. `canonical` never changes a value:
an amount finer than its currency (which inputs refuse with a 422) or in a code outside the table is left as
it is rather than rounded, since rounding money silently is worse than an odd-looking string.

`CanonicalMoney` is the one place this happens for models: a contract message or an API response declares
which amount goes with which currency (`money_fields`), and every instance — built by a producer or parsed
from an older message — holds its amounts canonically.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from pydantic import BaseModel, model_validator

from contracts.currencies import MINOR_UNITS


def canonical(amount: Decimal | int | str | None, currency: str | None) -> Decimal | None:
    """`amount` written with exactly `currency`'s minor units (Decimal("10") EUR → Decimal("10.00")); the
    value never changes (see the module docstring), None stays None."""
    if amount is None:
        return None
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    places = MINOR_UNITS.get((currency or "").upper())
    if places is None or not value.is_finite():
        return value
    try:
        exact = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # beyond Decimal's precision: no ticket costs that much
        return value
    return exact if exact == value else value


def format_amount(amount: Decimal | int | str | None, currency: str | None) -> str | None:
    """The canonical string of an amount ("10.00", "1000" JPY), as every API and message writes it."""
    value = canonical(amount, currency)
    return None if value is None else f"{value:f}"


class CanonicalMoney(BaseModel):
    """Mixin for models carrying money: each field of `money_fields` (amount → its currency's field) is held in
    its canonical form, so it serialises as "10.00", never "10"."""

    money_fields: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _canonical_money(self) -> Any:
        for amount_field, currency_field in self.money_fields.items():
            value = getattr(self, amount_field, None)
            if isinstance(value, Decimal):
                # Not setattr: models with validate_assignment would run this validator again.
                self.__dict__[amount_field] = canonical(value, getattr(self, currency_field, None))
        return self
