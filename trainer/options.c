/*
 * The option table and everything it drives. See options.h.
 *
 * To add an option: add a field to struct options and a row to OPTIONS. The
 * parser, --help and the checkpoint's recorded configuration follow.
 */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "exit_code.h"

static const char PROGRAM[] = "hpsearch-train";

enum option_type {
    OPT_CHOICE,    /* one of `choices` ("a|b|c"); stored as its index (int) */
    OPT_STRING,    /* a non-empty string (const char *) */
    OPT_NUMBER,    /* a finite double within [min, max] (or (min, max] if min_open) */
    OPT_INT,       /* an integer within [min, max] (long) */
    OPT_SEED,      /* a non-negative 64-bit integer (uint64_t) */
    OPT_LAYERS,    /* comma-separated layer sizes, "" or "none" for none */
    OPT_RATES,     /* comma-separated rates in [0, 1) */
    OPT_IMBALANCE, /* "c1,c2,...:fraction" or "none" */
    OPT_CLASSES,   /* "c1,c2,..." or "all" */
    OPT_FLAG,      /* boolean: --name, --name=true, --name=false (int) */
};

struct option_spec {
    const char *name;
    enum option_type type;
    size_t offset; /* of the field in struct options */
    const char *metavar;
    const char *def;     /* default, as command-line text; NULL: none */
    const char *def_text; /* --help's word for a default set after parsing, or NULL */
    const char *env;     /* environment variable read when the option is absent */
    const char *choices; /* OPT_CHOICE: "a|b", in the order of the enum */
    double min, max;
    int min_open;
    int unrecorded; /* not part of the configuration a checkpoint records */
    const char *help;
};

#define FIELD(f) offsetof(struct options, f)

