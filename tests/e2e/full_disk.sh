#!/bin/sh
# A sweep of the real hpsearch-train on a full disk: a 400 KB tmpfs mounted in
# a private mount namespace (root only; exits 77, skipped, where mounting is
# not allowed). hpsearch must stop before the disk is full (min_free_mb), or,
# told not to (min_free_mb 0), stop cleanly when a trainer cannot write: exit
# 1, a message that names the disk (or the journal, whichever failed first;
# never results.json), no trial recorded as failed, and after space is freed a
# resume that runs every trial.
#
#   full_disk.sh HPSEARCH WORKDIR
set -eu
hpsearch=$1
work=$2

if [ "${HP_FULL_DISK_NS:-}" != 1 ]; then
    if ! unshare -m --propagation private true 2>/dev/null; then
        echo "skipped: cannot make a mount namespace here (needs root)"
        exit 77
    fi
    HP_FULL_DISK_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi

fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.txt; do echo "== $f" >&2; cat "$f" >&2; done
    exit 1
}

rm -rf "$work"
mkdir -p "$work/disk"
if ! mount -t tmpfs -o size=400k tmpfs "$work/disk"; then
    echo "skipped: cannot mount a tmpfs here"
    exit 77
fi
cd "$work"

space() { # space MIN_FREE_MB
    cat <<JSON
{"name": "full-disk", "command": ["hpsearch-train", "--data", "synthetic", "--epochs", "3"],
 "strategy": {"type": "grid"}, "seeds": 1, "parallel": 1, "min_free_mb": $1,
 "params": {"hidden": "512", "lr": {"type": "choice", "values": [0.001, 0.002, 0.003, 0.005, 0.01, 0.02]}}}
JSON
}

# 1. The default headroom (100 MiB) is more than this disk has: nothing starts.
space 100 > space-default.json
status=0
"$hpsearch" run space-default.json --out disk/a > a-out.txt 2> a-err.txt || status=$?
[ "$status" = 1 ] || fail "default headroom: exit $status, expected 1"
grep -q "hpsearch: the disk of $work/disk/a is full: the tmpfs file system at $work/disk has 0\.[0-9] MiB free (min_free_mb is 100); no trial is lost: free some space, then run hpsearch resume" a-err.txt ||
    fail "default headroom: the message does not name the disk"
! grep -q '"event":"start"' disk/a/journal.jsonl || fail "default headroom: a trial started"
rm -rf disk/a

# 2. No headroom: the trainers (or the journal) hit the full disk.
space 0 > space.json
status=0
"$hpsearch" run space.json --out disk/b > b-out.txt 2> b-err.txt || status=$?
[ "$status" = 1 ] || fail "full disk: exit $status, expected 1"
grep -q -e "hpsearch: the disk of $work/disk/b is full: the tmpfs file system at $work/disk" \
        -e "exited with status 74 (an I/O error): it could not write; the tmpfs file system at $work/disk " \
        -e "journal.jsonl: write failed: No space left on device" b-err.txt ||
    fail "full disk: the message names neither the disk nor the journal"
! grep -q 'results.json' b-err.txt || fail "full disk: results.json named instead of the first error"
! grep -q '"failure"' disk/b/journal.jsonl || fail "full disk: a trial was recorded as failed"

# 3. Space again: resume runs what is missing, and nothing failed.
mount -o remount,size=64m tmpfs "$work/disk"
"$hpsearch" resume disk/b > c-out.txt 2> c-err.txt || fail "resume: exit $?"
grep -q '"trials_ok": 6' disk/b/results.json || fail "resume: not every trial ran"
grep -q '"trials_failed": 0' disk/b/results.json || fail "resume: some trials failed"
echo "ok: stopped before and at a full disk, lost nothing, resumed"
