/*
 * One bracket of successive halving. See successive_halving.h.
 */
#include "successive_halving.h"

#include "grow.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum member_state {
    MEMBER_RUNNING, /* training to rungs[level] */
    MEMBER_WAITING, /* finished rungs[level]: its value waits for the decision */
    MEMBER_ENDED,   /* pruned, failed or complete: it takes no more decisions */
};

struct sh_member {
    size_t config;
    size_t level;        /* the rung it runs to or finished */
    unsigned char state; /* enum member_state */
    double value;        /* MEMBER_WAITING: the mean of its seeds at rungs[level] */
};

int sh_options(const json_t *options, long *min, long *max, long *eta,
               struct hp_error *err)
{
    *min = 1;
    *max = 0;
    *eta = 3;
    if (!json_object_get(options, "max"))
        return hp_error_set(err, "scheduler",
                            "missing required key \"max\" (the full "
                            "budget, in the trainer's resource units)");
    if (scheduler_int_option(options, "min", 1, LONG_MAX / 2, min, err) < 0 ||
        scheduler_int_option(options, "max", 1, LONG_MAX / 2, max, err) < 0 ||
        scheduler_int_option(options, "eta", 2, 1000, eta, err) < 0)
        return -1;
    if (*min > *max)
        return hp_error_set(err, "scheduler.min", "must be at most max (%ld), got %ld",
                            *max, *min);
    return 0;
}

int sh_bracket_init(struct sh_bracket *b, long start, long max, long eta, int maximize)
{
    memset(b, 0, sizeof *b);
    b->eta = eta;
    b->maximize = maximize;
    size_t count = 1;
    for (long r = start; r < max && r <= LONG_MAX / eta; r *= eta)
        count++;
    b->rungs = calloc(count, sizeof *b->rungs);
    b->next = calloc(count, sizeof *b->next);
    b->entered = calloc(count, sizeof *b->entered);
    b->entered_count = calloc(count, sizeof *b->entered_count);
    if (!b->rungs || !b->next || !b->entered || !b->entered_count) {
        sh_bracket_free(b);
        return -1;
    }
    size_t i = 0;
    for (long r = start; r < max && i + 1 < count; r *= eta)
        b->rungs[i++] = r;
    b->rungs[i++] = max;
    b->rung_count = i;
    return 0;
}

void sh_bracket_free(struct sh_bracket *b)
{
    for (size_t i = 0; b->entered && i < b->rung_count; i++)
        free(b->entered[i]);
    free(b->entered);
    free(b->entered_count);
    free(b->next);
    free(b->rungs);
    free(b->members);
    free(b->ready);
    memset(b, 0, sizeof *b);
}

/* The member of `config`, by binary search (members are in config order). */
static struct sh_member *find_member(const struct sh_bracket *b, size_t config)
{
    size_t lo = 0;
    size_t hi = b->member_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->members[mid].config < config)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->member_count && b->members[lo].config == config ? &b->members[lo]
                                                                   : NULL;
}

int sh_bracket_holds(const struct sh_bracket *b, size_t config)
{
    return find_member(b, config) != NULL;
}

long sh_bracket_admit(struct sh_bracket *b, size_t config)
{
    struct sh_member *grown =
        hp_grow(b->members, &b->member_cap, b->member_count + 1, sizeof *grown);
    if (!grown)
        return -1;
    b->members = grown;
    b->members[b->member_count++] = (struct sh_member){config, 0, MEMBER_RUNNING, NAN};
    return b->rungs[0];
}

static int push_ready(struct sh_bracket *b, struct sched_decision d)
{
    struct sched_decision *grown =
        hp_grow(b->ready, &b->ready_cap, b->ready_count + 1, sizeof *grown);
    if (!grown)
        return -1;
    b->ready = grown;
    b->ready[b->ready_count++] = d;
    return 0;
}

void sh_bracket_segment_end(struct sh_bracket *b, size_t config, long budget,
                            double value, size_t n_ok)
{
    struct sh_member *m = find_member(b, config);
    if (!m || m->state != MEMBER_RUNNING)
        return;
    (void)budget; /* the member runs to rungs[level]; a trainer that stopped
                     short of it is judged on what it reached */
    if (n_ok == 0) {
        m->state = MEMBER_ENDED; /* failed: the orchestrator ends it */
        return;
    }
    if (m->level + 1 == b->rung_count) {
        m->state = MEMBER_ENDED;
        push_ready(b, (struct sched_decision){SCHED_COMPLETE, config, b->rungs[m->level],
                                              0, 0, NULL});
        return;
    }
    m->state = MEMBER_WAITING;
    m->value = value;
}

/* 1 when `m`, with the values already entered at the rung, is promoted. */
static int promoted(const struct sh_bracket *b, size_t rung, double value)
{
    size_t better = 0;
    const double *earlier = b->entered[rung];
    size_t count = b->entered_count[rung];
    /* Ties go to the earlier config: an equal earlier value counts as better. */
    for (size_t i = 0; i < count; i++)
        if (!scheduler_better(value, earlier[i], b->maximize))
            better++;
    size_t slots = (count + 1) / (size_t)b->eta;
    if (slots < 1)
        slots = 1;
    return better < slots;
}

/* Decides the next member of rung `rung` when every earlier one is settled
 * there. Returns 1 with *out filled, 0 when it must wait, -1 out of memory. */
static int decide_rung(struct sh_bracket *b, size_t rung, struct sched_decision *out)
{
    while (b->next[rung] < b->member_count) {
        struct sh_member *m = &b->members[b->next[rung]];
        if (m->level < rung || (m->level == rung && m->state == MEMBER_ENDED)) {
            if (m->state != MEMBER_ENDED)
                return 0;    /* may still reach this rung: wait for it */
            b->next[rung]++; /* stopped below the rung, or failed at it */
            continue;
        }
        if (m->state != MEMBER_WAITING)
            return 0; /* still training to this rung */
        int up = promoted(b, rung, m->value);
        double *grown =
            realloc(b->entered[rung], (b->entered_count[rung] + 1) * sizeof *grown);
        if (!grown)
            return -1;
        b->entered[rung] = grown;
        grown[b->entered_count[rung]++] = m->value;
        b->next[rung]++;
        if (up) {
            m->level = rung + 1;
            m->state = MEMBER_RUNNING;
            *out = (struct sched_decision){SCHED_PROMOTE,      m->config, b->rungs[rung],
                                           b->rungs[rung + 1], 0,         NULL};
        } else {
            m->state = MEMBER_ENDED;
            *out = (struct sched_decision){SCHED_PRUNE, m->config, b->rungs[rung],
                                           0,           0,         NULL};
        }
        return 1;
    }
    return 0;
}

int sh_bracket_decide(struct sh_bracket *b, struct sched_decision *out)
{
    if (b->ready_count > 0) {
        *out = b->ready[0];
        memmove(b->ready, b->ready + 1, (b->ready_count - 1) * sizeof *b->ready);
        b->ready_count--;
        return 1;
    }
    /* From the top rung down, as ASHA looks for promotions. */
    for (size_t rung = b->rung_count - 1; rung-- > 0;) {
        int rc = decide_rung(b, rung, out);
        if (rc != 0)
            return rc;
    }
    return 0;
}
