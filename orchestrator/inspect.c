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
#include "json_pretty.h"
#include "metric_line.h"
#include "path.h"
#include "progress.h"
#include "results.h"
#include "state.h"
#include "tensorboard.h"

/* Prints a document for people, numbers in their shortest exact form. */
static void print_json(const json_t *doc, FILE *out)
{
    char *text = json_pretty_dumps(doc);
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

/* "mean 0.88123, 95% CI ± 0.012345 [0.86889, 0.89358], n=3" */
static void describe_mean(const struct config_record *config, char *buf, size_t size)
{
    const struct stats_summary *s = &config->summary;
    char mean[32], half[32], lo[32], hi[32];
    results_format_short(mean, sizeof mean, s->mean);
    results_format_short(half, sizeof half, (s->ci_high - s->ci_low) / 2);
    results_format_short(lo, sizeof lo, s->ci_low);
    results_format_short(hi, sizeof hi, s->ci_high);
    if (isfinite(s->ci_low))
        snprintf(buf, size, "mean %s, 95%% CI ± %s [%s, %s], n=%zu", mean, half, lo, hi,
                 s->n);
    else
        snprintf(buf, size, "mean %s (n=%zu, no interval from one value)", mean, s->n);
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
            results_format_short(number, sizeof number, config->seeds[s].score);
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
        results_format_short(mean, sizeof mean, s->mean);
        results_format_short(std, sizeof std, s->std);
        results_format_short(min, sizeof min, s->min);
        results_format_short(max, sizeof max, s->max);
    }
    if (isfinite(s->ci_low)) {
        results_format_short(lo, sizeof lo, s->ci_low);
        results_format_short(hi, sizeof hi, s->ci_high);
    }
    if (format == REPORT_MARKDOWN)
        fprintf(out, "| %zu | %zu | %s | %s | [%s, %s] | %zu | %zu | %s | %s | %s | `%s` |\n",
                rank, config->index, mean, std, lo, hi, s->n, config->failed, min, max,
                values, params);
    else
        fprintf(out, "%4zu %6zu %10s %10s %10s %10s %3zu %6zu %10s %10s  %-24s %s\n",
                rank, config->index, mean, std, lo, hi, s->n, config->failed, min, max,
                values, params);
}

/* A sweep loaded for report and best: its state, its trials' metric lines,
 * its ranking and, under a list of objectives, its Pareto front. */
struct ranked {
    struct sweep_state state;
    struct metrics_scan scan;
    struct pareto pareto;
    int has_pareto;
    struct objective_spec one; /* the objective of a single-objective ranking */
    int maximize;
    int reranked; /* ranked by --metric, --mode or --score */
    size_t *order;
    size_t count; /* complete configs, ranked, in order[] */
};

static void ranked_free(struct ranked *r)
{
    ranking_pareto_free(&r->pareto);
    metrics_scan_free(&r->scan);
    free(r->order);
    state_free(&r->state);
}

/* The objective --metric, --mode and --score ask for, with the space's mode
 * and score rule where they name one of its own objectives. Returns 0, or -1
 * with `err` set. */
static int chosen_objective(const struct space *space, const struct inspect_ranking *by,
                            struct objective_spec *out, struct hp_error *err)
{
    struct objective_spec one;
    size_t count;
    const struct objective_spec *own = results_objectives(space, &one, &count);
    *out = own[0];
    if (by->metric) {
        size_t k = 0;
        while (k < count && strcmp(own[k].metric, by->metric) != 0)
            k++;
        if (k == count && by->mode < 0)
            return hp_error_set(err, "",
                                "option --metric %s: not the space's objective, so its "
                                "direction is not known: give --mode min or --mode max",
                                by->metric);
        *out = k < count ? own[k] : (struct objective_spec){NULL, 1, space->score};
        out->metric = (char *)by->metric;
    }
    if (by->mode >= 0)
        out->maximize = by->mode;
    if (by->score >= 0)
        out->score = (enum score_rule)by->score;
    return 0;
}

static enum hp_exit_code load_ranked(struct ranked *r, const struct space *space,
                                     const char *dir, const struct inspect_ranking *by,
                                     struct hp_error *err)
{
    memset(r, 0, sizeof *r);
    r->reranked = by->metric || by->mode >= 0 || by->score >= 0;
    if (r->reranked && chosen_objective(space, by, &r->one, err) < 0)
        return HP_EXIT_USAGE;
    enum hp_exit_code loaded = load(&r->state, space, dir, err);
    if (loaded != HP_EXIT_OK)
        return loaded;
    size_t count = 1;
    const struct objective_spec *objectives =
        r->reranked ? &r->one : results_objectives(space, &r->one, &count);
    r->maximize = objectives[0].maximize;
    if (metrics_scan_run(&r->scan, &r->state, objectives, count, err) < 0) {
        state_free(&r->state);
        return HP_EXIT_RUNTIME;
    }
    enum hp_exit_code code = HP_EXIT_OK;
    if (r->reranked && !metrics_scan_has(&r->scan, r->one.metric)) {
        char list[1024];
        metrics_scan_list(&r->scan, list, sizeof list);
        hp_error_set(err, "",
                     "option --metric %s: no trial reported it; the metrics are: %s",
                     r->one.metric, list);
        code = HP_EXIT_USAGE;
    } else if (r->reranked) {
        ranking_rescore(&r->state, &r->scan, r->maximize);
    } else if (count > 1) {
        if (ranking_pareto(&r->pareto, &r->state, &r->scan) < 0)
            code = HP_EXIT_RUNTIME;
        r->has_pareto = code == HP_EXIT_OK;
    }
    r->order = malloc((r->state.config_count + 1) * sizeof *r->order);
    if (code == HP_EXIT_OK && !r->order)
        code = HP_EXIT_RUNTIME;
    if (code == HP_EXIT_RUNTIME)
        hp_error_set(err, "", "out of memory");
    if (code != HP_EXIT_OK) {
        ranked_free(r);
        return code;
    }
    r->count = state_rank(r->state.configs, r->state.config_count, r->maximize, r->order);
    return HP_EXIT_OK;
}

