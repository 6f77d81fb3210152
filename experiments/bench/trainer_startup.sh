#!/bin/sh
# Start-up of hpsearch-train on Fashion-MNIST: the milliseconds from exec to
# the first training batch, without the data cache and with it.
#
# usage: experiments/bench/trainer_startup.sh [options]
#   --build DIR     the build tree holding bin/hpsearch-train (default: build/
#                   in the repository; it must be built)
#   --reps R        runs of each kind; medians are printed (default 7)
#   --data-dir DIR  the Fashion-MNIST files (default:
#                   /usr/share/datasets/fashion-mnist)
#
# How it measures: a python3 launcher reads CLOCK_MONOTONIC and execs the
# trainer in the same process; the trainer, with HPSEARCH_TRAIN_TIMING=1,
# prints CLOCK_MONOTONIC on stderr as its first training batch starts
# ("hpsearch-train: timing: first_batch T"). The difference is exec, dynamic
# loading, option parsing, the data (inflating the four IDX .gz files, or
# mapping the cache), the split and the model's set-up. Each run is
# --epochs 1 --train-subset 640, so the rest of the run is short; the
# numbers do not depend on it.
#
# Kinds of run:
#   no cache   no --cache-dir and no HPSEARCH_SWEEP_DIR: the .gz files are
#              inflated every time (what every trial paid before the cache)
#   build      --cache-dir pointing at an empty folder: inflate, then write
#              the cache (once per sweep)
#   warm       --cache-dir holding the cache: map it, check it, train
# and the ratio no-cache / warm. The page cache is warm for all of them (the
# .gz files and the cache file have been read before): this is the cost a
# trial pays on a machine that has run a trial before, the common case.
# A measurement, not a test: it exits non-zero only when a run fails.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=$here/build
reps=7
data_dir=/usr/share/datasets/fashion-mnist
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "trainer_startup.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
trainer=$build/bin/hpsearch-train
[ -x "$trainer" ] || { echo "trainer_startup.sh: no $trainer (build first)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/trainer_startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset HPSEARCH_SWEEP_DIR HPSEARCH_RESUME_FROM HPSEARCH_BUDGET_MAX
export OPENBLAS_NUM_THREADS=1

# once ARGS...: one run; prints its exec-to-first-batch time in ms.
once() {
    HPSEARCH_TRAIN_TIMING=1 python3 -c '
import os, sys, time
sys.stderr.write("launch %.9f\n" % (time.monotonic_ns() / 1e9))
sys.stderr.flush()
os.execv(sys.argv[1], sys.argv[1:])' "$trainer" --data fashion-mnist --data-dir "$data_dir" \
        --epochs 1 --train-subset 640 --out-dir "$work/out" "$@" \
        >"$work/run.out" 2>"$work/run.err" ||
        { echo "trainer_startup.sh: the run failed:" >&2; cat "$work/run.err" >&2; exit 1; }
    awk '/^launch / { t0 = $2 } /timing: first_batch/ { t1 = $NF }
         END { if (t0 == "" || t1 == "") exit 1; printf "%.1f\n", (t1 - t0) * 1000 }' \
        "$work/run.err" ||
        { echo "trainer_startup.sh: no timing lines:" >&2; cat "$work/run.err" >&2; exit 1; }
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

has_cache=0
"$trainer" --help | grep -q -- '--cache-dir' && has_cache=1

once >/dev/null # the page cache now holds the .gz files and the trainer
: >"$work/none"
: >"$work/build"
: >"$work/warm"
i=0
while [ $i -lt "$reps" ]; do
    once >>"$work/none"
    if [ $has_cache -eq 1 ]; then
        rm -rf "$work/cache"
        once --cache-dir "$work/cache" >>"$work/build"
        once --cache-dir "$work/cache" >>"$work/warm"
    fi
    i=$((i + 1))
done

none=$(median <"$work/none")
echo "exec to first training batch, median of $reps runs ($(uname -n), $(nproc) cores):"
printf '  no cache   %8.1f ms   (runs: %s)\n' "$none" "$(tr '\n' ' ' <"$work/none")"
if [ $has_cache -eq 1 ]; then
    built=$(median <"$work/build")
    warm=$(median <"$work/warm")
    printf '  build      %8.1f ms   (runs: %s)\n' "$built" "$(tr '\n' ' ' <"$work/build")"
    printf '  warm       %8.1f ms   (runs: %s)\n' "$warm" "$(tr '\n' ' ' <"$work/warm")"
    awk -v a="$none" -v b="$warm" 'BEGIN { printf "  no cache / warm: %.1fx\n", a / b }'
else
    echo "  (this trainer has no --cache-dir: no cached figures)"
fi
