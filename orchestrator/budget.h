/*
 * A sweep's budgets: when it stops launching trials.
 *
 *   max_time        stop launching at a deadline, measured from the start of
 *                   this run (`run` or `resume`); running trials get until the
 *                   deadline plus max_time_grace, then are stopped as on Ctrl-C
 *   max_trials      stop launching after N trials started in this run
 *   max_failures    "auto" (the default): stop when the first 3 trials this
 *                   run launched (the first in the configs' order, so the
 *                   verdict never depends on which finishes first) all failed
 *                   the same way; N: stop after N failed
 *                   trials; null (or 0): never stop for failures
 *
 * Budgets decide only when to stop launching, never what a trial computes:
 * the trials that ran give the same results as without a budget, and
 * `resume` runs the rest of the same sweep. This file owns the rules and the
 * duration syntax; the libuv timers that watch the clock live in sweep.c.
 */
#ifndef BUDGET_H
#define BUDGET_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* max_failures "auto": how many first trials must fail the same way. */
enum { BUDGET_AUTO_FAILURES = 3 };

/* The max_failures value that means "auto" (>= 1 is a count, 0 is never). */
#define BUDGET_MAX_FAILURES_AUTO (-1)

/* max_time_grace when the space does not give one, in seconds. */
#define BUDGET_DEFAULT_GRACE_S 60.0

/* The limits one run works under: the space's keys, overridden by flags. */
struct budget_limits {
    double max_time_s; /* 0: no deadline */
    double grace_s;    /* running trials' time after the deadline */
    long max_trials;   /* 0: no limit */
    int max_failures;  /* BUDGET_MAX_FAILURES_AUTO, 0 (never) or N >= 1 */
};

enum budget_stop {
    BUDGET_RUNS_ON,      /* no budget has stopped the sweep */
    BUDGET_STOP_TIME,    /* max_time */
    BUDGET_STOP_TRIALS,  /* max_trials */
    BUDGET_STOP_FAILURES /* max_failures, a count or auto */
};

/* What one run has spent of its budgets. */
struct budget {
    struct budget_limits limits;
    size_t launched;    /* trials started in this run */
    int auto_armed;     /* auto still watches the first trials */
    char logs[BUDGET_AUTO_FAILURES][48]; /* the watched trials' ids, launch order */
    size_t watched;                      /* how many of logs[] are set */
    char signatures[BUDGET_AUTO_FAILURES][64]; /* how each failed: "exit_code 7";
                                                  "" while it runs */
    char reason[1024];  /* the first watched trial's reason, as its end record
                           says it (once all three failed) */
    char reasons[BUDGET_AUTO_FAILURES][1024];
    enum budget_stop stop;
    int auto_stop; /* the failures stop came from "auto" */
};

/* Parses a duration such as "8h", "90m", "45s", "1h30m", "1d" or "2.5h"
 * (units d, h, m, s, each at most once, largest first) into *seconds.
 * Returns 0, or -1 with why[size] saying what is wrong. */
int budget_parse_duration(const char *text, double *seconds, char *why, size_t size);

/* Loads a duration from a space file value: a duration string or a number of
 * seconds. `min_exclusive`: 1 when it must be > 0, 0 when >= 0. On failure
 * returns -1 with `err` naming `path`. */
int budget_load_duration(const json_t *value, const char *path, int min_exclusive,
                         double *out, struct hp_error *err);

/* Loads max_failures: "auto", null, or an integer >= 0. Returns 0 or -1. */
int budget_load_max_failures(const json_t *value, const char *path, int *out,
                             struct hp_error *err);

/* Parses the same values from a flag ("auto", "null", "none", N, a duration).
 * Return 0, or -1 with why[size] set. */
int budget_parse_max_failures(const char *text, int *out, char *why, size_t size);

/* Starts a run's accounting under `limits`. */
void budget_init(struct budget *b, const struct budget_limits *limits);

/* Whether one more trial may start now; `past_deadline` says the clock ran
 * out. On 0 the budget records why (b->stop) and the sweep must stop
 * launching. */
int budget_may_launch(struct budget *b, int past_deadline);

/* A trial of this run is launched: auto watches the first three. */
void budget_trial_launched(struct budget *b, const char *trial_id);

/* A trial of this run ended ok or failed. `failure` (NULL when it succeeded)
 * with `exit_status` or `signal` (0 when none) says how, `reason` in words;
 * `trial_id` names it; `failed_total` counts the sweep's failed trials,
 * earlier runs included. Returns 1 when max_failures now stops the sweep
 * (b->stop is then BUDGET_STOP_FAILURES), else 0. */
int budget_trial_ended(struct budget *b, const char *failure, long long exit_status,
                       int signal, const char *reason, const char *trial_id,
                       size_t failed_total);

/* Why the budget stopped the sweep, for the summary ("stopped at max_time
 * (8h)"), into buf[size]; "" when it did not. */
void budget_describe_stop(const struct budget *b, char *buf, size_t size);

/* Writes seconds as a duration ("1h30m", "45s", "2.5s") into buf[size]. */
void budget_format_duration(double seconds, char *buf, size_t size);

#endif
