/*
 * The SIGCHLD reaper. See reaper.h. One per process: hpsearch has one loop.
 */
#include "reaper.h"
#include "grow.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

struct waiter {
    pid_t pid;
    reaper_exit_fn fn;
    void *data;
};

static uv_signal_t sigchld;
static int started;
static struct waiter *waiters;
static size_t waiter_count;
static size_t waiter_cap;

static void reap(uv_signal_t *handle, int signum)
{
    (void)handle;
    (void)signum;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < waiter_count; i++) {
            if (waiters[i].pid != pid)
                continue;
            struct waiter w = waiters[i];
            waiters[i] = waiters[--waiter_count];
            int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
            int term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            w.fn(w.data, exit_status, term_signal);
            break;
        }
    }
}

int reaper_start(uv_loop_t *loop)
{
    if (started)
        return 0;
    int rc = uv_signal_init(loop, &sigchld);
    if (rc == 0)
        rc = uv_signal_start(&sigchld, reap, SIGCHLD);
    if (rc == 0)
        started = 1;
    /* Children that exited before the handler existed. */
    reap(&sigchld, SIGCHLD);
    return rc;
}

void reaper_stop(void)
{
    if (!started)
        return;
    started = 0;
    uv_close((uv_handle_t *)&sigchld, NULL);
    free(waiters);
    waiters = NULL;
    waiter_count = waiter_cap = 0;
}

int reaper_watch(pid_t pid, reaper_exit_fn fn, void *data)
{
    struct waiter *grown = hp_grow(waiters, &waiter_cap, waiter_count + 1, sizeof *grown);
    if (!grown)
        return -1;
    waiters = grown;
    waiters[waiter_count++] = (struct waiter){pid, fn, data};
    return 0;
}

void reaper_forget(pid_t pid)
{
    for (size_t i = 0; i < waiter_count; i++) {
        if (waiters[i].pid == pid) {
            waiters[i] = waiters[--waiter_count];
            return;
        }
    }
}
