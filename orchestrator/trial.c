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
#include "path.h"
#include "reaper.h"

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

/* Closes everything; on_done follows from the last close callback. */
static void finish(struct trial *trial)
{
    if (trial->finishing)
        return;
    trial->finishing = 1;
    trial->end_ms = uv_now(trial->timer.loop);
    trial->executor->ops->close(trial->executor, &trial->proc);
    trial->truncated_lines = trial->out_lines.truncated_lines;
    triallog_close(&trial->out_log);
    triallog_close(&trial->err_log);
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

size_t trial_visible_line(const char *line, size_t len, const char **start)
{
    while (len > 0 && line[len - 1] == '\r')
        len--;
    const char *shown = line;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\r')
            shown = line + i + 1;
    *start = shown;
    return len - (size_t)(shown - line);
}

/* Writes one line to a log as a terminal would have shown it (a progress bar
 * as its final state), so the log stays readable; an over-long line is
 * logged cut, with a note. */
static void log_line(struct triallog *log, const char *line, size_t len, int truncated)
{
    if (!truncated) {
        triallog_line(log, line, len);
        return;
    }
    char note[96];
    int n = snprintf(note, sizeof note,
                     " [hpsearch: line longer than %zu bytes, the rest dropped]", len);
    size_t total = len + (size_t)n;
    char *joined = malloc(total);
    if (!joined)
        return;
    memcpy(joined, line, len);
    memcpy(joined + len, note, (size_t)n);
    triallog_line(log, joined, total);
    free(joined);
}

static void copy_excerpt(char *dst, size_t size, const char *text, size_t len)
{
    if (len >= size) {
        /* Cut with an ellipsis, never inside a UTF-8 sequence. */
        len = size - 4;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
        memcpy(dst, text, len);
        memcpy(dst + len, "...", 4);
        return;
    }
    memcpy(dst, text, len);
    dst[len] = '\0';
}

/* A stdout line that is not a JSON object: counted, and the first one kept
 * (one that looks like an attempt at an object preferred), so a trial that
 * never reported its objective can say why. */
static void note_non_object(struct trial *trial, const char *text, size_t len)
{
    while (len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    if (len == 0)
        return;
    int object_like = text[0] == '{';
    if (trial->non_object_lines == 0 || (object_like && trial->object_like_lines == 0))
        copy_excerpt(trial->first_non_object, sizeof trial->first_non_object, text, len);
    trial->non_object_lines++;
    trial->object_like_lines += (size_t)object_like;
}

static void on_out_line(void *ctx, const char *line, size_t len, int truncated)
{
    struct trial *trial = ctx;
    const char *shown;
    size_t shown_len = trial_visible_line(line, len, &shown);
    log_line(&trial->out_log, shown, shown_len, truncated);
    if (truncated)
        return; /* dropped: a cut-off JSON object would be misread */
    json_t *object = hp_metric_line_parse(shown, shown_len);
    if (object) {
        trial->callbacks->on_object(trial, object);
        json_decref(object);
    } else {
        note_non_object(trial, shown, shown_len);
    }
}

static void on_err_line(void *ctx, const char *line, size_t len, int truncated)
{
    struct trial *trial = ctx;
    const char *shown;
    size_t shown_len = trial_visible_line(line, len, &shown);
    log_line(&trial->err_log, shown, shown_len, truncated);
    size_t blank = 0;
    while (blank < shown_len && (shown[blank] == ' ' || shown[blank] == '\t'))
        blank++;
    if (blank == shown_len)
        return;
    if (trial->executor->ops->own_stderr_line &&
        trial->executor->ops->own_stderr_line(shown + blank, shown_len - blank))
        return; /* srun's, not the trainer's: logged, not a reason */
    char *slot = trial->stderr_tail[trial->stderr_lines++ % TRIAL_STDERR_TAIL];
    copy_excerpt(slot, TRIAL_TAIL_LINE, shown + blank, shown_len - blank);
}

void trial_stderr_tail(const struct trial *trial, char *buf, size_t size)
{
    size_t count = trial->stderr_lines < TRIAL_STDERR_TAIL ? trial->stderr_lines
                                                             : TRIAL_STDERR_TAIL;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < size; i++) {
        size_t k = (trial->stderr_lines - count + i) % TRIAL_STDERR_TAIL;
        int n = snprintf(buf + used, size - used, "%s%s", i ? " | " : "",
                         trial->stderr_tail[k]);
        if (n < 0)
            break;
        used += (size_t)n;
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
    trial->executor->ops->signal(trial->executor, &trial->proc, signum);
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
    /* Whatever the trainer left behind goes with it: no orphan keeps burning
     * CPU or holding the pipes. */
    trial->executor->ops->exited(trial->executor, &trial->proc, &exit_status,
                                 &term_signal);
    trial->exit_status = exit_status;
    trial->term_signal = term_signal;
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
    /* Too long, it is "": the logs and the group below refuse the path too. */
    hp_path_join(trial->dir, sizeof trial->dir, NULL, spec->dir, NULL);
    triallog_open(&trial->out_log, spec->dir, "stdout.log", spec->log_cap, spec->log_note);
    triallog_open(&trial->err_log, spec->dir, "stderr.log", spec->log_cap, spec->log_note);
    uv_timer_init(loop, &trial->timer);
    trial->timer.data = trial;
    trial->open_handles = 1;

    copy_excerpt(trial->program, sizeof trial->program, spec->argv[0], strlen(spec->argv[0]));
    trial->executor = spec->executor ? spec->executor : executor_local();
    struct executor_start req = {spec->argv,
                                 spec->env,
                                 spec->cwd,
                                 spec->dir,
                                 spec->trial_id ? spec->trial_id : "",
                                 spec->tree,
                                 spec->resources};
    struct hp_error err;
    hp_error_init(&err);
    int rc = trial->executor->ops->start(trial->executor, &req, &trial->proc, &err);
    if (rc < 0) {
        trial->spawn_error = rc;
        trial->exited = 1;
        char message[1536];
        int n = snprintf(message, sizeof message, "hpsearch: could not start %s: %s",
                         spec->argv[0], err.message[0] ? err.message : strerror(-rc));
        if (n > 0)
            triallog_line(&trial->err_log, message,
                          (size_t)n < sizeof message ? (size_t)n : sizeof message - 1);
        finish(trial);
        return trial;
    }
    trial->started = 1;
    trial->pid = trial->proc.pid;
    uv_pipe_init(loop, &trial->out, 0);
    uv_pipe_init(loop, &trial->err, 0);
    trial->out.data = trial->err.data = trial;
    trial->open_handles = 3;
    trial->pipes_open = 1;
    uv_pipe_open(&trial->out, trial->proc.stdout_fd);
    uv_pipe_open(&trial->err, trial->proc.stderr_fd);
    if (reaper_watch(trial->pid, on_process_exit, trial) < 0)
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

void trial_log_note(struct trial *trial, const char *text)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "hpsearch: %s", text);
    if (n > 0)
        triallog_line(&trial->err_log, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void trial_free(struct trial *trial)
{
    if (!trial)
        return;
    linebuf_free(&trial->out_lines);
    linebuf_free(&trial->err_lines);
    free(trial);
}
