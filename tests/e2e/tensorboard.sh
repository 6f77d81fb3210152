#!/bin/sh
# usage: tensorboard.sh CASE HPSEARCH BIN_DIR CHECKER WORK_DIR
#
# TensorBoard files of real sweeps, read back by tensorboard_check.py with
# Debian's python3-protobuf (TensorBoard itself is not in Debian). Exits 77
# (ctest's SKIP_RETURN_CODE) when /usr/bin/python3 cannot import
# google.protobuf (apt-get install python3-protobuf; setup.sh installs it).
#
# Every case writes the files live ("tensorboard": true), checks them against
# the sweep's journal, results.json and results.csv, then rebuilds them with
# `hpsearch report DIR --format tensorboard` and requires the same bytes.
#
#   sweep     the real trainer (synthetic data): 3 configs x 2 seeds, params of
#             every kind (loguniform, int, choice, constant); also checks that
#             the checker rejects a file with one byte changed, that the
#             report's output names the directory to open, and that files that
#             cannot be written are said once and do not stop the sweep
#   failures  fake trainers that crash, exit non-zero (one retry) or print
#             garbage around their lines: FAILURE sessions, and every good line
#   schedule  ASHA over the promotable fake trainer: trials paused, promoted
#             from their checkpoints and pruned, each session ended once
#   resume    a sweep interrupted with SIGINT mid-trial and resumed: the live
#             files are rewritten from the journal and continue
set -u
python=/usr/bin/python3

fail() {
    echo "FAIL: $*"
    exit 1
}

if ! "$python" -c "import google.protobuf" 2>/dev/null; then
    echo "SKIP: $python cannot import google.protobuf (apt-get install python3-protobuf)"
    exit 77
fi

case_name=$1 hpsearch=$2 bin=$3 checker=$4 work=$5
rm -rf "$work"
mkdir -p "$work"

# run_sweep NAME [hpsearch args...]: runs space NAME.json into $work/NAME.
run_sweep() {
    name=$1
    shift
    "$hpsearch" run "$work/$name.json" --out "$work/$name" "$@" >"$work/$name.out" 2>&1
    status=$?
    [ "$status" -eq 0 ] || [ "$status" -eq 5 ] ||
        { cat "$work/$name.out"; fail "hpsearch run $name exited $status"; }
}

# verify NAME: checks the live files, rebuilds them, compares the bytes.
verify() {
    dir=$work/$1
    [ -d "$dir/tensorboard" ] || fail "$1: no tensorboard/ written live"
    "$python" "$checker" "$dir" || fail "$1: the live files do not match the sweep"
    mv "$dir/tensorboard" "$dir/tensorboard.live"
    "$hpsearch" report "$dir" --format tensorboard >"$dir.report" 2>&1 ||
        { cat "$dir.report"; fail "$1: hpsearch report --format tensorboard failed"; }
    diff -r "$dir/tensorboard.live" "$dir/tensorboard" >/dev/null ||
        fail "$1: the report's files differ from the ones written live"
    "$python" "$checker" "$dir" || fail "$1: the report's files do not match the sweep"
    rm -rf "$dir/tensorboard.live"
}

case $case_name in
sweep)
    cat >"$work/real.json" <<EOF
{"name": "tb-real",
 "command": ["hpsearch-train", "--data", "synthetic", "--epochs", "3"],
 "objective": {"metric": "val_loss", "mode": "min"},
 "strategy": {"type": "random", "trials": 3, "seed": 4},
 "seeds": [0, 1], "parallel": 2, "tensorboard": true,
 "params": {"lr": {"type": "loguniform", "low": 0.001, "high": 0.1},
            "batch": {"type": "int", "low": 16, "high": 64},
            "hidden": {"type": "choice", "values": ["16", "32"]},
            "optimizer": "adam"}}
