/*
 * status, report and best. See inspect.h.
 */
#include "inspect.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "journal.h"
#include "journal_line.h"
#include "metric_line.h"
#include "path.h"
#include "progress.h"
#include "results.h"
#include "state.h"
#include "tensorboard.h"

/* Prints a document for people, numbers in their shortest exact form. */
static void print_json(const json_t *doc, FILE *out)
{
    char *text = hp_json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fprintf(out, "%s\n", text ? text : "null");
    free(text);
}

/* Replays `dir` into a fresh state. Returns HP_EXIT_OK, HP_EXIT_JOURNAL when
 * the journal is damaged or empty, or HP_EXIT_RUNTIME; on failure the state
 * is freed. */
static enum hp_exit_code load(struct sweep_state *state, const struct space *space,
                              const char *dir, struct hp_error *err)
{
    if (state_init(state, space, dir, err) < 0)
        return HP_EXIT_RUNTIME;
    int rc = state_replay(state, dir, NULL, err);
    if (rc < 0) {
        state_free(state);
        return rc == JOURNAL_LINE_UNREADABLE ? HP_EXIT_JOURNAL : HP_EXIT_RUNTIME;
    }
    return HP_EXIT_OK;
}

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A metric line for people: "epoch=2 train_loss=0.11 val_accuracy=0.89",
 * numbers in their shortest exact form. */
static void format_metrics(const json_t *line, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)line, key, value) {
        char text[64];
        if (json_is_number(value))
            hp_format_number(text, sizeof text, json_number_value(value));
        else if (json_is_string(value))
            snprintf(text, sizeof text, "%s", json_string_value(value));
        else
            snprintf(text, sizeof text, "%s", json_is_true(value) ? "true" : "...");
        int n = snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "", key, text);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

/* "mean 0.8812 ± 0.0123 (95% CI [0.8689, 0.8935], n=3)" */
static void describe_mean(const struct config_record *config, char *buf, size_t size)
{
    const struct stats_summary *s = &config->summary;
    if (isfinite(s->ci_low))
        snprintf(buf, size, "mean %.4f ± %.4f (95%% CI [%.4f, %.4f], n=%zu)", s->mean,
                 (s->ci_high - s->ci_low) / 2, s->ci_low, s->ci_high, s->n);
    else
        snprintf(buf, size, "mean %.4f (n=%zu, no interval from one value)", s->mean, s->n);
}

enum hp_exit_code inspect_status(const struct space *space, const char *dir, FILE *out,
                                 struct hp_error *err)
{
    struct sweep_state state;
    enum hp_exit_code loaded = load(&state, space, dir, err);
    if (loaded != HP_EXIT_OK)
        return loaded;
    long writer = journal_writer_pid(dir);
    size_t done = state_trials_done(&state);
    if (writer)
        fprintf(out, "%s: running\n", space->name);
    else if (state.ended && state.end_complete)
        fprintf(out, "%s: finished\n", space->name);
    else if (state.ended)
        fprintf(out, "%s: %s (hpsearch resume %s continues it)\n", space->name,
                state.end_reason[0] ? state.end_reason : "interrupted", dir);
    else
        fprintf(out, "%s: stopped without closing its journal (killed?); hpsearch resume %s "
                     "continues it\n",
                space->name, dir);
    if (writer)
        fprintf(out, "  hpsearch pid %ld\n", writer);
    char planned[32] = "?";
    if (state.trials_planned)
        snprintf(planned, sizeof planned, "%zu", state.trials_planned);
    char pruned[48] = "";
    if (space->scheduler)
        snprintf(pruned, sizeof pruned, ", %zu pruned", state.trials_pruned);
    fprintf(out, "  trials: %zu/%s done (%zu ok, %zu failed%s), %zu running\n", done, planned,
            state.trials_ok, state.trials_failed, pruned, writer ? state.trials_running : 0);
    if (space->scheduler)
        fprintf(out, "  compute: %lld %s%s trained, %.1f trainer-seconds (%s scheduler)\n",
                state.resource_units, space->resource_key,
                state.resource_units == 1 ? "" : "s", state.trainer_seconds,
                space->scheduler->name);

