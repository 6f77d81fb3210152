#!/bin/sh
# Overhead and scale of hpsearch, measured against the bare cost of spawning.
#
# usage: experiments/bench/overhead.sh [options]
#   --build DIR     the build tree holding bin/hpsearch and bin/fake_trainer
#                   (default: build/ in the repository); configured if it does
#                   not exist, and those two targets brought up to date
#   --work DIR      scratch space for the sweeps (default: DIR/bench-work under
#                   --build); on the disk you sweep to, since the journal fsyncs
#   --trials N      trials of the small sweeps (default 2000)
#   --reps R        repetitions of each small measurement; medians are printed
#                   (default 3)
#   --big N         trials of the large grid (default 100000)
#   --skip-big-run  only --dry-run the large grid: no real large sweep, so no
#                   status/resume timings either
#   --keep          keep the scratch directories
#
# What it measures, in one run:
#  (a) bare: experiments/bench/bare_spawn.c starting `fake_trainer trivial` N
#      times with posix_spawn, reading its stdout to EOF and reaping it, one at
#      a time and two at a time: the floor any orchestrator sits on.
#  (b) hpsearch: a grid of N trials of the same program (one param, one seed,
#      keep_checkpoints all, journal durable as always) with -j 1 and -j 2; ms
#      per trial, the ratio to (a), ms per trial over the first and the second
#      half of the sweep (flat is good), and peak RSS (/usr/bin/time -v).
#  (c) the large grid: peak RSS and time of `hpsearch run --dry-run`, and of a
#      real -j 2 run unless --skip-big-run.
#  (d) `hpsearch status DIR` and `hpsearch resume DIR` on the large run's
#      journal, when hpsearch has those subcommands.
# Bare and hpsearch repetitions are interleaved so that background load hits
# both alike. This is a measurement, never a pass/fail test: it exits non-zero
# only when something could not be run at all.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
work=
trials=2000
reps=3
big=100000
big_run=1
keep=0
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --big) big=$2; shift 2 ;;
    --skip-big-run) big_run=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "overhead.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