EOF
    run_sweep real
    verify real
    grep -q "open them with: tensorboard --logdir $work/real/tensorboard" "$work/real.report" ||
        { cat "$work/real.report"; fail "the report does not say how to open the files"; }
    # The checker must catch one changed byte (here, inside a scalar's data).
    file=$(ls "$work"/real/tensorboard/c0000-s0/events.out.tfevents.*)
    size=$(wc -c <"$file")
    printf '\377' | dd of="$file" bs=1 seek=$((size - 10)) conv=notrunc 2>/dev/null
    if "$python" "$checker" "$work/real" >"$work/corrupt.out" 2>&1; then
        fail "the checker accepted a file with a changed byte"
    fi
    grep -q "CRC is wrong" "$work/corrupt.out" ||
        { cat "$work/corrupt.out"; fail "the changed byte was not found by its CRC"; }
    # A bad format name is refused with the list of formats.
    "$hpsearch" report "$work/real" --format tensorbored >"$work/bad.out" 2>&1 &&
        fail "an unknown format was accepted"
    grep -q "expected table, csv, json, markdown, tensorboard or html" "$work/bad.out" ||
        { cat "$work/bad.out"; fail "an unknown format's message"; }
    # Files that cannot be written are said once and end the live files, not
    # the sweep; the report then fails naming the path.
    mkdir -p "$work/blocked"
    : >"$work/blocked/tensorboard"
    "$hpsearch" run "$work/real.json" --out "$work/blocked" >"$work/blocked.out" 2>&1 ||
        { cat "$work/blocked.out"; fail "a sweep whose TensorBoard files cannot be written failed"; }
    [ "$(grep -c 'no more TensorBoard files are written live' "$work/blocked.out")" -eq 1 ] ||
        { cat "$work/blocked.out"; fail "the unwritable TensorBoard files were not said once"; }
    "$hpsearch" report "$work/blocked" --format tensorboard >"$work/blocked.report" 2>&1 &&
        fail "the report wrote into a file that is not a directory"
    grep -q "$work/blocked/tensorboard" "$work/blocked.report" ||
        { cat "$work/blocked.report"; fail "the report's error does not name the path"; }
    echo "ok: live files of the real trainer, the report's the same bytes, a changed byte caught"
    ;;
failures)
    cat >"$work/fail.json" <<EOF
{"name": "tb-failures",
 "command": ["$bin/fake_trainer", "{mode}"],
 "strategy": {"type": "grid"},
 "seeds": [0, 1], "parallel": 3, "retries": 1, "tensorboard": true,
 "params": {"mode": {"type": "choice", "values": ["ok", "crash", "exit", "garbage"]},
            "x": {"type": "uniform", "low": 0, "high": 1, "values": [0.25, 0.5]},
            "flag": {"type": "choice", "values": [true]}}}
EOF
    run_sweep fail
    verify fail
    echo "ok: failed trials end as FAILURE sessions, every good line a scalar"
    ;;
schedule)
    cat >"$work/asha.json" <<EOF
{"name": "tb-asha",
 "command": ["$bin/fake_trainer", "budget"],
 "strategy": {"type": "random", "trials": 9, "seed": 5},
 "scheduler": {"type": "asha", "min": 1, "max": 9, "eta": 3},
 "seeds": [0, 1], "parallel": 3, "tensorboard": true,
 "params": {"x": {"type": "uniform", "low": 0, "high": 1}}}
EOF
    run_sweep asha
    grep -q '"action":"promote"' "$work/asha/journal.jsonl" || fail "asha promoted nothing"
    grep -q '"action":"prune"' "$work/asha/journal.jsonl" || fail "asha pruned nothing"
    verify asha
    echo "ok: paused, promoted and pruned trials, one session end each"
    ;;
resume)
    cat >"$work/cut.json" <<EOF
{"name": "tb-resume",
 "command": ["$bin/fake_trainer", "slow", "--ms=150"],
 "strategy": {"type": "random", "trials": 6, "seed": 2},
 "seeds": [0, 1], "parallel": 2, "tensorboard": true,
 "params": {"x": {"type": "uniform", "low": 0, "high": 1}}}
EOF
    "$hpsearch" run "$work/cut.json" --out "$work/cut" >"$work/cut.out" 2>&1 &
    pid=$!
    # Interrupt once some trial has reported and none has finished them all.
    i=0
    until grep -q '"event":"report"' "$work/cut/journal.jsonl" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le 400 ] || { kill "$pid"; fail "no report within 20 s"; }
        sleep 0.05
    done
    kill -INT "$pid"
    wait "$pid"
    grep -q '"event":"end","trial":"c0005' "$work/cut/journal.jsonl" &&
        fail "the sweep finished before it was interrupted"
    "$hpsearch" resume "$work/cut" >"$work/resume.out" 2>&1 ||
        { cat "$work/resume.out"; fail "hpsearch resume failed"; }
    grep -q '"event":"resume"' "$work/cut/journal.jsonl" || fail "no resume record"
    verify cut
    echo "ok: interrupted and resumed, the live files as the report writes them"
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
