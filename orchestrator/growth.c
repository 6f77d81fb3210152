/*
 * Growing a sweep. See growth.h.
 */
#include "growth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "journal.h"
#include "journal_line.h"
#include "metric_line.h"
#include "path.h"
#include "state.h"

/* space.json is written as this dump of the document (sweep.c's write_space),
 * so a document and its file hash alike. */
static const size_t SPACE_DUMP_FLAGS = JSON_INDENT(2) | JSON_PRESERVE_ORDER;

/* What the journal says space.json may be: the latest sweep_start or grow
 * record's hash and strategy.trials. */
struct recorded_space {
    char hash[24];
    json_t *trials;   /* its strategy.trials (owned); JSON null when none */
    int knows_trials; /* the record says; journals before growth do not */
    size_t planned;   /* sweep_start's planned_trials (fallback for those) */
};

/* Returns the number of configs the strategy of `space` with strategy options
 * `options` (borrowed) plans, or 0 with `err` set when they do not load. */
static size_t planned_configs(const struct space *space, const json_t *options,
                              struct hp_error *err)
{
    struct strategy *strategy = NULL;
    struct strategy_context context = {space->maximize};
    if (space->strategy->create(&space->params, options, &context, &strategy, err) < 0)
        return 0;
    size_t planned = strategy_planned(strategy);
    strategy_destroy(strategy);
    return planned;
}

/* The document with strategy.trials set to `trials` (deleted when it is JSON
 * null), dumped as space.json is written: a new string, or NULL. */
static char *space_text_with_trials(const json_t *document, const json_t *trials)
{
    json_t *copy = json_deep_copy(document);
    json_t *strategy = json_object_get(copy, "strategy");
    char *text = NULL;
    if (json_is_object(strategy)) {
        if (json_is_null(trials))
            json_object_del(strategy, "trials");
        else
            json_object_set(strategy, "trials", (json_t *)trials);
        text = hp_json_dumps(copy, SPACE_DUMP_FLAGS);
    }
    json_decref(copy);
    return text;
}

static int hash_of_text(const char *text, char hash[24])
{
    if (!text)
        return -1;
    state_hash_text(text, strlen(text), hash);
    return 0;
}

/* Reads the latest sweep_start or grow record of the journal of `dir`.
 * Returns 0, or what journal_line_open and journal_line_next return. */
static int read_recorded(const char *dir, struct recorded_space *out,
                         struct hp_error *err)
{
    memset(out, 0, sizeof *out);
    struct journal_line_reader reader;
    int rc = journal_line_open(&reader, dir, err);
    if (rc < 0)
        return rc;
    static const char START[] = "{\"event\":\"sweep_start\"";
    static const char GROW[] = "{\"event\":\"grow\"";
    while ((rc = journal_line_next(&reader, err)) == 1) {
        int start = strncmp(reader.line, START, sizeof START - 1) == 0;
        if (!start && strncmp(reader.line, GROW, sizeof GROW - 1) != 0)
            continue;
        json_t *record = json_loadb(reader.line, reader.len, 0, NULL);
        const char *hash = json_string_value(json_object_get(record, "space_hash"));
        snprintf(out->hash, sizeof out->hash, "%s", hash ? hash : "");
        json_t *trials = json_object_get(record, "trials");
        json_decref(out->trials);
        out->trials = json_incref(trials ? trials : json_null());
        out->knows_trials = trials != NULL;
        if (start)
            out->planned =
                (size_t)json_integer_value(json_object_get(record, "planned_trials"));
        json_decref(record);
    }
    journal_line_close(&reader);
    if (rc < 0) {
        json_decref(out->trials);
        out->trials = NULL;
        return rc;
    }
    return 0;
}

