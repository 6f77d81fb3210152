/*
 * Progress display. See progress.h.
 */
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "metric_line.h"
#include "progress_line.h"

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void progress_init(struct progress *p, int live, const struct space *space)
{
    p->live = live;
    p->line_shown = 0;
    p->start_ms = monotonic_ms();
    p->done_at_start = (size_t)-1;
    p->space = space;
    p->best = NAN;
    p->best_trial[0] = '\0';
    p->width = live ? progress_terminal_width(STDOUT_FILENO) : 0;
}

void progress_format_duration(double seconds, char *buf, size_t size)
{
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, size, "%lds", s);
}

/* "done 12/40, running 2, failed 1, best val_accuracy 0.8712 (c0003-s1),
 *  1m02s elapsed, ETA 3m10s", fitted to `width` columns (0: no limit). */
static void status_text(struct progress *p, const struct sweep_state *state, size_t width,
                        char *buf, size_t size)
{
    double elapsed = (double)(monotonic_ms() - p->start_ms) / 1000.0;
    size_t done = state_trials_done(state);
    if (p->done_at_start == (size_t)-1)
        p->done_at_start = done;
    size_t planned = state->trials_planned;
    size_t done_here = done - p->done_at_start;
    /* The remaining trials at this run's observed rate of completion. */
    double eta = planned && done_here > 0 && done < planned
                     ? elapsed / (double)done_here * (double)(planned - done)
                     : -1.0;
    struct progress_fields fields = {done,
                                     planned,
                                     state->trials_running,
                                     state->trials_failed,
                                     state->trials_pruned,
                                     state->scheduler != NULL,
                                     p->space->objective_metric,
                                     p->best,
                                     p->best_trial,
                                     elapsed,
                                     eta};
    progress_line_format(&fields, width, buf, size);
}

static void clear_line(struct progress *p)
{
    if (p->live && p->line_shown) {
        fputs("\r\033[K", stdout);
        p->line_shown = 0;
    }
}

void progress_trial_done(struct progress *p, const struct sweep_state *state,
                         const struct config_record *config, const struct seed_record *seed)
{
    char trial_id[48];
    state_trial_id(config, seed, trial_id, sizeof trial_id);
    if (seed->status == SEED_OK &&
        (isnan(p->best) || state_better(seed->score, p->best, p->space->maximize))) {
        p->best = seed->score;
        snprintf(p->best_trial, sizeof p->best_trial, "%s", trial_id);
    }
    if (p->live) {
        progress_redraw(p, state);
        return;
    }
    char status[320];
    status_text(p, state, 0, status, sizeof status);
    if (seed->status == SEED_OK) {
        printf("trial %s ok: %s %.6g in %.1f s [%s]\n", trial_id,
               p->space->objective_metric, seed->score, seed->seconds, status);
    } else if (seed->status == SEED_PAUSED) {
        printf("trial %s reached %s %ld: %s %.6g in %.1f s [%s]\n", trial_id,
               p->space->budget_param, seed->budget, p->space->objective_metric, seed->score,
               seed->seconds, status);
    } else if (seed->status == SEED_PRUNED) {
        printf("trial %s pruned at %s %ld: %s %.6g [%s]\n", trial_id, p->space->resource_key,
               config->reached, p->space->objective_metric, seed->score, status);
    } else {
        printf("trial %s failed (%s): %s [%s]\n", trial_id,
               trial_failure_name((enum trial_failure)seed->failure),
               seed->reason ? seed->reason : "", status);
    }
    fflush(stdout);
}

void progress_decision(struct progress *p, const struct sweep_state *state,
                       const struct sched_decision *d)
{
    const struct config_record *config = &state->configs[d->config];
    for (size_t i = 0; d->action == SCHED_COMPLETE && i < config->seed_count; i++) {
        const struct seed_record *seed = &config->seeds[i];
        if (seed->status == SEED_OK &&
            (isnan(p->best) || state_better(seed->score, p->best, p->space->maximize))) {
            p->best = seed->score;
            state_trial_id(config, seed, p->best_trial, sizeof p->best_trial);
        }
    }
    if (p->live) {
        progress_redraw(p, state);
        return;
    }
    const char *resource = p->space->resource_key;
    if (d->action == SCHED_PROMOTE)
        printf("config %zu promoted at %s %ld: continues to %ld\n", d->config, resource, d->at,
               d->budget);
    else if (d->action == SCHED_PRUNE)
        printf("config %zu pruned at %s %ld (mean %s %.6g)\n", d->config, resource, d->at,
               p->space->objective_metric, config->summary.mean);
    else if (d->action == SCHED_EXPLOIT)
        printf("config %zu exploits config %zu at %s %ld: continues its checkpoints to %ld "
               "with %s\n",
               d->config, d->source, resource, d->at, d->budget, config->params_text);
    else if (d->action == SCHED_CONTINUE)
        printf("config %zu continues config %zu at %s %ld to %ld\n", d->config, d->source,
               resource, d->at, d->budget);
    else if (d->action == SCHED_RETIRE)
        printf("config %zu retired at %s %ld: mean %s %.6g\n", d->config, resource, d->at,
               p->space->objective_metric, config->summary.mean);
    else
        printf("config %zu complete at %s %ld: mean %s %.6g over %zu seeds\n", d->config,
               resource, d->at, p->space->objective_metric, config->summary.mean,
               config->summary.n);
    fflush(stdout);
}

void progress_trial_retried(struct progress *p, const struct config_record *config,
                            const struct seed_record *seed)
{
    char trial_id[48];
    state_trial_id(config, seed, trial_id, sizeof trial_id);
    char message[512];
    snprintf(message, sizeof message, "trial %s attempt %d failed (%s): %s; retrying",
             trial_id, seed->attempts, trial_failure_name((enum trial_failure)seed->failure),
             seed->reason ? seed->reason : "");
    progress_note(p, message);
}

void progress_redraw(struct progress *p, const struct sweep_state *state)
{
    if (!p->live)
        return;
    char status[320];
    status_text(p, state, p->width, status, sizeof status);
    printf("\r\033[K%s", status);
    fflush(stdout);
    p->line_shown = 1;
}

void progress_set_width(struct progress *p, size_t width)
{
    p->width = width;
}

size_t progress_terminal_width(int fd)
{
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) < 0 || size.ws_col == 0)
        return 0;
    return size.ws_col;
}

void progress_note(struct progress *p, const char *message)
{
    clear_line(p);
    fflush(stdout);
    fprintf(stderr, "hpsearch: %s\n", message);
}

void progress_warn(struct progress *p, const struct hp_error *err)
{
    char text[2048];
    progress_note(p, hp_error_format(err, text, sizeof text));
}

void progress_finish(struct progress *p)
{
    if (p->live && p->line_shown) {
        fputc('\n', stdout);
        p->line_shown = 0;
    }
    fflush(stdout);
}
