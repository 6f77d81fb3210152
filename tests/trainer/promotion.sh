#!/bin/sh
# A promotion, as hpsearch's schedulers (ASHA, Hyperband) make one: a trial
# runs to a small budget, and later a new trial continues it from its last
# checkpoint (HPSEARCH_RESUME_FROM, a fresh HPSEARCH_TRIAL_DIR) with a larger
# --epochs. Whatever the split, the metric lines must be the bits of one
# straight run to the larger budget with the same schedule horizon.
#
#   promotion.sh CASE TRAINER WORKDIR
#
# CASE names the behaviour checked; TRAINER is the binary; WORKDIR is a
# scratch folder the case owns (emptied first). Exits 0 when the behaviour
# holds, 1 with a message otherwise.
set -u

CASE=$1
TRAINER=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
export OPENBLAS_NUM_THREADS=1
unset HPSEARCH_SEED HPSEARCH_TRIAL_DIR HPSEARCH_RESUME_FROM HPSEARCH_BUDGET_MAX \
    HPSEARCH_SWEEP_DIR HPSEARCH_TRAIN_TIMING

fail() {
    echo "FAIL ($CASE): $*" >&2
    exit 1
}

# run NAME [VAR=value...] -- ARGS...: runs the trainer with those environment
# variables and arguments; stdout to $WORK/NAME.out, stderr to
# $WORK/NAME.err, status in $STATUS.
run() {
    NAME=$1
    shift
    VARS=
    while [ "$1" != "--" ]; do
        VARS="$VARS $1"
        shift
    done
    shift
    # shellcheck disable=SC2086 # VARS holds VAR=value words without spaces
    env $VARS "$TRAINER" "$@" >"$WORK/$NAME.out" 2>"$WORK/$NAME.err"
    STATUS=$?
}

expect_status() {
    [ "$STATUS" -eq "$1" ] || fail "$NAME: exit status $STATUS, expected $1; stderr: $(cat "$WORK/$NAME.err")"
}

expect_stderr() {
    grep -qF -- "$1" "$WORK/$NAME.err" || fail "$NAME: stderr lacks '$1': $(cat "$WORK/$NAME.err")"
}

# Every line but its "seconds" field, the only one allowed to differ between
# identical runs.
strip_seconds() {
    sed -E 's/, "seconds": [^,}]*//' "$1"
}

# The lines a resumed run writes before its first epoch line: the checkpoints
# it put in its fresh folder.
preamble() {
    awk '/"epoch": [0-9]+, "train_loss"/ || /"final"/ { exit } { print }' "$1"
}

# A promoted run's lines, as they join the first run's: the preamble dropped.
after_preamble() {
    awk 'started || /"epoch": [0-9]+, "train_loss"/ || /"final"/ { started = 1; print }' "$1"
}

# split FIRST SECOND: $WORK/FIRST.out without its final line, then
# $WORK/SECOND.out without its preamble, seconds stripped, into
# $WORK/joined.lines.
join_split() {
    grep -v '"final"' "$WORK/$1.out" >"$WORK/joined.out"
    after_preamble "$WORK/$2.out" >>"$WORK/joined.out"
    strip_seconds "$WORK/joined.out" >"$WORK/joined.lines"
}

# A model and a run that use every stream and every piece of state a resume
# must carry: dropout and noise (random streams), cosine with a warm-up (the
# schedule's position and horizon), Adam with decoupled weight decay (both
# moments), clipping, and patience that never runs out (the stale count).
ARGS="--hidden 64,32 --batch 32 --seed 11 --dropout 0.2,0.1 --augment-noise 0.1
      --lr 0.003 --lr-schedule cosine --lr-min 0.0001 --warmup-epochs 1
      --weight-decay 1e-3 --weight-decay-mode decoupled --clip-grad-norm 2
      --patience 50"

