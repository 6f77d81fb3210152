/*
 * Paired t, Welch t and Wilcoxon signed-rank tests. See hypothesis.h.
 *
 * The t distribution comes from stats.c (regularised incomplete beta), the
 * normal one from the C library's erfc. The exact signed-rank distribution
 * is counted, not tabled: the number of subsets of the ranks 1..n with each
 * sum, built one rank at a time (a subset-sum count), which is exact in a
 * double up to 2^53 subsets, far beyond the n < 64 it is used for.
 */
#include "hypothesis.h"

#include <math.h>
#include <stdlib.h>

#include "stats.h"

/* Two-sided p of a t statistic; from the lower tail, so a tiny p keeps its
 * digits instead of being 1 - (1 - p). */
static double t_two_sided(double t, double df)
{
    double p = 2.0 * stats_t_cdf(-fabs(t), df);
    return p > 1.0 ? 1.0 : p;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Mean and sample variance (n - 1), two passes in a fixed order. */
static void mean_var(const double *v, size_t n, double *mean, double *var)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    *mean = sum / (double)n;
    double sq = 0.0;
    for (size_t i = 0; i < n; i++)
        sq += (v[i] - *mean) * (v[i] - *mean);
    *var = sq / (double)(n - 1);
}

/* Fills t, p and the CI from the difference, its standard error and df. A
 * standard error of 0 means no spread at all: the difference is certain. */
static void finish_t(struct hypothesis_t *out)
{
    if (out->std_error > 0.0) {
        out->t = out->difference / out->std_error;
        out->p = t_two_sided(out->t, out->df);
        double half = stats_t_quantile(0.975, out->df) * out->std_error;
        out->ci_low = out->difference - half;
        out->ci_high = out->difference + half;
        return;
    }
    out->ci_low = out->ci_high = out->difference;
    if (out->difference == 0.0) {
        out->t = NAN;
        out->p = 1.0;
    } else {
        out->t = out->difference > 0 ? INFINITY : -INFINITY;
        out->p = 0.0;
    }
}

int hypothesis_paired_t(const double *d, size_t n, struct hypothesis_t *out)
{
    if (n < 2 || !all_finite(d, n))
        return -1;
    double mean;
    double var;
    mean_var(d, n, &mean, &var);
    out->n = n;
    out->difference = mean;
    out->std_error = sqrt(var / (double)n);
    out->df = (double)(n - 1);
    finish_t(out);
    return 0;
}

int hypothesis_welch_t(const double *a, size_t na, const double *b, size_t nb,
                       struct hypothesis_t *out)
{
    if (na < 2 || nb < 2 || !all_finite(a, na) || !all_finite(b, nb))
        return -1;
    double mean_a, var_a, mean_b, var_b;
    mean_var(a, na, &mean_a, &var_a);
    mean_var(b, nb, &mean_b, &var_b);
    double va = var_a / (double)na;
    double vb = var_b / (double)nb;
    out->n = na + nb;
    out->difference = mean_a - mean_b;
    out->std_error = sqrt(va + vb);
    /* Welch-Satterthwaite; with no spread on either side it is undefined,
     * and the pooled df stands in (the test is then certain anyway). */
    double denominator = va * va / (double)(na - 1) + vb * vb / (double)(nb - 1);
    out->df =
        denominator > 0.0 ? (va + vb) * (va + vb) / denominator : (double)(na + nb - 2);
    finish_t(out);
    return 0;
}

double hypothesis_signed_rank_cdf(double w, size_t n)
{
    enum { MAX_N = 63, MAX_SUM = MAX_N * (MAX_N + 1) / 2 };
    if (n > MAX_N)
        return NAN;
    if (w < 0)
        return 0.0;
    size_t total = n * (n + 1) / 2;
    if (w >= (double)total)
        return 1.0;
    /* counts[s]: subsets of {1..k} whose ranks sum to s, for k = 1..n. */
    double counts[MAX_SUM + 1] = {1.0};
    for (size_t k = 1; k <= n; k++)
        for (size_t s = k * (k + 1) / 2; s >= k; s--)
            counts[s] += counts[s - k];
    double below = 0.0;
    size_t last = (size_t)floor(w);
    for (size_t s = 0; s <= last; s++)
        below += counts[s];
    return below / ldexp(1.0, (int)n);
}

