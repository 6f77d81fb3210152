/*
 * Turning a space's command template and one trial into an argv.
 *
 * Each template element may hold {name} placeholders: any param, plus {seed},
 * {trial_id}, {trial_dir}, and {gpu} and {cpus} (the trial's GPU and CPU ids,
 * comma-separated; empty without "resources"). Params that no placeholder
 * uses are appended as --name=value, except booleans (JSON true/false),
 * which follow argparse's store_true: true is a bare --name and false passes
 * nothing; a boolean that a placeholder uses is written "true" or "false"
 * there. A doubled brace ({{ or
 * }}) stands for a literal one. No shell is involved: every element is one argv
 * entry and a value is never re-split, whatever spaces or quotes it holds.
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <jansson.h>
#include <stdint.h>

#include "error.h"

struct trial_identity {
    uint64_t seed;
    const char *trial_id;
    const char *trial_dir;
    const char *gpus; /* {gpu}: "0,1"; NULL: empty */
    const char *cpus; /* {cpus}: "2,3"; NULL: empty */
};

/* Builds a new NULL-terminated argv (free with command_argv_free) from
 * `template_argv` (NULL-terminated, borrowed) and `params` (a config object,
 * borrowed). When `trainer_path` is non-NULL it replaces a bare
 * "hpsearch-train" in argv[0]. Returns 0, or -1 with `err` set (an unknown
 * placeholder or an unterminated brace, which the space loader normally
 * catches first). */
int command_build(char *const *template_argv, const json_t *params,
                  const struct trial_identity *who, const char *trainer_path,
                  char ***argv_out, struct hp_error *err);

void command_argv_free(char **argv);

/* Writes a scalar config value as the trainer sees it: strings as they are,
 * integers in decimal, reals in shortest round-trip form, true/false. Returns
 * a new string. */
char *command_format_value(const json_t *value);

#endif
