#!/usr/bin/env bash
# Local API gateway: nginx in the foreground on 127.0.0.1:$GATEWAY_PORT, everything it writes under
# $EP_DATA/gateway. The routes live in deploy/gateway/gateway.conf.template, shared with docker-compose.
#   run (default)  install nginx if missing, render the config, exec nginx (honcho's `gateway` process)
#   install        only make sure the nginx binary exists (Debian package)
#   render         only write $EP_DATA/gateway/nginx.conf (prints its path)
#   check          render and validate with `nginx -t`
#   stop           stop a gateway of this profile left running (by its pid file)
# Upstreams default to this profile's service ports; override with USERS_UPSTREAM=host:port etc.
# CORS_ALLOWED_ORIGINS: the browser origins that may call the API (cors_origins below).
# Rate limits per client address (GATEWAY_AUTH_* for the password endpoints, GATEWAY_IP_* for everything)
# default to human-sized budgets for `make run`; the test profile's are far higher, because the e2e suite
# and the benchmarks send everything from 127.0.0.1 (tests/gateway checks the limits with tight values).
set -euo pipefail
source "$(dirname "$0")/env.sh"
GW="$EP_DATA/gateway"

find_nginx() {
  command -v nginx 2>/dev/null && return
  for c in /usr/sbin/nginx /usr/local/sbin/nginx /usr/local/nginx/sbin/nginx; do [ -x "$c" ] && { echo "$c"; return; }; done
  return 1
}

install() {
  find_nginx >/dev/null && return 0
  log "nginx not found: installing it from Debian packages"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  # The package would start a system-wide nginx on port 80; a policy-rc.d that says "no" stops that
  # (the same trick Debian's container images use). Only ours is removed afterwards.
  local policy=/usr/sbin/policy-rc.d ours=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && ours=1
  fi
  local rc=0
  { $sudo apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nginx >/dev/null; } || rc=$?
  [ "$ours" = 1 ] && $sudo rm -f "$policy"
  [ "$rc" = 0 ] || { echo "could not install nginx (apt-get exit $rc)" >&2; exit "$rc"; }
  find_nginx >/dev/null || { echo "nginx still not found after installing it" >&2; exit 1; }
}

resolver() {
  # Only needed when upstreams are host names; IP literals (the local default) never consult it.
  awk '/^nameserver/ { print ($2 ~ /:/ ? "[" $2 "]" : $2); exit }' /etc/resolv.conf 2>/dev/null | grep . || echo 127.0.0.1
}

# Seconds until a zone with this nginx rate (`10r/s`, `30r/m`) frees one request: the Retry-After it sends.
retry_after() {
  local n="${1%r/*}" unit="${1##*/}"
  if [ "$unit" = m ]; then echo $(( (60 + n - 1) / n )); else echo 1; fi
}

rate_limits() {
  if [ "$EP_PROFILE" = test ]; then
    : "${GATEWAY_AUTH_RATE:=100r/s}" "${GATEWAY_AUTH_BURST:=1000}" "${GATEWAY_IP_RATE:=2000r/s}" "${GATEWAY_IP_BURST:=4000}"
  else
    : "${GATEWAY_AUTH_RATE:=30r/m}" "${GATEWAY_AUTH_BURST:=10}" "${GATEWAY_IP_RATE:=50r/s}" "${GATEWAY_IP_BURST:=200}"
  fi
  : "${GATEWAY_AUTH_RETRY_AFTER:=$(retry_after "$GATEWAY_AUTH_RATE")}" "${GATEWAY_IP_RETRY_AFTER:=$(retry_after "$GATEWAY_IP_RATE")}"
  export GATEWAY_AUTH_RATE GATEWAY_AUTH_BURST GATEWAY_AUTH_RETRY_AFTER GATEWAY_IP_RATE GATEWAY_IP_BURST GATEWAY_IP_RETRY_AFTER
}

