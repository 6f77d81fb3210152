/*
 * The pbt scheduler: Population Based Training (Jaderberg et al. 2017), in
 * synchronous generations so that a sweep is the same at any parallelism.
 *
 * A member's life is a chain of configs, one per generation: config g*P + m
 * is member m in generation g, with fixed params, trained to (g+1)*interval.
 * The sampler gives generation 0 (its first `population` configs). When
 * every member of generation g has ended its run, the members are ranked by
 * their seed-mean value (failed ones last, ties to the lower index); each of
 * the bottom ceil(P*quantile) (at most floor(P/2)), and every failed member,
 * takes over a member drawn uniformly from the top as many (exploit: each
 * seed continues from the same seed's checkpoint of that member) with its
 * params perturbed (explore); every other member continues its own line.
 * Both are decisions that add the config of generation g+1. At the same
 * barrier generation g-1 is retired: every config of generation g continued
 * from it and has its own checkpoints now, so nothing can copy it any more.
 * The last generation completes and is ranked.
 *
 * Explore, per param (Ray Tune's rule as the reference): with probability
 * resample_probability a fresh draw from the space; else a numeric value is
 * multiplied by one of `factors` (drawn uniformly), kept in its bounds and on
 * its step (an integer that rounding would leave unchanged moves by one in
 * the factor's direction), and a choice or explicit `values` moves to a
 * neighbouring value (either side, inward at the ends). Constants stay.
 * Only the params listed in "explore" change (default: all); the others,
 * such as an architecture that a checkpoint fixes, are copied as they are.
 * Conditional params (condition.h): explore perturbs only the params active
 * in the member it copies; then activity is recomputed on the result, so when
 * a perturbed or resampled choice turns a param off it is dropped, and when
 * it turns one on, that param takes its value from the fresh draw (as a
 * resample would). A param inactive in the copied member is never perturbed.
 * Draws come from hp_pcg32_derive(seed, generation << 32 | member).
 *
 * With "schedule" (a list of `generations` params objects, as `report`
 * writes for the winner), the population is one member that follows the
 * schedule: the winning member retrained from scratch.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"
#include "search_space.h"

struct pbt {
    struct scheduler base;
    const struct search_space *space; /* borrowed */
    int maximize;
    size_t population;
    long interval;
    size_t generations;
    double quantile;
    double resample;
    double *factors;
    size_t factor_count;
    uint64_t seed;
    json_t *schedule;      /* array of params objects, or NULL */
    unsigned char *frozen; /* (space->count) params explore leaves alone */
    /* Per config (generation-major): params, value, whether its run ended. */
    json_t **params;
    double *value;
    unsigned char *ended;
    size_t known; /* configs admitted */
    size_t capacity;
    size_t barrier;             /* the next generation whose barrier is pending */
    struct sched_decision *out; /* decisions made, not yet taken */
    size_t out_head, out_count, out_cap;
};

static const char *const pbt_option_keys[] = {
    "population", "interval", "generations", "quantile", "resample_probability",
    "factors",    "seed",     "schedule",    "explore",  NULL};

static int real_option(const json_t *options, const char *key, double low, double high,
                       double *out, struct hp_error *err)
{
    const json_t *v = json_object_get(options, key);
    if (!v)
        return 0;
    char got[128];
    if (!json_is_number(v) || json_number_value(v) < low || json_number_value(v) > high) {
        search_space_describe(v, got, sizeof got);
        char where[64];
        snprintf(where, sizeof where, "scheduler.%s", key);
        return hp_error_set(err, where, "must be a number from %g to %g (got %s)", low,
                            high, got);
    }
    *out = json_number_value(v);
    return 0;
}

/* Whether `value` may stand for `spec` in generation g of a replayed
 * schedule. A replay space's params are constants (generation 0's values);
 * later generations change them, keeping each one's JSON type. */
