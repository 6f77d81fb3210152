/*
 * PCG32: the permuted congruential generator (64-bit state, 64-bit stream
 * selector, XSH-RR output), written here from the published algorithm.
 *
 * Every random draw in hpsearch and hpsearch-train goes through an explicit
 * struct hp_pcg32 that the caller owns. There is no global generator: streams
 * are derived from (seed, purpose) so that a new draw in one place cannot shift
 * another place's sequence.
 */
#ifndef HP_PCG32_H
#define HP_PCG32_H

#include <stdint.h>

struct hp_pcg32 {
    uint64_t state;
    uint64_t inc; /* always odd: (stream << 1) | 1 */
};

/* Seeds `rng` with an initial state and a stream selector, exactly as the
 * reference pcg32_srandom_r does, so (42, 54) reproduces the published output. */
void hp_pcg32_seed(struct hp_pcg32 *rng, uint64_t initstate, uint64_t initseq);

/* Returns the next 32 uniformly distributed bits. */
uint32_t hp_pcg32_next(struct hp_pcg32 *rng);

/* Returns a uniform integer in [0, bound) without modulo bias; bound > 0. */
uint32_t hp_pcg32_bounded(struct hp_pcg32 *rng, uint32_t bound);

/* Returns a uniform double in [0, 1) with 53 random bits (two draws). */
double hp_pcg32_double(struct hp_pcg32 *rng);

/* Returns a uniform float in [0, 1) with 24 random bits (one draw). */
float hp_pcg32_float(struct hp_pcg32 *rng);

/* Returns a standard normal deviate (Box-Muller, two doubles per call; the
 * second value is discarded so that the stream position depends only on the
 * number of calls). */
double hp_pcg32_normal(struct hp_pcg32 *rng);

/* Derives an independent generator for (seed, purpose): the stream selector is
 * a hash of both, so generators for different purposes never share a sequence. */
void hp_pcg32_derive(struct hp_pcg32 *rng, uint64_t seed, uint64_t purpose);

#endif
