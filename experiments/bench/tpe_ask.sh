#!/bin/sh
# What one ask of the tpe strategy costs at 100, 1000 and 10,000 finished
# configs, next to Optuna 3.1's TPESampler measured in the same run.
#
# usage: experiments/bench/tpe_ask.sh [--build DIR] [N ...]
#   --build DIR  the build tree to build hp_strategies in (default: build/ in
#                the repository; configured if it does not exist)
#   N ...        finished-config counts (default: 100 1000 10000)
#
# Both sides use the same 5-parameter space (uniform x in [-5, 5], log lr in
# [1e-5, 1], int units in [1, 256], choice act of 4, stepped drop in [0, 0.5]
# by 0.05) and the same synthetic objective (experiments/bench/tpe_ask.c).
#  - hpsearch: experiments/bench/tpe_ask.c runs one sequential tpe search
#    (lag 0, seed 1) and times the 50 asks after N configs have finished.
#  - Optuna (when /usr/bin/python3 imports optuna; Debian python3-optuna):
#    TPESampler(seed=1) with its defaults, on an in-memory study holding N
#    finished trials (random parameters, added with add_trials); times 20
#    study.ask(distributions) calls, which sample every parameter, each
#    followed by study.tell. Its history is random rather than TPE's own;
#    the cost of an ask depends on the count, not on where the points lie.
# Prints the median ms per ask of each side and the ratio Optuna / hpsearch.
# A measurement, never a pass/fail test: the machine's load moves these numbers.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "tpe_ask.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || set -- 100 1000 10000
case $build in /*) ;; *) build=$(pwd)/$build ;; esac

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target hp_strategies -j2 >/dev/null
mkdir -p "$build/bench"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra \
    -I"$src/strategies" -I"$src/common" -o "$build/bench/tpe_ask" \
    "$src/experiments/bench/tpe_ask.c" "$build/strategies/libhp_strategies.a" \
    "$build/common/libhp_common.a" $(pkg-config --cflags --libs jansson) -lm

ours=$("$build/bench/tpe_ask" "$@")

theirs=
if /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
    theirs=$(/usr/bin/python3 - "$@" <<'PY'
import math, statistics, sys, time
import optuna
from optuna.distributions import (CategoricalDistribution, FloatDistribution,
                                  IntDistribution)

optuna.logging.set_verbosity(optuna.logging.WARNING)
REPS = 20
space = {
    "x": FloatDistribution(-5, 5),
    "lr": FloatDistribution(1e-5, 1, log=True),
    "units": IntDistribution(1, 256),
    "act": CategoricalDistribution(["relu", "gelu", "tanh", "silu"]),
    "drop": FloatDistribution(0, 0.5, step=0.05),
}

def objective(p):
    lr = math.log10(p["lr"])
    return ((p["x"] - 1.3) ** 2 + (lr + 2.5) ** 2 + abs(p["units"] - 100) / 50
            + (p["drop"] - 0.2) ** 2 * 10 + (0 if p["act"] == "gelu" else 0.5))

for n in map(int, sys.argv[1:]):
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))
    rng = optuna.samplers.RandomSampler(seed=2)
    history = optuna.create_study(sampler=rng)
    trials = []
    for _ in range(n):
        t = history.ask(space)
        trials.append(optuna.trial.create_trial(params=t.params, distributions=space,
                                                value=objective(t.params)))
    study.add_trials(trials)
    spent = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        t = study.ask(space)
        spent.append(time.perf_counter() - t0)
        study.tell(t, objective(t.params))
    print(n, "%.4f" % (statistics.median(spent) * 1000), flush=True)
PY
    ) || theirs=
fi

echo "finished configs | hpsearch tpe ms/ask | optuna 3.1 TPESampler ms/ask | optuna / hpsearch"
echo "$ours" | while read -r n ms; do
    other=$(echo "$theirs" | awk -v n="$n" '$1 == n { print $2 }')
    if [ -n "$other" ]; then
        ratio=$(awk -v a="$other" -v b="$ms" 'BEGIN { printf "%.1f", a / b }')
        printf '%s | %s | %s | %sx\n' "$n" "$ms" "$other" "$ratio"
    else
        printf '%s | %s | (optuna not importable by /usr/bin/python3) | -\n' "$n" "$ms"
    fi
done
