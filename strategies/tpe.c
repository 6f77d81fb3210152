/*
 * The tpe strategy: univariate Tree-structured Parzen Estimator, after
 * Optuna 3.1's TPESampler with its defaults, made deterministic.
 *
 * Config k < startup is the random strategy's config k. Config k >= startup
 * is modelled from the outcomes of configs 0 .. k-lag-1 only, and waits
 * (ASK_WAIT) until every one of them is told; outcomes told beyond that
 * prefix are kept for later asks and never used early. The finished prefix is
 * ranked (completed before pruned, then budget reached descending, then the
 * mean by the objective's mode, then the config index; failed configs last)
 * and split into l, the first gamma(n), and g, the rest. Configs k-lag .. k-1,
 * proposed but not yet used, join g with their known parameters (a constant
 * liar that needs no value), so parallel asks spread apart. Each parameter is
 * drawn on its own: `candidates` draws from l's Parzen estimator, keeping the
 * one with the largest log l - log g (continuous kernels of equal height by
 * default, as Optuna 3.1 scores them; see parzen_fit). Config k therefore
 * depends only on the seed, the space and the outcomes of configs before
 * k-lag, never on the order or the timing of tell().
 *
 * How parameters map to estimators (parzen.h works on an interval):
 *  - uniform and log ranges without a grid: the value, or its logarithm, on
 *    [low, high] with truncated normal kernels;
 *  - int and stepped ranges: grid index j on [-0.5, m-0.5] (linear), or the
 *    logarithm of cells whose edges are the midpoints between grid values (log
 *    scale, the first and last cells ending at low and high, or high + 0.5 for
 *    ints); an observation sits at its cell's centre, a candidate is scored by
 *    the mass of its cell, and the output is the grid value itself;
 *  - choices and explicit values: Optuna's categorical kernel, every value
 *    weighing prior_weight / kernels plus 1 on the observed one.
 *
 * Cost: the used configs are kept ranked and, per parameter, sorted by
 * position, so an ask inserts the newly used config in O(n) moves and fits g
 * in one O(n) pass that reuses each kernel's truncation mass while its
 * bandwidth holds; candidates sum only the kernels in their window, and
 * the many kernels at the clip floor through a fast Gauss transform
 * (parzen.h); a grid cell or choice drawn twice keeps its first score.
 *
 * Conditional parameters (condition.h): a config's inactive parameters are
 * not drawn at all (each parameter has its own stream, so skipping one shifts
 * no other), and each parameter's l and g come only from the configs where it
 * was active, as Optuna's univariate TPE models a parameter only from the
 * trials that suggested it: n, gamma(n), the age weights and the pending
 * configs are counted among those. A parameter always active sees every
 * config, as before. Parameters are drawn in evaluation order, so that a
 * condition's named parameters are chosen before it is decided.
 *
 * Not Optuna's: log ints (Optuna widens to [low - 0.5, high + 0.5] and scores
 * a point density) use cells here; the random streams differ, so the configs
 * are not Optuna's configs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "parzen.h"
#include "strategy.h"

/* The model's streams: config k draws from hp_pcg32_derive(seed, TPE_STREAM | k)
 * and each parameter from a stream keyed by that one's first 64 bits, apart
 * from the startup configs' (seed, k) streams. */
#define TPE_STREAM (UINT64_C(1) << 63)
#define TPE_CANDIDATES_MAX 100000
#define TPE_LAG_MAX 1000

enum dim_kind {
    DIM_CONTINUOUS,  /* value or its log on [low, high] */
    DIM_DISCRETE,    /* grid cells, linear indices or log edges */
    DIM_CATEGORICAL, /* one of `count` values */
};

/* A used config's position in one parameter, kept sorted by (mu, config). */
struct tpe_entry {
    double mu;
    size_t config;
    double sigma, z; /* the last fit's bandwidth and mass, reused while equal */
};

struct tpe_dim {
    const struct param_spec *spec; /* borrowed from the space */
    enum dim_kind kind;
    int log;
    double low, high; /* the estimator's interval */
    double step;      /* DIM_DISCRETE: grid step in value space (1 for plain ints) */
    double count;     /* DIM_DISCRETE, DIM_CATEGORICAL: how many values */
    double top;       /* DIM_DISCRETE on a log scale: the last cell's end */
    struct tpe_entry *sorted; /* (sorted_len) the used configs where it is active */
    size_t sorted_len, sorted_cap;
    struct parzen below, above;
    double *p_below, *p_above; /* DIM_CATEGORICAL: (count) probabilities */
};

