/*
 * The IDX file format of MNIST and Fashion-MNIST, read from its gzip-compressed
 * files through zlib. This file owns the format and its validation only.
 */
#ifndef IDX_H
#define IDX_H

#include "data.h"

/* Reads a pair of IDX files: images (magic 0x00000803, n x rows x cols bytes)
 * and labels (magic 0x00000801, n bytes, each < `classes`). Fills `set` with
 * pixels and labels (dim = rows * cols). Returns 0, or -1 with err->source
 * naming the offending file and err->message saying what is wrong (cannot
 * open, bad magic number, bad dimensions, truncated, trailing bytes, label out
 * of range, counts differ); on failure `set` holds nothing. */
int idx_load(struct dataset *set, const char *images_path, const char *labels_path,
             int classes, struct hp_error *err);

#endif
