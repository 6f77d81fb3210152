/*
 * Mean, standard deviation and Student-t confidence intervals.
 *
 * The t quantile is found by bisection on the CDF, which is computed from the
 * regularised incomplete beta function I_x(a, b) evaluated by its continued
 * fraction (modified Lentz). This is exact to double precision for every df,
 * where tables stop at 30 or interpolate.
 */
#include "stats.h"

#include <math.h>

/* Continued fraction for I_x(a, b), valid and fast for x < (a + 1) / (a + b + 2). */
static double beta_fraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0;
    double d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-16)
            break;
    }
    return h;
}

static double incomplete_beta(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    double log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(log_front) * beta_fraction(a, b, x) / a;
    return 1.0 - exp(log_front) * beta_fraction(b, a, 1.0 - x) / b;
}

double stats_t_cdf(double x, double df)
{
    double tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + x * x));
    return x >= 0 ? 1.0 - tail : tail;
}

double stats_t_quantile(double p, double df)
{
    if (p == 0.5)
        return 0.0;
    if (p < 0.5)
        return -stats_t_quantile(1.0 - p, df);
    double lo = 0.0;
    double hi = 1.0;
    while (stats_t_cdf(hi, df) < p)
        hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (stats_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void stats_summarize(const double *values, size_t n, struct stats_summary *out)
{
    out->n = n;
    if (n == 0) {
        out->mean = out->std = out->ci_low = out->ci_high = NAN;
        out->min = out->max = NAN;
        return;
    }
    /* Two passes in a fixed order: the mean, then squared deviations, which
     * avoids the cancellation of the one-pass formula. */
    double sum = 0.0;
    out->min = out->max = values[0];
    for (size_t i = 0; i < n; i++) {
        sum += values[i];
        out->min = fmin(out->min, values[i]);
        out->max = fmax(out->max, values[i]);
    }
    out->mean = sum / (double)n;
    if (n < 2) {
        out->std = 0.0;
        out->ci_low = out->ci_high = NAN;
        return;
    }
    double sq = 0.0;
    for (size_t i = 0; i < n; i++)
        sq += (values[i] - out->mean) * (values[i] - out->mean);
    out->std = sqrt(sq / (double)(n - 1));
    double half = stats_t_quantile(0.975, (double)(n - 1)) * out->std / sqrt((double)n);
    out->ci_low = out->mean - half;
    out->ci_high = out->mean + half;
}
