/*
 * Trial process mechanics. See trial.h.
 *
 * Handle lifetime: the timer, and the two pipes once the process started, are
 * initialised in trial_start and closed exactly once each, by finish(); the
 * trial counts open handles and calls on_done from the last close callback.
 * The process leads its own session (spawn.c), so a stop signal reaches the
 * trainer's own children too; with a proctree (proctree.h) every process it
 * starts is kept in the trial's group, which is signalled as one and killed
 * when the trainer exits and again when the trial finishes.
 */
#include "trial.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metric_line.h"
#include "reaper.h"
#include "spawn.h"

/* After the process exits, how long to wait for its pipes' EOF: a grandchild
 * that inherited stdout could otherwise hold the trial open for ever. */
static const double DRAIN_AFTER_EXIT_S = 2.0;

/* stderr is only logged, never parsed: a shorter cap is enough. */
static const size_t STDERR_MAX_LINE = 64 * 1024;

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

int trial_init_loop(uv_loop_t *loop)
{
    return reaper_start(loop);
}

void trial_close_loop(void)
{
    reaper_stop();
}

static void on_handle_closed(uv_handle_t *handle)
{
    struct trial *trial = handle->data;
    if (--trial->open_handles == 0)
        trial->callbacks->on_done(trial);
}

static void close_handle(uv_handle_t *handle)
{
    if (!uv_is_closing(handle))
        uv_close(handle, on_handle_closed);
}

static void close_log(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
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

/* Logs are appended to: a retried or resumed trial keeps the earlier
 * attempts' output, after a line that says where the new one starts. */
static int open_log(const char *dir, const char *name, const char *note)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st;
    if (fd >= 0 && note && fstat(fd, &st) == 0 && st.st_size > 0) {
        char line[512];
        int n = snprintf(line, sizeof line, "---- hpsearch: %s ----\n", note);
        write_all(fd, line, (size_t)n);
    }
    return fd;
}

/* An empty log says nothing: a 100,000-trial sweep need not keep 100,000 of
 * them. */
static void close_log_dropping_empty(int *fd, const char *dir, const char *name)
{
    struct stat st;
    if (*fd >= 0 && fstat(*fd, &st) == 0 && st.st_size == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        unlink(path);
    }
    close_log(fd);
}

/* Closes everything; on_done follows from the last close callback. */
static void finish(struct trial *trial)
{
    if (trial->finishing)
        return;
    trial->finishing = 1;
    trial->end_ms = uv_now(trial->timer.loop);
    proctree_group_close(&trial->group);
    trial->truncated_lines = trial->out_lines.truncated_lines;
    close_log_dropping_empty(&trial->out_log, trial->dir, "stdout.log");
    close_log_dropping_empty(&trial->err_log, trial->dir, "stderr.log");
    if (trial->pipes_open) {
        close_handle((uv_handle_t *)&trial->out);
        close_handle((uv_handle_t *)&trial->err);
    }
    close_handle((uv_handle_t *)&trial->timer);
}

static int streams_open(const struct trial *trial)
{
    return trial->pipes_open && (!uv_is_closing((const uv_handle_t *)&trial->out) ||
                                 !uv_is_closing((const uv_handle_t *)&trial->err));
}

static void maybe_finish(struct trial *trial)
{
    if (trial->exited && !streams_open(trial))
        finish(trial);
}

/* Writes one line to a log. A line redrawn with carriage returns (a progress
 * bar) is logged as what it finally showed, so the log stays readable; an
 * over-long line is logged cut, with a note. */
static void log_line(int fd, const char *line, size_t len, int truncated)
{
    while (len > 0 && line[len - 1] == '\r')
        len--;
    const char *shown = line;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\r')
            shown = line + i + 1;
    write_all(fd, shown, len - (size_t)(shown - line));
    if (truncated) {
        char note[96];
        int n = snprintf(note, sizeof note,
                         " [hpsearch: line longer than %zu bytes, the rest dropped]", len);
        write_all(fd, note, (size_t)n);
    }
    write_all(fd, "\n", 1);
}

static void on_out_line(void *ctx, const char *line, size_t len, int truncated)
{
    struct trial *trial = ctx;
    log_line(trial->out_log, line, len, truncated);
    if (truncated)
        return; /* dropped: a cut-off JSON object would be misread */
    json_t *object = hp_metric_line_parse(line, len);
    if (object) {
        trial->callbacks->on_object(trial, object);
        json_decref(object);
    }
}

