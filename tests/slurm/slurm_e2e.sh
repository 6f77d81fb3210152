#!/bin/bash
# End to end on a real one-node Slurm cluster (cluster.sh): a sweep run
# through `sbatch --wait` with the slurm executor gives the results a local
# run gives; hpsearch killed with -9 inside its allocation leaves no job step
# running; `hpsearch resume` in a new allocation finishes that sweep with the
# results of a straight run; exit codes, signals and a timeout map as locally
# (the timeout stops its step with scancel --signal=TERM); rerun in an
# allocation is a job step too; SIGTERM to hpsearch stops every step
# gracefully. Fails (never skips) when Slurm cannot start.
#
#   slurm_e2e.sh BIN_DIR WORK_DIR
set -u
bin=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
cluster="$work/cluster"

fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/job-*.out; do
        [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
    done
    exit 1
}

# Each test run gets its own ports, so a cluster left by another run cannot
# answer for this one.
export SLURM_TEST_PORT=${SLURM_TEST_PORT:-$((20000 + $$ % 20000))}
export SLURM_TEST_CPUS=4
trap '"$here/cluster.sh" stop "$cluster" >/dev/null 2>&1' EXIT
"$here/cluster.sh" start "$cluster" || fail "the Slurm cluster did not start"
eval "$("$here/cluster.sh" env "$cluster")"

cat >"$work/space.json" <<SPACE
{
  "name": "slurm-e2e",
  "command": ["$bin/fake_trainer", "slow", "--ms=300"],
  "objective": {"metric": "val_accuracy", "mode": "max"},
  "strategy": {"type": "random", "trials": 6, "seed": 7},
  "seeds": [0, 1],
  "params": {"x": {"type": "uniform", "low": 0, "high": 1}}
}
SPACE

# What must not depend on the executor: every trial's outcome and values
# (not its seconds or attempts), and every config's statistics.
summary() {
    cut -d, -f1-7,10- "$1/results.csv"
    cat "$1/configs.csv"
}

# 1. The straight local run.
"$bin/hpsearch" run "$work/space.json" --out "$work/local" -j 4 >"$work/local.log" 2>&1 ||
    fail "the local run failed: $(tail -3 "$work/local.log")"

# 2. The same sweep through sbatch, each trial an srun step.
sbatch --wait -Q -n4 -o "$work/job-straight.out" -D "$work" --wrap \
    "'$bin/hpsearch' run '$work/space.json' --executor slurm --out '$work/slurm'" ||
    fail "the sbatch run failed"
[ -s "$work/slurm/results.csv" ] || fail "the sbatch run wrote no results"
diff <(summary "$work/local") <(summary "$work/slurm") >"$work/diff-straight.txt" ||
    fail "slurm results differ from local ones: $(head -5 "$work/diff-straight.txt")"
echo "ok: sbatch run equals the local run"

# 3. kill -9 of hpsearch inside the allocation, while steps run.
cat >"$work/kill.sh" <<JOB
#!/bin/bash
'$bin/hpsearch' run '$work/space.json' --executor slurm --out '$work/killed' -j 4 &
pid=\$!
for i in \$(seq 100); do
    n=\$(squeue -h -s -j "\$SLURM_JOB_ID" -o '%j' | grep -c '^hpsearch-')
    [ "\$n" -ge 2 ] && break
    sleep 0.1
done
echo "steps running before the kill: \$n"
[ "\$n" -ge 2 ] || exit 3
kill -9 \$pid
wait \$pid 2>/dev/null
# srun dies with hpsearch (parent-death signal) and Slurm ends its step;
# slurmstepd retries the dead srun for a few seconds first, longer under load.
for i in \$(seq 300); do
    left=\$(squeue -h -s -j "\$SLURM_JOB_ID" -o '%i %j' | grep -c ' hpsearch-')
    [ "\$left" -eq 0 ] && break
    sleep 0.1
