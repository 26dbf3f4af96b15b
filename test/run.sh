#!/usr/bin/env bash
# Runs the test files under the given roots (folders or single files) with Node's test runner
# through tsx, one file at a time so integration tests never race for the shared servers.
# Node ≥ 22 expands the `**` globs itself. The project's own Node 24 (node_modules/.bin/node,
# from the `node` dev dependency) goes first on PATH, so calling this script directly runs the
# same Node as `npm test` does, not the system's.
# test/support/exit-guard.ts: a file whose test failed half-way can leave a socket or a loop
#   open, and the runner would wait for that file's process forever (a CI run hung that way).
#   The guard ends such a process a grace period after its last test. Not --test-force-exit:
#   that exits before the runner has read the file's last verdicts, so a run reported fewer
#   tests than ran and still passed (nodejs/node#64833).
# --test-timeout: a test with no timeout of its own fails after 10 minutes instead of hanging.
#   test/run.sh [root...]   default roots: libs services tools test
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
major=$(node -p 'process.versions.node.split(".")[0]')
((major >= 22)) || {
  echo "test/run.sh: node $(node --version) is too old; run \`npm ci\` to install the project's Node 24" >&2
  exit 1
}
roots=("$@")
[[ ${#roots[@]} -gt 0 ]] || roots=(libs services tools test)
patterns=()
for root in "${roots[@]}"; do
  [[ -e $root ]] || { echo "test/run.sh: no such file or folder: $root" >&2; exit 1; }
  if [[ -f $root ]]; then patterns+=("$root"); else patterns+=("${root%/}/**/*.test.ts"); fi
done
exec node --import tsx --import ./test/support/exit-guard.ts --test --test-concurrency=1 \
  --test-timeout=600000 --test-reporter=spec "${patterns[@]}"
