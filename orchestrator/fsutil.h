/*
 * The few file-system operations the orchestrator needs, each done durably
 * where it matters: make a directory path, write a whole file atomically
 * (temp file, fsync, rename, fsync the directory), place a file under a new
 * name (hard link, falling back to a durable copy), and measure a tree.
 */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Creates `path` and its missing parents (mode 0755). Returns 0 or -1. */
int fsutil_mkdirs(const char *path, struct hp_error *err);

/* Writes data[len] to `path` atomically and durably. Returns 0 or -1. */
int fsutil_write_atomic(const char *path, const void *data, size_t len,
                        struct hp_error *err);

/* Makes `dst` hold the contents of `src`: a hard link when possible, else a
 * copy; either way via a temporary name and rename, so `dst` is never half
 * written. Returns 0 or -1. */
int fsutil_place(const char *src, const char *dst, struct hp_error *err);

/* Returns the bytes used by the files under `path` (st_blocks), recursively. */
uint64_t fsutil_disk_usage(const char *path);

/* Returns 1 when `path` lies inside directory `dir` (lexically, both absolute). */
int fsutil_is_inside(const char *path, const char *dir);

/* fsyncs the directory `path`. Returns 0 or -1. */
int fsutil_sync_dir(const char *path);

#endif