    double now = now_unix();
    if (state.started_at > 0) {
        /* The sweep's own time: its closed runs, plus the one running now.
         * A run that was killed left no end record: its time is not known. */
        double since = state.resumed_at > 0 ? state.resumed_at : state.started_at;
        double seconds = state.elapsed_closed + (writer ? now - since : 0.0);
        char elapsed[32];
        progress_format_duration(seconds, elapsed, sizeof elapsed);
        fprintf(out, "  elapsed: %s%s", elapsed,
                !writer && !state.ended ? " (and a run that was killed, not counted)" : "");
        /* ETA from this run's own pace (since the last resume, if any). */
        size_t done_here = done - (state.resumed_at > 0 ? state.done_at_resume : 0);
        if (writer && state.trials_planned && done_here > 0 && done < state.trials_planned) {
            char eta[32];
            progress_format_duration((now - since) / (double)done_here *
                                         (double)(state.trials_planned - done),
                                     eta, sizeof eta);
            fprintf(out, ", ETA %s", eta);
        }
        fputc('\n', out);
    }
    if (state.has_best) {
        const struct config_record *best = &state.configs[state.best_config];
        char mean[160];
        char params[512];
        describe_mean(best, mean, sizeof mean);
        results_params_text(best, params, sizeof params);
        fprintf(out, "  best so far: config %zu, %s %s\n    %s\n", best->index,
                space->objective_metric, mean, params);
    }
    if (writer && state.trials_running > 0) {
        fprintf(out, "  running:\n");
        for (size_t c = 0; c < state.config_count; c++) {
            const struct config_record *config = &state.configs[c];
            for (size_t s = 0; s < config->seed_count; s++) {
                const struct seed_record *seed = &config->seeds[s];
                if (seed->status != SEED_RUNNING)
                    continue;
                char id[48];
                state_trial_id(config, seed, id, sizeof id);
                char line[512] = "(no metrics yet)";
                if (seed->live && seed->live->last_line)
                    format_metrics(seed->live->last_line, line, sizeof line);
                fprintf(out, "    %s  %s\n", id, line);
            }
        }
    }
    state_free(&state);
    return HP_EXIT_OK;
}

