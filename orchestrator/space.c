/*
 * The space file loader: JSON text in, a validated struct space out.
 *
 * Validation is driven by tables of known keys, one per kind of JSON object
 * (the top level, "objective", "strategy" and each parameter type), so an
 * unknown key is an error that names its path and lists the valid keys. The
 * first problem found is reported, as "<source>: <json path>: <message>", or
 * "<source>:<line>:<column>: <message>" for a syntax error; nothing is
 * half-loaded. What a parameter spec means when sampled belongs to
 * strategies/search_space.c; what a strategy's options mean belongs to the
 * strategy's create(), which the loader calls once so that its errors are load
 * errors too.
 *
 * Checks run in a fixed order: the top level's unknown keys, then each known
 * key in table order, with "command" and "strategy" last because they refer
 * to the parameters. Inside an object: "type" first (it decides the valid
 * keys), then unknown keys, then missing keys, then each value. A
 * parameter's "when" names other parameters, so every "when" is checked
 * (strategies/condition.c) after every parameter's own keys.
 */
#include "space.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

enum {
    SPACE_FILE_MAX = 16 * 1024 * 1024, /* bytes; a space is a few hundred */
    NAME_MAX_LEN = 100,                /* "name" becomes a directory name */
    PARAM_NAME_MAX_LEN = 64,
    SEEDS_MAX = 10000,
    PARALLEL_MAX = 4096,
    THREADS_MAX = 4096,
    RETRIES_MAX = 1000,
};

/* Seconds; keeps the runner's millisecond timer arithmetic far from overflow. */
static const double TIMEOUT_MAX = 1e9;

/* Integers are stored as doubles in struct param_spec, exact up to 2^53. */
static const double INT_PARAM_LIMIT = 9007199254740992.0;

/* The placeholders every command may use besides the parameters. */
static const char *const builtin_placeholders[] = {"seed", "trial_id", "trial_dir",
                                                   "gpu",  "cpus",     NULL};

struct loader {
    struct space *out;
    struct hp_error *err;
    const char *source;
};

/* ---- paths and messages ------------------------------------------------ */

/* [A-Za-z0-9_-], written out because isalnum() follows the locale. */
static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* A key that can be written after a dot; others are written as ["key"]. */
static int is_plain_key(const char *key)
{
    if (!*key)
        return 0;
    for (const char *c = key; *c; c++) {
        if (!is_word_char(*c))
            return 0;
    }
    return 1;
}

/* Paths are cut to their buffer; the helpers return snprintf's length. */
static int path_key(char *buf, size_t size, const char *parent, const char *key)
{
    if (is_plain_key(key))
        return snprintf(buf, size, "%s%s%s", parent, parent[0] ? "." : "", key);
    json_t *s = json_string(key);
    char quoted[128];
    search_space_describe(s, quoted, sizeof quoted);
    json_decref(s);
    return snprintf(buf, size, "%s[%s]", parent, quoted);
}

static int path_index(char *buf, size_t size, const char *parent, size_t index)
{
    return snprintf(buf, size, "%.200s[%zu]", parent, index);
}

/* Joins a NULL-ended list of names as "a, b, c". */
static void join_names(char *buf, size_t size, const char *const *names)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

static int name_in(const char *name, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(name, names[i]) == 0)
            return 1;
    }
    return 0;
}

/* Fails on the first key of `obj` (in file order) that is not in `valid`. */
static int check_keys(struct loader *ld, const json_t *obj, const char *path,
                      const char *const *valid)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        if (name_in(key, valid))
            continue;
        char where[256];
        char list[512];
        path_key(where, sizeof where, path, key);
        join_names(list, sizeof list, valid);
        return hp_error_set(ld->err, where, "unknown key (valid: %s)", list);
    }
    return 0;
}

static int missing_key(struct loader *ld, const char *path, const char *key)
{
    return hp_error_set(ld->err, path, "missing required key \"%s\"", key);
}

static int out_of_memory(struct loader *ld, const char *path)
{
    return hp_error_set(ld->err, path, "out of memory");
}

/* ---- scalar fields ------------------------------------------------------ */

/* An integer field in [min, max]; absent leaves *out alone (the default). */
static int load_int(struct loader *ld, const json_t *v, const char *path, long long min,
                    long long max, int *out)
{
    if (!v)
        return 0;
    char got[128];
    search_space_describe(v, got, sizeof got);
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return hp_error_set(ld->err, path, "must be an integer >= %lld (got %s)", min,
                            got);
    if (json_integer_value(v) > max)
        return hp_error_set(ld->err, path, "must be at most %lld (got %s)", max, got);
    *out = (int)json_integer_value(v);
    return 0;
}

/* A string field that must be one of `words` ("a" or "b"); sets *index. */
static int load_word(struct loader *ld, const json_t *v, const char *path,
                     const char *const words[2], int *index)
{
    if (!v)
        return 0;
    for (int i = 0; i < 2; i++) {
        if (json_is_string(v) && strcmp(json_string_value(v), words[i]) == 0) {
            *index = i;
            return 0;
        }
    }
    char got[128];
    search_space_describe(v, got, sizeof got);
    return hp_error_set(ld->err, path, "must be \"%s\" or \"%s\" (got %s)", words[0],
                        words[1], got);
}

static int valid_run_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > NAME_MAX_LEN || name[0] == '.')
        return 0;
    for (const char *c = name; *c; c++) {
        if (!is_word_char(*c) && *c != '.')
            return 0;
    }
    return 1;
}

/* The default name: the source's base name without ".json", with characters
 * that a directory name should not hold replaced by '_'. */
static char *default_name(const char *source)
{
    const char *base = strrchr(source, '/');
    base = base ? base + 1 : source;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    if (len > NAME_MAX_LEN)
        len = NAME_MAX_LEN;
    if (len == 0)
        return strdup("space");
    char *name = strndup(base, len);
    if (!name)
        return NULL;
    for (char *c = name; *c; c++) {
        if (!is_word_char(*c) && !(*c == '.' && c != name))
            *c = '_';
    }
    return name;
}

static int load_name(struct loader *ld, const json_t *v, const char *path)
{
    if (!v) {
        ld->out->name = default_name(ld->source);
        return ld->out->name ? 0 : out_of_memory(ld, path);
    }
    if (!json_is_string(v) || !valid_run_name(json_string_value(v))) {
        char got[128];
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path,
                            "must be 1 to %d characters of A-Z a-z 0-9 . _ - "
                            "not starting with \".\" (got %s)",
                            NAME_MAX_LEN, got);
    }
    ld->out->name = strdup(json_string_value(v));
    return ld->out->name ? 0 : out_of_memory(ld, path);
}

