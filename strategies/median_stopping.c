/*
 * The median scheduler: the median stopping rule (Golovin et al. 2017,
 * Google Vizier; Optuna's MedianPruner), decided in config order.
 *
 * Config k at step s (s >= warmup, on the interval, below max) is stopped
 * when its value there (the mean over its seeds of each one's best-so-far, or
 * last, by the objective's score rule) is strictly worse than the median of
 * the values at step s of the configs before k that reached s; configs
 * 0 .. warmup_configs-1 are never stopped. The decision waits until every
 * config before k has reached s or ended, so it never depends on which trial
 * happened to be faster. A config that already ran past s while it waited is
 * judged at s all the same: its results are cut back to s.
 *
 * Differences from the anchors, on purpose: Optuna compares with COMPLETE
 * trials only and Vizier with completed trials' running averages; both depend
 * on which trials happen to have completed. Here the reference is every
 * earlier config that reached the step, stopped later or not, so it is known
 * as soon as the earlier configs get there.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "scheduler.h"

struct median_config {
    long *steps;    /* steps every live seed reached, ascending */
    double *values; /* the config's value at each */
    size_t count;
    size_t cap;
    size_t next;           /* steps[next] is the next one to decide */
    long limit;            /* stopped at this step: it reached nothing beyond */
    unsigned char ended;   /* its seeds finished their run */
    unsigned char settled; /* pruned, completed or failed: no more decisions */
};

struct median {
    struct scheduler base;
    long warmup;
    long warmup_configs;
    long interval;
    int maximize;
    struct median_config *configs;
    size_t count;
    size_t cap;
    double *scratch; /* reference values of one decision */
    size_t scratch_cap;
    int dirty; /* something changed since decide() last found nothing */
};

static const char *const median_option_keys[] = {"max", "warmup", "warmup_configs",
                                                 "interval", NULL};

static int median_create(const json_t *options, const struct sched_context *context,
                         struct scheduler **out, struct hp_error *err)
{
    long max = 0, warmup = 0, warmup_configs = 5, interval = 1;
    *out = NULL;
    if (scheduler_int_option(options, "max", 1, LONG_MAX / 2, &max, err) < 0 ||
        scheduler_int_option(options, "warmup", 0, LONG_MAX / 2, &warmup, err) < 0 ||
        scheduler_int_option(options, "warmup_configs", 0, LONG_MAX / 2, &warmup_configs,
                             err) < 0 ||
        scheduler_int_option(options, "interval", 1, LONG_MAX / 2, &interval, err) < 0)
        return -1;
    struct median *m = calloc(1, sizeof *m);
    if (!m)
        return hp_error_set(err, "scheduler", "out of memory");
    m->base.ops = &median_scheduler_ops;
    m->base.max_budget = max;
    m->warmup = warmup;
    m->warmup_configs = warmup_configs;
    m->interval = interval;
    m->maximize = context->maximize;
    *out = &m->base;
    return 0;
}

static void median_destroy(struct scheduler *s)
{
    struct median *m = (struct median *)s;
    for (size_t i = 0; i < m->count; i++) {
        free(m->configs[i].steps);
        free(m->configs[i].values);
    }
    free(m->configs);
    free(m->scratch);
    free(m);
}

static long median_admit(struct scheduler *s, size_t config, const json_t *params)
{
    (void)params;
    struct median *m = (struct median *)s;
    if (config != m->count)
        return -1;
    struct median_config *grown =
        hp_grow(m->configs, &m->cap, m->count + 1, sizeof *grown);
    if (!grown)
        return -1;
    m->configs = grown;
    memset(&m->configs[m->count], 0, sizeof *m->configs);
    m->configs[m->count].limit = LONG_MAX;
    m->count++;
    m->dirty = 1;
    return s->max_budget;
}

static void median_progress(struct scheduler *s, size_t config, long step, double value)
{
    struct median *m = (struct median *)s;
    if (config >= m->count)
        return;
    struct median_config *c = &m->configs[config];
    if (step > c->limit || (c->count > 0 && step <= c->steps[c->count - 1]))
        return;
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        long *steps = realloc(c->steps, cap * sizeof *steps);
        if (steps)
            c->steps = steps;
        double *values = steps ? realloc(c->values, cap * sizeof *values) : NULL;
        if (!values)
            return; /* out of memory: the step is not known, so nothing waits on it */
        c->values = values;
        c->cap = cap;
    }
    c->steps[c->count] = step;
    c->values[c->count] = value;
    c->count++;
    m->dirty = 1;
}

