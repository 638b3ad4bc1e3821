#!/usr/bin/env bash
# Runs every test of every package on other Node versions than the machine's:
#
#   bash scripts/test-node-versions.sh          on Node 22 and Node 24
#   bash scripts/test-node-versions.sh 24       on Node 24 only
#
# For each version: `scripts/setup.sh --node <major>` (the pinned Node in .node/<major>/, and a better-sqlite3
# built for it), then the whole suite on that Node with turbo's cache off, so that every test really runs there
# and the machine Node's cached results stay its own. Each version's vitest reports are kept in
# .test-results/node-v<version>/ (`.ci/summarize.mjs` sums them). At the end the machine Node's better-sqlite3 is
# put back, so `pnpm test` works as before. Exits 1 when a test failed on any version.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)

restore() {
  bash scripts/setup.sh >/dev/null ||
    echo "test-node-versions: could not put the machine Node's better-sqlite3 back; run bash scripts/setup.sh" >&2
}
trap restore EXIT
trap 'exit 130' INT TERM

# The folders whose package.json has a test script (the ones .ci/summarize.mjs reads).
report_dirs=(bench packages/* apps/* examples/*)

status=0
for major in "${majors[@]}"; do
  if ! bash scripts/setup.sh --node "$major"; then
    echo "test-node-versions: could not set up Node $major" >&2
    status=1
    continue
  fi
  bin="$PWD/.node/$major/bin"
  version="$("$bin/node" --version)"
  for dir in "${report_dirs[@]}"; do rm -f "$dir/test-results.json"; done

  echo "test-node-versions: every test on Node $version"
  started=$SECONDS
  PATH="$bin:$PATH" pnpm exec turbo run test --continue --cache=local: || status=1
  echo "test-node-versions: Node $version took $((SECONDS - started)) s"

  saved=".test-results/node-$version"
  rm -rf "$saved"
  mkdir -p "$saved"
  for dir in "${report_dirs[@]}"; do
    if [ -f "$dir/test-results.json" ]; then
      mkdir -p "$saved/$dir"
      mv "$dir/test-results.json" "$saved/$dir/test-results.json"
    fi
  done
done
exit $status
