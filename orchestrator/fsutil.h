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
#include <stdio.h>

#include "error.h"

/* Creates `path` and its missing parents (mode 0755). Returns 0, or -1 with
 * `err` set (the path is too long, or a directory cannot be made). */
int fsutil_mkdirs(const char *path, struct hp_error *err);

/* Writes data[len] to `path` atomically and durably: hp_durable_write
 * (common/durable.h), which new code may call directly. Returns 0 or -1. */
int fsutil_write_atomic(const char *path, const void *data, size_t len,
                        struct hp_error *err);

/* Streams a file into place atomically: fsutil_stream_open creates a
 * temporary file beside `path` (its name in tmp[size]); fsutil_stream_commit
 * checks that every write succeeded, fsyncs, closes and renames it into
 * place (and removes it on failure). Returns the stream / 0, or NULL / -1.
 * Kept for existing callers; new code uses struct hp_durable
 * (common/durable.h), which this wraps. */
FILE *fsutil_stream_open(const char *path, char *tmp, size_t size, struct hp_error *err);
int fsutil_stream_commit(FILE *stream, const char *tmp, const char *path,
                         struct hp_error *err);

/* Makes `dst` hold the contents of `src`: a hard link when possible, else a
 * copy; either way via a temporary name and rename, so `dst` is never half
 * written. Returns 0 or -1. */
int fsutil_place(const char *src, const char *dst, struct hp_error *err);

/* Returns the bytes used by the files under `path` (st_blocks), recursively. */
uint64_t fsutil_disk_usage(const char *path);

/* Returns 1 when `rel` is a non-empty relative path none of whose components
 * is "..": joined to a directory, it names something below it (lexically). */
int fsutil_stays_below(const char *rel);

/* Returns 1 when `path` lies strictly inside directory `dir`, lexically (both
 * absolute; no ".." component after `dir`). Symlinks are not followed: see
 * fsutil_resolve_inside for the check that decides what may be touched. */
int fsutil_is_inside(const char *path, const char *dir);

/* Resolves `path` and `dir` (every symlink followed) and checks that the file
 * exists and lies inside the directory. Returns 0 with the resolved path in
 * resolved[size] (may be NULL), or a negative errno: -EXDEV when it resolves
 * elsewhere, -ENOENT when it does not exist or either path is "" (what a
 * path too long for its buffer leaves). This is the rule for every file
 * hpsearch deletes, moves or links on a trial's behalf. */
int fsutil_resolve_inside(const char *path, const char *dir, char *resolved, size_t size);

/* unlink(path) only when it resolves inside `dir` (fsutil_resolve_inside).
 * Returns 0, or -1 when refused or when unlink failed. */
int fsutil_unlink_inside(const char *path, const char *dir);

/* The bytes an unprivileged writer may still use on the file system holding
 * `path`. Returns 0 or -1. */
int fsutil_free_space(const char *path, uint64_t *free_bytes);

/* The mount point of the file system holding `path` and its type (from
 * /proc/self/mountinfo), to name the disk in messages; `path` itself and "?"
 * when unknown. */
void fsutil_mount_point(const char *path, char *out, size_t size, char *type,
                        size_t type_size);

/* fsyncs the directory `path`. Returns 0 or -1. */
int fsutil_sync_dir(const char *path);

#endif
