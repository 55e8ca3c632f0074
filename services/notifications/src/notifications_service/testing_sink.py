"""The project's SMTP sink (deploy/smtp_sink.py) refusing chosen recipients, for tests of SMTP refusals.

Runs inside the sink process that `testing_comms.smtp_sink(..., refuse=...)` starts (the repository root is
on its path there): `python -m aiosmtpd -c notifications_service.testing_sink.RefusingSink <maildir> <json>`.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser

from deploy.smtp_sink import Sink


class RefusingSink(Sink):
    """Answers RCPT TO of each address in `refusals` with its reply (e.g. "550 5.1.1 no such user")."""

    def __init__(self, mail_dir: str, refusals: str):
        super().__init__(mail_dir)
        self.refusals: dict[str, str] = json.loads(refusals)

    @classmethod
    def from_cli(cls, parser: ArgumentParser, *args: str) -> RefusingSink:
        if len(args) != 2:
            parser.error("usage: RefusingSink <maildir> <json of address -> reply>")
        return cls(args[0], args[1])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"
