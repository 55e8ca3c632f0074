#!/usr/bin/env bash
# Runs pytest with the test profile's infrastructure (the Makefile's test targets call this).
#   run_tests.sh [--fresh] [--stop] [--no-infra] [--] PYTEST_ARGS...
#   --fresh     stop the profile's PostgreSQL/Kafka and delete $EP_DATA first: a clean state
#   --stop      stop PostgreSQL and Kafka at the end, whatever happened (pytest's exit code is kept)
#   --no-infra  do not start anything (unit tests)
# Where PostgreSQL and Kafka come from is decided by deploy/test_infra.py (EP_INFRA=local|containers|auto):
# the local clusters are started here; containers are started by the test session itself (conftest.py).
# Exit code: pytest's. "No tests collected" (5) is a failure too, since it is non-zero.
set -euo pipefail
export EP_PROFILE="${EP_PROFILE:-test}"
source "$(dirname "$0")/env.sh"
cd "$EP_ROOT"

fresh=0 stop=0 infra=1
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) fresh=1 ;; --stop) stop=1 ;; --no-infra) infra=0 ;;
    --) shift; break ;;
    *) break ;;
  esac
  shift
done

down() {
  bash deploy/kafka.sh down || true
  bash deploy/postgres.sh down || true
}

if [ "$fresh" = 1 ]; then
  case "$EP_DATA" in
    ""|/|"$HOME"|"$EP_ROOT") echo "refusing to delete EP_DATA=$EP_DATA" >&2; exit 2 ;;
  esac
  down
  log "fresh state: removing $EP_DATA"
  rm -rf "$EP_DATA"
fi

if [ "$infra" = 1 ]; then
  EP_INFRA=$(.venv/bin/python -m deploy.test_infra)
else
  EP_INFRA=local  # nothing to start: unit tests reach no infrastructure
fi
export EP_INFRA
log "test infrastructure: $EP_INFRA"

if [ "$infra" = 1 ]; then
  if [ "$EP_INFRA" = local ]; then
    [ "$stop" = 1 ] && trap down EXIT
    bash deploy/postgres.sh up
    bash deploy/kafka.sh up
  fi
  # e2e tests start the gateway through honcho; install nginx now so apt-get is not inside a test timeout.
  bash deploy/gateway.sh install
  # The docs render test drives a headless Chromium; without one it fails under CI and skips elsewhere,
  # each saying why (tests/e2e/browser.py).
  bash deploy/chromium.sh install >/dev/null || log "chromium could not be installed: the docs render test will say so"
fi

rc=0
.venv/bin/pytest "$@" || rc=$?
[ "$rc" = 5 ] && echo "pytest collected no tests: counted as a failure" >&2
exit "$rc"
