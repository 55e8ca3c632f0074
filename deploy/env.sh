# Shared settings for the local infrastructure scripts. Source it; every value can be overridden.
# EP_PROFILE=run (make run) or test (make test): each has its own data dir and ports so a test run
# never touches the data of a running system.
EP_ROOT="${EP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
EP_PROFILE="${EP_PROFILE:-run}"
if [ "$EP_PROFILE" = test ]; then
  : "${EP_DATA:=$EP_ROOT/.data/test}"; : "${PG_PORT:=56432}"; : "${KAFKA_PORT:=59192}"; : "${KAFKA_CONTROLLER_PORT:=59193}"
  : "${GATEWAY_PORT:=18000}"; : "${SMTP_PORT:=11025}"; : "${SERVICE_PORT_BASE:=18100}"
  # The e2e suite and the benchmarks book hundreds of times per user in seconds: per-user booking limits
  # are the bookings API tests' business, not theirs (the gateway's test-profile limits: deploy/gateway.sh).
  # Likewise, sign-ins beyond the hashing pool's queue get 503s: tests that log many users in at once wait.
  : "${BOOKINGS_RATE_PER_MINUTE:=1000000}"; : "${BOOKINGS_RATE_BURST:=100000}"; : "${PASSWORD_HASH_QUEUE:=64}"
  export BOOKINGS_RATE_PER_MINUTE BOOKINGS_RATE_BURST PASSWORD_HASH_QUEUE
else
  : "${EP_DATA:=$EP_ROOT/.data/run}"; : "${PG_PORT:=55432}"; : "${KAFKA_PORT:=59092}"; : "${KAFKA_CONTROLLER_PORT:=59093}"
  : "${GATEWAY_PORT:=8000}"; : "${SMTP_PORT:=1025}"; : "${SERVICE_PORT_BASE:=8100}"
fi
: "${EP_CACHE:=$EP_ROOT/.cache}"
: "${POSTGRES_HOST:=127.0.0.1}"
: "${POSTGRES_USER:=eventplanner}"
: "${POSTGRES_PASSWORD:=eventplanner}"
: "${KAFKA_BOOTSTRAP_SERVERS:=127.0.0.1:$KAFKA_PORT}"
: "${KAFKA_PARTITIONS:=6}"
# Kafka is a trust boundary (README "Kafka security"): SASL/SCRAM, one principal per service, ACLs from
# libs/contracts/src/contracts/access.py. Local profiles use these fixed development passwords; anywhere
# else set KAFKA_<PRINCIPAL>_PASSWORD (and the security settings) in the environment.
: "${KAFKA_SECURITY_PROTOCOL:=SASL_PLAINTEXT}"; : "${KAFKA_SASL_MECHANISM:=SCRAM-SHA-512}"
: "${KAFKA_ADMIN_USERNAME:=admin}"
for _p in admin users events bookings payments notifications ops; do
  _v="KAFKA_${_p^^}_PASSWORD"; [ -n "${!_v:-}" ] || printf -v "$_v" '%s' "$_p-dev-password"; export "${_v?}"
done
unset _p _v
# Who a process without its own principal is: tests create throwaway topics as the super user; in the run
# profile a tool like `planner-ops tail` reads as `ops` (read-only). Service processes get their own in
# the Procfile (and docker-compose.yml).
if [ "$EP_PROFILE" = test ]; then : "${KAFKA_USERNAME:=$KAFKA_ADMIN_USERNAME}"; else : "${KAFKA_USERNAME:=ops}"; fi
_v="KAFKA_${KAFKA_USERNAME^^}_PASSWORD"; : "${KAFKA_PASSWORD:=${!_v:-}}"; unset _v
SERVICES="users events bookings payments notifications"
USERS_PORT=$((SERVICE_PORT_BASE + 1)); EVENTS_PORT=$((SERVICE_PORT_BASE + 2)); BOOKINGS_PORT=$((SERVICE_PORT_BASE + 3))
PAYMENTS_PORT=$((SERVICE_PORT_BASE + 4)); NOTIFICATIONS_PORT=$((SERVICE_PORT_BASE + 5))
# Each worker's /metrics and /health listener (spine.listener): the api's port + 10 (8111..8115 in `run`).
USERS_WORKER_PORT=$((SERVICE_PORT_BASE + 11)); EVENTS_WORKER_PORT=$((SERVICE_PORT_BASE + 12))
BOOKINGS_WORKER_PORT=$((SERVICE_PORT_BASE + 13)); PAYMENTS_WORKER_PORT=$((SERVICE_PORT_BASE + 14))
NOTIFICATIONS_WORKER_PORT=$((SERVICE_PORT_BASE + 15))
# Every service process also logs to $LOG_DIR/<process>.log (rotated; webkit.observability).
: "${LOG_DIR:=$EP_DATA/logs}"
export EP_ROOT EP_PROFILE EP_DATA EP_CACHE PG_PORT POSTGRES_HOST POSTGRES_USER POSTGRES_PASSWORD KAFKA_PORT KAFKA_CONTROLLER_PORT \
  KAFKA_BOOTSTRAP_SERVERS KAFKA_PARTITIONS KAFKA_SECURITY_PROTOCOL KAFKA_SASL_MECHANISM KAFKA_ADMIN_USERNAME \
  KAFKA_USERNAME KAFKA_PASSWORD GATEWAY_PORT SMTP_PORT SERVICE_PORT_BASE \
  USERS_PORT EVENTS_PORT BOOKINGS_PORT PAYMENTS_PORT NOTIFICATIONS_PORT LOG_DIR \
  USERS_WORKER_PORT EVENTS_WORKER_PORT BOOKINGS_WORKER_PORT PAYMENTS_WORKER_PORT NOTIFICATIONS_WORKER_PORT
export POSTGRES_PORT="${POSTGRES_PORT:-$PG_PORT}"
log() { printf '\033[1;34m[%s]\033[0m %s\n' "$(basename "$0" .sh)" "$*"; }
