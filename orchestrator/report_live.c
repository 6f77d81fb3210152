/*
 * Refreshing a running sweep's report. See report_live.h.
 */
#include "report_live.h"

#include <time.h>

#include "report_html.h"

static double monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the pool: reads the journal and writes the page. Touches only what
 * the loop leaves alone while `busy`. */
static void build(uv_work_t *work)
{
    struct report_live *live = work->data;
    double start = monotonic_s();
    hp_error_init(&live->err);
    live->rc = report_html_write(live->space, live->dir, live->path, NULL, &live->err);
    live->build_s = monotonic_s() - start;
}

static void built(uv_work_t *work, int status)
{
    struct report_live *live = work->data;
    live->busy = 0;
    if (status == 0 && live->rc < 0 && !live->warned && live->on_warn) {
        live->warned = 1; /* once: the next refresh likely fails the same way */
        live->on_warn(live->ctx, &live->err);
    }
    uint64_t scaled = (uint64_t)(live->build_s * 20.0 * 1000.0);
    live->interval_ms =
        scaled > REPORT_LIVE_INTERVAL_MS ? scaled : REPORT_LIVE_INTERVAL_MS;
    if (live->open)
        uv_timer_set_repeat(&live->timer, live->interval_ms);
}

static void refresh(struct report_live *live)
{
    if (live->busy || !live->open)
        return;
    live->busy = 1;
    live->built_once = 1;
    live->started_ms = uv_now(live->loop);
    live->work.data = live;
    if (uv_queue_work(live->loop, &live->work, build, built) != 0)
        live->busy = 0;
}

static void on_timer(uv_timer_t *timer)
{
    refresh(timer->data);
}

int report_live_start(struct report_live *live, uv_loop_t *loop,
                      const struct space *space, const char *dir, struct hp_error *err)
{
    *live = (struct report_live){
        .loop = loop, .space = space, .dir = dir, .interval_ms = REPORT_LIVE_INTERVAL_MS};
    if (hp_path_join(live->path, sizeof live->path, err, dir, "report.html", NULL) < 0)
        return -1;
    uv_timer_init(loop, &live->timer);
    live->timer.data = live;
    live->open = 1;
    uv_timer_start(&live->timer, on_timer, live->interval_ms, live->interval_ms);
    uv_unref((uv_handle_t *)&live->timer);
    return 0;
}

void report_live_config_done(struct report_live *live)
{
    if (live->open &&
        (!live->built_once || uv_now(live->loop) - live->started_ms >= live->interval_ms))
        refresh(live);
}

void report_live_close(struct report_live *live)
{
    if (!live->open)
        return;
    live->open = 0;
    uv_close((uv_handle_t *)&live->timer, NULL);
}
