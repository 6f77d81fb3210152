/*
 * Trial process mechanics. See trial.h.
 *
 * Handle lifetime: the process handle, both pipes and the timer are
 * initialised in trial_start and closed exactly once each, by finish(); the
 * trial counts open handles and calls on_done from the last close callback.
 * The process runs in its own session (UV_PROCESS_DETACHED) so that a stop
 * signal reaches the trainer's own children too, and so a Ctrl-C at the
 * terminal reaches only the orchestrator, which then stops trials in order.
 */
#include "trial.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metric_line.h"

/* After the process exits, how long to wait for its pipes' EOF: a grandchild
 * that inherited stdout could otherwise hold the trial open for ever. */
static const double DRAIN_AFTER_EXIT_S = 2.0;

const char *trial_failure_name(enum trial_failure failure)
{
    switch (failure) {
#define TRIAL_FAILURE_NAME(name, text)                                               \
    case name:                                                                       \
        return text;
        TRIAL_FAILURES(TRIAL_FAILURE_NAME)
#undef TRIAL_FAILURE_NAME
    }
    return "unknown";
}

static void on_handle_closed(uv_handle_t *handle)
{
    struct trial *trial = handle->data;
    if (--trial->open_handles == 0)
        trial->callbacks->on_done(trial);
}

static void close_handle(struct trial *trial, uv_handle_t *handle)
{
    if (!uv_is_closing(handle))
        uv_close(handle, on_handle_closed);
    (void)trial;
}

