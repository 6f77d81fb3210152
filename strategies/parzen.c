/*
 * The one-dimensional Parzen estimator of the tpe strategy. See parzen.h for
 * the model, the window and its error bound.
 */
#include "parzen.h"

#include <math.h>
#include <stdlib.h>

#include "grow.h"

enum {
    PARZEN_CLASSES = 16,
    PARZEN_TRIES = 1000,
    /* Below this many kernels at the floor, summing them directly is cheaper
     * than the boxes. */
    PARZEN_FGT_MIN = 64,
};

static const double SQRT_2PI = 2.5066282746310002;

void parzen_init(struct parzen *p)
{
    *p = (struct parzen){0};
}

void parzen_free(struct parzen *p)
{
    free(p->mu);
    free(p->sigma);
    free(p->inv_sigma);
    free(p->dens);
    free(p->mass);
    free(p->cumulative);
    free(p->moments);
    parzen_init(p);
}

double parzen_normal_mass(double a, double b)
{
    /* erfc keeps its precision in the upper tail, so each case works in the
     * tail where both ends lie and never subtracts two numbers close to 1. */
    const double r = 0.7071067811865476;
    if (a >= 0)
        return 0.5 * (erfc(a * r) - erfc(b * r));
    if (b <= 0)
        return 0.5 * (erfc(-b * r) - erfc(-a * r));
    return 1.0 - 0.5 * erfc(-a * r) - 0.5 * erfc(b * r);
}

/* The bandwidth class of sigma: 0 up to the floor, then one per doubling. */
static size_t sigma_class(double sigma, double floor)
{
    size_t c = 0;
    double bound = floor;
    while (sigma > bound && c + 1 < PARZEN_CLASSES) {
        bound *= 2;
        c++;
    }
    return c;
}

/* Room for `need` kernels in every array. */
static int reserve(struct parzen *p, size_t need)
{
    if (need <= p->cap)
        return 0;
    double **arrays[] = {&p->mu,   &p->sigma, &p->inv_sigma,
                         &p->dens, &p->mass,  &p->cumulative};
    size_t cap = 0;
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        cap = p->cap;
        double *grown = hp_grow(*arrays[i], &cap, need, sizeof **arrays[i]);
        if (!grown)
            return -1;
        *arrays[i] = grown;
    }
    p->cap = cap;
    return 0;
}

/* One kernel before grouping. */
struct kernel {
    double mu, sigma, z, weight;
};

/* The box of the fast Gauss transform that holds x. */
static size_t box_of(const struct parzen *p, double x)
{
    double b = floor((x - p->low) / p->floor);
    if (b < 0)
        return 0;
    if (b >= (double)p->box_count)
        return p->box_count - 1;
    return (size_t)b;
}

/* Builds the fast Gauss transform of class 0 when it is large enough. */
static int build_boxes(struct parzen *p)
{
    size_t n = p->class_start[1];
    p->box_count = 0;
    if (p->class_count < 1 || n < PARZEN_FGT_MIN || p->sigma[0] != p->floor)
        return 0;
    size_t boxes = (size_t)floor((p->high - p->low) / p->floor) + 1;
    size_t need = boxes * PARZEN_TERMS;
    if (need > p->box_cap) {
        size_t cap = p->box_cap;
        double *grown = hp_grow(p->moments, &cap, need, sizeof *grown);
        if (!grown) {
            parzen_free(p);
            return -1;
        }
        p->moments = grown;
        p->box_cap = cap;
    }
    p->box_count = boxes;
    for (size_t i = 0; i < need; i++)
        p->moments[i] = 0;
    /* Four power chains side by side (t^q, t^(q+1), ... stepping by t^4)
     * keep the multiplications independent; 1/q! is applied per box after. */
    for (size_t i = 0; i < n; i++) {
        size_t b = box_of(p, p->mu[i]);
        double t = (p->mu[i] - (p->low + ((double)b + 0.5) * p->floor)) / p->floor;
        double t2 = t * t;
        double t4 = t2 * t2;
        double base = p->dens[i] * exp(-0.5 * t2);
        double pw[4] = {base, base * t, base * t2, base * t2 * t};
        double *m = p->moments + b * PARZEN_TERMS;
        for (int q = 0; q < PARZEN_TERMS; q += 4) {
            for (int l = 0; l < 4; l++) {
                m[q + l] += pw[l];
                pw[l] *= t4;
            }
        }
    }
    double inverse_factorial[PARZEN_TERMS];
    inverse_factorial[0] = 1;
    for (int q = 1; q < PARZEN_TERMS; q++)
        inverse_factorial[q] = inverse_factorial[q - 1] / q;
    for (size_t b = 0; b < boxes; b++) {
        for (int q = 0; q < PARZEN_TERMS; q++)
            p->moments[b * PARZEN_TERMS + q] *= inverse_factorial[q];
    }
    return 0;
}

