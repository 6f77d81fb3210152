/*
 * One bracket of asynchronous successive halving, decided in config order.
 *
 * The bracket's rungs are budgets start*eta^i below max, then max. Configs
 * enter rung 0 in index order. A config that finished rung i (below the top)
 * is promoted when it ranks in the top max(1, floor(m/eta)) of the m configs
 * of this bracket, up to and including it, that entered rung i; otherwise it
 * is pruned there. Ties go to the earlier config; NaN ranks last.
 *
 * That is ASHA (Li et al., arXiv:1810.05934) with one change for
 * determinism: a config's fate at a rung is decided once, against the
 * configs before it, and waits until every one of those has either reached
 * the rung or stopped below it. So the decisions are the same whatever
 * order the results come in. ASHA proper can promote an early config later,
 * when the rung has grown; here the "max(1, ...)" lets the first configs of
 * a rung through instead (as Optuna's SuccessiveHalvingPruner does).
 */
#ifndef SUCCESSIVE_HALVING_H
#define SUCCESSIVE_HALVING_H

#include <stddef.h>

#include "scheduler.h"

struct sh_member;

struct sh_bracket {
    long *rungs;          /* budgets, ascending; the last is max */
    size_t rung_count;
    long eta;
    int maximize;
    struct sh_member *members; /* in config order */
    size_t member_count;
    size_t member_cap;
    size_t *next;         /* per rung below the top: the first member not yet decided */
    double **entered;     /* per rung: the values of the members decided there, in order */
    size_t *entered_count;
    struct sched_decision *ready; /* decisions made but not yet handed out */
    size_t ready_count;
    size_t ready_cap;
};

/* Lays out rungs start, start*eta, ... below max, then max. Returns 0, or -1
 * when out of memory. */
int sh_bracket_init(struct sh_bracket *b, long start, long max, long eta, int maximize);
void sh_bracket_free(struct sh_bracket *b);

/* A config joins the bracket (configs join in increasing index order).
 * Returns its first budget, or -1 when out of memory. */
long sh_bracket_admit(struct sh_bracket *b, size_t config);

/* Returns 1 when the bracket holds `config`. */
int sh_bracket_holds(const struct sh_bracket *b, size_t config);

void sh_bracket_segment_end(struct sh_bracket *b, size_t config, long budget, double value,
                            size_t n_ok);

/* Next decision: see scheduler_ops.decide. */
int sh_bracket_decide(struct sh_bracket *b, struct sched_decision *out);

/* Reads min (default 1), max (required) and eta (default 3) of a "scheduler"
 * object. Returns 0 or -1 with `err` naming the key. */
int sh_options(const json_t *options, long *min, long *max, long *eta,
               struct hp_error *err);

#endif