static const struct option_spec OPTIONS[] = {
    {.name = "data",
     .type = OPT_CHOICE,
     .offset = FIELD(data),
     .metavar = "NAME",
     .def = "synthetic",
     .choices = "synthetic|fashion-mnist|csv",
     .help = "data set: synthetic (generated from --data-seed: 20 features, 10 "
             "classes, 4000 train / 1000 validation / 1000 test rows), fashion-mnist "
             "or csv (see --csv)"},
    {.name = "data-dir",
     .type = OPT_STRING,
     .offset = FIELD(data_dir),
     .metavar = "DIR",
     .def = "/usr/share/datasets/fashion-mnist",
     .help = "folder of train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
             "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"},
    {.name = "cache-dir",
     .type = OPT_STRING,
     .offset = FIELD(cache_dir),
     .metavar = "DIR",
     .unrecorded = 1,
     .help = "fashion-mnist: keep the decoded images in a cache file in DIR (created "
             "if missing; its parent must exist) that later runs map instead of "
             "inflating the .gz files (about 0.4 s saved per run; the results are "
             "the same bits). A cache that does not check out is rebuilt. Default: "
             "$HPSEARCH_SWEEP_DIR/.cache when that is set, else no cache"},
    {.name = "csv",
     .type = OPT_STRING,
     .offset = FIELD(csv),
     .metavar = "PATH",
     .help = "--data csv: a CSV file with a header line; the --label column is the "
             "label, every other column a numeric feature (standardized with the "
             "training rows' mean and deviation). Its rows are split by "
             "--split-seed into validation (--val-size, else 20%), test (20%, unless "
             "--csv-test) and training"},
    {.name = "csv-test",
     .type = OPT_STRING,
     .offset = FIELD(csv_test),
     .metavar = "PATH",
     .help = "--data csv: a test file of its own, with the same header"},
    {.name = "label",
     .type = OPT_STRING,
     .offset = FIELD(label),
     .metavar = "NAME",
     .def = "label",
     .help = "--data csv: the label column's name. Classification labels are "
             "class ids from 0 or class names (sorted names become ids 0, 1, ...)"},
    {.name = "task",
     .type = OPT_CHOICE,
     .offset = FIELD(task),
     .metavar = "NAME",
     .def = "classification",
     .choices = "classification|regression",
     .help = "--data csv: classification (softmax cross-entropy) or regression "
             "(one output, mean squared error; the target is standardized for "
             "training and losses are reported in its own units)"},
    {.name = "val-size",
     .type = OPT_INT,
     .offset = FIELD(val_size),
     .metavar = "N",
     .def = "0",
     .min = 0,
     .max = 1e9,
     .help = "rows moved to the validation set by a permutation drawn from "
             "--split-seed; 0: the default, 10000 of fashion-mnist's 60000 training "
             "images, 20% of a CSV file (synthetic data has a fixed 1000). The test "
             "set is never used to select anything"},
    {.name = "split-seed",
     .type = OPT_SEED,
     .offset = FIELD(split_seed),
     .metavar = "N",
     .def = "0",
     .help = "seed of the train/validation split; the same for every trial seed, "
             "so all trials are judged on the same validation set"},
    {.name = "data-seed",
     .type = OPT_SEED,
     .offset = FIELD(data_seed),
     .metavar = "N",
     .def = "0",
     .help = "seed of the synthetic data generator"},
    {.name = "train-subset",
     .type = OPT_INT,
     .offset = FIELD(train_subset),
     .metavar = "N",
     .def = "0",
     .min = 0,
     .max = 1e9,
     .help = "train on N of the training rows only (a choice drawn from "
             "--split-seed, the same for every trial seed; 0: all), for "
             "small-data studies; validation and test stay whole"},
    {.name = "classes",
     .type = OPT_CLASSES,
     .offset = FIELD(select_classes),
     .metavar = "LIST",
     .def = "all",
     .help = "keep only the rows of these classes (comma-separated ids) in every "
             "split, relabeled 0, 1, ... in the order given; e.g. 0,1,2,3,4 to "
             "pre-train on half of Fashion-MNIST and 5,6,7,8,9 to transfer to the "
             "other half. --imbalance then uses the new ids"},
    {.name = "imbalance",
     .type = OPT_IMBALANCE,
     .offset = FIELD(imbalance_classes),
     .metavar = "CLASSES:F",
     .def = "none",
     .help = "make the training rows imbalanced on purpose: of each listed class "
             "(comma-separated labels) keep the fraction F, e.g. 0,1:0.1 (a choice "
             "drawn from --split-seed; validation and test stay as they are)"},
    {.name = "class-weights",
     .type = OPT_CHOICE,
     .offset = FIELD(class_weights),
     .metavar = "MODE",
     .def = "none",
     .choices = "none|balanced",
     .help = "balanced: weight each class's training loss by rows / (classes * "
             "rows of the class), as scikit-learn's class_weight='balanced' (the "
             "reported train_loss is then the weighted mean)"},
    {.name = "oversample",
     .type = OPT_FLAG,
     .offset = FIELD(oversample),
     .help = "balanced sampling: each epoch draws as many rows as the training "
             "split has, with replacement, every class equally likely"},
    {.name = "augment-shift",
     .type = OPT_INT,
     .offset = FIELD(augment_shift),
     .metavar = "N",
     .def = "0",
     .min = 0,
     .max = 8,
     .help = "images: shift each training image by a random -N..N pixels on each "
             "axis (from the seed's augment stream)"},
    {.name = "augment-flip",
     .type = OPT_NUMBER,
     .offset = FIELD(augment_flip),
     .metavar = "P",
     .def = "0",
     .min = 0,
     .max = 1,
     .help = "images: flip each training image horizontally with probability P"},
    {.name = "augment-noise",
     .type = OPT_NUMBER,
     .offset = FIELD(augment_noise),
     .metavar = "S",
     .def = "0",
     .min = 0,
     .max = 10,
     .help = "add uniform noise of standard deviation S to each standardized "
             "training input (any data)"},
    {.name = "hidden",
     .type = OPT_LAYERS,
     .offset = FIELD(hidden),
     .metavar = "LIST",
     .def = "128",
     .help = "hidden layer sizes, input side first, e.g. 256,128; \"\" or none "
             "for no hidden layer"},
    {.name = "activation",
     .type = OPT_CHOICE,
     .offset = FIELD(activation),
     .metavar = "NAME",
     .def = "relu",
     .choices = "relu|tanh",
     .help = "activation of the hidden layers: relu or tanh"},
    {.name = "dropout",
     .type = OPT_RATES,
     .offset = FIELD(dropout),
     .metavar = "P[,P...]",
     .def = "0",
     .help = "dropout rate after each hidden layer (inverted dropout, masks drawn "
             "from the seed's dropout stream; training batches only): one rate for "
             "every hidden layer, or one per hidden layer"},
    {.name = "init-from",
     .type = OPT_STRING,
     .offset = FIELD(init_from),
     .metavar = "PATH",
     .help = "transfer learning: start from the weights of the checkpoint PATH (a "
             "best.ckpt or last.ckpt of the same architecture; with --new-head, "
             "the same but for the output layer). Ignored when resuming"},
    {.name = "freeze",
     .type = OPT_INT,
     .offset = FIELD(freeze),
     .metavar = "N",
     .def = "0",
     .min = 0,
     .max = 16,
     .help = "transfer learning: the first N dense layers (input side) are not "
             "trained: no gradient, no update, no weight decay (their grad_norm "
             "reads 0 and grad_flag ignores them); at most the number of hidden "
             "layers"},
    {.name = "new-head",
     .type = OPT_INT,
     .offset = FIELD(new_head),
     .metavar = "K",
     .def = "0",
     .min = 0,
     .max = 1000000,
     .help = "transfer learning: replace the checkpoint's output layer by a fresh "
             "one for K classes (K must be the data's number of classes, after "
             "--classes); 0: keep it"},
    {.name = "optimizer",
     .type = OPT_CHOICE,
     .offset = FIELD(optimizer),
     .metavar = "NAME",
     .def = "adam",
     .choices = "sgd|adam",
     .help = "sgd (with --momentum) or adam (betas 0.9, 0.999, eps 1e-8)"},
    {.name = "lr",
     .type = OPT_NUMBER,
     .offset = FIELD(lr),
     .metavar = "X",
     .def = "1e-3",
     .min = 0,
     .max = 1e6,
     .min_open = 1,
     .help = "learning rate"},
    {.name = "momentum",
     .type = OPT_NUMBER,
     .offset = FIELD(momentum),
     .metavar = "X",
     .def = "0.9",
     .min = 0,
     .max = 1,
     .help = "sgd momentum (0 for plain SGD)"},
    {.name = "weight-decay",
     .type = OPT_NUMBER,
     .offset = FIELD(weight_decay),
     .metavar = "X",
     .def = "0",
     .min = 0,
     .max = 1e6,
     .help = "weight decay of the weights (biases are not decayed); see "
             "--weight-decay-mode"},
    {.name = "weight-decay-mode",
     .type = OPT_CHOICE,
     .offset = FIELD(weight_decay_mode),
     .metavar = "MODE",
     .def = "l2",
     .choices = "l2|decoupled",
     .help = "l2: adds X * w to the gradient (what the optimizer sees); decoupled: "
             "shrinks w by lr * X before each update, apart from the gradient "
             "(AdamW with --optimizer adam, SGDW with sgd)"},
    {.name = "lr-schedule",
     .type = OPT_CHOICE,
     .offset = FIELD(lr_schedule),
     .metavar = "NAME",
     .def = "constant",
     .choices = "constant|step|cosine",
     .help = "constant; step: lr * gamma^floor(epoch / --lr-step-epochs); cosine: "
             "from lr down to --lr-min over the epochs after the warm-up, updated "
             "every batch"},
    {.name = "lr-step-epochs",
     .type = OPT_INT,
     .offset = FIELD(lr_step_epochs),
     .metavar = "N",
     .def = "10",
     .min = 1,
     .max = 1e9,
     .help = "step schedule: epochs between decays"},
    {.name = "lr-gamma",
     .type = OPT_NUMBER,
     .offset = FIELD(lr_gamma),
     .metavar = "X",
     .def = "0.1",
     .min = 0,
     .max = 1,
     .min_open = 1,
     .help = "step schedule: the factor of each decay"},
    {.name = "lr-min",
     .type = OPT_NUMBER,
     .offset = FIELD(lr_min),
     .metavar = "X",
     .def = "0",
     .min = 0,
     .max = 1e6,
     .help = "cosine schedule: the rate at the end"},
    {.name = "warmup-epochs",
     .type = OPT_INT,
     .offset = FIELD(warmup_epochs),
     .metavar = "N",
     .def = "0",
     .min = 0,
     .max = 1e9,
     .help = "linear warm-up: the rate climbs from lr/U to lr over the first N "
             "epochs' U updates, then the schedule takes over"},
    {.name = "patience",
     .type = OPT_INT,
     .offset = FIELD(patience),
     .metavar = "N",
     .def = "0",
     .min = 0,
     .max = 1e9,
     .help = "early stopping: stop when val_accuracy (val_loss for regression) has "
             "not improved by more than --min-delta for N epochs (0: never); the "
             "kept model is the best epoch's either way"},
    {.name = "min-delta",
     .type = OPT_NUMBER,
     .offset = FIELD(min_delta),
     .metavar = "X",
     .def = "0",
     .min = 0,
     .max = 1,
     .help = "early stopping: the smallest val_accuracy gain that counts as an "
             "improvement"},
    {.name = "clip-grad-norm",
     .type = OPT_NUMBER,
     .offset = FIELD(clip_grad_norm),
     .metavar = "X",
     .def = "0",
     .min = 0,
     .max = 1e9,
     .help = "scale each batch's whole gradient down to L2 norm X when it is longer "
             "(0: never); the epoch line counts the batches clipped"},
    {.name = "batch",
     .type = OPT_INT,
     .offset = FIELD(batch),
     .metavar = "N",
     .def = "64",
     .min = 1,
     .max = 65536,
     .help = "mini-batch size (the last batch of an epoch may be smaller)"},
    {.name = "epochs",
     .type = OPT_INT,
     .offset = FIELD(epochs),
     .metavar = "N",
     .def = "10",
     .min = 1,
     .max = 1e6,
     .help = "epochs to train, in total: a resumed run continues to this count"},
    {.name = "schedule-epochs",
     .type = OPT_INT,
     .offset = FIELD(schedule_epochs),
     .metavar = "N",
     .env = "HPSEARCH_BUDGET_MAX",
     .def_text = "--epochs",
     .min = 1,
     .max = 1e6,
     .help = "the horizon of the learning-rate schedule: the total epochs the "
             "cosine curve is laid out over (past it the rate stays at --lr-min). "
             "A scheduler that runs a trial to a few epochs and later resumes it "
             "with a larger --epochs sets this to its largest budget, so that the "
             "resumed run follows the curve one full-length run would have"},
    {.name = "seed",
     .type = OPT_SEED,
     .offset = FIELD(seed),
     .metavar = "N",
     .def = "0",
     .env = "HPSEARCH_SEED",
     .help = "seed of the weight init, shuffling, dropout and augmentation streams; "
             "the same seed and flags give bit-identical metric lines (apart from "
             "\"seconds\") and checkpoints"},
    {.name = "out-dir",
     .type = OPT_STRING,
     .offset = FIELD(out_dir),
     .metavar = "DIR",
     .def = ".",
     .env = "HPSEARCH_TRIAL_DIR",
     .unrecorded = 1,
     .help = "folder for best.ckpt and last.ckpt (created if missing)"},
    {.name = "resume",
     .type = OPT_STRING,
     .offset = FIELD(resume),
     .metavar = "PATH",
     .env = "HPSEARCH_RESUME_FROM",
     .unrecorded = 1,
     .help = "continue the run saved in PATH (a last.ckpt) exactly where it "
             "stopped: with the same flags, the metric lines and weights are the "
             "bits a run that never stopped gives. --epochs is the total: a run "
             "saved at epoch 3 and resumed with --epochs 9 trains and reports "
             "epochs 4 to 9 (give the same --schedule-epochs to both parts). The "
             "architecture, the optimizer and the training rows must match; other "
             "flags may change (stderr lists them). A checkpoint without training state "
             "(a best.ckpt) "
             "stands for the last.ckpt beside it, or, without one, the run starts "
             "afresh (a note on stderr says which)"},
    {.name = "help",
     .type = OPT_FLAG,
     .offset = FIELD(help),
     .unrecorded = 1,
     .help = "print this help and exit 0"},
};

