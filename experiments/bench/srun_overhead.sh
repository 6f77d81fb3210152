#!/bin/bash
# The cost of a trial as a Slurm job step against a local process, measured
# in the same run on the same machine.
#
# usage: experiments/bench/srun_overhead.sh [--build DIR] [--trials N] [-j J]
#                                           [--reps R] [--keep]
#   --build DIR   the build tree with bin/hpsearch and bin/fake_trainer
#                 (default: build/ in the repository)
#   --trials N    trials of the sweep (default 40)
#   -j J          parallel trials, locally and as steps (default 2)
#   --reps R      repetitions of each; medians are printed (default 3)
#   --keep        keep the scratch directory
#
# The sweep is a grid of N `fake_trainer trivial` trials (one metric line,
# exit). It runs with the local executor and with the slurm executor inside
# one salloc on a one-node cluster that tests/slurm/cluster.sh starts in the
# scratch directory (and stops on exit), repetitions interleaved. Printed: ms
# per trial (wall time of the sweep / N) for each, and their ratio. Needs root
# and Debian's munge, slurmctld, slurmd and slurm-client. A measurement, never
# a pass/fail test.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
trials=40
jobs=2
reps=3
keep=0
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--build DIR] [--trials N] [-j J] [--reps R] [--keep]" >&2; exit 2 ;;
    esac
done
bin=$(cd "$build/bin" && pwd)
work=$(mktemp -d /tmp/srun-overhead.XXXXXX)
cluster=$work/cluster
export SLURM_TEST_CPUS=$jobs
export SLURM_TEST_PORT=${SLURM_TEST_PORT:-$((20000 + $$ % 20000))}
cleanup() {
    "$src/tests/slurm/cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
    [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
"$src/tests/slurm/cluster.sh" start "$cluster"
eval "$("$src/tests/slurm/cluster.sh" env "$cluster")"

values=$(seq -s, 1 "$trials")
cat >"$work/space.json" <<SPACE
{
  "name": "srun-overhead",
  "command": ["$bin/fake_trainer", "trivial"],
  "objective": {"metric": "val_accuracy", "mode": "max"},
  "keep_checkpoints": "all",
  "params": {"i": {"type": "choice", "values": [$values]}}
}
SPACE

# Wall milliseconds of one sweep: $1 = local|slurm, $2 = its directory.
sweep_ms() {
    local t0 t1
    t0=$(date +%s%N)
    if [ "$1" = local ]; then
        "$bin/hpsearch" run "$work/space.json" --out "$2" -j "$jobs" >/dev/null 2>&1
    else
        salloc -Q -n "$jobs" "$bin/hpsearch" run "$work/space.json" --executor slurm \
            --out "$2" -j "$jobs" >/dev/null 2>&1
    fi
    t1=$(date +%s%N)
    grep -q . "$2/results.csv" || { echo "the $1 sweep failed" >&2; exit 1; }
    echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

: >"$work/local.ms"
: >"$work/slurm.ms"
for r in $(seq "$reps"); do
    sweep_ms local "$work/local-$r" >>"$work/local.ms"
    sweep_ms slurm "$work/slurm-$r" >>"$work/slurm.ms"
done
local_ms=$(median <"$work/local.ms")
slurm_ms=$(median <"$work/slurm.ms")
echo "trials $trials, -j $jobs, median of $reps (ms per sweep: local $(paste -sd' ' "$work/local.ms"); slurm $(paste -sd' ' "$work/slurm.ms"))"
awk -v l="$local_ms" -v s="$slurm_ms" -v n="$trials" 'BEGIN {
    printf "local executor: %8.2f ms per trial\n", l / n
    printf "slurm executor: %8.2f ms per trial (srun step; the salloc included)\n", s / n
    printf "ratio slurm/local: %.1fx; srun adds %.1f ms per trial\n", s / l, (s - l) / n
}'
