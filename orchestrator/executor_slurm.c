/*
 * The Slurm executor: each trial is one `srun` job step of the allocation
 * hpsearch runs in. srun is a local child (spawn.c, with the parent-death
 * signal), so its exit reaches the reaper as a trainer's would, and its
 * stdout carries the trainer's metric lines. See executor.h.
 *
 *   - A signal to srun kills the step at once, so a graceful stop is
 *     `scancel --signal=TERM JOB.STEP`, sent by a small helper that looks the
 *     step up by its name (srun does not say which step it made); SIGKILL
 *     goes to srun, which cancels the step.
 *   - srun reports a task killed by signal N as exit code 128+N; that maps
 *     back to signal N, as locally.
 *   - When hpsearch dies, srun gets SIGKILL (parent-death signal) and Slurm
 *     cancels the step.
 */
#include "executor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "path.h"
#include "spawn.h"

extern char **environ;

enum { SRUN_FIXED_ARGS = 12 };

static int slurm_start(const struct executor *ex, const struct executor_start *req,
                       struct executor_proc *proc, struct hp_error *err)
{
    /* A trainer that cannot be found fails as it would locally (the sweep
     * directory and the programs are on a shared filesystem). */
    char path[HP_PATH_MAX];
    int rc = spawn_resolve(req->argv[0], path, sizeof path);
    if (rc < 0)
        return rc;
    size_t argc = 0;
    while (req->argv[argc])
        argc++;
    char cpus[32], gpus[32];
    snprintf(cpus, sizeof cpus, "--cpus-per-task=%d",
             req->resources.cpus > 0 ? req->resources.cpus : 1);
    int gpu_count = req->resources.gpus > 0 ? req->resources.gpus : ex->gpus;
    snprintf(gpus, sizeof gpus, "--gpus=%d", gpu_count);
    snprintf(proc->step_name, sizeof proc->step_name, "hpsearch-%s", req->trial_id);
    char job_name[sizeof proc->step_name + 16];
    snprintf(job_name, sizeof job_name, "--job-name=%s", proc->step_name);
    char **args = calloc(SRUN_FIXED_ARGS + EXECUTOR_MAX_ARGS + argc + 1, sizeof *args);
    if (!args)
        return -ENOMEM;
    size_t n = 0;
    args[n++] = (char *)ex->srun;
    args[n++] = "--exact";
    args[n++] = "--nodes=1";
    args[n++] = "--ntasks=1";
    args[n++] = cpus;
    if (gpu_count > 0)
        args[n++] = gpus;
    args[n++] = "--input=none";
    args[n++] = "--kill-on-bad-exit=1";
    args[n++] = "--quiet";
    args[n++] = job_name;
    for (size_t i = 0; ex->extra_args[i]; i++)
        args[n++] = ex->extra_args[i];
    for (size_t i = 0; i < argc; i++)
        args[n++] = req->argv[i];
    args[n] = NULL;
    rc = executor_spawn_child(req, args, NULL, 0, proc, err);
    free(args);
    return rc;
}

/* Looks the step up by name and sends it SIGTERM; retried for as long as its
 * srun lives (until the kill grace's SIGKILL, whatever that grace is), as a
 * step just started may not be listed yet and squeue is slow on a loaded
 * controller; 2 minutes at most. Runs as a child of its own. */
static const char STOP_SCRIPT[] =
    "i=0; while [ $i -lt 600 ] && kill -0 \"$4\" 2>/dev/null; do "
    "s=$(squeue -h -s -j \"$1\" -o '%i %j' 2>/dev/null | "
    "while read -r id name; do [ \"$name\" = \"$2\" ] && echo \"$id\"; done); "
    "if [ -n \"$s\" ]; then exec \"$3\" -Q --signal=TERM $s; fi; "
    "sleep 0.2; i=$((i+1)); done";

static void slurm_signal(const struct executor *ex, struct executor_proc *proc,
                         int signum)
{
    if (signum != SIGTERM) {
        proctree_group_signal(&proc->group, signum);
        return;
    }
    char srun_pid[24];
    snprintf(srun_pid, sizeof srun_pid, "%ld", (long)proc->pid);
    char *argv[] = {"/bin/sh",           "-c",
                    (char *)STOP_SCRIPT, "hpsearch-stop",
                    (char *)ex->job_id,  proc->step_name,
                    (char *)ex->scancel, srun_pid,
                    NULL};
    struct spawned helper;
    if (spawn_trial(argv, environ, NULL, -1, &helper) < 0) {
        proctree_group_signal(&proc->group, SIGKILL); /* no graceful way left */
        return;
    }
    /* The reaper collects it as an unknown child; its output is not needed. */
    close(helper.stdout_fd);
    close(helper.stderr_fd);
}

static void slurm_exited(const struct executor *ex, struct executor_proc *proc,
                         int *exit_status, int *term_signal)
{
    (void)ex;
    if (*term_signal == 0 && *exit_status > 128 && *exit_status < 128 + 65) {
        *term_signal = *exit_status - 128;
        *exit_status = 0;
    }
    proctree_group_leader_exited(&proc->group);
}

/* "srun: error: vm: task 0: Exited with exit code 7", "slurmstepd-vm: error:
 * *** STEP 6.0 ON vm CANCELLED AT ... ***", "slurmstepd: error: execve(): ..." */
static int slurm_own_stderr_line(const char *line, size_t len)
{
    static const char *const prefixes[] = {"srun: ", "slurmstepd: ", "slurmstepd-"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (len >= n && memcmp(line, prefixes[i], n) == 0)
            return 1;
    }
    return 0;
}

static void slurm_close(const struct executor *ex, struct executor_proc *proc)
{
    (void)ex;
    proctree_group_close(&proc->group);
}

const struct executor_ops executor_slurm_ops = {
    "slurm", slurm_start, slurm_signal, slurm_exited, slurm_own_stderr_line, slurm_close};