enum { NOPTIONS = sizeof OPTIONS / sizeof OPTIONS[0] };

static const struct option_spec *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strlen(OPTIONS[i].name) == len && strncmp(OPTIONS[i].name, name, len) == 0)
            return &OPTIONS[i];
    return NULL;
}

/* Sets err's path to "option --name" (or the environment variable) and its
 * message. Returns -1. */
static int bad_value(struct hp_error *err, const struct option_spec *spec,
                     const char *env, const char *fmt, const char *value)
{
    char path[128];
    if (env)
        snprintf(path, sizeof path, "environment %s", env);
    else
        snprintf(path, sizeof path, "option --%s", spec->name);
    snprintf(err->source, sizeof err->source, "%s", PROGRAM);
    return hp_error_set(err, path, fmt, value);
}

/* Index of `value` among the '|'-separated `choices`, or -1. */
static int choice_index(const char *choices, const char *value)
{
    int index = 0;
    size_t vlen = strlen(value);
    const char *p = choices;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, value, len) == 0)
            return index;
        if (!bar)
            return -1;
        p = bar + 1;
        index++;
    }
}

/* Parses a whole string as a decimal integer. Accepts an integral number in
 * floating-point notation too ("64.0", "1e3"), since a sweep may write an
 * integer parameter that way. Returns 0 or -1. */
