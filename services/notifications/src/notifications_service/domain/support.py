"""Support threads between a user and the support team (event-sourced).

`SupportThread` holds one conversation: the user's messages, support's replies, its assignee and whether
it is open. `SupportRequester` (one per user) knows the user's open thread, so "post a message" continues
it or starts the next one; both are saved together, so two concurrent first messages cannot open two
threads (the loser's save conflicts and is re-run, then continues the winner's thread).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

MAX_CONTENT = 4_000  # characters of one message (contracts.support documents the same limit)
OPEN, CLOSED = "open", "closed"


class SupportRefused(Exception):
    """Base of the refusals of support commands."""


class InvalidContent(SupportRefused):
    """Raised when a message is empty (or only whitespace) or longer than MAX_CONTENT."""


class ThreadNotFound(SupportRefused):
    """Raised when there is no such thread, or it is someone else's (its existence is not disclosed)."""


class ThreadClosed(SupportRefused):
    """Raised when replying to, assigning or closing a thread that is closed."""


class ThreadNotClosed(SupportRefused):
    """Raised when reopening a thread that is open."""


class OpenThreadExists(SupportRefused):
    """Raised when reopening a thread while its user has another one open."""


class InvalidAssignee(SupportRefused):
    """Raised when assigning a thread to someone who is not a support agent or admin."""


def check_content(content: str) -> str:
    """The message as stored: not blank, at most MAX_CONTENT characters."""
    if not content.strip():
        raise InvalidContent("a message needs some text")
    if len(content) > MAX_CONTENT:
        raise InvalidContent(f"a message has at most {MAX_CONTENT} characters")
    return content


def message_id(thread_id: UUID, number: int) -> UUID:
    """Deterministic id of the thread's `number`-th message."""
    return uuid5(NAMESPACE_URL, f"/support/threads/{thread_id}/messages/{number}")


class SupportThread(Aggregate):
    """One conversation of a user with support."""

    @staticmethod
    def create_id(user_id: UUID, number: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"/support/users/{user_id}/threads/{number}")

    @event("Opened")
    def __init__(self, user_id: UUID, number: int) -> None:
        self.user_id = user_id
        self.number = number
        self.status = OPEN
        self.assignee_id: UUID | None = None
        self.messages: list[dict[str, Any]] = []

    def check_open(self) -> None:
        if self.status != OPEN:
            raise ThreadClosed(f"thread {self.id} is closed; reopen it first")

    def post(self, content: str) -> None:
        """The user writes (to an open thread)."""
        self.check_open()
        self._posted(message_id=message_id(self.id, len(self.messages) + 1), content=check_content(content),
                     posted_at=datetime.now(UTC), opened=not self.messages, user_id=self.user_id)

    @event("MessagePosted")
    def _posted(self, message_id: UUID, content: str, posted_at: datetime, opened: bool, user_id: UUID) -> None:
        self._append(message_id, self.user_id, "user", content, posted_at)

    def reply(self, author_id: UUID, content: str) -> None:
        """Support answers (to an open thread)."""
        self.check_open()
        self._replied(message_id=message_id(self.id, len(self.messages) + 1), author_id=author_id,
                      content=check_content(content), posted_at=datetime.now(UTC), user_id=self.user_id)

    @event("Replied")
    def _replied(self, message_id: UUID, author_id: UUID, content: str, posted_at: datetime, user_id: UUID) -> None:
        self._append(message_id, author_id, "support", content, posted_at)

    def assign(self, assignee_id: UUID, by: UUID) -> None:
        """Give the thread to an agent (again to the same one: no change)."""
        self.check_open()
        if assignee_id != self.assignee_id:
            self._assigned(assignee_id=assignee_id, by=by, user_id=self.user_id)

    # Events name the thread's user too, so the public message can be made from the event alone.
    @event("Assigned")
    def _assigned(self, assignee_id: UUID, by: UUID, user_id: UUID) -> None:
        self.assignee_id = assignee_id

    def close(self, by: UUID) -> None:
        self.check_open()
        self._closed(by=by, user_id=self.user_id)

    @event("Closed")
    def _closed(self, by: UUID, user_id: UUID) -> None:
        self.status = CLOSED

    def reopen(self, by: UUID) -> None:
        if self.status == OPEN:
            raise ThreadNotClosed(f"thread {self.id} is open")
        self._reopened(by=by, user_id=self.user_id)

    @event("Reopened")
    def _reopened(self, by: UUID, user_id: UUID) -> None:
        self.status = OPEN

    def _append(self, message_id: UUID, author_id: UUID, author: str, content: str, posted_at: datetime) -> None:
        self.messages.append({"id": message_id, "author_id": author_id, "author": author, "content": content,
                              "posted_at": posted_at})


class SupportRequester(Aggregate):
    """A user as a support requester: how many threads they started and which one is open."""

    @staticmethod
    def create_id(user_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/support/users/{user_id}")

    @event("Registered")
    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        self.threads = 0
        self.open_thread_id: UUID | None = None

    def start_thread(self) -> SupportThread:
        """A new thread, which becomes the open one."""
        thread = SupportThread(user_id=self.user_id, number=self.threads + 1)
        self._started(thread_id=thread.id)
        return thread

    @event("ThreadStarted")
    def _started(self, thread_id: UUID) -> None:
        self.threads += 1
        self.open_thread_id = thread_id

    def thread_closed(self, thread_id: UUID) -> None:
        if self.open_thread_id == thread_id:
            self._ended(thread_id=thread_id)

    @event("ThreadEnded")
    def _ended(self, thread_id: UUID) -> None:
        self.open_thread_id = None

    def thread_reopened(self, thread_id: UUID) -> None:
        if self.open_thread_id not in (None, thread_id):
            raise OpenThreadExists(f"the user's thread {self.open_thread_id} is open; continue that one")
        if self.open_thread_id is None:
            self._resumed(thread_id=thread_id)

    @event("ThreadResumed")
    def _resumed(self, thread_id: UUID) -> None:
        self.open_thread_id = thread_id
