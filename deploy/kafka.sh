#!/usr/bin/env bash
# Local Apache Kafka: a single-node KRaft broker (combined broker+controller) under $EP_DATA/kafka,
# from Maven Central jars cached in $EP_CACHE/kafka. `up` fetches, formats on first use (with a SCRAM
# user per principal of libs/contracts/src/contracts/access.py, passwords from deploy/env.sh), starts,
# waits until the broker answers, creates the topics and applies the ACLs; `down` stops it.
# With EXTERNAL_KAFKA=1 and KAFKA_BOOTSTRAP_SERVERS set, only the topics and ACLs are applied, as
# KAFKA_ADMIN_USERNAME (the users must exist there already; see README "Kafka security").
set -euo pipefail
source "$(dirname "$0")/env.sh"
KDATA="$EP_DATA/kafka"; LIBS="$EP_CACHE/kafka/libs"

fetch() {
  [ -f "$LIBS/.complete" ] && return 0
  log "fetching Apache Kafka jars from Maven Central (first run only)"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -f "$EP_ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS" >/dev/null
  touch "$LIBS/.complete"
}

kafka_java() { java -Xms256m -Xmx768m -Dlog4j2.configurationFile="$EP_ROOT/deploy/kafka/log4j2.properties" \
  -Dkafka.logs.dir="$KDATA/logs" -cp "$LIBS/*" "$@"; }

running() { [ -f "$KDATA/broker.pid" ] && kill -0 "$(cat "$KDATA/broker.pid")" 2>/dev/null; }

# Topics and ACLs are made by the super user; every other client has its own principal.
as_admin() { KAFKA_USERNAME="$KAFKA_ADMIN_USERNAME" KAFKA_PASSWORD="$KAFKA_ADMIN_PASSWORD" "$@"; }

create_topics() {  # and the ACLs, in one Python process (its start-up is most of the time this takes)
  (cd "$EP_ROOT" && as_admin .venv/bin/python -m deploy.create_topics --bootstrap "$KAFKA_BOOTSTRAP_SERVERS" \
    --partitions "$KAFKA_PARTITIONS" --acls)
}

password_of() {  # KAFKA_<NAME>_PASSWORD, which deploy/env.sh sets for every principal
  local var="KAFKA_${1^^}_PASSWORD"
  [ -n "${!var:-}" ] || { echo "kafka.sh: no password for Kafka principal $1: set $var" >&2; exit 1; }
  [[ "${!var}" =~ ^[A-Za-z0-9._~-]+$ ]] || { echo "kafka.sh: $var: use letters, digits and ._~- only" >&2; exit 1; }
  printf '%s' "${!var}"
}

format() {
  local scram=() name
  for name in $(cd "$EP_ROOT" && .venv/bin/python -m deploy.kafka_acls --usernames); do
    password_of "$name" >/dev/null  # stops here, not inside a $(...), when one is missing
    scram+=(--add-scram "SCRAM-SHA-512=[name=$name,password=\"$(password_of "$name")\"]")
  done
  # Only the broker itself logs in on the controller listener: a fresh random password, kept in server.properties.
  local controller; controller=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  (umask 077; sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CPORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@DATA@#$KDATA/data#g" \
    -e "s#@ADMIN_PASSWORD@#$(password_of admin)#g" -e "s#@CONTROLLER_PASSWORD@#$controller#g" \
    "$EP_ROOT/deploy/kafka/server.properties.in" > "$KDATA/server.properties")
  kafka_java kafka.tools.StorageTool format --standalone -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
    -c "$KDATA/server.properties" "${scram[@]}" >/dev/null
  touch "$KDATA/formatted.sasl"
}

up() {
  if [ "${EXTERNAL_KAFKA:-0}" = 1 ]; then create_topics; return; fi
  fetch
  mkdir -p "$KDATA/logs"
  if [ -f "$KDATA/meta.properties.done" ] && [ ! -f "$KDATA/formatted.sasl" ]; then
    echo "kafka.sh: $KDATA was formatted before Kafka required SASL/SCRAM and ACLs; its users cannot be added" \
      "in place. Start from a clean state: \`make clean\` (run profile) or deploy/run_tests.sh --fresh (test)." >&2
    exit 1
  fi
  [ -f "$KDATA/formatted.sasl" ] || format
  if ! running; then
    nohup java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile="$EP_ROOT/deploy/kafka/log4j2.properties" \
      -Dkafka.logs.dir="$KDATA/logs" -cp "$LIBS/*" kafka.Kafka "$KDATA/server.properties" \
      > "$KDATA/logs/stdout.log" 2>&1 &
    echo $! > "$KDATA/broker.pid"
  fi
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then break; fi
    running || { tail -30 "$KDATA/logs/stdout.log" >&2; exit 1; }
    sleep 0.5
  done
  create_topics
  log "Kafka on $KAFKA_BOOTSTRAP_SERVERS"
}

down() {
  running || return 0
  pid=$(cat "$KDATA/broker.pid"); kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$KDATA/broker.pid"
}

"${1:-up}"
