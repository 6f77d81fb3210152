#!/bin/sh
# usage: byo_python.sh sweep HPSEARCH SOURCE_DIR WORK_DIR
#        byo_python.sh resume HPSEARCH SOURCE_DIR WORK_DIR
#        byo_python.sh trainer SOURCE_DIR WORK_DIR
#        byo_python.sh promote SOURCE_DIR WORK_DIR
#
# End-to-end tests of experiments/byo-python, the bring-your-own Python trainer.
# All exit 77 (ctest's SKIP_RETURN_CODE) when /usr/bin/python3 has no NumPy.
#
#   sweep    runs experiments/byo-python/space.json twice with the real hpsearch
#            and checks results.json: every trial ok, configs ranked by mean,
#            best/ holding the best trial's last.npz and nothing else kept,
#            and the two runs identical apart from elapsed_s.
#   resume   runs a longer version of that sweep, interrupts it with SIGINT
#            while trials run, resumes it with `hpsearch resume`, and checks
#            that the trainer was restarted from its checkpoint and that
#            results.json equals an uninterrupted run's, apart from elapsed_s.
#   trainer  runs train.py alone: a bad option exits 2; SIGTERM mid-run saves
#            last.npz and exits 143 promptly; resuming from that checkpoint
#            prints exactly the metric lines of an uninterrupted run.
#   promote  runs train.py alone as a scheduler would: to 3 epochs, then promoted
#            to 6 from its last.npz, both with HPSEARCH_BUDGET_MAX=6; the two
#            parts print the metric lines of one run to 6, with the same epoch
#            numbering, a checkpoint line after each epoch, the same final line
#            and the same last.npz. The hyperparameters are chosen so that the
#            best epoch comes before the promotion: a best-so-far that the
#            resume loses changes the final line.
set -u
python=/usr/bin/python3

fail() {
    echo "FAIL: $*"
    exit 1
}

if ! "$python" -c "import numpy" 2>/dev/null; then
    echo "SKIP: $python cannot import numpy (apt-get install python3-numpy)"
    exit 77
fi

# Runs a Python check on the files named after it; its assertion message is the reason.
check() {
    "$python" -c "$@" || fail "check above failed"
}

sweep() {
    hpsearch=$1 src=$2 work=$3
    rm -rf "$work"
    mkdir -p "$work"
    cd "$src" || fail "no source dir $src"
    for run in run1 run2; do
        "$hpsearch" run experiments/byo-python/space.json --out "$work/$run" \
            >"$work/$run.out" 2>&1
        status=$?
        [ "$status" -eq 0 ] || { cat "$work/$run.out"; fail "hpsearch exited $status"; }
    done
    check '
import json, os, sys
import numpy as np
run = sys.argv[1]
r = json.load(open(os.path.join(run, "results.json")))
assert r["trials_ok"] == 12 and r["trials_failed"] == 0, (r["trials_ok"], r["trials_failed"])
configs = r["configs"]
assert len(configs) == 6 and r["configs_complete"] == 6, len(configs)
for seed in (s for c in configs for s in c["seeds"]):
    assert seed["status"] == "ok", seed
    assert seed["final"]["epoch"] == 20, seed
assert [c["rank"] for c in configs] == list(range(1, 7)), "ranks not 1..6"
means = [c["mean"] for c in configs]
assert means == sorted(means, reverse=True), "configs not ranked by mean: %s" % means
assert all(c["n"] == 2 for c in configs)
best = r["best"]
assert best["config"] == configs[0]["config"], (best, configs[0]["config"])
assert configs[0]["params"]["lr"] > 0.05, "the smallest lr should not win: %s" % configs[0]
info = json.load(open(os.path.join(run, "best", "best.json")))
assert info["checkpoint"] == "last.npz" and info["trial"] == best["best_trial"], info
with np.load(os.path.join(run, "best", "last.npz")) as ck:
    assert str(ck["format"]) == "byo-python/2" and int(ck["epoch"]) == 20
    assert ck["b1"].size == best["params"]["hidden"]
kept = sorted(t for t in os.listdir(os.path.join(run, "trials"))
              if os.path.exists(os.path.join(run, "trials", t, "last.npz")))
assert kept == [best["best_trial"]], "keep_checkpoints best kept %s" % kept
' "$work/run1"
    check '
import json, sys
def load(path):
    r = json.load(open(path))
    r.pop("elapsed_s")
    r.pop("compute")  # what was spent: timings, and work a kill made redone
    return r
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a == b, "two runs of the same space differ"
' "$work/run1/results.json" "$work/run2/results.json"
    echo "ok: 12 trials, 6 configs ranked, best/last.npz, two runs identical"
}