/* The values of every seed, "0.81 0.83 -" (failed seeds as "-"). */
static void seed_values(const struct config_record *config, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t s = 0; s < config->seed_count && used < size; s++) {
        char number[40] = "-";
        if (config->seeds[s].status == SEED_OK || config->seeds[s].status == SEED_PRUNED)
            hp_format_number(number, sizeof number, config->seeds[s].score);
        int n = snprintf(buf + used, size - used, "%s%s", s ? " " : "", number);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void print_row(FILE *out, enum report_format format, size_t rank,
                      const struct config_record *config)
{
    const struct stats_summary *s = &config->summary;
    char params[512];
    char values[512];
    /* A pruned config says so before its params, where a reader looks. */
    int lead = config->pruned ? snprintf(params, sizeof params, "(pruned at %ld) ",
                                         config->reached)
                              : 0;
    results_params_text(config, params + lead, sizeof params - (size_t)lead);
    seed_values(config, values, sizeof values);
    char mean[24] = "-", std[24] = "-", lo[24] = "-", hi[24] = "-", min[24] = "-",
         max[24] = "-";
    if (s->n > 0) {
        snprintf(mean, sizeof mean, "%.4f", s->mean);
        snprintf(std, sizeof std, "%.4f", s->std);
        snprintf(min, sizeof min, "%.4f", s->min);
        snprintf(max, sizeof max, "%.4f", s->max);
    }
    if (isfinite(s->ci_low)) {
        snprintf(lo, sizeof lo, "%.4f", s->ci_low);
        snprintf(hi, sizeof hi, "%.4f", s->ci_high);
    }
    if (format == REPORT_MARKDOWN)
        fprintf(out, "| %zu | %zu | %s | %s | [%s, %s] | %zu | %zu | %s | %s | %s | `%s` |\n",
                rank, config->index, mean, std, lo, hi, s->n, config->failed, min, max,
                values, params);
    else
        fprintf(out, "%4zu %6zu %8s %8s %8s %8s %3zu %6zu %8s %8s  %-24s %s\n", rank,
                config->index, mean, std, lo, hi, s->n, config->failed, min, max, values,
                params);
}

enum hp_exit_code inspect_report(const struct space *space, const char *dir, size_t top,
                                 enum report_format format, FILE *out, struct hp_error *err)
{
    if (format == REPORT_TENSORBOARD)
        return tensorboard_report(space, dir, out, err);
    struct sweep_state state;
    enum hp_exit_code loaded = load(&state, space, dir, err);
    if (loaded != HP_EXIT_OK)
        return loaded;
    size_t *order = malloc((state.config_count + 1) * sizeof *order);
    if (!order) {
        state_free(&state);
        hp_error_set(err, "", "out of memory");
        return HP_EXIT_RUNTIME;
    }
    size_t ranked = state_rank(state.configs, state.config_count, space->maximize, order);
    size_t shown = top > 0 && top < ranked ? top : ranked;
    if (format == REPORT_CSV) {
        results_write_csv(&state, out);
    } else if (format == REPORT_JSON) {
        json_t *configs = json_array();
        for (size_t r = 0; r < shown; r++)
            json_array_append_new(configs, results_config_json(&state.configs[order[r]], r + 1));
        print_json(configs, out);
        json_decref(configs);
    } else {
        if (format == REPORT_MARKDOWN) {
            fprintf(out, "| rank | config | mean | std | 95%% CI | n | failed | min | max | "
                         "seeds | params |\n");
            fprintf(out, "|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|\n");
        } else {
            fprintf(out, "%4s %6s %8s %8s %8s %8s %3s %6s %8s %8s  %-24s %s\n", "rank",
                    "config", "mean", "std", "ci_low", "ci_high", "n", "failed", "min",
                    "max", "seeds", "params");
        }
        for (size_t r = 0; r < shown; r++)
            print_row(out, format, r + 1, &state.configs[order[r]]);
        if (format != REPORT_MARKDOWN)
            results_print_pbt_schedule(&state, out);
    }
    free(order);
    state_free(&state);
    return HP_EXIT_OK;
}

enum hp_exit_code inspect_best(const struct space *space, const char *dir, FILE *out,
                               struct hp_error *err)
{
    struct sweep_state state;
    enum hp_exit_code loaded = load(&state, space, dir, err);
    if (loaded != HP_EXIT_OK)
        return loaded;
    enum hp_exit_code code = HP_EXIT_OK;
    if (!state.has_best) {
        hp_error_set(err, "", "%s: no configuration has succeeded yet", dir);
        code = HP_EXIT_ALL_FAILED;
    } else {
        const struct config_record *best = &state.configs[state.best_config];
        const struct seed_record *seed = &best->seeds[state_best_seed(best, space->maximize)];
        char trial_id[48];
        state_trial_id(best, seed, trial_id, sizeof trial_id);
        json_t *doc = results_config_json(best, 1);
        json_object_del(doc, "rank");
        json_object_set_new(doc, "best_trial", json_string(trial_id));
        char path[HP_PATH_MAX];
        const char *slash = seed->checkpoint ? strrchr(seed->checkpoint, '/') : NULL;
        if (seed->checkpoint &&
            hp_path_join(path, sizeof path, err, dir, "best",
                         slash ? slash + 1 : seed->checkpoint, NULL) < 0) {
            code = HP_EXIT_RUNTIME;
        } else {
            /* The retained copy in best/ when there is one, else the trial's. */
            const char *kept = !seed->checkpoint             ? NULL
                               : access(path, R_OK) == 0 ? path
                                                         : seed->checkpoint;
            json_object_set_new(doc, "checkpoint", kept ? json_string(kept) : json_null());
            print_json(doc, out);
        }
        json_decref(doc);
    }
    state_free(&state);
    return code;
}