/* Reads the file at `path` into a new string (*len bytes). */
static char *read_file(const char *path, size_t *len, struct hp_error *err)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        hp_error_set(err, "", "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    char buf[65536];
    size_t n;
    while (out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    if (!out) {
        hp_error_set(err, "", "out of memory");
        return NULL;
    }
    fclose(out);
    return text;
}

/* Whether the space, with strategy.trials put back to `trials`, is the one
 * whose hash is `recorded`: then strategy.trials is all that changed. */
static int only_trials_differ(const struct space *space, const json_t *trials,
                              const char *recorded)
{
    char hash[24];
    char *text = space_text_with_trials(space->document, trials);
    int same = hash_of_text(text, hash) == 0 && strcmp(hash, recorded) == 0;
    free(text);
    return same;
}

int growth_check(const char *dir, const struct space *space, struct growth *out,
                 struct hp_error *err)
{
    memset(out, 0, sizeof *out);
    struct recorded_space rec;
    int rc = read_recorded(dir, &rec, err);
    if (rc < 0)
        return rc;
    char path[HP_PATH_MAX];
    size_t len = 0;
    char *text = NULL;
    json_t *old_trials = NULL;
    rc = -1;
    if (hp_path_join(path, sizeof path, err, dir, "space.json", NULL) < 0 ||
        !(text = read_file(path, &len, err)))
        goto done;
    /* The file as written, or the same document written by someone else's
     * editor: the hash of its canonical dump is what a grow record keeps. */
    char raw_hash[24];
    state_hash_text(text, len, raw_hash);
    char *canonical = hp_json_dumps(space->document, SPACE_DUMP_FLAGS);
    int hashed = hash_of_text(canonical, out->space_hash);
    free(canonical);
    if (hashed < 0) {
        hp_error_set(err, "", "out of memory");
        goto done;
    }
    size_t now = planned_configs(space, space->strategy_options, err);
    if (now == 0)
        goto done;
    out->from = out->to = now;
    if (strcmp(raw_hash, rec.hash) == 0 || strcmp(out->space_hash, rec.hash) == 0) {
        rc = 0;
        goto done;
    }
    /* Edited: acceptable only when putting strategy.trials back gives the
     * recorded file. A journal from before growth does not record trials:
     * then the planned count stands for them (without a scheduler, whose
     * extra configs it would include). */
    if (only_trials_differ(space, rec.trials, rec.hash)) {
        old_trials = json_incref(rec.trials);
    } else if (!rec.knows_trials && !space->scheduler && space->seed_count > 0) {
        json_t *guess = json_integer((json_int_t)(rec.planned / space->seed_count));
        if (only_trials_differ(space, guess, rec.hash))
            old_trials = json_incref(guess);
        json_decref(guess);
    }
    if (!old_trials) {
        hp_error_set(
            err, "",
            "%s was edited since the sweep started (the journal recorded space "
            "%s, the file is now %s); results would mix two spaces: restore it, "
            "or start a new sweep with hpsearch run (the one edit resume accepts "
            "is a larger strategy.trials, which grows the sweep)",
            path, rec.hash[0] ? rec.hash : "?", raw_hash);
        goto done;
    }
    json_t *options = json_deep_copy(space->strategy_options);
    if (json_is_null(old_trials))
        json_object_del(options, "trials");
    else
        json_object_set(options, "trials", old_trials);
    out->from = planned_configs(space, options, err);
    json_decref(options);
    if (out->from == 0)
        goto done;
    if (out->to < out->from) {
        hp_error_set(
            err, "",
            "%s: strategy.trials: a sweep cannot shrink: it has %zu configs, the "
            "file now says %zu; restore strategy.trials, or start a new sweep",
            path, out->from, out->to);
        goto done;
    }
    rc = 0;
done:
    json_decref(old_trials);
    json_decref(rec.trials);
    free(text);
    return rc;
}

json_t *growth_trials_value(const struct space *space)
{
    json_t *trials = json_object_get(space->strategy_options, "trials");
    return json_incref(trials ? trials : json_null());
}

json_t *growth_record(const struct growth *g, const struct space *space, double time)
{
    return json_pack("{s:s, s:I, s:I, s:o, s:s, s:f}", "event", "grow", "from",
                     (json_int_t)g->from, "configs", (json_int_t)g->to, "trials",
                     growth_trials_value(space), "space_hash", g->space_hash, "time",
                     time);
}

int growth_set_trials(const char *dir, long trials, struct hp_error *err)
{
    struct space space;
    char *text = NULL;
    char message[2048];
    char space_path[HP_PATH_MAX];
    int rc = -1;
    if (hp_path_join(space_path, sizeof space_path, err, dir, "space.json", NULL) < 0)
        return -1;
    /* The running hpsearch holds the space in memory: growing it under that
     * run would leave its journal and space.json disagreeing. */
    long writer = journal_writer_pid(dir);
    if (writer > 0)
        return hp_error_set(
            err, "",
            "option --trials: %s is in use by another hpsearch (pid %ld); "
            "grow it once that run has ended",
            dir, writer);
    if (space_load(space_path, &space, err) < 0)
        return -1;
    hp_error_init(err);
    snprintf(err->source, sizeof err->source, "option --trials");
    size_t now = planned_configs(&space, space.strategy_options, err);
    if (now == 0)
        goto done;
    if ((size_t)trials < now) {
        hp_error_set(err, "", "a sweep cannot shrink: it has %zu configs (got %ld)", now,
                     trials);
        goto done;
    }
    if ((size_t)trials == now) {
        rc = 0;
        goto done;
    }
    if (space.scheduler && strcmp(space.scheduler->name, "pbt") == 0) {
        hp_error_set(err, "",
                     "a pbt sweep cannot grow: its population (scheduler.population) is "
                     "its configs");
        goto done;
    }
    json_t *value = json_integer(trials);
    text = space_text_with_trials(space.document, value);
    json_decref(value);
    if (!text) {
        hp_error_set(err, "", "out of memory");
        goto done;
    }
    /* The grown space must load as any space does (a grid caps trials). */
    struct space grown;
    struct hp_error why;
    if (space_load_text(text, strlen(text), space_path, &grown, &why) < 0) {
        hp_error_init(err);
        snprintf(err->source, sizeof err->source, "option --trials");
        hp_error_set(err, "", "%s%s%s", why.path, why.path[0] ? ": " : "", why.message);
        goto done;
    }
    space_free(&grown);
    struct hp_error write_err;
    hp_error_init(&write_err);
    if (fsutil_write_atomic(space_path, text, strlen(text), &write_err) < 0) {
        hp_error_init(err);
        hp_error_set(err, "", "%s", hp_error_format(&write_err, message, sizeof message));
        goto done;
    }
    rc = 0;
done:
    free(text);
    space_free(&space);
    return rc;
}
