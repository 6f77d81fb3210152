/*
 * The grid strategy: every combination of every parameter's grid values.
 *
 * Configs come in itertools.product order (the first declared parameter varies
 * slowest, the last fastest), numbered 0..N-1. The grid is never built as a
 * list: config i is decoded from i as a mixed-radix number whose digits index
 * each parameter's values, so a huge step range costs no memory. The grid does
 * not learn from results; report and tell are the default no-ops.
 *
 * With conditional parameters (strategies/condition.h) an inactive parameter
 * does not multiply the grid: the configs are the distinct ones of the
 * product once inactive parameters are removed, each where it first appears.
 * The product then varies the parameters in evaluation order
 * (condition_order: declaration order, except that a parameter comes after
 * those its "when" names), the last fastest, and an inactive parameter counts
 * as a single value; so optimizer [sgd, adam] with momentum [0.8, 0.9] under
 * sgd gives {sgd, 0.8}, {sgd, 0.9}, {adam}. Configs then come from an
 * odometer that advances one config per ask, and the count from a walk over
 * the values of the parameters that conditions name.
 */
#include <stdio.h>
#include <stdlib.h>

#include "strategy.h"

struct grid {
    struct strategy base;
    const struct search_space *space; /* borrowed */
    size_t *radix;                    /* (space->count) grid values per param */
    size_t *digit;                    /* (space->count) scratch for ask */
    size_t total;                     /* configs in the grid */
    size_t next;                      /* the next config to ask */
    /* Conditional spaces only: the odometer's state, by parameter index. */
    unsigned char *active; /* (space->count) active at the current digits */
    unsigned char *named;  /* (space->count) some condition names it */
    size_t walked;         /* grid_count's steps, bounded by GRID_WALK_MAX */
};

/* The most steps counting a conditional grid may take: enough for millions
 * of combinations of the values of the parameters that conditions name. */
#define GRID_WALK_MAX ((size_t)50000000)

static const char *const grid_option_keys[] = {"trials", NULL};

static void grid_destroy(struct strategy *s)
{
    struct grid *g = (struct grid *)s;
    if (!g)
        return;
    free(g->radix);
    free(g->digit);
    free(g->active);
    free(g->named);
    free(g);
}

static size_t saturating_add(size_t a, size_t b)
{
    return a > SEARCH_SPACE_GRID_MAX - b ? SEARCH_SPACE_GRID_MAX + 1 : a + b;
}

static size_t saturating_mul(size_t a, size_t b)
{
    if (a == 0 || b == 0)
        return 0;
    return a > (SEARCH_SPACE_GRID_MAX + 1) / b ? SEARCH_SPACE_GRID_MAX + 1 : a * b;
}

/* Sets the activity of the parameters at positions `from` .. count-1 of the
 * evaluation order from the digits (earlier positions are already set). */
static void update_activity(struct grid *g, size_t from)
{
    for (size_t i = from; i < g->space->count; i++) {
        size_t p = condition_order(g->space, i);
        g->active[p] =
            (unsigned char)condition_holds_at(g->space, p, g->active, g->digit);
    }
}

/* The number of distinct configs from evaluation position `pos` on, with the
 * digits before it fixed, saturating at SEARCH_SPACE_GRID_MAX + 1. A
 * parameter no condition names multiplies the rest by its value count (the
 * rest does not depend on its value); one that a condition names is walked
 * value by value. Returns SIZE_MAX when the walk takes too many steps. */
static size_t grid_count(struct grid *g, size_t pos)
{
    if (++g->walked > GRID_WALK_MAX)
        return SIZE_MAX;
    if (pos == g->space->count)
        return 1;
    size_t p = condition_order(g->space, pos);
    g->digit[p] = 0;
    g->active[p] = (unsigned char)condition_holds_at(g->space, p, g->active, g->digit);
    if (!g->active[p])
        return grid_count(g, pos + 1);
    if (!g->named[p]) {
        size_t rest = grid_count(g, pos + 1);
        return rest == SIZE_MAX ? SIZE_MAX : saturating_mul(g->radix[p], rest);
    }
    size_t sum = 0;
    for (size_t d = 0; d < g->radix[p]; d++) {
        g->digit[p] = d;
        size_t rest = grid_count(g, pos + 1);
        if (rest == SIZE_MAX)
            return SIZE_MAX;
        sum = saturating_add(sum, rest);
    }
    return sum;
}

/* Sizes a conditional grid and sets the odometer on its first config (all
 * digits 0). Returns 0, or -1 with `err` set. */
static int grid_create_conditional(struct grid *g, struct hp_error *err)
{
    size_t n = g->space->count;
    g->active = calloc(n, 1);
    g->named = calloc(n, 1);
    if (!g->active || !g->named)
        return hp_error_set(err, "strategy", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct param_spec *p = &g->space->params[i];
        for (size_t t = 0; t < p->when_count; t++)
            g->named[p->when[t].param] = 1;
    }
    size_t total = grid_count(g, 0);
    if (total == SIZE_MAX)
        return hp_error_set(err, "params",
                            "too many combinations of the values of the parameters that "
                            "conditions name to enumerate a grid");
    if (total > SEARCH_SPACE_GRID_MAX)
        return hp_error_set(err, "params", "the grid has more than %zu configurations",
                            SEARCH_SPACE_GRID_MAX);
    g->total = total;
    for (size_t i = 0; i < n; i++)
        g->digit[i] = 0;
    update_activity(g, 0);
    return 0;
}

