/*
 * The live line, fitted to a width. See progress_line.h.
 */
#include "progress_line.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"

/* How far the line has given up; each level keeps the ones before it. */
enum shorten {
    LINE_FULL,
    LINE_NO_BEST_TRIAL,
    LINE_NO_ELAPSED_WORD,
    LINE_NO_METRIC_NAME,
    LINE_SHORT_LABELS,
    LINE_NO_ELAPSED,
    LINE_NO_PRUNED,
    LINE_NO_RUNNING,
    LINE_NO_FAILED,
    LINE_NO_BEST,
    LINE_NO_ETA,
    LINE_LEVELS,
};

/* Appends ", " (unless first) and the formatted field to buf[size]. */
static void add(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len > 0 && len + 2 < size) {
        memcpy(buf + len, ", ", 3);
        len += 2;
    }
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static void render(const struct progress_fields *f, enum shorten level, char *buf,
                   size_t size)
{
    buf[0] = '\0';
    int labels = level < LINE_SHORT_LABELS;
    char total[32] = "";
    if (f->planned)
        snprintf(total, sizeof total, "/%zu", f->planned);
    add(buf, size, "%s%zu%s", labels ? "done " : "", f->done, total);
    if (level < LINE_NO_RUNNING)
        add(buf, size, "%s %zu", labels ? "running" : "run", f->running);
    if (level < LINE_NO_FAILED)
        add(buf, size, "%s %zu", labels ? "failed" : "fail", f->failed);
    if (f->show_pruned && level < LINE_NO_PRUNED)
        add(buf, size, "%s %zu", labels ? "pruned" : "prun", f->pruned);
    if (!isnan(f->best) && level < LINE_NO_BEST) {
        if (level < LINE_NO_BEST_TRIAL)
            add(buf, size, "best %s %.6g (%s)", f->metric, f->best, f->best_trial);
        else if (level < LINE_NO_METRIC_NAME)
            add(buf, size, "best %s %.6g", f->metric, f->best);
        else
            add(buf, size, "best %.6g", f->best);
    }
    char text[32];
    if (level < LINE_NO_ELAPSED) {
        progress_format_duration(f->elapsed_s, text, sizeof text);
        add(buf, size, "%s%s", text, level < LINE_NO_ELAPSED_WORD ? " elapsed" : "");
    }
    if (f->eta_s >= 0 && level < LINE_NO_ETA) {
        progress_format_duration(f->eta_s, text, sizeof text);
        add(buf, size, "ETA %s", text);
    }
}

void progress_line_format(const struct progress_fields *fields, size_t width, char *buf,
                          size_t size)
{
    if (size == 0)
        return;
    for (int level = LINE_FULL; level < LINE_LEVELS; level++) {
        render(fields, (enum shorten)level, buf, size);
        if (width == 0 || strlen(buf) < width)
            return;
    }
    /* Even "12/40" is too wide: cut it, leaving the last column free. */
    if (width - 1 < size)
        buf[width - 1] = '\0';
}
