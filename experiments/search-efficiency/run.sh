#!/bin/sh
# Search efficiency (Fashion-MNIST, hpsearch-train): random search at full
# budget vs hpsearch's median, asha and hyperband schedulers, the tpe sampler
# (alone and under asha), Population Based Training (pbt), and Optuna 3.1's
# MedianPruner and SuccessiveHalvingPruner driving hpsearch-train, the same
# space and epoch budgets, 3 repeats (sampler seeds 1, 2, 3); then each
# method's selected config is retrained with trainer seeds 0, 1, 2 for the
# test accuracy's mean and 95% CI. Prints markdown tables (also in
# OUT/summary.md; the curves in OUT/curves.csv).
#
# usage: experiments/search-efficiency/run.sh [BUILD_DIR] [JOBS] [-- bench.py run options]
#   BUILD_DIR  a build tree with bin/hpsearch and bin/hpsearch-train (default: build)
#   JOBS       parallel trials (default: 2)
#   options    e.g. --repeats 1, --methods random,asha,pbt, --max-epochs 9,
#              --retrain-seeds none
#              (see: /usr/bin/python3 experiments/search-efficiency/bench.py run -h)
# env: SMOKE=1  a tiny size (9 configs, 9 epochs, 2000 images, 1 repeat) to check the plumbing
#      OUT=DIR  run directory (default: runs/search-efficiency-<UTC time> in this checkout)
# A method whose space this hpsearch does not accept yet is skipped, and the table says so.
# Needs Debian's python3-optuna for /usr/bin/python3 (apt-get install python3-optuna).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build
jobs=2
if [ $# -ge 1 ] && [ "$1" != "--" ]; then build=$1; shift; fi
if [ $# -ge 1 ] && [ "$1" != "--" ]; then jobs=$1; shift; fi
if [ $# -ge 1 ] && [ "$1" = "--" ]; then shift; fi
[ -x "$build/bin/hpsearch" ] || { sed -n '2,20p' "$0" >&2; echo "$0: $build/bin/hpsearch: not found" >&2; exit 2; }
out=${OUT:-$root/runs/search-efficiency-$(date -u +%Y%m%dT%H%M%SZ)}
set -- --build "$build" --out "$out" -j "$jobs" "$@"
if [ "${SMOKE:-0}" = 1 ]; then
    set -- "$@" --repeats 1 --trials 9 --max-epochs 9 --train-subset 2000
fi
# the trainers' BLAS: one thread each (as hpsearch's threads_per_trial: 1)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
exec /usr/bin/python3 "$here/bench.py" run "$@"
