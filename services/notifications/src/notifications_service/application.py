"""The Support application: support threads in the notifications service's own event store.

Each command loads what it needs, lets the domain decide and saves; losing an optimistic-concurrency race
re-runs the command on fresh state. Threads are the only event-sourced part of this service (mailings
and notifications are plain tables of the service's database).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from spine.eventstore import ServiceApplication
from spine.retry import retrying

from notifications_service.domain.support import (
    InvalidAssignee,
    SupportRequester,
    SupportThread,
    ThreadNotFound,
    check_content,
)

T = TypeVar("T")
_RETRIES = 10


class Support(ServiceApplication):
    """Commands and reads of support threads."""

    name = "Support"

    def get_thread(self, thread_id: UUID) -> SupportThread:
        """The thread; ThreadNotFound when there is none."""
        try:
            found: Aggregate = self.repository.get(thread_id)
        except AggregateNotFoundError:
            raise ThreadNotFound(f"no support thread {thread_id}") from None
        if not isinstance(found, SupportThread):
            raise ThreadNotFound(f"no support thread {thread_id}")
        return found

    def post_message(self, user_id: UUID, content: str) -> SupportThread:
        """The user writes to support: continues their open thread or starts a new one."""
        check_content(content)

        def step() -> tuple[SupportThread, Sequence[Aggregate]]:
            try:
                requester: SupportRequester = self.repository.get(SupportRequester.create_id(user_id))
            except AggregateNotFoundError:
                requester = SupportRequester(user_id=user_id)
            if requester.open_thread_id is None:
                thread = requester.start_thread()
            else:
                thread = self.get_thread(requester.open_thread_id)
            thread.post(content)
            return thread, (requester, thread)

        return self._retrying(step)

    def reply(self, thread_id: UUID, author_id: UUID, content: str) -> SupportThread:
        """Support answers the thread's user (who is notified)."""
        return self._on_thread(thread_id, lambda t: t.reply(author_id, content))

    def assign(self, thread_id: UUID, assignee_id: UUID, by: UUID, *, assignee_is_agent: bool) -> SupportThread:
        """Hand the thread to a support agent or admin (`assignee_is_agent`: the caller checked the role)."""
        if not assignee_is_agent:
            raise InvalidAssignee(f"user {assignee_id} is not a support agent or admin")
        return self._on_thread(thread_id, lambda t: t.assign(assignee_id, by))

    def close_thread(self, thread_id: UUID, by: UUID) -> SupportThread:
        """Close the thread; the user's next message starts a new one."""

        def step() -> tuple[SupportThread, Sequence[Aggregate]]:
            thread = self.get_thread(thread_id)
            thread.close(by)
            requester: SupportRequester = self.repository.get(SupportRequester.create_id(thread.user_id))
            requester.thread_closed(thread.id)
            return thread, (thread, requester)

        return self._retrying(step)

    def reopen_thread(self, thread_id: UUID, by: UUID) -> SupportThread:
        """Open a closed thread again (unless its user has another thread open)."""

        def step() -> tuple[SupportThread, Sequence[Aggregate]]:
            thread = self.get_thread(thread_id)
            thread.reopen(by)
            requester: SupportRequester = self.repository.get(SupportRequester.create_id(thread.user_id))
            requester.thread_reopened(thread.id)
            return thread, (thread, requester)

        return self._retrying(step)

    def _on_thread(self, thread_id: UUID, change: Callable[[SupportThread], None]) -> SupportThread:
        def step() -> tuple[SupportThread, Sequence[Aggregate]]:
            thread = self.get_thread(thread_id)
            change(thread)
            return thread, (thread,)

        return self._retrying(step)

    def _retrying(self, step: Callable[[], tuple[T, Sequence[Aggregate]]]) -> T:
        def attempt() -> T:
            result, touched = step()
            self.save(*touched)
            return result

        result = retrying(attempt, attempts=_RETRIES)
        assert result is not None  # without `done=`, retrying returns the command's result or raises
        return result
