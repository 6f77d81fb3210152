#!/bin/sh
# End-to-end checks of the real hpsearch-train binary, one case per ctest.
#
#   cli.sh CASE TRAINER WORKDIR
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
unset HPSEARCH_SEED HPSEARCH_TRIAL_DIR HPSEARCH_RESUME_FROM

fail() {
    echo "FAIL ($CASE): $*" >&2
    exit 1
}

# Runs the trainer with the given arguments; stdout to $WORK/$NAME.out,
# stderr to $WORK/$NAME.err, status in $STATUS.
run() {
    NAME=$1
    shift
    "$TRAINER" "$@" >"$WORK/$NAME.out" 2>"$WORK/$NAME.err"
    STATUS=$?
}

# The metric lines without their "seconds" field, the only one allowed to
# differ between identical runs.
strip_seconds() {
    sed -E 's/, "seconds": [^,}]*//' "$1"
}

expect_status() {
    [ "$STATUS" -eq "$1" ] || fail "exit status $STATUS, expected $1; stderr: $(cat "$WORK/$NAME.err")"
}

expect_stderr() {
    grep -qF -- "$1" "$WORK/$NAME.err" || fail "stderr lacks '$1': $(cat "$WORK/$NAME.err")"
}

# Writes a CSV of $2 rows to $1: features x1, x2, x3 from a fixed LCG, a
# class ("low" when 2 x1 - x2 < 0, else "high") and a regression target
# 3 x1 - 2 x2 + 0.5 x3 + 1.
make_csv() {
    awk -v rows="$2" 'BEGIN {
        s = 12345
        print "x1,x2,kind,x3,target"
        for (i = 0; i < rows; i++) {
            s = (s * 1103515245 + 12345) % 2147483648; a = s / 2147483648 * 4 - 2
            s = (s * 1103515245 + 12345) % 2147483648; b = s / 2147483648 * 4 - 2
            s = (s * 1103515245 + 12345) % 2147483648; c = s / 2147483648 * 4 - 2
            printf "%.6f,%.6f,%s,%.6f,%.6f\n", a, b, (2 * a - b < 0 ? "low" : "high"), c, 3 * a - 2 * b + 0.5 * c + 1
        }
    }' >"$1"
}

# Prints the bytes of a checkpoint's first tensor (layer0.weight), $2 floats.
first_tensor() {
    header_len=$(od -An -tu4 -j12 -N4 "$1" | tr -d ' ')
    tail -c +$((24 + header_len + 1)) "$1" | head -c $(($2 * 4)) | od -An -tx1
}

case "$CASE" in
same_seed_identical)
    run a --seed 3 --epochs 4 --hidden 32,16 --out-dir "$WORK/run"
    expect_status 0
    mv "$WORK/run/best.ckpt" "$WORK/a.ckpt"
    run b --seed 3 --epochs 4 --hidden 32,16 --out-dir "$WORK/run"
    expect_status 0
    strip_seconds "$WORK/a.out" >"$WORK/a.lines"
    strip_seconds "$WORK/b.out" >"$WORK/b.lines"
    diff "$WORK/a.lines" "$WORK/b.lines" >&2 || fail "same seed, different lines"
    [ "$(grep -c '"epoch": ' "$WORK/a.lines")" -ge 4 ] || fail "too few lines"
    grep -q '"seconds"' "$WORK/a.out" || fail "no seconds field"
    cmp -s "$WORK/a.ckpt" "$WORK/run/best.ckpt" || fail "best.ckpt differs"
    ;;
different_seed_differs)
    run a --seed 3 --epochs 2 --out-dir "$WORK/a"
    expect_status 0
    run b --seed 4 --epochs 2 --out-dir "$WORK/b"
    expect_status 0
    strip_seconds "$WORK/a.out" >"$WORK/a.lines"
    strip_seconds "$WORK/b.out" >"$WORK/b.lines"
    if diff -q "$WORK/a.lines" "$WORK/b.lines" >/dev/null; then
        fail "seeds 3 and 4 gave identical lines"
    fi
    ;;
env_defaults)
    # HPSEARCH_SEED and HPSEARCH_TRIAL_DIR stand in for --seed and --out-dir;
    # --name=value and --name value are the same.
    run a --seed 5 --epochs 2 --lr 0.01 --out-dir "$WORK/a"
    NAME=b
    env HPSEARCH_SEED=5 HPSEARCH_TRIAL_DIR="$WORK/b" "$TRAINER" --epochs=2 --lr=0.01 \
        >"$WORK/b.out" 2>"$WORK/b.err"
    STATUS=$?
    expect_status 0
    [ -f "$WORK/b/best.ckpt" ] || fail "no best.ckpt in HPSEARCH_TRIAL_DIR"
    strip_seconds "$WORK/a.out" >"$WORK/a.lines"
    strip_seconds "$WORK/b.out" >"$WORK/b.lines"
    diff "$WORK/a.lines" "$WORK/b.lines" >&2 || fail "environment defaults differ from flags"
    NAME=c
    env HPSEARCH_SEED=x "$TRAINER" --epochs 1 --out-dir "$WORK/c" >"$WORK/c.out" 2>"$WORK/c.err"
    STATUS=$?
    expect_status 2
    expect_stderr 'environment HPSEARCH_SEED'
    ;;