enum hp_exit_code inspect_report(const struct space *space, const char *dir, size_t top,
                                 enum report_format format,
                                 const struct inspect_ranking *by, FILE *out,
                                 struct hp_error *err)
{
    if (format == REPORT_TENSORBOARD)
        return tensorboard_report(space, dir, out, err);
    struct ranked r;
    enum hp_exit_code loaded = load_ranked(&r, space, dir, by, err);
    if (loaded != HP_EXIT_OK)
        return loaded;
    size_t shown = top > 0 && top < r.count ? top : r.count;
    if (format == REPORT_CSV) {
        /* --top: the trials of the top configs, best first. */
        results_write_csv(&r.state, &r.scan, top > 0 ? r.order : NULL, shown, out);
    } else if (format == REPORT_JSON) {
        json_t *configs = json_array();
        for (size_t i = 0; i < shown; i++) {
            json_t *config = results_config_json(&r.state.configs[r.order[i]], i + 1);
            results_mark_pareto(config, r.has_pareto ? &r.pareto : NULL, &r.scan,
                                r.order[i]);
            json_array_append_new(configs, config);
        }
        print_json(configs, out);
        json_decref(configs);
    } else {
        if (r.reranked && format == REPORT_TABLE)
            fprintf(out,
                    "ranked by %s (%s, %s value per trial), from the journal's metric "
                    "lines\n",
                    r.one.metric, r.one.maximize ? "max" : "min",
                    r.one.score == SCORE_LAST ? "last" : "best");
        if (format == REPORT_MARKDOWN) {
            fprintf(out, "| rank | config | mean | std | 95%% CI | n | failed | min | max | "
                         "seeds | params |\n");
            fprintf(out, "|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|\n");
        } else {
            fprintf(out, "%4s %6s %10s %10s %10s %10s %3s %6s %10s %10s  %-24s %s\n",
                    "rank", "config", "mean", "std", "ci_low", "ci_high", "n", "failed",
                    "min", "max", "seeds", "params");
        }
        for (size_t i = 0; i < shown; i++)
            print_row(out, format, i + 1, &r.state.configs[r.order[i]]);
        if (format != REPORT_MARKDOWN) {
            results_print_pbt_schedule(&r.state, out);
            if (r.has_pareto)
                results_print_front(&r.state, &r.scan, &r.pareto, out);
        }
    }
    ranked_free(&r);
    return HP_EXIT_OK;
}

/* One config for `best`: its JSON with its best trial and the path of that
 * trial's checkpoint (the copy in best/ when there is one). Returns a new
 * object, or NULL with `err` set. */
static json_t *best_json(const struct ranked *r, size_t index, const char *dir,
                         struct hp_error *err)
{
    const struct config_record *config = &r->state.configs[index];
    const struct seed_record *seed = &config->seeds[state_best_seed(config, r->maximize)];
    char trial_id[48];
    state_trial_id(config, seed, trial_id, sizeof trial_id);
    json_t *doc = results_config_json(config, 1);
    json_object_del(doc, "rank");
    results_mark_pareto(doc, r->has_pareto ? &r->pareto : NULL, &r->scan, index);
    json_object_set_new(doc, "best_trial", json_string(trial_id));
    char path[HP_PATH_MAX];
    const char *slash = seed->checkpoint ? strrchr(seed->checkpoint, '/') : NULL;
    if (seed->checkpoint &&
        hp_path_join(path, sizeof path, err, dir, "best",
                     slash ? slash + 1 : seed->checkpoint, NULL) < 0) {
        json_decref(doc);
        return NULL;
    }
    /* best/ holds the copy of the sweep's own best only. */
    int own_best = r->state.has_best && index == r->state.best_config && !r->reranked &&
                   !r->has_pareto;
    const char *kept = !seed->checkpoint                     ? NULL
                       : own_best && access(path, R_OK) == 0 ? path
                                                             : seed->checkpoint;
    json_object_set_new(doc, "checkpoint", kept ? json_string(kept) : json_null());
    return doc;
}

enum hp_exit_code inspect_best(const struct space *space, const char *dir,
                               const struct inspect_ranking *by, FILE *out,
                               struct hp_error *err)
{
    struct ranked r;
    enum hp_exit_code loaded = load_ranked(&r, space, dir, by, err);
    if (loaded != HP_EXIT_OK)
        return loaded;
    enum hp_exit_code code = HP_EXIT_OK;
    if (r.has_pareto && r.pareto.front_count > 0) {
        json_t *front = json_array();
        for (size_t f = 0; f < r.pareto.front_count && code == HP_EXIT_OK; f++) {
            json_t *doc = best_json(&r, r.pareto.front[f], dir, err);
            if (!doc)
                code = HP_EXIT_RUNTIME;
            json_array_append_new(front, doc);
        }
        json_t *doc = json_pack("{s:o}", "pareto_front", front);
        if (code == HP_EXIT_OK)
            print_json(doc, out);
        json_decref(doc);
    } else if (!r.state.has_best) {
        hp_error_set(err, "", "%s: no configuration has succeeded yet", dir);
        code = HP_EXIT_ALL_FAILED;
    } else {
        json_t *doc = best_json(&r, r.state.best_config, dir, err);
        if (doc)
            print_json(doc, out);
        else
            code = HP_EXIT_RUNTIME;
        json_decref(doc);
    }
    ranked_free(&r);
    return code;
}
