/*
 * The grid strategy: every combination of every parameter's grid values.
 *
 * Configs come in itertools.product order (the first declared parameter varies
 * slowest, the last fastest), numbered 0..N-1. The grid is never built as a
 * list: config i is decoded from i as a mixed-radix number whose digits index
 * each parameter's values, so a huge step range costs no memory. The grid does
 * not learn from results; report and tell are the default no-ops.
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
};

static const char *const grid_option_keys[] = {"trials", NULL};

static const char *kind_word(enum param_kind kind)
{
    switch (kind) {
    case PARAM_INT:
        return "an int";
    case PARAM_UNIFORM:
        return "a uniform";
    case PARAM_LOGUNIFORM:
        return "a loguniform";
    default:
        return "a choice";
    }
}

static void grid_destroy(struct strategy *s)
{
    struct grid *g = (struct grid *)s;
    if (!g)
        return;
    free(g->radix);
    free(g->digit);
    free(g);
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
                                kind_word(p->kind));
        }
        if (count > SEARCH_SPACE_GRID_MAX / g->total) {
            grid_destroy(&g->base);
            return hp_error_set(err, "params",
                                "the grid has more than %zu configurations",
                                SEARCH_SPACE_GRID_MAX);
        }
        g->radix[i] = count;
        g->total *= count;
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
    /* The last parameter is the least significant digit. */
    size_t rest = g->next;
    for (size_t i = g->space->count; i-- > 0;) {
        g->digit[i] = rest % g->radix[i];
        rest /= g->radix[i];
    }
    json_t *config = json_object();
    if (!config)
        return -1;
    for (size_t i = 0; i < g->space->count; i++) {
        const struct param_spec *p = &g->space->params[i];
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
