/*
 * Growing a sweep: `hpsearch resume DIR --trials N`, or strategy.trials
 * raised in DIR/space.json, runs more configs of the same sequence. The
 * configs already run are kept; the new ones are those a sweep of N would
 * have run, since every strategy draws config i from (seed, i) (and tpe
 * models it from the outcomes before it, which are the same).
 *
 * space.json is the space as run, so a grown sweep's space.json says the
 * new size, and `status`, `report`, `rerun` and a later `resume` read it
 * from there. The journal says what the file may be: its sweep_start record
 * holds the hash of the space as first written, and each growth appends a
 * "grow" record {from, configs, trials, space_hash} with the new file's hash.
 * A resume accepts space.json when it is the file of the latest of those
 * records, or that file with only strategy.trials raised (a grow it then
 * journals); any other edit, and lowering trials, is refused.
 *
 * This file owns that check and the rewrite of space.json for --trials; it
 * does not run anything.
 */
#ifndef GROWTH_H
#define GROWTH_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "space.h"

/* What a resume found: the configs the sweep had and has now. */
struct growth {
    size_t from;         /* configs of the space as last journaled */
    size_t to;           /* configs of space.json now; > from when it grew */
    char space_hash[24]; /* the hash of space.json now, written as hpsearch
                            writes it (indent 2), whatever its layout */
};

/* `resume --trials N`: rewrites <dir>/space.json (durably) with
 * strategy.trials = N, when N is more configs than it has. N equal to its
 * size changes nothing. Errors name the option "--trials": fewer configs
 * than it has (a sweep does not shrink), a grid of fewer than N configs, a
 * pbt population, another hpsearch running the sweep, or a space.json that
 * does not load. Returns 0 or -1. */
int growth_set_trials(const char *dir, long trials, struct hp_error *err);

/* Checks <dir>/space.json, loaded as `space`, against the journal (see the
 * top of the file) and fills *out. Returns 0; -1 when the file was edited
 * otherwise, shrank, or cannot be read (`err` says which and what to do);
 * JOURNAL_LINE_UNREADABLE when the journal cannot tell. */
int growth_check(const char *dir, const struct space *space, struct growth *out,
                 struct hp_error *err);

/* The "grow" record of *g (a new reference, NULL when out of memory), with
 * the space's strategy.trials. */
json_t *growth_record(const struct growth *g, const struct space *space, double time);

/* The space's strategy.trials as sweep_start records it: a new reference to
 * its value, or null when the strategy has none (a whole grid). */
json_t *growth_trials_value(const struct space *space);

#endif
