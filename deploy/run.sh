#!/usr/bin/env bash
# `make run`: PostgreSQL and Kafka of the chosen profile (reused between runs), then every process of the
# Procfile under honcho in the foreground. Ctrl-C stops the processes; `make stop` stops the infrastructure.
# Procfile runs each service's API and worker in one process; PROCFILE=Procfile.split runs them apart.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$EP_ROOT"
bash deploy/postgres.sh up
bash deploy/kafka.sh up
bash deploy/gateway.sh install   # any apt-get output comes now, not in the middle of honcho's
mkdir -p "$EP_DATA"
export PROCFILE="${PROCFILE:-Procfile}"
# The announcer watches $$, which stays the same pid after the exec below (it becomes honcho's).
.venv/bin/python -m deploy.announce --parent $$ &
exec .venv/bin/honcho start -f "$PROCFILE" -d "$EP_ROOT"
