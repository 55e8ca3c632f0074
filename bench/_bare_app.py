"""Baseline of catalogue_throughput: bare FastAPI returning a constant list of 20 event-shaped dicts.

No database, middleware, auth or response model, so only what FastAPI + uvicorn themselves cost remains.
Run it as `uvicorn _bare_app:app` (catalogue_throughput.py does).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi import FastAPI

PATH = "/bench/events"
_START = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)
_ORGANIZER = str(uuid4())


def _event(i: int) -> dict:
    """One catalogue entry with the fields and roughly the sizes the events API sends."""
    paid = i % 3 == 0
    return {
        "id": str(uuid4()), "title": f"Bench meetup #{i}", "description": "Talks, demos and pizza. " * 3,
        "start_time": (_START + timedelta(hours=i)).isoformat(), "duration_minutes": 90,
        "max_participants": 100, "seats_available": 100, "is_paid": paid,
        "price": "25.00" if paid else None, "currency": "EUR" if paid else None,
        "allowed_payment_methods": ["card"] if paid else [], "tags": ["tech", "python"],
        "created_by": _ORGANIZER, "created_at": _START.isoformat(), "updated_at": _START.isoformat(),
        "status": "scheduled", "cancel_reason": None,
    }


EVENTS = [_event(i) for i in range(20)]

app = FastAPI()


@app.get(PATH)
async def list_events() -> list[dict]:
    """The same 20 events every time."""
    return EVENTS
