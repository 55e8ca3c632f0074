"""Platform settings: the known settings (domain/setting.py) with their stored values, set and reset by admins.

A setting that was never set holds its declared default; only known keys exist (SettingNotFound otherwise).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from users_service.application.base import UsersBase
from users_service.domain import Setting, setting_id
from users_service.domain.setting import KNOWN_SETTINGS, SettingState, definition, state_of


class PlatformSettings(UsersBase):
    """Reading, setting and resetting the platform's settings."""

    def setting(self, key: str) -> SettingState:
        """A known setting's current value (its default while unset); raises SettingNotFound for other keys."""
        definition(key)
        try:
            return state_of(key, self.repository.get(setting_id(key)))
        except AggregateNotFoundError:
            return state_of(key, None)

    def settings(self) -> list[SettingState]:
        """Every known setting, in definition order."""
        return [self.setting(key) for key in KNOWN_SETTINGS]

    def default_locale(self) -> str:
        """The `default_locale` setting (its declared default while nobody set it)."""
        return str(self.setting("default_locale").value)

    def put_setting(self, key: str, value: Any, type_: str | None = None) -> tuple[SettingState, bool]:
        """Set a known setting (its type is the definition's; a `type_` given must agree); raises
        InvalidSetting. Returns the new state and whether the setting's stream is new."""
        def put() -> tuple[SettingState, bool]:
            try:
                setting: Setting = self.repository.get(setting_id(key))
            except AggregateNotFoundError:
                setting = Setting.set_first(key, value, type_)
                self.save(setting)
                return state_of(key, setting), True
            setting.change(value, type_)
            self.save(setting)
            return state_of(key, setting), False
        return self._retrying(put)

    def reset_setting(self, key: str) -> SettingState:
        """Return a known setting to its default (SettingReset on users.v1); raises SettingNotFound."""
        definition(key)

        def reset() -> SettingState:
            try:
                setting: Setting = self.repository.get(setting_id(key))
            except AggregateNotFoundError:
                return state_of(key, None)  # never set: it already holds its default
            setting.reset()
            self.save(setting)
            return state_of(key, setting)
        return self._retrying(reset)
