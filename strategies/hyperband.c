/*
 * The hyperband scheduler (Li et al., JMLR 2018): brackets of successive
 * halving over the same min, max and eta, each run asynchronously and decided
 * in config order (successive_halving.h).
 *
 * With s_max = floor(log_eta(max/min)), bracket s (s = s_max .. 0) starts at
 * min*eta^(s_max-s), so bracket s_max is the most aggressive (it starts at
 * min) and bracket 0 runs every config to max. The paper gives bracket s
 * n_s = ceil((s_max+1)/(s+1) * eta^s) configs, which spends about the same
 * budget on each bracket. Here configs are dealt to brackets in that
 * proportion by smooth weighted round robin over one cycle of sum(n_s)
 * configs, repeated: config k goes to the bracket at position k mod cycle.
 * The deal depends on the index alone, so it is the same on every run.
 */
#include <math.h>
#include <stdlib.h>

#include "scheduler.h"
#include "successive_halving.h"

struct hyperband {
    struct scheduler base;
    struct sh_bracket *brackets; /* [0] is s_max (starts at min) */
    size_t bracket_count;
    size_t *deal; /* one cycle: the bracket of each position */
    size_t cycle;
};

static const char *const hyperband_option_keys[] = {"min", "max", "eta", NULL};

static void hyperband_destroy(struct scheduler *s)
{
    struct hyperband *h = (struct hyperband *)s;
    for (size_t i = 0; h->brackets && i < h->bracket_count; i++)
        sh_bracket_free(&h->brackets[i]);
    free(h->brackets);
    free(h->deal);
    free(h);
}

/* Smooth weighted round robin: each step every bracket gains its weight,
 * the one with the most credit (the first on ties) is dealt and pays the
 * total. Over one cycle each bracket is dealt exactly its weight. */
static void deal_cycle(const size_t *weights, size_t count, size_t *deal, size_t cycle)
{
    long long credit[64] = {0};
    for (size_t k = 0; k < cycle; k++) {
        size_t pick = 0;
        for (size_t i = 0; i < count; i++) {
            credit[i] += (long long)weights[i];
            if (credit[i] > credit[pick])
                pick = i;
        }
        credit[pick] -= (long long)cycle;
        deal[k] = pick;
    }
}

static int hyperband_create(const json_t *options, const struct sched_context *context,
                            struct scheduler **out, struct hp_error *err)
{
    long min, max, eta;
    *out = NULL;
    if (sh_options(options, &min, &max, &eta, err) < 0)
        return -1;
    size_t s_max = 0;
    for (long r = min; r <= max / eta; r *= eta)
        s_max++;
    if (s_max > 20)
        return hp_error_set(err, "scheduler.max",
                            "max/min spans %zu powers of eta; at most 20 brackets",
                            s_max);
    struct hyperband *h = calloc(1, sizeof *h);
    if (!h)
        return hp_error_set(err, "scheduler", "out of memory");
    h->base.ops = &hyperband_scheduler_ops;
    h->base.max_budget = max;
    h->bracket_count = s_max + 1;
    h->brackets = calloc(h->bracket_count, sizeof *h->brackets);
    size_t weights[64];
    int ok = h->brackets != NULL;
    long start = min;
    for (size_t i = 0; ok && i < h->bracket_count; i++) {
        size_t s = s_max - i; /* bracket i has early-stopping rate s */
        double n =
            ceil((double)(s_max + 1) / (double)(s + 1) * pow((double)eta, (double)s));
        weights[i] = (size_t)n;
        h->cycle += weights[i];
        ok = sh_bracket_init(&h->brackets[i], start, max, eta, context->maximize) == 0;
        start *= eta;
    }
    if (ok && h->cycle > 1000000)
        ok = 0;
    if (ok)
        ok = (h->deal = calloc(h->cycle, sizeof *h->deal)) != NULL;
    if (!ok) {
        hyperband_destroy(&h->base);
        return hp_error_set(err, "scheduler", "out of memory");
    }
    deal_cycle(weights, h->bracket_count, h->deal, h->cycle);
    *out = &h->base;
    return 0;
}

static struct sh_bracket *bracket_of(struct hyperband *h, size_t config)
{
    return &h->brackets[h->deal[config % h->cycle]];
}

static long hyperband_admit(struct scheduler *s, size_t config, const json_t *params)
{
    (void)params;
    struct hyperband *h = (struct hyperband *)s;
    return sh_bracket_admit(bracket_of(h, config), config);
}

static void hyperband_segment_end(struct scheduler *s, size_t config, long budget,
                                  double value, size_t n_ok)
{
    struct hyperband *h = (struct hyperband *)s;
    sh_bracket_segment_end(bracket_of(h, config), config, budget, value, n_ok);
}

/* Brackets are independent: any order of asking them gives the same
 * decisions; a fixed order keeps the journal's order the same too. */
static int hyperband_decide(struct scheduler *s, struct sched_decision *out)
{
    struct hyperband *h = (struct hyperband *)s;
    for (size_t i = 0; i < h->bracket_count; i++) {
        int rc = sh_bracket_decide(&h->brackets[i], out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

const struct scheduler_ops hyperband_scheduler_ops = {
    .name = "hyperband",
    .option_keys = hyperband_option_keys,
    .create = hyperband_create,
    .admit = hyperband_admit,
    .progress = NULL,
    .segment_end = hyperband_segment_end,
    .decide = hyperband_decide,
    .destroy = hyperband_destroy,
};
