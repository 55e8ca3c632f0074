"""The currencies the platform prices in, with their ISO 4217 minor units (digits after the decimal point).

Public knowledge every service shares: "money is always a string with the currency's minor units"
(DESIGN §4). Pure data, no I/O, so domains may import it. Fund codes (e.g. BOV, CLF), precious metals
and testing codes are left out on purpose: nobody sells a ticket in them.
"""

from __future__ import annotations

from decimal import Decimal

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF "
    "CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF "
    "IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR "
    "MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD "
    "SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER "
    "ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2), **dict.fromkeys(_ZERO.split(), 0), **dict.fromkeys(_THREE.split(), 3),
}


def minor_units(currency: str) -> int | None:
    """Digits after the decimal point of `currency` (JPY 0, EUR 2, KWD 3); None for a code we do not price in."""
    return MINOR_UNITS.get(currency)


def smallest_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` (EUR 0.01, JPY 1); raises KeyError for an unknown code."""
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def fits_minor_units(amount: Decimal, currency: str) -> bool:
    """True when `amount` needs no digits finer than the currency's minor unit (JPY 10.50 does not)."""
    places = MINOR_UNITS.get(currency)
    return places is not None and amount.is_finite() and amount == amount.quantize(Decimal(1).scaleb(-places))