static int parse_long(const char *s, long *out)
{
    if (*s == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno == 0 && *end == '\0') {
        *out = v;
        return 0;
    }
    errno = 0;
    double d = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(d) || d != floor(d) || fabs(d) > 1e15)
        return -1;
    *out = (long)d;
    return 0;
}

static int parse_seed(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1; /* no sign, no space */
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Reads comma-separated integers in [min, max] from s into out[max_count],
 * stopping at the first character that is neither a digit nor a comma
 * ('\0' or `stop`). Returns a pointer to that character, or NULL when the
 * list is malformed, out of range or too long. */
static const char *parse_int_list(const char *s, long min, long max, int *out,
                                  int max_count, int *count, char stop)
{
    *count = 0;
    const char *p = s;
    for (;;) {
        if (*p < '0' || *p > '9')
            return NULL;
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno != 0 || v < min || v > max || *count == max_count)
            return NULL;
        out[(*count)++] = (int)v;
        if (*end == '\0' || (stop && *end == stop))
            return end;
        if (*end != ',')
            return NULL;
        p = end + 1;
    }
}

static int parse_layers(const char *s, int *sizes, int *count)
{
    *count = 0;
    if (*s == '\0' || strcmp(s, "none") == 0)
        return 0;
    const char *end = parse_int_list(s, 1, 100000, sizes, OPTIONS_MAX_HIDDEN, count, 0);
    return end ? 0 : -1;
}