/* What tell() said about a config. */
struct tpe_result {
    int told;
    int rank_class; /* 0 completed, 1 pruned, 2 failed */
    long reached;
    double mean;
};

struct tpe {
    struct strategy base;
    const struct search_space *space; /* borrowed */
    int maximize;
    size_t trials;
    uint64_t seed;
    size_t startup, candidates, gamma_max, lag;
    double gamma, prior_weight;
    int equal_heights;

    struct tpe_dim *dims; /* (dim_count) the non-constant parameters */
    size_t dim_count;
    double *pos; /* (asked, dim_count) each asked config's positions */
    size_t pos_cap;
    size_t next; /* the next config to ask */

    struct tpe_result *results; /* (results_cap) by config index */
    size_t results_cap;
    size_t told_prefix; /* configs 0 .. told_prefix-1 are all told */

    size_t *order; /* (used) the used configs, best first */
    size_t order_cap;
    size_t used; /* configs 0 .. used-1 are in the model */

    unsigned char *in_below; /* (used) 1 for the members of l in this ask */
    size_t in_below_cap;
    size_t *below;                /* (scratch_cap) l's members, by config index */
    double *weights;              /* (scratch_cap) each config's weight in this ask */
    double *seen_at, *seen_score; /* (candidates) this parameter's drawn cells */
    struct parzen_obs *above_obs; /* (scratch_cap) g's observations of a parameter */
    size_t *above_src;            /* (scratch_cap) their entries, or SIZE_MAX */
    struct parzen_obs *below_obs; /* (scratch_cap) l's observations */
    size_t *pending;              /* (lag) configs used+.. k-1, sorted per parameter */
    size_t scratch_cap;

    /* Per parameter of the space, for drawing a config in evaluation order. */
    size_t *dim_of;        /* (space->count) its dimension, or SIZE_MAX for a constant */
    unsigned char *active; /* (space->count) active in the config being drawn */
    size_t *value_index;   /* (space->count) its value's index, for conditions */
    json_t **drawn;        /* (space->count) the values drawn, owned until set */
};

static const char *const tpe_option_keys[] = {
    "trials",    "seed",         "startup", "candidates",    "gamma",
    "gamma_max", "prior_weight", "lag",     "equal_heights", NULL};

/* ---- options ------------------------------------------------------------- */

/* Fails with "strategy.KEY: MUST (got VALUE)". Returns -1. */
static int reject(struct hp_error *err, const char *key, const json_t *value,
                  const char *must)
{
    char path[64];
    char got[128];
    snprintf(path, sizeof path, "strategy.%s", key);
    search_space_describe(value, got, sizeof got);
    return hp_error_set(err, path, "%s (got %s)", must, got);
}

/* Reads an optional integer option in [min, max] into *out (left alone when
 * absent). Returns 0 or -1 with the error at strategy.KEY. */
static int read_count(const json_t *options, const char *key, long long min,
                      long long max, size_t *out, struct hp_error *err)
{
    const json_t *v = json_object_get(options, key);
    char must[64];
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min) {
        snprintf(must, sizeof must, "must be an integer >= %lld", min);
        return reject(err, key, v, must);
    }
    if (json_integer_value(v) > max) {
        snprintf(must, sizeof must, "must be at most %lld", max);
        return reject(err, key, v, must);
    }
    *out = (size_t)json_integer_value(v);
    return 0;
}

/* Reads an optional number option in (0, max] into *out. */
static int read_positive(const json_t *options, const char *key, double max, double *out,
                         struct hp_error *err)
{
    const json_t *v = json_object_get(options, key);
    char must[64];
    if (!v)
        return 0;
    double x = json_number_value(v);
    if (!json_is_number(v) || !(x > 0) || !(x <= max)) {
        if (isinf(max))
            snprintf(must, sizeof must, "must be a number > 0");
        else
            snprintf(must, sizeof must, "must be a number > 0 and <= %g", max);
        return reject(err, key, v, must);
    }
    *out = x;
    return 0;
}

