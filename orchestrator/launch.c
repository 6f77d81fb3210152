/*
 * Trial argv and environment. See launch.h.
 */
#include "launch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "metric_line.h"
#include "path.h"

extern char **environ;

static int is_protocol_variable(const char *entry)
{
    static const char *const names[] = {"HPSEARCH_TRIAL_ID=", "HPSEARCH_SEED=",
                                        "HPSEARCH_TRIAL_DIR=", "HPSEARCH_PARAMS=",
                                        "HPSEARCH_RESUME_FROM=", "OPENBLAS_NUM_THREADS=",
                                        "OMP_NUM_THREADS=", "HPSEARCH_BUDGET=",
                                        "HPSEARCH_BUDGET_MAX=", "HPSEARCH_SWEEP_DIR="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(entry, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

/* A variable the sweep sets itself: one of its "env", or the GPUs it hands
 * out. */
static int is_sweep_variable(const struct space *space, const char *entry)
{
    const struct resources_spec *r = &space->resources;
    size_t len = strcspn(entry, "=");
    if (r->gpus > 0 && len == 20 && strncmp(entry, "CUDA_VISIBLE_DEVICES", len) == 0)
        return 1;
    for (size_t i = 0; i < r->env_count; i++)
        if (strncmp(r->env[i], entry, len + 1) == 0)
            return 1;
    return 0;
}

int launch_context_init(struct launch_context *ctx, const struct space *space,
                        const char *trainer_path, const char *sweep_dir)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->space = space;
    ctx->trainer_path = trainer_path;
    ctx->sweep_dir = sweep_dir;
    size_t n = 0;
    while (environ[n])
        n++;
    ctx->base_env = calloc(n + 1, sizeof *ctx->base_env);
    if (!ctx->base_env)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!is_protocol_variable(environ[i]) && !is_sweep_variable(space, environ[i]))
            ctx->base_env[ctx->base_env_count++] = environ[i];
    char here[HP_PATH_MAX];
    if (space->workdir_trial &&
        (!getcwd(here, sizeof here) || !(ctx->cwd = strdup(here)))) {
        launch_context_free(ctx);
        return -1;
    }
    return 0;
}

void launch_context_free(struct launch_context *ctx)
{
    free(ctx->base_env);
    ctx->base_env = NULL;
    free(ctx->cwd);
    ctx->cwd = NULL;
}

/* `value` made absolute against `cwd` when it is a relative path that
 * exists there: a new string, or NULL when it stays as it is (*oom on
 * failure). */
static char *absolute_if_exists(const char *cwd, const char *value, int *oom)
{
    char path[HP_PATH_MAX];
    if (!*value || value[0] == '/' ||
        hp_path_join(path, sizeof path, NULL, cwd, value, NULL) < 0 ||
        access(path, F_OK) != 0)
        return NULL;
    char *copy = strdup(path);
    *oom |= copy == NULL;
    return copy;
}

int launch_absolute_paths(char *const *template_argv, char **argv, const char *cwd)
{
    int oom = 0;
    for (size_t i = 0; template_argv[i] && argv[i]; i++) {
        if (strchr(template_argv[i], '{') || strchr(template_argv[i], '}'))
            continue; /* placeholders: params, or hpsearch's own absolute paths */
        if (i == 0 && !strchr(argv[0], '/'))
            continue; /* a program name: found in PATH, wherever the trial runs */
        char *whole = absolute_if_exists(cwd, argv[i], &oom);
        const char *equals = strchr(argv[i], '=');
        char *value = !whole && argv[i][0] == '-' && equals
                          ? absolute_if_exists(cwd, equals + 1, &oom)
                          : NULL;
        if (value) {
            size_t flag = (size_t)(equals + 1 - argv[i]);
            whole = malloc(flag + strlen(value) + 1);
            if (whole) {
                memcpy(whole, argv[i], flag);
                strcpy(whole + flag, value);
            }
            oom |= whole == NULL;
            free(value);
        }
        if (whole) {
            free(argv[i]);
            argv[i] = whole;
        }
    }
    return oom ? -1 : 0;
}

static char *env_entry(const char *name, const char *value)
{
    size_t size = strlen(name) + strlen(value) + 2;
    char *entry = malloc(size);
    if (entry)
        snprintf(entry, size, "%s=%s", name, value);
    return entry;
}

void launch_spec_free(struct launch_spec *spec)
{
    command_argv_free(spec->argv);
    free(spec->env);
    for (size_t i = 0; i < LAUNCH_OWN_VARS; i++)
        free(spec->own[i]);
    memset(spec, 0, sizeof *spec);
}

/* The config with the budget parameter set: what the trainer is run with. */
static json_t *with_budget(const struct space *space, const json_t *params, long budget,
                           char **text)
{
    json_t *copy = json_copy((json_t *)params);
    if (!copy || json_object_set_new(copy, space->budget_param, json_integer(budget)) < 0 ||
        !(*text = hp_json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

int launch_spec_build(const struct launch_context *ctx, const json_t *params,
                      const char *params_text, uint64_t seed, const char *trial_id,
                      const char *dir, const struct launch_run *run,
                      struct launch_spec *out, struct hp_error *err)
{
    memset(out, 0, sizeof *out);
    struct trial_identity who = {seed, trial_id, dir, run->gpus, run->cpus};
    const struct space *space = ctx->space;
    int budgeted = space->scheduler && run->budget > 0;
    char *budget_text = NULL;
    json_t *budget_params = budgeted ? with_budget(space, params, run->budget, &budget_text)
                                     : NULL;
    if (budgeted && !budget_params)
        return hp_error_set(err, "", "out of memory starting trial %s", trial_id);
    int built = command_build(space->command, budgeted ? budget_params : params, &who,
                              ctx->trainer_path, &out->argv, err);
    json_decref(budget_params);
    if (built == 0 && ctx->cwd &&
        launch_absolute_paths(space->command, out->argv, ctx->cwd) < 0) {
        command_argv_free(out->argv);
        out->argv = NULL;
        built = hp_error_set(err, "", "out of memory starting trial %s", trial_id);
    }
    if (built < 0) {
        free(budget_text);
        return -1;
    }
    char seed_text[32];
    char threads[16];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
    snprintf(threads, sizeof threads, "%d", ctx->space->threads_per_trial);
    size_t n = 0;
    out->own[n++] = env_entry("HPSEARCH_TRIAL_ID", trial_id);
    out->own[n++] = env_entry("HPSEARCH_SEED", seed_text);
    out->own[n++] = env_entry("HPSEARCH_TRIAL_DIR", dir);
    out->own[n++] = env_entry("HPSEARCH_PARAMS", budgeted ? budget_text : params_text);
    free(budget_text);
    out->own[n++] = env_entry("OPENBLAS_NUM_THREADS", threads);
    out->own[n++] = env_entry("OMP_NUM_THREADS", threads);
    out->own[n++] = env_entry("HPSEARCH_SWEEP_DIR", ctx->sweep_dir ? ctx->sweep_dir : "");
    if (run->resume_from)
        out->own[n++] = env_entry("HPSEARCH_RESUME_FROM", run->resume_from);
    char number[32];
    if (budgeted) {
        snprintf(number, sizeof number, "%ld", run->budget);
        out->own[n++] = env_entry("HPSEARCH_BUDGET", number);
    }
    if (space->scheduler && space->budget_max > 0) {
        snprintf(number, sizeof number, "%ld", space->budget_max);
        out->own[n++] = env_entry("HPSEARCH_BUDGET_MAX", number);
    }
    if (space->resources.gpus > 0 && run->gpus)
        out->own[n++] = env_entry("CUDA_VISIBLE_DEVICES", run->gpus);
    size_t extra = space->resources.env_count;
    out->env = calloc(ctx->base_env_count + extra + n + 1, sizeof *out->env);
    int ok = out->env != NULL;
    for (size_t i = 0; i < n; i++)
        ok = ok && out->own[i];
    if (!ok) {
        launch_spec_free(out);
        return hp_error_set(err, "", "out of memory starting trial %s", trial_id);
    }
    memcpy(out->env, ctx->base_env, ctx->base_env_count * sizeof *out->env);
    if (extra)
        memcpy(out->env + ctx->base_env_count, space->resources.env,
               extra * sizeof *out->env);
    memcpy(out->env + ctx->base_env_count + extra, out->own, n * sizeof *out->env);
    return 0;
}
