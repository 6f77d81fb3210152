/*
 * The HTML report. See report_html.h.
 */
#include "report_html.h"

#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "journal_line.h"
#include "path.h"
#include "report_data.h"

/* report_page.html, made into a C array at build time (embed_file.cmake). */
extern const char report_page[];
extern const size_t report_page_len;

/* Where the data goes in the page. */
static const char DATA_MARKER[] = "@HPSEARCH_DATA@";

char *report_html_render(const json_t *data, size_t *len)
{
    /* Six significant digits: what a plot can show, and a third of the
     * bytes of round-trip precision. */
    char *json = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (!json)
        return NULL;
    const char *marker = strstr(report_page, DATA_MARKER);
    size_t head = marker ? (size_t)(marker - report_page) : report_page_len;
    const char *tail = marker ? marker + strlen(DATA_MARKER) : "";
    size_t tail_len = strlen(tail);
    size_t escapes = 0;
    for (const char *p = json; *p; p++)
        escapes += *p == '<';
    size_t json_len = strlen(json);
    size_t total = head + json_len + escapes * 5 + tail_len;
    char *page = malloc(total + 1);
    if (!page) {
        free(json);
        return NULL;
    }
    memcpy(page, report_page, head);
    char *w = page + head;
    for (const char *p = json; *p; p++) {
        if (*p == '<') {
            memcpy(w, "\\u003c", 6);
            w += 6;
        } else {
            *w++ = *p;
        }
    }
    memcpy(w, tail, tail_len);
    w += tail_len;
    *w = '\0';
    free(json);
    *len = (size_t)(w - page);
    return page;
}

int report_html_write(const struct space *space, const char *dir, const char *path,
                      size_t *bytes, struct hp_error *err)
{
    return report_html_write_compared(space, dir, path, NULL, bytes, err);
}

int report_html_write_compared(const struct space *space, const char *dir,
                               const char *path, const json_t *comparison,
                               size_t *bytes, struct hp_error *err)
{
    json_t *data;
    int rc = report_data_build(space, dir, &data, err);
    if (rc < 0)
        return rc;
    if (comparison && json_object_set(data, "compare", (json_t *)comparison) < 0) {
        json_decref(data);
        return hp_error_set(err, "", "out of memory while writing %s", path);
    }
    size_t len = 0;
    char *page = report_html_render(data, &len);
    json_decref(data);
    if (!page)
        return hp_error_set(err, "", "out of memory while writing %s", path);
    rc = fsutil_write_atomic(path, page, len, err);
    free(page);
    if (rc == 0 && bytes)
        *bytes = len;
    return rc;
}

enum hp_exit_code report_html_command(const struct space *space, const char *dir,
                                      const char *output, const char *compare_with,
                                      const struct compare_pick *pick, FILE *out,
                                      struct hp_error *err)
{
    json_t *comparison = NULL;
    if (compare_with) {
        enum hp_exit_code code = HP_EXIT_OK;
        comparison = compare_sweeps_json(dir, compare_with, pick, &code, err);
        if (!comparison)
            return code;
    }
    char path[HP_PATH_MAX];
    if (!output && hp_path_join(path, sizeof path, err, dir,
                                compare_with ? "report-compare.html" : "report.html",
                                NULL) < 0) {
        json_decref(comparison);
        return HP_EXIT_RUNTIME;
    }
    const char *target = output ? output : path;
    int rc = report_html_write_compared(space, dir, target, comparison, NULL, err);
    json_decref(comparison);
    if (rc < 0)
        return rc == JOURNAL_LINE_UNREADABLE ? HP_EXIT_JOURNAL : HP_EXIT_RUNTIME;
    fprintf(out, "%s\n", target);
    return HP_EXIT_OK;
}