static int parse_rates(const char *s, float *rates, int *count)
{
    *count = 0;
    const char *p = s;
    for (;;) {
        char *end = NULL;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno != 0 || !(v >= 0.0 && v < 1.0) ||
            *count == OPTIONS_MAX_HIDDEN)
            return -1;
        rates[(*count)++] = (float)v;
        if (*end == '\0')
            return 0;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

static int parse_imbalance(const char *s, struct options *o)
{
    o->nimbalance = 0;
    if (*s == '\0' || strcmp(s, "none") == 0)
        return 0;
    const char *colon = parse_int_list(s, 0, 1000000, o->imbalance_classes,
                                       OPTIONS_MAX_IMBALANCED, &o->nimbalance, ':');
    if (!colon || *colon != ':')
        return -1;
    const char *f = colon + 1;
    char *end = NULL;
    errno = 0;
    double fraction = strtod(f, &end);
    if (end == f || *end != '\0' || errno != 0 || !(fraction >= 0.0 && fraction <= 1.0))
        return -1;
    o->imbalance_fraction = fraction;
    return 0;
}

static int parse_classes(const char *s, struct options *o)
{
    o->nselect = 0;
    if (*s == '\0' || strcmp(s, "all") == 0)
        return 0;
    const char *end = parse_int_list(s, 0, 1000000, o->select_classes,
                                     OPTIONS_MAX_IMBALANCED, &o->nselect, 0);
    return end ? 0 : -1;
}

static void describe_range(char *buf, size_t size, const struct option_spec *spec)
{
    if (spec->type == OPT_INT && spec->max >= 1e9)
        snprintf(buf, size, "must be >= %.0f", spec->min);
    else if (spec->type == OPT_INT)
        snprintf(buf, size, "must be between %.0f and %.0f", spec->min, spec->max);
    else if (spec->min_open)
        snprintf(buf, size, "must be > %g and <= %g", spec->min, spec->max);
    else
        snprintf(buf, size, "must be between %g and %g", spec->min, spec->max);
}

/* Parses `value` for `spec` into `o`. `env` names the environment variable
 * the value came from, or is NULL for the command line. Returns 0 or -1. */
static int set_value(struct options *o, const struct option_spec *spec, const char *value,
                     const char *env, struct hp_error *err)
{
    char *field = (char *)o + spec->offset;
    char range[160];
    switch (spec->type) {
    case OPT_CHOICE: {
        int index = choice_index(spec->choices, value);
        if (index < 0) {
            char fmt[256];
            snprintf(fmt, sizeof fmt, "expected one of %s, got \"%%s\"", spec->choices);
            return bad_value(err, spec, env, fmt, value);
        }
        *(int *)field = index;
        return 0;
    }
    case OPT_STRING:
        if (*value == '\0')
            return bad_value(err, spec, env, "expected a non-empty value, got \"%s\"",
                             value);
        *(const char **)field = value;
        return 0;
    case OPT_NUMBER: {
        char *end = NULL;
        errno = 0;
        double v = strtod(value, &end);
        if (*value == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
            return bad_value(err, spec, env, "expected a number, got \"%s\"", value);
        if (v < spec->min || v > spec->max || (spec->min_open && v == spec->min)) {
            describe_range(range, sizeof range, spec);
            strncat(range, ", got \"%s\"", sizeof range - strlen(range) - 1);
            return bad_value(err, spec, env, range, value);
        }
        *(double *)field = v;
        return 0;
    }
    case OPT_INT: {
        long v = 0;
        if (parse_long(value, &v) < 0)
            return bad_value(err, spec, env, "expected an integer, got \"%s\"", value);
        if (v < spec->min || v > spec->max) {
            describe_range(range, sizeof range, spec);
            strncat(range, ", got \"%s\"", sizeof range - strlen(range) - 1);
            return bad_value(err, spec, env, range, value);
        }
        *(long *)field = v;
        return 0;
    }
    case OPT_SEED:
        if (parse_seed(value, (uint64_t *)field) < 0)
            return bad_value(err, spec, env,
                             "expected a non-negative integer below 2^64, got \"%s\"",
                             value);
        return 0;
    case OPT_LAYERS:
        if (parse_layers(value, o->hidden, &o->nhidden) < 0)
            return bad_value(err, spec, env,
                             "expected up to 16 comma-separated sizes from 1 to 100000 "
                             "(or \"none\"), got \"%s\"",
                             value);
        return 0;
    case OPT_RATES:
        if (parse_rates(value, o->dropout, &o->ndropout) < 0)
            return bad_value(err, spec, env,
                             "expected up to 16 comma-separated rates from 0 up to (not "
                             "including) 1, got \"%s\"",
                             value);
        return 0;
    case OPT_IMBALANCE:
        if (parse_imbalance(value, o) < 0)
            return bad_value(err, spec, env,
                             "expected comma-separated class labels, a colon and a "
                             "fraction from 0 to 1 (e.g. 0,1:0.1), or none; got \"%s\"",
                             value);
        return 0;
    case OPT_CLASSES:
        if (parse_classes(value, o) < 0)
            return bad_value(err, spec, env,
                             "expected comma-separated class ids or all, got \"%s\"",
                             value);
        return 0;
    case OPT_FLAG:
        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
            *(int *)field = 1;
            return 0;
        }
        if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
            *(int *)field = 0;
            return 0;
        }
        return bad_value(err, spec, env, "expected true or false, got \"%s\"", value);
    }
    return -1;
}

