/*
 * The data cache: the decoded contents of gzip-compressed IDX files (the
 * image bytes and labels of Fashion-MNIST), kept in one file that every later
 * run maps read-only instead of inflating the .gz files again. Inflating
 * Fashion-MNIST costs a trial about 0.4 s; mapping and checking the cache a
 * few tens of milliseconds.
 *
 * The cache is never trusted: a file is used only when its header (magic,
 * version, byte order, its own hash), its size, the size and modification
 * time of every source file it was made from, and a hash of every array in it
 * all check out. Anything else is rebuilt from the sources, with a note on
 * stderr saying why. It is written once, durably and atomically (a private
 * temporary file, fsync, rename), so trials that race to build it are safe;
 * a lock file beside it lets one of them build while the others wait and
 * then map what it wrote.
 *
 * This file owns the cache's file format, its checks and its life. It does
 * not parse IDX files (idx.c) or choose where the cache lives (options.c:
 * --cache-dir, or $HPSEARCH_SWEEP_DIR/.cache).
 */
#ifndef CACHE_H
#define CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "error.h"

enum { CACHE_MAX_SETS = 4 };

/* One data set's source files: an IDX images file and its labels file. */
struct cache_source {
    const char *images;
    const char *labels;
};

/* A read-only mapping of a cache file. */
struct cache_map {
    void *base;
    size_t size;
};

/* Fills *sets[0..nsets) (nsets <= CACHE_MAX_SETS) with what idx_load would
 * read from src[0..nsets), each label below `classes`: from the cache file
 * for these sources in `dir` when one is there and checks out, else from the
 * sources themselves (writing the cache for later runs; `dir` is created if
 * missing, its parent must exist). The data are the same bits either way.
 *
 * On a hit, each set's pixels point into the mapping returned in *map, which
 * the caller unmaps (munmap(map->base, map->size)) after freeing the sets;
 * their labels are owned as usual. Otherwise *map is {NULL, 0} and the sets
 * own their storage. A cache that cannot be read, written or trusted is never
 * an error: a note on stderr says so and the sources are read. Returns 0, or
 * -1 with `err` set as idx_load sets it (a missing or malformed source file)
 * or for out of memory; the sets then hold nothing. */
int cache_load_idx(const char *dir, const struct cache_source *src, int nsets,
                   int classes, struct dataset *const *sets, struct cache_map *map,
                   struct hp_error *err);

/* The 64-bit hash the cache checks its arrays with: four lanes of
 * multiply-rotate rounds (XXH64's round and avalanche, not its exact output),
 * a few GB/s, so a check of Fashion-MNIST costs milliseconds. */
uint64_t cache_hash(const void *data, size_t len);

#endif
