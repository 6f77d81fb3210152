/*
 * The local executor: the trainer is a child of hpsearch, started by spawn.c
 * into the trial's process tree (proctree.h). See executor.h.
 */
#include "executor.h"

#include <signal.h>


static int local_start(const struct executor *ex, const struct executor_start *req,
                       struct executor_proc *proc, struct hp_error *err)
{
    (void)ex;
    return executor_spawn_child(req, req->argv, req->resources.cpu_ids,
                                req->resources.cpu_id_count, proc, err);
}

static void local_signal(const struct executor *ex, struct executor_proc *proc,
                         int signum)
{
    (void)ex;
    proctree_group_signal(&proc->group, signum);
}

static void local_exited(const struct executor *ex, struct executor_proc *proc,
                         int *exit_status, int *term_signal)
{
    (void)ex;
    (void)exit_status;
    (void)term_signal;
    /* Whatever the trainer left behind goes with it. */
    proctree_group_leader_exited(&proc->group);
}

static void local_close(const struct executor *ex, struct executor_proc *proc)
{
    (void)ex;
    proctree_group_close(&proc->group);
}

const struct executor_ops executor_local_ops = {"local",      local_start, local_signal,
                                                local_exited, NULL,        local_close};

const struct executor *executor_local(void)
{
    static const struct executor local = {.ops = &executor_local_ops};
    return &local;
}
