"""SMTP with the end of DATA as the commit point: recording a delivery and making it happen agree.

An SMTP server delivers a message only when it reads the line "." that ends DATA; if the connection
drops before that, it discards what it got. So a copy is transferred *except* that line (`prepare`),
the sender records it as sent in PostgreSQL and commits, and only then writes the final "." (`deliver`).
A worker killed before the commit leaves the recipient pending and the server discards the half-sent
copy: the restart sends it once. Killed after the commit, the copy is delivered (or, in the microseconds
between the commit and writing 3 bytes, lost — never doubled: that window cannot be closed without the
receiving server's help, and is kept to a few syscalls by writing the terminators before anything else). A copy whose recording found it already
sent is dropped with its connection (`abort`). Many copies, each on its own connection, can be held at
the end of DATA and recorded by one commit.

Uses aiosmtplib's protocol object for the DATA phase (its public `data()` sends the terminator at once).
"""

from __future__ import annotations

from aiosmtplib import SMTP, SMTPDataError, SMTPResponse, SMTPServerDisconnected
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

START_INPUT, COMPLETED = 354, 250


class RefusedAfterCommit(SMTPDataError):
    """Raised when the server refuses the finished message after it was recorded sent."""


class StagedCopy:
    """One message held at the end of DATA on `smtp` (which it has to itself until deliver/abort)."""

    def __init__(self, smtp: SMTP, timeout: float | None = None):
        self.smtp = smtp
        self.timeout = timeout
        self._lock = None
        self._terminated = False

    async def prepare(self, sender: str, recipient: str, message: bytes) -> None:
        """MAIL, RCPT, DATA and the message without its terminator; aiosmtplib's errors on refusal."""
        await self.smtp.mail(sender, timeout=self.timeout)
        await self.smtp.rcpt(recipient, timeout=self.timeout)
        protocol = self.smtp.protocol
        if protocol is None or protocol._command_lock is None:  # noqa: SLF001
            raise SMTPServerDisconnected("Connection lost")
        body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message))
        self._lock = protocol._command_lock  # noqa: SLF001 - the lock aiosmtplib's own DATA holds
        await self._lock.acquire()
        try:
            protocol._response_pending = True  # noqa: SLF001
            protocol.write(b"DATA\r\n")
            start = await protocol.read_response(timeout=self.timeout)
            if start.code != START_INPUT:
                raise SMTPDataError(start.code, start.message)
            protocol.write(body)
        except BaseException:
            self._release()
            raise

    def release_terminator(self) -> None:
        """Write the terminator now, without yielding to the event loop: right after the commit, so the
        time in which a killed worker has recorded a copy it did not finish stays a few syscalls long."""
        protocol = self.smtp.protocol
        if protocol is None:
            raise SMTPServerDisconnected("Connection lost")
        protocol._response_pending = True  # noqa: SLF001
        protocol.write(b".\r\n")
        self._terminated = True

    async def deliver(self) -> SMTPResponse:
        """Write the terminator (unless written) and read the answer: RefusedAfterCommit if it is a refusal."""
        try:
            if not self._terminated:
                self.release_terminator()
            response = await self.smtp.protocol.read_response(timeout=self.timeout)
        finally:
            self._release()
        if response.code != COMPLETED:
            raise RefusedAfterCommit(response.code, response.message)
        return response

    def abort(self) -> None:
        """Drop the connection: the server discards the unfinished message."""
        self.smtp.close()
        self._release()

    def _release(self) -> None:
        if self._lock is not None and self._lock.locked():
            self._lock.release()
        self._lock = None