/* ---- command ------------------------------------------------------------ */

static int is_placeholder_name(const struct space *space, const char *name, size_t len)
{
    for (size_t i = 0; builtin_placeholders[i]; i++) {
        if (strlen(builtin_placeholders[i]) == len &&
            memcmp(builtin_placeholders[i], name, len) == 0)
            return 1;
    }
    for (size_t i = 0; i < space->params.count; i++) {
        const char *p = space->params.params[i].name;
        if (strlen(p) == len && memcmp(p, name, len) == 0)
            return 1;
    }
    /* The budget reaches the trainer like a parameter. The command loads
     * before the scheduler, so this reads the document. */
    const json_t *scheduler = json_object_get(space->document, "scheduler");
    const char *type = json_string_value(json_object_get(scheduler, "type"));
    const char *budget = json_string_value(json_object_get(scheduler, "budget_param"));
    if (!type || strcmp(type, "none") == 0)
        return 0;
    if (!budget)
        budget = "epochs";
    return strlen(budget) == len && memcmp(budget, name, len) == 0;
}

/* A placeholder must always have a value: one naming a parameter that some
 * configs leave inactive (its "when" does not hold) is an error, since such
 * a trial would have nothing to put there. Unused, such a parameter is
 * appended as --name=value where it is active and left out elsewhere. */
static int check_conditional_placeholder(struct loader *ld, const char *name, size_t len,
                                         const char *path)
{
    const struct search_space *params = &ld->out->params;
    for (size_t i = 0; i < params->count; i++) {
        const char *p = params->params[i].name;
        if (strlen(p) == len && memcmp(p, name, len) == 0 &&
            condition_can_be_inactive(params, i))
            return hp_error_set(ld->err, path,
                                "placeholder {%s} names a conditional parameter that is "
                                "inactive in some configs (params.%s.when); pass it as "
                                "--%s=VALUE by leaving it out of the command",
                                p, p, p);
    }
    return 0;
}

/* Checks one argv template the way orchestrator/command.c expands it: "{"
 * opens a placeholder that ends at the next "}" and must name a parameter or a
 * built-in. There is no escape for a literal brace, so a "{" without its "}",
 * a "{" inside a placeholder, or a "}" outside one is an error here rather
 * than a surprise at run time. */
static int check_template(struct loader *ld, const json_t *arg, const char *path)
{
    const char *s = json_string_value(arg);
    char got[128];
    for (size_t i = 0; s[i]; i++) {
        if ((s[i] == '{' && s[i + 1] == '{') || (s[i] == '}' && s[i + 1] == '}')) {
            i++; /* a doubled brace is a literal one */
            continue;
        }
        if (s[i] == '}') {
            search_space_describe(arg, got, sizeof got);
            return hp_error_set(ld->err, path, "unbalanced \"}\" in %s", got);
        }
        if (s[i] != '{')
            continue;
        size_t len = strcspn(s + i + 1, "{}");
        if (s[i + 1 + len] != '}') {
            search_space_describe(arg, got, sizeof got);
            return hp_error_set(ld->err, path, "unbalanced \"{\" in %s", got);
        }
        if (!is_placeholder_name(ld->out, s + i + 1, len)) {
            int shown = len > 64 ? 64 : (int)len;
            return hp_error_set(ld->err, path, "unknown placeholder {%.*s}%s", shown,
                                s + i + 1, len > 64 ? "..." : "");
        }
        if (check_conditional_placeholder(ld, s + i + 1, len, path) != 0)
            return -1;
        i += len + 1;
    }
    return 0;
}

static int load_command(struct loader *ld, const json_t *v, const char *path)
{
    struct space *out = ld->out;
    char got[128];
    if (!v) {
        out->command = calloc(2, sizeof *out->command);
        if (!out->command)
            return out_of_memory(ld, path);
        out->command[0] = strdup("hpsearch-train");
        if (!out->command[0])
            return out_of_memory(ld, path);
        out->command_len = 1;
        out->command_is_default = 1;
        return 0;
    }
    if (!json_is_array(v)) {
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path,
                            "must be a non-empty array of strings (got %s)", got);
    }
    size_t n = json_array_size(v);
    if (n == 0)
        return hp_error_set(ld->err, path, "must not be empty");
    for (size_t i = 0; i < n; i++) {
        const json_t *arg = json_array_get(v, i);
        char where[256];
        path_index(where, sizeof where, path, i);
        if (!json_is_string(arg)) {
            search_space_describe(arg, got, sizeof got);
            return hp_error_set(ld->err, where, "must be a string (got %s)", got);
        }
        if (i == 0 && json_string_length(arg) == 0)
            return hp_error_set(ld->err, where,
                                "must not be empty (it names the program)");
        if (check_template(ld, arg, where) != 0)
            return -1;
    }
    out->command = calloc(n + 1, sizeof *out->command);
    if (!out->command)
        return out_of_memory(ld, path);
    for (size_t i = 0; i < n; i++) {
        out->command[i] = strdup(json_string_value(json_array_get(v, i)));
        if (!out->command[i])
            return out_of_memory(ld, path);
        out->command_len = i + 1;
    }
    return 0;
}

/* ---- objective, seeds and the other top-level scalars ------------------- */

/* One objective object at `path` ("objective" or "objective[1]"): metric,
 * mode and score, with defaults for what is absent. `metric` is borrowed
 * from the document. */
static int load_one_objective(struct loader *ld, const json_t *v, const char *path,
                              int in_list, const char **metric, int *maximize,
                              enum score_rule *score)
{
    static const char *const keys[] = {"metric", "mode", "score", NULL};
    static const char *const modes[2] = {"max", "min"};
    static const char *const scores[2] = {"best", "last"};
    char got[128];
    char where[256];
    if (!json_is_object(v)) {
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path,
                            in_list ? "must be an object {\"metric\", \"mode\"} (got %s)"
                                    : "must be an object (got %s)",
                            got);
    }
    if (check_keys(ld, v, path, keys) != 0)
        return -1;
    const json_t *m = json_object_get(v, "metric");
    snprintf(where, sizeof where, "%s.metric", path);
    if (!m && in_list)
        return missing_key(ld, path, "metric");
    if (m && (!json_is_string(m) || json_string_length(m) == 0)) {
        search_space_describe(m, got, sizeof got);
        return hp_error_set(ld->err, where, "must be a non-empty string (got %s)", got);
    }
    if (m)
        *metric = json_string_value(m);
    int mode = 0;
    int rule = 0;
    snprintf(where, sizeof where, "%s.mode", path);
    if (load_word(ld, json_object_get(v, "mode"), where, modes, &mode) != 0)
        return -1;
    snprintf(where, sizeof where, "%s.score", path);
    if (load_word(ld, json_object_get(v, "score"), where, scores, &rule) != 0)
        return -1;
    *maximize = mode == 0;
    *score = rule == 0 ? SCORE_BEST : SCORE_LAST;
    return 0;
}

