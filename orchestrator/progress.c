/*
 * Progress display. See progress.h.
 */
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

#include "metric_line.h"

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
 *  1m02s elapsed, ETA 3m10s" */
static void status_text(struct progress *p, const struct sweep_state *state, char *buf,
                        size_t size)
{
    double elapsed = (double)(monotonic_ms() - p->start_ms) / 1000.0;
    char elapsed_text[32];
    progress_format_duration(elapsed, elapsed_text, sizeof elapsed_text);
    size_t done = state_trials_done(state);
    if (p->done_at_start == (size_t)-1)
        p->done_at_start = done;
    size_t planned = state->trials_planned;
    char total[32] = "";
    if (planned)
        snprintf(total, sizeof total, "/%zu", planned);
    char best[128] = "";
    if (!isnan(p->best)) {
        snprintf(best, sizeof best, ", best %s %.6g (%s)", p->space->objective_metric,
                 p->best, p->best_trial);
    }
    char eta[48] = "";
    size_t done_here = done - p->done_at_start;
    if (planned && done_here > 0 && done < planned) {
        /* The remaining trials at this run's observed rate of completion. */
        char eta_text[32];
        progress_format_duration(elapsed / (double)done_here * (double)(planned - done),
                                 eta_text, sizeof eta_text);
        snprintf(eta, sizeof eta, ", ETA %s", eta_text);
    }
    char pruned[48] = "";
    if (state->scheduler)
        snprintf(pruned, sizeof pruned, ", pruned %zu", state->trials_pruned);
    snprintf(buf, size, "done %zu%s, running %zu, failed %zu%s%s, %s elapsed%s", done, total,
             state->trials_running, state->trials_failed, pruned, best, elapsed_text, eta);
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
    status_text(p, state, status, sizeof status);
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
    status_text(p, state, status, sizeof status);
    printf("\r\033[K%s", status);
    fflush(stdout);
    p->line_shown = 1;
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
