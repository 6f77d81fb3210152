/*
 * The random strategy: `trials` configs drawn independently from the space.
 *
 * Config i is drawn with its own generator, hp_pcg32_derive(seed, i), so it
 * never depends on how many draws earlier configs took: adding a parameter
 * type that draws twice, or resuming after config 17, cannot shift config 18.
 * Random search does not learn from results; report and tell are no-ops.
 */
#include <stdio.h>
#include <stdlib.h>

#include "strategy.h"

struct random_search {
    struct strategy base;
    const struct search_space *space; /* borrowed */
    size_t trials;
    uint64_t seed;
    size_t next;
};

static const char *const random_option_keys[] = {"trials", "seed", NULL};

static int random_create(const struct search_space *space, const json_t *options,
                      const struct strategy_context *context, struct strategy **out,
                      struct hp_error *err)
{
    (void)context; /* the order of configs does not depend on the mode */
    *out = NULL;
    char got[128];
    json_t *trials = json_object_get(options, "trials");
    json_t *seed = json_object_get(options, "seed");
    if (!trials)
        return hp_error_set(err, "strategy", "missing required key \"trials\"");
    if (!json_is_integer(trials) || json_integer_value(trials) < 1) {
        search_space_describe(trials, got, sizeof got);
        return hp_error_set(err, "strategy.trials", "must be an integer >= 1 (got %s)",
                            got);
    }
    if ((unsigned long long)json_integer_value(trials) > SEARCH_SPACE_GRID_MAX)
        return hp_error_set(err, "strategy.trials", "must be at most %zu (got %lld)",
                            SEARCH_SPACE_GRID_MAX, (long long)json_integer_value(trials));
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0)) {
        search_space_describe(seed, got, sizeof got);
        return hp_error_set(err, "strategy.seed",
                            "must be a non-negative integer (got %s)", got);
    }
    struct random_search *r = calloc(1, sizeof *r);
    if (!r)
        return hp_error_set(err, "strategy", "out of memory");
    r->base.ops = &random_strategy_ops;
    r->space = space;
    r->trials = (size_t)json_integer_value(trials);
    r->seed = seed ? (uint64_t)json_integer_value(seed) : 0;
    *out = &r->base;
    return 0;
}

static int random_ask(struct strategy *s, struct ask_result *out)
{
    struct random_search *r = (struct random_search *)s;
    out->config_index = r->next;
    out->params = NULL;
    out->budget = 0;
    out->resume_from = NULL;
    if (r->next >= r->trials) {
        out->kind = ASK_DONE;
        return 0;
    }
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, r->seed, r->next);
    json_t *config = search_space_sample(r->space, &rng);
    if (!config)
        return -1;
    out->kind = ASK_CONFIG;
    out->params = config;
    r->next++;
    return 0;
}

static size_t random_planned(const struct strategy *s)
{
    return ((const struct random_search *)s)->trials;
}

static void random_destroy(struct strategy *s)
{
    free(s);
}

const struct strategy_ops random_strategy_ops = {
    .name = "random",
    .option_keys = random_option_keys,
    .create = random_create,
    .ask = random_ask,
    .report = NULL,
    .tell = NULL,
    .planned = random_planned,
    .destroy = random_destroy,
};