# Waits up to 20 s for FILE to hold at least COUNT lines (default 1) matching PATTERN.
wait_for_line() {
    i=0
    while :; do
        count=$(grep -c "$2" "$1" 2>/dev/null)
        [ "${count:-0}" -lt "${3:-1}" ] || return 0
        i=$((i + 1))
        [ "$i" -le 400 ] || fail "fewer than ${3:-1} lines matching $2 in $1 after 20 s"
        sleep 0.05
    done
}

resume() {
    hpsearch=$1 src=$2 work=$3
    rm -rf "$work"
    mkdir -p "$work"
    cd "$src" || fail "no source dir $src"
    # 200 epochs: trials long enough (most of a second) to be caught mid-run.
    sed 's/--epochs=20/--epochs=200/' experiments/byo-python/space.json >"$work/space.json"
    grep -q -- '--epochs=200' "$work/space.json" || fail "cannot lengthen the space"
    "$hpsearch" run "$work/space.json" --out "$work/whole" >"$work/whole.out" 2>&1 ||
        { cat "$work/whole.out"; fail "the uninterrupted sweep failed"; }

    "$hpsearch" run "$work/space.json" --out "$work/cut" >"$work/cut.out" 2>&1 &
    pid=$!
    journal=$work/cut/journal.jsonl
    # Stop once four trials have ended and a later one has saved a checkpoint.
    wait_for_line "$journal" '"event":"end"' 4
    seen=$(wc -l <"$journal")
    i=0
    while ! tail -n +"$((seen + 1))" "$journal" | grep -q '"checkpoint"'; do
        i=$((i + 1))
        [ "$i" -le 400 ] || fail "no checkpoint reported after the fourth trial"
        sleep 0.05
    done
    kill -INT "$pid"
    wait "$pid"
    status=$?
    [ "$status" -eq 130 ] || { cat "$work/cut.out"; fail "after SIGINT: expected exit 130, got $status"; }
    grep -q '"status":"interrupted","resume_from":"[^"]*last.npz"' "$journal" ||
        fail "no trial was recorded as interrupted with a checkpoint to resume from"

    "$hpsearch" resume "$work/cut" >"$work/resume.out" 2>&1 ||
        { cat "$work/resume.out"; fail "hpsearch resume failed"; }
    grep '"event":"start"' "$journal" | grep -q '"resume_from":"[^"]*last.npz"' ||
        fail "no trial was restarted from its last.npz"
    check '
import json, sys
def load(path):
    r = json.load(open(path))
    r.pop("elapsed_s")
    r.pop("compute")  # what was spent: timings, and work a kill made redone
    return r
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a["trials_ok"] == 12, a["trials_ok"]
assert a == b, "interrupted and resumed results differ from an uninterrupted run"
' "$work/whole/results.json" "$work/cut/results.json"
    echo "ok: interrupted with SIGINT, resumed from last.npz, results identical"
}

trainer() {
    src=$1 work=$2
    train=$src/experiments/byo-python/train.py
    rm -rf "$work"
    mkdir -p "$work/full" "$work/cut" "$work/resumed"
    export OPENBLAS_NUM_THREADS=1 HPSEARCH_SEED=5
    unset HPSEARCH_RESUME_FROM

    "$python" "$train" --lr=fast >/dev/null 2>"$work/usage.err"
    status=$?
    [ "$status" -eq 2 ] || fail "--lr=fast: expected exit 2, got $status"
    grep -q 'option --lr: expected a number, got' "$work/usage.err" ||
        fail "--lr=fast: unexpected message: $(cat "$work/usage.err")"

    # 400 epochs take seconds, so the SIGTERM surely lands mid-run.
    HPSEARCH_TRIAL_DIR=$work/full "$python" "$train" --epochs=400 >"$work/full.out" ||
        fail "uninterrupted run failed"
    HPSEARCH_TRIAL_DIR=$work/cut "$python" "$train" --epochs=400 >"$work/cut.out" &
    pid=$!
    wait_for_line "$work/cut.out" '"epoch": 3}'
    kill -TERM "$pid"
    start=$(date +%s)
    wait "$pid"
    status=$?
    [ "$status" -eq 143 ] || fail "after SIGTERM: expected exit 143, got $status"
    [ $(($(date +%s) - start)) -le 2 ] || fail "too slow to stop after SIGTERM"
    [ -f "$work/cut/last.npz" ] || fail "no last.npz after SIGTERM"
    [ ! -e "$work/cut/last.npz.tmp" ] || fail "a temp checkpoint was left behind"
    tail -n 1 "$work/cut.out" | grep -q '"checkpoint": "last.npz"' ||
        fail "the SIGTERM save was not reported"

    HPSEARCH_TRIAL_DIR=$work/resumed HPSEARCH_RESUME_FROM=$work/cut/last.npz \
        "$python" "$train" --epochs=400 >"$work/resumed.out" || fail "resumed run failed"
    grep -v '"checkpoint"' "$work/full.out" >"$work/full.metrics"
    cat "$work/cut.out" "$work/resumed.out" | grep -v '"checkpoint"' >"$work/joined.metrics"
    cmp -s "$work/full.metrics" "$work/joined.metrics" ||
        fail "interrupted + resumed metric lines differ from an uninterrupted run"
    echo "ok: usage error, SIGTERM save (exit 143), bit-identical resume"
}