/* The fast Gauss transform's sum of class 0 at x. */
static double boxes_density(const struct parzen *p, double x)
{
    size_t at = box_of(p, x);
    size_t span = (size_t)PARZEN_REACH + 1;
    size_t first = at > span ? at - span : 0;
    size_t last = at + span < p->box_count ? at + span : p->box_count - 1;
    double sum = 0;
    for (size_t b = first; b <= last; b++) {
        double s = (x - (p->low + ((double)b + 0.5) * p->floor)) / p->floor;
        const double *m = p->moments + b * PARZEN_TERMS;
        double poly = 0;
        for (int q = PARZEN_TERMS - 1; q >= 0; q--)
            poly = poly * s + m[q];
        sum += exp(-0.5 * s * s) * poly;
    }
    return sum;
}

int parzen_fit(struct parzen *p, double low, double high, struct parzen_obs *obs,
               size_t n, double prior_weight, int equal_heights)
{
    size_t total = n + 1;
    struct kernel *k = malloc(total * sizeof *k);
    size_t *cls = malloc(total * sizeof *cls);
    if (!k || !cls || reserve(p, total) < 0) {
        free(k);
        free(cls);
        parzen_free(p);
        return -1;
    }
    double range = high - low;
    double mid = 0.5 * (low + high);
    p->low = low;
    p->high = high;
    p->floor = range / fmin(100.0, 1.0 + (double)total);

    /* The prior goes after the observations at or below the midpoint (as a
     * sort of Optuna's list, the prior last, places it) and counts as a
     * neighbour when the gaps are measured. */
    size_t prior_at = 0;
    while (prior_at < n && obs[prior_at].mu <= mid)
        prior_at++;
    for (size_t i = 0, j = 0; i < total; i++) {
        if (i == prior_at)
            k[i] = (struct kernel){mid, range, 0, prior_weight};
        else
            k[i] = (struct kernel){obs[j].mu, 0, 0, obs[j++].weight};
    }
    for (size_t i = 0; i < total; i++) {
        double left = k[i].mu - (i == 0 ? low : k[i - 1].mu);
        double right = (i + 1 == total ? high : k[i + 1].mu) - k[i].mu;
        double sigma = fmax(left, right);
        /* consider_endpoints off: the outermost kernels use their inner gap. */
        if (total >= 2 && i == 0)
            sigma = right;
        if (total >= 2 && i + 1 == total)
            sigma = left;
        k[i].sigma = fmin(fmax(sigma, p->floor), range);
    }
    k[prior_at].sigma = range;
    for (size_t i = 0, j = 0; i < total; i++) {
        struct parzen_obs *o = i == prior_at ? NULL : &obs[j++];
        if (o && o->sigma == k[i].sigma && o->z > 0) {
            k[i].z = o->z;
            continue;
        }
        k[i].z = parzen_normal_mass((low - k[i].mu) / k[i].sigma,
                                    (high - k[i].mu) / k[i].sigma);
        if (o) {
            o->sigma = k[i].sigma;
            o->z = k[i].z;
        }
    }

    /* Equal kernels (repeated values of a grid) become one. */
    size_t merged = 0;
    double weight_sum = 0;
    for (size_t i = 0; i < total; i++) {
        weight_sum += k[i].weight;
        if (merged > 0 && k[merged - 1].mu == k[i].mu &&
            k[merged - 1].sigma == k[i].sigma)
            k[merged - 1].weight += k[i].weight;
        else
            k[merged++] = k[i];
    }

    /* Group by class, keeping each group sorted by mu. */
    size_t counts[PARZEN_CLASSES] = {0};
    size_t top = 0;
    for (size_t i = 0; i < merged; i++) {
        cls[i] = sigma_class(k[i].sigma, p->floor);
        counts[cls[i]]++;
        if (cls[i] > top)
            top = cls[i];
    }
    p->class_count = top + 1;
    p->class_start[0] = 0;
    for (size_t c = 0; c < p->class_count; c++) {
        p->class_start[c + 1] = p->class_start[c] + counts[c];
        p->class_reach[c] = 0;
    }
    size_t fill[PARZEN_CLASSES];
    for (size_t c = 0; c < p->class_count; c++)
        fill[c] = p->class_start[c];
    for (size_t i = 0; i < merged; i++) {
        size_t c = cls[i];
        size_t at = fill[c]++;
        double share = k[i].weight / weight_sum;
        p->mu[at] = k[i].mu;
        p->sigma[at] = k[i].sigma;
        p->inv_sigma[at] = 1.0 / k[i].sigma;
        p->mass[at] = share / k[i].z;
        p->dens[at] = share / ((equal_heights ? 1.0 : k[i].sigma) * SQRT_2PI * k[i].z);
        p->cumulative[at] = share;
        p->class_reach[c] = fmax(p->class_reach[c], PARZEN_REACH * k[i].sigma);
    }
    for (size_t i = 1; i < merged; i++)
        p->cumulative[i] += p->cumulative[i - 1];
    p->count = merged;
    free(k);
    free(cls);
    return build_boxes(p);
}

