#!/usr/bin/env bash
# Local SMTP sink on 127.0.0.1:$SMTP_PORT: accepts every message, stores it in $EP_DATA/mail (a Maildir),
# prints a line per message. Nothing is relayed anywhere.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$EP_DATA/mail"
cd "$EP_ROOT"
log "SMTP sink on 127.0.0.1:$SMTP_PORT (Maildir: $EP_DATA/mail)"
exec "$EP_ROOT/.venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c deploy.smtp_sink.Sink "$EP_DATA/mail"