metric_lines)
    # Every line is a JSON object with the documented keys in the documented
    # order; a checkpoint line follows each improvement and names a file that
    # exists.
    run a --epochs 3 --out-dir "$WORK/a"
    expect_status 0
    [ ! -s "$WORK/a.err" ] || fail "unexpected stderr: $(cat "$WORK/a.err")"
    EPOCH_KEYS='"epoch":"train_loss":"val_loss":"val_accuracy":"val_macro_f1":"val_recall":"grad_norm":"grad_flag":"clipped":"lr":"seconds":'
    BEST_KEYS='"checkpoint":"epoch":'
    FINAL_KEYS='"final":"stopped":"reason":"epochs_run":"best_epoch":"best_val_accuracy":"test_loss":"test_accuracy":"test_macro_f1":"test_confusion":"fit":"fit_reason":"seconds":'
    while IFS= read -r line; do
        case "$line" in
        '{'*'}') ;;
        *) fail "not a JSON object: $line" ;;
        esac
        keys=$(printf '%s\n' "$line" | sed -E 's/"(reason|fit_reason)": "[^"]*"/"\1": ""/g' |
            grep -oE '"[a-z0-9_]+":' | tr -d '\n')
        case "$keys" in
        "$EPOCH_KEYS" | "$BEST_KEYS" | "$FINAL_KEYS") ;;
        *) fail "unexpected keys $keys in $line" ;;
        esac
    done <"$WORK/a.out"
    [ "$(grep -c '^{"epoch"' "$WORK/a.out")" -eq 3 ] || fail "not 3 epoch lines"
    grep -q '"val_recall": \[[-0-9.e]*\(, [-0-9.e]*\)\{9\}\]' "$WORK/a.out" || fail "val_recall is not 10 numbers"
    grep -q '"grad_norm": \[[-0-9.e]*, [-0-9.e]*\]' "$WORK/a.out" || fail "grad_norm is not 2 numbers"
    grep -q '"checkpoint": "best.ckpt", "epoch": 1}' "$WORK/a.out" || fail "no checkpoint line"
    [ -f "$WORK/a/best.ckpt" ] || fail "best.ckpt missing"
    [ -f "$WORK/a/last.ckpt" ] || fail "last.ckpt missing"
    final=$(tail -n 1 "$WORK/a.out")
    echo "$final" | grep -q '^{"final": true, "stopped": "completed", "reason": "ran all 3 epochs", "epochs_run": 3,' ||
        fail "final line: $final"
    # The test confusion matrix: 10 rows of 10 counts adding up to the 1000
    # test rows.
    total=$(echo "$final" | sed -E 's/.*"test_confusion": \[\[([0-9, ]*(\], \[[0-9, ]*)*)\]\].*/\1/' |
        tr -c '0-9' ' ' | awk '{ for (i = 1; i <= NF; i++) { s += $i; n++ } } END { print n, s }')
    [ "$total" = "100 1000" ] || fail "confusion matrix: $total"
    ;;
bad_value)
    run a --lr fast
    expect_status 2
    expect_stderr 'hpsearch-train: option --lr: expected a number, got "fast"'
    run b --batch=0
    expect_status 2
    expect_stderr 'option --batch: must be between 1 and 65536, got "0"'
    run c --hidden 12,x
    expect_status 2
    expect_stderr 'option --hidden'
    expect_stderr '"12,x"'
    run d --activation sigmoid
    expect_status 2
    expect_stderr 'option --activation: expected one of relu|tanh, got "sigmoid"'
    run e --epochs
    expect_status 2
    expect_stderr 'option --epochs: missing value'
    run f --lr 0
    expect_status 2
    expect_stderr 'option --lr: must be > 0'
    [ ! -s "$WORK/a.out" ] || fail "a usage error wrote to stdout"
    ;;
unknown_flag)
    run a --frobnicate 3
    expect_status 2
    expect_stderr 'unknown option --frobnicate'
    run b --lr=0.1 stray
    expect_status 2
    expect_stderr 'unexpected argument "stray"'
    ;;