# Browser origins allowed to call the API (CORS; the gateway template says how they are matched).
# CORS_ALLOWED_ORIGINS: exact origins, `scheme://host:*` (any port) or `*`, comma- or space-separated. Unset:
# localhost on any port in development, none in production (ENVIRONMENT=production). Set but empty: none.
cors_origins() {
  if [ -n "${CORS_ALLOWED_ORIGINS+set}" ]; then
    local origin list IFS=$' \t\n,'
    read -ra list <<< "$CORS_ALLOWED_ORIGINS"   # (read, not word splitting: `*` must not glob)
    for origin in "${list[@]}"; do
      [[ "$origin" =~ ^(\*|https?://[^/|[:space:]]+)$ ]] ||
        { echo "CORS_ALLOWED_ORIGINS: '$origin' is not an origin (scheme://host[:port], no path; or *)" >&2; exit 2; }
    done
    echo "${CORS_ALLOWED_ORIGINS}"
  elif [ "$(echo "${ENVIRONMENT:-development}" | tr '[:upper:]' '[:lower:]')" = production ]; then
    echo ""
  else
    echo "http://localhost:* http://127.0.0.1:* http://[::1]:*"
  fi
}

# Upstreams given as an IP address and port get an `upstream` block with keepalive (nginx then reuses
# its connections to the service instead of opening one per request), and the variable names the block:
# `proxy_pass http://$upstream` finds a server group of that name before asking the resolver. Host names
# stay per-request lookups (docker-compose: the gateway starts while a service is down). max_fails=0: a
# service that was down is tried again at once; the idle timeout stays below uvicorn's 5 s keep-alive.
keepalive_upstreams() {
  local var ref value name
  for var in USERS EVENTS BOOKINGS PAYMENTS NOTIFICATIONS; do
    ref="${var}_UPSTREAM"; value="${!ref}"
    [[ "$value" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}:[0-9]+$ ]] || continue
    name="ep_$(echo "$var" | tr 'A-Z' 'a-z')_api"
    printf 'upstream %s { server %s max_fails=0; keepalive 32; keepalive_timeout 4s; }\n' "$name" "$value"
    export "${var}_UPSTREAM=$name"
  done
}

render() {
  mkdir -p "$GW/logs" "$GW/temp"
  rate_limits
  GATEWAY_CORS_ORIGINS="$(cors_origins)"; export GATEWAY_CORS_ORIGINS
  export GATEWAY_LISTEN="${GATEWAY_LISTEN:-127.0.0.1:$GATEWAY_PORT}"
  export GATEWAY_RESOLVER="${GATEWAY_RESOLVER:-$(resolver)}"
  export GATEWAY_DOCS_ROOT="${GATEWAY_DOCS_ROOT:-$EP_ROOT/deploy/gateway/docs}"
  export GATEWAY_ACCESS_LOG="${GATEWAY_ACCESS_LOG:-$GW/logs/access.log}"
  export USERS_UPSTREAM="${USERS_UPSTREAM:-127.0.0.1:$USERS_PORT}"
  export EVENTS_UPSTREAM="${EVENTS_UPSTREAM:-127.0.0.1:$EVENTS_PORT}"
  export BOOKINGS_UPSTREAM="${BOOKINGS_UPSTREAM:-127.0.0.1:$BOOKINGS_PORT}"
  export PAYMENTS_UPSTREAM="${PAYMENTS_UPSTREAM:-127.0.0.1:$PAYMENTS_PORT}"
  export NOTIFICATIONS_UPSTREAM="${NOTIFICATIONS_UPSTREAM:-127.0.0.1:$NOTIFICATIONS_PORT}"
  export USERS_WORKER_UPSTREAM="${USERS_WORKER_UPSTREAM:-127.0.0.1:$USERS_WORKER_PORT}"
  export EVENTS_WORKER_UPSTREAM="${EVENTS_WORKER_UPSTREAM:-127.0.0.1:$EVENTS_WORKER_PORT}"
  export BOOKINGS_WORKER_UPSTREAM="${BOOKINGS_WORKER_UPSTREAM:-127.0.0.1:$BOOKINGS_WORKER_PORT}"
  export PAYMENTS_WORKER_UPSTREAM="${PAYMENTS_WORKER_UPSTREAM:-127.0.0.1:$PAYMENTS_WORKER_PORT}"
  export NOTIFICATIONS_WORKER_UPSTREAM="${NOTIFICATIONS_WORKER_UPSTREAM:-127.0.0.1:$NOTIFICATIONS_WORKER_PORT}"
  export GATEWAY_ASYNCAPI_ROOT="${GATEWAY_ASYNCAPI_ROOT:-$EP_ROOT/docs}"
  keepalive_upstreams > "$GW/upstreams.conf"
  # envsubst semantics (only ${NAME} of defined variables), in Python because gettext may be absent;
  # any placeholder left unset is an error rather than a silently broken route.
  python3 - "$EP_ROOT/deploy/gateway/gateway.conf.template" "$GW/gateway.conf" <<'PY'
import os, re, sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
missing = sorted({m for m in re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", text) if m not in os.environ})
if missing:
    sys.exit(f"gateway template: unset {', '.join(missing)}")
open(dst, "w", encoding="utf-8").write(re.sub(r"\$\{([A-Z][A-Z0-9_]*)\}", lambda m: os.environ[m.group(1)], text))
PY
  # A root master would hand requests to `nobody` workers, which cannot read a checkout under /root;
  # this gateway listens on loopback only, so workers keep the invoking user.
  local user_line=""; [ "$(id -u)" = 0 ] && user_line="user root;"
  cat > "$GW/nginx.conf" <<CONF
# Generated by deploy/gateway.sh — edit deploy/gateway/gateway.conf.template instead.
daemon off;
$user_line
worker_processes ${GATEWAY_WORKERS:-2};
pid $GW/nginx.pid;
# Refused connections while services start are expected (clients get a 503 problem and the access log
# shows it), so the process output only carries what needs a person; the file keeps everything.
error_log $GW/logs/error.log warn;
error_log stderr crit;
events { worker_connections 4096; }
http {
    client_body_temp_path $GW/temp/client_body;
    proxy_temp_path $GW/temp/proxy;
    fastcgi_temp_path $GW/temp/fastcgi;
    uwsgi_temp_path $GW/temp/uwsgi;
    scgi_temp_path $GW/temp/scgi;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    server_tokens off;
    include $GW/upstreams.conf;
    include $GW/gateway.conf;
}
CONF
  echo "$GW/nginx.conf"
}

check() {
  install; render >/dev/null
  "$(find_nginx)" -p "$GW" -c "$GW/nginx.conf" -e stderr -t
}

run() {
  install; render >/dev/null
  log "gateway on http://$GATEWAY_LISTEN (docs: /docs/, logs: $GW/logs)"
  # exec: honcho's SIGTERM reaches nginx itself (fast shutdown); -e keeps start-up errors off /var/log.
  exec "$(find_nginx)" -p "$GW" -c "$GW/nginx.conf" -e stderr
}

stop() {
  local pidfile="$GW/nginx.pid" pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid"
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
}

"${1:-run}"
