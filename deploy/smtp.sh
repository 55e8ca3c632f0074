#!/usr/bin/env bash
# Local SMTP sink on 127.0.0.1:$SMTP_PORT: accepts every message, stores it in $EP_DATA/mail (a Maildir),
# prints a line per message. Nothing is relayed anywhere.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$EP_DATA/mail"
cd "$EP_ROOT"
# Like every process, it also logs to a file under $LOG_DIR (one short line per message: no rotation needed).
mkdir -p "$LOG_DIR"
exec > >(tee -a "$LOG_DIR/smtp.log") 2>&1
log "SMTP sink on 127.0.0.1:$SMTP_PORT (Maildir: $EP_DATA/mail)"
exec "$EP_ROOT/.venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c deploy.smtp_sink.Sink "$EP_DATA/mail"