static int read_options(struct tpe *t, const json_t *options, struct hp_error *err)
{
    /* Optuna 3.1's defaults; lag is ours (strategy.h). */
    t->startup = 10;
    t->candidates = 24;
    t->gamma = 0.1;
    t->gamma_max = 25;
    t->prior_weight = 1.0;
    t->lag = 2;
    t->equal_heights = 1;
    if (!json_object_get(options, "trials"))
        return hp_error_set(err, "strategy", "missing required key \"trials\"");
    if (read_count(options, "trials", 1, SEARCH_SPACE_GRID_MAX, &t->trials, err) < 0)
        return -1;
    const json_t *seed = json_object_get(options, "seed");
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))
        return reject(err, "seed", seed, "must be a non-negative integer");
    t->seed = seed ? (uint64_t)json_integer_value(seed) : 0;
    const json_t *heights = json_object_get(options, "equal_heights");
    if (heights && !json_is_boolean(heights))
        return reject(err, "equal_heights", heights, "must be true or false");
    if (heights)
        t->equal_heights = json_is_true(heights);
    if (read_count(options, "startup", 0, SEARCH_SPACE_GRID_MAX, &t->startup, err) < 0 ||
        read_count(options, "candidates", 1, TPE_CANDIDATES_MAX, &t->candidates, err) <
            0 ||
        read_count(options, "gamma_max", 1, SEARCH_SPACE_GRID_MAX, &t->gamma_max, err) <
            0 ||
        read_count(options, "lag", 0, TPE_LAG_MAX, &t->lag, err) < 0 ||
        read_positive(options, "gamma", 1.0, &t->gamma, err) < 0 ||
        read_positive(options, "prior_weight", INFINITY, &t->prior_weight, err) < 0)
        return -1;
    return 0;
}

/* ---- parameters as intervals --------------------------------------------- */

/* The linear-scale end of discrete cell j (0 <= j <= count) on a log scale. */
static double cell_edge_value(const struct tpe_dim *d, double j)
{
    if (j <= 0)
        return d->spec->low;
    if (j >= d->count)
        return d->top;
    return d->spec->low + (j - 0.5) * d->step;
}

/* The interval end of discrete cell j (0 <= j <= count). */
static double cell_edge(const struct tpe_dim *d, double j)
{
    if (d->log)
        return log(cell_edge_value(d, j));
    return j - 0.5;
}

/* The grid index nearest a value of the parameter's own scale. */
static double grid_index(const struct tpe_dim *d, double value)
{
    double j = floor((value - d->spec->low) / d->step + 0.5);
    return fmin(fmax(j, 0), d->count - 1);
}

/* The cell holding interval point x. */
static double cell_of(const struct tpe_dim *d, double x)
{
    if (d->log)
        return grid_index(d, exp(x));
    return fmin(fmax(floor(x + 0.5), 0), d->count - 1);
}

static void dim_init(struct tpe_dim *d, const struct param_spec *p)
{
    d->spec = p;
    d->log = p->kind == PARAM_LOGUNIFORM || p->log;
    if (p->kind == PARAM_CHOICE || p->values) {
        d->kind = DIM_CATEGORICAL;
        d->count = (double)json_array_size(p->values);
        return;
    }
    if (p->kind != PARAM_INT && !(p->step > 0)) {
        d->kind = DIM_CONTINUOUS;
        d->low = d->log ? log(p->low) : p->low;
        d->high = d->log ? log(p->high) : p->high;
        return;
    }
    d->kind = DIM_DISCRETE;
    d->step = p->step > 0 ? p->step : 1;
    d->count = p->step > 0 ? (double)search_space_grid_count(p)
                           : llround(p->high - p->low) + 1.0;
    d->top = p->kind == PARAM_INT ? p->high + 0.5 : p->high;
    d->low = cell_edge(d, 0);
    d->high = cell_edge(d, d->count);
}

/* A parameter's value (from a config) as a point of the dimension: the
 * interval position, the cell's centre, or the categorical index; NaN when
 * the config lacks it (inactive). */
static double dim_locate(const struct tpe_dim *d, const json_t *value)
{
    const struct param_spec *p = d->spec;
    if (!value)
        return NAN; /* inactive in this config */
    if (d->kind == DIM_CATEGORICAL) {
        size_t n = json_array_size(p->values);
        for (size_t j = 0; j < n; j++) {
            const json_t *v = json_array_get(p->values, j);
            if (p->kind == PARAM_CHOICE && json_equal(v, value))
                return (double)j;
            /* An int parameter's explicit values come out rounded. */
            double x = json_number_value(v);
            if (p->kind == PARAM_INT)
                x = (double)llround(x);
            if (p->kind != PARAM_CHOICE && x == json_number_value(value))
                return (double)j;
        }
        return 0;
    }
    double x = json_number_value(value);
    if (d->kind == DIM_CONTINUOUS)
        return d->log ? log(x) : x;
    double j = grid_index(d, x);
    return 0.5 * (cell_edge(d, j) + cell_edge(d, j + 1));
}

