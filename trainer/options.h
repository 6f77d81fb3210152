/*
 * The command line of hpsearch-train. One table (in options.c) lists every
 * option with its type, default, environment variable, accepted range and
 * help text; parsing, --help and the configuration recorded in checkpoints are
 * all driven by it, so they cannot disagree.
 *
 * Options are written --name=value or --name value (the orchestrator passes
 * swept parameters as --name=value). Boolean flags take no value, or
 * =true/=false. Values are checked in full: a number must be all number.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "path.h"

enum { OPTIONS_MAX_HIDDEN = 16, OPTIONS_MAX_IMBALANCED = 64 };

/* The parsed command line. Strings are borrowed from argv, the environment or
 * the option table, so they live as long as the process. */
struct options {
    int data; /* enum data_kind */
    const char *data_dir;
    const char *cache_dir;             /* the data cache's folder, or NULL: none */
    char cache_dir_buf[HP_PATH_MAX];   /* $HPSEARCH_SWEEP_DIR/.cache, when that is it */
    const char *csv;                   /* --data csv: the file */
    const char *csv_test;              /* --data csv: a test file of its own, or NULL */
    const char *label;                 /* --data csv: the label column */
    int task;                          /* enum task */
    int hidden[OPTIONS_MAX_HIDDEN];    /* hidden layer sizes, input side first */
    int nhidden;                       /* 0: no hidden layer (a linear model) */
    int activation;                    /* enum activation */
    float dropout[OPTIONS_MAX_HIDDEN]; /* the rate after each hidden layer */
    int ndropout;                      /* nhidden once parsed */
    int optimizer;                     /* enum optim_kind */
    double lr;
    double momentum;
    double weight_decay;
    int weight_decay_mode; /* 0: l2, 1: decoupled */
    int lr_schedule;       /* enum schedule_kind */
    long lr_step_epochs;
    double lr_gamma;
    double lr_min;
    long warmup_epochs;
    long patience; /* 0: no early stopping */
    double min_delta;
    double clip_grad_norm;
    long augment_shift;
    double augment_flip;
    double augment_noise;
    int class_weights; /* 0: none, 1: balanced */
    int oversample;
    int imbalance_classes[OPTIONS_MAX_IMBALANCED];
    int nimbalance; /* 0: no imbalance on purpose */
    double imbalance_fraction;
    long train_subset; /* 0: all */
    int select_classes[OPTIONS_MAX_IMBALANCED];
    int nselect;           /* 0: all classes */
    const char *init_from; /* transfer: a checkpoint to take the weights from */
    long freeze;           /* transfer: dense layers not trained, input side first */
    long new_head;
    /* transfer: output classes of a fresh output layer; 0: none */ /* 0: no clipping
                                                                     */
    long batch;
    long epochs;
    long schedule_epochs; /* the schedule's horizon: --epochs unless given */
    long val_size;
    uint64_t seed;
    uint64_t split_seed;
    uint64_t data_seed;
    const char *out_dir;
    const char *resume; /* NULL: start afresh */
    int help;           /* --help was given */
};

/* The result of options_parse when --help was given. */
enum { OPTIONS_HELP = 1 };

/* Fills `o` from the defaults, then the environment, then argv[1..argc), and
 * checks the rules that join options (such as one dropout rate per hidden
 * layer). Returns 0, OPTIONS_HELP, or -1 with `err` set to a message that
 * names the option (a usage error: unknown option, missing or bad value). */
int options_parse(struct options *o, int argc, char **argv, struct hp_error *err);

/* Writes the usage text: every option with its default and meaning, the
 * environment variables, the output lines and the exit statuses. */
void options_print_help(FILE *out);

/* Returns a new JSON object holding every option's value under its name (the
 * configuration a checkpoint records; --out-dir, --resume and --help are
 * left out since they say where, not what), or NULL when out of memory. */
json_t *options_to_json(const struct options *o);

#endif
