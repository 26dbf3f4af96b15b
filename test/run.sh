#!/usr/bin/env bash
# Runs the test files under the given roots with Node's test runner (through tsx), one file
# at a time so integration tests never race for the shared servers. Node 20's runner does
# not expand `**` globs itself, hence this script.
# --test-force-exit: a file whose test failed half-way can leave a socket or a loop open, and
# without it the runner waits for that file's process forever (a CI run hung that way).
# --test-timeout: a test with no timeout of its own fails after 10 minutes instead of hanging.
#   test/run.sh [root...]   default roots: libs services tools test
set -euo pipefail
cd "$(dirname "$0")/.."
roots=("$@")
[[ ${#roots[@]} -gt 0 ]] || roots=(libs services tools test)
mapfile -t files < <(find "${roots[@]}" -name node_modules -prune -o -name '*.test.ts' -print | sort)
[[ ${#files[@]} -gt 0 ]] || { echo "test/run.sh: no *.test.ts under ${roots[*]}" >&2; exit 1; }
exec node --import tsx --test --test-concurrency=1 --test-force-exit --test-timeout=600000 \
  --test-reporter=spec "${files[@]}"