struct ranked {
    double magnitude;
    int positive;
};

static int by_magnitude(const void *pa, const void *pb)
{
    const struct ranked *a = pa;
    const struct ranked *b = pb;
    if (a->magnitude != b->magnitude)
        return a->magnitude < b->magnitude ? -1 : 1;
    return b->positive - a->positive; /* stable output for equal magnitudes */
}

int hypothesis_wilcoxon(const double *d, size_t n, double tolerance,
                        struct hypothesis_wilcoxon *out)
{
    if (n == 0 || !all_finite(d, n) || !(tolerance >= 0))
        return -1;
    struct ranked *r = malloc(n * sizeof *r);
    if (!r)
        return -1;
    size_t m = 0;
    out->zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(d[i]) <= tolerance) {
            out->zeros++;
            continue;
        }
        r[m].magnitude = fabs(d[i]);
        r[m].positive = d[i] > 0;
        m++;
    }
    qsort(r, m, sizeof *r, by_magnitude);
    /* Mean ranks over groups of magnitudes within `tolerance` of the group's
     * smallest; each group of t > 1 lowers the variance by (t^3 - t) / 48. */
    out->n = m;
    out->tie_groups = 0;
    out->w_plus = out->w_minus = 0.0;
    double tie_sum = 0.0;
    for (size_t start = 0; start < m;) {
        size_t end = start + 1;
        while (end < m && r[end].magnitude - r[start].magnitude <= tolerance)
            end++;
        double rank = (double)(start + 1 + end) / 2.0; /* mean of start+1 .. end */
        for (size_t j = start; j < end; j++) {
            if (r[j].positive)
                out->w_plus += rank;
            else
                out->w_minus += rank;
        }
        double t = (double)(end - start);
        if (end - start > 1) {
            out->tie_groups++;
            tie_sum += t * t * t - t;
        }
        start = end;
    }
    free(r);

    out->z = NAN;
    if (m == 0) {
        out->method = WILCOXON_NONE;
        out->p = 1.0;
        return 0;
    }
    if (m < HYPOTHESIS_WILCOXON_EXACT_BELOW && out->tie_groups == 0 && out->zeros == 0) {
        /* The null distribution is symmetric: twice the tail of the smaller sum. */
        out->method = WILCOXON_EXACT;
        double p = 2.0 * hypothesis_signed_rank_cdf(fmin(out->w_plus, out->w_minus), m);
        out->p = p > 1.0 ? 1.0 : p;
        return 0;
    }
    double nn = (double)m;
    double mean = nn * (nn + 1.0) / 4.0;
    double var = nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0 - tie_sum / 48.0;
    double diff = out->w_plus - mean;
    double correction = diff > 0 ? 0.5 : diff < 0 ? -0.5 : 0.0;
    out->method = WILCOXON_NORMAL;
    /* var > 0 for every m >= 1: the largest tie correction, one group of m,
     * is (m^3 - m) / 48, less than m(m + 1)(2m + 1) / 24. */
    out->z = (diff - correction) / sqrt(var);
    out->p = erfc(fabs(out->z) / sqrt(2.0));
    if (out->p > 1.0)
        out->p = 1.0;
    return 0;
}

const char *hypothesis_wilcoxon_method_name(enum wilcoxon_method method)
{
    switch (method) {
    case WILCOXON_EXACT:
        return "exact";
    case WILCOXON_NORMAL:
        return "normal";
    case WILCOXON_NONE:
        break;
    }
    return "none";
}