promote() {
    src=$1 work=$2
    train=$src/experiments/byo-python/train.py
    rm -rf "$work"
    mkdir -p "$work/straight" "$work/rung0" "$work/rung1"
    export OPENBLAS_NUM_THREADS=1 HPSEARCH_SEED=2 HPSEARCH_BUDGET_MAX=6
    unset HPSEARCH_RESUME_FROM
    hp="--lr=2 --momentum=0.99"

    HPSEARCH_TRIAL_DIR=$work/straight "$python" "$train" --epochs=6 $hp \
        >"$work/straight.out" || fail "the run to 6 epochs failed"
    HPSEARCH_TRIAL_DIR=$work/rung0 "$python" "$train" --epochs=3 $hp \
        >"$work/rung0.out" || fail "the run to 3 epochs failed"
    HPSEARCH_TRIAL_DIR=$work/rung1 HPSEARCH_RESUME_FROM=$work/rung0/last.npz \
        "$python" "$train" --epochs=6 $hp >"$work/rung1.out" || fail "the promoted run failed"
    check '
import json, os, sys
import numpy as np
work = sys.argv[1]
def lines(name):
    text = open(os.path.join(work, name + ".out")).read().splitlines()
    return [(line, json.loads(line)) for line in text]
def epochs(run):
    return [obj["epoch"] for _, obj in run if "val_accuracy" in obj]
straight, rung0, rung1 = lines("straight"), lines("rung0"), lines("rung1")
assert epochs(rung0) == [1, 2, 3] and epochs(rung1) == [4, 5, 6], (epochs(rung0), epochs(rung1))
for name, run in (("straight", straight), ("rung0", rung0), ("rung1", rung1)):
    body, final = run[:-1], run[-1][1]
    assert final.get("final") is True, "%s: last line is not the final one" % name
    for (_, metric), (_, ck) in zip(body[::2], body[1::2]):
        assert ck == {"checkpoint": "last.npz", "epoch": metric["epoch"]}, (name, metric, ck)
    assert len(body) % 2 == 0, "%s: an epoch without its checkpoint line" % name
    left = sorted(os.listdir(os.path.join(work, name)))
    assert left == ["last.npz"], "%s: trial dir holds %s" % (name, left)
metrics = lambda run: [line for line, obj in run if "val_accuracy" in obj]
assert metrics(rung0) + metrics(rung1) == metrics(straight), \
    "3 epochs + promotion to 6 print other metric lines than one run to 6"
assert rung1[-1][0] == straight[-1][0], ("final lines differ", rung1[-1][0], straight[-1][0])
acc = [obj["val_accuracy"] for _, obj in straight if "val_accuracy" in obj]
assert max(acc[:3]) > max(acc[3:]), "the best epoch is no longer before the promotion: %s" % acc
with np.load(os.path.join(work, "straight", "last.npz")) as a, \
        np.load(os.path.join(work, "rung1", "last.npz")) as b:
    assert sorted(a.files) == sorted(b.files), (a.files, b.files)
    for k in a.files:
        assert np.array_equal(a[k], b[k]), "last.npz differs in %s" % k
' "$work"
    echo "ok: 3 epochs then promoted to 6 (HPSEARCH_BUDGET_MAX=6) = one run to 6, line for line"
}

mode=${1:-}
[ $# -gt 0 ] && shift
case $mode in
sweep) [ $# -eq 3 ] || fail "usage: $0 sweep HPSEARCH SOURCE_DIR WORK_DIR"; sweep "$@" ;;
resume) [ $# -eq 3 ] || fail "usage: $0 resume HPSEARCH SOURCE_DIR WORK_DIR"; resume "$@" ;;
trainer) [ $# -eq 2 ] || fail "usage: $0 trainer SOURCE_DIR WORK_DIR"; trainer "$@" ;;
promote) [ $# -eq 2 ] || fail "usage: $0 promote SOURCE_DIR WORK_DIR"; promote "$@" ;;
*) fail "usage: $0 sweep|resume|trainer|promote ..." ;;
esac
