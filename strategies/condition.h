/*
 * Conditional parameters: a parameter's "when", and which parameters of a
 * configuration are active.
 *
 *   "momentum": {"type": "uniform", "low": 0.5, "high": 0.99,
 *                "when": {"optimizer": "sgd"}}
 *
 * A "when" maps parameter names to a value (equality) or a list of allowed
 * values; all its keys must hold. A parameter is active when it has no
 * "when", or when every parameter its "when" names is active and has one of
 * the allowed values, so conditions nest to any depth. An inactive parameter
 * is absent from the configuration: it is not passed to the trainer and is not
 * part of the config in the journal or the results.
 *
 * A condition may name only a parameter with a finite list of values (a
 * choice, a constant, or a numeric range with explicit "values"), so that
 * "which values make it hold" is a list of that parameter's value indices.
 * Values match as the named parameter compares them: choices and constants as
 * equal JSON (1 and 1.0 differ, as they would on a command line), numeric
 * ranges by number (1 and 1.0 alike).
 *
 * This file owns the model of conditions and their evaluation; reading the
 * space file is the loader's (orchestrator/space.c), which calls
 * condition_load once the parameters are known.
 */
#ifndef CONDITION_H
#define CONDITION_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

struct search_space;
struct param_spec;

/* One key of a parameter's "when": the named parameter must be active and take
 * one of the allowed values. */
struct param_condition {
    size_t param;            /* the named parameter's index in the space */
    json_t *allowed;         /* array of the allowed values as written (owned) */
    unsigned char *by_index; /* (the named param's value count) 1 where value k
                                of the named param is allowed (owned) */
};

/* Reads every parameter's "when" from `params` (the space file's "params"
 * object, borrowed; its keys in the order of space->params) into `space`,
 * whose specs must already be loaded, and orders the parameters for
 * evaluation (space->order). Errors name their JSON path
 * (params.momentum.when.optimizer): a "when" that is not a non-empty object,
 * a value that is not a scalar or a non-empty list of scalars, an unknown
 * parameter, the parameter itself, a parameter without a finite list of
 * values, a value the named parameter never takes, and a cycle of
 * conditions. Returns 0, or -1 with `err` set. */
int condition_load(struct search_space *space, const json_t *params,
                   struct hp_error *err);

/* Releases the conditions of one spec (its `when` array and their values). */
void condition_free(struct param_spec *spec);

/* Whether any parameter of `space` has a condition. */
int condition_any(const struct search_space *space);

/* The i-th parameter in evaluation order: declaration order, except that a
 * parameter comes after every parameter its "when" names (of the parameters
 * not yet placed, the earliest declared whose condition names only placed
 * ones goes next). Without conditions, i itself. */
size_t condition_order(const struct search_space *space, size_t i);

/* Whether `param`'s condition holds, given by index: active[q] and value[q]
 * (the index of param q's value among its values) for the params it names,
 * which come earlier in evaluation order. */
int condition_holds_at(const struct search_space *space, size_t param,
                       const unsigned char *active, const size_t *value);

/* Whether `value` is among the values a condition term allows. */
int condition_term_allows(const struct search_space *space,
                          const struct param_condition *term, const json_t *value);

/* Fills active[space->count] from `config` (borrowed): a parameter is active
 * when its condition holds on the values config gives; a named parameter
 * missing from config counts as inactive. */
void condition_activity(const struct search_space *space, const json_t *config,
                        unsigned char *active);

/* Makes `config`'s keys match its activity, walking the evaluation order:
 * an inactive parameter is removed; an active one that config lacks is taken
 * from `fill` (a config holding every parameter, borrowed), or left absent
 * when `fill` is NULL. Parameters stay in declaration order; keys that are
 * not parameters are kept, after them. Returns 0, or -1 when memory runs
 * out. */
int condition_apply(const struct search_space *space, json_t *config, const json_t *fill);

/* Whether `param` can be inactive in some configuration: it has a "when"
 * whose named parameter can be inactive, or can take a value the "when" does
 * not allow. */
int condition_can_be_inactive(const struct search_space *space, size_t param);

#endif
