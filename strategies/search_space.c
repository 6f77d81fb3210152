/*
 * The search-space model: drawing configurations and listing grid values.
 *
 * This file owns what a parameter spec means numerically (bounds, log scales,
 * steps, explicit values). It does not validate specs: the space-file loader
 * (orchestrator/space.c) guarantees low < high (low <= high for int), low > 0
 * on a log scale, step > 0 (an integer for int), non-empty values within the
 * bounds, integer bounds for int within 2^53, and at most
 * SEARCH_SPACE_GRID_MAX step values per range. Every draw comes from the caller's
 * generator; nothing here keeps state between calls.
 */
#include "search_space.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void search_space_free(struct search_space *space)
{
    for (size_t i = 0; i < space->count; i++) {
        struct param_spec *p = &space->params[i];
        free(p->name);
        json_decref(p->value);
        json_decref(p->values);
        condition_free(p);
    }
    free(space->params);
    free(space->order);
    space->params = NULL;
    space->order = NULL;
    space->count = 0;
}

static int is_log(const struct param_spec *p)
{
    return p->kind == PARAM_LOGUNIFORM || p->log;
}

/* A numeric value as the kind's JSON type: integers for PARAM_INT. */
static json_t *numeric_json(const struct param_spec *p, double x)
{
    if (p->kind == PARAM_INT)
        return json_integer((json_int_t)llround(x));
    return json_real(x);
}

/* A uniform integer in [0, bound) for bounds beyond 32 bits (int ranges are
 * limited to 2^53 by the loader). Rejection keeps it free of modulo bias. */
static uint64_t bounded64(struct hp_pcg32 *rng, uint64_t bound)
{
    if (bound <= UINT32_MAX)
        return hp_pcg32_bounded(rng, (uint32_t)bound);
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t r = (uint64_t)hp_pcg32_next(rng) << 32;
        r |= hp_pcg32_next(rng);
        if (r >= threshold)
            return r % bound;
    }
}

/* The number of step values in [low, high], as a double so that absurd steps
 * cannot overflow; the caller saturates. */
static double step_count(const struct param_spec *p)
{
    if (p->kind == PARAM_INT) {
        long long span = llround(p->high - p->low);
        long long step = llround(p->step);
        return (double)(span / step) + 1.0;
    }
    double n = (p->high - p->low) / p->step;
    /* Forgive the rounding of the division, so that a high that lies on the
     * step (0..0.5 by 0.1 gives 5.000000000000001 or 4.999999999999999) is
     * always the last value. */
    return floor(n + 1e-9 + n * 4 * DBL_EPSILON) + 1.0;
}

/* The k-th step value: low + k*step, computed by multiplication (not repeated
 * addition) and, for floats, rounded to 15 significant digits so that
 * 0.30000000000000004 reads 0.3; clamped into the bounds. */
static double step_value(const struct param_spec *p, uint64_t k)
{
    if (p->kind == PARAM_INT)
        return (double)(llround(p->low) + (long long)k * llround(p->step));
    double x = p->low + (double)k * p->step;
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", x);
    x = strtod(buf, NULL);
    if (x > p->high)
        x = p->high;
    if (x < p->low)
        x = p->low;
    return x;
}

size_t search_space_grid_count(const struct param_spec *spec)
{
    switch (spec->kind) {
    case PARAM_CONSTANT:
        return 1;
    case PARAM_CHOICE:
        return json_array_size(spec->values);
    case PARAM_INT:
    case PARAM_UNIFORM:
    case PARAM_LOGUNIFORM:
        if (spec->values)
            return json_array_size(spec->values);
        if (spec->step > 0) {
            double n = step_count(spec);
            if (!(n <= (double)SEARCH_SPACE_GRID_MAX))
                return SEARCH_SPACE_GRID_MAX + 1;
            return (size_t)n;
        }
        return 0;
    }
    return 0;
}

/* An explicit value of a numeric kind, converted to the kind's JSON type
 * (a uniform range may list 0 for 0.0). */
static json_t *numeric_value_at(const struct param_spec *p, size_t k)
{
    return numeric_json(p, json_number_value(json_array_get(p->values, k)));
}

json_t *search_space_grid_value(const struct param_spec *spec, size_t k)
{
    if (k >= search_space_grid_count(spec))
        return NULL;
    switch (spec->kind) {
    case PARAM_CONSTANT:
        return json_copy(spec->value);
    case PARAM_CHOICE:
        return json_copy(json_array_get(spec->values, k));
    case PARAM_INT:
    case PARAM_UNIFORM:
    case PARAM_LOGUNIFORM:
        if (spec->values)
            return numeric_value_at(spec, k);
        return numeric_json(spec, step_value(spec, k));
    }
    return NULL;
}