/* A list of objectives ranks configs by their Pareto front, which gives no
 * single score: refused where something needs one (tpe's model, a
 * scheduler's decisions). The strategy and scheduler are read from the
 * document, since they load after the objective. */
static int check_objectives_use(struct loader *ld, const char *path)
{
    const json_t *strategy = json_object_get(ld->out->document, "strategy");
    const char *type = json_string_value(json_object_get(strategy, "type"));
    if (type && strcmp(type, "tpe") == 0)
        return hp_error_set(ld->err, path,
                            "a list of objectives (a Pareto front) cannot drive strategy "
                            "\"tpe\", which needs one scalar score; use \"grid\" or "
                            "\"random\", or a single objective");
    const json_t *scheduler = json_object_get(ld->out->document, "scheduler");
    type = json_string_value(json_object_get(scheduler, "type"));
    if (scheduler && !json_is_null(scheduler) && !(type && strcmp(type, "none") == 0))
        return hp_error_set(
            ld->err, path,
            "a list of objectives (a Pareto front) cannot drive a "
            "scheduler, which needs one scalar score; remove \"scheduler\" "
            "or use a single objective");
    return 0;
}

/* "objective": one object, or a list of them (a Pareto front, whose first
 * metric is also the one each trial must report and the ranking's). */
static int load_objective(struct loader *ld, const json_t *v, const char *path)
{
    struct space *out = ld->out;
    out->maximize = 1;
    out->score = SCORE_BEST;
    const char *metric = "val_accuracy";
    if (v && !json_is_array(v)) {
        if (load_one_objective(ld, v, path, 0, &metric, &out->maximize, &out->score) != 0)
            return -1;
    } else if (v) {
        size_t n = json_array_size(v);
        if (n == 0)
            return hp_error_set(ld->err, path, "must hold at least one objective");
        if (check_objectives_use(ld, path) != 0)
            return -1;
        out->objectives = calloc(n, sizeof *out->objectives);
        if (!out->objectives)
            return out_of_memory(ld, path);
        for (size_t i = 0; i < n; i++) {
            struct objective_spec *o = &out->objectives[i];
            char where[256];
            const char *name = NULL;
            path_index(where, sizeof where, path, i);
            if (load_one_objective(ld, json_array_get(v, i), where, 1, &name,
                                   &o->maximize, &o->score) != 0)
                return -1;
            char metric_path[300];
            snprintf(metric_path, sizeof metric_path, "%s.metric", where);
            for (size_t k = 0; k < i; k++)
                if (strcmp(out->objectives[k].metric, name) == 0)
                    return hp_error_set(ld->err, metric_path,
                                        "\"%s\" is already the metric of objective[%zu]",
                                        name, k);
            if (i == 0 && strcmp(name, "seconds") == 0)
                return hp_error_set(ld->err, metric_path,
                                    "\"seconds\" (a trial's wall time) cannot come first: "
                                    "the first objective is the metric every trial must "
                                    "report");
            o->metric = strdup(name);
            if (!o->metric)
                return out_of_memory(ld, where);
            out->objective_count = i + 1;
        }
        metric = out->objectives[0].metric;
        out->maximize = out->objectives[0].maximize;
        out->score = out->objectives[0].score;
    }
    out->objective_metric = strdup(metric);
    return out->objective_metric ? 0 : out_of_memory(ld, path);
}

static int seed_at(struct loader *ld, const json_t *seeds, size_t i, uint64_t *out)
{
    const json_t *s = json_array_get(seeds, i);
    if (!json_is_integer(s) || json_integer_value(s) < 0) {
        char where[256];
        char got[128];
        path_index(where, sizeof where, "seeds", i);
        search_space_describe(s, got, sizeof got);
        return hp_error_set(ld->err, where, "must be a non-negative integer (got %s)",
                            got);
    }
    *out = (uint64_t)json_integer_value(s);
    return 0;
}

static int load_seeds(struct loader *ld, const json_t *v, const char *path)
{
    struct space *out = ld->out;
    char got[128];
    size_t n = 1;
    if (json_is_integer(v)) {
        search_space_describe(v, got, sizeof got);
        if (json_integer_value(v) < 1)
            return hp_error_set(ld->err, path,
                                "must be a count >= 1 or a list of non-negative "
                                "integers (got %s)",
                                got);
        if (json_integer_value(v) > SEEDS_MAX)
            return hp_error_set(ld->err, path, "must be at most %d (got %s)", SEEDS_MAX,
                                got);
        n = (size_t)json_integer_value(v);
    } else if (json_is_array(v)) {
        n = json_array_size(v);
        if (n == 0)
            return hp_error_set(ld->err, path, "must not be empty");
        if (n > SEEDS_MAX)
            return hp_error_set(ld->err, path, "must hold at most %d seeds (got %zu)",
                                SEEDS_MAX, n);
    } else if (v) {
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path,
                            "must be a count >= 1 or a list of non-negative integers "
                            "(got %s)",
                            got);
    }
    out->seeds = calloc(n, sizeof *out->seeds);
    if (!out->seeds)
        return out_of_memory(ld, path);
    for (size_t i = 0; i < n; i++) {
        /* Absent: [0]; a count n: 0..n-1; a list: as given, all distinct. */
        uint64_t seed = i;
        if (json_is_array(v)) {
            if (seed_at(ld, v, i, &seed) != 0)
                return -1;
            for (size_t j = 0; j < i; j++) {
                if (out->seeds[j] == seed) {
                    char where[256];
                    path_index(where, sizeof where, path, i);
                    return hp_error_set(ld->err, where, "duplicate seed %llu",
                                        (unsigned long long)seed);
                }
            }
        }
        out->seeds[i] = seed;
        out->seed_count = i + 1;
    }
    return 0;
}

static int load_parallel(struct loader *ld, const json_t *v, const char *path)
{
    return load_int(ld, v, path, 1, PARALLEL_MAX, &ld->out->parallel);
}

static int load_threads(struct loader *ld, const json_t *v, const char *path)
{
    return load_int(ld, v, path, 1, THREADS_MAX, &ld->out->threads_per_trial);
}

static int load_retries(struct loader *ld, const json_t *v, const char *path)
{
    return load_int(ld, v, path, 0, RETRIES_MAX, &ld->out->retries);
}

