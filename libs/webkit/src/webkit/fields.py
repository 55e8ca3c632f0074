"""Bounded field types for request models and query parameters: what the edge accepts is what every layer
behind it (PostgreSQL columns, read models, Kafka records) can hold.

Each type carries its bounds in the OpenAPI schema (`maxLength`, `pattern`, `maximum`, ...), so clients and
fuzzers see the same limits the server enforces. Anything outside gives a 422 problem.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

# PostgreSQL `integer` and `bigint`: a larger number is accepted by Python but breaks the column behind it.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MAX = 2**63 - 1

# No control characters (C0, DEL, C1): NUL cannot be stored in PostgreSQL text, and the rest only ever serve
# to break views, logs and CSV exports. Multi-line text keeps tab, line feed and carriage return.
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
MULTI_LINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

# Years a timestamp may have after conversion to UTC (beyond 9999 Python and views cannot represent it).
MIN_YEAR, MAX_YEAR = 1970, 9999
_ISO_DATE_TIME = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def Line(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802 - reads as a type in annotations
    """A single line of text: at most `max_length` characters, no control characters."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=SINGLE_LINE_PATTERN)]


def Text(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802
    """Free text that may span lines: at most `max_length` characters, no control characters but tab/newline."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=MULTI_LINE_PATTERN)]


def LowerLine(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802
    """A trimmed, lower-cased line (tags, names), checked *after* lower-casing: "İ" becomes two characters."""

    def lowered(value: str) -> str:
        value = value.strip().lower()
        if len(value) > max_length:
            raise ValueError(f"must have at most {max_length} characters once lower-cased")
        return value

    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length,
                                            pattern=SINGLE_LINE_PATTERN), AfterValidator(lowered)]


Int32 = Annotated[int, Interval(ge=INT32_MIN, le=INT32_MAX)]
"""An integer that fits PostgreSQL `integer`."""

PositiveInt32 = Annotated[int, Interval(ge=1, le=INT32_MAX)]
"""A count (1 or more) that fits PostgreSQL `integer`."""

Offset = Annotated[int, Interval(ge=0, le=INT64_MAX)]
"""A list offset that fits PostgreSQL `bigint`."""


def _iso_only(value: Any) -> Any:
    # pydantic would read a number (or a numeric string such as "0.5") as seconds since 1970: refuse it, so a
    # filter typed wrongly is an error instead of a silent query about January 1970.
    if isinstance(value, bool | int | float | Decimal) or (isinstance(value, str) and not _ISO_DATE_TIME.match(value)):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2030-05-01T18:00:00Z")
    return value


def _in_calendar(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:00 is in year 10000 once in UTC
        raise ValueError(f"must lie in the years {MIN_YEAR}..{MAX_YEAR} (UTC)") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must lie in the years {MIN_YEAR}..{MAX_YEAR} (UTC)")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_in_calendar)]
"""An ISO 8601 date-time, returned in UTC (naive means UTC); numbers and out-of-calendar values are refused."""


def BoundedJson(max_bytes: int, *, max_depth: int = 16) -> Any:  # noqa: N802
    """Any JSON value whose compact UTF-8 encoding has at most `max_bytes`, nested at most `max_depth` deep,
    with finite numbers and no NUL in any string (PostgreSQL jsonb refuses it)."""

    def check(value: Any) -> Any:
        _check_tree(value, max_depth)
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > max_bytes:
            raise ValueError(f"must encode to at most {max_bytes} bytes of JSON (got {size})")
        return value

    return Annotated[Any, AfterValidator(check),
                     WithJsonSchema({"description": f"Any JSON value of at most {max_bytes} bytes, nested at most "
                                                    f"{max_depth} deep.", "x-max-bytes": max_bytes,
                                     "x-max-depth": max_depth})]


def _check_tree(value: Any, max_depth: int) -> None:
    """Walk without recursion (a deep value must not blow the stack here either)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise ValueError(f"must be nested at most {max_depth} deep")
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                if key is not None:
                    _check_scalar(key)
                stack.append((child, depth + 1))
        else:
            _check_scalar(item)


def _check_scalar(item: Any) -> None:
    if isinstance(item, str) and "\x00" in item:
        raise ValueError("must not contain NUL characters")
    if isinstance(item, float) and not math.isfinite(item):
        raise ValueError("numbers must be finite")
