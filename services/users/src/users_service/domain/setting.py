"""Platform settings (seed table `settings`: key, value, type), typed and checked before they are stored."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from users_service.domain.errors import InvalidSetting, SettingNotFound

SettingType = Literal["string", "number", "bool", "json"]
SETTING_TYPES: tuple[str, ...] = ("string", "number", "bool", "json")
SETTING_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class KnownSetting:
    """A setting other services rely on (DESIGN §5): fixed type, default and bounds.

    Every number has both bounds, so no stored value can overflow a date computed from it (e.g. a hold
    deadline) or make a limit meaningless; services clamp to the same bounds when reading their replica.
    """

    type: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    whole: bool = False
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    description: str = ""

    def problem(self, value: Any) -> str | None:
        """Why `value` (already of `type`) is not allowed, or None."""
        if self.type == "number":
            if self.whole and not (isinstance(value, int) or float(value).is_integer()):
                return "must be a whole number"
            if self.minimum is not None and value < self.minimum or self.maximum is not None and value > self.maximum:
                return f"must be between {_plain(self.minimum)} and {_plain(self.maximum)}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"must match {self.pattern}"
        return None


def _plain(number: float | None) -> str:
    return "any" if number is None else (str(int(number)) if float(number).is_integer() else str(number))


def _whole(default: int, minimum: int, maximum: int, description: str) -> KnownSetting:
    return KnownSetting("number", default, minimum, maximum, whole=True, description=description)


# Settings other services rely on: their type is fixed and their values must make sense.
KNOWN_SETTINGS: dict[str, KnownSetting] = {
    "booking_hold_minutes": _whole(15, 1, 10_080, "How long a paid booking holds its seats awaiting payment "
                                                  "(at most a week)."),
    "waitlist_policy": KnownSetting("string", "first_fit_fair", choices=("strict_fifo", "first_fit", "first_fit_fair"),
                                    description="Who gets freed seats first."),
    "waitlist_skip_limit": _whole(3, 1, 1_000, "With first_fit_fair: skips after which a group gets the next "
                                               "freed seats held for it."),
    "max_group_size": _whole(10, 1, 1_000, "Largest group one booking may hold."),
    "refund_fee_percent": KnownSetting("number", 0, 0, 100, description="Share of the price kept when a "
                                       "participant cancels a paid booking (not for event cancellations)."),
    "cancellation_deadline_hours": _whole(24, 0, 8_760, "Hours before the event's start after which a "
                                                        "participant can no longer cancel a confirmed booking."),
    "max_seats_per_user_per_event": _whole(10, 1, 100_000, "Seats one account may hold or wait for at one event."),
    "max_pending_payments_per_user": _whole(5, 1, 1_000, "Paid bookings one account may have awaiting payment."),
    "max_waitlist_length": _whole(1_000, 1, 1_000_000, "Bookings that may wait in one event's line."),
    "cash_hold_minutes_before_start": _whole(0, 0, 10_080, "A cash booking (paid at the door) holds its seats "
                                                           "until this many minutes before the event starts, "
                                                           "instead of booking_hold_minutes (never less)."),
    "default_currency": KnownSetting("string", "EUR", pattern=r"[A-Z]{3}", description="ISO 4217 code."),
    "review_min_rating": KnownSetting("number", 1, 1, 5, description="Lowest rating a review may give."),
    "default_locale": KnownSetting("string", "en", choices=("ru", "en"),
                                   description="Language of a new account that names none (e-mails, messages)."),
}


def definition(key: str) -> KnownSetting:
    """The definition of a known setting; raises SettingNotFound for any other key."""
    try:
        return KNOWN_SETTINGS[key]
    except KeyError:
        raise SettingNotFound(f"there is no setting {key!r}; known settings: GET /api/v1/settings") from None


@dataclass(frozen=True)
class SettingState:
    """What a setting holds now, beside its definition (what GET /settings shows)."""

    key: str
    value: Any
    is_default: bool
    known: KnownSetting


def state_of(key: str, setting: Setting | None) -> SettingState:
    """The setting's current state; its default while it was never set or was reset."""
    known = definition(key)
    if setting is None or not getattr(setting, "is_set", True):
        return SettingState(key, known.default, True, known)
    return SettingState(key, setting.value, False, known)


def setting_id(key: str) -> UUID:
    """Deterministic id, so each key has exactly one stream."""
    return uuid5(NAMESPACE_URL, f"/users/settings/{key}")


def coerce(key: str, value: Any, type_: str | None = None) -> Any:
    """The value as the setting's type (numbers and booleans may come as the seed's text form).

    Only known settings may be set: an unknown key, a `type_` that disagrees with the definition, or a value
    outside the definition's bounds raises InvalidSetting."""
    known = KNOWN_SETTINGS.get(key)
    if known is None:
        raise InvalidSetting(f"there is no setting {key!r}; known settings: GET /api/v1/settings")
    if type_ is not None and type_ != known.type:
        raise InvalidSetting(f"setting {key!r} is of type {known.type}, not {type_}")
    typed = _COERCE[known.type](value)
    problem = known.problem(typed)
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
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSetting("value must be a finite number")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float: no setting means anything that big
        finite = False
    if not finite:
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
    """One platform setting and its history of values; `is_set` is False while it holds its default."""

    @classmethod
    def set_first(cls, key: str, value: Any, type_: str | None = None) -> Setting:
        """The first value of a key; raises InvalidSetting."""
        return cls(key, coerce(key, value, type_), definition(key).type)

    @staticmethod
    def create_id(key: str, value: Any, type_: str) -> UUID:
        return setting_id(key)

    class Defined(Aggregate.Created):
        key: str
        value: Any
        type_: str

    @event(Defined)
    def __init__(self, key: str, value: Any, type_: str):
        self.key = key
        self.value = value
        self.type = type_
        self.is_set = True

    def change(self, value: Any, type_: str | None = None) -> None:
        """A new value; no event when nothing changes. Raises InvalidSetting."""
        typed = coerce(self.key, value, type_)
        kind = definition(self.key).type
        if not getattr(self, "is_set", True) or (typed, kind) != (self.value, self.type) \
                or type(typed) is not type(self.value):
            self._changed(key=self.key, value=typed, type_=kind)

    class Changed(Aggregate.Event):
        key: str
        value: Any
        type_: str

    @event(Changed)
    def _changed(self, key: str, value: Any, type_: str) -> None:
        self.value = value
        self.type = type_
        self.is_set = True

    def reset(self) -> None:
        """Back to the definition's default; no event when it already holds its default."""
        if getattr(self, "is_set", True):
            self._reset(key=self.key)

    class Reset(Aggregate.Event):
        key: str

    @event(Reset)
    def _reset(self, key: str) -> None:
        known = KNOWN_SETTINGS.get(key)
        self.value = known.default if known else None
        self.is_set = False
