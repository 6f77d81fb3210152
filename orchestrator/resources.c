/*
 * Per-trial CPUs and GPUs, and the per-sweep environment. See resources.h.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_ISSET */
#include "resources.h"

#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_space.h"

static const int RESOURCES_CPUS_MAX = 4096;
static const int RESOURCES_GPUS_MAX = 64;

static int must_be_int(const json_t *v, const char *path, int min, int max, int *out,
                       struct hp_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max) {
        char got[128];
        search_space_describe(v, got, sizeof got);
        return hp_error_set(err, path, "must be an integer from %d to %d (got %s)", min,
                            max, got);
    }
    *out = (int)json_integer_value(v);
    return 0;
}

int resources_parse_id_list(const char *text, char **ids, size_t max)
{
    size_t n = 0;
    while (*text && n < max) {
        size_t len = strcspn(text, ",");
        size_t start = 0;
        while (start < len && isspace((unsigned char)text[start]))
            start++;
        size_t end = len;
        while (end > start && isspace((unsigned char)text[end - 1]))
            end--;
        if (end > start && text[start] == '-')
            break; /* as CUDA reads it: "-1" hides every GPU from there on */
        if (end > start) {
            ids[n] = strndup(text + start, end - start);
            if (!ids[n]) {
                while (n)
                    free(ids[--n]);
                return -1;
            }
            n++;
        }
        text += len + (text[len] == ',');
    }
    return (int)n;
}

/* `nvidia-smi -L` prints "GPU 0: <name> (UUID: ...)" for each GPU. */
static int gpus_from_nvidia_smi(char **ids, size_t max)
{
    FILE *p = popen("nvidia-smi -L 2>/dev/null", "r");
    if (!p)
        return 0;
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned index;
        char id[16];
        if (n < max && sscanf(line, "GPU %u:", &index) == 1) {
            snprintf(id, sizeof id, "%u", index);
            if ((ids[n] = strdup(id)) != NULL)
                n++;
        }
    }
    pclose(p);
    return (int)n;
}

static int load_gpu_ids(const json_t *list, const char *path, struct resources_spec *out,
                        struct hp_error *err)
{
    char where[300];
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > (size_t)RESOURCES_GPUS_MAX) {
        char got[128];
        search_space_describe(list, got, sizeof got);
        return hp_error_set(err, path,
                            "must be a non-empty list of at most %d GPU ids (got %s)",
                            RESOURCES_GPUS_MAX, got);
    }
    out->gpu_ids = calloc(json_array_size(list), sizeof *out->gpu_ids);
    if (!out->gpu_ids)
        return hp_error_set(err, path, "out of memory");
    size_t i;
    const json_t *id;
    json_array_foreach(list, i, id)
    {
        snprintf(where, sizeof where, "%s[%zu]", path, i);
        char text[64];
        if (json_is_integer(id) && json_integer_value(id) >= 0)
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(id));
        else if (json_is_string(id) && json_string_length(id) > 0 &&
                 json_string_length(id) < sizeof text &&
                 !strpbrk(json_string_value(id), ", \t\n"))
            snprintf(text, sizeof text, "%s", json_string_value(id));
        else {
            char got[128];
            search_space_describe(id, got, sizeof got);
            return hp_error_set(err, where,
                                "must be a GPU index >= 0 or a GPU UUID string (got %s)",
                                got);
        }
        for (size_t j = 0; j < out->gpu_count; j++)
            if (strcmp(out->gpu_ids[j], text) == 0)
                return hp_error_set(err, where, "duplicate GPU id %s", text);
        if (!(out->gpu_ids[out->gpu_count] = strdup(text)))
            return hp_error_set(err, where, "out of memory");
        out->gpu_count++;
    }
    return 0;
}

int resources_find_gpus(struct resources_spec *out, struct hp_error *err)
{
    const char *path = "resources.gpus";
    if (out->gpus == 0 || out->gpu_count > 0)
        return 0;
    char *found[RESOURCES_MAX_IDS];
    const char *visible = getenv("CUDA_VISIBLE_DEVICES");
    const char *from = "CUDA_VISIBLE_DEVICES";
    int n = visible ? resources_parse_id_list(visible, found, RESOURCES_GPUS_MAX) : 0;
    if (!visible) {
        from = "nvidia-smi -L";
        n = gpus_from_nvidia_smi(found, RESOURCES_GPUS_MAX);
    }
    if (n < 0)
        return hp_error_set(err, path, "out of memory");
    if (n == 0)
        return hp_error_set(err, path,
                            "asks for %d GPU%s per trial, but this machine has none "
                            "(%s lists none; give the pool as resources.gpu_ids)",
                            out->gpus, out->gpus == 1 ? "" : "s", from);
    out->gpu_ids = calloc((size_t)n, sizeof *out->gpu_ids);
    if (!out->gpu_ids) {
        for (int i = 0; i < n; i++)
            free(found[i]);
        return hp_error_set(err, path, "out of memory");
    }
    memcpy(out->gpu_ids, found, (size_t)n * sizeof *found);
    out->gpu_count = (size_t)n;
    if ((size_t)out->gpus > out->gpu_count)
        return hp_error_set(err, path,
                            "asks for %d GPUs per trial, but %s lists only %zu",
                            out->gpus, from, out->gpu_count);
    return 0;
}

