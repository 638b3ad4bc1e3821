#!/usr/bin/env bash
# Sets up jiko-auth on a fresh Debian machine with Node.js 20 and npm: the system packages the tests use
# (redis-server, and chromium for the demo's browser test), pnpm at
# the pinned version, and the dependencies (better-sqlite3 compiles from source against Node's headers).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian's packages"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  echo "setup: installing pnpm 12.4.2"
  npm i -g pnpm@12.4.2 >/dev/null
fi

# pnpm ignores nodedir in .npmrc; node-gyp needs Node's headers to build better-sqlite3.
export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
pnpm install --frozen-lockfile
