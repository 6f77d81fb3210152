/*
 * One trial: a trainer process (started by an executor, executor.h: locally
 * by spawn.c, or as a Slurm job step; no shell), its stdout and stderr pipes
 * and its timeout timer, the libuv handles embedded here so that the trial
 * owns them; its exit arrives through the reaper. The trial frames
 * both streams into lines (bounded), logs them (a carriage-return progress bar
 * as its final state), hands each JSON-object stdout line to its owner, and
 * reports once when the process has exited and every handle is closed. The
 * owner frees it from that callback.
 *
 * What this file does not own: scoring, the journal, retries and ranking
 * (sweep.c decides what a line or an exit means).
 */
#ifndef TRIAL_H
#define TRIAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "executor.h"
#include "linebuf.h"
#include "path.h"
#include "proctree.h"
#include "triallog.h"

/* Why a trial failed; the names are what results and the journal record. */
#define TRIAL_FAILURES(X)                                                            \
    X(FAIL_NONE, "none")                                                             \
    X(FAIL_EXIT_CODE, "exit_code")                                                   \
    X(FAIL_SIGNAL, "signal")                                                         \
    X(FAIL_TIMEOUT, "timeout")                                                       \
    X(FAIL_NAN, "nan")                                                               \
    X(FAIL_NO_OBJECTIVE, "no_objective")                                             \
    X(FAIL_SPAWN, "spawn")                                                           \
    X(FAIL_INTERRUPTED, "interrupted")

enum trial_failure {
#define TRIAL_FAILURE_ENUM(name, text) name,
    TRIAL_FAILURES(TRIAL_FAILURE_ENUM)
#undef TRIAL_FAILURE_ENUM
};

/* Returns the short name of a failure kind ("exit_code", "timeout", ...). */
const char *trial_failure_name(enum trial_failure failure);

struct trial;

struct trial_callbacks {
    /* A stdout line that parsed as a JSON object (borrowed for the call). */
    void (*on_object)(struct trial *trial, json_t *object);
    /* The process exited (or never started) and all handles are closed. The
     * owner reads the outcome fields, then calls trial_free. */
    void (*on_done)(struct trial *trial);
};

struct trial_spec {
    char **argv;              /* NULL-terminated; borrowed until trial_start returns */
    char **env;               /* NULL-terminated; borrowed until trial_start returns */
    const char *dir;          /* the trial directory; logs go here */
    double timeout_s;         /* 0 = no limit */
    double kill_grace_s;      /* after SIGTERM, SIGKILL this much later */
    size_t max_line;          /* cap on one stdout line */
    const char *log_note;     /* a separator line for logs that already hold an
                                 earlier attempt's output, or NULL */
    uint64_t log_cap;         /* bytes per log (stdout.log, stderr.log); 0 = no cap */
    struct proctree *tree;    /* keeps every process the trial starts (borrowed,
                                 outlives the trial); NULL: its process group */
    const char *cwd;          /* the trainer's working directory; NULL: hpsearch's */
    const struct executor *executor;  /* where it runs (borrowed); NULL: locally */
    const char *trial_id;             /* names the process where the executor needs one */
    struct trial_resources resources; /* what it may use (executor.h) */
};

/* How many of the trainer's last stderr lines a trial remembers, and how much
 * of each: enough for a failure's reason to explain itself (a flag typo,
 * a Python traceback's last line). */
enum { TRIAL_STDERR_TAIL = 3, TRIAL_TAIL_LINE = 200 };

struct trial {
    pid_t pid;                       /* the local process: the trainer, or srun */
    const struct executor *executor; /* borrowed */
    struct executor_proc proc;       /* the executor's state for this trial */
    uv_pipe_t out;
    uv_pipe_t err;
    uv_timer_t timer;         /* timeout, then kill grace, then drain wait */
    int open_handles;         /* on_done when this reaches 0 */
    int pipes_open;           /* out and err were initialised */
    struct linebuf out_lines; /* stdout framing: metric lines and the log */
    struct linebuf err_lines; /* stderr framing: the log */
    char dir[HP_PATH_MAX];    /* the trial directory, for its logs; "" if too long */
    struct triallog out_log;  /* stdout.log */
    struct triallog err_log;  /* stderr.log */
    const struct trial_callbacks *callbacks;
    void *owner;              /* the sweep's data for this trial */
    double kill_grace_s;
    double drain_s;
    int finishing;            /* finish() ran: handles are closing */

    /* Outcome, valid in on_done. */
    int started;              /* uv_spawn succeeded */
    int spawn_error;          /* the negative errno when it did not */
    char program[TRIAL_TAIL_LINE]; /* argv[0], for messages */
    int exited;
    int64_t exit_status;
    int term_signal;
    int timed_out;
    int killed_by_us;         /* we sent SIGTERM/SIGKILL (timeout or stop) */
    size_t truncated_lines;
    size_t non_object_lines;  /* stdout lines that were not JSON objects */
    size_t object_like_lines; /* ... of which began with '{' (a JSON attempt) */
    char first_non_object[TRIAL_TAIL_LINE]; /* the first such line, object-like
                                               preferred */
    char stderr_tail[TRIAL_STDERR_TAIL][TRIAL_TAIL_LINE]; /* ring of the last
                                                             non-empty lines */
    size_t stderr_lines;      /* non-empty stderr lines seen */
    uint64_t start_ms;
    uint64_t end_ms;
};

/* Starts the reaper on `loop`; call once before the first trial_start. */
int trial_init_loop(uv_loop_t *loop);

/* Stops the reaper; call when no trial is left. */
void trial_close_loop(void);

/* Allocates a trial and starts its process. Always returns a trial (NULL
 * only when out of memory); a process that could not start is reported
 * through on_done with started == 0 and spawn_error set, so the caller has
 * one path for every outcome. */
struct trial *trial_start(uv_loop_t *loop, const struct trial_spec *spec,
                          const struct trial_callbacks *callbacks, void *owner);

/* Asks the trial to stop: SIGTERM to each of its processes now, SIGKILL to
 * all after the grace period. Harmless after exit. */
void trial_stop(struct trial *trial);

/* SIGKILL to every process of the trial now (a second Ctrl-C). NULL is fine. */
void trial_kill(struct trial *trial);

/* Writes the trainer's last non-empty stderr lines, oldest first, joined by
 * " | ", into buf (empty when there were none). */
void trial_stderr_tail(const struct trial *trial, char *buf, size_t size);

/* The part of a stdout or stderr line that a terminal would show: the text
 * after its last carriage return (a progress bar redrawn in place), trailing
 * carriage returns ignored. Sets *start and returns its length. */
size_t trial_visible_line(const char *line, size_t len, const char **start);

/* Writes "hpsearch: <text>" as a line of the trial's stderr.log: what the
 * orchestrator decided about this trial, where its owner will look. */
void trial_log_note(struct trial *trial, const char *text);

/* Releases a trial after on_done. */
void trial_free(struct trial *trial);

#endif