static int load_max_failures(struct loader *ld, const json_t *v, const char *path)
{
    ld->out->max_failures = BUDGET_MAX_FAILURES_AUTO;
    return v ? budget_load_max_failures(v, path, &ld->out->max_failures, ld->err) : 0;
}

static int load_timeout(struct loader *ld, const json_t *v, const char *path)
{
    if (!v)
        return 0;
    char got[128];
    search_space_describe(v, got, sizeof got);
    if (!json_is_number(v) || !(json_number_value(v) > 0))
        return hp_error_set(ld->err, path, "must be a number > 0 (got %s)", got);
    if (json_number_value(v) > TIMEOUT_MAX)
        return hp_error_set(ld->err, path, "must be at most %.0f (got %s)", TIMEOUT_MAX,
                            got);
    ld->out->timeout_s = json_number_value(v);
    return 0;
}

/* A number in [low, high] with a default when absent. */
static int load_number(struct loader *ld, const json_t *v, const char *path, double low,
                       double high, double fallback, double *out)
{
    *out = fallback;
    if (!v)
        return 0;
    char got[128];
    search_space_describe(v, got, sizeof got);
    if (!json_is_number(v) || !(json_number_value(v) >= low) ||
        !(json_number_value(v) <= high))
        return hp_error_set(ld->err, path, "must be a number from %g to %g (got %s)", low,
                            high, got);
    *out = json_number_value(v);
    return 0;
}

/* 64 MiB per stream keeps a chatty night of trials readable and bounded. */
static const double LOG_LIMIT_MB_DEFAULT = 64;
/* 100 MB of headroom: the journal, results and a few checkpoints still fit
 * when the sweep stops launching. */
static const double MIN_FREE_MB_DEFAULT = 100;

static int load_log_limit(struct loader *ld, const json_t *v, const char *path)
{
    return load_number(ld, v, path, 1, 1e6, LOG_LIMIT_MB_DEFAULT, &ld->out->log_limit_mb);
}

static int load_min_free(struct loader *ld, const json_t *v, const char *path)
{
    return load_number(ld, v, path, 0, 1e9, MIN_FREE_MB_DEFAULT, &ld->out->min_free_mb);
}

static int load_tensorboard(struct loader *ld, const json_t *v, const char *path)
{
    ld->out->tensorboard = 0;
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        char got[128];
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path, "must be true or false (got %s)", got);
    }
    ld->out->tensorboard = json_is_true(v);
    return 0;
}

enum { KEEP_TOP_MAX = 1000 };

static int load_keep(struct loader *ld, const json_t *v, const char *path)
{
    ld->out->keep = KEEP_BEST;
    ld->out->keep_top = 1;
    if (!v)
        return 0;
    const char *text = json_string_value(v);
    if (text && strcmp(text, "best") == 0)
        return 0;
    if (text && strcmp(text, "all") == 0) {
        ld->out->keep = KEEP_ALL;
        ld->out->keep_top = 0;
        return 0;
    }
    if (text && strncmp(text, "top-", 4) == 0) {
        char *end;
        errno = 0;
        long k = strtol(text + 4, &end, 10);
        if (!errno && end != text + 4 && !*end && k >= 1 && k <= KEEP_TOP_MAX) {
            ld->out->keep = k == 1 ? KEEP_BEST : KEEP_TOP;
            ld->out->keep_top = (int)k;
            return 0;
        }
    }
    char got[128];
    search_space_describe(v, got, sizeof got);
    return hp_error_set(ld->err, path,
                        "must be \"best\", \"all\" or \"top-K\" with K from 1 to %d (got %s)",
                        KEEP_TOP_MAX, got);
}

/* "workdir": where each trainer runs, "cwd" (hpsearch's directory, the
 * default) or "trial" (its own trial directory). */
static int load_workdir(struct loader *ld, const json_t *v, const char *path)
{
    const char *text = json_string_value(v);
    ld->out->workdir_trial = text && strcmp(text, "trial") == 0;
    if (!v || ld->out->workdir_trial || (text && strcmp(text, "cwd") == 0))
        return 0;
    char got[128];
    search_space_describe(v, got, sizeof got);
    return hp_error_set(ld->err, path, "must be \"cwd\" or \"trial\" (got %s)", got);
}

/* "resources" and "env": per-trial CPUs and GPUs, per-sweep variables. */
static int load_resources(struct loader *ld, const json_t *v, const char *path)
{
    return resources_load(v, path, ld->out->threads_per_trial, &ld->out->resources,
                          ld->err);
}

static int load_env(struct loader *ld, const json_t *v, const char *path)
{
    return resources_load_env(v, path, &ld->out->resources, ld->err);
}

/* "executor": {"type": "local" | "slurm", "gpus": N, "srun_args": [...]}, or
 * just the type as a string. Kept as written; executor.c reads it. */
static int load_executor(struct loader *ld, const json_t *v, const char *path)
{
    ld->out->executor = v;
    ld->out->executor_type = "local";
    if (!v)
        return 0;
    const json_t *type = json_is_object(v) ? json_object_get(v, "type") : v;
    char at[64];
    snprintf(at, sizeof at, "%s%s", path, json_is_object(v) ? ".type" : "");
    if (json_is_object(v)) {
        static const char *const keys[] = {"type", "gpus", "srun_args", NULL};
        if (check_keys(ld, v, path, keys) != 0)
            return -1;
        if (!type)
            return missing_key(ld, path, "type");
        int gpus = 0;
        snprintf(at, sizeof at, "%s.gpus", path);
        if (load_int(ld, json_object_get(v, "gpus"), at, 0, 64, &gpus) != 0)
            return -1;
        const json_t *args = json_object_get(v, "srun_args");
        size_t i;
        const json_t *arg;
        snprintf(at, sizeof at, "%s.srun_args", path);
        if (args && (!json_is_array(args) || json_array_size(args) > 16))
            return hp_error_set(ld->err, at, "must be a list of at most 16 strings");
        json_array_foreach(args, i, arg)
        {
            if (!json_is_string(arg) || json_string_value(arg)[0] != '-')
                return hp_error_set(ld->err, at,
                                    "must be a list of srun options (each a string "
                                    "starting with '-'): element %zu is not",
                                    i);
        }
        snprintf(at, sizeof at, "%s.type", path);
    }
    const char *text = json_string_value(type);
    if (text && (strcmp(text, "local") == 0 || strcmp(text, "slurm") == 0)) {
        ld->out->executor_type = text;
        return 0;
    }
    char got[128];
    search_space_describe(type, got, sizeof got);
    return hp_error_set(ld->err, at, "must be \"local\" or \"slurm\" (got %s)", got);
}

/* ---- params ------------------------------------------------------------- */

