/*
 * Results files and the summary table. See results.h.
 */
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "fsutil.h"
#include "metric_line.h"
#include "retention.h"

/* A real number, or null when it is not finite (JSON has no NaN). */
static json_t *number_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static const char *seed_status_name(enum seed_status status)
{
    switch (status) {
    case SEED_OK:
        return "ok";
    case SEED_FAILED:
        return "failed";
    case SEED_RUNNING:
        return "running";
    case SEED_PENDING:
        break;
    }
    return "pending";
}

static json_t *seed_to_json(const struct seed_record *seed)
{
    json_t *obj = json_pack("{s:I, s:s, s:s, s:o, s:i}", "seed", (json_int_t)seed->seed,
                            "trial", seed->trial_id, "status",
                            seed_status_name(seed->status), "value",
                            number_or_null(seed->score), "attempts", seed->attempts);
    if (obj && seed->final_line)
        json_object_set(obj, "final", seed->final_line);
    if (obj && seed->status == SEED_FAILED) {
        json_object_set_new(obj, "failure", json_string(trial_failure_name(seed->failure)));
        json_object_set_new(obj, "reason", json_string(seed->reason));
    }
    return obj;
}

static json_t *config_to_json(const struct config_record *config, size_t rank)
{
    const struct stats_summary *s = &config->summary;
    json_t *seeds = json_array();
    for (size_t i = 0; i < config->seed_count; i++)
        json_array_append_new(seeds, seed_to_json(&config->seeds[i]));
    return json_pack("{s:I, s:I, s:O, s:o, s:o, s:[o, o], s:I, s:I, s:o, s:o, s:o}", "rank",
                     (json_int_t)rank, "config", (json_int_t)config->index, "params",
                     config->params, "mean", number_or_null(s->mean), "std",
                     number_or_null(s->n > 0 ? s->std : NAN), "ci95",
                     number_or_null(s->ci_low), number_or_null(s->ci_high), "n",
                     (json_int_t)s->n, "failed", (json_int_t)config->failed, "min",
                     number_or_null(s->min), "max", number_or_null(s->max), "seeds", seeds);
}

json_t *results_to_json(const struct results_view *view)
{
    const struct space *space = view->space;
    size_t *order = malloc((view->config_count + 1) * sizeof *order);
    if (!order)
        return NULL;
    size_t ranked = record_rank(view->configs, view->config_count, space->maximize, order);
    size_t trials_ok = 0;
    size_t trials_failed = 0;
    json_t *configs = json_array();
    for (size_t r = 0; r < ranked; r++)
        json_array_append_new(configs, config_to_json(&view->configs[order[r]], r + 1));
    for (size_t i = 0; i < view->config_count; i++) {
        for (size_t s = 0; s < view->configs[i].seed_count; s++) {
            trials_ok += view->configs[i].seeds[s].status == SEED_OK;
            trials_failed += view->configs[i].seeds[s].status == SEED_FAILED;
        }
    }
    json_t *best = json_null();
    if (view->has_best) {
        const struct config_record *config = &view->configs[view->best_config];
        size_t b = retention_best_seed(config, space->maximize);
        best = json_pack("{s:I, s:O, s:f, s:s, s:f}", "config", (json_int_t)config->index,
                         "params", config->params, "mean", config->summary.mean,
                         "best_trial", config->seeds[b].trial_id, "best_trial_value",
                         config->seeds[b].score);
    }
    free(order);
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:I, s:I, s:I, s:o, s:o, s:f}",
                     "name", space->name, "objective", "metric", space->objective_metric,
                     "mode", space->maximize ? "max" : "min", "score",
                     space->score == SCORE_LAST ? "last" : "best", "strategy",
                     space->strategy->name, "configs_complete", (json_int_t)ranked,
                     "trials_ok", (json_int_t)trials_ok, "trials_failed",
                     (json_int_t)trials_failed, "best", best, "configs", configs,
                     "elapsed_s", view->elapsed_s);
}

