/*
 * A running sweep's report.html, refreshed so that a browser reload shows
 * progress: when a config finishes and every REPORT_LIVE_INTERVAL_MS, but
 * never more often than that (and never taking more than a twentieth of a
 * core: the interval grows to 20 times the last build's duration).
 *
 * A build never blocks the sweep's loop: it runs in libuv's thread pool and
 * reads the journal from disk through its own replay (report_data.h), as
 * `hpsearch report` from another terminal would; only one runs at a time.
 * The loop itself only starts builds and hears that they ended.
 *
 * What this file does not own: the page (report_html.c). The sweep writes
 * the final report itself, after its loop, with report_html_write.
 */
#ifndef REPORT_LIVE_H
#define REPORT_LIVE_H

#include <stdint.h>
#include <uv.h>

#include "error.h"
#include "path.h"
#include "space.h"

enum { REPORT_LIVE_INTERVAL_MS = 30000 };

struct report_live {
    uv_loop_t *loop;
    const struct space *space; /* borrowed */
    const char *dir;           /* borrowed */
    char path[HP_PATH_MAX];    /* <dir>/report.html */
    uv_timer_t timer;          /* unreferenced: never keeps the loop alive */
    uv_work_t work;
    int open;            /* the timer is initialised and not closed */
    int busy;            /* a build runs in the pool */
    int built_once;      /* a build has started: the first config need not wait */
    uint64_t started_ms; /* when the last build started (loop time) */
    uint64_t interval_ms;
    double build_s;      /* how long the last build took */
    int rc;              /* the last build's result */
    struct hp_error err; /* ... and its error */
    int warned;          /* a failed build was reported once */
    void (*on_warn)(void *ctx, const struct hp_error *err); /* may be NULL */
    void *ctx;
};

/* Starts the periodic refresh of <dir>/report.html. Returns 0 or -1 (the
 * path is too long: `err`). */
int report_live_start(struct report_live *live, uv_loop_t *loop,
                      const struct space *space, const char *dir, struct hp_error *err);

/* A config finished: refreshes now unless the last refresh started within
 * the interval (the timer brings it then). */
void report_live_config_done(struct report_live *live);

/* Stops the timer (closing its handle); a build in flight finishes. */
void report_live_close(struct report_live *live);

#endif