static int param_accepts(const struct param_spec *spec, const json_t *value, size_t g)
{
    switch (spec->kind) {
    case PARAM_CONSTANT:
        if (g == 0)
            return json_equal(spec->value, value);
        return json_typeof(spec->value) == json_typeof(value) ||
               (json_is_number(spec->value) && json_is_number(value));
    case PARAM_CHOICE:
        break;
    case PARAM_INT:
    case PARAM_UNIFORM:
    case PARAM_LOGUNIFORM:
        if (!spec->values)
            return json_is_number(value) && json_number_value(value) >= spec->low &&
                   json_number_value(value) <= spec->high;
        break;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(spec->values, i, v) if (json_equal(v, value)) return 1;
    return 0;
}

static int check_schedule_entries(const struct pbt *p, const json_t *schedule,
                                  unsigned char *active, struct hp_error *err)
{
    if (!json_is_array(schedule) || json_array_size(schedule) != p->generations)
        return hp_error_set(err, "scheduler.schedule",
                            "must be an array of %zu params "
                            "objects, one per generation",
                            p->generations);
    if (p->population != 1)
        return hp_error_set(err, "scheduler.schedule",
                            "replays one member: population "
                            "must be 1 (got %zu)",
                            p->population);
    size_t g;
    const json_t *entry;
    char where[160];
    json_array_foreach(schedule, g, entry)
    {
        snprintf(where, sizeof where, "scheduler.schedule[%zu]", g);
        if (!json_is_object(entry))
            return hp_error_set(err, where,
                                "must be an object with every param of the space");
        /* A param whose condition the entry's own values leave off is absent,
         * as it is from the configs. */
        condition_activity(p->space, entry, active);
        size_t want = 0;
        for (size_t i = 0; i < p->space->count; i++)
            want += active[i];
        if (json_object_size(entry) != want)
            return hp_error_set(err, where,
                                "must be an object with every active param of the space");
        for (size_t i = 0; i < p->space->count; i++) {
            const struct param_spec *spec = &p->space->params[i];
            if (!active[i])
                continue;
            const json_t *value = json_object_get(entry, spec->name);
            snprintf(where, sizeof where, "scheduler.schedule[%zu].%s", g, spec->name);
            if (!value || !param_accepts(spec, value, g))
                return hp_error_set(err, where, "%s",
                                    value ? "is not a value of the param" : "is missing");
            if (g == 0 && spec->kind != PARAM_CONSTANT)
                return hp_error_set(err, "scheduler.schedule",
                                    "a replayed schedule starts "
                                    "from constant params (params.%s is not one)",
                                    spec->name);
        }
    }
    return 0;
}

/* Checks "schedule"; active is scratch for each entry's activity. */
static int check_schedule(const struct pbt *p, const json_t *schedule,
                          struct hp_error *err)
{
    unsigned char *active = calloc(p->space->count ? p->space->count : 1, 1);
    if (!active)
        return hp_error_set(err, "scheduler.schedule", "out of memory");
    int rc = check_schedule_entries(p, schedule, active, err);
    free(active);
    return rc;
}

static void pbt_destroy(struct scheduler *s)
{
    struct pbt *p = (struct pbt *)s;
    if (!p)
        return;
    for (size_t i = 0; i < p->known; i++)
        json_decref(p->params[i]);
    for (size_t i = p->out_head; i < p->out_count; i++)
        sched_decision_clear(&p->out[i]);
    free(p->params);
    free(p->value);
    free(p->ended);
    free(p->out);
    free(p->factors);
    free(p->frozen);
    json_decref(p->schedule);
    free(p);
}

static int pbt_create(const json_t *options, const struct sched_context *context,
                      struct scheduler **out, struct hp_error *err)
{
    *out = NULL;
    long population = (long)context->planned_configs, interval = 1, generations = 0,
         seed = 0;
    if (!json_object_get(options, "generations"))
        return hp_error_set(err, "scheduler", "pbt needs \"generations\"");
    if (scheduler_int_option(options, "population", 1, 100000, &population, err) < 0 ||
        scheduler_int_option(options, "interval", 1, 1000000, &interval, err) < 0 ||
        scheduler_int_option(options, "generations", 1, 100000, &generations, err) < 0 ||
        scheduler_int_option(options, "seed", 0, INT64_MAX, &seed, err) < 0)
        return -1;
    if (population < 1)
        return hp_error_set(err, "scheduler.population",
                            "must be given, an integer >= 1");
    if (context->planned_configs != 0 && context->planned_configs != (size_t)population)
        return hp_error_set(
            err, "scheduler.population",
            "the strategy proposes %zu configs; pbt "
            "takes its population from them, so it must be %zu too (got %ld)",
            context->planned_configs, context->planned_configs, population);
    struct pbt *p = calloc(1, sizeof *p);
    if (!p)
        return hp_error_set(err, "scheduler", "out of memory");
    p->base.ops = &pbt_scheduler_ops;
    p->space = context->space;
    p->maximize = context->maximize;
    p->population = (size_t)population;
    p->interval = interval;
    p->generations = (size_t)generations;
    p->quantile = 0.25;
    p->resample = 0.25;
    p->seed = (uint64_t)seed;
    p->base.max_budget = interval * generations;
    p->base.extra_configs = p->population * (p->generations - 1);
    if (real_option(options, "quantile", 0.0, 0.5, &p->quantile, err) < 0 ||
        real_option(options, "resample_probability", 0.0, 1.0, &p->resample, err) < 0)
        goto fail;
    const json_t *factors = json_object_get(options, "factors");
    if (factors) {
        if (!json_is_array(factors) || json_array_size(factors) == 0) {
            hp_error_set(err, "scheduler.factors",
                         "must be a non-empty array of numbers > 0");
            goto fail;
        }
        p->factor_count = json_array_size(factors);
    } else {
        p->factor_count = 2;
    }
    p->factors = calloc(p->factor_count, sizeof *p->factors);
    if (!p->factors) {
        hp_error_set(err, "scheduler", "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < p->factor_count; i++) {
        const json_t *f = factors ? json_array_get(factors, i) : NULL;
        if (factors && (!json_is_number(f) || json_number_value(f) <= 0.0)) {
            char where[64];
            snprintf(where, sizeof where, "scheduler.factors[%zu]", i);
            hp_error_set(err, where, "must be a number > 0");
            goto fail;
        }
        p->factors[i] = f ? json_number_value(f) : (i == 0 ? 0.8 : 1.2);
    }
    /* "explore": the params explore may change (default: every one). An
     * exploit still copies the others from its source: architecture params,
     * which a checkpoint cannot change, belong out of this list. */
    const json_t *explored = json_object_get(options, "explore");
    size_t count = p->space ? p->space->count : 0;
    p->frozen = calloc(count + 1, 1);
    if (!p->frozen) {
        hp_error_set(err, "scheduler", "out of memory");
        goto fail;
    }
    if (explored) {
        if (!json_is_array(explored)) {
            hp_error_set(err, "scheduler.explore", "must be an array of param names");
            goto fail;
        }
        memset(p->frozen, 1, count);
        size_t i;
        const json_t *name;
        json_array_foreach(explored, i, name)
        {
            size_t k = 0;
            while (k < count &&
                   (!json_is_string(name) ||
                    strcmp(p->space->params[k].name, json_string_value(name)) != 0))
                k++;
            if (k == count) {
                char where[64], got[128];
                snprintf(where, sizeof where, "scheduler.explore[%zu]", i);
                search_space_describe(name, got, sizeof got);
                hp_error_set(err, where, "must name a param of the space (got %s)", got);
                goto fail;
            }
            p->frozen[k] = 0;
        }
    }
    const json_t *schedule = json_object_get(options, "schedule");
    if (schedule) {
        if (!p->space) {
            hp_error_set(err, "scheduler.schedule", "needs the space");
            goto fail;
        }
        if (check_schedule(p, schedule, err) < 0)
            goto fail;
        p->schedule = json_incref((json_t *)schedule);
    }
    *out = &p->base;
    return 0;
fail:
    pbt_destroy(&p->base);
    return -1;
}

static int reserve(struct pbt *p, size_t n)
{
    if (n <= p->capacity)
        return 0;
    size_t cap = p->capacity ? p->capacity * 2 : 16;
    while (cap < n)
        cap *= 2;
    json_t **params = realloc(p->params, cap * sizeof *params);
    if (params)
        p->params = params;
    double *value = realloc(p->value, cap * sizeof *value);
    if (value)
        p->value = value;
    unsigned char *ended = realloc(p->ended, cap * sizeof *ended);
    if (ended)
        p->ended = ended;
    if (!params || !value || !ended)
        return -1;
    p->capacity = cap;
    return 0;
}

static long pbt_admit(struct scheduler *s, size_t config, const json_t *params)
{
    struct pbt *p = (struct pbt *)s;
    if (config != p->known || reserve(p, config + 1) < 0)
        return -1;
    p->params[config] = params ? json_deep_copy(params) : json_object();
    p->value[config] = NAN;
    p->ended[config] = 0;
    p->known++;
    return p->interval * (long)(config / p->population + 1);
}

static void pbt_segment_end(struct scheduler *s, size_t config, long budget, double value,
                            size_t n_ok)
{
    struct pbt *p = (struct pbt *)s;
    (void)budget;
    if (config >= p->known)
        return;
    p->value[config] = n_ok > 0 ? value : NAN;
    p->ended[config] = 1;
}

static int push(struct pbt *p, struct sched_decision d)
{
    if (p->out_head > 0 && p->out_head == p->out_count)
        p->out_head = p->out_count = 0;
    if (p->out_count == p->out_cap) {
        size_t cap = p->out_cap ? p->out_cap * 2 : 16;
        struct sched_decision *grown = realloc(p->out, cap * sizeof *grown);
        if (!grown) {
            sched_decision_clear(&d);
            return -1;
        }
        p->out = grown;
        p->out_cap = cap;
    }
    p->out[p->out_count++] = d;
    return 0;
}

/* Snaps a numeric value into the param's bounds and onto its step. */
static double keep_in_range(const struct param_spec *spec, double v)
{
    if (spec->step > 0.0)
        v = spec->low + round((v - spec->low) / spec->step) * spec->step;
    if (spec->kind == PARAM_INT)
        v = round(v);
    if (v < spec->low)
        v = spec->low;
    if (v > spec->high)
        v = spec->high;
    return v;
}

/* The index of `value` in `values`, or 0. */
static size_t index_of(const json_t *values, const json_t *value)
{
    size_t i;
    const json_t *v;
    json_array_foreach(values, i, v) if (json_equal(v, value)) return i;
    return 0;
}

/* A perturbed copy of `params` (explore), or NULL when out of memory. */
static json_t *explore(const struct pbt *p, const json_t *params, struct hp_pcg32 *rng)
{
    json_t *out = json_deep_copy(params);
    json_t *fresh = search_space_sample_all(p->space, rng);
    if (!out || !fresh) {
        json_decref(out);
        json_decref(fresh);
        return NULL;
    }
    for (size_t i = 0; i < p->space->count; i++) {
        const struct param_spec *spec = &p->space->params[i];
        if (spec->kind == PARAM_CONSTANT)
            continue;
        /* Every draw is taken whatever the branch, so one param's choice
         * never shifts another's numbers. */
        double coin = hp_pcg32_double(rng);
        uint32_t pick = hp_pcg32_next(rng);
        const json_t *now = json_object_get(out, spec->name);
        if (p->frozen[i] || !now)
            continue;
        if (coin < p->resample) {
            json_object_set(out, spec->name, json_object_get(fresh, spec->name));
            continue;
        }
        if (spec->kind == PARAM_CHOICE || spec->values) {
            size_t n = json_array_size(spec->values);
            size_t k = index_of(spec->values, now);
            if (n < 2)
                continue;
            if (k == 0)
                k = 1;
            else if (k == n - 1)
                k = n - 2;
            else
                k = (pick & 1) ? k + 1 : k - 1;
            json_object_set(out, spec->name, json_array_get(spec->values, k));
            continue;
        }
        double factor = p->factors[pick % p->factor_count];
        double old = json_number_value(now);
        double v = keep_in_range(spec, old * factor);
        if (v == old && (spec->kind == PARAM_INT || spec->step > 0.0)) {
            double unit = spec->step > 0.0 ? spec->step : 1.0;
            v = keep_in_range(spec, factor > 1.0 ? old + unit : old - unit);
        }
        json_object_set_new(out, spec->name,
                            spec->kind == PARAM_INT ? json_integer((json_int_t)v)
                                                    : json_real(v));
    }
    if (condition_apply(p->space, out, fresh) != 0) {
        json_decref(out);
        out = NULL;
    }
    json_decref(fresh);
    return out;
}

/* Ranks members of generation g: order[0] is the best. */
static int rank_generation(const struct pbt *p, size_t g, size_t *order)
{
    size_t base = g * p->population;
    for (size_t m = 0; m < p->population; m++)
        order[m] = m;
    /* Insertion sort: populations are small, and it is stable on ties. */
    for (size_t i = 1; i < p->population; i++) {
        size_t m = order[i];
        size_t j = i;
        while (j > 0 && scheduler_better(p->value[base + m],
                                         p->value[base + order[j - 1]], p->maximize)) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = m;
    }
    size_t ok = 0;
    for (size_t m = 0; m < p->population; m++)
        ok += !isnan(p->value[base + m]);
    return (int)ok;
}

/* The decisions at the end of generation g (every member's run ended). */
static int barrier(struct pbt *p, size_t g)
{
    size_t P = p->population;
    size_t base = g * P;
    long at = p->interval * (long)(g + 1);
    if (g > 0)
        for (size_t m = 0; m < P; m++)
            if (push(p, (struct sched_decision){SCHED_RETIRE, base - P + m,
                                                at - p->interval, 0, 0, NULL}) < 0)
                return -1;
    if (g + 1 == p->generations) {
        for (size_t m = 0; m < P; m++)
            if (push(p, (struct sched_decision){SCHED_COMPLETE, base + m, at, 0, 0,
                                                NULL}) < 0)
                return -1;
        return 0;
    }
    size_t *order = calloc(P, sizeof *order);
    unsigned char *bottom = calloc(P, 1);
    if (!order || !bottom) {
        free(order);
        free(bottom);
        return -1;
    }
    size_t ok = (size_t)rank_generation(p, g, order);
    size_t q = (size_t)ceil((double)P * p->quantile);
    if (q > P / 2)
        q = P / 2;
    if (q > ok)
        q = ok;
    for (size_t i = P - q; i < P; i++)
        bottom[order[i]] = 1;
    for (size_t m = 0; m < P; m++)
        if (isnan(p->value[base + m]))
            bottom[m] = 1; /* a failed member takes over a working one */
    int rc = 0;
    for (size_t m = 0; m < P && rc == 0; m++) {
        struct hp_pcg32 rng;
        hp_pcg32_derive(&rng, p->seed, ((uint64_t)(g + 1) << 32) | m);
        struct sched_decision d = {SCHED_CONTINUE,   base + P + m, at,
                                   at + p->interval, base + m,     NULL};
        if (p->schedule) {
            d.params = json_deep_copy(json_array_get(p->schedule, g + 1));
        } else if (bottom[m] && q > 0) {
            d.action = SCHED_EXPLOIT;
            d.source = base + order[hp_pcg32_bounded(&rng, (uint32_t)q)];
            d.params = explore(p, p->params[d.source], &rng);
        } else {
            d.params = json_deep_copy(p->params[base + m]);
        }
        rc = d.params ? push(p, d) : -1;
    }
    free(order);
    free(bottom);
    return rc;
}

static int pbt_decide(struct scheduler *s, struct sched_decision *out)
{
    struct pbt *p = (struct pbt *)s;
    if (p->out_head == p->out_count && p->barrier < p->generations) {
        size_t base = p->barrier * p->population;
        if (p->known < base + p->population)
            return 0;
        for (size_t m = 0; m < p->population; m++)
            if (!p->ended[base + m])
                return 0;
        if (barrier(p, p->barrier) < 0)
            return -1;
        p->barrier++;
    }
    if (p->out_head == p->out_count)
        return 0;
    *out = p->out[p->out_head++]; /* the caller owns its params now */
    return 1;
}

const struct scheduler_ops pbt_scheduler_ops = {
    .name = "pbt",
    .option_keys = pbt_option_keys,
    .create = pbt_create,
    .admit = pbt_admit,
    .progress = NULL,
    .segment_end = pbt_segment_end,
    .decide = pbt_decide,
    .destroy = pbt_destroy,
};
