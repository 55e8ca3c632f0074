#!/usr/bin/env bash
# Everything a fresh clone needs before anything runs: uv (installed into .cache/bootstrap when the
# machine has none), the project's virtualenv from uv.lock, and the Apache Kafka jars (cached).
# Idempotent and quick when nothing changed, so every make target calls it.
#   all (default)  uv, `uv sync --frozen`, Kafka jars
#   uv_bin         print the path of a usable uv (installing it first if needed)
set -euo pipefail
source "$(dirname "$0")/env.sh"
UV_VERSION="${UV_VERSION:-0.13.9}"
BOOT="$EP_CACHE/bootstrap"

find_uv() {
  if [ -n "${UV:-}" ] && [ -x "$UV" ]; then echo "$UV"; return; fi
  if [ -x "$BOOT/bin/uv" ]; then echo "$BOOT/bin/uv"; return; fi
  command -v uv 2>/dev/null
}

install_uv() {
  log "uv not found: installing uv $UV_VERSION into $BOOT"
  local py; py=$(command -v python3.11 || command -v python3) || { echo "python3 is required" >&2; exit 1; }
  rm -rf "$BOOT"
  if ! "$py" -m venv "$BOOT" >/dev/null 2>&1; then
    # Debian splits ensurepip into python3-venv.
    [ "$(id -u)" = 0 ] || { echo "python3 -m venv failed: install python3-venv" >&2; exit 1; }
    log "installing python3-venv"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$BOOT"; "$py" -m venv "$BOOT"
  fi
  "$BOOT/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
}

uv_bin() {
  local bin; bin=$(find_uv || true)
  [ -n "$bin" ] || { install_uv >&2; bin="$BOOT/bin/uv"; }
  echo "$bin"
}

all() {
  local bin; bin=$(uv_bin)
  cd "$EP_ROOT"
  # --frozen: install exactly what uv.lock says, never re-resolve on a user's machine.
  "$bin" sync --frozen --quiet
  bash "$EP_ROOT/deploy/kafka.sh" fetch
}

"${1:-all}"
