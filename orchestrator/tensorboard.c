/*
 * TensorBoard files from journal records. See tensorboard.h.
 *
 * A sweep may have thousands of trials but only a few run at once, and a
 * trial's records come close together: the writer keeps the files of the
 * trials it wrote last open (at most OPEN_FILES_MAX) and reopens an evicted
 * one for appending.
 */
#include "tensorboard.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "durable.h"
#include "fsutil.h"
#include "grow.h"
#include "journal.h"
#include "journal_line.h"
#include "path.h"
#include "protobuf.h"
#include "tfevents.h"

enum { OPEN_FILES_MAX = 16 };

struct tb_trial {
    FILE *file;               /* open for appending, or NULL */
    uint64_t used;            /* the writer's tick when it was last written */
    long last_step;           /* the resource of its latest line that had one */
    unsigned char created;    /* this writer created (truncated) its file */
    unsigned char started;    /* its session start info is written */
    unsigned char ended;      /* its session end info is written */
    unsigned char ok_pending; /* ended ok under a scheduler that has not settled it */
};

struct tb_config {
    struct tb_trial *trials; /* (space->seed_count), by seed position; owned */
    unsigned char settled;   /* the scheduler completed, pruned or retired it */
};

struct tensorboard {
    const struct space *space;
    char root[HP_PATH_MAX]; /* <dir>/tensorboard */
    char dir[HP_PATH_MAX];  /* the sweep */
    int live;
    double clock;      /* time of the latest sweep_start or resume record */
    double started_at; /* time of the sweep_start record, 0 if none */
    long long stamp;   /* the sweep_start time, in whole seconds: the file names' T */
    struct tb_config *configs;
    size_t config_count;
    size_t config_cap;
    struct tb_trial *open[OPEN_FILES_MAX];
    size_t open_count;
    uint64_t tick;
    size_t files;   /* trial files created */
    char **metrics; /* every metric tag seen, the objective first (owned) */
    size_t metric_count;
    size_t metric_cap;
    struct hp_pb summary, event, frame, plugin; /* scratch */
};

struct tensorboard *tensorboard_new(const struct space *space, const char *dir, int live)
{
    struct tensorboard *tb = calloc(1, sizeof *tb);
    if (!tb)
        return NULL;
    tb->space = space;
    tb->live = live;
    hp_pb_init(&tb->summary);
    hp_pb_init(&tb->event);
    hp_pb_init(&tb->frame);
    hp_pb_init(&tb->plugin);
    if (hp_path_join(tb->root, sizeof tb->root, NULL, dir, "tensorboard", NULL) < 0 ||
        hp_path_join(tb->dir, sizeof tb->dir, NULL, dir, NULL) < 0) {
        free(tb);
        return NULL;
    }
    /* The objective heads the table whether or not a trial reported it. */
    tb->metrics = malloc(sizeof *tb->metrics);
    tb->metric_cap = 1;
    if (!tb->metrics || !(tb->metrics[0] = strdup(space->objective_metric))) {
        tensorboard_free(tb);
        return NULL;
    }
    tb->metric_count = 1;
    return tb;
}

static void close_trial(struct tensorboard *tb, size_t slot)
{
    fclose(tb->open[slot]->file);
    tb->open[slot]->file = NULL;
    tb->open[slot] = tb->open[--tb->open_count];
}

void tensorboard_free(struct tensorboard *tb)
{
    if (!tb)
        return;
    while (tb->open_count > 0)
        close_trial(tb, tb->open_count - 1);
    for (size_t c = 0; c < tb->config_count; c++)
        free(tb->configs[c].trials);
    free(tb->configs);
    for (size_t i = 0; i < tb->metric_count; i++)
        free(tb->metrics[i]);
    free(tb->metrics);
    hp_pb_free(&tb->summary);
    hp_pb_free(&tb->event);
    hp_pb_free(&tb->frame);
    hp_pb_free(&tb->plugin);
    free(tb);
}

size_t tensorboard_trial_count(const struct tensorboard *tb)
{
    return tb->files;
}

