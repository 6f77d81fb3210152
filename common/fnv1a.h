/*
 * FNV-1a, 64 bits: a fast hash for telling texts apart (not for security),
 * continued over pieces by passing the last result back in.
 */
#ifndef HP_FNV1A_H
#define HP_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define HP_FNV1A64_OFFSET 0xcbf29ce484222325ULL

static inline uint64_t hp_fnv1a64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#endif
