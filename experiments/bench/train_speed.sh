#!/bin/sh
# Training speed of hpsearch-train against PyTorch and against the GEMM floor.
#
# usage: experiments/bench/train_speed.sh [options]
#   --build DIR     the build tree holding bin/hpsearch-train (default: build/
#                   in the repository); configured if it does not exist, and
#                   the trainer brought up to date
#   --epochs N      epochs of each training run; medians over the epochs are
#                   printed (default 3)
#   --data-dir DIR  the Fashion-MNIST files (default:
#                   /usr/share/datasets/fashion-mnist)
#   --native        run everything with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
#                   unset (for this script's commands only), so that OpenBLAS
#                   picks this CPU's own kernels
#   --both          print two tables: the environment as it is, then --native
#   --skip-torch    leave PyTorch out (no ratio column then)
#
# What it measures, in one run, on ONE thread (OPENBLAS_NUM_THREADS=1 and
# torch.set_num_threads(1)), for batch 64 and batch 256:
#  (a) hpsearch-train on Fashion-MNIST, 784-256-128-10, ReLU, Adam, lr 1e-3.
#      --val-size 1 moves a single image to the validation set, so the epoch
#      trains on 59,999 rows (the trainer has no flag for all 60,000) and the
#      epoch line's "seconds", which covers training and the validation pass,
#      is the training time plus the evaluation of one row (microseconds).
#      Checkpoint writes come after "seconds" is taken and are not counted.
#  (b) PyTorch (Debian's python3-torch, installed with apt-get if
#      /usr/bin/python3 cannot import torch) training the same network with
#      the same optimizer (its multi-tensor Adam, foreach=True, the faster one)
#      on the same 59,999 rows held as float32 tensors,
#      timing the training loop only (experiments/bench/torch_mlp.py).
#  (c) OpenBLAS's sgemm alone at the network's exact products
#      (experiments/bench/gemm_floor.c, built here with cc -O2 against
#      OpenBLAS): per layer the forward product, the weight gradient and the
#      input gradient (not for the first layer, as in the trainer), their
#      GFLOP/s, and the GEMM floor: the seconds one epoch's products alone take
#      at that speed (about 60 GFLOP). "real / floor" is (a)'s median epoch
#      over it; the goal in issue 3 is at most 1.15.
# "best/best" is the fastest epoch over the floor at each product's fastest
# window: on a loaded machine the least disturbed figures of both sides.
# Samples per second are rows trained per second of training time; medians
# over the epochs (the first epoch pays the page faults and is usually the
# slowest). The load average is printed before and after: on a shared machine
# read the figures with it. This is a measurement, never a pass/fail test: it
# exits non-zero only when something could not be run at all.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
epochs=3
data_dir=/usr/share/datasets/fashion-mnist
modes=asis
torch=1
rows=59999
sizes="784 256 128 10"

die() {
    echo "train_speed.sh: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --build=*) build=${1#*=}; shift ;;
    --epochs) epochs=$2; shift 2 ;;
    --epochs=*) epochs=${1#*=}; shift ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --data-dir=*) data_dir=${1#*=}; shift ;;
    --native) modes=native; shift ;;
    --both) modes="asis native"; shift ;;
    --skip-torch) torch=0; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "train_speed.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $epochs in '' | *[!0-9]* | 0) die "--epochs: expected a positive integer, got \"$epochs\"" ;; esac

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null || die "cmake failed"
fi
cmake --build "$build" --target hpsearch-train -j2 >/dev/null || die "build failed"
trainer=$build/bin/hpsearch-train
[ -x "$trainer" ] || die "$trainer: not built"

