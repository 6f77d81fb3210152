/*
 * VECTORIZE_CLONES: compile an elementwise hot loop once per x86-64 vector
 * width (AVX-512, AVX2, baseline SSE2) and pick the widest the CPU has when the
 * program starts (GCC/Clang function multi-versioning, resolved by ifunc).
 *
 * Safe for determinism only on loops whose every element is computed by
 * itself with correctly rounded IEEE operations (+, -, *, /, sqrt, compare):
 * those give the same bits at every width. Never put it on a loop that
 * reduces (a sum, a norm): the vectorizer would only reorder such a loop
 * under -ffast-math, which the trainer does not use, but keep the rule
 * simple. FMA contraction is off for the trainer (-ffp-contract=off), so
 * wider clones do not fuse multiplies and adds either.
 *
 * Off under the sanitizers (ifunc resolvers run before their runtime is up)
 * and on other architectures.
 */
#ifndef VECTORIZE_H
#define VECTORIZE_H

#if defined(__x86_64__) && defined(__has_attribute) && !defined(__SANITIZE_ADDRESS__)
#if __has_attribute(target_clones)
#define VECTORIZE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif

#ifndef VECTORIZE_CLONES
#define VECTORIZE_CLONES
#endif

#endif
