/*
 * A sweep's budgets. See budget.h.
 */
#include "budget.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds; as timeout_s: far from the millisecond timers' overflow. */
static const double DURATION_MAX = 1e9;

static const struct {
    char unit;
    double seconds;
} UNITS[] = {{'d', 86400.0}, {'h', 3600.0}, {'m', 60.0}, {'s', 1.0}};
enum { UNIT_COUNT = sizeof UNITS / sizeof UNITS[0] };

int budget_parse_duration(const char *text, double *seconds, char *why, size_t size)
{
    const char *p = text;
    size_t next_unit = 0; /* units must come largest first, each once */
    double total = 0.0;
    if (!*p) {
        snprintf(why, size,
                 "expected a duration such as \"8h\", \"90m\" or \"1h30m\", "
                 "got \"\"");
        return -1;
    }
    while (*p) {
        if (!(*p >= '0' && *p <= '9') && *p != '.') {
            snprintf(
                why, size,
                "expected a duration such as \"8h\", \"90m\" or \"1h30m\", got \"%s\"",
                text);
            return -1;
        }
        char *end;
        double value = strtod(p, &end);
        if (end == p || !isfinite(value)) {
            snprintf(
                why, size,
                "expected a duration such as \"8h\", \"90m\" or \"1h30m\", got \"%s\"",
                text);
            return -1;
        }
        size_t u = next_unit;
        while (u < UNIT_COUNT && UNITS[u].unit != *end)
            u++;
        if (*end == '\0') {
            snprintf(why, size,
                     "\"%s\" needs a unit (d, h, m or s), e.g. \"%gs\" or \"%gm\"", text,
                     value, value);
            return -1;
        }
        if (u == UNIT_COUNT) {
            int known = 0;
            for (size_t k = 0; k < UNIT_COUNT; k++)
                known |= UNITS[k].unit == *end;
            if (known)
                snprintf(why, size,
                         "in \"%s\", units must come largest first and each at most once "
                         "(d, h, m, s)",
                         text);
            else
                snprintf(why, size,
                         "in \"%s\", unknown unit '%c' (expected d, h, m or s)", text,
                         *end);
            return -1;
        }
        total += value * UNITS[u].seconds;
        next_unit = u + 1;
        p = end + 1;
    }
    if (total > DURATION_MAX) {
        snprintf(why, size, "\"%s\" is more than %g seconds", text, DURATION_MAX);
        return -1;
    }
    *seconds = total;
    return 0;
}

static void describe(const json_t *value, char *buf, size_t size)
{
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(buf, size, "%s", text ? text : "?");
    free(text);
}

int budget_load_duration(const json_t *value, const char *path, int min_exclusive,
                         double *out, struct hp_error *err)
{
    char got[128];
    char why[256];
    describe(value, got, sizeof got);
    double seconds;
    if (json_is_string(value)) {
        if (budget_parse_duration(json_string_value(value), &seconds, why, sizeof why) <
            0)
            return hp_error_set(err, path, "%s", why);
    } else if (json_is_number(value)) {
        seconds = json_number_value(value);
        if (!(seconds <= DURATION_MAX))
            return hp_error_set(err, path, "must be at most %g seconds (got %s)",
                                DURATION_MAX, got);
    } else {
        return hp_error_set(
            err, path,
            "must be a duration such as \"8h\", \"90m\" or \"1h30m\", or a "
            "number of seconds (got %s)",
            got);
    }
    if (min_exclusive ? !(seconds > 0) : !(seconds >= 0))
        return hp_error_set(err, path, "must be %s (got %s)",
                            min_exclusive ? "longer than 0 s" : "0 s or longer", got);
    *out = seconds;
    return 0;
}

int budget_load_max_failures(const json_t *value, const char *path, int *out,
                             struct hp_error *err)
{
    if (json_is_null(value)) {
        *out = 0;
        return 0;
    }
    if (json_is_string(value) && strcmp(json_string_value(value), "auto") == 0) {
        *out = BUDGET_MAX_FAILURES_AUTO;
        return 0;
    }
    if (json_is_integer(value) && json_integer_value(value) >= 0 &&
        json_integer_value(value) <= 1000000000) {
        *out = (int)json_integer_value(value);
        return 0;
    }
    char got[128];
    describe(value, got, sizeof got);
    return hp_error_set(err, path, "must be \"auto\", null or an integer >= 0 (got %s)",
                        got);
}