/* The JSON value of a continuous point or a discrete or categorical index. */
static json_t *dim_value(const struct tpe_dim *d, double x)
{
    const struct param_spec *p = d->spec;
    if (d->kind == DIM_CONTINUOUS) {
        double v = d->log ? exp(x) : x;
        return json_real(fmin(fmax(v, p->low), p->high));
    }
    if (d->kind == DIM_DISCRETE && !(p->step > 0))
        return json_integer((json_int_t)llround(p->low + x));
    return search_space_grid_value(p, (size_t)x);
}

/* ---- outcomes and their order -------------------------------------------- */

/* Whether config a ranks before config b: completed before pruned before
 * failed, then the furthest budget, then the better mean, then the index. */
static int ranks_before(const struct tpe *t, size_t a, size_t b)
{
    const struct tpe_result *x = &t->results[a];
    const struct tpe_result *y = &t->results[b];
    if (x->rank_class != y->rank_class)
        return x->rank_class < y->rank_class;
    if (x->rank_class != 2) {
        if (x->reached != y->reached)
            return x->reached > y->reached;
        if (x->mean != y->mean)
            return t->maximize ? x->mean > y->mean : x->mean < y->mean;
    }
    return a < b;
}

static int ensure_results(struct tpe *t, size_t need)
{
    size_t old = t->results_cap;
    struct tpe_result *grown = hp_grow(t->results, &t->results_cap, need, sizeof *grown);
    if (!grown)
        return -1;
    memset(grown + old, 0, (t->results_cap - old) * sizeof *grown);
    t->results = grown;
    return 0;
}

static void tpe_tell(struct strategy *s, const struct config_outcome *outcome)
{
    struct tpe *t = (struct tpe *)s;
    size_t k = outcome->config_index;
    /* A used outcome is part of every later config; it cannot change. */
    if (k < t->used || ensure_results(t, k + 1) < 0)
        return;
    struct tpe_result *r = &t->results[k];
    r->told = 1;
    r->reached = outcome->reached;
    r->mean = outcome->mean;
    if (outcome->n == 0 || !isfinite(outcome->mean))
        r->rank_class = 2;
    else
        r->rank_class = outcome->pruned ? 1 : 0;
}

/* Adds config `used` (told) to the ranking and to the sorted positions of
 * every parameter active in it. */
static int use_next(struct tpe *t)
{
    size_t k = t->used;
    size_t cap = t->order_cap;
    size_t *order = hp_grow(t->order, &cap, k + 1, sizeof *order);
    if (!order)
        return -1;
    t->order = order;
    t->order_cap = cap;
    size_t lo = 0;
    size_t hi = k;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ranks_before(t, order[mid], k))
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(order + lo + 1, order + lo, (k - lo) * sizeof *order);
    order[lo] = k;

    for (size_t i = 0; i < t->dim_count; i++) {
        struct tpe_dim *d = &t->dims[i];
        double mu = t->pos[k * t->dim_count + i];
        if (d->kind == DIM_CATEGORICAL || isnan(mu))
            continue;
        size_t len = d->sorted_len;
        cap = d->sorted_cap;
        struct tpe_entry *sorted = hp_grow(d->sorted, &cap, len + 1, sizeof *sorted);
        if (!sorted)
            return -1;
        d->sorted = sorted;
        d->sorted_cap = cap;
        /* Configs arrive in index order: a new one goes after equal mus. */
        lo = 0;
        hi = len;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sorted[mid].mu <= mu)
                lo = mid + 1;
            else
                hi = mid;
        }
        memmove(sorted + lo + 1, sorted + lo, (len - lo) * sizeof *sorted);
        sorted[lo] = (struct tpe_entry){mu, k, 0, 0};
        d->sorted_len = len + 1;
    }
    size_t flags_cap = t->in_below_cap;
    unsigned char *flags = hp_grow(t->in_below, &flags_cap, k + 1, 1);
    if (!flags)
        return -1;
    flags[k] = 0;
    t->in_below = flags;
    t->in_below_cap = flags_cap;
    t->used = k + 1;
    return 0;
}