struct param_type {
    const char *name;
    enum param_kind kind;
    const char *const *keys; /* the keys its object may hold */
};

static const char *const choice_keys[] = {"type", "values", "when", NULL};
static const char *const range_keys[] = {"type", "low",    "high", "log",
                                         "step", "values", "when", NULL};
static const char *const loguniform_keys[] = {"type",   "low",  "high", "step",
                                              "values", "when", NULL};
static const char *const param_type_names[] = {"choice", "int", "uniform", "loguniform",
                                               NULL};

static const struct param_type param_types[] = {
    {"choice", PARAM_CHOICE, choice_keys},
    {"int", PARAM_INT, range_keys},
    {"uniform", PARAM_UNIFORM, range_keys},
    {"loguniform", PARAM_LOGUNIFORM, loguniform_keys},
};

static int is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* An array must be a non-empty array; each element is checked by the caller. */
static int check_nonempty_array(struct loader *ld, const json_t *v, const char *path,
                                const char *of)
{
    if (!json_is_array(v)) {
        char got[128];
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path, "must be a non-empty array%s (got %s)", of,
                            got);
    }
    if (json_array_size(v) == 0)
        return hp_error_set(ld->err, path, "must not be empty");
    return 0;
}

/* A value of a list and its position in it, for finding repeats. */
struct indexed_value {
    const json_t *value;
    size_t index;
};

static int compare_doubles(double x, double y)
{
    return (x > y) - (x < y);
}

/* Orders scalars so that json_equal ones, and only those, compare 0: by type
 * (an integer and a real are different types, as json_equal has it), then
 * by value. */
static int order_scalars(const json_t *x, const json_t *y)
{
    json_type tx = json_typeof(x);
    json_type ty = json_typeof(y);
    if (tx != ty)
        return (tx > ty) - (tx < ty);
    if (tx == JSON_STRING) {
        size_t nx = json_string_length(x);
        size_t ny = json_string_length(y);
        int c = memcmp(json_string_value(x), json_string_value(y), nx < ny ? nx : ny);
        return c ? c : (nx > ny) - (nx < ny);
    }
    if (tx == JSON_INTEGER) {
        json_int_t vx = json_integer_value(x);
        json_int_t vy = json_integer_value(y);
        return (vx > vy) - (vx < vy);
    }
    if (tx == JSON_REAL)
        return compare_doubles(json_real_value(x), json_real_value(y));
    return 0; /* true, false: one value per type */
}

/* Orders numbers by value, 1 and 1.0 alike. */
static int order_numbers(const json_t *x, const json_t *y)
{
    return compare_doubles(json_number_value(x), json_number_value(y));
}

