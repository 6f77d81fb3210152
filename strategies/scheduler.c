/*
 * The scheduler registry and the wrappers around optional operations. Adding
 * a scheduler is a file plus one line in the table below.
 */
#include "scheduler.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "search_space.h"

static const struct scheduler_ops *const schedulers[] = {
    &median_scheduler_ops,
    &asha_scheduler_ops,
    &hyperband_scheduler_ops,
    &pbt_scheduler_ops,
};

enum { SCHEDULER_COUNT = sizeof schedulers / sizeof schedulers[0] };

const struct scheduler_ops *scheduler_find(const char *name)
{
    for (size_t i = 0; i < SCHEDULER_COUNT; i++)
        if (strcmp(schedulers[i]->name, name) == 0)
            return schedulers[i];
    return NULL;
}

void scheduler_names(char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    int n = snprintf(buf, size, "none");
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < SCHEDULER_COUNT && used < size; i++) {
        n = snprintf(buf + used, size - used, ", %s", schedulers[i]->name);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

long scheduler_admit(struct scheduler *s, size_t config, const json_t *params)
{
    return s->ops->admit(s, config, params);
}

void sched_decision_clear(struct sched_decision *d)
{
    json_decref(d->params);
    d->params = NULL;
}

void scheduler_progress(struct scheduler *s, size_t config, long step, double value)
{
    if (s->ops->progress)
        s->ops->progress(s, config, step, value);
}

void scheduler_segment_end(struct scheduler *s, size_t config, long budget, double value,
                           size_t n_ok)
{
    s->ops->segment_end(s, config, budget, value, n_ok);
}

int scheduler_decide(struct scheduler *s, struct sched_decision *out)
{
    return s->ops->decide(s, out);
}

void scheduler_destroy(struct scheduler *s)
{
    if (s)
        s->ops->destroy(s);
}

int scheduler_wants_progress(const struct scheduler *s)
{
    return s && s->ops->progress != NULL;
}

int scheduler_int_option(const json_t *options, const char *key, long low, long high,
                         long *out, struct hp_error *err)
{
    const json_t *value = json_object_get(options, key);
    if (!value)
        return 0;
    char path[96];
    snprintf(path, sizeof path, "scheduler.%s", key);
    if (!json_is_integer(value) || json_integer_value(value) < low ||
        json_integer_value(value) > high) {
        char got[128];
        search_space_describe(value, got, sizeof got);
        return hp_error_set(err, path, "must be an integer from %ld to %ld (got %s)", low,
                            high, got);
    }
    *out = (long)json_integer_value(value);
    return 0;
}

int scheduler_better(double a, double b, int maximize)
{
    if (isnan(a))
        return 0;
    if (isnan(b))
        return 1;
    return maximize ? a > b : a < b;
}

const char *scheduler_action_name(enum sched_action action)
{
    switch (action) {
    case SCHED_PROMOTE:
        return "promote";
    case SCHED_PRUNE:
        return "prune";
    case SCHED_CONTINUE:
        return "continue";
    case SCHED_EXPLOIT:
        return "exploit";
    case SCHED_RETIRE:
        return "retire";
    case SCHED_COMPLETE:
        break;
    }
    return "complete";
}
