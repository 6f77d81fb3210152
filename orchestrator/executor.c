/*
 * Choosing and setting up an executor. See executor.h.
 */
#include "executor.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

static void copy_program(char *dst, size_t size, const char *name, const char *fallback)
{
    const char *value = getenv(name);
    snprintf(dst, size, "%s", value && *value ? value : fallback);
}

int executor_init(struct executor *ex, const char *type, const void *options,
                  struct hp_error *err)
{
    memset(ex, 0, sizeof *ex);
    if (!type || strcmp(type, "local") == 0) {
        ex->ops = &executor_local_ops;
        return 0;
    }
    if (strcmp(type, "slurm") != 0)
        return hp_error_set(err, "executor.type",
                            "must be \"local\" or \"slurm\" (got \"%s\")", type);
    const char *job = getenv("SLURM_JOB_ID");
    if (!job || !*job)
        return hp_error_set(
            err, "executor",
            "the slurm executor runs inside a Slurm allocation (SLURM_JOB_ID "
            "is not set): submit hpsearch with sbatch, run it under salloc, or "
            "pass --executor local");
    if (strlen(job) >= sizeof ex->job_id)
        return hp_error_set(err, "executor", "SLURM_JOB_ID is too long: %s", job);
    strcpy(ex->job_id, job);
    ex->ops = &executor_slurm_ops;
    copy_program(ex->srun, sizeof ex->srun, "HPSEARCH_SRUN", "srun");
    copy_program(ex->scancel, sizeof ex->scancel, "HPSEARCH_SCANCEL", "scancel");
    const json_t *obj = options;
    json_t *gpus = obj ? json_object_get(obj, "gpus") : NULL;
    if (gpus)
        ex->gpus = (int)json_integer_value(gpus);
    json_t *args = obj ? json_object_get(obj, "srun_args") : NULL;
    size_t i;
    json_t *arg;
    json_array_foreach(args, i, arg)
    {
        if (i >= EXECUTOR_MAX_ARGS)
            break;
        if (!(ex->extra_args[i] = strdup(json_string_value(arg)))) {
            executor_free(ex);
            return hp_error_set(err, "executor", "out of memory");
        }
    }
    return 0;
}

void executor_free(struct executor *ex)
{
    for (size_t i = 0; i < EXECUTOR_MAX_ARGS; i++) {
        free(ex->extra_args[i]);
        ex->extra_args[i] = NULL;
    }
}

/* SLURM_JOB_CPUS_PER_NODE: "4", "4(x2),2": the CPUs on every node, summed. */
static long job_cpus(const char *text)
{
    long total = 0;
    while (text && *text) {
        char *end;
        long n = strtol(text, &end, 10);
        if (end == text || n < 0)
            return 0;
        long times = 1;
        if (strncmp(end, "(x", 2) == 0) {
            times = strtol(end + 2, &end, 10);
            if (*end != ')')
                return 0;
            end++;
        }
        total += n * times;
        text = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return 0;
    }
    return total;
}

int executor_default_jobs(const struct executor *ex, int cpus_per_trial)
{
    long cpus = 0;
    if (ex && ex->ops == &executor_slurm_ops) {
        cpus = job_cpus(getenv("SLURM_JOB_CPUS_PER_NODE"));
        if (cpus <= 0 && getenv("SLURM_CPUS_ON_NODE"))
            cpus = atol(getenv("SLURM_CPUS_ON_NODE"));
        if (cpus <= 0 && getenv("SLURM_NTASKS"))
            cpus =
                atol(getenv("SLURM_NTASKS")) * (cpus_per_trial > 0 ? cpus_per_trial : 1);
    }
    if (cpus <= 0)
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long jobs = cpus / (cpus_per_trial > 0 ? cpus_per_trial : 1);
    return jobs >= 1 ? (int)(jobs < 4096 ? jobs : 4096) : 1;
}

int executor_spawn_child(const struct executor_start *req, char *const argv[],
                         const int *cpus, int cpu_count, struct executor_proc *proc,
                         struct hp_error *err)
{
    int rc = proctree_group_open(req->tree, req->dir, &proc->group, err);
    if (rc < 0)
        rc = errno ? -errno : -EIO;
    struct spawned child = {0, -1, -1};
    if (rc == 0)
        rc = spawn_trial_pinned(argv, req->env, req->cwd, proc->group.join_fd, cpus,
                                cpu_count, &child);
    proctree_group_started(&proc->group, rc < 0 ? 0 : child.pid);
    if (rc < 0)
        return rc;
    proc->pid = child.pid;
    proc->stdout_fd = child.stdout_fd;
    proc->stderr_fd = child.stderr_fd;
    return 0;
}
