"""SMTP with the end of DATA as the commit point: recording a delivery and making it happen agree.

An SMTP server delivers a message only when it reads the line "." that ends DATA; if the connection
drops before that, it discards what it got. So the sender transfers the whole message *except* that
line, then runs `commit` (which records the recipient as sent in PostgreSQL and commits), and only then
writes the final ".". A worker killed before its commit leaves the recipient pending and the server
discards the half-sent message: the restart sends it once. Killed after the commit, the message is
delivered (or, in the few microseconds between commit and writing 5 bytes, lost — never doubled).
If `commit` answers False (someone else sent it already), the connection is dropped instead.

Uses aiosmtplib's protocol object for the DATA phase (its public `data()` sends the terminator at once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiosmtplib import SMTP, SMTPDataError, SMTPResponse, SMTPServerDisconnected
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

START_INPUT, COMPLETED = 354, 250


class Aborted(Exception):
    """Raised when `commit` declined: the half-sent message was discarded with the connection."""


class RefusedAfterCommit(SMTPDataError):
    """Raised when the server refuses the finished message after `commit` recorded it sent."""


async def staged_send(smtp: SMTP, sender: str, recipient: str, message: bytes,
                      commit: Callable[[], Awaitable[bool]], *, timeout: float | None = None) -> SMTPResponse:
    """Send `message` from `sender` to `recipient`, running `commit` just before the server may deliver it.

    Raises aiosmtplib's errors for refusals before the commit (nothing delivered, nothing recorded),
    RefusedAfterCommit when the server refuses the finished message (recorded sent: the caller corrects it),
    Aborted when `commit` declined.
    """
    await smtp.mail(sender, timeout=timeout)
    await smtp.rcpt(recipient, timeout=timeout)
    protocol = smtp.protocol
    if protocol is None or protocol._command_lock is None:  # noqa: SLF001
        raise SMTPServerDisconnected("Connection lost")
    body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message))
    async with protocol._command_lock:  # noqa: SLF001 - the same lock aiosmtplib's own DATA holds
        protocol._response_pending = True  # noqa: SLF001
        protocol.write(b"DATA\r\n")
        start = await protocol.read_response(timeout=timeout)
        if start.code != START_INPUT:
            raise SMTPDataError(start.code, start.message)
        protocol.write(body)
        if not await commit():
            smtp.close()
            raise Aborted(recipient)
        protocol._response_pending = True  # noqa: SLF001
        protocol.write(b".\r\n")
        response = await protocol.read_response(timeout=timeout)
    if response.code != COMPLETED:
        raise RefusedAfterCommit(response.code, response.message)
    return response
