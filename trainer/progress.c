/*
 * The training progress and its JSON form. See progress.h.
 *
 * The JSON form (the "state" object of a last.ckpt header):
 *
 *   {"epoch": 5, "batch": 17, "seen": 1088, "loss_sum": 612.5...,
 *    "grad_norm_sum": [17 numbers], "clipped": 3, "step": 330,
 *    "best_epoch": 4, "best_score": 0.83, "stale": 1, "stale_ref": 0.83,
 *    "train_rows": 4000,
 *    "rng": {"shuffle": "<32 hex digits>", "dropout": "...", "augment": "..."},
 *    "history": [[train_loss, val_loss, val_accuracy], ...]}
 *
 * Doubles are written with 17 significant digits by the checkpoint writer, so
 * they read back to the same bits; a generator is its 64-bit state and its
 * 64-bit increment in hexadecimal, since JSON integers stop at 2^53 in many
 * readers.
 */
#include "progress.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int progress_init(struct progress *p, int capacity, struct hp_error *err)
{
    memset(p, 0, sizeof *p);
    p->best_score = -INFINITY;
    p->stale_ref = -INFINITY;
    p->capacity = capacity > 0 ? capacity : 1;
    p->history = calloc((size_t)p->capacity, sizeof *p->history);
    if (!p->history)
        return hp_error_set(err, NULL, "out of memory");
    return 0;
}

void progress_free(struct progress *p)
{
    free(p->history);
    memset(p, 0, sizeof *p);
}

static int reserve(struct progress *p, int count, struct hp_error *err)
{
    if (count <= p->capacity)
        return 0;
    int capacity = count > 2 * p->capacity ? count : 2 * p->capacity;
    struct epoch_record *h = realloc(p->history, (size_t)capacity * sizeof *h);
    if (!h)
        return hp_error_set(err, NULL, "out of memory");
    p->history = h;
    p->capacity = capacity;
    return 0;
}

int progress_complete_epoch(struct progress *p, const struct epoch_record *r,
                            struct hp_error *err)
{
    if (reserve(p, p->epoch + 1, err) < 0)
        return -1;
    p->history[p->epoch++] = *r;
    return 0;
}

static json_t *rng_json(const struct hp_pcg32 *rng)
{
    char text[40];
    snprintf(text, sizeof text, "%016" PRIx64 "%016" PRIx64, rng->state, rng->inc);
    return json_string(text);
}

/* JSON has no infinities: before the first epoch the best score and the
 * reference are -inf, written as 0 and restored from the epoch counts. */
static double finite_or_zero(double v)
{
    return isfinite(v) ? v : 0.0;
}

json_t *progress_to_json(const struct progress *p)
{
    json_t *history = json_array();
    json_t *norms = json_array();
    for (int e = 0; history && e < p->epoch; e++) {
        const struct epoch_record *r = &p->history[e];
        json_t *row = json_pack("[fff]", r->train_loss, r->val_loss, r->val_score);
        if (!row || json_array_append_new(history, row) < 0) {
            json_decref(history);
            history = NULL;
        }
    }
    for (int l = 0; norms && l < MLP_MAX_LAYERS; l++)
        if (json_array_append_new(norms, json_real(p->grad_norm_sum[l])) < 0) {
            json_decref(norms);
            norms = NULL;
        }
    if (!history || !norms) {
        json_decref(history);
        json_decref(norms);
        return NULL;
    }
    return json_pack(
        "{s:i, s:I, s:I, s:f, s:o, s:I, s:I, s:i, s:f, s:i, s:f, s:I, "
        "s:{s:o, s:o, s:o}, s:o}",
        "epoch", p->epoch, "batch", (json_int_t)p->batch, "seen", (json_int_t)p->seen,
        "loss_sum", p->loss_sum, "grad_norm_sum", norms, "clipped",
        (json_int_t)p->clipped, "step", (json_int_t)p->step, "best_epoch", p->best_epoch,
        "best_score", finite_or_zero(p->best_score), "stale", p->stale, "stale_ref",
        finite_or_zero(p->stale_ref), "train_rows", (json_int_t)p->train_rows, "rng",
        "shuffle", rng_json(&p->shuffle), "dropout", rng_json(&p->dropout), "augment",
        rng_json(&p->augment), "history", history);
}

static int read_int(const json_t *j, const char *key, long long min, long long max,
                    long long *out, struct hp_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "state.%s", key);
    const json_t *v = json_object_get(j, key);
    if (!json_is_integer(v))
        return hp_error_set(err, path, "missing or not an integer");
    long long x = json_integer_value(v);
    if (x < min || x > max)
        return hp_error_set(err, path, "out of range (%lld)", x);
    *out = x;
    return 0;
}

