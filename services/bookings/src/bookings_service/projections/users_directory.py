"""A local directory of people (users.v1 UserRegistered): names and e-mails for an event's attendee list, so
the bookings service never asks the users service who booked."""

from __future__ import annotations

from psycopg import Cursor
from sqlalchemy import Column, MetaData, Table, Text, bindparam
from sqlalchemy.dialects.postgresql import UUID, insert

from contracts import Envelope, topics
from contracts.users import UserRegistered
from spine.views import View, execute

metadata = MetaData()
users_directory = Table(
    "users_directory", metadata,
    Column("user_id", UUID, primary_key=True),
    Column("email", Text, nullable=False),
    Column("full_name", Text, nullable=False),
)
INSERT = insert(users_directory).values(user_id=bindparam("v_user_id"), email=bindparam("v_email"),
                                        full_name=bindparam("v_full_name")
                                        ).on_conflict_do_nothing(index_elements=["user_id"])


class UsersDirectory(View):
    """Table `users_directory(user_id, email, full_name)`; a redelivered registration changes nothing."""

    name = "users_directory"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.version != 1 or envelope.type != UserRegistered.message_type:  # type: ignore[attr-defined]
            return
        user = UserRegistered.model_validate(envelope.payload)
        execute(cur, INSERT, {"v_user_id": user.user_id, "v_email": user.email, "v_full_name": user.full_name})