/* Optuna's default_weights: with n observations in age order, the newest 25
 * weigh 1 and the older n-25 ramp linearly from 1/n to 1. */
static double age_weight(size_t rank, size_t n)
{
    if (n < 25 || rank + 25 >= n)
        return 1.0;
    size_t ramp = n - 25;
    if (ramp == 1)
        return 1.0 / (double)n;
    double first = 1.0 / (double)n;
    return first + (1.0 - first) * (double)rank / (double)(ramp - 1);
}

/* ---- the model ----------------------------------------------------------- */

/* Grows one scratch array to `need` items; the caller sets scratch_cap once
 * every array has grown. */
#define GROW_SCRATCH(t, field, need)                                                     \
    do {                                                                                 \
        size_t cap_ = (t)->scratch_cap;                                                  \
        void *grown_ = hp_grow((t)->field, &cap_, (need), sizeof *(t)->field);           \
        if (!grown_)                                                                     \
            return -1;                                                                   \
        (t)->field = grown_;                                                             \
        new_cap = cap_;                                                                  \
    } while (0)

static int ensure_scratch(struct tpe *t, size_t need)
{
    if (need <= t->scratch_cap)
        return 0;
    size_t new_cap = 0;
    GROW_SCRATCH(t, above_obs, need);
    GROW_SCRATCH(t, below_obs, need);
    GROW_SCRATCH(t, above_src, need);
    GROW_SCRATCH(t, pending, need);
    GROW_SCRATCH(t, below, need);
    GROW_SCRATCH(t, weights, need);
    t->scratch_cap = new_cap;
    return 0;
}

static double position(const struct tpe *t, size_t config, size_t dim)
{
    return t->pos[config * t->dim_count + dim];
}

/* Fits l and g of a numeric parameter for config k: l from the members of
 * the used configs marked in_below, g from the other used configs and the
 * pending configs used .. k-1, each in (mu, config) order; configs where the
 * parameter is inactive take no part. */
static int fit_numeric(struct tpe *t, size_t dim, size_t k)
{
    struct tpe_dim *d = &t->dims[dim];
    size_t u = d->sorted_len; /* the used configs where it is active */
    /* The pending configs, sorted by (mu, config): insertion keeps ties in
     * index order. */
    size_t np = 0;
    for (size_t c = t->used; c < k; c++) {
        double mu = position(t, c, dim);
        if (isnan(mu))
            continue;
        size_t j = np++;
        while (j > 0 && position(t, t->pending[j - 1], dim) > mu) {
            t->pending[j] = t->pending[j - 1];
            j--;
        }
        t->pending[j] = c;
    }
    size_t nl = 0;
    size_t ng = 0;
    size_t next_pending = 0;
    for (size_t i = 0; i <= u; i++) {
        /* Pending configs come after used ones at an equal mu. */
        while (next_pending < np &&
               (i == u || position(t, t->pending[next_pending], dim) < d->sorted[i].mu)) {
            size_t c = t->pending[next_pending++];
            t->above_src[ng] = SIZE_MAX;
            t->above_obs[ng++] =
                (struct parzen_obs){position(t, c, dim), t->weights[c], 0, 0};
        }
        if (i == u)
            break;
        struct tpe_entry *e = &d->sorted[i];
        double w = t->weights[e->config];
        if (t->in_below[e->config]) {
            t->below_obs[nl++] = (struct parzen_obs){e->mu, w, 0, 0};
        } else {
            t->above_src[ng] = i;
            t->above_obs[ng++] = (struct parzen_obs){e->mu, w, e->sigma, e->z};
        }
    }
    if (parzen_fit(&d->below, d->low, d->high, t->below_obs, nl, t->prior_weight,
                   t->equal_heights) < 0 ||
        parzen_fit(&d->above, d->low, d->high, t->above_obs, ng, t->prior_weight,
                   t->equal_heights) < 0)
        return -1;
    for (size_t i = 0; i < ng; i++) {
        if (t->above_src[i] != SIZE_MAX) {
            d->sorted[t->above_src[i]].sigma = t->above_obs[i].sigma;
            d->sorted[t->above_src[i]].z = t->above_obs[i].z;
        }
    }
    return 0;
}

/* Turns p[count], the summed weights of n observations per value (total in
 * all), into Optuna's categorical mixture: kernel i puts prior_weight /
 * kernels on every value and 1 more on its own, normalised, and the prior
 * kernel is uniform. */
