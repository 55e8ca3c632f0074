#!/usr/bin/env bash
# Local PostgreSQL: a cluster under $EP_DATA/pg with one database per service.
# `up` is idempotent (reuses the cluster), `down` stops it. With EXTERNAL_POSTGRES=1 and
# POSTGRES_HOST/PORT/USER/PASSWORD pointing at a server, only the databases are created.
set -euo pipefail
source "$(dirname "$0")/env.sh"
PGDATA="$EP_DATA/pg"

find_bin() {
  for d in "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent)")" /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  log "pg_ctl not found: installing postgresql from Debian packages"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  echo "no PostgreSQL server binaries" >&2; exit 1
}

# PostgreSQL refuses to run as root: the cluster belongs to an unprivileged account.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_OWNER" -- "$@"; else "$@"; fi; }

create_databases() {
  for db in $SERVICES; do
    PGPASSWORD="$POSTGRES_PASSWORD" psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
      PGPASSWORD="$POSTGRES_PASSWORD" psql -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE $db"
  done
}

up() {
  if [ "${EXTERNAL_POSTGRES:-0}" = 1 ]; then create_databases; log "using external PostgreSQL at $POSTGRES_HOST:$POSTGRES_PORT"; return; fi
  BIN=$(find_bin)
  PG_OWNER="${PG_OWNER:-$( [ "$(id -u)" = 0 ] && echo postgres || id -un)}"
  if [ "$(id -u)" = 0 ] && ! id "$PG_OWNER" >/dev/null 2>&1; then useradd --system --no-create-home "$PG_OWNER"; fi
  mkdir -p "$EP_DATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "initialising cluster in $PGDATA"
    mkdir -p "$PGDATA"; [ "$(id -u)" = 0 ] && chown "$PG_OWNER" "$PGDATA"
    pwfile=$(mktemp); echo "$POSTGRES_PASSWORD" > "$pwfile"; chmod 644 "$pwfile"
    as_owner "$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PGDATA'
max_connections = 400
shared_buffers = 256MB
fsync = ${PG_FSYNC:-on}
synchronous_commit = ${PG_SYNCHRONOUS_COMMIT:-on}
log_min_messages = warning
CONF
    # statement counts and times for the benchmarks (bench/_statements.py), where the server ships the library
    if [ -e "$(dirname "$(readlink -f "$BIN/pg_ctl")")/../lib/pg_stat_statements.so" ]; then
      echo "shared_preload_libraries = 'pg_stat_statements'" >> "$PGDATA/postgresql.conf"
    fi
  fi
  if ! as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start >/dev/null
  fi
  create_databases
  log "PostgreSQL on $POSTGRES_HOST:$PG_PORT (databases: $SERVICES)"
}

down() {
  [ -s "$PGDATA/PG_VERSION" ] || return 0
  BIN=$(find_bin); PG_OWNER=$(stat -c %U "$PGDATA")
  as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
}

"${1:-up}"
