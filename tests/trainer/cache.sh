#!/bin/sh
# The data cache end to end, with the real hpsearch-train on Fashion-MNIST (a
# small training subset): the metric lines and checkpoints are the same bits
# without the cache, while building it and when mapping it; a damaged cache
# is rebuilt; the default folder is $HPSEARCH_SWEEP_DIR/.cache and without
# either nothing is written outside --out-dir.
#
#   cache.sh CASE TRAINER WORKDIR
#
# Exits 0 when the behaviour holds, 1 with a message otherwise, 77 (skipped)
# when the Fashion-MNIST files are not installed.
set -u

CASE=$1
TRAINER=$2
WORK=$3
DATA=/usr/share/datasets/fashion-mnist
rm -rf "$WORK"
mkdir -p "$WORK"
export OPENBLAS_NUM_THREADS=1
unset HPSEARCH_SEED HPSEARCH_TRIAL_DIR HPSEARCH_RESUME_FROM HPSEARCH_BUDGET_MAX \
    HPSEARCH_SWEEP_DIR HPSEARCH_TRAIN_TIMING
[ -f "$DATA/train-images-idx3-ubyte.gz" ] || { echo "no $DATA: skipped"; exit 77; }

fail() {
    echo "FAIL ($CASE): $*" >&2
    exit 1
}

ARGS="--data fashion-mnist --data-dir $DATA --train-subset 400 --val-size 300
      --hidden 16 --epochs 2 --seed 5 --dropout 0.1"

# run NAME ARGS...: stdout to $WORK/NAME.out, stderr to $WORK/NAME.err;
# fails unless the run exits 0.
run() {
    NAME=$1
    shift
    "$TRAINER" $ARGS --out-dir "$WORK/$NAME" "$@" >"$WORK/$NAME.out" 2>"$WORK/$NAME.err" ||
        fail "$NAME: exit status $?: $(cat "$WORK/$NAME.err")"
}

# same NAME: NAME's lines and best.ckpt are those of the run "plain".
same() {
    sed -E 's/, "seconds": [^,}]*//' "$WORK/plain.out" >"$WORK/plain.lines"
    sed -E 's/, "seconds": [^,}]*//' "$WORK/$1.out" >"$WORK/$1.lines"
    diff "$WORK/plain.lines" "$WORK/$1.lines" >&2 || fail "$1: other metric lines"
    cmp "$WORK/plain/best.ckpt" "$WORK/$1/best.ckpt" || fail "$1: another best.ckpt"
}

case "$CASE" in
same_results)
    run plain
    run build --cache-dir "$WORK/cache"
    run warm --cache-dir "$WORK/cache"
    same build
    same warm
    [ "$(ls "$WORK/cache" | grep -c '\.bin$')" -eq 1 ] || fail "cache files: $(ls "$WORK/cache")"
    [ ! -s "$WORK/warm.err" ] || fail "warm run's stderr: $(cat "$WORK/warm.err")"
    ;;
damaged_rebuilt)
    run plain
    run build --cache-dir "$WORK/cache"
    bin=$(ls "$WORK"/cache/*.bin)
    # A byte in the middle of the training images, then a cut-off file.
    printf 'X' | dd of="$bin" bs=1 seek=20000000 conv=notrunc 2>/dev/null
    run flipped --cache-dir "$WORK/cache"
    grep -q 'rebuilding it: its contents are damaged' "$WORK/flipped.err" ||
        fail "no rebuild note: $(cat "$WORK/flipped.err")"
    same flipped
    truncate -s 30000000 "$bin"
    run cut --cache-dir "$WORK/cache"
    grep -q 'rebuilding it: truncated or extended' "$WORK/cut.err" ||
        fail "no rebuild note: $(cat "$WORK/cut.err")"
    same cut
    run warm --cache-dir "$WORK/cache"
    [ ! -s "$WORK/warm.err" ] || fail "not rebuilt whole: $(cat "$WORK/warm.err")"
    same warm
    ;;
where_it_lives)
    # HPSEARCH_SWEEP_DIR gives the default folder; --cache-dir wins over it.
    mkdir "$WORK/sweep"
    export HPSEARCH_SWEEP_DIR="$WORK/sweep"
    run swept
    ls "$WORK"/sweep/.cache/*.bin >/dev/null 2>&1 || fail "no cache in the sweep's .cache"
    run flag --cache-dir "$WORK/mine"
    ls "$WORK"/mine/*.bin >/dev/null 2>&1 || fail "--cache-dir not used"
    [ "$(ls "$WORK"/sweep/.cache/*.bin | wc -l)" -eq 1 ] || fail "the flag did not win"
    unset HPSEARCH_SWEEP_DIR
    # Without either, a run writes nothing but its --out-dir, wherever it runs.
    mkdir "$WORK/cwd"
    (cd "$WORK/cwd" && "$TRAINER" $ARGS --out-dir "$WORK/bare" >"$WORK/bare.out" 2>"$WORK/bare.err") ||
        fail "bare run failed: $(cat "$WORK/bare.err")"
    [ -z "$(ls -A "$WORK/cwd")" ] || fail "wrote into its working folder: $(ls -A "$WORK/cwd")"
    [ "$(ls "$WORK/bare" | tr '\n' ' ')" = "best.ckpt last.ckpt " ] || fail "out-dir: $(ls -A "$WORK/bare")"
    ;;
racing_builders)
    run plain
    for i in 1 2 3; do
        "$TRAINER" $ARGS --out-dir "$WORK/r$i" --cache-dir "$WORK/cache" \
            >"$WORK/r$i.out" 2>"$WORK/r$i.err" &
    done
    wait
    for i in 1 2 3; do same "r$i"; done
    [ "$(ls -A "$WORK/cache" | grep -vc '\.lock$')" -eq 1 ] || fail "cache folder: $(ls -A "$WORK/cache")"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