static void categorical_mixture(const struct tpe *t, size_t count, double *p,
                                double total, size_t n)
{
    double a = t->prior_weight / (double)(n + 1);
    double norm = total + t->prior_weight;
    for (size_t c = 0; c < count; c++)
        p[c] = ((total * a + p[c]) / ((double)count * a + 1.0) +
                t->prior_weight / (double)count) /
               norm;
}

/* Fits l and g of a categorical parameter for config k. */
static void fit_categorical(struct tpe *t, size_t dim, size_t k)
{
    struct tpe_dim *d = &t->dims[dim];
    size_t count = (size_t)d->count;
    double total_below = 0;
    double total_above = 0;
    size_t n_below = 0;
    for (size_t c = 0; c < count; c++) {
        d->p_below[c] = 0;
        d->p_above[c] = 0;
    }
    size_t n = 0;
    for (size_t j = 0; j < k; j++) {
        double x = position(t, j, dim);
        if (isnan(x))
            continue;
        size_t c = (size_t)x;
        n++;
        if (j < t->used && t->in_below[j]) {
            d->p_below[c] += t->weights[j];
            total_below += t->weights[j];
            n_below++;
        } else {
            d->p_above[c] += t->weights[j];
            total_above += t->weights[j];
        }
    }
    categorical_mixture(t, count, d->p_below, total_below, n_below);
    categorical_mixture(t, count, d->p_above, total_above, n - n_below);
}

/* Draws a categorical index from p[count]. */
static double draw_categorical(const double *p, size_t count, struct hp_pcg32 *rng)
{
    double u = hp_pcg32_double(rng);
    double sum = 0;
    for (size_t c = 0; c + 1 < count; c++) {
        sum += p[c];
        if (u < sum)
            return (double)c;
    }
    return (double)(count - 1);
}

/* Candidate c of a parameter and its score log l - log g. A grid cell or a
 * choice drawn again keeps the score it got (candidates often repeat), so
 * t->seen_at and t->seen_score hold the first c draws. */
static double draw_candidate(struct tpe *t, const struct tpe_dim *d, struct hp_pcg32 *rng,
                             size_t c, double *score)
{
    double j;
    if (d->kind == DIM_CATEGORICAL) {
        j = draw_categorical(d->p_below, (size_t)d->count, rng);
    } else {
        double x = parzen_sample(&d->below, rng);
        if (d->kind == DIM_CONTINUOUS) {
            *score = parzen_log_density(&d->below, x) - parzen_log_density(&d->above, x);
            return x;
        }
        j = cell_of(d, x);
    }
    for (size_t i = 0; i < c; i++) {
        if (t->seen_at[i] == j) {
            *score = t->seen_score[i];
            t->seen_at[c] = j;
            t->seen_score[c] = *score;
            return j;
        }
    }
    if (d->kind == DIM_CATEGORICAL) {
        *score = log(d->p_below[(size_t)j]) - log(d->p_above[(size_t)j]);
    } else {
        double a = cell_edge(d, j);
        double b = cell_edge(d, j + 1);
        *score = parzen_log_mass(&d->below, a, b) - parzen_log_mass(&d->above, a, b);
    }
    t->seen_at[c] = j;
    t->seen_score[c] = *score;
    return j;
}

/* Splits the used configs where dimension `dim` is active into l, the best
 * gamma(n) of those n (listed by index in t->below and marked in in_below),
 * and g, the rest; and weighs every config 0 .. k-1 where it is active by its
 * age within its part (the pending configs join g). Returns l's size; the
 * caller clears the marks. A dimension active everywhere gets the split of
 * the whole ranking. */
static size_t split_dim(struct tpe *t, size_t dim, size_t k)
{
    size_t u = t->used;
    size_t n = 0;
    for (size_t j = 0; j < u; j++)
        n += !isnan(position(t, j, dim));
    size_t m = (size_t)fmin(ceil(t->gamma * (double)n), (double)t->gamma_max);
    if (m > n)
        m = n;
    /* l's members in index order. */
    size_t found = 0;
    for (size_t r = 0; found < m; r++) {
        if (!isnan(position(t, t->order[r], dim)))
            t->below[found++] = t->order[r];
    }
    for (size_t i = 1; i < m; i++) {
        size_t c = t->below[i];
        size_t j = i;
        for (; j > 0 && t->below[j - 1] > c; j--)
            t->below[j] = t->below[j - 1];
        t->below[j] = c;
    }
    for (size_t i = 0; i < m; i++)
        t->in_below[t->below[i]] = 1;
    size_t total = n;
    for (size_t j = u; j < k; j++)
        total += !isnan(position(t, j, dim));
    size_t rank_below = 0;
    size_t rank_above = 0;
    for (size_t j = 0; j < k; j++) {
        if (isnan(position(t, j, dim)))
            continue;
        if (j < u && t->in_below[j])
            t->weights[j] = age_weight(rank_below++, m);
        else
            t->weights[j] = age_weight(rank_above++, total - m);
    }
    return m;
}

