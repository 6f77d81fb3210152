#!/bin/sh
# How long hpsearch takes to load a space whose choice lists N values: the
# duplicate check on every load (check_distinct in orchestrator/space.c) was
# pairwise, N^2 / 2 comparisons; sorted, it is N log N.
#
# usage: experiments/bench/space_load.sh [--build DIR] [--reps R] [N...]
#   --build DIR   the build tree holding bin/hpsearch (default: build/ in the
#                 repository; it must be built)
#   --reps R      repetitions of each measurement; the median is printed
#                 (default 3)
#   N...          list sizes (default: 20000 100000)
#
# Each measurement is `hpsearch run space.json --dry-run` on a space with one
# choice parameter of N distinct strings and a random strategy of one trial,
# so the load (JSON parse, validation, the duplicate check) is nearly all of
# the time; a space with N = 1 is timed as the floor.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=$here/build
reps=3
sizes=""
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) sizes="$sizes $1"; shift ;;
    esac
done
[ -n "$sizes" ] || sizes="20000 100000"
hpsearch=$build/bin/hpsearch
[ -x "$hpsearch" ] || { echo "space_load.sh: no $hpsearch; build first" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Writes a space with a choice of $1 distinct values to $2.
make_space() {
    awk -v n="$1" 'BEGIN {
        printf "{\"name\": \"load\", \"strategy\": {\"type\": \"random\", \"trials\": 1, \"seed\": 1},\n"
        printf " \"params\": {\"x\": {\"type\": \"choice\", \"values\": ["
        for (i = 0; i < n; i++)
            printf "%s\"v%d\"", (i ? ", " : ""), i
        printf "]}}}\n"
    }' >"$2"
}

# Prints the median wall time, in seconds, of $reps dry runs of space $1.
time_load() {
    i=0
    while [ "$i" -lt "$reps" ]; do
        start=$(date +%s.%N)
        "$hpsearch" run "$1" --dry-run --out "$work/out" >/dev/null
        end=$(date +%s.%N)
        echo "$end - $start" | bc
        i=$((i + 1))
    done | sort -n | awk '{ t[NR] = $1 } END { printf "%.3f", t[int((NR + 1) / 2)] }'
}

printf '%10s  %s\n' "values" "median load time (s), $reps runs"
for n in 1 $sizes; do
    make_space "$n" "$work/space-$n.json"
    printf '%10s  %s\n' "$n" "$(time_load "$work/space-$n.json")"
done
