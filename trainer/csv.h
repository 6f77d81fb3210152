/*
 * The CSV reader: a header line of column names, then one row per line. The
 * label column is named; every other column is a numeric feature. For
 * classification the labels are class ids (integers from 0) or class names
 * (any text; the distinct names, sorted, become ids 0, 1, ...); for
 * regression they are numbers.
 *
 * Fields are separated by commas and may be double-quoted ("a ""b"""), with
 * no line breaks inside. Blank lines are skipped; \r\n line ends are
 * accepted. A malformed row is refused with the file, the line and the
 * column (the field's first character, 1-based).
 *
 * This file owns the format only: splitting and standardizing are data.c's.
 */
#ifndef CSV_H
#define CSV_H

#include "data.h"

/* Reads `path` into `set` (features, and labels or targets). With `like` not
 * NULL (a set read earlier, such as the training file), the header must be
 * the same and class names must be among like's. Returns 0, or -1 with `err`
 * set (err->source the path; line and column for a malformed row); on failure
 * `set` holds nothing. */
int csv_load(struct dataset *set, const char *path, const char *label, enum task task,
             const struct dataset *like, struct hp_error *err);

#endif