/* Draws parameter dimension `dim` of config k from its model. Returns the
 * chosen point (a categorical index for a categorical dimension) in *x, and
 * 0, or -1 when memory runs out. */
static int draw_dim(struct tpe *t, size_t dim, size_t k, uint64_t key, double *x)
{
    struct tpe_dim *d = &t->dims[dim];
    size_t m = split_dim(t, dim, k);
    int ok = 1;
    if (d->kind == DIM_CATEGORICAL)
        fit_categorical(t, dim, k);
    else
        ok = fit_numeric(t, dim, k) == 0;
    struct hp_pcg32 draws;
    hp_pcg32_derive(&draws, key, dim);
    double best = 0;
    double best_score = -INFINITY;
    for (size_t c = 0; ok && c < t->candidates; c++) {
        double score;
        double candidate = draw_candidate(t, d, &draws, c, &score);
        if (c == 0 || score > best_score) {
            best = candidate;
            best_score = score;
        }
    }
    for (size_t i = 0; i < m; i++)
        t->in_below[t->below[i]] = 0;
    *x = best;
    return ok ? 0 : -1;
}

/* Config k >= startup from the model: the parameters in evaluation order,
 * an inactive one not drawn. Returns the new config, or NULL when memory runs
 * out. */
static json_t *model_config(struct tpe *t, size_t k)
{
    const struct search_space *space = t->space;
    if (ensure_scratch(t, k + 1) < 0)
        return NULL;
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, t->seed, TPE_STREAM | k);
    uint64_t key = (uint64_t)hp_pcg32_next(&rng) << 32;
    key |= hp_pcg32_next(&rng);

    for (size_t i = 0; i < space->count; i++)
        t->drawn[i] = NULL;
    int ok = 1;
    for (size_t i = 0; ok && i < space->count; i++) {
        size_t p = condition_order(space, i);
        const struct param_spec *spec = &space->params[p];
        t->active[p] =
            (unsigned char)condition_holds_at(space, p, t->active, t->value_index);
        t->value_index[p] = 0;
        if (!t->active[p])
            continue;
        if (spec->kind == PARAM_CONSTANT) {
            t->drawn[p] = json_copy(spec->value);
        } else {
            double x = 0;
            if (draw_dim(t, t->dim_of[p], k, key, &x) == 0)
                t->drawn[p] = dim_value(&t->dims[t->dim_of[p]], x);
            if (t->dims[t->dim_of[p]].kind == DIM_CATEGORICAL)
                t->value_index[p] = (size_t)x;
        }
        ok = t->drawn[p] != NULL;
    }
    json_t *config = ok ? json_object() : NULL;
    for (size_t p = 0; p < space->count; p++) {
        if (!t->drawn[p])
            continue;
        if (config &&
            json_object_set_new(config, space->params[p].name, t->drawn[p]) != 0) {
            json_decref(config);
            config = NULL;
        } else if (!config) {
            json_decref(t->drawn[p]);
        }
        t->drawn[p] = NULL;
    }
    return config;
}

/* ---- the strategy -------------------------------------------------------- */

/* Keeps config k's positions for the model. Returns 0 or -1. */
static int record_config(struct tpe *t, size_t k, const json_t *config)
{
    if (t->dim_count == 0)
        return 0;
    size_t cap = t->pos_cap;
    double *pos = hp_grow(t->pos, &cap, (k + 1) * t->dim_count, sizeof *pos);
    if (!pos)
        return -1;
    t->pos = pos;
    t->pos_cap = cap;
    for (size_t i = 0; i < t->dim_count; i++) {
        const struct tpe_dim *d = &t->dims[i];
        pos[k * t->dim_count + i] = dim_locate(d, json_object_get(config, d->spec->name));
    }
    return 0;
}