static int read_number(const json_t *j, const char *key, double *out,
                       struct hp_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "state.%s", key);
    const json_t *v = json_object_get(j, key);
    if (!json_is_number(v))
        return hp_error_set(err, path, "missing or not a number");
    *out = json_number_value(v);
    return 0;
}

static int read_rng(const json_t *rngs, const char *key, struct hp_pcg32 *out,
                    struct hp_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "state.rng.%s", key);
    const char *text = json_string_value(json_object_get(rngs, key));
    if (!text || strlen(text) != 32 || strspn(text, "0123456789abcdef") != 32)
        return hp_error_set(err, path, "missing or not 32 hexadecimal digits");
    char half[17];
    memcpy(half, text, 16);
    half[16] = '\0';
    out->state = strtoull(half, NULL, 16);
    memcpy(half, text + 16, 16);
    out->inc = strtoull(half, NULL, 16);
    if ((out->inc & 1u) == 0)
        return hp_error_set(err, path, "not a generator state (even increment)");
    return 0;
}

int progress_from_json(struct progress *p, const json_t *j, struct hp_error *err)
{
    if (!json_is_object(j))
        return hp_error_set(err, "state", "missing or not an object");
    struct progress next = *p;
    long long v = 0;
    const long long big = 1LL << 53;
    if (read_int(j, "epoch", 0, 1000000, &v, err) < 0)
        return -1;
    next.epoch = (int)v;
    if (read_int(j, "batch", 0, big, &v, err) < 0)
        return -1;
    next.batch = (size_t)v;
    if (read_int(j, "seen", 0, big, &v, err) < 0)
        return -1;
    next.seen = (size_t)v;
    if (read_number(j, "loss_sum", &next.loss_sum, err) < 0)
        return -1;
    const json_t *norms = json_object_get(j, "grad_norm_sum");
    if (!json_is_array(norms) || json_array_size(norms) != MLP_MAX_LAYERS)
        return hp_error_set(err, "state.grad_norm_sum", "missing or not %d numbers",
                            MLP_MAX_LAYERS);
    for (int l = 0; l < MLP_MAX_LAYERS; l++) {
        const json_t *v = json_array_get(norms, (size_t)l);
        if (!json_is_number(v))
            return hp_error_set(err, "state.grad_norm_sum", "item %d is not a number", l);
        next.grad_norm_sum[l] = json_number_value(v);
    }
    if (read_int(j, "clipped", 0, big, &v, err) < 0)
        return -1;
    next.clipped = (size_t)v;
    if (read_int(j, "step", 0, big, &v, err) < 0)
        return -1;
    next.step = v;
    if (read_int(j, "best_epoch", 0, next.epoch, &v, err) < 0)
        return -1;
    next.best_epoch = (int)v;
    if (read_number(j, "best_score", &next.best_score, err) < 0)
        return -1;
    if (read_int(j, "stale", 0, next.epoch, &v, err) < 0)
        return -1;
    next.stale = (int)v;
    if (read_number(j, "stale_ref", &next.stale_ref, err) < 0)
        return -1;
    if (next.best_epoch == 0)
        next.best_score = -INFINITY;
    if (next.epoch == 0)
        next.stale_ref = -INFINITY;
    if (read_int(j, "train_rows", 1, big, &v, err) < 0)
        return -1;
    next.train_rows = (size_t)v;
    const json_t *rngs = json_object_get(j, "rng");
    if (read_rng(rngs, "shuffle", &next.shuffle, err) < 0 ||
        read_rng(rngs, "dropout", &next.dropout, err) < 0 ||
        read_rng(rngs, "augment", &next.augment, err) < 0)
        return -1;

    const json_t *history = json_object_get(j, "history");
    if (!json_is_array(history) || json_array_size(history) != (size_t)next.epoch)
        return hp_error_set(err, "state.history", "missing or not one row per epoch");
    for (int e = 0; e < next.epoch; e++) {
        const json_t *row = json_array_get(history, (size_t)e);
        if (!json_is_array(row) || json_array_size(row) != 3 ||
            !json_is_number(json_array_get(row, 0)) ||
            !json_is_number(json_array_get(row, 1)) ||
            !json_is_number(json_array_get(row, 2)))
            return hp_error_set(err, "state.history", "row %d is not three numbers", e);
    }
    /* Everything is valid: only now touch p. */
    if (reserve(p, next.epoch, err) < 0)
        return -1;
    next.history = p->history;
    next.capacity = p->capacity;
    for (int e = 0; e < next.epoch; e++) {
        const json_t *row = json_array_get(history, (size_t)e);
        next.history[e].train_loss = json_number_value(json_array_get(row, 0));
        next.history[e].val_loss = json_number_value(json_array_get(row, 1));
        next.history[e].val_score = json_number_value(json_array_get(row, 2));
    }
    *p = next;
    return 0;
}
