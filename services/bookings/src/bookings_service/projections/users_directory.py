"""A local directory of people (users.v1 UserRegistered): names and e-mails for an event's attendee list, so
the bookings service never asks the users service who booked."""

from __future__ import annotations

from psycopg import Cursor
from sqlalchemy import Column, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from contracts import Envelope, topics
from contracts.users import UserRegistered
from spine.views import Rows, View

metadata = MetaData()
users_directory = Table(
    "users_directory", metadata,
    Column("user_id", UUID, primary_key=True),
    Column("email", Text, nullable=False),
    Column("full_name", Text, nullable=False),
)

class UsersDirectory(View):
    """Table `users_directory(user_id, email, full_name)`; a redelivered registration changes nothing."""

    name = "users_directory"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's registrations in one statement (people already known are left as they are)."""
        users = [UserRegistered.model_validate(e.payload) for e in envelopes
                 if e.version == 1 and e.type == UserRegistered.message_type]  # type: ignore[attr-defined]
        rows = Rows(cur, users_directory, [u.user_id for u in users])
        for user in users:
            rows.insert(user.user_id, {"email": user.email, "full_name": user.full_name})
        rows.write(cur)