static int tpe_ask(struct strategy *s, struct ask_result *out)
{
    struct tpe *t = (struct tpe *)s;
    size_t k = t->next;
    out->config_index = k;
    out->params = NULL;
    out->budget = 0;
    out->resume_from = NULL;
    if (k >= t->trials) {
        out->kind = ASK_DONE;
        return 0;
    }
    json_t *config = NULL;
    if (k < t->startup) {
        struct hp_pcg32 rng;
        hp_pcg32_derive(&rng, t->seed, k);
        config = search_space_sample(t->space, &rng);
    } else {
        size_t u = k > t->lag ? k - t->lag : 0;
        while (t->told_prefix < t->results_cap && t->results[t->told_prefix].told)
            t->told_prefix++;
        if (t->told_prefix < u) {
            out->kind = ASK_WAIT;
            return 0;
        }
        while (t->used < u) {
            if (use_next(t) < 0)
                return -1;
        }
        config = model_config(t, k);
    }
    if (!config || record_config(t, k, config) < 0) {
        json_decref(config);
        return -1;
    }
    out->kind = ASK_CONFIG;
    out->params = config;
    t->next++;
    return 0;
}

static size_t tpe_planned(const struct strategy *s)
{
    return ((const struct tpe *)s)->trials;
}

static void tpe_destroy(struct strategy *s)
{
    struct tpe *t = (struct tpe *)s;
    if (!t)
        return;
    for (size_t i = 0; i < t->dim_count; i++) {
        struct tpe_dim *d = &t->dims[i];
        free(d->sorted);
        parzen_free(&d->below);
        parzen_free(&d->above);
        free(d->p_below);
        free(d->p_above);
    }
    free(t->dims);
    free(t->pos);
    free(t->results);
    free(t->order);
    free(t->in_below);
    free(t->above_obs);
    free(t->above_src);
    free(t->below_obs);
    free(t->pending);
    free(t->below);
    free(t->weights);
    free(t->seen_at);
    free(t->seen_score);
    free(t->dim_of);
    free(t->active);
    free(t->value_index);
    free(t->drawn);
    free(t);
}

static int tpe_create(const struct search_space *space, const json_t *options,
                      const struct strategy_context *context, struct strategy **out,
                      struct hp_error *err)
{
    *out = NULL;
    struct tpe *t = calloc(1, sizeof *t);
    if (!t)
        return hp_error_set(err, "strategy", "out of memory");
    t->base.ops = &tpe_strategy_ops;
    t->space = space;
    t->maximize = context->maximize;
    if (read_options(t, options, err) < 0) {
        tpe_destroy(&t->base);
        return -1;
    }
    t->dims = calloc(space->count ? space->count : 1, sizeof *t->dims);
    t->seen_at = calloc(t->candidates, sizeof *t->seen_at);
    t->seen_score = calloc(t->candidates, sizeof *t->seen_score);
    size_t n = space->count ? space->count : 1;
    t->dim_of = calloc(n, sizeof *t->dim_of);
    t->active = calloc(n, sizeof *t->active);
    t->value_index = calloc(n, sizeof *t->value_index);
    t->drawn = calloc(n, sizeof *t->drawn);
    if (!t->dims || !t->seen_at || !t->seen_score || !t->dim_of || !t->active ||
        !t->value_index || !t->drawn)
        goto oom;
    for (size_t i = 0; i < space->count; i++) {
        const struct param_spec *p = &space->params[i];
        t->dim_of[i] = SIZE_MAX;
        if (p->kind == PARAM_CONSTANT)
            continue;
        t->dim_of[i] = t->dim_count;
        struct tpe_dim *d = &t->dims[t->dim_count++];
        parzen_init(&d->below);
        parzen_init(&d->above);
        dim_init(d, p);
        if (d->kind == DIM_CATEGORICAL) {
            d->p_below = calloc((size_t)d->count, sizeof *d->p_below);
            d->p_above = calloc((size_t)d->count, sizeof *d->p_above);
            if (!d->p_below || !d->p_above)
                goto oom;
        }
    }
    *out = &t->base;
    return 0;
oom:
    tpe_destroy(&t->base);
    return hp_error_set(err, "strategy", "out of memory");
}

const struct strategy_ops tpe_strategy_ops = {
    .name = "tpe",
    .option_keys = tpe_option_keys,
    .create = tpe_create,
    .ask = tpe_ask,
    .report = NULL,
    .tell = tpe_tell,
    .planned = tpe_planned,
    .destroy = tpe_destroy,
};
