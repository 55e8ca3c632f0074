"""GET /api/v1/bookings/{booking_id}/calendar.ics: the booking's calendar file, for its owner only.

Served by notifications (the gateway routes this exact path here) from its local views of bookings and
events: the same file as the confirmation e-mail's attachment (same UID, current SEQUENCE).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from authkit.deps import CurrentPrincipal
from webkit.problems import Problem, problem_responses

from notifications_service.api.deps import Services
from notifications_service.delivery.calendar import booking_calendar
from notifications_service.storage.calendar_query import booking_with_event

router = APIRouter(prefix="/api/v1/bookings", tags=["calendar"])

ICS_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"description": "An RFC 5545 calendar with one VEVENT.",
                      "content": {"text/calendar": {"schema": {"type": "string"}}}}}


@router.get("/{booking_id}/calendar.ics", response_class=Response, responses={**ICS_RESPONSE,
            **problem_responses(401, 404, 409, 422)})
def booking_calendar_file(booking_id: UUID, services: Services, principal: CurrentPrincipal) -> Response:
    """Your confirmed booking as a calendar file (METHOD:CANCEL once it or its event is cancelled)."""
    found = booking_with_event(services.pool, booking_id, principal.user_id)
    if found is None:  # someone else's booking is "not found" too
        raise Problem(404, "BookingNotFound", f"you have no booking {booking_id} (or it is not known here yet)")
    booking, event, owner = found
    cancelled = event["cancelled"] or booking["status"] in ("cancelled", "expired", "rejected")
    if booking["status"] != "confirmed" and not cancelled:
        raise Problem(409, "BookingNotConfirmed", f"booking {booking_id} is {booking['status']}: it gets a "
                      "calendar file once it is confirmed")
    # A booking cancelled on its own (not with its event) bumps the sequence, as its e-mail's file did.
    sequence = int(event["schedule_version"]) + (1 if cancelled and not event["cancelled"] else 0)
    ics = booking_calendar(booking_id=booking_id, event=event, sequence=sequence,
                           cancel=cancelled, organizer_email=services.settings.smtp_from,
                           attendee_email=(owner or {}).get("email"))
    return Response(ics, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="booking-{booking_id}.ics"'})
