/*
 * The scheduler interface: budgets, early stops and promotions.
 *
 * A sampler (strategy.h) chooses a config's params; a scheduler chooses how
 * far each config trains. The orchestrator admits configs in index order,
 * tells the scheduler what the config's seeds reported (as the mean over its
 * seeds: a config is judged as a whole), and polls it for decisions, which it
 * journals before acting on them.
 *
 * Order, not arrival: a scheduler's decisions are a function of the values
 * it was told, taken in the configs' logical order; never of the order in
 * which they were told. A decision about config k that depends on configs
 * before k waits (decide() answers nothing) until their values are in. So a
 * sweep makes the same decisions at any parallelism and after a resume,
 * which feeds the same values again from the journal.
 *
 * Budgets and steps are in the trainer's resource units (epochs by default):
 * a budget is a total, so a promoted config trains from where it stopped to
 * its new budget.
 */
#ifndef SCHEDULER_H
#define SCHEDULER_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

enum sched_action {
    SCHED_PROMOTE,  /* continue the config, from its seeds' checkpoints, to `budget` */
    SCHED_PRUNE,    /* stop the config: it reached `at` and goes no further */
    SCHED_COMPLETE, /* the config ran its course: its results stand */
    /* Population schedulers (pbt): a new config, index `config` (the next
     * one), with `params`, whose seeds each continue from the same seed's
     * latest checkpoint of config `source`, to `budget`. CONTINUE is a member
     * going on in its own line, EXPLOIT one taking over another's. */
    SCHED_CONTINUE,
    SCHED_EXPLOIT,
    /* The config was one stage of a member that later configs continue: its
     * checkpoints are no longer needed and its results are not ranked. */
    SCHED_RETIRE,
};

struct sched_decision {
    enum sched_action action;
    size_t config;
    long at;        /* the step or rung budget the decision was made at */
    long budget;    /* SCHED_PROMOTE, _CONTINUE, _EXPLOIT: the new budget */
    size_t source;  /* SCHED_CONTINUE, _EXPLOIT: the config continued from */
    json_t *params; /* SCHED_CONTINUE, _EXPLOIT: the new config's params (new
                       reference, owned by the decision), else NULL */
};

/* What every scheduler is created with besides its own options. */
struct sched_context {
    size_t planned_configs; /* how many configs the sampler will ask; 0 if unknown */
    int maximize;           /* the objective's mode */
    const struct search_space *space; /* the params (borrowed; outlives the
                                         scheduler); pbt explores within it */
};

struct scheduler;

struct scheduler_ops {
    const char *name;
    /* Keys of the "scheduler" object this type takes besides "type",
     * "budget_param" and "resource"; NULL-ended. */
    const char *const *option_keys;
    /* Validates `options` (borrowed; errors name "scheduler.KEY") and
     * creates the state. Returns 0 or -1. */
    int (*create)(const json_t *options, const struct sched_context *context,
                  struct scheduler **out, struct hp_error *err);
    /* A new config, in index order (0, 1, 2, ...), with its params
     * (borrowed; may be NULL in tests of schedulers that ignore them):
     * returns its first budget (0: the trainer's own default). Returns -1
     * when out of memory. */
    long (*admit)(struct scheduler *s, size_t config, const json_t *params);
    /* Every live seed of `config` has reported `step`; `value` is the mean
     * over those seeds of each one's objective by the score rule up to and
     * including `step` (NaN when none has a value). Steps of one config
     * arrive in increasing order. May be NULL. */
    void (*progress)(struct scheduler *s, size_t config, long step, double value);
    /* Every seed of `config` ended its run to `budget`: `n_ok` of them
     * succeeded and `value` is the mean of their scores (NaN when n_ok is 0:
     * then the config has failed and needs no decision). */
    void (*segment_end)(struct scheduler *s, size_t config, long budget, double value,
                        size_t n_ok);
    /* Returns 1 and fills `out` with the next decision, 0 when there is none
     * until more values are in, -1 when out of memory. */
    int (*decide)(struct scheduler *s, struct sched_decision *out);
    void (*destroy)(struct scheduler *s);
};

/* Every implementation embeds this as its first member. */
struct scheduler {
    const struct scheduler_ops *ops;
    long max_budget;      /* the full budget ("max"), 0 when the trainer decides */
    size_t extra_configs; /* configs its decisions add to the sampler's (pbt) */
};

/* The built-in schedulers ("none" is the absence of one: the orchestrator
 * runs every config to its full budget and needs no decisions).
 *
 * median: the median stopping rule. Options: "max" (the full budget, integer
 *   >= 1; absent: the trainer's default), "warmup" (steps below it never
 *   stop, default 0), "warmup_configs" (configs 0 .. N-1 are never stopped,
 *   default 5), "interval" (decide at every interval-th step from warmup,
 *   default 1). Config k at step s is stopped when its value is strictly
 *   worse than the median of the values at step s of the configs before k
 *   that reached s (median_stopping.c).
 * asha: asynchronous successive halving. Options: "min" (default 1), "max"
 *   (required), "eta" (default 3). Rungs at min*eta^i below max, then max;
 *   config k is promoted from a rung when it ranks in the top
 *   max(1, floor(m/eta)) of the m configs up to k that entered the rung
 *   (successive_halving.h).
 * hyperband: brackets of successive halving over the same options, configs
 *   dealt to brackets in a fixed weighted order (hyperband.c).
 * pbt: population based training in synchronous generations. Options:
 *   "population" (default: the sampler's number of configs, which it must
 *   equal), "interval" (resource units per generation, default 1),
 *   "generations" (required), "quantile" (default 0.25, at most 0.5),
 *   "resample_probability" (0.25), "factors" ([0.8, 1.2]), "seed" (0),
 *   "explore" (the params explore changes; default all), "schedule"
 *   (replay one member's params per generation). Its decisions add
 *   configs: member m of generation g is config g*population + m (pbt.c). */
extern const struct scheduler_ops median_scheduler_ops;
extern const struct scheduler_ops asha_scheduler_ops;
extern const struct scheduler_ops hyperband_scheduler_ops;
extern const struct scheduler_ops pbt_scheduler_ops;

/* Returns the scheduler named `name`, or NULL ("none" included: NULL). */
const struct scheduler_ops *scheduler_find(const char *name);

/* Writes the valid names, "none" first, comma-separated, into buf[size]. */
void scheduler_names(char *buf, size_t size);

/* Wrappers: progress may be NULL in the ops; destroy(NULL) is a no-op. */
long scheduler_admit(struct scheduler *s, size_t config, const json_t *params);
/* Releases what a decision owns (its params). */
void sched_decision_clear(struct sched_decision *d);
void scheduler_progress(struct scheduler *s, size_t config, long step, double value);
void scheduler_segment_end(struct scheduler *s, size_t config, long budget, double value,
                           size_t n_ok);
int scheduler_decide(struct scheduler *s, struct sched_decision *out);
void scheduler_destroy(struct scheduler *s);
int scheduler_wants_progress(const struct scheduler *s);

/* Reads an optional integer option `key` of `options` into *out (left alone
 * when absent), checking low <= value <= high; errors name
 * "scheduler.KEY". Returns 0 or -1. Shared by the schedulers' create(). */
int scheduler_int_option(const json_t *options, const char *key, long low, long high,
                         long *out, struct hp_error *err);

/* "a is strictly better than b" under the mode; NaN is worse than anything. */
int scheduler_better(double a, double b, int maximize);

const char *scheduler_action_name(enum sched_action action);

#endif
