/*
 * The asha scheduler: one bracket of successive halving from "min" to "max"
 * (successive_halving.h), every config entering at the lowest rung.
 */
#include <stdlib.h>

#include "scheduler.h"
#include "successive_halving.h"

struct asha {
    struct scheduler base;
    struct sh_bracket bracket;
};

static const char *const asha_option_keys[] = {"min", "max", "eta", NULL};

static int asha_create(const json_t *options, const struct sched_context *context,
                       struct scheduler **out, struct hp_error *err)
{
    long min, max, eta;
    *out = NULL;
    if (sh_options(options, &min, &max, &eta, err) < 0)
        return -1;
    struct asha *a = calloc(1, sizeof *a);
    if (!a || sh_bracket_init(&a->bracket, min, max, eta, context->maximize) < 0) {
        free(a);
        return hp_error_set(err, "scheduler", "out of memory");
    }
    a->base.ops = &asha_scheduler_ops;
    a->base.max_budget = max;
    *out = &a->base;
    return 0;
}

static long asha_admit(struct scheduler *s, size_t config, const json_t *params)
{
    (void)params;
    return sh_bracket_admit(&((struct asha *)s)->bracket, config);
}

static void asha_segment_end(struct scheduler *s, size_t config, long budget,
                             double value, size_t n_ok)
{
    sh_bracket_segment_end(&((struct asha *)s)->bracket, config, budget, value, n_ok);
}

static int asha_decide(struct scheduler *s, struct sched_decision *out)
{
    return sh_bracket_decide(&((struct asha *)s)->bracket, out);
}

static void asha_destroy(struct scheduler *s)
{
    sh_bracket_free(&((struct asha *)s)->bracket);
    free(s);
}

const struct scheduler_ops asha_scheduler_ops = {
    .name = "asha",
    .option_keys = asha_option_keys,
    .create = asha_create,
    .admit = asha_admit,
    .progress = NULL,
    .segment_end = asha_segment_end,
    .decide = asha_decide,
    .destroy = asha_destroy,
};
