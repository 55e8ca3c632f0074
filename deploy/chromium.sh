#!/usr/bin/env bash
# Headless Chromium for the docs render test (tests/e2e/test_docs.py), from Debian packages: playwright's own
# browser download needs internet that CI does not have. Installed the way postgres.sh installs a missing
# PostgreSQL (apt-get as root, or with sudo).
#   install   make sure a chromium binary exists (prints its path); on failure say why and exit non-zero
#   path      print the binary's path, or nothing (exit 1) when there is none
set -euo pipefail
source "$(dirname "$0")/env.sh"

find_chromium() {
  for c in chromium chromium-browser google-chrome; do command -v "$c" 2>/dev/null && return; done
  return 1
}

install() {
  find_chromium && return 0
  log "chromium not found: installing it from Debian packages (for the docs render test)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  local rc=0
  { $sudo apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=300 chromium >/dev/null; } || rc=$?
  [ "$rc" = 0 ] || { echo "could not install chromium (apt-get exit $rc)" >&2; exit "$rc"; }
  find_chromium || { echo "chromium still not found after installing it" >&2; exit 1; }
}

path() { find_chromium; }

"${1:-install}"