help)
    run a --help
    expect_status 0
    for flag in data data-dir val-size split-seed data-seed hidden activation optimizer \
        lr momentum weight-decay weight-decay-mode dropout lr-schedule lr-step-epochs \
        lr-gamma lr-min warmup-epochs patience min-delta clip-grad-norm batch epochs \
        train-subset imbalance class-weights oversample augment-shift augment-flip \
        augment-noise csv csv-test label task classes init-from freeze new-head \
        seed out-dir \
        resume help; do
        grep -qE -- "^  --$flag( |$)" "$WORK/a.out" || fail "--help does not list --$flag"
    done
    for status in 0 1 2 3 4 74; do
        grep -qE "^  $status +[a-zA-Z]" "$WORK/a.out" || fail "--help does not document exit $status"
    done
    ;;
diverges)
    run a --optimizer sgd --lr 1e6 --momentum 0 --epochs 5 --out-dir "$WORK/a"
    expect_status 3
    tail -n 1 "$WORK/a.out" | grep -q '"final": true, "stopped": "nan"' ||
        fail "last line: $(tail -n 1 "$WORK/a.out")"
    grep -qE '"train_loss": (NaN|Infinity)' "$WORK/a.out" || fail "no NaN epoch line"
    expect_stderr 'stopping'
    ;;
missing_data)
    run a --data fashion-mnist --data-dir "$WORK/nowhere"
    expect_status 1
    expect_stderr "$WORK/nowhere/train-images-idx3-ubyte.gz: cannot open"
    # A file that is not gzip'd IDX is named with what is wrong.
    mkdir -p "$WORK/bad"
    printf 'not an idx file at all' | gzip >"$WORK/bad/train-images-idx3-ubyte.gz"
    run b --data fashion-mnist --data-dir "$WORK/bad"
    expect_status 1
    expect_stderr "$WORK/bad/train-images-idx3-ubyte.gz: bad magic number"
    ;;
resume_after_sigterm)
    # 12 epochs straight == the same run stopped by SIGTERM mid-run, then
    # resumed from its last.ckpt: the same metric lines (apart from
    # "seconds") and the same checkpoints, byte for byte.
    ARGS="--hidden 256,256 --batch 8 --epochs 12 --seed 7 --dropout 0.2,0.1
          --lr-schedule cosine --warmup-epochs 1 --weight-decay 1e-3
          --weight-decay-mode decoupled --augment-noise 0.1 --oversample
          --class-weights balanced --clip-grad-norm 1"
    run straight $ARGS --out-dir "$WORK/straight"
    expect_status 0
    NAME=first
    # A first.out left by an earlier run would be read before the background
    # shell truncates it: the wait below must see this run's lines only.
    : >"$WORK/first.out"
    "$TRAINER" $ARGS --out-dir "$WORK/stopped" >"$WORK/first.out" 2>"$WORK/first.err" &
    PID=$!
    # Wait for the third epoch line, then ask the run to stop.
    i=0
    while [ "$(grep -c '"epoch": 3,' "$WORK/first.out")" -eq 0 ] && [ $i -lt 600 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -TERM $PID
    wait $PID
    STATUS=$?
    expect_status 4
    expect_stderr 'SIGTERM: stopped at epoch'
    tail -n 1 "$WORK/first.out" | grep -q '"final": true, "stopped": "signal", "signal": "SIGTERM"' ||
        fail "last line: $(tail -n 1 "$WORK/first.out")"
    [ -f "$WORK/stopped/last.ckpt" ] || fail "no last.ckpt"
    ls "$WORK/stopped" | grep -q tmp && fail "temporary file left: $(ls "$WORK/stopped")"
    # The stop reports the last.ckpt it wrote mid-epoch, then its final line.
    tail -n 2 "$WORK/first.out" | head -n 1 | grep -q '^{"checkpoint": "last.ckpt", "epoch": [0-9]*}$' ||
        fail "no checkpoint line for the mid-epoch last.ckpt"
    run second $ARGS --out-dir "$WORK/stopped" --resume "$WORK/stopped/last.ckpt"
    expect_status 0
    sed '$d' "$WORK/first.out" | sed '$d' | cat - "$WORK/second.out" >"$WORK/joined.out"
    strip_seconds "$WORK/straight.out" >"$WORK/a.lines"
    strip_seconds "$WORK/joined.out" >"$WORK/b.lines"
    diff "$WORK/a.lines" "$WORK/b.lines" >&2 || fail "resumed run differs from the straight one"
    cmp "$WORK/straight/best.ckpt" "$WORK/stopped/best.ckpt" || fail "best.ckpt differs"
    cmp "$WORK/straight/last.ckpt" "$WORK/stopped/last.ckpt" || fail "last.ckpt differs"
    ;;
resume_extends_run)
    # 4 epochs, then resumed with --epochs 8 (through HPSEARCH_RESUME_FROM,
    # into a fresh folder) == 8 epochs straight.
    run straight --epochs 8 --seed 2 --out-dir "$WORK/straight"
    expect_status 0
    run first --epochs 4 --seed 2 --out-dir "$WORK/first"
    expect_status 0
    NAME=second
    env HPSEARCH_RESUME_FROM="$WORK/first/last.ckpt" "$TRAINER" --epochs 8 --seed 2 \
        --out-dir "$WORK/second" >"$WORK/second.out" 2>"$WORK/second.err"
    STATUS=$?
    expect_status 0
    expect_stderr 'note: resuming with --epochs 8 (the checkpoint had 4)'
    # The new folder starts with the state it resumed: best.ckpt and
    # last.ckpt, reported before the first new epoch's line.
    head -n 2 "$WORK/second.out" >"$WORK/second.preamble"
    printf '%s\n{"checkpoint": "last.ckpt", "epoch": 4}\n' \
        "$(grep '"checkpoint": "best.ckpt"' "$WORK/first.out" | tail -n 1)" >"$WORK/expected.preamble"
    diff "$WORK/expected.preamble" "$WORK/second.preamble" >&2 || fail "no preamble of checkpoints"
    grep -v '"final"' "$WORK/first.out" >"$WORK/joined.out"
    tail -n +3 "$WORK/second.out" >>"$WORK/joined.out"
    strip_seconds "$WORK/straight.out" >"$WORK/a.lines"
    strip_seconds "$WORK/joined.out" >"$WORK/b.lines"
    diff "$WORK/a.lines" "$WORK/b.lines" >&2 || fail "extended run differs from the straight one"
    cmp "$WORK/straight/last.ckpt" "$WORK/second/last.ckpt" || fail "last.ckpt differs"
    [ -f "$WORK/second/best.ckpt" ] || fail "no best.ckpt in the new folder"
    ;;