static void close_log(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Closes everything; on_done follows from the last close callback. */
static void finish(struct trial *trial)
{
    if (trial->finishing)
        return;
    trial->finishing = 1;
    trial->end_ms = uv_now(trial->process.loop);
    trial->truncated_lines = trial->lines.truncated_lines;
    close_log(&trial->out_log);
    close_log(&trial->err_log);
    close_handle(trial, (uv_handle_t *)&trial->out);
    close_handle(trial, (uv_handle_t *)&trial->err);
    close_handle(trial, (uv_handle_t *)&trial->timer);
    close_handle(trial, (uv_handle_t *)&trial->process);
}

static int streams_open(const struct trial *trial)
{
    return !uv_is_closing((const uv_handle_t *)&trial->out) ||
           !uv_is_closing((const uv_handle_t *)&trial->err);
}

static void maybe_finish(struct trial *trial)
{
    if (trial->exited && !streams_open(trial))
        finish(trial);
}

static void on_line(void *ctx, const char *line, size_t len, int truncated)
{
    struct trial *trial = ctx;
    if (truncated)
        return; /* dropped: a cut-off JSON object would be misread */
    json_t *object = hp_metric_line_parse(line, len);
    if (object) {
        trial->callbacks->on_object(trial, object);
        json_decref(object);
    }
}

static void write_all(int fd, const char *data, size_t n)
{
    while (fd >= 0 && n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a log that cannot be written must not stop the sweep */
        data += w;
        n -= (size_t)w;
    }
}

static void alloc_buffer(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    /* One read buffer per loop is enough: reads are consumed synchronously. */
    static char storage[65536];
    (void)handle;
    (void)suggested;
    *buf = uv_buf_init(storage, sizeof storage);
}

static void on_stdout(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct trial *trial = stream->data;
    if (nread > 0) {
        write_all(trial->out_log, buf->base, (size_t)nread);
        linebuf_feed(&trial->lines, buf->base, (size_t)nread, on_line, trial);
    } else if (nread < 0) {
        linebuf_finish(&trial->lines, on_line, trial);
        close_handle(trial, (uv_handle_t *)stream);
        maybe_finish(trial);
    }
}

static void on_stderr(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct trial *trial = stream->data;
    if (nread > 0) {
        write_all(trial->err_log, buf->base, (size_t)nread);
    } else if (nread < 0) {
        close_handle(trial, (uv_handle_t *)stream);
        maybe_finish(trial);
    }
}

static void signal_group(struct trial *trial, int signum)
{
    if (!trial->started || trial->exited)
        return;
    /* The trainer leads its own process group (detached): reach its children. */
    if (kill(-trial->process.pid, signum) < 0)
        uv_process_kill(&trial->process, signum);
}

static void on_timer(uv_timer_t *timer);

static void arm_timer(struct trial *trial, double seconds)
{
    uint64_t ms = (uint64_t)(seconds * 1000.0);
    uv_timer_start(&trial->timer, on_timer, ms, 0);
}

static void on_timer(uv_timer_t *timer)
{
    struct trial *trial = timer->data;
    if (trial->exited) {
        /* Drain wait over: something else holds the pipes; stop reading. */
        close_handle(trial, (uv_handle_t *)&trial->out);
        close_handle(trial, (uv_handle_t *)&trial->err);
        linebuf_finish(&trial->lines, on_line, trial);
        finish(trial);
    } else if (!trial->killed_by_us) {
        trial->timed_out = 1;
        trial_stop(trial);
    } else {
        signal_group(trial, SIGKILL);
    }
}

static void on_process_exit(uv_process_t *process, int64_t exit_status, int term_signal)
{
    struct trial *trial = process->data;
    trial->exited = 1;
    trial->exit_status = exit_status;
    trial->term_signal = term_signal;
    /* Whatever the trainer left behind in its group goes with it: no orphan
     * keeps burning CPU or holding the pipes. ESRCH (nothing left) is normal. */
    kill(-process->pid, SIGKILL);
    if (streams_open(trial))
        arm_timer(trial, trial->drain_s);
    else
        finish(trial);
}

static int open_log(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

struct trial *trial_start(uv_loop_t *loop, const struct trial_spec *spec,
                          const struct trial_callbacks *callbacks, void *owner)
{
    struct trial *trial = calloc(1, sizeof *trial);
    if (!trial)
        return NULL;
    if (linebuf_init(&trial->lines, spec->max_line) < 0) {
        free(trial);
        return NULL;
    }
    trial->callbacks = callbacks;
    trial->owner = owner;
    trial->kill_grace_s = spec->kill_grace_s;
    trial->drain_s = DRAIN_AFTER_EXIT_S;
    trial->start_ms = uv_now(loop);
    trial->out_log = open_log(spec->dir, "stdout.log");
    trial->err_log = open_log(spec->dir, "stderr.log");

    uv_pipe_init(loop, &trial->out, 0);
    uv_pipe_init(loop, &trial->err, 0);
    uv_timer_init(loop, &trial->timer);
    trial->out.data = trial->err.data = trial->timer.data = trial->process.data = trial;
    trial->open_handles = 4;

    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&trial->out;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&trial->err;

    uv_process_options_t options;
    memset(&options, 0, sizeof options);
    options.exit_cb = on_process_exit;
    options.file = spec->argv[0];
    options.args = spec->argv;
    options.env = spec->env;
    options.stdio = stdio;
    options.stdio_count = 3;
    options.flags = UV_PROCESS_DETACHED;

    int rc = uv_spawn(loop, &trial->process, &options);
    if (rc < 0) {
        trial->spawn_error = rc;
        trial->exited = 1;
        char message[512];
        int n = snprintf(message, sizeof message, "hpsearch: could not start %s: %s\n",
                         spec->argv[0], uv_strerror(rc));
        write_all(trial->err_log, message, (size_t)n);
        finish(trial);
        return trial;
    }
    trial->started = 1;
    uv_read_start((uv_stream_t *)&trial->out, alloc_buffer, on_stdout);
    uv_read_start((uv_stream_t *)&trial->err, alloc_buffer, on_stderr);
    if (spec->timeout_s > 0)
        arm_timer(trial, spec->timeout_s);
    return trial;
}

void trial_stop(struct trial *trial)
{
    if (!trial->started || trial->exited || trial->killed_by_us)
        return;
    trial->killed_by_us = 1;
    signal_group(trial, SIGTERM);
    arm_timer(trial, trial->kill_grace_s);
}

void trial_kill(struct trial *trial)
{
    if (trial)
        signal_group(trial, SIGKILL);
}

void trial_free(struct trial *trial)
{
    if (!trial)
        return;
    linebuf_free(&trial->lines);
    free(trial);
}