/* qsort orders: by value, then by position. */
static int sort_scalars(const void *a, const void *b)
{
    const struct indexed_value *x = a;
    const struct indexed_value *y = b;
    int c = order_scalars(x->value, y->value);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int sort_numbers(const void *a, const void *b)
{
    const struct indexed_value *x = a;
    const struct indexed_value *y = b;
    int c = order_numbers(x->value, y->value);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Fails on the first element equal to an earlier one: of all the elements
 * that repeat an earlier value, the one with the lowest index. Equal means
 * equal JSON for choices (1 and 1.0 differ, as they would on a command line)
 * and equal numbers for numeric kinds. The values are sorted with their
 * positions and neighbours compared, n log n: a grid may list a hundred
 * thousand values. */
static int check_distinct(struct loader *ld, const json_t *values, const char *path,
                          int numeric)
{
    size_t n = json_array_size(values);
    if (n < 2)
        return 0;
    struct indexed_value *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return hp_error_set(ld->err, path, "out of memory checking the values");
    for (size_t i = 0; i < n; i++)
        sorted[i] = (struct indexed_value){json_array_get(values, i), i};
    qsort(sorted, n, sizeof *sorted, numeric ? sort_numbers : sort_scalars);
    int (*order)(const json_t *, const json_t *) = numeric ? order_numbers : order_scalars;
    /* Equal values sort by position, so when sorted[k - 1] begins a run of
     * one value, sorted[k] is that value's first repeat. */
    size_t repeat = SIZE_MAX;
    for (size_t k = 1; k < n; k++) {
        int begins_run = k == 1 || order(sorted[k - 2].value, sorted[k - 1].value) != 0;
        if (begins_run && order(sorted[k - 1].value, sorted[k].value) == 0 &&
            sorted[k].index < repeat)
            repeat = sorted[k].index;
    }
    free(sorted);
    if (repeat == SIZE_MAX)
        return 0;
    char where[256];
    char got[128];
    path_index(where, sizeof where, path, repeat);
    search_space_describe(json_array_get(values, repeat), got, sizeof got);
    return hp_error_set(ld->err, where, "duplicate value %s", got);
}

static int load_choice(struct loader *ld, const json_t *obj, const char *path,
                       struct param_spec *spec)
{
    char where[256];
    const json_t *values = json_object_get(obj, "values");
    if (!values)
        return missing_key(ld, path, "values");
    path_key(where, sizeof where, path, "values");
    if (check_nonempty_array(ld, values, where, "") != 0)
        return -1;
    for (size_t i = 0; i < json_array_size(values); i++) {
        const json_t *v = json_array_get(values, i);
        if (!is_scalar(v)) {
            char at[256];
            char got[128];
            path_index(at, sizeof at, where, i);
            search_space_describe(v, got, sizeof got);
            return hp_error_set(
                ld->err, at, "must be a scalar: string, number or boolean (got %s)", got);
        }
    }
    if (check_distinct(ld, values, where, 0) != 0)
        return -1;
    spec->values = json_incref((json_t *)values);
    return 0;
}

/* A number of a numeric kind: an integer (exactly representable) for int. */
static int check_number(struct loader *ld, const json_t *v, const char *path, int integer)
{
    char got[128];
    search_space_describe(v, got, sizeof got);
    if (integer && !json_is_integer(v))
        return hp_error_set(ld->err, path, "must be an integer (got %s)", got);
    if (!json_is_number(v))
        return hp_error_set(ld->err, path, "must be a number (got %s)", got);
    if (integer && fabs(json_number_value(v)) > INT_PARAM_LIMIT)
        return hp_error_set(ld->err, path,
                            "must be between -9007199254740992 and 9007199254740992 "
                            "(got %s)",
                            got);
    return 0;
}

static int load_range(struct loader *ld, const json_t *obj, const char *path,
                      struct param_spec *spec)
{
    char where[256];
    char got[128];
    char other[128];
    int integer = spec->kind == PARAM_INT;
    const json_t *low = json_object_get(obj, "low");
    const json_t *high = json_object_get(obj, "high");
    const json_t *log = json_object_get(obj, "log");
    const json_t *step = json_object_get(obj, "step");
    const json_t *values = json_object_get(obj, "values");
    if (!low)
        return missing_key(ld, path, "low");
    if (!high)
        return missing_key(ld, path, "high");
    path_key(where, sizeof where, path, "low");
    if (check_number(ld, low, where, integer) != 0)
        return -1;
    path_key(where, sizeof where, path, "high");
    if (check_number(ld, high, where, integer) != 0)
        return -1;
    if (log && !json_is_boolean(log)) {
        path_key(where, sizeof where, path, "log");
        search_space_describe(log, got, sizeof got);
        return hp_error_set(ld->err, where, "must be true or false (got %s)", got);
    }
    spec->low = json_number_value(low);
    spec->high = json_number_value(high);
    spec->log = spec->kind == PARAM_LOGUNIFORM || json_is_true(log);
    search_space_describe(low, got, sizeof got);
    search_space_describe(high, other, sizeof other);
    if (spec->log && !(spec->low > 0)) {
        path_key(where, sizeof where, path, "low");
        if (spec->kind == PARAM_LOGUNIFORM)
            return hp_error_set(ld->err, where, "must be > 0 for loguniform (got %s)",
                                got);
        return hp_error_set(ld->err, where, "must be > 0 when \"log\" is true (got %s)",
                            got);
    }
    path_key(where, sizeof where, path, "high");
    if (integer && spec->high < spec->low)
        return hp_error_set(ld->err, where, "must be at least low (got %s < %s)", other,
                            got);
    if (!integer && !(spec->high > spec->low))
        return hp_error_set(ld->err, where, "must be greater than low (got %s <= %s)",
                            other, got);
    if (step) {
        path_key(where, sizeof where, path, "step");
        search_space_describe(step, got, sizeof got);
        if (values)
            return hp_error_set(ld->err, where, "cannot be combined with \"values\"");
        if (integer && (!json_is_integer(step) || json_integer_value(step) < 1))
            return hp_error_set(ld->err, where, "must be an integer >= 1 (got %s)", got);
        if (!json_is_number(step) || !(json_number_value(step) > 0))
            return hp_error_set(ld->err, where, "must be a number > 0 (got %s)", got);
        if (integer && json_number_value(step) > INT_PARAM_LIMIT)
            return hp_error_set(ld->err, where,
                                "must be at most 9007199254740992 (got %s)", got);
        spec->step = json_number_value(step);
        if (search_space_grid_count(spec) > SEARCH_SPACE_GRID_MAX)
            return hp_error_set(ld->err, where,
                                "too small: the range would have more than %zu values "
                                "(got %s)",
                                SEARCH_SPACE_GRID_MAX, got);
    }
    if (values) {
        path_key(where, sizeof where, path, "values");
        if (check_nonempty_array(ld, values, where, " of numbers") != 0)
            return -1;
        search_space_describe(low, got, sizeof got);
        for (size_t i = 0; i < json_array_size(values); i++) {
            const json_t *v = json_array_get(values, i);
            char at[256];
            path_index(at, sizeof at, where, i);
            if (check_number(ld, v, at, integer) != 0)
                return -1;
            double x = json_number_value(v);
            if (x < spec->low || x > spec->high) {
                char value[128];
                search_space_describe(v, value, sizeof value);
                return hp_error_set(ld->err, at, "must be within [%s, %s] (got %s)", got,
                                    other, value);
            }
        }
        if (check_distinct(ld, values, where, 1) != 0)
            return -1;
        spec->values = json_incref((json_t *)values);
    }
    return 0;
}

/* A parameter object: {"type": ..., and the type's keys}. */
static int load_param_object(struct loader *ld, const json_t *obj, const char *path,
                             struct param_spec *spec)
{
    char where[256];
    char got[128];
    const json_t *type = json_object_get(obj, "type");
    if (!type)
        return missing_key(ld, path, "type");
    path_key(where, sizeof where, path, "type");
    const struct param_type *pt = NULL;
    for (size_t i = 0; i < sizeof param_types / sizeof param_types[0]; i++) {
        if (json_is_string(type) &&
            strcmp(json_string_value(type), param_types[i].name) == 0)
            pt = &param_types[i];
    }
    if (!pt) {
        char list[128];
        search_space_describe(type, got, sizeof got);
        join_names(list, sizeof list, param_type_names);
        if (!json_is_string(type))
            return hp_error_set(ld->err, where, "must be a string, one of %s (got %s)",
                                list, got);
        return hp_error_set(ld->err, where, "unknown type %s (valid: %s)", got, list);
    }
    spec->kind = pt->kind;
    if (check_keys(ld, obj, path, pt->keys) != 0)
        return -1;
    if (pt->kind == PARAM_CHOICE)
        return load_choice(ld, obj, path, spec);
    return load_range(ld, obj, path, spec);
}

static int valid_param_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > PARAM_NAME_MAX_LEN)
        return 0;
    if (!(name[0] >= 'a' && name[0] <= 'z') && !(name[0] >= 'A' && name[0] <= 'Z') &&
        name[0] != '_')
        return 0;
    return is_plain_key(name);
}

static int load_params(struct loader *ld, const json_t *v, const char *path)
{
    struct search_space *params = &ld->out->params;
    char got[128];
    if (!v)
        return 0;
    if (!json_is_object(v)) {
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path, "must be an object (got %s)", got);
    }
    size_t n = json_object_size(v);
    params->params = calloc(n ? n : 1, sizeof *params->params);
    if (!params->params)
        return out_of_memory(ld, path);
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)v, name, value)
    {
        char where[256];
        path_key(where, sizeof where, path, name);
        if (!valid_param_name(name)) {
            json_t *s = json_string(name);
            search_space_describe(s, got, sizeof got);
            json_decref(s);
            return hp_error_set(ld->err, path,
                                "invalid parameter name %s (must match "
                                "[A-Za-z_][A-Za-z0-9_-]*, at most %d characters)",
                                got, PARAM_NAME_MAX_LEN);
        }
        if (name_in(name, builtin_placeholders))
            return hp_error_set(ld->err, where,
                                "reserved name (seed, trial_id, trial_dir, gpu and cpus "
                                "are set by hpsearch)");
        struct param_spec *spec = &params->params[params->count];
        memset(spec, 0, sizeof *spec);
        spec->name = strdup(name);
        if (!spec->name)
            return out_of_memory(ld, where);
        /* Counted from here on, so search_space_free releases it on any error. */
        params->count++;
        if (is_scalar(value)) {
            spec->kind = PARAM_CONSTANT;
            spec->value = json_incref(value);
            continue;
        }
        if (!json_is_object(value)) {
            search_space_describe(value, got, sizeof got);
            return hp_error_set(ld->err, where,
                                "must be a constant (string, number or boolean) or an "
                                "object with \"type\" (got %s)",
                                got);
        }
        if (load_param_object(ld, value, where, spec) != 0)
            return -1;
    }
    /* "when" names other parameters, so it is read once all are known. */
    return condition_load(params, v, ld->err);
}