/* The rules that join options. Returns 0, or -1 with `err` set. */
static int check_combination(struct options *o, struct hp_error *err)
{
    snprintf(err->source, sizeof err->source, "%s", PROGRAM);
    const int csv = o->data == DATA_CSV;
    if (csv && !o->csv)
        return hp_error_set(err, "option --data", "csv needs --csv PATH");
    if (!csv && (o->csv || o->csv_test))
        return hp_error_set(err, o->csv ? "option --csv" : "option --csv-test",
                            "needs --data csv");
    if (o->task == TASK_REGRESSION && !csv)
        return hp_error_set(err, "option --task", "regression needs --data csv");
    if (o->task == TASK_REGRESSION &&
        (o->class_weights || o->oversample || o->nimbalance))
        return hp_error_set(err,
                            o->class_weights ? "option --class-weights"
                            : o->oversample  ? "option --oversample"
                                             : "option --imbalance",
                            "needs classification (--task classification)");
    if (o->freeze > o->nhidden)
        return hp_error_set(err, "option --freeze",
                            "%ld layers, but the model has %d hidden layers (the output "
                            "layer always trains)",
                            o->freeze, o->nhidden);
    if (o->new_head && !o->init_from)
        return hp_error_set(err, "option --new-head", "needs --init-from");
    if (o->ndropout > 1 && o->ndropout != o->nhidden)
        return hp_error_set(err, "option --dropout",
                            "%d rates for %d hidden layers (give one rate for all, or "
                            "one per hidden layer)",
                            o->ndropout, o->nhidden);
    if (o->ndropout == 1)
        for (int i = 1; i < o->nhidden; i++)
            o->dropout[i] = o->dropout[0];
    if (o->nhidden == 0 && o->dropout[0] > 0.0f)
        return hp_error_set(err, "option --dropout",
                            "there is no hidden layer to apply dropout to");
    o->ndropout = o->nhidden;
    if (o->schedule_epochs == 0)
        o->schedule_epochs = o->epochs;
    /* hpsearch's rule: a trial writes nowhere but where it is told, so the
     * cache lives under the sweep only when the sweep says where that is. */
    const char *sweep = getenv("HPSEARCH_SWEEP_DIR");
    if (!o->cache_dir && sweep && *sweep) {
        if (hp_path_join(o->cache_dir_buf, sizeof o->cache_dir_buf, NULL, sweep, ".cache",
                         NULL) < 0)
            return hp_error_set(err, "environment HPSEARCH_SWEEP_DIR",
                                "path too long (%zu bytes)", strlen(sweep));
        o->cache_dir = o->cache_dir_buf;
    }
    return 0;
}

int options_parse(struct options *o, int argc, char **argv, struct hp_error *err)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct option_spec *spec = &OPTIONS[i];
        if (spec->def && set_value(o, spec, spec->def, NULL, err) < 0)
            return -1; /* a bad default in the table: caught by the tests */
        const char *env = spec->env ? getenv(spec->env) : NULL;
        if (env && *env && set_value(o, spec, env, spec->env, err) < 0)
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0)
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            snprintf(err->source, sizeof err->source, "%s", PROGRAM);
            return hp_error_set(err, NULL, "unexpected argument \"%s\" (see --help)",
                                arg);
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct option_spec *spec = find_option(name, len);
        if (!spec) {
            snprintf(err->source, sizeof err->source, "%s", PROGRAM);
            return hp_error_set(err, NULL, "unknown option --%.*s (see --help)", (int)len,
                                name);
        }
        const char *value = NULL;
        if (eq)
            value = eq + 1;
        else if (spec->type == OPT_FLAG)
            value = "true";
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return bad_value(err, spec, NULL, "missing value%s", "");
        if (set_value(o, spec, value, NULL, err) < 0)
            return -1;
    }
    if (check_combination(o, err) < 0)
        return -1;
    return o->help ? OPTIONS_HELP : 0;
}

/* Writes `text` from column `column` (the cursor is there already), wrapping
 * at spaces so that no line passes 80 columns; continuation lines are
 * indented to `column`. */
static void print_wrapped(FILE *out, const char *text, int column)
{
    const int width = 80 - column;
    const char *p = text;
    while ((int)strlen(p) > width) {
        const char *cut = p + width;
        while (cut > p && *cut != ' ')
            cut--;
        if (cut == p)
            break;
        fprintf(out, "%.*s\n%*s", (int)(cut - p), p, column, "");
        p = cut + 1;
    }
    fprintf(out, "%s\n", p);
}