case "$CASE" in
split_equals_straight)
    # 9 epochs straight (horizon 9) == 3 epochs with HPSEARCH_BUDGET_MAX=9,
    # then promoted to 9 from its last.ckpt into a fresh folder.
    run straight -- $ARGS --epochs 9 --schedule-epochs 9 --out-dir "$WORK/straight"
    expect_status 0
    run first HPSEARCH_BUDGET_MAX=9 HPSEARCH_TRIAL_DIR="$WORK/first" -- $ARGS --epochs=3
    expect_status 0
    run second HPSEARCH_BUDGET_MAX=9 HPSEARCH_TRIAL_DIR="$WORK/second" \
        HPSEARCH_RESUME_FROM="$WORK/first/last.ckpt" -- $ARGS --epochs=9
    expect_status 0
    expect_stderr 'note: resuming with --epochs 9 (the checkpoint had 3)'
    # The promoted run trains and reports epochs 4..9, no others.
    [ "$(grep -o '"epoch": [0-9]*, "train_loss"' "$WORK/second.out" | grep -o '[0-9]*' | tr '\n' ' ')" = "4 5 6 7 8 9 " ] ||
        fail "the promoted run's epochs: $(grep -o '"epoch": [0-9]*, "train_loss"' "$WORK/second.out")"
    join_split first second
    strip_seconds "$WORK/straight.out" >"$WORK/straight.lines"
    diff "$WORK/straight.lines" "$WORK/joined.lines" >&2 ||
        fail "3 + 6 epochs differ from 9 straight"
    # Every line counts: epoch lines, checkpoint lines and the final line.
    [ "$(grep -c '"train_loss"' "$WORK/joined.lines")" -eq 9 ] || fail "not 9 epoch lines"
    grep -q '"final": true, "stopped": "completed", "reason": "ran all 9 epochs"' \
        "$WORK/joined.lines" || fail "no final line for 9 epochs"
    cmp "$WORK/straight/last.ckpt" "$WORK/second/last.ckpt" || fail "last.ckpt differs"
    cmp "$WORK/straight/best.ckpt" "$WORK/second/best.ckpt" || fail "best.ckpt differs"
    # The horizon is what makes it so: without it, the first part's cosine
    # ends at 3 epochs and the joined run is another curve.
    run short HPSEARCH_TRIAL_DIR="$WORK/short" -- $ARGS --epochs 3
    expect_status 0
    run long HPSEARCH_TRIAL_DIR="$WORK/long" HPSEARCH_RESUME_FROM="$WORK/short/last.ckpt" \
        -- $ARGS --epochs 9
    expect_status 0
    join_split short long
    if diff -q "$WORK/straight.lines" "$WORK/joined.lines" >/dev/null; then
        fail "a 3-epoch horizon gave the 9-epoch curve: the test cannot tell"
    fi
    ;;
split_twice)
    # 2, then 5, then 9 (an ASHA ladder with eta 3, roughly), each rung in a
    # fresh folder resuming the previous one == 9 straight; the orchestrator
    # resumes from the last checkpoint each trial reported.
    run straight -- $ARGS --epochs 9 --schedule-epochs 9 --out-dir "$WORK/straight"
    expect_status 0
    strip_seconds "$WORK/straight.out" >"$WORK/straight.lines"
    run r1 HPSEARCH_BUDGET_MAX=9 -- $ARGS --epochs 2 --out-dir "$WORK/r1"
    expect_status 0
    prev=r1
    for rung in 5 9; do
        last=$(grep '"checkpoint"' "$WORK/$prev.out" | tail -n 1)
        echo "$last" | grep -q '"checkpoint": "last.ckpt"' ||
            fail "$prev: the last checkpoint reported is not last.ckpt: $last"
        run "r$rung" HPSEARCH_BUDGET_MAX=9 HPSEARCH_RESUME_FROM="$WORK/$prev/last.ckpt" \
            -- $ARGS --epochs $rung --out-dir "$WORK/r$rung"
        expect_status 0
        prev=r$rung
    done
    grep -v '"final"' "$WORK/r1.out" >"$WORK/joined.out"
    after_preamble "$WORK/r5.out" | grep -v '"final"' >>"$WORK/joined.out"
    after_preamble "$WORK/r9.out" >>"$WORK/joined.out"
    strip_seconds "$WORK/joined.out" >"$WORK/joined.lines"
    diff "$WORK/straight.lines" "$WORK/joined.lines" >&2 || fail "2 + 3 + 4 epochs differ from 9 straight"
    ;;
resumed_folder_reports_checkpoints)
    # A promoted trial's fresh folder gets best.ckpt and last.ckpt at once,
    # each reported, last.ckpt last: the orchestrator's latest checkpoint is
    # in the trial's own folder before the first new epoch ends.
    run first HPSEARCH_BUDGET_MAX=6 -- $ARGS --epochs 2 --out-dir "$WORK/first"
    expect_status 0
    run second HPSEARCH_BUDGET_MAX=6 HPSEARCH_RESUME_FROM="$WORK/first/last.ckpt" \
        -- $ARGS --epochs 6 --out-dir "$WORK/second"
    expect_status 0
    best=$(grep '"checkpoint": "best.ckpt"' "$WORK/first.out" | tail -n 1)
    printf '%s\n{"checkpoint": "last.ckpt", "epoch": 2}\n' "$best" >"$WORK/expected.preamble"
    preamble "$WORK/second.out" >"$WORK/second.preamble"
    diff "$WORK/expected.preamble" "$WORK/second.preamble" >&2 || fail "the preamble"
    [ -f "$WORK/second/best.ckpt" ] && [ -f "$WORK/second/last.ckpt" ] ||
        fail "the fresh folder lacks a checkpoint: $(ls "$WORK/second")"
    grep '"checkpoint"' "$WORK/second.out" | tail -n 1 | grep -q '"checkpoint": "last.ckpt", "epoch": 6' ||
        fail "the last checkpoint reported: $(grep '"checkpoint"' "$WORK/second.out" | tail -n 1)"
    # Resumed in its own folder (after a SIGTERM, say), a run has nothing to
    # adopt and writes no preamble.
    run third HPSEARCH_BUDGET_MAX=6 HPSEARCH_RESUME_FROM="$WORK/first/last.ckpt" \
        -- $ARGS --epochs 3 --out-dir "$WORK/first"
    expect_status 0
    head -n 1 "$WORK/third.out" | grep -q '^{"epoch": 3, ' || fail "a preamble in place: $(head -n 1 "$WORK/third.out")"
    ;;
