"""Rules of mailings: who may address whom, when one may be scheduled, when it can still be cancelled.

No I/O: the api passes what it read from the local views (the event's organizer) and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

# A schedule a little in the past is "now" (clock skew, a slow request); more than this is a mistake.
SCHEDULE_GRACE = timedelta(seconds=60)
DEFAULT_CATEGORY = "mailings"


class MailingRefused(Exception):
    """Base of the refusals of mailing commands."""


class AudienceNotAllowed(MailingRefused):
    """Raised when an organizer addresses anyone but the bookers of an event they organise."""


class ScheduleInPast(MailingRefused):
    """Raised when a mailing is scheduled (noticeably) before now."""


class MailingNotFound(MailingRefused):
    """Raised when there is no such mailing, or the caller may not see it."""


class MailingAlreadyStarted(MailingRefused):
    """Raised when cancelling a mailing that is sending, sent or cancelled already."""


@dataclass(frozen=True)
class Sender:
    """Who asks: admins (any audience) or organizers (their own events' bookers)."""

    user_id: UUID
    is_admin: bool


def check_audience(sender: Sender, event_id: UUID | None, event_organizer_id: UUID | None) -> None:
    """Admins may send to anyone; an organizer only with an `event_id` filter naming an event they organise
    (the event must be known to the local events view, whose organizer is checked)."""
    if sender.is_admin:
        return
    if event_id is None:
        raise AudienceNotAllowed("organizers may only write to the people booked on their own events: "
                                 "give filters.event_id")
    if event_organizer_id != sender.user_id:
        raise AudienceNotAllowed(f"event {event_id} is not one of your events")


def check_schedule(scheduled_at: datetime | None, now: datetime) -> datetime:
    """When to send: `now` when not given; a time before now (beyond a small grace) is refused."""
    if scheduled_at is None:
        return now
    if scheduled_at < now - SCHEDULE_GRACE:
        raise ScheduleInPast(f"scheduled_at {scheduled_at.isoformat()} is in the past")
    return max(scheduled_at, now)


def check_cancellable(status: str) -> None:
    """Only a mailing that has not started sending can be cancelled."""
    if status != "scheduled":
        raise MailingAlreadyStarted(f"the mailing is {status}; only a scheduled mailing can be cancelled")
