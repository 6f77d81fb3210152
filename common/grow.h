/*
 * Growing an array in steps that double, written once for every growable
 * array in the project (queues, waiter lists, config tables).
 */
#ifndef HP_GROW_H
#define HP_GROW_H

#include <stddef.h>

/* Returns `items` (heap, may be NULL) with room for at least `need` elements
 * of `size` bytes, updating *cap; the array moves when it grows. Returns NULL
 * when out of memory, leaving `items` and *cap as they were. */
void *hp_grow(void *items, size_t *cap, size_t need, size_t size);

#endif
