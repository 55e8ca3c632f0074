"""The standard library's modern e-mail policy with its header work cached, so building and flattening a
notification costs a fraction of what it did, for the same bytes on the wire.

`email.policy.default` parses every header value it stores (an address list, a Content-Type with its
parameters: about twenty per multipart message) and refolds every header object when the message is
flattened. Notifications repeat most of those values (From, MIME-Version, the parts' Content-Type and
Content-Transfer-Encoding, the calendar part's disposition), so `POLICY` keeps the parsed header object of a
(name, value) pair and `flatten` keeps each such object's folded line, per output policy. Both caches are
bounded and only ever hold what the uncached policy would compute; a header object is immutable. The
header registry makes its class per header name once (the standard one makes a new class per header), and
the generator checks that a multipart boundary does not occur in the parts with a substring test instead of
compiling a regular expression per boundary (the same random boundaries: a token that occurs in the text
anywhere, not only as a line, is skipped too — never seen with 19 random digits).

`send` is aiosmtplib's `send_message` with that flattening: the same envelope (sender and recipients
from the headers), SMTPUTF8 when an address needs it, BODY=8BITMIME (else 7-bit transfer encoding).
"""

from __future__ import annotations

import copy
import io
import random
import sys
from email.generator import BytesGenerator
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import Any

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender

_LIMIT = 4096  # entries per cache; cleared when full (rounds repeat the same few hundred values)
_PARSED: dict[tuple[str, str], tuple[str, Any]] = {}
_FOLDED: dict[tuple[int, tuple[Any, ...]], tuple[Any, str]] = {}


class _Registry(HeaderRegistry):
    """The standard header classes, each made once per header name."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._classes.get(key)
        if made is None:
            made = self._classes[key] = super().__getitem__(name)
        return made


class _Generator(BytesGenerator):
    """BytesGenerator whose boundary check is a substring test (the standard one compiles a regex per part)."""

    @classmethod
    def _make_boundary(cls, text: Any = None) -> str:
        boundary = ("=" * 15) + (f"%0{len(repr(sys.maxsize - 1))}d" % random.randrange(sys.maxsize)) + "=="
        if text is None:
            return boundary
        b, counter = boundary, 0
        while (f"--{b}".encode("ascii") if isinstance(text, bytes) else f"--{b}") in text:
            b = f"{boundary}.{counter}"
            counter += 1
        return b


class CachingPolicy(EmailPolicy):
    """`email.policy.default` (or a clone of it), reusing parsed header objects and their folded lines."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if not isinstance(value, str) or hasattr(value, "name"):
            return super().header_store_parse(name, value)
        key = (name, value)
        stored = _PARSED.get(key)
        if stored is None:
            stored = super().header_store_parse(name, value)  # raises on CR/LF, as ever
            if len(_PARSED) >= _LIMIT:
                _PARSED.clear()
            _PARSED[key] = stored
        return stored

    def _fold(self, name: str, value: Any, refold_binary: bool = False) -> str:
        if not hasattr(value, "name"):
            return super()._fold(name, value, refold_binary)  # type: ignore[misc]
        # Keyed by the header object (kept alive in the entry, so its id is not reused) and what folding reads.
        key = (id(value), (self.linesep, self.max_line_length, self.utf8, self.cte_type, self.refold_source))
        got = _FOLDED.get(key)
        if got is None or got[0] is not value:
            got = (value, super()._fold(name, value, refold_binary))  # type: ignore[misc]
            if len(_FOLDED) >= _LIMIT:
                _FOLDED.clear()
            _FOLDED[key] = got
        return got[1]


POLICY = CachingPolicy(header_factory=_Registry())  # what EmailMessage() would use: email.policy.default
_SMTP = POLICY.clone(linesep="\r\n")  # email.policy.SMTP
_SMTPUTF8 = _SMTP.clone(utf8=True)  # email.policy.SMTPUTF8


def flatten(message: EmailMessage, *, utf8: bool = False, cte_type: str = "8bit") -> bytes:
    """The message's bytes as aiosmtplib's `flatten_message` writes them (Bcc and Resent-Bcc left out)."""
    message = copy.copy(message)
    del message["Bcc"]
    del message["Resent-Bcc"]
    policy = _SMTPUTF8 if utf8 else _SMTP
    if cte_type != "8bit":
        policy = policy.clone(cte_type=cte_type)
    with io.BytesIO() as out:
        _Generator(out, policy=policy).flatten(message)
        return out.getvalue()


async def send(smtp: aiosmtplib.SMTP, message: EmailMessage) -> None:
    """Send a message as `smtp.send_message(message)` would, flattened with the caching policy."""
    sender = extract_sender(message)
    recipients = extract_recipients(message)
    if sender is None or not recipients:
        raise ValueError("a message needs a From and a To header")
    await smtp._ehlo_or_helo_if_needed()  # noqa: SLF001 - as send_message does, before the extension checks
    options: list[str] = []
    if not (sender.isascii() and "".join(recipients).isascii()):
        if not smtp.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("An address containing non-ASCII characters was provided, but "
                                              "SMTPUTF8 is not supported by this server")
        options.append("SMTPUTF8")
    cte_type = "7bit"
    if smtp.supports_extension("8BITMIME"):
        options.append("BODY=8BITMIME")
        cte_type = "8bit"
    await smtp.sendmail(sender, recipients, flatten(message, utf8="SMTPUTF8" in options, cte_type=cte_type),
                        mail_options=options)
