/*
 * Doubling array growth. See grow.h.
 */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *hp_grow(void *items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return items;
    size_t grown = *cap ? *cap : 16;
    while (grown < need) {
        if (grown > SIZE_MAX / 2 / size)
            return NULL;
        grown *= 2;
    }
    void *moved = realloc(items, grown * size);
    if (moved)
        *cap = grown;
    return moved;
}
