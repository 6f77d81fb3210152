/*
 * Seed-ignoring trainers. See seedcheck.h.
 *
 * Each trial's metric lines are folded into one FNV-1a 64 hash as
 * metrics_scan reads the journal, so memory is one hash per trial whatever
 * the trainers print. A start record that begins from scratch (no
 * resume_from) begins the trial's lines again: only its final attempt
 * counts.
 */
#include "seedcheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_scan.h"

int seedcheck_find(const struct sweep_state *state, const struct metrics_scan *scan,
                   size_t **configs, size_t *count, struct hp_error *err)
{
    *configs = NULL;
    *count = 0;
    struct metrics_scan own;
    memset(&own, 0, sizeof own);
    if (!scan) {
        if (metrics_scan_run(&own, state, NULL, 0, err) < 0)
            return -1;
        scan = &own;
    }
    size_t *found = calloc(state->config_count + 1, sizeof *found);
    int rc = -1;
    if (!found) {
        hp_error_set(err, "", "out of memory");
        goto out;
    }
    for (size_t c = 0; c < state->config_count; c++) {
        const struct config_record *config = &state->configs[c];
        size_t ok = 0;
        int same = 1;
        const struct trial_metrics *seen = NULL;
        for (size_t s = 0; s < config->seed_count && same; s++) {
            const struct trial_metrics *t = &scan->trials[c][s];
            if (config->seeds[s].status != SEED_OK)
                continue;
            ok++;
            same = t->line_count > 0 &&
                   (!seen || (t->lines_hash == seen->lines_hash &&
                              t->line_count == seen->line_count));
            seen = t;
        }
        if (same && ok >= 2)
            found[(*count)++] = c;
    }
    rc = 0;
out:
    metrics_scan_free(&own);
    if (rc == 0 && *count > 0)
        *configs = found;
    else
        free(found);
    return rc;
}

/* How many config numbers the warning lists before "and N more". */
enum { LISTED_CONFIGS = 5 };

void seedcheck_print_warning(const size_t *configs, size_t count, FILE *out)
{
    if (count == 0)
        return;
    fprintf(out, "warning: every seed of config%s ", count == 1 ? "" : "s");
    for (size_t i = 0; i < count && i < LISTED_CONFIGS; i++)
        fprintf(out, "%s%zu", i ? ", " : "", configs[i]);
    if (count > LISTED_CONFIGS)
        fprintf(out, " and %zu more", count - LISTED_CONFIGS);
    fprintf(out,
            " reported bit-identical metric lines: the trainer probably ignores its "
            "seed. Pass it with {seed} in \"command\" (e.g. \"--seed\", \"{seed}\") or "
            "read HPSEARCH_SEED, or the seed-to-seed spread (std, 95%% CI) means "
            "nothing.\n");
}

void seedcheck_warn(const struct sweep_state *state, const struct metrics_scan *scan,
                    FILE *out)
{
    struct hp_error err;
    hp_error_init(&err);
    size_t *configs = NULL;
    size_t count = 0;
    if (seedcheck_find(state, scan, &configs, &count, &err) < 0) {
        char text[2048];
        fprintf(out, "note: could not check whether the trainer uses its seed: %s\n",
                hp_error_format(&err, text, sizeof text));
        return;
    }
    seedcheck_print_warning(configs, count, out);
    free(configs);
}
