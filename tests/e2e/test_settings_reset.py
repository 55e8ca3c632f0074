"""Settings through the gateway: an admin lists them, changes one and resets it; the bookings service obeys the
value and then its default again (SettingChanged / SettingReset over users.v1). A refused change changes nothing."""

from __future__ import annotations

import pytest

from e2e_support import Platform, bearer, eventually, is_problem

pytestmark = pytest.mark.e2e

KEY = "max_group_size"


def test_a_reset_setting_is_obeyed_as_its_default_again(platform: Platform):
    admin = bearer(platform.admin_token())
    listed = platform.http.get("/api/v1/settings", headers=admin)
    assert listed.status_code == 200
    default = next(s for s in listed.json() if s["key"] == KEY)["default"]
    assert is_problem(platform.http.put(f"/api/v1/settings/{KEY}", json={"value": 2, "type": "json"},
                                        headers=admin), 422)
    assert is_problem(platform.http.put("/api/v1/settings/no_such_setting", json={"value": 2}, headers=admin), 422)

    organizer, ann = platform.organizer("Gina Groups"), platform.register("Ann Group")
    event = platform.create_event(organizer, seats=100, title="Group sizes")
    platform.wait_bookable(event["id"], ann)
    group = 3
    assert group <= default
    try:
        platform.put_setting(KEY, 2)
        def refused() -> bool | None:
            r = platform.book(ann, event["id"], group)
            if r.status_code == 202:  # the change has not reached bookings yet: give the seats back
                platform.cancel(ann, r.json()["id"])
            return True if is_problem(r, 422) else None

        eventually(refused, timeout=30, what="bookings obeys max_group_size = 2")
        reset = platform.http.delete(f"/api/v1/settings/{KEY}", headers=admin)
        assert reset.status_code == 200 and reset.json()["is_default"] is True, reset.text
        answer = eventually(lambda: r if (r := platform.book(ann, event["id"], group)).status_code == 202 else None,
                            timeout=30, what="bookings obeys the default max_group_size again")
        assert answer.json()["group_size"] == group
    finally:
        platform.http.delete(f"/api/v1/settings/{KEY}", headers=admin)