double parzen_sample(const struct parzen *p, struct hp_pcg32 *rng)
{
    double u = hp_pcg32_double(rng) * p->cumulative[p->count - 1];
    size_t lo = 0;
    size_t hi = p->count - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->cumulative[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    /* Rejection: the kernel keeps at least a third of its mass inside. */
    for (int t = 0; t < PARZEN_TRIES; t++) {
        double x = p->mu[lo] + p->sigma[lo] * hp_pcg32_normal(rng);
        if (x >= p->low && x <= p->high)
            return x;
    }
    return p->mu[lo];
}

/* The first index in [from, to) whose mu is >= x. */
static size_t lower_bound(const double *mu, size_t from, size_t to, double x)
{
    while (from < to) {
        size_t mid = from + (to - from) / 2;
        if (mu[mid] < x)
            from = mid + 1;
        else
            to = mid;
    }
    return from;
}

static double kernel_density(const struct parzen *p, size_t i, double x)
{
    double z = (x - p->mu[i]) * p->inv_sigma[i];
    return p->dens[i] * exp(-0.5 * z * z);
}

static double kernel_mass(const struct parzen *p, size_t i, double a, double b)
{
    return p->mass[i] * parzen_normal_mass((a - p->mu[i]) * p->inv_sigma[i],
                                           (b - p->mu[i]) * p->inv_sigma[i]);
}

double parzen_log_density(const struct parzen *p, double x)
{
    double sum = 0;
    size_t c = 0;
    if (p->box_count > 0) {
        sum = boxes_density(p, x);
        c = 1;
    }
    for (; c < p->class_count; c++) {
        size_t end = p->class_start[c + 1];
        size_t i = lower_bound(p->mu, p->class_start[c], end, x - p->class_reach[c]);
        for (; i < end && p->mu[i] <= x + p->class_reach[c]; i++)
            sum += kernel_density(p, i, x);
    }
    return log(sum);
}

double parzen_log_mass(const struct parzen *p, double a, double b)
{
    double sum = 0;
    for (size_t c = 0; c < p->class_count; c++) {
        size_t end = p->class_start[c + 1];
        size_t i = lower_bound(p->mu, p->class_start[c], end, a - p->class_reach[c]);
        for (; i < end && p->mu[i] <= b + p->class_reach[c]; i++)
            sum += kernel_mass(p, i, a, b);
    }
    return log(sum);
}

double parzen_log_density_naive(const struct parzen *p, double x)
{
    double sum = 0;
    for (size_t i = 0; i < p->count; i++)
        sum += kernel_density(p, i, x);
    return log(sum);
}

double parzen_log_mass_naive(const struct parzen *p, double a, double b)
{
    double sum = 0;
    for (size_t i = 0; i < p->count; i++)
        sum += kernel_mass(p, i, a, b);
    return log(sum);
}