int resources_load(const json_t *v, const char *path, int threads,
                   struct resources_spec *out, struct hp_error *err)
{
    out->cpus = threads > 0 ? threads : 1;
    out->gpus = 0;
    if (!v)
        return 0;
    char where[256];
    if (!json_is_object(v)) {
        char got[128];
        search_space_describe(v, got, sizeof got);
        return hp_error_set(err, path,
                            "must be an object like {\"cpus\": 2, \"gpus\": 1} "
                            "(got %s)",
                            got);
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)v, key, value)
    {
        if (strcmp(key, "cpus") && strcmp(key, "gpus") && strcmp(key, "gpu_ids")) {
            snprintf(where, sizeof where, "%s.%s", path, key);
            return hp_error_set(err, where, "unknown key (valid: cpus, gpus, gpu_ids)");
        }
    }
    out->given = 1;
    value = json_object_get(v, "cpus");
    snprintf(where, sizeof where, "%s.cpus", path);
    if (value && must_be_int(value, where, 1, RESOURCES_CPUS_MAX, &out->cpus, err) < 0)
        return -1;
    value = json_object_get(v, "gpus");
    snprintf(where, sizeof where, "%s.gpus", path);
    if (value && must_be_int(value, where, 0, RESOURCES_GPUS_MAX, &out->gpus, err) < 0)
        return -1;
    value = json_object_get(v, "gpu_ids");
    if (value) {
        char ids_path[256];
        snprintf(ids_path, sizeof ids_path, "%s.gpu_ids", path);
        if (load_gpu_ids(value, ids_path, out, err) < 0)
            return -1;
    }
    if (value && (size_t)out->gpus > out->gpu_count)
        return hp_error_set(err, where,
                            "asks for %d GPUs per trial, but the pool holds only %zu",
                            out->gpus, out->gpu_count);
    return 0;
}

int resources_load_env(const json_t *v, const char *path, struct resources_spec *out,
                       struct hp_error *err)
{
    if (!v)
        return 0;
    if (!json_is_object(v)) {
        char got[128];
        search_space_describe(v, got, sizeof got);
        return hp_error_set(err, path,
                            "must be an object of strings, like {\"NAME\": \"value\"} "
                            "(got %s)",
                            got);
    }
    out->env = calloc(json_object_size(v) + 1, sizeof *out->env);
    if (!out->env)
        return hp_error_set(err, path, "out of memory");
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)v, name, value)
    {
        char where[512];
        snprintf(where, sizeof where, "%s.%s", path, name);
        if (!*name || strchr(name, '='))
            return hp_error_set(err, where,
                                "invalid variable name (must be non-empty, without '=')");
        if (strncmp(name, "HPSEARCH_", 9) == 0)
            return hp_error_set(
                err, where, "reserved name (HPSEARCH_* variables are set by hpsearch)");
        if (strcmp(name, "OMP_NUM_THREADS") == 0 ||
            strcmp(name, "OPENBLAS_NUM_THREADS") == 0)
            return hp_error_set(err, where, "set by hpsearch from threads_per_trial");
        if (strcmp(name, "CUDA_VISIBLE_DEVICES") == 0 && out->gpus > 0)
            return hp_error_set(err, where, "set by hpsearch from resources.gpus");
        if (!json_is_string(value)) {
            char got[128];
            search_space_describe(value, got, sizeof got);
            return hp_error_set(err, where, "must be a string (got %s)", got);
        }
        size_t size = strlen(name) + json_string_length(value) + 2;
        char *entry = malloc(size);
        if (!entry)
            return hp_error_set(err, where, "out of memory");
        snprintf(entry, size, "%s=%s", name, json_string_value(value));
        out->env[out->env_count++] = entry;
    }
    return 0;
}

void resources_spec_free(struct resources_spec *spec)
{
    for (size_t i = 0; i < spec->gpu_count; i++)
        free(spec->gpu_ids[i]);
    free(spec->gpu_ids);
    for (size_t i = 0; i < spec->env_count; i++)
        free(spec->env[i]);
    free(spec->env);
    memset(spec, 0, sizeof *spec);
}

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int resources_pool_init(struct resource_pool *pool, const int *cpus, int cpu_count,
                        char *const *gpu_ids, int gpu_count, int cpus_per_trial,
                        int gpus_per_trial, struct hp_error *err)
{
    memset(pool, 0, sizeof *pool);
    if (cpu_count > RESOURCES_MAX_IDS)
        cpu_count = RESOURCES_MAX_IDS;
    if (gpu_count > RESOURCES_MAX_IDS)
        gpu_count = RESOURCES_MAX_IDS;
    memcpy(pool->cpu, cpus, (size_t)cpu_count * sizeof *cpus);
    qsort(pool->cpu, (size_t)cpu_count, sizeof *pool->cpu, compare_ints);
    pool->cpu_count = cpu_count;
    pool->gpu_ids = gpu_ids;
    pool->gpu_count = gpu_count;
    pool->cpus_per_trial = cpus_per_trial;
    pool->gpus_per_trial = gpus_per_trial;
    if (cpus_per_trial > cpu_count)
        return hp_error_set(err, "resources.cpus",
                            "asks for %d CPUs per trial, but hpsearch may use only %d",
                            cpus_per_trial, cpu_count);
    if (gpus_per_trial > gpu_count)
        return hp_error_set(err, "resources.gpus",
                            "asks for %d GPUs per trial, but the pool holds only %d",
                            gpus_per_trial, gpu_count);
    return 0;
}

