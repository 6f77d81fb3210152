/*
 * `hpsearch report DIR --format html`: one self-contained page of plots,
 * report.html, that a browser opens from disk with no network and no other
 * file. The page is report_page.html (compiled in by CMake as the array
 * report_page[]), whose script draws inline SVG from the sweep's data,
 * embedded as one JSON blob (report_data.h) in a
 * <script type="application/json" id="hpsearch-data"> element.
 *
 * What this file does not own: what the data holds (report_data.c), the
 * refreshes during a sweep (report_live.c).
 */
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include <jansson.h>
#include <stdio.h>

#include "compare.h"
#include "error.h"
#include "exit_codes.h"
#include "space.h"

/* The page with `data` (borrowed) embedded. Every '<' inside the JSON is
 * written as \u003c, so no text in the data can end the script element.
 * Returns a new string of *len bytes (NUL-terminated; the caller frees it),
 * or NULL when out of memory. */
char *report_html_render(const json_t *data, size_t *len);

/* Builds the report of the sweep in `dir` and writes it atomically to
 * `path`. *bytes (may be NULL) receives its size. Returns 0,
 * JOURNAL_LINE_UNREADABLE when the journal cannot be read, or -1, with
 * `err` set. */
int report_html_write(const struct space *space, const char *dir, const char *path,
                      size_t *bytes, struct hp_error *err);

/* The same with `comparison` (borrowed; NULL: none), compare_states_json's
 * document, embedded as the data's "compare": the page then draws a section
 * comparing the sweep with another. */
int report_html_write_compared(const struct space *space, const char *dir,
                               const char *path, const json_t *comparison,
                               size_t *bytes, struct hp_error *err);

/* The command: writes `output` (NULL: DIR/report.html) and prints its path
 * on `out`. With `compare_with` (NULL: none), the page also compares DIR
 * with that sweep as `hpsearch compare DIR compare_with` would (`pick` says
 * which configs), and `output` NULL means DIR/report-compare.html: a sweep
 * still running rewrites DIR/report.html without that section. */
enum hp_exit_code report_html_command(const struct space *space, const char *dir,
                                      const char *output, const char *compare_with,
                                      const struct compare_pick *pick, FILE *out,
                                      struct hp_error *err);

#endif
