"""The size of every field of every public message, and of the requests that produce them.

One table so a service's request schema (which enforces the limit at the edge) and the contract (which
documents it) cannot drift apart. With these limits the largest valid message of each type stays far below
Kafka's record limit (`max.message.bytes`, 1 MiB by default): `tests/test_largest_messages.py` builds it
and produces it to a real broker.

In the contract models the limits are *documented* (`maxLength`, `maxItems`, `maximum` in the JSON schema
and the AsyncAPI document) but not enforced: narrowing what a consumer accepts within a version is a
breaking change (README.md), and a message published before the limits existed must still be readable.
Producers keep them because the requests that cause messages are refused at the edge beyond them.
"""

from __future__ import annotations

from typing import Any

INT32_MAX = 2**31 - 1  # PostgreSQL integer: every count and capacity in views and messages
INT64_MAX = 2**63 - 1  # PostgreSQL bigint: aggregate versions

# --- free text, in characters ---------------------------------------------------------------------------
TITLE = 200
DESCRIPTION = 10_000
CANCEL_REASON = 1_000
TAG = 50
TAGS = 20
PAYMENT_METHOD = 32
PAYMENT_METHODS = 10
CURRENCY = 8
FULL_NAME = 200
LOCALE = 8  # BCP 47 short tags: ru, en
EMAIL = 320  # RFC 5321: 64 local part + @ + 255 domain
PASSWORD = 256
ROLE_NAME = 64
PERMISSION = 64
PERMISSIONS = 100
SETTING_KEY = 64
SETTING_VALUE_BYTES = 16 * 1024  # compact UTF-8 JSON of one setting's value
DISABLE_REASON = 500
PAYMENT_DESCRIPTION = 500
REFUND_REASON = 200
REASON = 200  # machine-readable reasons of saga messages (`payment_failed`, `card_declined`, ...)
PROVIDER = 32
URL = 2_048
REFRESH_TOKEN = 512
QUERY_TEXT = 200
REVIEW_COMMENT = 2_000  # a review's text
MODERATION_REASON = 1_000  # why a moderator approved or rejected a review
DECIMAL_DIGITS = 14  # money: at most this many digits (amounts, prices)

# --- envelope --------------------------------------------------------------------------------------------
MESSAGE_TYPE = 64
AGGREGATE_ID = 128
CORRELATION_ID = 128  # webkit accepts at most 128 safe characters from X-Correlation-ID


def text(max_length: int) -> dict[str, Any]:
    """`json_schema_extra` documenting a string field's limit."""
    return {"maxLength": max_length}


def strings(max_items: int, max_length: int) -> dict[str, Any]:
    """`json_schema_extra` documenting a list of strings."""
    return {"maxItems": max_items, "items": {"type": "string", "maxLength": max_length}}


def count(minimum: int = 0) -> dict[str, Any]:
    """`json_schema_extra` documenting an integer that fits PostgreSQL `integer`."""
    return {"minimum": minimum, "maximum": INT32_MAX}


def money() -> dict[str, Any]:
    """`json_schema_extra` documenting a decimal amount's digits."""
    return {"x-max-digits": DECIMAL_DIGITS}
