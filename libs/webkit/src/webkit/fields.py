"""Bounded field types for request models and query parameters: what the edge accepts is what every layer
behind it (PostgreSQL columns, read models, Kafka records) can hold.

`Line`, `Text`, `LowerLine` and `BoundedJson` are `Annotated` metadata, so type checkers see the plain type:
`title: Annotated[str, Line(100)]`, `tags: list[Annotated[str, LowerLine(40)]]`. The rest are ready-made aliases.

Each type carries its bounds in the OpenAPI schema (`maxLength`, `pattern`, `maximum`, ...), so clients and
fuzzers see the same limits the server enforces. Anything outside gives a 422 problem.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import GroupedMetadata, Interval
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


@dataclass(frozen=True, slots=True)
class Line(GroupedMetadata):
    """A single line of text: at most `max_length` characters, no control characters.

    Metadata, so a type checker reads the field's type: `title: Annotated[str, Line(100)]`."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(min_length=self.min_length, max_length=self.max_length,
                                     pattern=SINGLE_LINE_PATTERN)


@dataclass(frozen=True, slots=True)
class Text(GroupedMetadata):
    """Free text that may span lines: at most `max_length` characters, no control characters but tab/newline.
    Use as `Annotated[str, Text(2000)]`."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(min_length=self.min_length, max_length=self.max_length,
                                     pattern=MULTI_LINE_PATTERN)


@dataclass(frozen=True, slots=True)
class LowerLine(GroupedMetadata):
    """A trimmed, lower-cased line (tags, names), checked *after* lower-casing: "İ" becomes two characters.
    Use as `Annotated[str, LowerLine(40)]`."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(strip_whitespace=True, min_length=self.min_length, max_length=self.max_length,
                                     pattern=SINGLE_LINE_PATTERN)
        yield AfterValidator(self._lowered)

    def _lowered(self, value: str) -> str:
        value = value.strip().lower()
        if len(value) > self.max_length:
            raise ValueError(f"must have at most {self.max_length} characters once lower-cased")
        return value


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


@dataclass(frozen=True, slots=True)
class BoundedJson(GroupedMetadata):
    """Any JSON value whose compact UTF-8 encoding has at most `max_bytes`, nested at most `max_depth` deep,
    with finite numbers and no NUL in any string (PostgreSQL jsonb refuses it). Use as
    `Annotated[Any, BoundedJson(4096)]` (or a narrower type than `Any`, e.g. `dict[str, Any]`)."""

    max_bytes: int
    max_depth: int = 16

    def __iter__(self) -> Iterator[object]:
        yield AfterValidator(self._check)
        yield WithJsonSchema({"description": f"Any JSON value of at most {self.max_bytes} bytes, nested at most "
                                             f"{self.max_depth} deep.", "x-max-bytes": self.max_bytes,
                              "x-max-depth": self.max_depth})

    def _check(self, value: Any) -> Any:
        _check_tree(value, self.max_depth)
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > self.max_bytes:
            raise ValueError(f"must encode to at most {self.max_bytes} bytes of JSON (got {size})")
        return value


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