json_t *search_space_grid_values(const struct param_spec *spec)
{
    size_t n = search_space_grid_count(spec);
    if (n == 0 || n > SEARCH_SPACE_GRID_MAX)
        return NULL;
    json_t *out = json_array();
    if (!out)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        if (json_array_append_new(out, search_space_grid_value(spec, k)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* One draw of a numeric range without explicit values. */
static double sample_numeric(const struct param_spec *p, struct hp_pcg32 *rng)
{
    int has_step = p->step > 0;
    if (has_step && !is_log(p)) {
        /* Every grid value equally likely, the end points included. */
        uint64_t n = (uint64_t)step_count(p);
        return step_value(p, bounded64(rng, n));
    }
    double x;
    if (is_log(p)) {
        /* An int on a log scale draws from [ln low, ln(high + 1)) and floors,
         * so that each integer gets the log-width of its unit interval. */
        double top = p->kind == PARAM_INT ? p->high + 1.0 : p->high;
        double lo = log(p->low);
        double hi = log(top);
        x = exp(lo + (hi - lo) * hp_pcg32_double(rng));
        if (p->kind == PARAM_INT)
            x = floor(x);
    } else if (p->kind == PARAM_INT) {
        uint64_t span = (uint64_t)llround(p->high - p->low) + 1;
        x = p->low + (double)bounded64(rng, span);
    } else {
        double u = hp_pcg32_double(rng);
        double span = p->high - p->low;
        /* A range wider than the largest double (-1e308..1e308) overflows the
         * span; the weighted form stays finite. */
        x = isinf(span) ? p->low * (1 - u) + p->high * u : p->low + span * u;
    }
    /* exp() and the multiplication may round just past a bound. */
    if (x > p->high)
        x = p->high;
    if (x < p->low)
        x = p->low;
    if (has_step) {
        /* A log draw snaps to the nearest step value. */
        double n = step_count(p);
        double k = floor((x - p->low) / p->step + 0.5);
        if (k > n - 1)
            k = n - 1;
        x = step_value(p, (uint64_t)k);
    }
    return x;
}

static json_t *sample_param(const struct param_spec *p, struct hp_pcg32 *rng)
{
    switch (p->kind) {
    case PARAM_CONSTANT:
        return json_copy(p->value);
    case PARAM_CHOICE: {
        size_t n = json_array_size(p->values);
        return json_copy(json_array_get(p->values, bounded64(rng, n)));
    }
    case PARAM_INT:
    case PARAM_UNIFORM:
    case PARAM_LOGUNIFORM:
        if (p->values)
            return numeric_value_at(p, bounded64(rng, json_array_size(p->values)));
        return numeric_json(p, sample_numeric(p, rng));
    }
    return NULL;
}

json_t *search_space_sample_all(const struct search_space *space, struct hp_pcg32 *rng)
{
    json_t *config = json_object();
    if (!config)
        return NULL;
    for (size_t i = 0; i < space->count; i++) {
        const struct param_spec *p = &space->params[i];
        if (json_object_set_new(config, p->name, sample_param(p, rng)) != 0) {
            json_decref(config);
            return NULL;
        }
    }
    return config;
}

json_t *search_space_sample(const struct search_space *space, struct hp_pcg32 *rng)
{
    json_t *config = search_space_sample_all(space, rng);
    if (config && condition_apply(space, config, NULL) != 0) {
        json_decref(config);
        return NULL;
    }
    return config;
}

/* The shortest "%g" form that reads back to the same double, preferring one
 * without an exponent when such a form exists (10, not 1e+01). */
static void format_real(char *buf, size_t size, double x)
{
    int p = 1;
    while (p < 17) {
        snprintf(buf, size, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            break;
        p++;
    }
    snprintf(buf, size, "%.*g", p, x);
    for (int q = p; strchr(buf, 'e') && q <= 17; q++) {
        char plain[40];
        snprintf(plain, sizeof plain, "%.*g", q, x);
        if (!strchr(plain, 'e') && strtod(plain, NULL) == x) {
            snprintf(buf, size, "%s", plain);
            break;
        }
    }
}

char *search_space_describe(const json_t *value, char *buf, size_t size)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        snprintf(buf, size, "object");
        break;
    case JSON_ARRAY:
        snprintf(buf, size, "array");
        break;
    case JSON_NULL:
        snprintf(buf, size, "null");
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        snprintf(buf, size, "%s", json_is_true(value) ? "true" : "false");
        break;
    case JSON_INTEGER:
        snprintf(buf, size, "%lld", (long long)json_integer_value(value));
        break;
    case JSON_REAL: {
        /* A real keeps a fraction or exponent, so that "must be an integer
         * (got 16.0)" does not read as a contradiction. */
        char num[40];
        format_real(num, sizeof num, json_real_value(value));
        int plain = strpbrk(num, ".eEnN") == NULL;
        snprintf(buf, size, "%s%s", num, plain ? ".0" : "");
        break;
    }
    case JSON_STRING: {
        char *text = json_dumps(value, JSON_ENCODE_ANY);
        size_t len = text ? strlen(text) : 0;
        if (!text) {
            snprintf(buf, size, "string");
        } else if (len > 62) {
            /* Cut on a character boundary, not inside a UTF-8 sequence. */
            int cut = 60;
            while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
                cut--;
            snprintf(buf, size, "%.*s...\"", cut, text);
        } else {
            snprintf(buf, size, "%s", text);
        }
        free(text);
        break;
    }
    }
    return buf;
}

const char *search_space_range_phrase(enum param_kind kind)
{
    switch (kind) {
    case PARAM_INT:
        return "an int";
    case PARAM_UNIFORM:
        return "a uniform";
    case PARAM_LOGUNIFORM:
        return "a loguniform";
    default:
        return "a";
    }
}
