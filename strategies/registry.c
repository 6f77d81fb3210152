/*
 * The strategy registry: the table of named strategies and the wrappers that
 * supply default no-ops for their optional operations. Adding a strategy is
 * one line in the table; nothing else looks strategies up by name.
 */
#include <stdio.h>
#include <string.h>

#include "strategy.h"

static const struct strategy_ops *const strategies[] = {
    &grid_strategy_ops,
    &random_strategy_ops,
    &tpe_strategy_ops,
};

enum { STRATEGY_COUNT = sizeof strategies / sizeof strategies[0] };

const struct strategy_ops *strategy_find(const char *name)
{
    for (size_t i = 0; i < STRATEGY_COUNT; i++) {
        if (strcmp(strategies[i]->name, name) == 0)
            return strategies[i];
    }
    return NULL;
}

void strategy_names(char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < STRATEGY_COUNT && used < size; i++) {
        int n =
            snprintf(buf + used, size - used, "%s%s", i ? ", " : "", strategies[i]->name);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

int strategy_ask(struct strategy *s, struct ask_result *out)
{
    return s->ops->ask(s, out);
}

int strategy_report(struct strategy *s, size_t config_index, const json_t *metrics)
{
    if (!s->ops->report)
        return 0;
    return s->ops->report(s, config_index, metrics);
}

void strategy_tell(struct strategy *s, const struct config_outcome *outcome)
{
    if (s->ops->tell)
        s->ops->tell(s, outcome);
}

size_t strategy_planned(const struct strategy *s)
{
    if (!s->ops->planned)
        return 0;
    return s->ops->planned(s);
}

void strategy_destroy(struct strategy *s)
{
    if (s)
        s->ops->destroy(s);
}