void options_print_help(FILE *out)
{
    enum { COLUMN = 26 };
    fprintf(out,
            "Usage: %s [OPTION]...\n"
            "Train a multilayer perceptron (softmax cross-entropy, OpenBLAS sgemm)\n"
            "and report one JSON object per line on stdout; diagnostics go to stderr.\n"
            "\n"
            "Options (write --name=value or --name value):\n",
            PROGRAM);
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct option_spec *spec = &OPTIONS[i];
        char left[64];
        if (spec->metavar)
            snprintf(left, sizeof left, "  --%s %s", spec->name, spec->metavar);
        else
            snprintf(left, sizeof left, "  --%s", spec->name);
        fprintf(out, "%-*s", COLUMN, left);
        if ((int)strlen(left) >= COLUMN)
            fprintf(out, "\n%*s", COLUMN, "");
        char text[1024];
        const char *def = spec->def ? spec->def : spec->def_text;
        if (def && spec->env)
            snprintf(text, sizeof text, "%s (default: $%s, else %s)", spec->help,
                     spec->env, def);
        else if (spec->def)
            snprintf(text, sizeof text, "%s (default: %s)", spec->help,
                     spec->def[0] ? spec->def : "\"\"");
        else if (spec->env)
            snprintf(text, sizeof text, "%s (default: $%s, else none)", spec->help,
                     spec->env);
        else
            snprintf(text, sizeof text, "%s", spec->help);
        print_wrapped(out, text, COLUMN);
    }
    static const char *const epilogue[] = {
        "",
        "Environment:",
        "  HPSEARCH_SEED           default of --seed",
        "  HPSEARCH_TRIAL_DIR      default of --out-dir",
        "  HPSEARCH_RESUME_FROM    default of --resume",
        "  HPSEARCH_BUDGET_MAX     default of --schedule-epochs (a scheduler's largest",
        "                          budget)",
        "  HPSEARCH_SWEEP_DIR      the sweep's folder: the data cache defaults to its",
        "                          .cache folder (see --cache-dir)",
        "  HPSEARCH_TRAIN_TIMING   1: print \"hpsearch-train: timing: first_batch T\" on",
        "                          stderr as the first training batch starts (T in",
        "                          seconds of CLOCK_MONOTONIC), for start-up benchmarks",
        "  OPENBLAS_NUM_THREADS    BLAS threads; results are bit-identical for a",
        "                          fixed thread count (use 1)",
        "",
        "Files in --out-dir, written atomically (temporary file, fsync, rename):",
        "  best.ckpt   the best epoch's weights, on each new best validation accuracy",
        "  last.ckpt   the whole training state, after every epoch and on SIGTERM",
        "",
        "Output lines on stdout (JSON objects, keys in this order):",
        "  every epoch:    {\"epoch\", \"train_loss\", \"val_loss\", \"val_accuracy\",",
        "                   \"val_macro_f1\", \"val_recall\": [per class],",
        "                   \"grad_norm\": [per layer], \"grad_flag\", \"clipped\", "
        "\"lr\",",
        "                   \"seconds\"}",
        "      val_recall    recall of each class on the validation set (0 for a class",
        "                    with no rows; left out above 32 classes); val_macro_f1 the",
        "                    mean of the classes' F1 (scikit-learn's, zero_division=0)",
        "      grad_norm     each dense layer's gradient L2 norm (weights and biases,",
        "                    before clipping), input side first, averaged over the",
        "                    epoch's batches",
        "      grad_flag     \"exploding\" if a layer's norm is above 100 or not finite;",
        "                    else \"vanishing\" if a layer's norm is below 1e-6 or the",
        "                    first layer's is below 1e-3 times the last layer's; else",
        "                    \"ok\"",
        "      clipped       batches whose gradient --clip-grad-norm scaled down",
        "      lr            the rate of the epoch's last update",
        "      seconds       that epoch's wall time: the only field that differs",
        "                    between identical runs",
        "  new best:       {\"checkpoint\": \"best.ckpt\", \"epoch\"}  (after",
        "                   <out-dir>/best.ckpt is saved)",
        "  every epoch:    {\"checkpoint\": \"last.ckpt\", \"epoch\"}  (after",
        "                   <out-dir>/last.ckpt is saved; also on a signal)",
        "  on --resume from another folder: both checkpoint lines first (best.ckpt",
        "                   when there is a best epoch, then last.ckpt), once the",
        "                   resumed state is saved in --out-dir",
        "  at the end:     {\"final\": true, \"stopped\": \"completed\" or",
        "                   \"early_stopping\", \"reason\", \"epochs_run\", "
        "\"best_epoch\",",
        "                   \"best_val_accuracy\", \"test_loss\", \"test_accuracy\",",
        "                   \"test_macro_f1\", \"test_confusion\": [[row per true class,",
        "                   count per predicted class]], \"fit\", \"fit_reason\",",
        "                   \"seconds\"}  (the test set, evaluated once, with the best",
        "                   epoch's weights; test_confusion left out above 32 classes",
        "                   or when the line would pass 8192 bytes)",
        "      fit           \"overfit\": val_loss ended more than 5% above its minimum",
        "                    while train_loss fell since; \"underfit\": val_loss still",
        "                    at its minimum in the last epoch and train_loss still",
        "                    falling by more than 1% in it; else \"good\" (\"unknown\"",
        "                    under two epochs)",
        "  regression (--task regression): epoch lines carry \"val_rmse\" and",
        "                   \"val_r2\" in place of val_accuracy, val_macro_f1 and",
        "                   val_recall; the final line \"best_val_loss\", \"test_loss\",",
        "                   \"test_rmse\", \"test_r2\" in place of best_val_accuracy",
        "                   ... test_confusion. Losses are mean squared errors in the",
        "                   target's units; best.ckpt and early stopping follow",
        "                   val_loss (lower is better).",
        "  on divergence:  {\"final\": true, \"stopped\": \"nan\", \"epoch\",",
        "                   \"epochs_run\", \"seconds\"}  (after that epoch's line,",
        "                   which has NaN or Infinity as train_loss and no grad_norm,",
        "                   grad_flag or clipped)",
        "  on a signal:    {\"final\": true, \"stopped\": \"signal\", \"signal\",",
        "                   \"epochs_run\", \"resume_from\": \"last.ckpt\", \"seconds\"}",
        "",
        "Exit status:",
    };
    for (size_t i = 0; i < sizeof epilogue / sizeof epilogue[0]; i++)
        fprintf(out, "%s\n", epilogue[i]);
