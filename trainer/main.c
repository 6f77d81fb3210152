/*
 * hpsearch-train: the built-in trainer of hpsearch. main() turns the command
 * line into options, the options into data, and the training's outcome into
 * the exit status; it is the only function that ends the process.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "data.h"
#include "error.h"
#include "exit_code.h"
#include "options.h"
#include "train.h"

static void report(const struct hp_error *err)
{
    char text[2048];
    hp_error_format(err, text, sizeof text);
    if (strcmp(err->source, "hpsearch-train") == 0)
        fprintf(stderr, "%s\n", text);
    else
        fprintf(stderr, "hpsearch-train: %s\n", text);
}

int main(int argc, char **argv)
{
    struct hp_error err;
    hp_error_init(&err);
    struct options opt;
    int rc = options_parse(&opt, argc, argv, &err);
    if (rc == OPTIONS_HELP) {
        options_print_help(stdout);
        return fflush(stdout) == 0 ? TRAIN_EXIT_OK : TRAIN_EXIT_RUNTIME;
    }
    if (rc < 0) {
        report(&err);
        return TRAIN_EXIT_USAGE;
    }

    /* hpsearch gives its trainers SIGXFSZ at its default, which kills the
     * process when a file grows past the file-size limit (ulimit -f).
     * Ignored, the write fails with EFBIG instead, and that is reported as
     * an I/O failure naming the file (exit 74), as a full disk is. */
    signal(SIGXFSZ, SIG_IGN);
    if (train_catch_signals() < 0) {
        perror("hpsearch-train: sigaction");
        return TRAIN_EXIT_RUNTIME;
    }
    struct data_config cfg = {
        .kind = (enum data_kind)opt.data,
        .dir = opt.data_dir,
        .cache_dir = opt.cache_dir,
        .val_size = (size_t)opt.val_size,
        .split_seed = opt.split_seed,
        .data_seed = opt.data_seed,
        .imbalance_classes = opt.imbalance_classes,
        .nimbalance = opt.nimbalance,
        .imbalance_fraction = opt.imbalance_fraction,
        .train_subset = (size_t)opt.train_subset,
        .csv_path = opt.csv,
        .test_path = opt.csv_test,
        .label = opt.label,
        .task = (enum task)opt.task,
        .select_classes = opt.select_classes,
        .nselect = opt.nselect,
    };
    struct data d;
    rc = data_load(&d, &cfg, &err);
    if (rc < 0) {
        report(&err);
        return rc == -2 ? TRAIN_EXIT_USAGE : TRAIN_EXIT_RUNTIME;
    }
    if (train_check(&opt, &d, &err) < 0) {
        report(&err);
        data_free(&d);
        return TRAIN_EXIT_USAGE;
    }
    enum train_exit status = train_run(&opt, &d, stdout);
    data_free(&d);
    return (int)status;
}
