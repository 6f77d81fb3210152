/*
 * Executors: how a trial's process is started, signalled and reaped. The
 * local executor (executor_local.c) starts the trainer on this machine with
 * spawn.c; the Slurm executor (executor_slurm.c) starts it as an `srun` job
 * step of the allocation hpsearch runs in. Either way a local process (the
 * trainer, or srun) is reaped through reaper.h, its stdout and stderr are
 * pipes, and the trial (trial.c) sees no difference: nothing outside these
 * files knows which executor runs.
 */
#ifndef EXECUTOR_H
#define EXECUTOR_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "proctree.h"

/* What a trial may use while it runs. cpus and gpus are counts (0: the
 * executor's default). cpu_ids, when hpsearch hands out particular CPUs
 * (resources.h), are the ones the local executor pins the trainer to; GPU
 * ids reach the trainer as CUDA_VISIBLE_DEVICES in its environment. */
struct trial_resources {
    int cpus;
    int gpus;
    const int *cpu_ids; /* borrowed; NULL: not pinned */
    int cpu_id_count;
};

/* One start request; everything borrowed for the call. */
struct executor_start {
    char *const *argv;     /* NULL-terminated */
    char *const *env;      /* NULL-terminated */
    const char *cwd;       /* NULL: hpsearch's directory */
    const char *dir;       /* the trial directory (HPSEARCH_TRIAL_DIR) */
    const char *trial_id;  /* names the job step */
    struct proctree *tree; /* NULL: the process group alone */
    struct trial_resources resources;
};

/* A started trial, inside struct trial. */
struct executor_proc {
    pid_t pid;     /* the local process that is reaped */
    int stdout_fd; /* read ends, O_NONBLOCK; the trial owns them */
    int stderr_fd;
    struct proctree_group group; /* the local process and what it starts */
    char step_name[96];          /* slurm: the job step's name, else "" */
};

struct executor;

struct executor_ops {
    const char *name; /* "local", "slurm" */
    /* Starts the trial's process. Returns 0, or a negative errno with `err`
     * possibly set (nothing left open, no child left). */
    int (*start)(const struct executor *ex, const struct executor_start *req,
                 struct executor_proc *proc, struct hp_error *err);
    /* SIGTERM: stop gracefully (the grace period is the trial's); SIGKILL:
     * now. Only while the process runs. */
    void (*signal)(const struct executor *ex, struct executor_proc *proc, int signum);
    /* The local process was reaped with this status: maps it to the
     * trainer's own (exit code, signal) in place, and kills what it left. */
    void (*exited)(const struct executor *ex, struct executor_proc *proc,
                   int *exit_status, int *term_signal);
    /* Whether a stderr line is the executor's own (srun's "srun: error: ...
     * Exited with exit code 7"), not the trainer's: it is logged, but kept
     * out of a failure's reason, which stays what it is locally. NULL: none. */
    int (*own_stderr_line)(const char *line, size_t len);
    /* The trial is over: kills anything left, frees the group. */
    void (*close)(const struct executor *ex, struct executor_proc *proc);
};

enum { EXECUTOR_MAX_ARGS = 16 };

struct executor {
    const struct executor_ops *ops;
    /* slurm */
    char job_id[32];                         /* SLURM_JOB_ID */
    int gpus;                                /* --gpus per trial, 0: none */
    char *extra_args[EXECUTOR_MAX_ARGS + 1]; /* more srun options (owned) */
    char srun[256];                          /* the srun program */
    char scancel[256];                       /* the scancel program */
};

extern const struct executor_ops executor_local_ops;
extern const struct executor_ops executor_slurm_ops;

/* The local executor, for callers that need no other (rerun). */
const struct executor *executor_local(void);

/* Sets up `ex` for the executor named `type` ("local" or "slurm") with the
 * space's "executor" object `options` (a jansson json_t *, NULL: none; its
 * keys were checked by space.c). For slurm, refuses to run outside an
 * allocation. Returns 0, or -1 with `err` set. */
int executor_init(struct executor *ex, const char *type, const void *options,
                  struct hp_error *err);
void executor_free(struct executor *ex);

/* How many trials of `cpus_per_trial` CPUs the executor's machines hold: the
 * allocation's CPUs for slurm, the online cores locally. Always >= 1. */
int executor_default_jobs(const struct executor *ex, int cpus_per_trial);

/* For executors whose trainer (or srun) is a child of hpsearch: opens the
 * trial's process group, spawns `argv` into it with req's env and cwd (pinned
 * to cpus[cpu_count] when cpu_count > 0) and fills `proc`. Returns 0 or a
 * negative errno. */
int executor_spawn_child(const struct executor_start *req, char *const argv[],
                         const int *cpus, int cpu_count, struct executor_proc *proc,
                         struct hp_error *err);

#endif
