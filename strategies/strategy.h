/*
 * The strategy interface: how the next configuration is chosen.
 *
 * Ask/tell, so that pruning and model-based strategies fit later without
 * touching the runner. Strategies are named vtables looked up once by
 * strategy_find; optional operations (report, tell, planned) may be NULL and
 * the strategy_* wrappers supply the default no-ops.
 *
 * Every strategy draws its randomness from PCG32 streams derived from the
 * space's seed and the config index (hp_pcg32_derive(rng, seed, index)), so
 * the sequence of configs is the same on every run and after a resume.
 */
#ifndef STRATEGY_H
#define STRATEGY_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "search_space.h"

enum ask_kind {
    ASK_CONFIG, /* run `params` (over all seeds) */
    ASK_WAIT,   /* nothing to run until a result comes back */
    ASK_DONE,   /* the search is over */
};

struct ask_result {
    enum ask_kind kind;
    size_t config_index; /* 0, 1, 2, ... in the order configs are asked */
    json_t *params;      /* ASK_CONFIG: new reference, the caller owns it */
    long budget;         /* epochs or other budget; 0 means the trainer's default */
    char *resume_from;   /* checkpoint to start from, or NULL; caller frees */
};

/* What tell() learns about a finished configuration. A config is finished
 * when no seed of it will run again: it ran its full budget, a scheduler
 * stopped it (pruned), or every seed failed (n == 0, mean NaN). */
struct config_outcome {
    size_t config_index;
    double mean;   /* mean objective over the successful seeds (NaN when n == 0) */
    double std;    /* sample standard deviation (0 when n < 2) */
    size_t n;      /* successful seeds (pruned seeds count: their partial scores) */
    size_t failed; /* failed seeds */
    int pruned;    /* a scheduler stopped it before its full budget */
    long reached;  /* the budget its values were reached at (scheduler's units);
                      0 without a scheduler, where every config runs to the end */
};

/* What every strategy is created with besides the space and its options. */
struct strategy_context {
    int maximize; /* the objective's mode: 1 to maximize, 0 to minimize */
};

struct strategy;

struct strategy_ops {
    const char *name;
    /* Keys the space's "strategy" object may hold besides "type"; NULL-ended. */
    const char *const *option_keys;
    /* Validates `options` (the whole "strategy" object, borrowed) against
     * `space` (borrowed; must outlive the strategy) and creates the state.
     * Errors name their JSON path, e.g. "strategy.trials". Returns 0 or -1. */
    int (*create)(const struct search_space *space, const json_t *options,
                  const struct strategy_context *context, struct strategy **out,
                  struct hp_error *err);
    /* Fills `out`. Returns 0, or -1 on an internal failure (out of memory). */
    int (*ask)(struct strategy *s, struct ask_result *out);
    /* An intermediate metric line of a running trial of config_index
     * (borrowed). Returns 1 to stop (prune) that trial, 0 to let it go on. */
    int (*report)(struct strategy *s, size_t config_index, const json_t *metrics);
    /* A configuration finished over all its seeds. */
    void (*tell)(struct strategy *s, const struct config_outcome *outcome);
    /* How many configs the strategy will ask in all, or 0 when unknown. */
    size_t (*planned)(const struct strategy *s);
    void (*destroy)(struct strategy *s);
};

/* Every implementation embeds this as its first member. */
struct strategy {
    const struct strategy_ops *ops;
};

/* The built-in strategies, in the order strategy_names lists them.
 *
 * grid: the cartesian product of every parameter's grid values
 *   (search_space_grid_values), in itertools.product order: the first declared
 *   parameter varies slowest, the last fastest. Option "trials" (integer
 *   1 .. the grid's size): only the first trials configs.
 *   create() fails when a numeric range has neither "values" nor "step", or
 *   when the grid holds more than SEARCH_SPACE_GRID_MAX configs. planned() is
 *   the grid's size; an empty space is one empty config. With conditional
 *   params (condition.h) an inactive param does not multiply the grid: the
 *   configs are the product's distinct ones once inactive params are removed,
 *   the params varied in evaluation order (condition_order), see grid.c.
 * random: "trials" (required integer >= 1, at most SEARCH_SPACE_GRID_MAX) and
 *   "seed" (integer >= 0, default 0). Config i is search_space_sample() with a
 *   generator from hp_pcg32_derive(rng, seed, i), so it never depends on how
 *   many draws earlier configs took. planned() is trials.
 * tpe: univariate Tree-structured Parzen Estimator, Optuna 3.1's TPESampler
 *   with its defaults, made deterministic (strategies/tpe.c, parzen.h).
 *   Options: "trials" and "seed" as for random; "startup" (integer >= 0,
 *   default 10, Optuna's n_startup_trials): configs 0 .. startup-1 are exactly
 *   the random strategy's with the same seed; "candidates" (1 .. 100000,
 *   default 24, n_ei_candidates); "gamma" (number in (0, 1], default 0.1) and
 *   "gamma_max" (integer >= 1, default 25): l holds the best
 *   min(ceil(gamma n), gamma_max) of n finished configs, Optuna's default
 *   gamma; "prior_weight" (number > 0, default 1.0, Optuna's);
 *   "equal_heights" (boolean, default true): continuous kernels score with
 *   equal peak heights, as Optuna 3.1 scores them (its truncnorm.logpdf leaves
 *   out -log sigma, optuna#5109); false gives unit-area kernels as in the TPE
 *   paper and Optuna >= 3.5, which did worse on experiments/tpe-quality;
 *   "lag" (0 .. 1000, default 2). Config k >= startup is modelled from the outcomes of
 *   configs 0 .. k-lag-1 only, and ask() answers ASK_WAIT until all of those
 *   are told, so the sequence depends only on seed, space and outcomes, never
 *   on the order or timing of tell(). Configs k-lag .. k-1 join g(x) with
 *   their known parameters (a constant liar: parallel asks spread apart). The
 *   default 2 lets two workers (-j 2) run without waiting on each other; set
 *   it near the number of parallel configs: less makes workers wait, more
 *   models from older results; 0 is sequential, like Optuna. Ranking: completed
 *   before pruned before failed (n == 0), then budget reached descending, then
 *   mean by mode, then index. planned() is trials. A conditional param is
 *   drawn only where active and modelled only from the configs where it was
 *   active (n, gamma(n), weights and pending configs count those alone). */
extern const struct strategy_ops grid_strategy_ops;
extern const struct strategy_ops random_strategy_ops;
extern const struct strategy_ops tpe_strategy_ops;

/* Returns the strategy named `name`, or NULL. */
const struct strategy_ops *strategy_find(const char *name);

/* Writes the valid names, comma-separated ("grid, random, tpe"), into buf[size]. */
void strategy_names(char *buf, size_t size);

/* Wrappers with the default no-ops for optional operations: report answers 0,
 * tell does nothing, planned answers 0. strategy_destroy(NULL) is a no-op. */
int strategy_ask(struct strategy *s, struct ask_result *out);
int strategy_report(struct strategy *s, size_t config_index, const json_t *metrics);
void strategy_tell(struct strategy *s, const struct config_outcome *outcome);
size_t strategy_planned(const struct strategy *s);
void strategy_destroy(struct strategy *s);

#endif
