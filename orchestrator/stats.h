/*
 * Honest statistics for a configuration's seeds: mean, sample standard
 * deviation, and a two-sided 95% confidence interval of the mean from
 * Student's t distribution with n - 1 degrees of freedom.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

struct stats_summary {
    size_t n;
    double mean;
    double std;      /* sample standard deviation (n - 1); 0 when n < 2 */
    double ci_low;   /* 95% CI of the mean; NaN when n < 2, since no */
    double ci_high;  /* interval can honestly be claimed from one value */
    double min;
    double max;
};

/* Summarises values[n] (all finite). n == 0 gives NaN mean and bounds. */
void stats_summarize(const double *values, size_t n, struct stats_summary *out);

/* The quantile p (0 < p < 1) of Student's t with `df` degrees of freedom. */
double stats_t_quantile(double p, double df);

/* The cumulative distribution of Student's t at x with `df` degrees of freedom. */
double stats_t_cdf(double x, double df);

#endif
