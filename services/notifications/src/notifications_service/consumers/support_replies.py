"""Every support reply notifies the thread's user: an in-app notification and an e-mail.

Consumes the service's own SupportReplied from `notifications.v1` like any other triggering event (the
reply is saved in the event store; this runs after the relay published it). Both rows go into the
`notifications` outbox in the projector's transaction together with the message's position, keyed by
(event id, user, kind, channel): a redelivered reply adds nothing. The in-app row is `delivered` at once;
the e-mail row is `pending` with its subject and body filled in, for the service's e-mail sender.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from contracts import Envelope, parse_payload, topics
from contracts.support import SupportReplied
from psycopg import Cursor
from psycopg.types.json import Jsonb
from spine.projector import SqlProjection
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from notifications_service.projections.tables import users_view
from notifications_service.storage.notifications import notifications
from notifications_service.storage.sql import run

KIND, CATEGORY = "support_reply", "support"
EXCERPT = 500


class SupportReplyNotices(SqlProjection):
    """SupportReplied → the user's in-app notification and e-mail."""

    name = "notify_support_replies"

    def __init__(self, topic: str = topics.NOTIFICATIONS):
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        pass  # writes the service's own `notifications` table (storage.schema creates it)

    def reset(self, cur: Cursor) -> None:
        run(cur, delete(notifications).where(notifications.c.kind == KIND))

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        message = parse_payload(envelope)
        if not isinstance(message, SupportReplied):
            return
        user = run(cur, select(users_view.c.email, users_view.c.locale)
                   .where(users_view.c.user_id == message.user_id)).fetchone()
        email, locale = (user[0], user[1]) if user is not None and not isinstance(user, dict) else \
            ((user or {}).get("email"), (user or {}).get("locale"))
        excerpt = message.content if len(message.content) <= EXCERPT else message.content[:EXCERPT] + "…"
        subject = "Support replied to your message"
        body = f"{excerpt}\n\nRead the whole conversation: /api/v1/support/threads/{message.thread_id}"
        common = {"user_id": message.user_id, "kind": KIND, "category": CATEGORY,
                  "source_event_id": envelope.event_id, "source_type": envelope.type, "locale": locale,
                  "subject": subject, "body": body,
                  "data": Jsonb({"thread_id": str(message.thread_id), "message_id": str(message.message_id)})}
        for channel, status, recipient in (("in_app", "delivered", None), ("email", "pending", email)):
            notification_id = uuid5(NAMESPACE_URL, f"/notifications/{envelope.event_id}/{message.user_id}/{channel}")
            run(cur, insert(notifications).values(notification_id=notification_id, channel=channel, status=status,
                                                  recipient=recipient, **common)
                .on_conflict_do_nothing())