int budget_parse_max_failures(const char *text, int *out, char *why, size_t size)
{
    if (strcmp(text, "auto") == 0) {
        *out = BUDGET_MAX_FAILURES_AUTO;
        return 0;
    }
    if (strcmp(text, "null") == 0 || strcmp(text, "none") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    long n = strtol(text, &end, 10);
    if (end != text && *end == '\0' && n >= 0 && n <= 1000000000) {
        *out = (int)n;
        return 0;
    }
    snprintf(why, size, "expected auto, null or a whole number >= 0, got \"%s\"", text);
    return -1;
}

void budget_init(struct budget *b, const struct budget_limits *limits)
{
    memset(b, 0, sizeof *b);
    b->limits = *limits;
    b->auto_armed = limits->max_failures == BUDGET_MAX_FAILURES_AUTO;
}

int budget_may_launch(struct budget *b, int past_deadline)
{
    if (b->stop != BUDGET_RUNS_ON)
        return 0;
    if (past_deadline)
        b->stop = BUDGET_STOP_TIME;
    else if (b->limits.max_trials > 0 && b->launched >= (size_t)b->limits.max_trials)
        b->stop = BUDGET_STOP_TRIALS;
    else
        return 1;
    return 0;
}

/* A failure is "the same" as another when its kind and its exit status or
 * signal are: the reasons' words carry each trial's own stderr and params. */
static void signature_of(const char *failure, long long exit_status, int signal,
                         char *buf, size_t size)
{
    if (signal)
        snprintf(buf, size, "%s signal %d", failure, signal);
    else
        snprintf(buf, size, "%s %lld", failure, exit_status);
}

void budget_trial_launched(struct budget *b, const char *trial_id)
{
    if (!b->auto_armed || b->watched == BUDGET_AUTO_FAILURES)
        return;
    for (size_t i = 0; i < b->watched; i++)
        if (strcmp(b->logs[i], trial_id) == 0)
            return; /* a retry: the same trial */
    snprintf(b->logs[b->watched++], sizeof b->logs[0], "%s", trial_id);
}

/* auto: takes the end of a watched trial. Returns 1 when the three watched
 * trials have all failed the same way. */
static int auto_trial_ended(struct budget *b, const char *failure, long long exit_status,
                            int signal, const char *reason, const char *trial_id)
{
    size_t w = 0;
    while (w < b->watched && strcmp(b->logs[w], trial_id) != 0)
        w++;
    if (w == b->watched || b->signatures[w][0])
        return 0; /* not watched, or a retry of one already judged */
    /* A NaN comes from a config's params, not from a broken command. */
    if (!failure || strcmp(failure, "nan") == 0) {
        b->auto_armed = 0;
        return 0;
    }
    signature_of(failure, exit_status, signal, b->signatures[w], sizeof b->signatures[w]);
    snprintf(b->reasons[w], sizeof b->reasons[w], "%s", reason ? reason : failure);
    for (size_t i = 0; i < BUDGET_AUTO_FAILURES; i++) {
        if (i >= b->watched || !b->signatures[i][0])
            return 0; /* one still runs */
        if (strcmp(b->signatures[i], b->signatures[0]) != 0) {
            b->auto_armed = 0;
            return 0;
        }
    }
    snprintf(b->reason, sizeof b->reason, "%s", b->reasons[0]);
    return 1;
}

int budget_trial_ended(struct budget *b, const char *failure, long long exit_status,
                       int signal, const char *reason, const char *trial_id,
                       size_t failed_total)
{
    if (b->stop == BUDGET_STOP_FAILURES)
        return 0; /* already stopped for failures */
    if (b->auto_armed) {
        if (auto_trial_ended(b, failure, exit_status, signal, reason, trial_id)) {
            b->stop = BUDGET_STOP_FAILURES;
            b->auto_stop = 1;
            return 1;
        }
        return 0;
    }
    if (b->limits.max_failures > 0 && failure &&
        failed_total >= (size_t)b->limits.max_failures) {
        b->stop = BUDGET_STOP_FAILURES;
        return 1;
    }
    return 0;
}

void budget_format_duration(double seconds, char *buf, size_t size)
{
    double whole = floor(seconds);
    if (whole != seconds || seconds < 60.0) {
        snprintf(buf, size, "%gs", seconds);
        return;
    }
    size_t used = 0;
    long long rest = (long long)whole;
    for (size_t u = 0; u < UNIT_COUNT && used < size; u++) {
        long long n = rest / (long long)UNITS[u].seconds;
        rest -= n * (long long)UNITS[u].seconds;
        if (n > 0)
            used += (size_t)snprintf(buf + used, size - used, "%lld%c", n, UNITS[u].unit);
    }
}

void budget_describe_stop(const struct budget *b, char *buf, size_t size)
{
    char text[64];
    switch (b->stop) {
    case BUDGET_STOP_TIME:
        budget_format_duration(b->limits.max_time_s, text, sizeof text);
        snprintf(buf, size, "stopped at max_time (%s)", text);
        return;
    case BUDGET_STOP_TRIALS:
        snprintf(buf, size, "stopped at max_trials (%ld)", b->limits.max_trials);
        return;
    case BUDGET_STOP_FAILURES:
        if (b->auto_stop)
            snprintf(buf, size, "stopped: the first %d trials failed the same way",
                     BUDGET_AUTO_FAILURES);
        else
            snprintf(buf, size, "stopped after max_failures failed trials");
        return;
    case BUDGET_RUNS_ON:
        break;
    }
    if (size)
        buf[0] = '\0';
}
