/*
 * PCG32 implementation. See pcg32.h for the contract. The multiplier is the
 * 64-bit LCG constant of the PCG family; the output function is XSH-RR.
 */
#include "pcg32.h"

#include <math.h>

static const uint64_t PCG32_MULT = 6364136223846793005ULL;

void hp_pcg32_seed(struct hp_pcg32 *rng, uint64_t initstate, uint64_t initseq)
{
    rng->state = 0;
    rng->inc = (initseq << 1u) | 1u;
    hp_pcg32_next(rng);
    rng->state += initstate;
    hp_pcg32_next(rng);
}

uint32_t hp_pcg32_next(struct hp_pcg32 *rng)
{
    uint64_t old = rng->state;
    rng->state = old * PCG32_MULT + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

uint32_t hp_pcg32_bounded(struct hp_pcg32 *rng, uint32_t bound)
{
    /* Reject the low values that would make some results more likely:
     * threshold = 2^32 mod bound. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t r = hp_pcg32_next(rng);
        if (r >= threshold)
            return r % bound;
    }
}

double hp_pcg32_double(struct hp_pcg32 *rng)
{
    uint64_t hi = hp_pcg32_next(rng) >> 5;  /* 27 bits */
    uint64_t lo = hp_pcg32_next(rng) >> 6;  /* 26 bits */
    return (double)((hi << 26) | lo) * (1.0 / 9007199254740992.0);
}

float hp_pcg32_float(struct hp_pcg32 *rng)
{
    return (float)(hp_pcg32_next(rng) >> 8) * (1.0f / 16777216.0f);
}

double hp_pcg32_normal(struct hp_pcg32 *rng)
{
    /* 1 - u keeps the logarithm's argument in (0, 1]. */
    double u1 = 1.0 - hp_pcg32_double(rng);
    double u2 = hp_pcg32_double(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* SplitMix64 finaliser: a bijective mixer, so distinct inputs stay distinct. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

void hp_pcg32_derive(struct hp_pcg32 *rng, uint64_t seed, uint64_t purpose)
{
    hp_pcg32_seed(rng, mix64(seed), mix64(purpose ^ mix64(seed + 0x9e3779b97f4a7c15ULL)));
}
