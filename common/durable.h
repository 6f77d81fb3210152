/*
 * The durable write, once for both programs: a file is written to a
 * temporary name beside its target, every write checked, fsync'd, renamed
 * over the target and its directory fsync'd. A reader sees the old file or
 * the whole new one, never a part, and after a crash the new one is either
 * there whole or not at all.
 *
 * This file owns the temporary file's life (create, commit, abort). What is
 * written, and any format, checksum or framing, is the caller's.
 */
#ifndef HP_DURABLE_H
#define HP_DURABLE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "path.h"

/* A file being written. The caller writes with hp_durable_put (or straight
 * to `stream`); write errors need not be checked one by one: they are
 * remembered and hp_durable_commit reports them. */
struct hp_durable {
    FILE *stream;
    int error;              /* errno of the first failed hp_durable_put, or 0 */
    char path[HP_PATH_MAX]; /* the target */
    char tmp[HP_PATH_MAX];  /* the temporary file beside it */
};

/* Creates a private temporary file "<dir>/.<name>.tmp-XXXXXX" beside `path`
 * (mode 0644) and opens d->stream on it. Returns 0, or -1 with `err` naming
 * the file and the errno text (the path is too long, the directory does not
 * exist or is full, ...); d then holds nothing to abort. */
int hp_durable_open(struct hp_durable *d, const char *path, struct hp_error *err);

/* Writes data[len] to d->stream; on failure remembers the errno (the first
 * one) for hp_durable_commit, which reports it, and writes nothing more.
 * Writing straight to d->stream is fine too, but a failure is then reported
 * with the errno of the final flush, or EIO when that tells nothing. */
void hp_durable_put(struct hp_durable *d, const void *data, size_t len);

/* Puts the written file in place: checks the stream for earlier write
 * errors, flushes, fsyncs and closes it, renames it over d->path and fsyncs
 * the directory. Returns 0, or -1 with `err` saying "<path>: cannot write:
 * <errno text>" (or which step failed); the temporary file is removed and the
 * target is as it was, except when only the final directory fsync failed (the
 * new file is in place but may not survive a crash). Either way the stream
 * is closed. errno holds the failure's errno on return. */
int hp_durable_commit(struct hp_durable *d, struct hp_error *err);

/* Gives up: closes the stream and removes the temporary file. The target is
 * untouched. */
void hp_durable_abort(struct hp_durable *d);

/* Writes data[len] to `path` durably (open, write, commit). Returns 0 or -1
 * with `err` set as above. */
int hp_durable_write(const char *path, const void *data, size_t len,
                     struct hp_error *err);

/* fsyncs the directory that holds `path` ("." for a bare name). Returns 0, or
 * -1 with errno set. */
int hp_durable_sync_parent(const char *path);

#endif