done
echo "steps left \$((i / 10)) s after the kill: \$left"
squeue -h -s -j "\$SLURM_JOB_ID" -o '%i %j'
if [ "\$left" -ne 0 ]; then
    for st in \$(squeue -h -s -j "\$SLURM_JOB_ID" -o '%i %j' | awk '/ hpsearch-/ {print \$1}'); do
        scontrol show step "\$st"
    done
    ps -eo pid,stat,etime,args | grep -E 'slurmstepd|fake_trainer|srun' | grep -v grep
    exit 4
fi
# No trainer of this sweep either, on this (the only) node.
for p in \$(pgrep -x fake_trainer); do
    if tr '\\0' '\\n' </proc/\$p/environ 2>/dev/null | grep -qx "HPSEARCH_SWEEP_DIR=$work/killed"; then
        echo "trainer \$p still runs"
        exit 5
    fi
done
exit 0
JOB
chmod +x "$work/kill.sh"
sbatch --wait -Q -n4 -o "$work/job-kill.out" -D "$work" "$work/kill.sh" ||
    fail "after kill -9 of hpsearch a job step or trainer was left (or none ran): $(cat "$work/job-kill.out")"
grep -q '"event":"start"\|"event": "start"' "$work/killed/journal.jsonl" ||
    fail "the killed sweep journaled no start"
[ -e "$work/killed/results.csv" ] && fail "the killed sweep finished before the kill"
echo "ok: kill -9 left no step running"

# 4. resume in a new allocation.
sbatch --wait -Q -n4 -o "$work/job-resume.out" -D "$work" --wrap \
    "'$bin/hpsearch' resume '$work/killed' --executor slurm" ||
    fail "the resume in a new allocation failed"
diff <(summary "$work/local") <(summary "$work/killed") >"$work/diff-resume.txt" ||
    fail "resumed results differ from a straight run's: $(head -5 "$work/diff-resume.txt")"
echo "ok: resume in a new allocation equals a straight run"

# 5. Failures and stops map as locally: an exit code, a signal, and a timeout
#    that stops the step gracefully (scancel --signal=TERM: the trainer's
#    TERM handler runs and leaves got-term).
cat >"$work/modes.sh" <<'TRAINER'
case "$1" in
--mode=ok)
    # Which job step ran it, if any (a rerun below must be one too).
    echo "${SLURM_JOB_ID:-none}.${SLURM_STEP_ID:-none}" >"$HPSEARCH_TRIAL_DIR/step-id"
    echo '{"epoch": 1, "val_accuracy": 0.5}' ;;
--mode=exit) echo '{"epoch": 1, "val_accuracy": 0.5}'; echo "bad things" >&2; exit 7 ;;
--mode=abort) echo '{"epoch": 1, "val_accuracy": 0.5}'; kill -ABRT $$ ;;
--mode=term)
    trap 'echo TERM >"$HPSEARCH_TRIAL_DIR/got-term"; exit 0' TERM
    echo '{"epoch": 1, "val_accuracy": 0.5}'
    sleep 60 &
    wait
    ;;
esac
TRAINER
cat >"$work/modes.json" <<SPACE
{
  "name": "slurm-modes",
  "command": ["/bin/sh", "$work/modes.sh"],
  "objective": {"metric": "val_accuracy", "mode": "max"},
  "timeout_s": 5,
  "max_failures": null,
  "params": {"mode": {"type": "choice", "values": ["ok", "exit", "abort", "term"]}}
}
SPACE
"$bin/hpsearch" run "$work/modes.json" --out "$work/modes-local" -j 4 >"$work/modes-local.log" 2>&1
timeout 120 salloc -Q -n4 "$bin/hpsearch" run "$work/modes.json" --executor slurm \
    --out "$work/modes-slurm" >"$work/modes-slurm.log" 2>&1
for d in modes-local modes-slurm; do
    [ -s "$work/$d/results.csv" ] || fail "$d wrote no results: $(tail -3 "$work/$d.log")"
done
diff <(cut -d, -f1-7 "$work/modes-local/results.csv") \
    <(cut -d, -f1-7 "$work/modes-slurm/results.csv") >"$work/diff-modes.txt" ||
    fail "failures map differently under slurm: $(cat "$work/diff-modes.txt")"
for want in "exited with status 7" "signal 6" "exceeded the timeout"; do
    grep -q "$want" "$work/modes-slurm/results.csv" || fail "no '$want' in the slurm results"