static void median_segment_end(struct scheduler *s, size_t config, long budget,
                               double value, size_t n_ok)
{
    struct median *m = (struct median *)s;
    (void)budget;
    (void)value;
    if (config >= m->count)
        return;
    m->configs[config].ended = 1;
    if (n_ok == 0)
        m->configs[config].settled = 1; /* failed: the orchestrator ends it */
    m->dirty = 1;
}

/* The furthest step the config is known to have reached. */
static long reached(const struct median_config *c)
{
    long last = c->count ? c->steps[c->count - 1] : 0;
    return last < c->limit ? last : c->limit;
}

/* Its value at `step`: the one at the last step it reached at or before it.
 * Returns 0 when it has none there. */
static int value_at(const struct median_config *c, long step, double *value)
{
    if (reached(c) < step || c->count == 0 || c->steps[0] > step)
        return 0;
    size_t lo = 0, hi = c->count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->steps[mid] <= step)
            lo = mid;
        else
            hi = mid;
    }
    *value = c->values[lo];
    return 1;
}

static int compare_doubles(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* 1 when config k is stopped at step s; -1 out of memory. */
static int stops(struct median *m, size_t k, long step, double value)
{
    if (m->scratch_cap < k) {
        double *grown = realloc(m->scratch, k * sizeof *grown);
        if (!grown)
            return -1;
        m->scratch = grown;
        m->scratch_cap = k;
    }
    size_t n = 0;
    for (size_t j = 0; j < k; j++) {
        double v;
        if (value_at(&m->configs[j], step, &v) && !isnan(v))
            m->scratch[n++] = v;
    }
    if (n == 0)
        return 0;
    qsort(m->scratch, n, sizeof *m->scratch, compare_doubles);
    double median =
        n % 2 ? m->scratch[n / 2] : (m->scratch[n / 2 - 1] + m->scratch[n / 2]) / 2.0;
    return scheduler_better(median, value, m->maximize);
}

/* Whether step s is one the rule decides at. */
static int decides_at(const struct median *m, long step)
{
    if (step < m->warmup || (step - m->warmup) % m->interval != 0)
        return 0;
    return m->base.max_budget == 0 || step < m->base.max_budget;
}

static int median_decide(struct scheduler *s, struct sched_decision *out)
{
    struct median *m = (struct median *)s;
    if (!m->dirty)
        return 0;
    /* frontier: the least step every config before k is known to have
     * reached, over those still running (an ended or stopped config reached
     * all it ever will). */
    long frontier = LONG_MAX;
    for (size_t k = 0; k < m->count; k++) {
        struct median_config *c = &m->configs[k];
        if (!c->settled) {
            int judged = (long long)k >= (long long)m->warmup_configs;
            while (c->next < c->count) {
                long step = c->steps[c->next];
                if (!judged || !decides_at(m, step)) {
                    c->next++;
                    continue;
                }
                if (frontier < step)
                    break; /* an earlier config may still reach this step */
                int rc = stops(m, k, step, c->values[c->next]);
                if (rc < 0)
                    return -1;
                c->next++;
                if (rc) {
                    c->limit = step;
                    c->settled = 1;
                    m->dirty = 1;
                    *out = (struct sched_decision){SCHED_PRUNE, k, step, 0, 0, NULL};
                    return 1;
                }
            }
            if (c->ended && c->next == c->count) {
                c->settled = 1;
                *out = (struct sched_decision){SCHED_COMPLETE, k, reached(c), 0, 0, NULL};
                return 1;
            }
        }
        if (!c->settled && !c->ended && reached(c) < frontier)
            frontier = reached(c);
    }
    m->dirty = 0;
    return 0;
}

const struct scheduler_ops median_scheduler_ops = {
    .name = "median",
    .option_keys = median_option_keys,
    .create = median_create,
    .admit = median_admit,
    .progress = median_progress,
    .segment_end = median_segment_end,
    .decide = median_decide,
    .destroy = median_destroy,
};
