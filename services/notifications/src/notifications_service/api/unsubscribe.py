"""POST /api/v1/notifications/unsubscribe?token=…: the one-click unsubscribe of mailing e-mails (RFC 8058).

No sign-in: the signed token names the user and category. It records the same opt-out as
PUT /api/v1/notifications/preferences (a row in notification_preferences); repeating it changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.dialects.postgresql import insert

from webkit.fields import Line
from webkit.problems import problem_responses

from notifications_service.api.deps import Services
from notifications_service.domain.unsubscribe import verify
from notifications_service.storage.preferences import preferences
from notifications_service.storage.sql import run

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class Unsubscribed(BaseModel):
    """What the link turned off."""

    category: str = Field(description="The category of e-mails you will no longer receive.")


@router.post("/unsubscribe", response_model=Unsubscribed, responses=problem_responses(400, 422))
def unsubscribe(services: Services,
                token: Annotated[str, Line(512, min_length=1), Query(description="The token from the e-mail's link.")]
                ) -> Unsubscribed:
    """One-click unsubscribe (the List-Unsubscribe link of mailing e-mails)."""
    user_id, category = verify(services.settings.unsubscribe_secret.get_secret_value().encode(), token)
    with services.pool.connection() as conn:
        run(conn, insert(preferences).values(user_id=user_id, category=category).on_conflict_do_nothing())
    return Unsubscribed(category=category)