resume_refuses_mismatch)
    run a --epochs 2 --hidden 16 --out-dir "$WORK/a"
    expect_status 0
    run b --epochs 2 --hidden 32 --out-dir "$WORK/b" --resume "$WORK/a/last.ckpt"
    expect_status 1
    expect_stderr "$WORK/a/last.ckpt: incompatible model: the checkpoint holds 20-16-10 relu, this run builds 20-32-10 relu"
    run c --epochs 2 --hidden 16 --optimizer sgd --out-dir "$WORK/c" --resume "$WORK/a/last.ckpt"
    expect_status 1
    expect_stderr 'was trained with --optimizer adam; this run uses sgd'
    # A best.ckpt (no training state) stands for the last.ckpt beside it ...
    run d --epochs 2 --hidden 16 --out-dir "$WORK/d" --resume "$WORK/a/best.ckpt"
    expect_status 0
    expect_stderr "note: $WORK/a/best.ckpt holds no training state; resuming from $WORK/a/last.ckpt"
    # ... and without one the run starts afresh (the same lines as a fresh run).
    mkdir -p "$WORK/lonely"
    cp "$WORK/a/best.ckpt" "$WORK/lonely/best.ckpt"
    run g --epochs 2 --hidden 16 --out-dir "$WORK/g" --resume "$WORK/lonely/best.ckpt"
    expect_status 0
    expect_stderr 'holds no training state and has no last.ckpt beside it; starting afresh'
    strip_seconds "$WORK/a.out" >"$WORK/a.lines"
    strip_seconds "$WORK/g.out" >"$WORK/g.lines"
    diff "$WORK/a.lines" "$WORK/g.lines" >&2 || fail "a fresh start differs"
    run e --epochs 2 --out-dir "$WORK/e" --resume "$WORK/nothing.ckpt"
    expect_status 1
    expect_stderr "$WORK/nothing.ckpt: cannot open"
    ;;
early_stopping)
    # With --patience 2 the run stops two epochs after its best one (no
    # improvement since), says so, and tests the best epoch's weights.
    run a --epochs 60 --lr 0.01 --patience 2 --out-dir "$WORK/a"
    expect_status 0
    final=$(tail -n 1 "$WORK/a.out")
    echo "$final" | grep -q '"stopped": "early_stopping", "reason": "early stopping: val_accuracy did not improve by more than 0 for 2 epochs' ||
        fail "final line: $final"
    run_epochs=$(echo "$final" | sed -E 's/.*"epochs_run": ([0-9]+).*/\1/')
    best=$(echo "$final" | sed -E 's/.*"best_epoch": ([0-9]+).*/\1/')
    [ "$run_epochs" -lt 60 ] || fail "did not stop early"
    [ "$run_epochs" -eq $((best + 2)) ] || fail "stopped at $run_epochs, best $best"
    [ "$(grep -c '^{"epoch"' "$WORK/a.out")" -eq "$run_epochs" ] || fail "epoch lines"
    # min-delta: a gain must exceed it to reset the patience.
    run b --epochs 60 --lr 0.01 --patience 2 --min-delta 0.5 --out-dir "$WORK/b"
    expect_status 0
    tail -n 1 "$WORK/b.out" | grep -q '"epochs_run": 3,' || fail "min-delta: $(tail -n 1 "$WORK/b.out")"
    ;;
