#!/usr/bin/env bash
# Sets up jiko-auth on a fresh Debian machine with Node.js 20.19+ and npm: the system packages the tests use
# (redis-server, and chromium for the demo's browser test), pnpm at
# the pinned version, and the dependencies (better-sqlite3 compiles from source against Node's headers).
#
#   bash scripts/setup.sh            for the machine's Node (the `node` on PATH)
#   bash scripts/setup.sh --node 22  also installs the pinned Node 22 into .node/22/ (git-ignored) and puts a
#                                    better-sqlite3 built for it in place; then run it with PATH=.node/22/bin:$PATH.
#                                    `bash scripts/setup.sh` puts the machine Node's build back.
# Each Node's better-sqlite3 build is kept in .node/addons/, so switching back and forth is a copy, not a compile.
set -euo pipefail
cd "$(dirname "$0")/.."

# The other Node versions the test suite runs on (scripts/test-node-versions.sh), exact, from npm's node-<os>-<arch>
# packages, which ship each Node's headers (include/node) for native builds.
declare -A node_pins=([22]=22.23.5 [24]=24.22.3)

target=machine
while [ $# -gt 0 ]; do
  case "$1" in
    --node)
      target="${2:-}"
      shift 2 || true
      if [ -z "${node_pins[$target]:-}" ]; then
        echo "setup: --node takes one of: ${!node_pins[*]}" >&2
        exit 2
      fi
      ;;
    *)
      echo "usage: bash scripts/setup.sh [--node <${!node_pins[*]// /|}>]" >&2
      exit 2
      ;;
  esac
done

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
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
machine_prefix="$(dirname "$(dirname "$(command -v node)")")"
export npm_config_nodedir="$machine_prefix"
pnpm install --frozen-lockfile

# Installs a pinned Node into .node/<major>/ from npm's node-<os>-<arch> package (binary and headers).
install_node() {
  local major="$1" version="${node_pins[$1]}" dir=".node/$1" arch
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version)" = "v$version" ]; then return; fi
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "setup: no Node package for $(uname -m)" >&2 && exit 1 ;;
  esac
  echo "setup: installing Node $version into $dir"
  local download
  download="$(mktemp -d)"
  (cd "$download" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$download"/*.tgz -C "$dir" --strip-components=1
  rm -rf "$download"
  if [ "$("$dir/bin/node" --version)" != "v$version" ] || [ ! -f "$dir/include/node/node.h" ]; then
    echo "setup: $dir holds no Node $version with its headers (include/node)" >&2
    exit 1
  fi
}

# Puts a better-sqlite3 built for the given Node in place: the one installed when it loads, else the one kept in
# .node/addons/ for that Node's ABI, else a fresh build (in a copy of the package, with the headers under nodedir).
# The installed file is replaced by a rename, never written into: pnpm hard-links packages from its store.
use_better_sqlite3() {
  local node="$1" nodedir="$2" abi platform package version addon cache build
  abi="$("$node" -p process.versions.modules)"
  platform="$("$node" -p 'process.platform + "-" + process.arch')"
  mkdir -p .node/addons
  for package in node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do
    [ -f "$package/package.json" ] || continue
    version="$("$node" -p 'require(process.argv[1]).version' "$PWD/$package/package.json")"
    addon="$package/build/Release/better_sqlite3.node"
    cache=".node/addons/better-sqlite3-$version-node-v$abi-$platform.node"
    if better_sqlite3_loads "$node" "$package"; then
      if [ ! -f "$cache" ]; then cp "$addon" "$cache.tmp" && mv -f "$cache.tmp" "$cache"; fi
      continue
    fi
    if [ ! -f "$cache" ]; then
      echo "setup: building better-sqlite3 $version for Node $("$node" --version) (about 80 s)"
      build="$(mktemp -d)"
      cp -R "$package/." "$build"
      rm -rf "$build/build"
      (cd "$build" && PATH="$(dirname "$node"):$PATH" npm_config_nodedir="$nodedir" JOBS=max \
        npm run --silent build-release >"$build.log" 2>&1) || {
        cat "$build.log" >&2
        exit 1
      }
      cp "$build/build/Release/better_sqlite3.node" "$cache.tmp" && mv -f "$cache.tmp" "$cache"
      rm -rf "$build" "$build.log"
    fi
    mkdir -p "$(dirname "$addon")"
    cp "$cache" "$addon.tmp" && mv -f "$addon.tmp" "$addon"
    if ! better_sqlite3_loads "$node" "$package"; then
      echo "setup: better-sqlite3 does not load on Node $("$node" --version)" >&2
      exit 1
    fi
  done
}

better_sqlite3_loads() {
  "$1" -e 'new (require(process.argv[1]))(":memory:").close()' "$PWD/$2" 2>/dev/null
}

if [ "$target" = machine ]; then
  use_better_sqlite3 "$(command -v node)" "$machine_prefix"
else
  install_node "$target"
  use_better_sqlite3 "$PWD/.node/$target/bin/node" "$PWD/.node/$target"
fi