/* "<root>[/<trial id>]/events.out.tfevents.<T>.hpsearch" into buf. */
static int event_file_path(const struct tensorboard *tb, const char *trial, char *buf,
                           size_t size, struct hp_error *err)
{
    char name[96];
    snprintf(name, sizeof name, "events.out.tfevents.%lld.hpsearch", tb->stamp);
    return trial ? hp_path_join(buf, size, err, tb->root, trial, name, NULL)
                 : hp_path_join(buf, size, err, tb->root, name, NULL);
}

static void trial_id(size_t config, uint64_t seed, char *buf, size_t size)
{
    snprintf(buf, size, "c%04zu-s%" PRIu64, config, seed);
}

/* The trial of `record` ("config" and "seed"), made on first sight; NULL
 * with `err` set for a record that names no trial of this space. */
static struct tb_trial *trial_of(struct tensorboard *tb, const json_t *record,
                                 size_t *config, uint64_t *seed, struct hp_error *err)
{
    const json_t *c = json_object_get(record, "config");
    const json_t *s = json_object_get(record, "seed");
    if (!json_is_integer(c) || json_integer_value(c) < 0 || !json_is_integer(s) ||
        json_integer_value(s) < 0) {
        hp_error_set(err, "", "a trial record without its config and seed");
        return NULL;
    }
    *config = (size_t)json_integer_value(c);
    *seed = (uint64_t)json_integer_value(s);
    size_t pos = 0;
    while (pos < tb->space->seed_count && tb->space->seeds[pos] != *seed)
        pos++;
    if (pos == tb->space->seed_count) {
        hp_error_set(err, "",
                     "a trial record for seed %" PRIu64 ", not a seed of the space",
                     *seed);
        return NULL;
    }
    if (*config >= tb->config_count) {
        struct tb_config *grown =
            hp_grow(tb->configs, &tb->config_cap, *config + 1, sizeof *tb->configs);
        if (!grown) {
            hp_error_set(err, "", "out of memory");
            return NULL;
        }
        tb->configs = grown;
        memset(tb->configs + tb->config_count, 0,
               (*config + 1 - tb->config_count) * sizeof *tb->configs);
        tb->config_count = *config + 1;
    }
    struct tb_config *cfg = &tb->configs[*config];
    if (!cfg->trials) {
        cfg->trials = calloc(tb->space->seed_count, sizeof *cfg->trials);
        if (!cfg->trials) {
            hp_error_set(err, "", "out of memory");
            return NULL;
        }
    }
    return &cfg->trials[pos];
}

/* Opens the trial's file for appending (creating its directory and the file,
 * with its version event, the first time), evicting the least recently
 * written file when too many are open. Returns 0 or -1 with `err` set. */
static int open_trial(struct tensorboard *tb, struct tb_trial *t, const char *id,
                      struct hp_error *err)
{
    t->used = ++tb->tick;
    if (t->file)
        return 0;
    if (tb->open_count == OPEN_FILES_MAX) {
        size_t oldest = 0;
        for (size_t i = 1; i < tb->open_count; i++)
            if (tb->open[i]->used < tb->open[oldest]->used)
                oldest = i;
        close_trial(tb, oldest);
    }
    char dir[HP_PATH_MAX];
    char path[HP_PATH_MAX];
    if (hp_path_join(dir, sizeof dir, err, tb->root, id, NULL) < 0 ||
        event_file_path(tb, id, path, sizeof path, err) < 0)
        return -1;
    if (!t->created && fsutil_mkdirs(dir, err) < 0)
        return -1;
    t->file = fopen(path, t->created ? "ab" : "wb");
    if (!t->file)
        return hp_error_set(err, "", "%s: cannot open: %s", path, strerror(errno));
    tb->open[tb->open_count++] = t;
    if (!t->created) {
        t->created = 1;
        tb->files++;
        tfevents_version_event(&tb->event, tb->clock);
        hp_pb_reset(&tb->frame);
        tfevents_frame(&tb->frame, &tb->event);
    }
    return 0;
}

/* Appends tb->event, framed, to the trial's file (after whatever
 * open_trial left in tb->frame). */
