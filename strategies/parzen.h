/*
 * A one-dimensional Parzen estimator as Optuna 3.1's TPE builds it: one
 * truncated normal kernel per observation on [low, high] plus a prior kernel
 * at the midpoint with sigma = high - low, bandwidths from the gaps to the
 * neighbours (consider_endpoints off) with the "magic clip", and caller-given
 * weights. It knows nothing of parameters, configs or JSON: the tpe strategy
 * maps every numeric parameter to such an interval (log scale, grid indices)
 * and asks for densities or for the mass of a grid cell.
 *
 * Evaluation is windowed: kernels are grouped by bandwidth (classes that
 * double from the clip floor), each group sorted by mu, and a point only sums
 * the kernels of a group within PARZEN_REACH of that group's widest sigma.
 * What is skipped lies beyond 10 sigma: e^-50 of a kernel's peak. The prior
 * kernel alone keeps every density on [low, high] above
 * e^-1/8 (prior weight / total weight) / (sqrt(2 pi) range), while each
 * skipped kernel adds at most e^-50 / (0.34 sqrt(2 pi) floor) of its weight
 * share (Z >= 0.34 because mu lies in [low, high] and sigma <= range), so
 * the relative error is below 1e-19 n / prior_weight for n observations
 * (floor >= range / 100; with equal heights the factor range / floor goes and
 * the bound is 100 times smaller). For cell masses the bound is 7e-23 n range /
 * (cell width prior_weight).
 *
 * The kernels at the clip floor, most of them once a search has found its
 * region, share one sigma, so their sum is a fast Gauss transform: with
 * s = (x - c) / floor and t = (mu - c) / floor for a box centre c,
 * e^(-(s-t)^2/2) = e^(-s^2/2) e^(-t^2/2) sum_p (s t)^p / p!, and each box keeps
 * sum_i coef_i e^(-t_i^2/2) t_i^p / p! for p < PARZEN_TERMS. With |t| <= 1/2,
 * cutting the series after P terms leaves at most
 * max_s e^(-s^2/2) (s/2)^P / P! e^(s/2) of a kernel's peak: 2.8e-23 for
 * P = 28, the same order as the window's e^-50.
 * parzen_log_density_naive and
 * parzen_log_mass_naive sum every kernel; the tests hold the two against
 * each other.
 */
#ifndef PARZEN_H
#define PARZEN_H

#include <stddef.h>

#include "pcg32.h"

/* Kernels beyond this many sigmas of a point are not summed. */
#define PARZEN_REACH 10.0
/* Taylor terms per box of the fast Gauss transform. */
#define PARZEN_TERMS 28 /* a multiple of 4 */

/* One observation handed to parzen_fit. */
struct parzen_obs {
    double mu;     /* position in [low, high] */
    double weight; /* > 0 */
    double sigma;  /* in: the bandwidth of an earlier fit, or 0; out: this fit's */
    double z;      /* in: the truncation mass that went with `sigma`; out: this fit's */
};

struct parzen {
    double low, high;
    double floor; /* the magic clip's smallest sigma */
    size_t count; /* kernels, the prior included, after merging equal ones */
    size_t cap;
    double *mu;         /* (count) grouped by class, each group sorted */
    double *sigma;      /* (count) */
    double *inv_sigma;  /* (count) */
    double *dens;       /* (count) weight share / (sigma sqrt(2 pi) Z) */
    double *mass;       /* (count) weight share / Z */
    double *cumulative; /* (count) running sum of weight shares, for sampling */
    size_t class_count;
    size_t class_start[17]; /* (class_count + 1) */
    double class_reach[16]; /* (class_count) PARZEN_REACH * the group's widest sigma */
    /* Class 0 (every sigma equal to the floor) as a fast Gauss transform when
     * it is large: boxes of one floor width, each holding the Taylor moments
     * of its kernels around its centre. */
    size_t box_count; /* 0 when class 0 is summed kernel by kernel */
    size_t box_cap;
    double *moments; /* (box_count, PARZEN_TERMS) */
};

/* Sets an empty estimator (no storage yet). */
void parzen_init(struct parzen *p);

/* Releases the storage; leaves an empty estimator. */
void parzen_free(struct parzen *p);

/* Fits the estimator to obs[n] (sorted by mu; ties in any fixed order) on
 * [low, high] (low < high) with a prior kernel of weight prior_weight > 0.
 * With equal_heights, parzen_log_density sums kernels of equal peak height
 * (weight / Z) instead of unit area (weight / (sigma Z)): what Optuna 3.1's
 * truncnorm.logpdf computes, as it leaves out -log sigma (optuna#5109, fixed
 * in later versions by PR #5110); the result is then a density up to a
 * constant factor, which a ratio's argmax does not see. Masses and sampling
 * are the same either way.
 * Writes each observation's sigma and z back into obs[], and reuses a z given
 * with an equal sigma instead of computing it again, so that callers can keep
 * them between fits. Reuses the estimator's storage. Returns 0, or -1 when
 * memory runs out (the estimator is then empty). */
int parzen_fit(struct parzen *p, double low, double high, struct parzen_obs *obs,
               size_t n, double prior_weight, int equal_heights);

/* Draws one point of [low, high] from the mixture. */
double parzen_sample(const struct parzen *p, struct hp_pcg32 *rng);

/* The log density of the mixture at x in [low, high] (windowed). */
double parzen_log_density(const struct parzen *p, double x);

/* The log of the mixture's mass on [a, b], low <= a < b <= high (windowed). */
double parzen_log_mass(const struct parzen *p, double a, double b);

/* The same two, summing every kernel: the reference for the tests. */
double parzen_log_density_naive(const struct parzen *p, double x);
double parzen_log_mass_naive(const struct parzen *p, double a, double b);

/* The mass of the standard normal on [a, b], accurate in both tails. */
double parzen_normal_mass(double a, double b);

#endif
