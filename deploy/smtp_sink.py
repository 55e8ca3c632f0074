"""SMTP sink handler: keeps every e-mail in a Maildir and prints one line per message.

The Maildir ($EP_DATA/mail locally, /data/mail in compose) lets tests and people read what the
notifications service sent; the line in the process log shows it happened without opening files.
Run with: python -m aiosmtpd -n -l 127.0.0.1:1025 -c deploy.smtp_sink.Sink <maildir>
"""

from __future__ import annotations

import os
import sys
from email.message import Message
from pathlib import Path

from aiosmtpd.handlers import Mailbox


class Sink(Mailbox):
    """Mailbox handler that also announces each delivery on stdout."""

    def __init__(self, mail_dir: os.PathLike | str, message_class=None) -> None:
        # mailbox.Maildir only makes tmp/new/cur when the directory itself is new; a reused or
        # pre-made directory must still work.
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(mail_dir, sub), exist_ok=True)
        super().__init__(Path(mail_dir), message_class)

    def handle_message(self, message: Message) -> None:
        super().handle_message(message)
        recipients = message.get("X-RcptTo") or message.get("To", "?")
        print(f"mail to {recipients}: {message.get('Subject', '(no subject)')}", file=sys.stdout, flush=True)