int resources_pool_init_local(struct resource_pool *pool,
                              const struct resources_spec *spec, struct hp_error *err)
{
    cpu_set_t set;
    int cpus[RESOURCES_MAX_IDS];
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return hp_error_set(err, "resources", "cannot read hpsearch's CPU affinity");
    for (int cpu = 0; cpu < CPU_SETSIZE && n < RESOURCES_MAX_IDS; cpu++)
        if (CPU_ISSET(cpu, &set))
            cpus[n++] = cpu;
    return resources_pool_init(pool, cpus, n, spec->gpu_ids, (int)spec->gpu_count,
                               spec->cpus, spec->gpus, err);
}

int resources_pool_capacity(const struct resource_pool *pool)
{
    int by_cpu = pool->cpus_per_trial > 0 ? pool->cpu_count / pool->cpus_per_trial
                                          : RESOURCES_MAX_IDS;
    int by_gpu = pool->gpus_per_trial > 0 ? pool->gpu_count / pool->gpus_per_trial
                                          : RESOURCES_MAX_IDS;
    return by_cpu < by_gpu ? by_cpu : by_gpu;
}

/* The lowest `want` free slots of busy[count] into got[]; 0, or -1 if fewer. */
static int lowest_free(const unsigned char *busy, int count, int want, int *got)
{
    int n = 0;
    for (int i = 0; i < count && n < want; i++)
        if (!busy[i])
            got[n++] = i;
    return n == want ? 0 : -1;
}

int resources_acquire(struct resource_pool *pool, struct resource_grant *out)
{
    int cpu_slots[RESOURCES_MAX_IDS];
    memset(out, 0, sizeof *out);
    if (lowest_free(pool->cpu_busy, pool->cpu_count, pool->cpus_per_trial, cpu_slots) <
            0 ||
        lowest_free(pool->gpu_busy, pool->gpu_count, pool->gpus_per_trial, out->gpu) < 0)
        return -1;
    for (int i = 0; i < pool->cpus_per_trial; i++) {
        pool->cpu_busy[cpu_slots[i]] = 1;
        out->cpu[i] = pool->cpu[cpu_slots[i]];
    }
    out->cpu_count = pool->cpus_per_trial;
    for (int i = 0; i < pool->gpus_per_trial; i++)
        pool->gpu_busy[out->gpu[i]] = 1;
    out->gpu_count = pool->gpus_per_trial;
    return 0;
}

void resources_release(struct resource_pool *pool, const struct resource_grant *grant)
{
    for (int i = 0; i < grant->cpu_count; i++)
        for (int j = 0; j < pool->cpu_count; j++)
            if (pool->cpu[j] == grant->cpu[i])
                pool->cpu_busy[j] = 0;
    for (int i = 0; i < grant->gpu_count; i++)
        if (grant->gpu[i] >= 0 && grant->gpu[i] < pool->gpu_count)
            pool->gpu_busy[grant->gpu[i]] = 0;
}

void resources_grant_cpus_text(const struct resource_grant *grant, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < grant->cpu_count && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%d", i ? "," : "", grant->cpu[i]);
        used += n > 0 ? (size_t)n : 0;
    }
}

void resources_grant_gpus_text(const struct resource_pool *pool,
                               const struct resource_grant *grant, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < grant->gpu_count && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? "," : "",
                         pool->gpu_ids[grant->gpu[i]]);
        used += n > 0 ? (size_t)n : 0;
    }
}

json_t *resources_grant_cpus_json(const struct resource_grant *grant)
{
    json_t *list = json_array();
    for (int i = 0; list && i < grant->cpu_count; i++)
        json_array_append_new(list, json_integer(grant->cpu[i]));
    return list;
}

json_t *resources_grant_gpus_json(const struct resource_pool *pool,
                                  const struct resource_grant *grant)
{
    json_t *list = json_array();
    for (int i = 0; list && i < grant->gpu_count; i++) {
        const char *id = pool->gpu_ids[grant->gpu[i]];
        int numeric = *id && strspn(id, "0123456789") == strlen(id) && strlen(id) < 10;
        json_array_append_new(list, numeric ? json_integer(strtol(id, NULL, 10))
                                            : json_string(id));
    }
    return list;
}