early_stopping_state)
    # --min-delta 0.5: no epoch after the first improves enough, so the stale
    # count climbs by one an epoch. Patience 4 stops a straight run at epoch
    # 5; split at 3 and promoted to 9, it stops at 5 too, with the same line.
    ES="--hidden 32 --seed 4 --min-delta 0.5 --lr-schedule cosine"
    run straight -- $ES --patience 4 --epochs 9 --schedule-epochs 9 --out-dir "$WORK/straight"
    expect_status 0
    grep -q '"stopped": "early_stopping".*"epochs_run": 5' "$WORK/straight.out" ||
        fail "the straight run did not stop at 5: $(tail -n 1 "$WORK/straight.out")"
    run first HPSEARCH_BUDGET_MAX=9 -- $ES --patience 4 --epochs 3 --out-dir "$WORK/first"
    expect_status 0
    run second HPSEARCH_BUDGET_MAX=9 HPSEARCH_RESUME_FROM="$WORK/first/last.ckpt" \
        -- $ES --patience 4 --epochs 9 --out-dir "$WORK/second"
    expect_status 0
    join_split first second
    strip_seconds "$WORK/straight.out" >"$WORK/straight.lines"
    diff "$WORK/straight.lines" "$WORK/joined.lines" >&2 || fail "patience 4: split differs"
    # Patience 2 stops at epoch 3: a run promoted from there stops at once,
    # with the final line of the run that stopped, and trains nothing.
    run straight2 -- $ES --patience 2 --epochs 9 --schedule-epochs 9 --out-dir "$WORK/straight2"
    expect_status 0
    grep -q '"stopped": "early_stopping".*"epochs_run": 3' "$WORK/straight2.out" ||
        fail "the straight run did not stop at 3: $(tail -n 1 "$WORK/straight2.out")"
    run first2 HPSEARCH_BUDGET_MAX=9 -- $ES --patience 2 --epochs 3 --out-dir "$WORK/first2"
    expect_status 0
    run second2 HPSEARCH_BUDGET_MAX=9 HPSEARCH_RESUME_FROM="$WORK/first2/last.ckpt" \
        -- $ES --patience 2 --epochs 9 --out-dir "$WORK/second2"
    expect_status 0
    grep -q '"train_loss"' "$WORK/second2.out" && fail "trained after stopping early"
    join_split first2 second2
    strip_seconds "$WORK/straight2.out" >"$WORK/straight.lines"
    diff "$WORK/straight.lines" "$WORK/joined.lines" >&2 || fail "patience 2: split differs"
    ;;
schedule_epochs_values)
    run a -- --schedule-epochs 0 --out-dir "$WORK/a"
    expect_status 2
    expect_stderr 'hpsearch-train: option --schedule-epochs: must be between 1 and 1000000, got "0"'
    run b -- --schedule-epochs=many --out-dir "$WORK/b"
    expect_status 2
    expect_stderr 'hpsearch-train: option --schedule-epochs: expected an integer, got "many"'
    run c HPSEARCH_BUDGET_MAX=-3 -- --out-dir "$WORK/c"
    expect_status 2
    expect_stderr 'hpsearch-train: environment HPSEARCH_BUDGET_MAX: must be between 1 and 1000000, got "-3"'
    # The flag wins over the environment, and the horizon is recorded.
    run d HPSEARCH_BUDGET_MAX=7 -- --schedule-epochs 4 --epochs 1 --out-dir "$WORK/d"
    expect_status 0
    grep -aq '"schedule-epochs":4,' "$WORK/d/last.ckpt" || fail "horizon not recorded"
    # Without either, the horizon is --epochs: a plain run is what it was.
    run e -- --epochs 2 --lr-schedule cosine --out-dir "$WORK/e"
    run f -- --epochs 2 --lr-schedule cosine --schedule-epochs 2 --out-dir "$WORK/f"
    strip_seconds "$WORK/e.out" >"$WORK/e.lines"
    strip_seconds "$WORK/f.out" >"$WORK/f.lines"
    diff "$WORK/e.lines" "$WORK/f.lines" >&2 || fail "the default horizon is not --epochs"
    grep -q '"epoch": 2, .*"lr": [0-9.]*e-0[7-9],' "$WORK/e.out" ||
        fail "cosine over 2 epochs does not end near lr-min 0: $(grep -o '"lr": [^,]*' "$WORK/e.out")"
    # On a horizon of 4, 2 epochs end halfway down: near lr / 2.
    run g -- --epochs 2 --lr-schedule cosine --schedule-epochs 4 --out-dir "$WORK/g"
    grep -q '"epoch": 2, .*"lr": 0.0005[0-9]*,' "$WORK/g.out" ||
        fail "horizon 4 after 2 epochs: $(grep -o '"lr": [^,]*' "$WORK/g.out")"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
