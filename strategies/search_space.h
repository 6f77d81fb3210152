/*
 * The search-space model: parameter specs, and configurations drawn from them.
 * Strategies own this model because it is what they search; the orchestrator's
 * space-file loader (orchestrator/space.c) builds it from JSON and validates it.
 *
 * A configuration is a JSON object mapping each active parameter's name to a
 * scalar value, with keys in the order the space file declares them. A
 * parameter with a "when" is active only where its condition holds
 * (strategies/condition.h); an inactive one is absent.
 */
#ifndef SEARCH_SPACE_H
#define SEARCH_SPACE_H

#include <jansson.h>
#include <stddef.h>

#include "condition.h"
#include "pcg32.h"

enum param_kind {
    PARAM_CONSTANT,   /* a bare scalar in the space file */
    PARAM_CHOICE,     /* {"type": "choice", "values": [...]} */
    PARAM_INT,        /* {"type": "int", "low", "high", optional "log", "step", "values"} */
    PARAM_UNIFORM,    /* {"type": "uniform", "low", "high", optional "log", "step", "values"} */
    PARAM_LOGUNIFORM, /* {"type": "loguniform", "low", "high", optional "step", "values"};
                         the same as "uniform" with "log": true */
};

/* "an int", "a uniform" or "a loguniform": a range's kind with its article,
 * for messages ("... for an int range"); "a" for the other kinds. */
const char *search_space_range_phrase(enum param_kind kind);

struct param_spec {
    char *name;           /* owned */
    enum param_kind kind;
    json_t *value;        /* PARAM_CONSTANT: the scalar (owned reference) */
    json_t *values;       /* PARAM_CHOICE: the array; numeric kinds: explicit
                             values for grid search, or NULL (owned reference) */
    double low, high;     /* numeric kinds: inclusive bounds */
    double step;          /* numeric kinds: grid step, 0 when absent */
    int log;              /* numeric kinds: sample on a log scale (always set for
                             PARAM_LOGUNIFORM by the loader; either is honoured) */
    struct param_condition *when; /* (when_count) "when": all must hold; NULL when
                                     the parameter is always active (owned) */
    size_t when_count;
};

struct search_space {
    struct param_spec *params; /* (count), in declaration order; owned */
    size_t count;
    size_t *order; /* (count) evaluation order (condition_order); NULL when no
                      parameter has a condition (owned) */
};

/* Releases every spec and the array; leaves an empty space. */
void search_space_free(struct search_space *space);

/* Draws one configuration: constants as given, choices uniformly, numeric
 * ranges uniformly (on a log scale for log / loguniform; integers inclusive of
 * both bounds; among explicit `values` when present). With a `step`, a linear
 * range picks one of its grid values uniformly and a log range snaps its draw
 * to the nearest grid value. PARAM_INT values are JSON integers, the other
 * numeric kinds JSON reals. Every parameter is drawn, in declaration order,
 * whether active or not, and the inactive ones are then dropped: so a
 * parameter's draw never depends on another's activity. Returns a new object
 * with keys in declaration order, or NULL when memory runs out. */
json_t *search_space_sample(const struct search_space *space, struct hp_pcg32 *rng);

/* The same draws as search_space_sample, with every parameter kept, active or
 * not (PBT's resampling takes a newly active parameter's value from it). */
json_t *search_space_sample_all(const struct search_space *space, struct hp_pcg32 *rng);

/* The grid's values of one parameter: the constant, the choice values, the
 * explicit values, or low, low+step, ... up to high. A step grid ends at high
 * itself when high lies on the step within floating error (a relative 1e-9 of
 * a step, so 0..0.5 step 0.1 has six values), and float steps are rounded to
 * 15 significant digits (0.30000000000000004 becomes 0.3). Returns a new
 * array, or NULL when a numeric range has neither values nor step, or has
 * more than SEARCH_SPACE_GRID_MAX values. */
json_t *search_space_grid_values(const struct param_spec *spec);

/* How many grid values the parameter has: 1 for a constant, the length of the
 * choice or explicit values, or the number of steps from low to high. Returns
 * 0 when a numeric range has neither values nor step, and saturates at
 * SEARCH_SPACE_GRID_MAX + 1 for absurdly fine steps. */
size_t search_space_grid_count(const struct param_spec *spec);

/* The k-th grid value (k < search_space_grid_count(spec)), computed without
 * building the whole list. Returns a new reference, or NULL when k is out of
 * range or memory runs out. */
json_t *search_space_grid_value(const struct param_spec *spec, size_t k);

/* Writes a short description of a JSON value for "(got ...)" in error
 * messages into buf[size]: a scalar as JSON (strings quoted and cut after 60
 * characters with "...", reals in their shortest round-trip form, without an
 * exponent where one is avoidable, and always with a fraction or exponent:
 * 16.0, 0.001, 1e-05, 1e+20), containers
 * and null by their type name ("array", "object", "null"). Returns buf. */
char *search_space_describe(const json_t *value, char *buf, size_t size);

/* The most grid values one parameter, or one whole grid, may have. */
#define SEARCH_SPACE_GRID_MAX ((size_t)1000000000)

#endif
