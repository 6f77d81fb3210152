/*
 * Command template expansion. See command.h.
 */
#include "command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metric_line.h"

char *command_format_value(const json_t *value)
{
    char buf[64];
    switch (json_typeof(value)) {
    case JSON_STRING:
        return strdup(json_string_value(value));
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(value));
        return strdup(buf);
    case JSON_REAL:
        hp_format_number(buf, sizeof buf, json_real_value(value));
        return strdup(buf);
    case JSON_TRUE:
        return strdup("true");
    case JSON_FALSE:
        return strdup("false");
    default:
        return strdup("null");
    }
}

/* A growable string for one expanded element. */
struct text {
    char *data;
    size_t len, cap;
};

static int text_append(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown)
            return -1;
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
    return 0;
}

/* Expands one template element; marks used params in `used` (one flag per key
 * of `params` in iteration order). Returns a new string or NULL with err set. */
static char *expand(const char *tmpl, size_t element, const json_t *params,
                    const struct trial_identity *who, unsigned char *used,
                    struct hp_error *err)
{
    struct text out = {0};
    char path[64];
    snprintf(path, sizeof path, "command[%zu]", element);
    if (text_append(&out, "", 0) < 0)
        goto fail;
    for (const char *p = tmpl; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            /* A doubled brace is a literal one: --config={{"a": 1}}. */
            if (text_append(&out, p, 1) < 0)
                goto fail;
            p += 2;
            continue;
        }
        if (*p != '{') {
            size_t n = strcspn(p, "{}");
            if (n == 0)
                n = 1; /* a lone '}' (the space loader rejects it first) */
            if (text_append(&out, p, n) < 0)
                goto fail;
            p += n;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) {
            hp_error_set(err, path, "unterminated placeholder in \"%s\"", tmpl);
            goto fail;
        }
        char name[256];
        size_t n = (size_t)(close - p - 1);
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, p + 1, n);
        name[n] = '\0';
        char *value = NULL;
        char scratch[32];
        if (strcmp(name, "seed") == 0) {
            snprintf(scratch, sizeof scratch, "%llu", (unsigned long long)who->seed);
            value = strdup(scratch);
        } else if (strcmp(name, "trial_id") == 0) {
            value = strdup(who->trial_id);
        } else if (strcmp(name, "trial_dir") == 0) {
            value = strdup(who->trial_dir);
        } else if (strcmp(name, "gpu") == 0 || strcmp(name, "cpus") == 0) {
            const char *ids = name[0] == 'g' ? who->gpus : who->cpus;
            value = strdup(ids ? ids : "");
        } else {
            size_t index = 0;
            int found = 0;
            const char *key;
            const json_t *v;
            json_object_foreach((json_t *)params, key, v) {
                if (strcmp(key, name) == 0) {
                    value = command_format_value(v);
                    used[index] = 1;
                    found = 1;
                    break;
                }
                index++;
            }
            if (!found) {
                hp_error_set(err, path, "unknown placeholder {%s}", name);
                goto fail;
            }
        }
        int rc = value ? text_append(&out, value, strlen(value)) : -1;
        free(value);
        if (rc < 0)
            goto fail;
        p = close + 1;
    }
    return out.data;
fail:
    if (!err->message[0])
        hp_error_set(err, path, "out of memory");
    free(out.data);
    return NULL;
}

int command_build(char *const *template_argv, const json_t *params,
                  const struct trial_identity *who, const char *trainer_path,
                  char ***argv_out, struct hp_error *err)
{
    size_t n_template = 0;
    while (template_argv[n_template])
        n_template++;
    size_t n_params = json_object_size(params);
    char **argv = calloc(n_template + n_params + 1, sizeof *argv);
    unsigned char *used = calloc(n_params + 1, 1);
    size_t argc = 0;
    if (!argv || !used) {
        hp_error_set(err, "command", "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n_template; i++) {
        if (i == 0 && trainer_path && strcmp(template_argv[0], "hpsearch-train") == 0)
            argv[argc] = strdup(trainer_path);
        else
            argv[argc] = expand(template_argv[i], i, params, who, used, err);
        if (!argv[argc++])
            goto fail;
    }
    size_t index = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)params, key, v) {
        if (!used[index++]) {
            /* argparse's store_true: true is a bare flag, false no flag. */
            if (json_is_false(v))
                continue;
            if (json_is_true(v)) {
                size_t size = strlen(key) + 3;
                argv[argc] = malloc(size);
                if (argv[argc])
                    snprintf(argv[argc], size, "--%s", key);
                if (!argv[argc++]) {
                    hp_error_set(err, "command", "out of memory");
                    goto fail;
                }
                continue;
            }
            char *value = command_format_value(v);
            size_t size = strlen(key) + (value ? strlen(value) : 0) + 4;
            argv[argc] = value ? malloc(size) : NULL;
            if (argv[argc])
                snprintf(argv[argc], size, "--%s=%s", key, value);
            free(value);
            if (!argv[argc++]) {
                hp_error_set(err, "command", "out of memory");
                goto fail;
            }
        }
    }
    free(used);
    *argv_out = argv;
    return 0;
fail:
    free(used);
    command_argv_free(argv);
    *argv_out = NULL;
    return -1;
}

void command_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}