/* Appends a CSV field, quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *out, const char *text, int first)
{
    if (!first)
        fputc(',', out);
    if (!strpbrk(text, ",\"\n\r")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

static void csv_number(FILE *out, double value)
{
    char buf[40] = "";
    if (isfinite(value))
        hp_format_number(buf, sizeof buf, value);
    csv_field(out, buf, 0);
}

static int write_csv(const struct results_view *view, char **text, size_t *len)
{
    FILE *out = open_memstream(text, len);
    if (!out)
        return -1;
    static const char *const columns[] = {"trial", "config", "seed", "status", "value",
                                          "failure", "reason", "attempts", "seconds"};
    for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++)
        csv_field(out, columns[c], c == 0);
    const struct search_space *params = &view->space->params;
    for (size_t p = 0; p < params->count; p++)
        csv_field(out, params->params[p].name, 0);
    fputc('\n', out);
    for (size_t i = 0; i < view->config_count; i++) {
        const struct config_record *config = &view->configs[i];
        for (size_t s = 0; s < config->seed_count; s++) {
            const struct seed_record *seed = &config->seeds[s];
            char number[32];
            csv_field(out, seed->trial_id, 1);
            snprintf(number, sizeof number, "%zu", config->index);
            csv_field(out, number, 0);
            snprintf(number, sizeof number, "%llu", (unsigned long long)seed->seed);
            csv_field(out, number, 0);
            csv_field(out, seed_status_name(seed->status), 0);
            csv_number(out, seed->score);
            csv_field(out, seed->status == SEED_FAILED ? trial_failure_name(seed->failure)
                                                       : "",
                      0);
            csv_field(out, seed->status == SEED_FAILED ? seed->reason : "", 0);
            snprintf(number, sizeof number, "%d", seed->attempts);
            csv_field(out, number, 0);
            csv_number(out, seed->seconds);
            for (size_t p = 0; p < params->count; p++) {
                json_t *value = json_object_get(config->params, params->params[p].name);
                char *text_value = value ? command_format_value(value) : NULL;
                csv_field(out, text_value ? text_value : "", 0);
                free(text_value);
            }
            fputc('\n', out);
        }
    }
    return fclose(out) == 0 ? 0 : -1;
}

int results_write(const struct results_view *view, struct hp_error *err)
{
    char path[4200];
    json_t *doc = results_to_json(view);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!text)
        return hp_error_set(err, "", "cannot encode results.json");
    snprintf(path, sizeof path, "%s/results.json", view->out_dir);
    int rc = fsutil_write_atomic(path, text, strlen(text), err);
    free(text);
    if (rc < 0)
        return -1;

    char *csv = NULL;
    size_t len = 0;
    if (write_csv(view, &csv, &len) < 0) {
        free(csv);
        return hp_error_set(err, "", "cannot build results.csv");
    }
    snprintf(path, sizeof path, "%s/results.csv", view->out_dir);
    rc = fsutil_write_atomic(path, csv, len, err);
    free(csv);
    return rc;
}

/* "lr=0.001 batch=64 hidden=256,128", shortened to fit `size`. */
static void params_text(const json_t *params, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)params, key, value) {
        char *v = command_format_value(value);
        int n = snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "", key,
                         v ? v : "?");
        free(v);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

void results_print_summary(const struct results_view *view, FILE *out)
{
    enum { SHOWN = 10 };
    const struct space *space = view->space;
    size_t *order = malloc((view->config_count + 1) * sizeof *order);
    if (!order)
        return;
    size_t ranked = record_rank(view->configs, view->config_count, space->maximize, order);
    fprintf(out, "\n%s: %zu configs x %zu seeds, %s %s (%s), %.1f s\n", space->name,
            ranked, space->seed_count, space->maximize ? "max" : "min",
            space->objective_metric, space->score == SCORE_LAST ? "last" : "best",
            view->elapsed_s);
    fprintf(out, "%4s %6s %10s %10s %23s %5s %6s  %s\n", "rank", "config", "mean", "std",
            "95% CI", "n", "failed", "params");
    for (size_t r = 0; r < ranked && r < SHOWN; r++) {
        const struct config_record *config = &view->configs[order[r]];
        const struct stats_summary *s = &config->summary;
        char params[512];
        char ci[64] = "-";
        params_text(config->params, params, sizeof params);
        if (isfinite(s->ci_low))
            snprintf(ci, sizeof ci, "[%.4f, %.4f]", s->ci_low, s->ci_high);
        if (s->n > 0)
            fprintf(out, "%4zu %6zu %10.4f %10.4f %23s %5zu %6zu  %s\n", r + 1,
                    config->index, s->mean, s->std, ci, s->n, config->failed, params);
        else
            fprintf(out, "%4zu %6zu %10s %10s %23s %5zu %6zu  %s\n", r + 1, config->index,
                    "-", "-", "-", s->n, config->failed, params);
    }
    if (ranked > SHOWN)
        fprintf(out, "... %zu more in %s/results.json\n", ranked - SHOWN, view->out_dir);
    if (view->has_best) {
        const struct config_record *best = &view->configs[view->best_config];
        size_t b = retention_best_seed(best, space->maximize);
        fprintf(out, "best: config %zu, trial %s (%s %.4f); checkpoint in %s/best/\n",
                best->index, best->seeds[b].trial_id, space->objective_metric,
                best->seeds[b].score, view->out_dir);
    } else {
        fprintf(out, "no configuration succeeded; see the trials' stderr.log files\n");
    }
    char disk[32];
    double mib = (double)fsutil_disk_usage(view->out_dir) / (1024.0 * 1024.0);
    snprintf(disk, sizeof disk, "%.1f MiB", mib);
    fprintf(out, "results: %s/results.json, %s/results.csv (sweep directory: %s)\n",
            view->out_dir, view->out_dir, disk);
    free(order);
}
