#!/usr/bin/env bash
# Runs the test files under the given roots with Node's test runner (through tsx), one file
# at a time so integration tests never race for the shared servers. Node 20's runner does
# not expand `**` globs itself, hence this script.
#   test/run.sh [root...]   default roots: libs services tools test
set -euo pipefail
cd "$(dirname "$0")/.."
roots=("$@")
[[ ${#roots[@]} -gt 0 ]] || roots=(libs services tools test)
mapfile -t files < <(find "${roots[@]}" -name node_modules -prune -o -name '*.test.ts' -print | sort)
[[ ${#files[@]} -gt 0 ]] || { echo "test/run.sh: no *.test.ts under ${roots[*]}" >&2; exit 1; }
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