/* ---- strategy ----------------------------------------------------------- */

/* Checks the "strategy" object, then creates and destroys the strategy once so
 * that its own option errors are load errors. Absent means {"type": "grid"}. */
static int load_strategy(struct loader *ld, const json_t *v, const char *path)
{
    struct space *out = ld->out;
    char got[128];
    char list[256];
    if (!v) {
        out->strategy_options = json_pack("{s:s}", "type", "grid");
        if (!out->strategy_options)
            return out_of_memory(ld, path);
    } else {
        if (!json_is_object(v)) {
            search_space_describe(v, got, sizeof got);
            return hp_error_set(ld->err, path, "must be an object with \"type\" (got %s)",
                                got);
        }
        out->strategy_options = json_incref((json_t *)v);
    }
    const json_t *type = json_object_get(out->strategy_options, "type");
    if (!type)
        return missing_key(ld, path, "type");
    strategy_names(list, sizeof list);
    search_space_describe(type, got, sizeof got);
    if (!json_is_string(type))
        return hp_error_set(ld->err, "strategy.type",
                            "must be a string, one of %s (got %s)", list, got);
    const struct strategy_ops *ops = strategy_find(json_string_value(type));
    if (!ops)
        return hp_error_set(ld->err, "strategy.type", "unknown strategy %s (valid: %s)",
                            got, list);
    const char *valid[32] = {"type"};
    size_t n = 1;
    for (size_t i = 0; ops->option_keys[i] && n + 1 < sizeof valid / sizeof valid[0]; i++)
        valid[n++] = ops->option_keys[i];
    valid[n] = NULL;
    if (check_keys(ld, out->strategy_options, path, valid) != 0)
        return -1;
    struct strategy *created = NULL;
    struct strategy_context context = {out->maximize};
    if (ops->create(&out->params, out->strategy_options, &context, &created, ld->err) != 0)
        return -1;
    strategy_destroy(created);
    out->strategy = ops;
    return 0;
}

/* ---- scheduler ---------------------------------------------------------- */

/* The planned number of configs, for a scheduler's create(): the strategy's
 * own count (a fresh instance, so the space's strategy is not disturbed). */
static size_t planned_configs(const struct space *space)
{
    struct strategy *created = NULL;
    struct hp_error ignored;
    hp_error_init(&ignored);
    struct strategy_context context = {space->maximize};
    if (!space->strategy ||
        space->strategy->create(&space->params, space->strategy_options, &context, &created,
                                &ignored) != 0)
        return 0;
    size_t planned = strategy_planned(created);
    strategy_destroy(created);
    return planned;
}

/* Reads an optional string option of "scheduler" that names a parameter or
 * a metric key, into a new string (`fallback` when absent). */
static int scheduler_name_option(struct loader *ld, const json_t *v, const char *key,
                                 const char *fallback, char **out)
{
    const json_t *value = json_object_get(v, key);
    char where[96];
    snprintf(where, sizeof where, "scheduler.%s", key);
    if (value && (!json_is_string(value) || json_string_length(value) == 0 ||
                  !valid_param_name(json_string_value(value)))) {
        char got[128];
        search_space_describe(value, got, sizeof got);
        return hp_error_set(ld->err, where,
                            "must be a name of [A-Za-z_][A-Za-z0-9_-]* (got %s)", got);
    }
    *out = strdup(value ? json_string_value(value) : fallback);
    return *out ? 0 : out_of_memory(ld, where);
}

/* Checks the "scheduler" object and creates the scheduler once, so that its
 * own option errors are load errors. Absent, or "none": no scheduler. */
static int load_scheduler(struct loader *ld, const json_t *v, const char *path)
{
    struct space *out = ld->out;
    char got[128];
    char list[256];
    if (!v)
        return 0;
    if (!json_is_object(v)) {
        search_space_describe(v, got, sizeof got);
        return hp_error_set(ld->err, path, "must be an object with \"type\" (got %s)", got);
    }
    const json_t *type = json_object_get(v, "type");
    if (!type)
        return missing_key(ld, path, "type");
    scheduler_names(list, sizeof list);
    search_space_describe(type, got, sizeof got);
    if (!json_is_string(type))
        return hp_error_set(ld->err, "scheduler.type", "must be a string, one of %s (got %s)",
                            list, got);
    int none = strcmp(json_string_value(type), "none") == 0;
    const struct scheduler_ops *ops = scheduler_find(json_string_value(type));
    if (!ops && !none)
        return hp_error_set(ld->err, "scheduler.type", "unknown scheduler %s (valid: %s)",
                            got, list);
    const char *valid[32] = {"type", "budget_param", "resource"};
    size_t n = 3;
    for (size_t i = 0; ops && ops->option_keys[i] && n + 1 < sizeof valid / sizeof *valid; i++)
        valid[n++] = ops->option_keys[i];
    valid[n] = NULL;
    if (check_keys(ld, v, path, valid) != 0)
        return -1;
    if (none)
        return 0;
    if (scheduler_name_option(ld, v, "budget_param", "epochs", &out->budget_param) != 0 ||
        scheduler_name_option(ld, v, "resource", "epoch", &out->resource_key) != 0)
        return -1;
    for (size_t i = 0; i < out->params.count; i++)
        if (strcmp(out->params.params[i].name, out->budget_param) == 0)
            return hp_error_set(ld->err, "scheduler.budget_param",
                                "\"%s\" is also a parameter (params.%s): the scheduler "
                                "sets the budget; remove one of them",
                                out->budget_param, out->budget_param);
    /* A budget hard-coded in the command would fight the scheduler's: which
     * one a trainer honours depends on its argument parser. */
    size_t flag_len = strlen(out->budget_param);
    for (size_t i = 0; i < out->command_len; i++) {
        const char *arg = out->command[i];
        if (strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, out->budget_param, flag_len) == 0 &&
            (arg[2 + flag_len] == '\0' || arg[2 + flag_len] == '=')) {
            char where[64];
            snprintf(where, sizeof where, "command[%zu]", i);
            return hp_error_set(ld->err, where,
                                "\"%s\" sets the budget, which the scheduler passes "
                                "(scheduler.budget_param is \"%s\"): remove it, or use a "
                                "{%s} placeholder",
                                arg, out->budget_param, out->budget_param);
        }
    }
    /* pbt's population is the sampler's first configs, all drawn before any
     * result: a sampler that waits for results would wait forever. */
    if (strcmp(ops->name, "pbt") == 0 && out->strategy &&
        strcmp(out->strategy->name, "grid") != 0 && strcmp(out->strategy->name, "random") != 0)
        return hp_error_set(ld->err, "scheduler.type",
                            "pbt draws its population from a grid or random strategy (got "
                            "\"%s\")",
                            out->strategy->name);
    struct sched_context context = {planned_configs(out), out->maximize, &out->params};
    struct scheduler *created = NULL;
    if (ops->create(v, &context, &created, ld->err) != 0)
        return -1;
    out->budget_max = created->max_budget;
    scheduler_destroy(created);
    out->scheduler = ops;
    out->scheduler_options = json_incref((json_t *)v);
    return 0;
}

