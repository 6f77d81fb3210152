/*
 * Collecting exited trial processes from the libuv loop: one SIGCHLD
 * uv_signal_t, and a small table of the pids hpsearch is waiting for. Each
 * signal reaps every exited child (signals coalesce) and calls the waiter of
 * each pid it knows; a pid it does not know (a trial that could not exec) is
 * reaped all the same, so no zombie is ever left.
 */
#ifndef REAPER_H
#define REAPER_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

/* Called once per registered pid, with waitpid's status decoded. */
typedef void (*reaper_exit_fn)(void *data, int exit_status, int term_signal);

/* Starts watching SIGCHLD on `loop`. Returns 0 or a libuv error. */
int reaper_start(uv_loop_t *loop);

/* Stops watching (closes the signal handle) once nothing is registered. */
void reaper_stop(void);

/* Registers `pid`; `fn(data, ...)` runs when it exits. Returns 0 or -1. */
int reaper_watch(pid_t pid, reaper_exit_fn fn, void *data);

/* Forgets a pid (its owner no longer wants to hear of it). */
void reaper_forget(pid_t pid);

#endif