lr_schedule)
    # step: halved every 2 epochs; warm-up: a climb over the first epoch;
    # the epoch line reports the rate of the epoch's last update.
    run a --epochs 5 --lr 0.001 --lr-schedule step --lr-step-epochs 2 --lr-gamma 0.5 \
        --out-dir "$WORK/a"
    expect_status 0
    grep -o '"lr": [^,]*' "$WORK/a.out" | tr '\n' ' ' >"$WORK/lrs"
    [ "$(cat "$WORK/lrs")" = '"lr": 0.001 "lr": 0.001 "lr": 0.0005 "lr": 0.0005 "lr": 0.00025 ' ] ||
        fail "step rates: $(cat "$WORK/lrs")"
    run b --epochs 3 --lr 0.001 --lr-schedule cosine --lr-min 0.0001 --out-dir "$WORK/b"
    expect_status 0
    grep -q '"epoch": 3, .*"lr": 0.0001000' "$WORK/b.out" ||
        fail "cosine does not end near lr-min: $(grep '"epoch": 3' "$WORK/b.out")"
    run c --epochs 2 --lr 0.001 --warmup-epochs 1 --out-dir "$WORK/c"
    expect_status 0
    grep -q '"epoch": 1, .*"lr": 0.001,' "$WORK/c.out" || fail "warm-up does not reach lr"
    strip_seconds "$WORK/c.out" | head -n 1 >"$WORK/c1"
    run d --epochs 2 --lr 0.001 --out-dir "$WORK/d"
    strip_seconds "$WORK/d.out" | head -n 1 >"$WORK/d1"
    if cmp -s "$WORK/c1" "$WORK/d1"; then fail "warm-up changed nothing"; fi
    ;;
regularization_changes_results)
    # Dropout and both kinds of weight decay each change the run, and each
    # is still deterministic.
    run base --epochs 2 --out-dir "$WORK/base"
    strip_seconds "$WORK/base.out" >"$WORK/base.lines"
    for flags in "--dropout 0.3" "--weight-decay 0.1" "--weight-decay 0.1 --weight-decay-mode decoupled"; do
        run x $flags --epochs 2 --out-dir "$WORK/x"
        expect_status 0
        strip_seconds "$WORK/x.out" >"$WORK/x.lines"
        run y $flags --epochs 2 --out-dir "$WORK/y"
        strip_seconds "$WORK/y.out" >"$WORK/y.lines"
        cmp -s "$WORK/x.lines" "$WORK/y.lines" || fail "$flags is not deterministic"
        if cmp -s "$WORK/x.lines" "$WORK/base.lines"; then fail "$flags changed nothing"; fi
        cp "$WORK/x.lines" "$WORK/prev.$(echo $flags | tr -dc a-z0-9)"
    done
    cmp -s "$WORK/prev.weightdecay01" "$WORK/prev.weightdecay01weightdecaymodedecoupled" &&
        fail "decoupled decay equals L2 decay"
    run z --hidden 32,16 --dropout 0.1,0.2,0.3 --out-dir "$WORK/z"
    expect_status 2
    expect_stderr 'option --dropout: 3 rates for 2 hidden layers'
    run w --dropout 1 --out-dir "$WORK/w"
    expect_status 2
    expect_stderr 'option --dropout'
    ;;
gradient_diagnostics)
    # Deep narrow ReLU stacks die: the flag says "vanishing". A huge SGD step
    # makes the norms blow up: "exploding". Clipping to a tiny norm clips
    # every batch (63 of 4000 rows in 64s) and changes the run.
    run a --hidden 2,2,2,2,2,2,2,2,2,2 --epochs 2 --out-dir "$WORK/a"
    expect_status 0
    grep -q '"grad_flag": "vanishing"' "$WORK/a.out" || fail "no vanishing flag"
    run b --optimizer sgd --lr 3 --epochs 2 --out-dir "$WORK/b"
    grep -q '"grad_flag": "exploding"' "$WORK/b.out" || fail "no exploding flag"
    run c --epochs 2 --out-dir "$WORK/c"
    expect_status 0
    grep -q '"grad_flag": "ok", "clipped": 0,' "$WORK/c.out" || fail "a plain run is not ok"
    run d --epochs 2 --clip-grad-norm 0.05 --out-dir "$WORK/d"
    expect_status 0
    [ "$(grep -c '"clipped": 63,' "$WORK/d.out")" -eq 2 ] || fail "not every batch clipped"
    strip_seconds "$WORK/c.out" | grep '^{"epoch"' | sed -E 's/"clipped": [0-9]+, //' >"$WORK/c.lines"
    strip_seconds "$WORK/d.out" | grep '^{"epoch"' | sed -E 's/"clipped": [0-9]+, //' >"$WORK/d.lines"
    if cmp -s "$WORK/c.lines" "$WORK/d.lines"; then fail "clipping changed nothing"; fi
    ;;