static void on_err_line(void *ctx, const char *line, size_t len, int truncated)
{
    struct trial *trial = ctx;
    log_line(trial->err_log, line, len, truncated);
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
        linebuf_feed(&trial->out_lines, buf->base, (size_t)nread, on_out_line, trial);
    } else if (nread < 0) {
        linebuf_finish(&trial->out_lines, on_out_line, trial);
        close_handle((uv_handle_t *)stream);
        maybe_finish(trial);
    }
}

static void on_stderr(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct trial *trial = stream->data;
    if (nread > 0) {
        linebuf_feed(&trial->err_lines, buf->base, (size_t)nread, on_err_line, trial);
    } else if (nread < 0) {
        linebuf_finish(&trial->err_lines, on_err_line, trial);
        close_handle((uv_handle_t *)stream);
        maybe_finish(trial);
    }
}

static void signal_group(struct trial *trial, int signum)
{
    if (!trial->started || trial->exited)
        return;
    proctree_group_signal(&trial->group, signum);
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
        close_handle((uv_handle_t *)&trial->out);
        close_handle((uv_handle_t *)&trial->err);
        linebuf_finish(&trial->out_lines, on_out_line, trial);
        linebuf_finish(&trial->err_lines, on_err_line, trial);
        finish(trial);
    } else if (!trial->killed_by_us) {
        trial->timed_out = 1;
        trial_stop(trial);
    } else {
        signal_group(trial, SIGKILL);
    }
}

static void on_process_exit(void *data, int exit_status, int term_signal)
{
    struct trial *trial = data;
    trial->exited = 1;
    trial->exit_status = exit_status;
    trial->term_signal = term_signal;
    /* Whatever the trainer left behind goes with it: no orphan keeps burning
     * CPU or holding the pipes. */
    proctree_group_leader_exited(&trial->group);
    if (streams_open(trial))
        arm_timer(trial, trial->drain_s);
    else
        finish(trial);
}

struct trial *trial_start(uv_loop_t *loop, const struct trial_spec *spec,
                          const struct trial_callbacks *callbacks, void *owner)
{
    struct trial *trial = calloc(1, sizeof *trial);
    if (!trial)
        return NULL;
    if (linebuf_init(&trial->out_lines, spec->max_line) < 0 ||
        linebuf_init(&trial->err_lines, STDERR_MAX_LINE) < 0) {
        linebuf_free(&trial->out_lines);
        free(trial);
        return NULL;
    }
    trial->callbacks = callbacks;
    trial->owner = owner;
    trial->kill_grace_s = spec->kill_grace_s;
    trial->drain_s = DRAIN_AFTER_EXIT_S;
    trial->start_ms = uv_now(loop);
    snprintf(trial->dir, sizeof trial->dir, "%s", spec->dir);
    trial->out_log = open_log(spec->dir, "stdout.log", spec->log_note);
    trial->err_log = open_log(spec->dir, "stderr.log", spec->log_note);
    uv_timer_init(loop, &trial->timer);
    trial->timer.data = trial;
    trial->open_handles = 1;

    struct spawned child;
    struct hp_error err;
    hp_error_init(&err);
    int rc = proctree_group_open(spec->tree, spec->dir, &trial->group, &err);
    if (rc < 0)
        rc = errno ? -errno : -EIO;
    else
        rc = spawn_trial(spec->argv, spec->env, trial->group.join_fd, &child);
    proctree_group_started(&trial->group, rc < 0 ? 0 : child.pid);
    if (rc < 0) {
        trial->spawn_error = rc;
        trial->exited = 1;
        char message[1536];
        int n = snprintf(message, sizeof message, "hpsearch: could not start %s: %s\n",
                         spec->argv[0], err.message[0] ? err.message : strerror(-rc));
        write_all(trial->err_log, message, (size_t)n);
        finish(trial);
        return trial;
    }
    trial->started = 1;
    trial->pid = child.pid;
    uv_pipe_init(loop, &trial->out, 0);
    uv_pipe_init(loop, &trial->err, 0);
    trial->out.data = trial->err.data = trial;
    trial->open_handles = 3;
    trial->pipes_open = 1;
    uv_pipe_open(&trial->out, child.stdout_fd);
    uv_pipe_open(&trial->err, child.stderr_fd);
    if (reaper_watch(child.pid, on_process_exit, trial) < 0)
        signal_group(trial, SIGKILL); /* out of memory: better no trial than a lost one */
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
    linebuf_free(&trial->out_lines);
    linebuf_free(&trial->err_lines);
    free(trial);
}
