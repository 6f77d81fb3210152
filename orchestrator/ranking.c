/*
 * Rankings and Pareto fronts. See ranking.h.
 */
#include "ranking.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What ordering a config needs, copied out so that qsort needs no context. */
struct rank_entry {
    size_t index;
    int ok; /* has a value */
    int pruned;
    long reached;
    double key; /* the mean, oriented so that smaller is better */
};

static int compare_entries(const void *pa, const void *pb)
{
    const struct rank_entry *a = pa;
    const struct rank_entry *b = pb;
    if (a->ok != b->ok)
        return a->ok ? -1 : 1;
    /* Values at different budgets do not compare: full budget first, then
     * pruned configs, the furthest first. */
    if (a->pruned != b->pruned)
        return a->pruned ? 1 : -1;
    if (a->pruned && a->reached != b->reached)
        return a->reached > b->reached ? -1 : 1;
    if (a->ok && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

size_t ranking_order(const struct config_record *configs, size_t count, int maximize,
                     size_t *order)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (configs[i].complete)
            order[n++] = i;
    struct rank_entry *entries = malloc((n + 1) * sizeof *entries);
    if (!entries)
        return n; /* unsorted, but complete: the config order */
    for (size_t r = 0; r < n; r++) {
        const struct config_record *c = &configs[order[r]];
        entries[r] =
            (struct rank_entry){c->index, c->summary.n > 0, c->pruned, c->reached,
                                maximize ? -c->summary.mean : c->summary.mean};
    }
    qsort(entries, n, sizeof *entries, compare_entries);
    for (size_t r = 0; r < n; r++)
        order[r] = entries[r].index;
    free(entries);
    return n;
}

void ranking_summarize(const struct sweep_state *state, const struct metrics_scan *scan,
                       size_t config, size_t k, struct stats_summary *out)
{
    const struct config_record *c = &state->configs[config];
    double *values = malloc((c->seed_count + 1) * sizeof *values);
    size_t n = 0;
    for (size_t s = 0; values && s < c->seed_count; s++) {
        unsigned char status = c->seeds[s].status;
        double v = metrics_scan_score(scan, state, config, s, k);
        if ((status == SEED_OK || status == SEED_PRUNED) && isfinite(v))
            values[n++] = v;
    }
    stats_summarize(values, n, out);
    free(values);
}

void ranking_rescore(struct sweep_state *state, const struct metrics_scan *scan,
                     int maximize)
{
    state->has_best = 0;
    for (size_t c = 0; c < state->config_count; c++) {
        struct config_record *config = &state->configs[c];
        for (size_t s = 0; s < config->seed_count; s++) {
            struct seed_record *seed = &config->seeds[s];
            if (seed->status == SEED_OK || seed->status == SEED_PRUNED)
                seed->score = metrics_scan_score(scan, state, c, s, 0);
        }
        if (!config->complete)
            continue;
        ranking_summarize(state, scan, c, 0, &config->summary);
        if (config->summary.n == 0 || config->pruned)
            continue;
        if (!state->has_best ||
            state_better(config->summary.mean,
                         state->configs[state->best_config].summary.mean, maximize)) {
            state->best_config = c;
            state->has_best = 1;
        }
    }
}

/* A candidate of the front: its means, oriented so that smaller is better. */
struct front_entry {
    size_t config;
    size_t k;
    const double *key; /* (k) */
};

static int compare_front(const void *pa, const void *pb)
{
    const struct front_entry *a = pa;
    const struct front_entry *b = pb;
    for (size_t i = 0; i < a->k; i++)
        if (a->key[i] != b->key[i])
            return a->key[i] < b->key[i] ? -1 : 1;
    return a->config < b->config ? -1 : (a->config > b->config);
}

/* Whether a is at least as good as b everywhere and better somewhere. */
static int dominates(const double *a, const double *b, size_t k)
{
    int better = 0;
    for (size_t i = 0; i < k; i++) {
        if (a[i] > b[i])
            return 0;
        better |= a[i] < b[i];
    }
    return better;
}

int ranking_pareto(struct pareto *out, const struct sweep_state *state,
                   const struct metrics_scan *scan)
{
    size_t k = scan->objective_count;
    size_t configs = state->config_count;
    memset(out, 0, sizeof *out);
    out->objective_count = k;
    out->summaries = calloc(configs * k + 1, sizeof *out->summaries);
    out->on_front = calloc(configs + 1, 1);
    out->front = malloc((configs + 1) * sizeof *out->front);
    double *keys = malloc((configs * k + 1) * sizeof *keys);
    struct front_entry *entries = malloc((configs + 1) * sizeof *entries);
    if (!out->summaries || !out->on_front || !out->front || !keys || !entries) {
        free(keys);
        free(entries);
        ranking_pareto_free(out);
        return -1;
    }
    size_t n = 0;
    for (size_t c = 0; c < configs; c++) {
        const struct config_record *config = &state->configs[c];
        if (!config->complete)
            continue;
        int candidate = !config->pruned;
        for (size_t i = 0; i < k; i++) {
            struct stats_summary *s = &out->summaries[c * k + i];
            ranking_summarize(state, scan, c, i, s);
            candidate &= s->n > 0;
            keys[c * k + i] = scan->objectives[i].maximize ? -s->mean : s->mean;
        }
        if (candidate)
            entries[n++] = (struct front_entry){c, k, &keys[c * k]};
    }
    /* In lexicographic order a config's dominators all come before it, and
     * whatever dominates it is dominated by (or is) a member found so far:
     * so each candidate is checked against the front only. */
    qsort(entries, n, sizeof *entries, compare_front);
    for (size_t e = 0; e < n; e++) {
        int dominated = 0;
        for (size_t f = 0; f < out->front_count && !dominated; f++)
            dominated = dominates(&keys[out->front[f] * k], entries[e].key, k);
        if (dominated)
            continue;
        out->front[out->front_count++] = entries[e].config;
        out->on_front[entries[e].config] = 1;
    }
    free(keys);
    free(entries);
    return 0;
}

void ranking_pareto_free(struct pareto *p)
{
    free(p->summaries);
    free(p->on_front);
    free(p->front);
    memset(p, 0, sizeof *p);
}