/* Moves the odometer to the next config: the last position in evaluation
 * order whose parameter is active and not at its last value steps up, the
 * positions after it restart at 0 and their activity is recomputed (an
 * inactive parameter stays at 0, so each config appears once). Returns 0
 * when there is none. */
static int grid_advance(struct grid *g)
{
    for (size_t pos = g->space->count; pos-- > 0;) {
        size_t p = condition_order(g->space, pos);
        if (!g->active[p] || g->digit[p] + 1 >= g->radix[p])
            continue;
        g->digit[p]++;
        for (size_t i = pos + 1; i < g->space->count; i++)
            g->digit[condition_order(g->space, i)] = 0;
        update_activity(g, pos + 1);
        return 1;
    }
    return 0;
}

static int grid_create(const struct search_space *space, const json_t *options,
                       const struct strategy_context *context, struct strategy **out,
                       struct hp_error *err)
{
    (void)context; /* the order of configs does not depend on the mode */
    *out = NULL;
    size_t n = space->count;
    struct grid *g = calloc(1, sizeof *g);
    if (!g)
        return hp_error_set(err, "strategy", "out of memory");
    g->base.ops = &grid_strategy_ops;
    g->space = space;
    g->radix = calloc(n ? n : 1, sizeof *g->radix);
    g->digit = calloc(n ? n : 1, sizeof *g->digit);
    if (!g->radix || !g->digit) {
        grid_destroy(&g->base);
        return hp_error_set(err, "strategy", "out of memory");
    }
    /* An empty product is one empty config, as itertools.product() yields. */
    g->total = 1;
    for (size_t i = 0; i < n; i++) {
        const struct param_spec *p = &space->params[i];
        char path[256];
        snprintf(path, sizeof path, "params.%s", p->name);
        size_t count = search_space_grid_count(p);
        if (count == 0) {
            grid_destroy(&g->base);
            return hp_error_set(err, path,
                                "grid search needs \"values\" or \"step\" for %s range",
                                search_space_range_phrase(p->kind));
        }
        /* A conditional grid is sized below: its full product may be far
         * larger than its configs. */
        if (!condition_any(space) && count > SEARCH_SPACE_GRID_MAX / g->total) {
            grid_destroy(&g->base);
            return hp_error_set(err, "params",
                                "the grid has more than %zu configurations",
                                SEARCH_SPACE_GRID_MAX);
        }
        g->radix[i] = count;
        g->total = saturating_mul(g->total, count);
    }
    if (condition_any(space) && grid_create_conditional(g, err) != 0) {
        grid_destroy(&g->base);
        return -1;
    }
    /* "trials" runs the first N configs of the grid; growing it (resume
     * --trials) runs the next ones, up to the whole grid. */
    const json_t *trials = json_object_get(options, "trials");
    if (trials) {
        char got[128];
        search_space_describe(trials, got, sizeof got);
        if (!json_is_integer(trials) || json_integer_value(trials) < 1) {
            grid_destroy(&g->base);
            return hp_error_set(err, "strategy.trials",
                                "must be an integer >= 1 (got %s)", got);
        }
        if ((unsigned long long)json_integer_value(trials) > g->total) {
            size_t total = g->total;
            grid_destroy(&g->base);
            return hp_error_set(err, "strategy.trials",
                                "the grid has only %zu configuration%s (got %s); a grid "
                                "sweep cannot grow past its grid",
                                total, total == 1 ? "" : "s", got);
        }
        g->total = (size_t)json_integer_value(trials);
    }
    *out = &g->base;
    return 0;
}

static int grid_ask(struct strategy *s, struct ask_result *out)
{
    struct grid *g = (struct grid *)s;
    out->config_index = g->next;
    out->params = NULL;
    out->budget = 0;
    out->resume_from = NULL;
    if (g->next >= g->total) {
        out->kind = ASK_DONE;
        return 0;
    }
    if (g->active) {
        /* Asks come in order: the odometer stands on the config asked
         * last (on config 0 before the first ask). */
        if (g->next > 0 && !grid_advance(g))
            return -1;
    } else {
        /* The last parameter is the least significant digit. */
        size_t rest = g->next;
        for (size_t i = g->space->count; i-- > 0;) {
            g->digit[i] = rest % g->radix[i];
            rest /= g->radix[i];
        }
    }
    json_t *config = json_object();
    if (!config)
        return -1;
    for (size_t i = 0; i < g->space->count; i++) {
        const struct param_spec *p = &g->space->params[i];
        if (g->active && !g->active[i])
            continue;
        json_t *value = search_space_grid_value(p, g->digit[i]);
        if (json_object_set_new(config, p->name, value) != 0) {
            json_decref(config);
            return -1;
        }
    }
    out->kind = ASK_CONFIG;
    out->params = config;
    g->next++;
    return 0;
}

static size_t grid_planned(const struct strategy *s)
{
    return ((const struct grid *)s)->total;
}

const struct strategy_ops grid_strategy_ops = {
    .name = "grid",
    .option_keys = grid_option_keys,
    .create = grid_create,
    .ask = grid_ask,
    .report = NULL,
    .tell = NULL,
    .planned = grid_planned,
    .destroy = grid_destroy,
};