static int write_event(struct tensorboard *tb, struct tb_trial *t, const char *id,
                       struct hp_error *err)
{
    tfevents_frame(&tb->frame, &tb->event);
    int no_memory = tb->frame.failed;
    int ok = !no_memory &&
             fwrite(tb->frame.data, 1, tb->frame.len, t->file) == tb->frame.len &&
             (!tb->live || fflush(t->file) == 0);
    int saved = errno;
    hp_pb_reset(&tb->frame);
    if (ok)
        return 0;
    char path[HP_PATH_MAX];
    event_file_path(tb, id, path, sizeof path, NULL);
    return hp_error_set(err, "", "%s: cannot write: %s", path,
                        no_memory ? "out of memory" : strerror(saved));
}

/* Writes an event holding one HParams value (tb->plugin under `tag`). */
static int write_hparams(struct tensorboard *tb, struct tb_trial *t, const char *id,
                         const char *tag, struct hp_error *err)
{
    if (open_trial(tb, t, id, err) < 0)
        return -1;
    hp_pb_reset(&tb->summary);
    tfevents_hparams_value(&tb->summary, tag, &tb->plugin);
    tfevents_summary_event(&tb->event, tb->clock, 0, &tb->summary);
    return write_event(tb, t, id, err);
}

static int end_session(struct tensorboard *tb, struct tb_trial *t, size_t config,
                       uint64_t seed, enum tfevents_status status, struct hp_error *err)
{
    t->ok_pending = 0;
    if (t->ended)
        return 0;
    t->ended = 1;
    char id[48];
    trial_id(config, seed, id, sizeof id);
    tfevents_session_end(&tb->plugin, status, tb->clock);
    return write_hparams(tb, t, id, TFEVENTS_SESSION_END_TAG, err);
}

/* Ends the sessions of `config` (every one, with SIZE_MAX) that ended ok
 * and waited for the scheduler. */
