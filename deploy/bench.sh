#!/usr/bin/env bash
# `make bench`: every bench/*.py in turn, with the test profile's PostgreSQL and Kafka up.
# Benchmarks print their own ratios against a baseline measured in the same run (DESIGN §7).
set -euo pipefail
export EP_PROFILE="${EP_PROFILE:-test}"
source "$(dirname "$0")/env.sh"
cd "$EP_ROOT"
shopt -s nullglob
benches=(bench/*.py)
if [ ${#benches[@]} = 0 ]; then log "no benchmarks in bench/ yet"; exit 0; fi
bash deploy/postgres.sh up
bash deploy/kafka.sh up
rc=0
for b in "${benches[@]}"; do
  case "$(basename "$b")" in _*|conftest.py) continue ;; esac
  log "$b"
  .venv/bin/python "$b" || rc=$?
done
exit "$rc"
