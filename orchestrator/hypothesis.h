/*
 * Two-sample hypothesis tests for comparing configurations over seeds: the
 * paired t-test and the Wilcoxon signed-rank test on per-seed differences,
 * and Welch's unpaired t-test when the seeds differ. All p-values are
 * two-sided. Pure functions of their inputs: no I/O, no allocation visible to
 * the caller, the same bytes for the same values.
 *
 * What this file does not do: decide what the numbers mean for a sweep (that
 * is compare.c's verdict), or pick which seeds to pair.
 */
#ifndef HYPOTHESIS_H
#define HYPOTHESIS_H

#include <stddef.h>

/* A t-test: the estimated difference of means with its 95% CI, the t
 * statistic, its degrees of freedom and the two-sided p-value. When the
 * differences have no spread at all (standard error 0), t is +-infinity (or
 * NaN when the mean difference is 0 too), the interval collapses to the
 * point, and p is 0 (or 1). */
struct hypothesis_t {
    size_t n;          /* pairs (paired) or na + nb (Welch) */
    double difference; /* mean of a - b (paired), mean(a) - mean(b) (Welch) */
    double std_error;  /* standard error of `difference` */
    double ci_low;     /* 95% confidence interval of the difference */
    double ci_high;
    double t;
    double df; /* n - 1 (paired); Welch-Satterthwaite (Welch) */
    double p;  /* two-sided */
};

enum wilcoxon_method {
    WILCOXON_EXACT,  /* the exact null distribution of W+ */
    WILCOXON_NORMAL, /* normal approximation, tie- and continuity-corrected */
    WILCOXON_NONE,   /* every difference is zero: no test, p = 1 */
};

/* The Wilcoxon signed-rank test of differences d[n] against 0.
 *
 * Differences within `tolerance` of 0 are zeros and are dropped (Wilcoxon's
 * own rule); absolute differences within `tolerance` of each other are ties
 * and share their mean rank. With fewer than 50 remaining differences, no
 * zeros and no ties, p comes from the exact distribution of W+ (every
 * subset of ranks counted); otherwise from the normal approximation with the
 * tie correction of the variance and a continuity correction of 0.5. */
struct hypothesis_wilcoxon {
    size_t n;          /* nonzero differences ranked */
    size_t zeros;      /* differences dropped as zero */
    size_t tie_groups; /* groups of equal |d| of size > 1 */
    double w_plus;     /* sum of the ranks of positive differences */
    double w_minus;    /* ... of negative ones; w_plus + w_minus = n(n+1)/2 */
    double z;          /* the normal approximation's z (NaN when exact) */
    double p;          /* two-sided */
    enum wilcoxon_method method;
};

/* Below this many nonzero differences, without ties or zeros, the exact
 * distribution is used. */
enum { HYPOTHESIS_WILCOXON_EXACT_BELOW = 50 };

/* The paired t-test on differences d[n] (n >= 2). Returns 0, or -1 when
 * n < 2 or a value is not finite (out untouched). */
int hypothesis_paired_t(const double *d, size_t n, struct hypothesis_t *out);

/* Welch's t-test of a[na] against b[nb] (na, nb >= 2). Returns 0, or -1 when
 * either side has fewer than 2 values or a value is not finite. */
int hypothesis_welch_t(const double *a, size_t na, const double *b, size_t nb,
                       struct hypothesis_t *out);

/* The Wilcoxon signed-rank test described above (n >= 1, tolerance >= 0).
 * Returns 0, or -1 when n is 0, a value is not finite or memory runs out. */
int hypothesis_wilcoxon(const double *d, size_t n, double tolerance,
                        struct hypothesis_wilcoxon *out);

/* P(W+ <= w) under the null for n untied, nonzero differences (n < 64):
 * the exact lower tail of the signed-rank statistic. */
double hypothesis_signed_rank_cdf(double w, size_t n);

/* The name of a method as written in JSON: "exact", "normal" or "none". */
const char *hypothesis_wilcoxon_method_name(enum wilcoxon_method method);

#endif