[ -n "$work" ] || work=$build/bench-work
case $work in /*) ;; *) work=$(pwd)/$work ;; esac
[ -x /usr/bin/time ] || { echo "overhead.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

# --- build what it needs --------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target hpsearch fake_trainer -j2 >/dev/null
hpsearch=$build/bin/hpsearch
fake=$build/bin/fake_trainer
tools=$build/bench
mkdir -p "$tools"
for tool in bare_spawn line_clock; do
    cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -o "$tools/$tool" \
        "$src/experiments/bench/$tool.c"
done

# Scratch space: only ever delete a directory this script made.
if [ -d "$work" ] && [ -n "$(ls -A "$work")" ] && [ ! -f "$work/.overhead-bench" ]; then
    echo "overhead.sh: $work exists and was not made by this script; pick another --work" >&2
    exit 1
fi
rm -rf "$work"
mkdir -p "$work"
touch "$work/.overhead-bench"
cleanup() {
    [ "$keep" -eq 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# grid_space FILE NAME N: a grid of N configs of `fake_trainer trivial`.
grid_space() {
    cat >"$1" <<EOF
{
  "name": "$2",
  "command": ["$fake", "trivial"],
  "objective": {"metric": "val_accuracy", "mode": "max"},
  "strategy": {"type": "grid"},
  "seeds": 1,
  "keep_checkpoints": "all",
  "params": {"i": {"type": "int", "low": 0, "high": $(($3 - 1)), "step": 1}}
}
EOF
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Fields of a /usr/bin/time -v report: peak RSS in KiB, wall seconds, exit status.
rss_kb() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
wall_s() {
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"
}
exit_of() { awk -F': ' '/Exit status/ { print $2 }' "$1"; }

# run_sweep SPACE JOBS OUT EVERY: runs hpsearch, timing its output lines.
# Leaves OUT.time (/usr/bin/time -v) and OUT.stamps (line_clock).
run_sweep() {
    /usr/bin/time -v -o "$3.time" "$hpsearch" run "$1" -j "$2" --out "$3" 2>"$3.err" |
        "$tools/line_clock" "$4" "trial " >"$3.stamps"
    status=$(exit_of "$3.time")
    if [ "$status" != 0 ]; then
        echo "overhead.sh: hpsearch run -j $2 exited $status:" >&2
        tail -n 5 "$3.err" >&2
        exit 1
    fi
}

# --- (a) and (b): N trivial trials, bare and through hpsearch ---------------
grid_space "$work/small.json" small "$trials"
half=$((trials / 2))
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "measuring: $trials trials of fake_trainer trivial, $reps repetitions, on $(nproc) cores"
for rep in $(seq "$reps"); do
    for j in 1 2; do
        "$tools/bare_spawn" -n "$trials" -j "$j" "$fake" trivial >"$work/bare.out" ||
            { echo "overhead.sh: bare_spawn failed" >&2; exit 1; }
        awk '{ print $4 }' "$work/bare.out" >>"$work/bare-j$j.ms"
        out=$work/small-j$j-r$rep
        run_sweep "$work/small.json" "$j" "$out" "$half"
        ok=$(grep -o '"trials_ok": [0-9]*' "$out/results.json" | grep -o '[0-9]*$')
        [ "$ok" = "$trials" ] || { echo "overhead.sh: only $ok of $trials trials ok" >&2; exit 1; }
        awk -v n="$trials" -v h="$half" '
            $1 == h { first = $2 } $1 == n { last = $2 } $1 == "eof" { total = $2 }
            END { printf "%.6f %.6f %.6f\n", total * 1000 / n, first * 1000 / h, (last - first) * 1000 / (n - h) }
        ' "$out.stamps" >>"$work/hp-j$j.ms"
        rss_kb "$out.time" >>"$work/hp-j$j.rss"
        echo "  rep $rep -j $j: bare $(tail -n 1 "$work/bare-j$j.ms") ms, hpsearch $(tail -n 1 "$work/hp-j$j.ms" | cut -d' ' -f1) ms per trial"
        rm -rf "$out"
    done
done

# --- (c) and (d): the large grid ------------------------------------------
grid_space "$work/big.json" big "$big"
echo "measuring: hpsearch run --dry-run on a grid of $big trials"
/usr/bin/time -v -o "$work/dry.time" "$hpsearch" run "$work/big.json" --dry-run \
    >/dev/null 2>"$work/dry.err" || true
[ "$(exit_of "$work/dry.time")" = 0 ] || { cat "$work/dry.err" >&2; exit 1; }

# Whether `hpsearch --help` lists a subcommand.
has_cmd() { "$hpsearch" --help 2>&1 | grep -Eq "^ *(usage: *)?hpsearch $1|^ +$1( |$)"; }

# time_cmd NAME: times `hpsearch NAME DIR` on the large sweep; prints a summary.
time_cmd() {
    if ! has_cmd "$1"; then
        echo "not measured: hpsearch has no '$1' subcommand yet"
        return
    fi
    /usr/bin/time -v -o "$work/$1.time" "$hpsearch" "$1" "$work/big" \
        >"$work/$1.out" 2>&1 || true
    printf '%.2f s, peak RSS %.1f MiB, exit status %s\n' "$(wall_s "$work/$1.time")" \
        "$(awk -v k="$(rss_kb "$work/$1.time")" 'BEGIN { print k / 1024 }')" \
        "$(exit_of "$work/$1.time")"
}

if [ "$big_run" -eq 1 ]; then
    echo "measuring: a real sweep of $big trivial trials with -j 2 (--skip-big-run skips it)"
    run_sweep "$work/big.json" 2 "$work/big" $((big / 10))
    big_ms=$(awk -v n="$big" '$1 == "eof" { printf "%.3f", $2 * 1000 / n }' "$work/big.stamps")
    big_tenths=$(awk -v n="$big" '$1 != "eof" { printf "%s%.2f", sep, ($2 - prev) * 10000 / n; sep = " "; prev = $2 }' "$work/big.stamps")
    big_rss=$(rss_kb "$work/big.time")
    journal_mb=$(du -m "$work/big/journal.jsonl" | cut -f1)
    dir_mb=$(du -sm "$work/big" | cut -f1)
    status_result=$(time_cmd status)
    resume_result=$(time_cmd resume)
fi

# --- the table ------------------------------------------------------------
m() { median <"$1"; }
col() { cut -d' ' -f"$2" "$1" | median; }
max_mib() { sort -n "$1" | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }'; }
b1=$(m "$work/bare-j1.ms") b2=$(m "$work/bare-j2.ms")
h1=$(col "$work/hp-j1.ms" 1) h2=$(col "$work/hp-j2.ms" 1)
echo
echo "hpsearch overhead: $trials trials of fake_trainer trivial (medians of $reps; ms per trial)"
echo "load average before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work skews timings)"
printf '%-7s %12s %12s %8s %14s %14s %10s\n' slots "bare spawn" hpsearch ratio "first $half" "last $half" "peak RSS"
for j in 1 2; do
    eval "b=\$b$j h=\$h$j"
    printf '%-7s %12.3f %12.3f %7.2fx %14.3f %14.3f %6s MiB\n' "-j $j" "$b" "$h" \
        "$(awk -v h="$h" -v b="$b" 'BEGIN { print h / b }')" \
        "$(col "$work/hp-j$j.ms" 2)" "$(col "$work/hp-j$j.ms" 3)" "$(max_mib "$work/hp-j$j.rss")"
done
echo
echo "large grid: $big trials"
printf '  %-34s peak RSS %6.1f MiB, %.2f s\n' "hpsearch run --dry-run" \
    "$(awk -v k="$(rss_kb "$work/dry.time")" 'BEGIN { print k / 1024 }')" \
    "$(wall_s "$work/dry.time")"
if [ "$big_run" -eq 1 ]; then
    printf '  %-34s peak RSS %6.1f MiB, %s ms per trial\n' "hpsearch run -j 2 (real)" \
        "$(awk -v k="$big_rss" 'BEGIN { print k / 1024 }')" "$big_ms"
    echo "  ms per trial, by tenth of the sweep: $big_tenths"
    echo "  journal $journal_mb MiB, sweep directory $dir_mb MiB"
    echo "  hpsearch status DIR: $status_result"
    echo "  hpsearch resume DIR: $resume_result"
else
    echo "  real run, status and resume: skipped (--skip-big-run)"
fi