fit_verdict)
    # A large net at a high rate for long overfits; a tiny rate for two
    # epochs underfits.
    run a --hidden 512,512 --lr 0.003 --epochs 25 --out-dir "$WORK/a"
    expect_status 0
    tail -n 1 "$WORK/a.out" | grep -q '"fit": "overfit", "fit_reason": "val_loss rose from' ||
        fail "not overfit: $(tail -n 1 "$WORK/a.out")"
    run b --lr 0.0001 --epochs 2 --out-dir "$WORK/b"
    expect_status 0
    tail -n 1 "$WORK/b.out" | grep -q '"fit": "underfit", "fit_reason": "val_loss still at its lowest' ||
        fail "not underfit: $(tail -n 1 "$WORK/b.out")"
    ;;
class_imbalance)
    # Keeping 5% of classes 0 and 1 wrecks their validation recall; weighting
    # the loss or oversampling wins part of it back.
    recall01() {
        grep '"epoch": 10,' "$1" | sed -E 's/.*"val_recall": \[([-0-9.e]+), ([-0-9.e]+),.*/\1 \2/'
    }
    run base --epochs 10 --imbalance 0,1:0.05 --out-dir "$WORK/base"
    expect_status 0
    run weighted --epochs 10 --imbalance 0,1:0.05 --class-weights balanced --out-dir "$WORK/w"
    expect_status 0
    run over --epochs 10 --imbalance 0,1:0.05 --oversample --out-dir "$WORK/o"
    expect_status 0
    set -- $(recall01 "$WORK/base.out") $(recall01 "$WORK/weighted.out") $(recall01 "$WORK/over.out")
    [ $# -eq 6 ] || fail "cannot read val_recall"
    awk -v b0="$1" -v b1="$2" -v w0="$3" -v w1="$4" -v o0="$5" -v o1="$6" \
        'BEGIN { exit !(b0 < 0.2 && b1 < 0.2 && w0 > b0 + 0.1 && w1 > b1 + 0.1 && o0 > b0 + 0.1 && o1 > b1 + 0.1) }' ||
        fail "recall of classes 0, 1: imbalanced $1 $2, weighted $3 $4, oversampled $5 $6"
    run bad --imbalance 0,1:2
    expect_status 2
    expect_stderr 'option --imbalance'
    run missing --imbalance 10:0.5
    expect_status 2
    expect_stderr 'option --imbalance: class 10 does not exist (10 classes)'
    ;;
augmentation)
    # Image augmentations need images; noise works on any data; each changes
    # the run and stays deterministic.
    run a --augment-shift 2
    expect_status 2
    expect_stderr 'option --augment-shift: needs image data'
    run b --epochs 2 --out-dir "$WORK/b"
    run c --epochs 2 --augment-noise 0.3 --out-dir "$WORK/c"
    expect_status 0
    strip_seconds "$WORK/b.out" >"$WORK/b.lines"
    strip_seconds "$WORK/c.out" >"$WORK/c.lines"
    if cmp -s "$WORK/b.lines" "$WORK/c.lines"; then fail "noise changed nothing"; fi
    if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
        FM="--data fashion-mnist --train-subset 2000 --val-size 1000 --epochs 1 --hidden 32"
        run d $FM --out-dir "$WORK/d"
        expect_status 0
        run e $FM --augment-shift 2 --augment-flip 0.5 --out-dir "$WORK/e"
        expect_status 0
        run f $FM --augment-shift 2 --augment-flip 0.5 --out-dir "$WORK/f"
        strip_seconds "$WORK/d.out" >"$WORK/d.lines"
        strip_seconds "$WORK/e.out" >"$WORK/e.lines"
        strip_seconds "$WORK/f.out" >"$WORK/f.lines"
        if cmp -s "$WORK/d.lines" "$WORK/e.lines"; then fail "augmentation changed nothing"; fi
        cmp -s "$WORK/e.lines" "$WORK/f.lines" || fail "augmentation is not deterministic"
    fi
    ;;
