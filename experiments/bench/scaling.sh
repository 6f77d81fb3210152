#!/bin/sh
# How a sweep scales with parallel slots: the same sweep of real
# hpsearch-train trials (synthetic data, one BLAS thread each) run with
# -j 1, 2, 4, ... up to the number of cores, printing wall time, trials per
# second and the speed-up over -j 1. A measurement, never a pass/fail test.
#
# usage: experiments/bench/scaling.sh [BUILD_DIR] [TRIALS]
#   BUILD_DIR  holds bin/hpsearch and bin/hpsearch-train (default: build)
#   TRIALS     trials per measurement (default: 4 per core, at least 16)
set -eu
build=${1:-build}
cores=$(nproc)
trials=${2:-$((cores * 4 > 16 ? cores * 4 : 16))}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hpsearch=$(cd "$build" && pwd)/bin/hpsearch
cat >"$work/space.json" <<JSON
{"name": "scaling",
 "command": ["hpsearch-train", "--data", "synthetic", "--epochs", "30", "--hidden", "256,256"],
 "strategy": {"type": "random", "trials": $trials, "seed": 1},
 "seeds": 1,
 "params": {"lr": {"type": "loguniform", "low": 0.0003, "high": 0.01}}}
JSON
echo "cores: $cores, trials per run: $trials, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s %10s %10s %9s\n' jobs seconds trials/s speedup
base=
j=1
while [ "$j" -le "$cores" ]; do
    start=$(date +%s.%N)
    "$hpsearch" run "$work/space.json" --out "$work/j$j" -j "$j" >/dev/null
    end=$(date +%s.%N)
    secs=$(awk "BEGIN {print $end - $start}")
    [ -n "$base" ] || base=$secs
    awk -v j="$j" -v s="$secs" -v n="$trials" -v b="$base" \
        'BEGIN {printf "%6d %10.2f %10.2f %8.2fx\n", j, s, n / s, b / s}'
    j=$((j * 2))
done