work=$(mktemp -d "${TMPDIR:-/tmp}/train_speed.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -std=c11 -Wall -Wextra $(pkg-config --cflags openblas) \
    "$src/experiments/bench/gemm_floor.c" -o "$work/gemm_floor" \
    $(pkg-config --libs openblas) || die "cannot build gemm_floor.c"

python=/usr/bin/python3
if [ "$torch" = 1 ] && ! "$python" -c 'import torch' 2>/dev/null; then
    echo "train_speed.sh: installing python3-torch" >&2
    apt-get install -y python3-torch >"$work/apt.log" 2>&1 ||
        die "apt-get install python3-torch failed (see --skip-torch)"
fi

# Runs "$@" on one thread in the environment of mode $mode.
run() {
    if [ "$mode" = native ]; then
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "$@"
    else
        env OPENBLAS_NUM_THREADS=1 "$@"
    fi
}

# The median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
        else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

measure() {
    mode=$1
    if [ "$mode" = native ]; then
        label="OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (native kernels)"
    else
        label="environment as is: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-unset}"
        label="$label OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-unset}"
    fi
    load_before=$(uptime | sed 's/.*load average: //')
    for batch in 64 256; do
        run "$trainer" --data fashion-mnist --data-dir "$data_dir" --val-size 1 \
            --hidden 256,128 --activation relu --optimizer adam --lr 1e-3 \
            --batch "$batch" --epochs "$epochs" --seed 1 --out-dir "$work/out" \
            >"$work/trainer.$batch" || die "hpsearch-train failed at batch $batch"
        sed -n 's/^{"epoch".*"seconds": \([0-9.e+-]*\)}$/\1/p' "$work/trainer.$batch" |
            median >"$work/hp.$batch"
        sed -n 's/^{"epoch".*"seconds": \([0-9.e+-]*\)}$/\1/p' "$work/trainer.$batch" |
            sort -g | head -n 1 >"$work/hpmin.$batch"
        if [ "$torch" = 1 ]; then
            run "$python" "$src/experiments/bench/torch_mlp.py" --data-dir "$data_dir" \
                --rows "$rows" --batch "$batch" --epochs "$epochs" \
                >"$work/torch.$batch" || die "torch_mlp.py failed at batch $batch"
            awk '{ print $4 }' "$work/torch.$batch" | median >"$work/pt.$batch"
        else
            echo nan >"$work/pt.$batch"
        fi
        # shellcheck disable=SC2086 # $sizes is a list of words
        run "$work/gemm_floor" "$rows" "$batch" $sizes >"$work/gemm.$batch" ||
            die "gemm_floor failed at batch $batch"
    done
    load_after=$(uptime | sed 's/.*load average: //')

    echo
    echo "== $label"
    echo "   $(nproc) cores; load average before: $load_before; after: $load_after"
    echo "   $rows training rows per epoch, $epochs epochs, medians over the epochs"
    echo
    printf '%-6s %12s %12s %12s %12s %9s %11s %10s %10s %9s\n' batch hp_epoch_s hp_samples/s \
        torch_epoch_s torch_samp/s hp/torch floor_s floor_GF/s real/floor best/best
    for batch in 64 256; do
        hp=$(cat "$work/hp.$batch")
        pt=$(cat "$work/pt.$batch")
        floor=$(awk -F'\t' '$1 == "floor" { print $4 }' "$work/gemm.$batch")
        gfs=$(awk -F'\t' '$1 == "floor" { print $5 }' "$work/gemm.$batch")
        best=$(awk -F'\t' '$1 == "floor" { print $6 }' "$work/gemm.$batch")
        hpmin=$(cat "$work/hpmin.$batch")
        awk -v b="$batch" -v hp="$hp" -v pt="$pt" -v fl="$floor" -v gf="$gfs" -v r="$rows" \
            -v best="$best" -v hpmin="$hpmin" \
            'BEGIN { if (pt == "nan") { pts = "-"; ptr = "-"; ratio = "-" }
                     else { pts = sprintf("%.3f", pt); ptr = sprintf("%.0f", r / pt);
                            ratio = sprintf("%.2fx", pt / hp) }
                     printf "%-6s %12.3f %12.0f %12s %12s %9s %11.3f %10.1f %10.2f %9.2f\n",
                            b, hp, r / hp, pts, ptr, ratio, fl, gf, hp / fl, hpmin / best }'
    done
    echo
    echo "   sgemm alone, one thread (M N K as in C(M,N) = A(M,K) B(K,N); calls per epoch):"
    printf '   %-6s %-9s %5s %5s %5s %6s %11s %8s\n' batch product M N K calls s/call GFLOP/s
    for batch in 64 256; do
        awk -F'\t' -v b="$batch" '$1 == "product" {
            printf "   %-6s %-9s %5s %5s %5s %6s %11s %8s\n", b, $2, $3, $4, $5, $6, $7, $8 }' \
            "$work/gemm.$batch"
        awk -F'\t' '$1 == "floor" {
            printf "   %-6s %-9s %s GFLOP per epoch in %s s: %s GFLOP/s\n", $2, "epoch", $3, $4, $5 }' \
            "$work/gemm.$batch"
    done
    echo
    echo "   per-epoch seconds, hpsearch-train:"
    for batch in 64 256; do
        printf '   batch %-4s %s\n' "$batch" "$(sed -n 's/^{"epoch".*"seconds": \([0-9.e+-]*\)}$/\1/p' \
            "$work/trainer.$batch" | tr '\n' ' ')"
    done
    if [ "$torch" = 1 ]; then
        echo "   per-epoch seconds, PyTorch $("$python" -c 'import torch; print(torch.__version__)'):"
        for batch in 64 256; do
            printf '   batch %-4s %s\n' "$batch" "$(awk '{ printf "%s ", $4 }' "$work/torch.$batch")"
        done
    fi
}

# The commit of the sources the build tree was configured from.
built_from=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
echo "train_speed.sh: hpsearch-train $(git -C "$built_from" rev-parse --short HEAD 2>/dev/null || echo '?') ($build)," \
    "784-256-128-10 ReLU Adam lr 1e-3, one thread"
for m in $modes; do
    measure "$m"
done
