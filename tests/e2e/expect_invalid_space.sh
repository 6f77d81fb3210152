#!/bin/sh
# usage: expect_invalid_space.sh HPSEARCH CASE_DIR
# Runs `hpsearch run --dry-run space.json` inside CASE_DIR and checks that it
# exits 2 with exactly the line in expected.txt on stderr and nothing on stdout.
set -u
hpsearch=$1
cd "$2" || exit 1
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$hpsearch" run --dry-run space.json >"$out" 2>"$err"
status=$?
if [ "$status" -ne 2 ]; then
    echo "expected exit status 2, got $status"; cat "$err"; exit 1
fi
if ! cmp -s "$err" expected.txt; then
    echo "stderr differs from expected.txt:"; diff expected.txt "$err"; exit 1
fi
if [ -s "$out" ]; then
    echo "unexpected output on stdout:"; cat "$out"; exit 1
fi
