"""Seat leases are the default path for free bookings (issue 8); BOOKINGS_SEAT_LEASES=false keeps the per-booking
path, which stays supported."""

from __future__ import annotations

import pytest

from bookings_service.settings import Settings

pytestmark = pytest.mark.unit


def test_seat_leases_are_on_unless_the_environment_turns_them_off(monkeypatch):
    monkeypatch.delenv("BOOKINGS_SEAT_LEASES", raising=False)
    assert Settings().seat_leases is True
    monkeypatch.setenv("BOOKINGS_SEAT_LEASES", "false")
    assert Settings().seat_leases is False