#define PRINT_EXIT(name, status, meaning)                                                \
    fprintf(out, "  %-2d ", status);                                                     \
    print_wrapped(out, meaning, 5);
    TRAIN_EXIT_CODES(PRINT_EXIT)
#undef PRINT_EXIT
}

json_t *options_to_json(const struct options *o)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct option_spec *spec = &OPTIONS[i];
        const char *field = (const char *)o + spec->offset;
        json_t *v = NULL;
        if (spec->unrecorded)
            continue;
        switch (spec->type) {
        case OPT_CHOICE: {
            int index = *(const int *)field;
            const char *p = spec->choices;
            for (int k = 0; k < index && p; k++) {
                p = strchr(p, '|');
                p = p ? p + 1 : NULL;
            }
            size_t len = p ? strcspn(p, "|") : 0;
            v = p ? json_stringn(p, len) : json_null();
            break;
        }
        case OPT_STRING: {
            const char *text = *(const char *const *)field;
            v = text ? json_string(text) : json_null();
            break;
        }
        case OPT_NUMBER:
            v = json_real(*(const double *)field);
            break;
        case OPT_INT:
            v = json_integer(*(const long *)field);
            break;
        case OPT_SEED: {
            char text[32];
            snprintf(text, sizeof text, "%llu",
                     (unsigned long long)*(const uint64_t *)field);
            v = json_string(text);
            break;
        }
        case OPT_LAYERS: {
            char text[OPTIONS_MAX_HIDDEN * 8 + 8] = "";
            size_t len = 0;
            for (int k = 0; k < o->nhidden; k++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%d",
                                        k ? "," : "", o->hidden[k]);
            v = json_string(o->nhidden ? text : "none");
            break;
        }
        case OPT_RATES: {
            char text[OPTIONS_MAX_HIDDEN * 16 + 8] = "";
            size_t len = 0;
            for (int k = 0; k < o->ndropout && len < sizeof text; k++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%.9g",
                                        k ? "," : "", (double)o->dropout[k]);
            v = json_string(o->ndropout ? text : "0");
            break;
        }
        case OPT_IMBALANCE: {
            char text[OPTIONS_MAX_IMBALANCED * 8 + 32] = "none";
            size_t len = 0;
            for (int k = 0; k < o->nimbalance; k++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%d",
                                        k ? "," : "", o->imbalance_classes[k]);
            if (o->nimbalance)
                snprintf(text + len, sizeof text - len, ":%.17g", o->imbalance_fraction);
            v = json_string(text);
            break;
        }
        case OPT_CLASSES: {
            char text[OPTIONS_MAX_IMBALANCED * 8 + 8] = "all";
            size_t len = 0;
            for (int k = 0; k < o->nselect; k++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%d",
                                        k ? "," : "", o->select_classes[k]);
            v = json_string(text);
            break;
        }
        case OPT_FLAG:
            v = json_boolean(*(const int *)field);
            break;
        }
        if (!v || json_object_set_new(obj, spec->name, v) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}
