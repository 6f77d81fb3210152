#!/bin/sh
# TPE quality: hpsearch's tpe (lag 0) and random strategies against Optuna
# 3.1's TPESampler and RandomSampler (defaults, seeded) on standard test
# functions with known optima; prints the median regret after 25, 50 and the
# last trial per function and sampler, and whether hpsearch's TPE is at or
# below Optuna's.
#
# usage: experiments/tpe-quality/run.sh [--build DIR] [TRIALS [SEEDS]]
#   --build DIR  build tree for hp_strategies (default: build/ in the repository)
#   TRIALS       trials per search (default 100, at least 50)
#   SEEDS        seeds per function and sampler (default 20)
# env: OUT=DIR   keep the raw lines there (default: a temporary directory)
# The Optuna columns need /usr/bin/python3 with optuna (Debian python3-optuna);
# without it only hpsearch's columns are printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$src/build
if [ "${1:-}" = "--build" ]; then build=$2; shift 2; fi
trials=${1:-100}
seeds=${2:-20}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target hp_strategies -j2 >/dev/null
mkdir -p "$build/bench"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra \
    -I"$src/strategies" -I"$src/common" -o "$build/bench/tpe_quality" \
    "$here/driver.c" "$build/strategies/libhp_strategies.a" \
    "$build/common/libhp_common.a" $(pkg-config --cflags --libs jansson) -lm

out=${OUT:-}
if [ -z "$out" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

"$build/bench/tpe_quality" "$trials" "$seeds" >"$out/hpsearch.txt"
files=$out/hpsearch.txt
if /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
    /usr/bin/python3 "$here/optuna_run.py" "$trials" "$seeds" >"$out/optuna.txt"
    files="$files $out/optuna.txt"
else
    echo "run.sh: /usr/bin/python3 cannot import optuna; hpsearch columns only" >&2
fi
if [ -x /usr/bin/python3 ]; then
    # shellcheck disable=SC2086
    /usr/bin/python3 "$here/summarize.py" $files
else
    cat $files
fi