csv_data)
    # Classification by class name and regression by column, from one CSV;
    # the other label column is a feature in each case... so drop it: two
    # files, one per task.
    make_csv "$WORK/all.csv" 1500
    cut -d, -f1,2,3,4 "$WORK/all.csv" >"$WORK/kind.csv"
    cut -d, -f1,2,4,5 "$WORK/all.csv" >"$WORK/target.csv"
    run a --data csv --csv "$WORK/kind.csv" --label kind --epochs 15 --lr 0.01 --out-dir "$WORK/a"
    expect_status 0
    acc=$(tail -n 1 "$WORK/a.out" | sed -E 's/.*"test_accuracy": ([-0-9.e]+).*/\1/')
    awk -v a="$acc" 'BEGIN { exit !(a > 0.95) }' || fail "classification test accuracy $acc"
    tail -n 1 "$WORK/a.out" | grep -q '"test_confusion": \[\[[0-9]*, [0-9]*\], \[[0-9]*, [0-9]*\]\]' ||
        fail "not a 2-class confusion matrix: $(tail -n 1 "$WORK/a.out")"
    run b --data csv --csv "$WORK/target.csv" --label target --task regression --epochs 15 \
        --lr 0.01 --out-dir "$WORK/b"
    expect_status 0
    grep -q '^{"epoch": 1, "train_loss": [-0-9.e]*, "val_loss": [-0-9.e]*, "val_rmse": [-0-9.e]*, "val_r2": [-0-9.e]*, "grad_norm"' "$WORK/b.out" ||
        fail "regression epoch line: $(head -n 1 "$WORK/b.out")"
    final=$(tail -n 1 "$WORK/b.out")
    echo "$final" | grep -q '"best_epoch": [0-9]*, "best_val_loss": [-0-9.e]*, "test_loss": [-0-9.e]*, "test_rmse": [-0-9.e]*, "test_r2": ' ||
        fail "regression final line: $final"
    r2=$(echo "$final" | sed -E 's/.*"test_r2": ([-0-9.e]+).*/\1/')
    awk -v r="$r2" 'BEGIN { exit !(r > 0.98) }' || fail "regression test r2 $r2"
    # A test file of its own; --train-subset on CSV.
    head -n 1001 "$WORK/kind.csv" >"$WORK/train.csv"
    { head -n 1 "$WORK/kind.csv"; tail -n 500 "$WORK/kind.csv"; } >"$WORK/test.csv"
    run c --data csv --csv "$WORK/train.csv" --csv-test "$WORK/test.csv" --label kind \
        --train-subset 300 --epochs 5 --out-dir "$WORK/c"
    expect_status 0
    run d --data csv --label kind
    expect_status 2
    expect_stderr 'option --data: csv needs --csv PATH'
    run e --task regression
    expect_status 2
    expect_stderr 'option --task: regression needs --data csv'
    ;;
csv_errors)
    # A malformed row is named by file, line and column.
    printf 'a,b,label\n1,2,0\n3,4,1\n5,abc,0\n' >"$WORK/bad.csv"
    run a --data csv --csv "$WORK/bad.csv"
    expect_status 1
    expect_stderr "hpsearch-train: $WORK/bad.csv:4:3: column \"b\": expected a number, got \"abc\""
    printf 'a,b,label\n1,2,0\n3,4\n' >"$WORK/short.csv"
    run b --data csv --csv "$WORK/short.csv"
    expect_status 1
    expect_stderr "$WORK/short.csv:3:3: expected 3 fields as in the header, got 2"
    printf 'a,b,y\n1,2,0\n' >"$WORK/nolabel.csv"
    run c --data csv --csv "$WORK/nolabel.csv"
    expect_status 1
    expect_stderr "$WORK/nolabel.csv:1:1: no column named \"label\""
    printf 'a,b,label\n1,2,x\n' >"$WORK/target.csv"
    run d --data csv --csv "$WORK/target.csv" --task regression
    expect_status 1
    expect_stderr "$WORK/target.csv:2:5: column \"label\": expected a number (the regression target), got \"x\""
    make_csv "$WORK/all.csv" 100
    cut -d, -f1,2,3 "$WORK/all.csv" >"$WORK/kind.csv"
    printf 'x1,x2,kind\n0.5,0.5,medium\n' >"$WORK/test.csv"
    run e --data csv --csv "$WORK/kind.csv" --csv-test "$WORK/test.csv" --label kind
    expect_status 1
    expect_stderr "$WORK/test.csv:2:9: column \"kind\": \"medium\" is not a class of the training file"
    run f --data csv --csv "$WORK/missing.csv"
    expect_status 1
    expect_stderr "$WORK/missing.csv: cannot open"
    ;;
