/*
 * The search-space model: parameter specs, and configurations drawn from them.
 * Strategies own this model because it is what they search; the orchestrator's
 * space-file loader (orchestrator/space.c) builds it from JSON and validates it.
 *
 * A configuration is a JSON object mapping each parameter name to a scalar
 * value, with keys in the order the space file declares them.
 */
#ifndef SEARCH_SPACE_H
#define SEARCH_SPACE_H

#include <jansson.h>
#include <stddef.h>

#include "pcg32.h"

enum param_kind {
    PARAM_CONSTANT,   /* a bare scalar in the space file */
    PARAM_CHOICE,     /* {"type": "choice", "values": [...]} */
    PARAM_INT,        /* {"type": "int", "low", "high", optional "log", "step", "values"} */
    PARAM_UNIFORM,    /* {"type": "uniform", "low", "high", optional "log", "step", "values"} */
    PARAM_LOGUNIFORM, /* {"type": "loguniform", "low", "high", optional "values"} */
};

struct param_spec {
    char *name;           /* owned */
    enum param_kind kind;
    json_t *value;        /* PARAM_CONSTANT: the scalar (owned reference) */
    json_t *values;       /* PARAM_CHOICE: the array; numeric kinds: explicit
                             values for grid search, or NULL (owned reference) */
    double low, high;     /* numeric kinds: inclusive bounds */
    double step;          /* numeric kinds: grid step, 0 when absent */
    int log;              /* numeric kinds: sample on a log scale */
};

struct search_space {
    struct param_spec *params; /* (count), in declaration order; owned */
    size_t count;
};

/* Releases every spec and the array; leaves an empty space. */
void search_space_free(struct search_space *space);

/* Draws one configuration: constants as given, choices uniformly, numeric
 * ranges uniformly (on a log scale for log / loguniform; integers inclusive of
 * both bounds; among explicit `values` when present). Returns a new object. */
json_t *search_space_sample(const struct search_space *space, struct hp_pcg32 *rng);

/* The grid's values of one parameter: the constant, the choice values, the
 * explicit values, or low, low+step, ... up to high. Returns a new array, or
 * NULL when a numeric range has neither values nor step. */
json_t *search_space_grid_values(const struct param_spec *spec);

#endif
