"""Demo data for `make run`: an organizer and a few upcoming events, created through the gateway.

Idempotent: an existing organizer is reused and events are only created when that organizer has none.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta

import httpx

GATEWAY = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
ADMIN = (os.environ.get("ADMIN_EMAIL", "admin@example.com"), os.environ.get("ADMIN_PASSWORD", "admin-change-me"))
ORGANIZER = ("organizer@example.com", "organizer-demo-1")


def login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/users/login", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ensure_organizer(client: httpx.Client) -> dict[str, str]:
    email, password = ORGANIZER
    r = client.post("/api/v1/users/", json={"email": email, "full_name": "Olga Organizer", "password": password})
    if r.status_code not in (201, 409):
        r.raise_for_status()
    me = client.get("/api/v1/users/me", headers=login(client, email, password)).json()
    if me.get("role") != "organizer":
        admin = login(client, *ADMIN)
        client.put(f"/api/v1/users/{me['id']}/role", json={"role": "organizer"}, headers=admin).raise_for_status()
    return login(client, email, password)


def ensure_events(client: httpx.Client, organizer: dict[str, str]) -> int:
    me = client.get("/api/v1/users/me", headers=organizer).json()
    existing = client.get("/api/v1/events/", params={"created_by": me["id"], "limit": 1})
    if existing.status_code == 200 and existing.json():
        return 0
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    events = [
        {"title": "Python meetup", "description": "Talks, pizza and async war stories.", "start_time": soon,
         "duration_minutes": 120, "max_participants": 40, "is_paid": False, "tags": ["python", "meetup"]},
        {"title": "Kafka workshop", "description": "Hands-on: topics, partitions, consumer groups.",
         "start_time": soon + timedelta(days=3), "duration_minutes": 240, "max_participants": 12, "is_paid": True,
         "price": "49.00", "currency": "EUR", "allowed_payment_methods": ["card", "cash"], "tags": ["kafka"]},
        {"title": "Board games night", "description": "Bring a friend.", "start_time": soon + timedelta(days=10),
         "duration_minutes": 180, "max_participants": 3, "is_paid": False, "tags": ["games"]},
    ]
    for body in events:
        body["start_time"] = body["start_time"].isoformat()
        client.post("/api/v1/events/", json=body, headers=organizer).raise_for_status()
    return len(events)


def main() -> int:
    with httpx.Client(base_url=GATEWAY, timeout=30) as client:
        organizer = ensure_organizer(client)
        created = ensure_events(client, organizer)
    print(f"demo data: organizer {ORGANIZER[0]} / {ORGANIZER[1]}; {created} events created")
    return 0


if __name__ == "__main__":
    sys.exit(main())