transfer)
    # Pre-train on classes 0-4, transfer to classes 5-9 with a new head:
    # --freeze 1 leaves the first layer's weights exactly as pre-trained.
    run pre --classes 0,1,2,3,4 --hidden 32,16 --epochs 5 --out-dir "$WORK/pre"
    expect_status 0
    T="--classes 5,6,7,8,9 --train-subset 300 --hidden 32,16 --epochs 5"
    run frozen $T --init-from "$WORK/pre/best.ckpt" --new-head 5 --freeze 1 --out-dir "$WORK/frozen"
    expect_status 0
    first_tensor "$WORK/pre/best.ckpt" 640 >"$WORK/pre.w0"
    first_tensor "$WORK/frozen/best.ckpt" 640 >"$WORK/frozen.w0"
    cmp -s "$WORK/pre.w0" "$WORK/frozen.w0" || fail "the frozen layer changed"
    grep -q '"grad_norm": \[0, [-0-9.e]*, [-0-9.e]*\], "grad_flag": "ok"' "$WORK/frozen.out" ||
        fail "frozen layer's gradient: $(head -n 1 "$WORK/frozen.out")"
    run tuned $T --init-from "$WORK/pre/best.ckpt" --new-head 5 --out-dir "$WORK/tuned"
    expect_status 0
    first_tensor "$WORK/tuned/best.ckpt" 640 >"$WORK/tuned.w0"
    if cmp -s "$WORK/pre.w0" "$WORK/tuned.w0"; then fail "fine-tuning left layer 0 alone"; fi
    run scratch $T --out-dir "$WORK/scratch"
    strip_seconds "$WORK/scratch.out" >"$WORK/scratch.lines"
    strip_seconds "$WORK/tuned.out" >"$WORK/tuned.lines"
    if cmp -s "$WORK/scratch.lines" "$WORK/tuned.lines"; then fail "--init-from changed nothing"; fi
    # Mismatches are refused.
    run a $T --init-from "$WORK/pre/best.ckpt" --new-head 7
    expect_status 2
    expect_stderr 'option --new-head: 7 classes, but the data has 5'
    run b --classes 5,6,7,8,9 --hidden 64,16 --init-from "$WORK/pre/best.ckpt" --new-head 5
    expect_status 1
    expect_stderr 'cannot transfer: the checkpoint holds 20-32-16-5 relu, this run builds 20-64-16-5 relu'
    run c --hidden 32,16 --init-from "$WORK/pre/best.ckpt"
    expect_status 1
    expect_stderr '--new-head K replaces the output layer'
    run d $T --freeze 3
    expect_status 2
    expect_stderr 'option --freeze: 3 layers, but the model has 2 hidden layers'
    run e $T --new-head 5
    expect_status 2
    expect_stderr 'option --new-head: needs --init-from'
    run f --classes 3,3
    expect_status 2
    expect_stderr 'option --classes: class 3 is listed twice'
    ;;
io_failure)
    # A file-size limit (ulimit -f counts blocks of 512 or 1024 bytes
    # depending on the shell; 16 blocks is under best.ckpt's 17 KB either
    # way): EFBIG, not death by SIGXFSZ, and exit 74 naming the file.
    (ulimit -f 16 && exec "$TRAINER" --epochs 2 --out-dir "$WORK/limited" \
        >"$WORK/a.out" 2>"$WORK/a.err")
    STATUS=$?
    NAME=a
    expect_status 74
    expect_stderr "hpsearch-train: $WORK/limited/best.ckpt: cannot write: File too large"
    [ -z "$(ls -A "$WORK/limited")" ] || fail "files left behind: $(ls -A "$WORK/limited")"
    # A full disk: a 64 KB tmpfs holds best.ckpt (17 KB) but not last.ckpt
    # (65 KB): ENOSPC. Mounting needs root and a mount namespace; without
    # them this half is skipped.
    mkdir -p "$WORK/full"
    if unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$WORK/full' &&
        '$TRAINER' --epochs 2 --out-dir '$WORK/full/run' >'$WORK/b.out' 2>'$WORK/b.err';
        echo \$? >'$WORK/b.status'; ls -A '$WORK/full/run' >'$WORK/b.ls'" 2>/dev/null &&
        [ -s "$WORK/b.status" ]; then
        STATUS=$(cat "$WORK/b.status")
        NAME=b
        expect_status 74
        expect_stderr "hpsearch-train: $WORK/full/run/last.ckpt: cannot write: No space left on device"
        [ "$(cat "$WORK/b.ls")" = best.ckpt ] || fail "the full folder holds: $(cat "$WORK/b.ls")"
    else
        echo "note: cannot mount a tmpfs here; the full-disk half is skipped" >&2
    fi
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