static int end_pending(struct tensorboard *tb, size_t config, struct hp_error *err)
{
    size_t first = config == SIZE_MAX ? 0 : config;
    size_t last = config == SIZE_MAX ? tb->config_count : config + 1;
    for (size_t c = first; c < last && c < tb->config_count; c++) {
        for (size_t s = 0; tb->configs[c].trials && s < tb->space->seed_count; s++) {
            struct tb_trial *t = &tb->configs[c].trials[s];
            if (t->ok_pending && end_session(tb, t, c, tb->space->seeds[s],
                                             TFEVENTS_STATUS_SUCCESS, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int note_metric(struct tensorboard *tb, const char *tag)
{
    for (size_t i = 0; i < tb->metric_count; i++)
        if (strcmp(tb->metrics[i], tag) == 0)
            return 0;
    char **grown =
        hp_grow(tb->metrics, &tb->metric_cap, tb->metric_count + 1, sizeof *tb->metrics);
    if (!grown)
        return -1;
    tb->metrics = grown;
    if (!(tb->metrics[tb->metric_count] = strdup(tag)))
        return -1;
    tb->metric_count++;
    return 0;
}

static int on_start(struct tensorboard *tb, const json_t *record, struct hp_error *err)
{
    size_t config;
    uint64_t seed;
    struct tb_trial *t = trial_of(tb, record, &config, &seed, err);
    if (!t)
        return -1;
    t->ok_pending = 0;
    if (t->started)
        return 0;
    t->started = 1;
    const json_t *params = json_object_get(record, "params");
    if (!json_is_object(params))
        return hp_error_set(err, "", "a start record without params");
    char id[48];
    char group[32];
    trial_id(config, seed, id, sizeof id);
    snprintf(group, sizeof group, "c%04zu", config);
    tfevents_session_start(&tb->plugin, params, group, tb->clock);
    return write_hparams(tb, t, id, TFEVENTS_SESSION_START_TAG, err);
}

static int on_report(struct tensorboard *tb, const json_t *record, struct hp_error *err)
{
    size_t config;
    uint64_t seed;
    struct tb_trial *t = trial_of(tb, record, &config, &seed, err);
    if (!t)
        return -1;
    const json_t *line = json_object_get(record, "line");
    const char *resource = tb->space->resource_key ? tb->space->resource_key : "epoch";
    const json_t *step = json_object_get(line, resource);
    if (json_is_number(step))
        t->last_step = (long)json_number_value(step);
    hp_pb_reset(&tb->summary);
    size_t values = 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)line, key, value)
    {
        if (!json_is_number(value) || strcmp(key, resource) == 0)
            continue;
        if (note_metric(tb, key) < 0)
            return hp_error_set(err, "", "out of memory");
        tfevents_scalar(&tb->summary, key, (float)json_number_value(value));
        values++;
    }
    if (values == 0)
        return 0;
    char id[48];
    trial_id(config, seed, id, sizeof id);
    if (open_trial(tb, t, id, err) < 0)
        return -1;
    tfevents_summary_event(&tb->event, tb->clock, t->last_step, &tb->summary);
    return write_event(tb, t, id, err);
}

static int on_end(struct tensorboard *tb, const json_t *record, struct hp_error *err)
{
    size_t config;
    uint64_t seed;
    struct tb_trial *t = trial_of(tb, record, &config, &seed, err);
    if (!t)
        return -1;
    const char *status = json_string_value(json_object_get(record, "status"));
    if (!status)
        return hp_error_set(err, "", "an end record without status");
    if (strcmp(status, "ok") == 0) {
        if (tb->space->scheduler && !tb->configs[config].settled) {
            t->ok_pending = 1;
            return 0;
        }
        return end_session(tb, t, config, seed, TFEVENTS_STATUS_SUCCESS, err);
    }
    if (strcmp(status, "pruned") == 0)
        return end_session(tb, t, config, seed, TFEVENTS_STATUS_SUCCESS, err);
    if (strcmp(status, "failed") == 0 &&
        !json_is_true(json_object_get(record, "will_retry")))
        return end_session(tb, t, config, seed, TFEVENTS_STATUS_FAILURE, err);
    return 0; /* interrupted, or failed with a retry to come */
}

static int on_decide(struct tensorboard *tb, const json_t *record, struct hp_error *err)
{
    const char *action = json_string_value(json_object_get(record, "action"));
    const json_t *config = json_object_get(record, "config");
    if (!action || !json_is_integer(config) || json_integer_value(config) < 0)
        return hp_error_set(err, "", "a decide record without its action or config");
    size_t index = (size_t)json_integer_value(config);
    if (strcmp(action, "complete") != 0 && strcmp(action, "prune") != 0 &&
        strcmp(action, "retire") != 0)
        return 0;
    if (index < tb->config_count) {
        tb->configs[index].settled = 1;
        return end_pending(tb, index, err);
    }
    return 0;
}

int tensorboard_record(struct tensorboard *tb, const json_t *record, struct hp_error *err)
{
    const char *event = json_string_value(json_object_get(record, "event"));
    if (!event)
        return 0;
    const json_t *time = json_object_get(record, "time");
    if (strcmp(event, "sweep_start") == 0 || strcmp(event, "resume") == 0) {
        if (json_is_number(time))
            tb->clock = json_number_value(time);
        if (strcmp(event, "sweep_start") == 0) {
            tb->started_at = tb->clock;
            tb->stamp = (long long)floor(tb->clock);
        }
        return 0;
    }
    if (strcmp(event, "start") == 0)
        return on_start(tb, record, err);
    if (strcmp(event, "report") == 0)
        return on_report(tb, record, err);
    if (strcmp(event, "end") == 0)
        return on_end(tb, record, err);
    if (strcmp(event, "decide") == 0)
        return on_decide(tb, record, err);
    if (strcmp(event, "sweep_end") == 0 &&
        json_is_true(json_object_get(record, "complete")))
        return end_pending(tb, SIZE_MAX, err);
    return 0;
}

int tensorboard_replay(struct tensorboard *tb, struct hp_error *err)
{
    struct journal_line_reader reader;
    int rc = journal_line_open(&reader, tb->dir, err);
    if (rc < 0)
        return rc;
    while ((rc = journal_line_next(&reader, err)) == 1) {
        json_error_t json_err;
        json_t *record = json_loadb(reader.line, reader.len, 0, &json_err);
        if (!record) {
            rc = hp_error_set(err, "", "%s:%ld: %s", reader.path, reader.number,
                              json_err.text);
            break;
        }
        rc = tensorboard_record(tb, record, err);
        json_decref(record);
        if (rc < 0) {
            /* Say which record it was, unless the error names a file. */
            if (strncmp(err->message, tb->root, strlen(tb->root)) != 0) {
                char message[sizeof err->message];
                snprintf(message, sizeof message, "%s", err->message);
                hp_error_set(err, "", "%s:%ld: %s", reader.path, reader.number, message);
            }
            break;
        }
    }
    journal_line_close(&reader);
    return rc < 0 ? rc : 0;
}

/* The metric tags in the experiment's order: the objective, then the rest
 * by name, so the table does not depend on which trial reported first. */
static int compare_tags(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int tensorboard_finish(struct tensorboard *tb, struct hp_error *err)
{
    int rc = 0;
    while (tb->open_count > 0) {
        FILE *file = tb->open[tb->open_count - 1]->file;
        int failed = ferror(file);
        tb->open[tb->open_count - 1]->file = NULL;
        tb->open_count--;
        if ((fclose(file) != 0 || failed) && rc == 0)
            rc = hp_error_set(err, "", "%s: cannot write the event files: %s", tb->root,
                              failed ? "write error" : strerror(errno));
    }
    if (rc < 0)
        return rc;
    qsort(tb->metrics + 1, tb->metric_count - 1, sizeof *tb->metrics, compare_tags);
    char description[512];
    snprintf(description, sizeof description,
             "hpsearch sweep %s: objective %s (%s), %zu seed%s per config",
             tb->space->name, tb->space->objective_metric,
             tb->space->maximize ? "max" : "min", tb->space->seed_count,
             tb->space->seed_count == 1 ? "" : "s");
    tfevents_experiment(&tb->plugin, tb->space->name, description, tb->started_at,
                        &tb->space->params, (const char *const *)tb->metrics,
                        tb->metric_count);
    hp_pb_reset(&tb->summary);
    tfevents_hparams_value(&tb->summary, TFEVENTS_EXPERIMENT_TAG, &tb->plugin);
    hp_pb_reset(&tb->frame);
    tfevents_version_event(&tb->event, tb->clock);
    tfevents_frame(&tb->frame, &tb->event);
    tfevents_summary_event(&tb->event, tb->clock, 0, &tb->summary);
    tfevents_frame(&tb->frame, &tb->event);
    char path[HP_PATH_MAX];
    if (tb->frame.failed)
        return hp_error_set(err, "", "out of memory");
    if (fsutil_mkdirs(tb->root, err) < 0 ||
        event_file_path(tb, NULL, path, sizeof path, err) < 0 ||
        hp_durable_write(path, tb->frame.data, tb->frame.len, err) < 0)
        return -1;
    return 0;
}

enum hp_exit_code tensorboard_report(const struct space *space, const char *dir,
                                     FILE *out, struct hp_error *err)
{
    if (space->tensorboard && journal_writer_pid(dir) != 0) {
        hp_error_set(err, "",
                     "%s: the running sweep writes its TensorBoard files itself "
                     "(\"tensorboard\": true); open them with: tensorboard --logdir "
                     "%s/tensorboard",
                     dir, dir);
        return HP_EXIT_USAGE;
    }
    struct tensorboard *tb = tensorboard_new(space, dir, 0);
    if (!tb) {
        hp_error_set(err, "", "out of memory");
        return HP_EXIT_RUNTIME;
    }
    int rc = tensorboard_replay(tb, err);
    if (rc == 0)
        rc = tensorboard_finish(tb, err);
    enum hp_exit_code code = rc == JOURNAL_LINE_UNREADABLE ? HP_EXIT_JOURNAL
                             : rc < 0                      ? HP_EXIT_RUNTIME
                                                           : HP_EXIT_OK;
    if (code == HP_EXIT_OK)
        fprintf(out,
                "wrote %zu trial event file%s and the HParams experiment under "
                "%s/tensorboard\nopen them with: tensorboard --logdir %s/tensorboard\n",
                tb->files, tb->files == 1 ? "" : "s", dir, dir);
    tensorboard_free(tb);
    return code;
}