/* The sweep's budgets (budget.h): "max_time" and "max_time_grace" are
 * durations ("8h", "1h30m") or seconds, "max_trials" a count. */
static int load_max_time(struct loader *ld, const json_t *v, const char *path)
{
    return v ? budget_load_duration(v, path, 1, &ld->out->max_time_s, ld->err) : 0;
}

static int load_max_time_grace(struct loader *ld, const json_t *v, const char *path)
{
    ld->out->max_time_grace_s = BUDGET_DEFAULT_GRACE_S;
    return v ? budget_load_duration(v, path, 0, &ld->out->max_time_grace_s, ld->err) : 0;
}

static int load_max_trials(struct loader *ld, const json_t *v, const char *path)
{
    int n = 0;
    int rc = load_int(ld, v, path, 1, 1000000000, &n);
    ld->out->max_trials = n;
    return rc;
}

/* ---- the top level ------------------------------------------------------ */

struct top_key {
    const char *key;
    int (*load)(struct loader *ld, const json_t *value, const char *path);
    int after_params; /* refers to the parameters, so loads after "params" */
};

/* The top level's known keys, in the order the docs list them. Every loader
 * runs, with NULL when its key is absent, and fills the default. */
static const struct top_key top_keys[] = {
    {"name", load_name, 0},
    {"command", load_command, 1},
    {"objective", load_objective, 0},
    {"strategy", load_strategy, 1},
    {"scheduler", load_scheduler, 1},
    {"seeds", load_seeds, 0},
    {"parallel", load_parallel, 0},
    {"threads_per_trial", load_threads, 0},
    {"timeout_s", load_timeout, 0},
    {"retries", load_retries, 0},
    {"max_failures", load_max_failures, 0},
    {"keep_checkpoints", load_keep, 0},
    {"log_limit_mb", load_log_limit, 0},
    {"min_free_mb", load_min_free, 0},
    {"max_time", load_max_time, 0},
    {"max_time_grace", load_max_time_grace, 0},
    {"max_trials", load_max_trials, 0},
    {"tensorboard", load_tensorboard, 0},
    {"params", load_params, 0},
    {"workdir", load_workdir, 0},
    {"resources", load_resources, 0},
    {"env", load_env, 0},
    {"executor", load_executor, 0},
};

enum { TOP_KEY_COUNT = sizeof top_keys / sizeof top_keys[0] };

static int load_document(struct loader *ld, const json_t *root)
{
    if (!json_is_object(root)) {
        char got[128];
        search_space_describe(root, got, sizeof got);
        return hp_error_set(ld->err, NULL, "the top level must be a JSON object (got %s)",
                            got);
    }
    const char *names[TOP_KEY_COUNT + 1];
    for (size_t i = 0; i < TOP_KEY_COUNT; i++)
        names[i] = top_keys[i].key;
    names[TOP_KEY_COUNT] = NULL;
    if (check_keys(ld, root, "", names) != 0)
        return -1;
    ld->out->threads_per_trial = 1;
    ld->out->keep = KEEP_BEST;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < TOP_KEY_COUNT; i++) {
            const struct top_key *k = &top_keys[i];
            if (k->after_params != pass)
                continue;
            if (k->load(ld, json_object_get(root, k->key), k->key) != 0)
                return -1;
        }
    }
    return 0;
}

int space_load_text(const char *text, size_t len, const char *source, struct space *out,
                    struct hp_error *err)
{
    struct hp_error scratch;
    if (!err)
        err = &scratch;
    hp_error_init(err);
    snprintf(err->source, sizeof err->source, "%s", source ? source : "");
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* Jansson points at the last character it read, and reports column 0
         * when it read none on that line (an empty file); editors count from 1. */
        int column = jerr.line > 0 && jerr.column < 1 ? 1 : jerr.column;
        return hp_error_set_at(err, jerr.line, column, "%s", jerr.text);
    }
    out->document = root;
    struct loader ld = {out, err, source ? source : ""};
    if (load_document(&ld, root) != 0) {
        space_free(out);
        return -1;
    }
    return 0;
}

int space_load(const char *path, struct space *out, struct hp_error *err)
{
    struct hp_error scratch;
    if (!err)
        err = &scratch;
    hp_error_init(err);
    snprintf(err->source, sizeof err->source, "%s", path);
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return hp_error_set(err, NULL, "cannot open: %s", strerror(errno));
    char *text = NULL;
    size_t len = 0;
    size_t cap = 0;
    int rc = -1;
    for (;;) {
        if (len == cap) {
            size_t grown = cap ? cap * 2 : 4096;
            char *bigger = realloc(text, grown);
            if (!bigger) {
                hp_error_set(err, NULL, "out of memory");
                goto done;
            }
            text = bigger;
            cap = grown;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (len > SPACE_FILE_MAX) {
            hp_error_set(err, NULL, "larger than %d MiB; not a space file",
                         SPACE_FILE_MAX / (1024 * 1024));
            goto done;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        hp_error_set(err, NULL, "cannot read: %s", strerror(errno));
        goto done;
    }
    rc = space_load_text(text, len, path, out, err);
done:
    free(text);
    fclose(f);
    return rc;
}

void space_free(struct space *space)
{
    free(space->name);
    for (size_t i = 0; i < space->command_len; i++)
        free(space->command[i]);
    free(space->command);
    free(space->objective_metric);
    for (size_t i = 0; i < space->objective_count; i++)
        free(space->objectives[i].metric);
    free(space->objectives);
    json_decref(space->strategy_options);
    json_decref(space->scheduler_options);
    free(space->budget_param);
    free(space->resource_key);
    free(space->seeds);
    search_space_free(&space->params);
    json_decref(space->document);
    resources_spec_free(&space->resources);
    memset(space, 0, sizeof *space);
}
