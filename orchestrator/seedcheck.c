/*
 * Seed-ignoring trainers. See seedcheck.h.
 *
 * Each trial's metric lines are folded into one FNV-1a 64 hash as the
 * journal is read, so memory is one hash per trial whatever the trainers
 * print. A start record that begins from scratch (no resume_from) begins the
 * trial's lines again: only its final attempt counts.
 */
#include "seedcheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal_line.h"
#include "metric_line.h"

struct lines_hash {
    uint64_t hash;
    size_t lines;
};

static const uint64_t FNV_OFFSET = 0xcbf29ce484222325ULL;

static uint64_t fnv1a(uint64_t h, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The slot of (config, seed value) in `hashes`, laid out config by config
 * from `first` (first[c] is config c's first slot); NULL if unknown. */
static struct lines_hash *slot_of(const struct sweep_state *state, const size_t *first,
                                  struct lines_hash *hashes, const json_t *record)
{
    json_t *config = json_object_get(record, "config");
    json_t *seed = json_object_get(record, "seed");
    if (!json_is_integer(config) || !json_is_integer(seed) ||
        json_integer_value(config) < 0 ||
        (size_t)json_integer_value(config) >= state->config_count)
        return NULL;
    size_t c = (size_t)json_integer_value(config);
    const struct config_record *cr = &state->configs[c];
    for (size_t s = 0; s < cr->seed_count; s++)
        if (cr->seeds[s].seed == (uint64_t)json_integer_value(seed))
            return &hashes[first[c] + s];
    return NULL;
}

/* Folds one report's line ("seconds" dropped) into its trial's hash. */
static void fold_line(struct lines_hash *slot, const json_t *line)
{
    json_t *copy = json_deep_copy(line);
    json_object_del(copy, "seconds");
    char *text = copy ? hp_json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(copy);
    if (!text)
        return;
    slot->hash = fnv1a(slot->hash, text, strlen(text) + 1); /* the NUL separates lines */
    slot->lines++;
    free(text);
}

static int read_hashes(const struct sweep_state *state, const char *dir,
                       const size_t *first, struct lines_hash *hashes,
                       struct hp_error *err)
{
    struct journal_line_reader reader;
    int rc = journal_line_open(&reader, dir, err);
    if (rc < 0)
        return -1;
    while ((rc = journal_line_next(&reader, err)) == 1) {
        if (!strstr(reader.line, "\"start\"") && !strstr(reader.line, "\"report\""))
            continue; /* most records: skip the parse */
        json_t *record = json_loadb(reader.line, reader.len, 0, NULL);
        const char *event = json_string_value(json_object_get(record, "event"));
        struct lines_hash *slot = event ? slot_of(state, first, hashes, record) : NULL;
        if (slot && strcmp(event, "start") == 0 &&
            !json_is_string(json_object_get(record, "resume_from")))
            *slot = (struct lines_hash){FNV_OFFSET, 0};
        else if (slot && strcmp(event, "report") == 0 &&
                 json_is_object(json_object_get(record, "line")))
            fold_line(slot, json_object_get(record, "line"));
        json_decref(record);
    }
    journal_line_close(&reader);
    return rc < 0 ? -1 : 0;
}

int seedcheck_find(const struct sweep_state *state, const char *dir, size_t **configs,
                   size_t *count, struct hp_error *err)
{
    *configs = NULL;
    *count = 0;
    size_t trials = 0;
    size_t *first = calloc(state->config_count + 1, sizeof *first);
    for (size_t c = 0; first && c < state->config_count; c++) {
        first[c] = trials;
        trials += state->configs[c].seed_count;
    }
    struct lines_hash *hashes = first ? calloc(trials + 1, sizeof *hashes) : NULL;
    size_t *found = hashes ? calloc(state->config_count + 1, sizeof *found) : NULL;
    int rc = -1;
    if (!found) {
        hp_error_set(err, "", "out of memory");
        goto out;
    }
    if (read_hashes(state, dir, first, hashes, err) < 0)
        goto out;
    for (size_t c = 0; c < state->config_count; c++) {
        const struct config_record *config = &state->configs[c];
        size_t ok = 0;
        int same = 1;
        const struct lines_hash *seen = NULL;
        for (size_t s = 0; s < config->seed_count && same; s++) {
            const struct lines_hash *h = &hashes[first[c] + s];
            if (config->seeds[s].status != SEED_OK)
                continue;
            ok++;
            same = h->lines > 0 &&
                   (!seen || (h->hash == seen->hash && h->lines == seen->lines));
            seen = h;
        }
        if (same && ok >= 2)
            found[(*count)++] = c;
    }
    rc = 0;
out:
    free(first);
    free(hashes);
    if (rc == 0 && *count > 0)
        *configs = found;
    else
        free(found);
    return rc;
}

/* How many config numbers the warning lists before "and N more". */
enum { LISTED_CONFIGS = 5 };

void seedcheck_print_warning(const size_t *configs, size_t count, FILE *out)
{
    if (count == 0)
        return;
    fprintf(out, "warning: every seed of config%s ", count == 1 ? "" : "s");
    for (size_t i = 0; i < count && i < LISTED_CONFIGS; i++)
        fprintf(out, "%s%zu", i ? ", " : "", configs[i]);
    if (count > LISTED_CONFIGS)
        fprintf(out, " and %zu more", count - LISTED_CONFIGS);
    fprintf(out,
            " reported bit-identical metric lines: the trainer probably ignores its "
            "seed. Pass it with {seed} in \"command\" (e.g. \"--seed\", \"{seed}\") or "
            "read HPSEARCH_SEED, or the seed-to-seed spread (std, 95%% CI) means "
            "nothing.\n");
}

void seedcheck_warn(const struct sweep_state *state, const char *dir, FILE *out)
{
    struct hp_error err;
    hp_error_init(&err);
    size_t *configs = NULL;
    size_t count = 0;
    if (seedcheck_find(state, dir, &configs, &count, &err) < 0) {
        char text[2048];
        fprintf(out, "note: could not check whether the trainer uses its seed: %s\n",
                hp_error_format(&err, text, sizeof text));
        return;
    }
    seedcheck_print_warning(configs, count, out);
    free(configs);
}
