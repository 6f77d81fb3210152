/*
 * The space file: loading, validating and holding a sweep's definition.
 *
 * Validation is schema-table driven: each JSON object of the file has a table
 * of known keys, so an unknown key is an error that names its path. Every
 * error carries the file, the JSON path (params.lr.low) and, for syntax
 * errors, the line and column. Nothing is started on an invalid space.
 */
#ifndef SPACE_H
#define SPACE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "resources.h"
#include "search_space.h"
#include "scheduler.h"
#include "strategy.h"

enum keep_checkpoints {
    KEEP_BEST, /* only the best config's best seed, copied to <out>/best/ */
    KEEP_ALL,  /* every trial keeps its files; best/ still gets its copy */
    KEEP_TOP,  /* "top-K": the best seed of each of the K best configs */
};

enum score_rule {
    SCORE_BEST, /* a trial's score is the best value it reported */
    SCORE_LAST, /* ... or the last */
};

/* One objective of a list (a Pareto front). */
struct objective_spec {
    char *metric; /* a metric of the lines, or "seconds": the
                     trial's wall time from its end record */
    int maximize;
    enum score_rule score;
};

struct space {
    char *name;                  /* "name"; defaults to the file's base name */
    char **command;              /* "command" argv template, NULL-terminated */
    size_t command_len;
    int command_is_default;      /* no "command": the trainer beside hpsearch */
    char *objective_metric;      /* "objective.metric", default "val_accuracy" */
    int maximize;                /* "objective.mode": 1 max (default), 0 min */
    enum score_rule score;       /* "objective.score": "best" (default) | "last" */
    const struct strategy_ops *strategy;  /* from "strategy.type" */
    json_t *strategy_options;    /* the "strategy" object (owned reference) */
    const struct scheduler_ops *scheduler; /* "scheduler.type"; NULL for none */
    json_t *scheduler_options;   /* the "scheduler" object (owned), NULL for none */
    char *budget_param;          /* "scheduler.budget_param", default "epochs" */
    char *resource_key;          /* "scheduler.resource", default "epoch" */
    long budget_max;             /* the scheduler's full budget, 0 if none */
    uint64_t *seeds;             /* "seeds": a list, or a count n meaning 0..n-1 */
    size_t seed_count;
    int parallel;                /* "parallel", 0 when absent */
    int threads_per_trial;       /* "threads_per_trial", default 1 */
    double timeout_s;            /* "timeout_s", 0 = no limit */
    int retries;                 /* "retries", default 0 */
    int max_failures;            /* "max_failures": "auto" (BUDGET_MAX_FAILURES_AUTO,
                                    the default), N, or 0 for null: never */
    enum keep_checkpoints keep;  /* "keep_checkpoints": "best" (default), "all", "top-K" */
    int keep_top;                /* configs whose checkpoints stay: 1 for best, K for
                                    top-K, 0 for all */
    double log_limit_mb;         /* "log_limit_mb": cap on each stdout.log and
                                    stderr.log of a trial, default 64 */
    double min_free_mb;          /* "min_free_mb": stop launching below this much
                                    free space on the sweep's disk, default 100 */
    double max_time_s;           /* "max_time" in seconds, 0 = none (budget.h) */
    double max_time_grace_s;     /* "max_time_grace", default 60 */
    long max_trials;             /* "max_trials", 0 = none */
    int tensorboard;             /* "tensorboard": write TensorBoard files live */
    struct search_space params;  /* "params" */
    int workdir_trial;           /* "workdir": "trial" runs each trainer in its trial
                                    directory; "cwd" (default) in hpsearch's */
    const json_t *executor;      /* "executor" as written (in document), NULL: none */
    const char *executor_type;   /* "local" (default) or "slurm" */
    json_t *document;            /* the whole parsed file (owned reference) */
    struct objective_spec *objectives; /* "objective" as a list, in its order; the
                                    first is also objective_metric, maximize, score */
    size_t objective_count;            /* 0 for a single objective (not a list) */
    struct resources_spec resources;   /* "resources" and "env" (resources.h) */
};

/* Loads and validates the space file at `path` into `out` (caller storage).
 * On failure returns -1, fills `err` (source = path) and leaves `out` empty
 * (space_free on it is safe). */
int space_load(const char *path, struct space *out, struct hp_error *err);

/* Same for text already in memory; `source` names it in errors. */
int space_load_text(const char *text, size_t len, const char *source, struct space *out,
                    struct hp_error *err);

/* Releases everything `space` owns and leaves it empty. */
void space_free(struct space *space);

#endif
