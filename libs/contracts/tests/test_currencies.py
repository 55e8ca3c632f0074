"""Minor units of the currencies the platform prices in (ISO 4217)."""

from decimal import Decimal

import pytest

from contracts.currencies import MINOR_UNITS, fits_minor_units, minor_units, smallest_unit

pytestmark = pytest.mark.unit


def test_exponents_of_well_known_currencies():
    assert (minor_units("EUR"), minor_units("JPY"), minor_units("KWD"), minor_units("RUB")) == (2, 0, 3, 2)
    assert minor_units("XYZ") is None and minor_units("eur") is None
    assert smallest_unit("JPY") == Decimal(1) and smallest_unit("USD") == Decimal("0.01")
    assert all(len(code) == 3 and code.isupper() for code in MINOR_UNITS)


@pytest.mark.parametrize("amount, currency, fits", [
    ("10.50", "JPY", False), ("10", "JPY", True), ("10.00", "JPY", True), ("10.505", "EUR", False),
    ("10.5", "EUR", True), ("1.125", "KWD", True), ("1.1255", "KWD", False), ("5", "XYZ", False),
])
def test_amounts_must_fit_the_minor_unit(amount, currency, fits):
    assert fits_minor_units(Decimal(amount), currency) is fits