done
[ "$(find "$work/modes-slurm" -name got-term | wc -l)" -eq 1 ] ||
    fail "the timed-out step was not stopped with SIGTERM (no got-term):
$(tail -4 "$work/modes-slurm.log"; grep -h ',term,' "$work/modes-slurm/results.csv"
  find "$work/modes-slurm" -path '*c0003*' -name 'stderr*' -exec tail -5 {} \;)"
echo "ok: exit codes, signals and a graceful timeout stop map as locally"

# 5b. rerun inside an allocation runs through the executor too: a job step,
#     and its lines equal the sweep's.
grep -q '^[0-9]*\.[0-9]*$' "$work/modes-slurm/trials/c0000-s0/step-id" ||
    fail "the slurm sweep's trial ran outside a job step: $(cat "$work/modes-slurm/trials/c0000-s0/step-id")"
timeout 60 salloc -Q -n1 "$bin/hpsearch" rerun "$work/modes-slurm" c0000-s0 --executor slurm \
    >"$work/rerun-slurm.log" 2>&1 ||
    fail "rerun --executor slurm failed: $(cat "$work/rerun-slurm.log")"
grep -q '^identical' "$work/rerun-slurm.log" ||
    fail "rerun --executor slurm did not reproduce: $(cat "$work/rerun-slurm.log")"
grep -q '^[0-9]*\.[0-9]*$' "$work/modes-slurm/trials/c0000-s0/rerun-1/step-id" ||
    fail "rerun --executor slurm ran outside a job step: $(cat "$work/modes-slurm/trials/c0000-s0/rerun-1/step-id")"
"$bin/hpsearch" rerun "$work/modes-slurm" c0000-s0 --executor slurm >"$work/rerun-outside.log" 2>&1 &&
    fail "rerun --executor slurm outside an allocation did not refuse"
grep -q "SLURM_JOB_ID is not set" "$work/rerun-outside.log" ||
    fail "rerun --executor slurm outside an allocation: no clear error: $(cat "$work/rerun-outside.log")"
echo "ok: rerun in an allocation is a job step and reproduces"

# 6. SIGTERM to hpsearch inside the allocation (what `#SBATCH --signal`
#    sends before a time limit): every running step is stopped gracefully
#    (the trainers' TERM handlers run), no step is left, and hpsearch says
#    how to resume.
cat >"$work/modes-term.json" <<SPACE
{
  "name": "slurm-term",
  "command": ["/bin/sh", "$work/modes.sh", "--mode=term"],
  "objective": {"metric": "val_accuracy", "mode": "max"},
  "params": {"i": {"type": "choice", "values": [1, 2]}}
}
SPACE
cat >"$work/term.sh" <<JOB
#!/bin/bash
'$bin/hpsearch' run '$work/modes-term.json' --executor slurm --out '$work/term' -j 2 \\
    >'$work/term.log' 2>&1 &
pid=\$!
for i in \$(seq 100); do
    [ "\$(squeue -h -s -j "\$SLURM_JOB_ID" -o '%j' | grep -c '^hpsearch-')" -ge 2 ] && break
    sleep 0.1
done
sleep 0.5
kill -TERM \$pid
wait \$pid
echo "hpsearch exit \$?"
squeue -h -s -j "\$SLURM_JOB_ID" -o '%i %j' | grep ' hpsearch-' && exit 4
exit 0
JOB
chmod +x "$work/term.sh"
timeout 120 salloc -Q -n2 "$work/term.sh" >"$work/term-job.out" 2>&1 ||
    fail "a step was left after SIGTERM to hpsearch: $(cat "$work/term-job.out")"
grep -q "hpsearch exit 143" "$work/term-job.out" ||
    fail "hpsearch did not stop on SIGTERM: $(cat "$work/term-job.out" "$work/term.log")"
[ "$(find "$work/term" -name got-term | wc -l)" -eq 2 ] ||
    fail "SIGTERM to hpsearch did not stop both steps gracefully"
grep -q "hpsearch resume" "$work/term.log" || fail "no resume hint after SIGTERM"
echo "ok: SIGTERM to hpsearch stops every step gracefully"
