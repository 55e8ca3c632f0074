"""Platform settings (seed table `settings`: key, value, type), typed and checked before they are stored."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from users_service.domain.errors import InvalidSetting

SettingType = Literal["string", "number", "bool", "json"]
SETTING_TYPES: tuple[str, ...] = ("string", "number", "bool", "json")
SETTING_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _whole_positive(value: Any) -> str | None:
    return None if float(value).is_integer() and value > 0 else "must be a whole number greater than 0"


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda value: None if value in choices else f"must be one of {', '.join(choices)}"


# Settings other services rely on (DESIGN §5): their type is fixed and their values must make sense.
KNOWN_SETTINGS: dict[str, tuple[str, Callable[[Any], str | None] | None]] = {
    "booking_hold_minutes": ("number", _whole_positive),
    "waitlist_policy": ("string", _one_of("strict_fifo", "first_fit", "first_fit_fair")),
    "waitlist_skip_limit": ("number", _whole_positive),
    "refund_fee_percent": ("number", lambda v: None if 0 <= v <= 100 else "must be between 0 and 100"),
    "max_group_size": ("number", _whole_positive),
    "default_currency": ("string", lambda v: None if re.fullmatch(r"[A-Z]{3}", v) else "must be an ISO 4217 code"),
    "review_min_rating": ("number", _positive),
}


def setting_id(key: str) -> UUID:
    """Deterministic id, so each key has exactly one stream."""
    return uuid5(NAMESPACE_URL, f"/users/settings/{key}")


def coerce(key: str, value: Any, type_: str) -> Any:
    """The value as `type_` (numbers and booleans may come as the seed's text form); raises InvalidSetting."""
    if not SETTING_KEY.match(key):
        raise InvalidSetting(f"setting key {key!r} must be lower-case letters, digits, '.', '_' or '-'")
    if type_ not in SETTING_TYPES:
        raise InvalidSetting(f"type must be one of {', '.join(SETTING_TYPES)}")
    known = KNOWN_SETTINGS.get(key)
    if known and known[0] != type_:
        raise InvalidSetting(f"setting {key!r} is of type {known[0]}")
    typed = _COERCE[type_](value)
    rule = known[1] if known else None
    problem = rule(typed) if rule else None
    if problem:
        raise InvalidSetting(f"setting {key!r} {problem}")
    return typed


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidSetting("value must be a string")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            raise InvalidSetting(f"value {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidSetting("value must be a finite number")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise InvalidSetting("value must be true or false")
    return value


def _json(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidSetting("value must be JSON") from None
    return value


_COERCE: dict[str, Callable[[Any], Any]] = {"string": _string, "number": _number, "bool": _bool, "json": _json}


class Setting(Aggregate):
    """One platform setting and its history of values."""

    @classmethod
    def set_first(cls, key: str, value: Any, type_: str) -> Setting:
        """The first value of a key; raises InvalidSetting."""
        return cls(key, coerce(key, value, type_), type_)

    @staticmethod
    def create_id(key: str, value: Any, type_: str) -> UUID:
        return setting_id(key)

    @event("Defined")
    def __init__(self, key: str, value: Any, type_: str):
        self.key = key
        self.value = value
        self.type = type_

    def change(self, value: Any, type_: str) -> None:
        """A new value (and possibly type); no event when nothing changes. Raises InvalidSetting."""
        typed = coerce(self.key, value, type_)
        if (typed, type_) != (self.value, self.type) or type(typed) is not type(self.value):
            self._changed(key=self.key, value=typed, type_=type_)

    @event("Changed")
    def _changed(self, key: str, value: Any, type_: str) -> None:
        self.value = value
        self.type = type_
