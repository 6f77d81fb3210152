/*
 * hpsearch: the command line. One table of commands and one table of options
 * drive parsing and --help; exit codes come from exit_codes.h. Only main()
 * exits.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "compare.h"
#include "error.h"
#include "exit_codes.h"
#include "growth.h"
#include "path.h"
#include "inspect.h"
#include "report_html.h"
#include "rerun.h"
#include "space.h"
#include "sweep.h"
#include "version.h"

enum command_id {
    CMD_RUN,
    CMD_RESUME,
    CMD_STATUS,
    CMD_REPORT,
    CMD_BEST,
    CMD_RERUN,
    CMD_COMPARE,
    CMD_COUNT,
};

struct command_spec {
    enum command_id id;
    const char *name;
    const char *operands;  /* for the usage line */
    int operand_count;
    const char *help;
};

static const struct command_spec COMMANDS[] = {
    {CMD_RUN, "run", "SPACE.json", 1, "run a sweep into runs/<name> (or --out DIR)"},
    {CMD_RESUME, "resume", "DIR", 1,
     "continue an interrupted sweep from its journal; finished trials are kept"},
    {CMD_STATUS, "status", "DIR", 1,
     "counts, running trials' latest metrics, best so far, elapsed and ETA"},
    {CMD_REPORT, "report", "DIR", 1, "the ranked configs with mean, std, 95% CI, n, every seed"},
    {CMD_BEST, "best", "DIR", 1, "the best config as JSON with the path of its checkpoint"},
    {CMD_RERUN, "rerun", "DIR TRIAL", 2,
     "run a finished trial again and check its metric lines are bit-identical"},
    {CMD_COMPARE, "compare", "DIR_A DIR_B", 2,
     "does A's best config beat B's beyond seed noise? (paired over shared seeds)"},
};

enum option_id {
    OPT_DRY_RUN,
    OPT_RETRY_FAILED,
    OPT_JOBS,
    OPT_OUT,
    OPT_EXECUTOR,
    OPT_TOP,
    OPT_FORMAT,
    OPT_CONFIG,
    OPT_OUTPUT,
    OPT_COMPARE,
    OPT_HELP,
    OPT_VERSION,
    OPT_MAX_TIME,
    OPT_MAX_TRIALS,
    OPT_MAX_FAILURES,
    OPT_TRIALS,
    OPT_METRIC,
    OPT_MODE,
    OPT_SCORE,
};

#define ONLY(c) (1u << (c))
#define ANY_COMMAND (~0u)

struct option_spec {
    enum option_id id;
    char short_name;       /* 0 when none */
    const char *long_name;
    const char *value;     /* name of the value, NULL for a switch */
    unsigned commands;     /* the commands that take it */
    const char *help;
};

static const struct option_spec OPTIONS[] = {
    {OPT_DRY_RUN, 0, "dry-run", NULL, ONLY(CMD_RUN),
     "run: list the trials that would run, start nothing"},
    {OPT_RETRY_FAILED, 0, "retry-failed", NULL, ONLY(CMD_RESUME),
     "resume: run every failed trial again, whatever its reason"},
    {OPT_JOBS, 'j', "jobs", "N", ONLY(CMD_RUN) | ONLY(CMD_RESUME),
     "parallel trials (default: the space's \"parallel\", else the number of cores)"},
    {OPT_OUT, 0, "out", "DIR", ONLY(CMD_RUN), "run: output directory (default: runs/<name>)"},
    {OPT_EXECUTOR, 0, "executor", "TYPE", ONLY(CMD_RUN) | ONLY(CMD_RESUME) | ONLY(CMD_RERUN),
     "local or slurm (each trial an srun job step of the allocation hpsearch runs in); "
     "overrides the space's \"executor\""},
    {OPT_TOP, 0, "top", "N", ONLY(CMD_REPORT), "report: only the N best configs"},
    {OPT_FORMAT, 0, "format", "FMT", ONLY(CMD_REPORT) | ONLY(CMD_COMPARE),
     "report: table (default), csv, json, markdown, tensorboard or html (writes "
     "DIR/report.html); compare: table or json"},
    {OPT_CONFIG, 0, "config", "I J", ONLY(CMD_COMPARE) | ONLY(CMD_REPORT),
     "compare: config I of DIR_A against config J of DIR_B (default: each one's best); "
     "report --compare: the same, of DIR and DIR_B"},
    {OPT_OUTPUT, 'o', "output", "FILE", ONLY(CMD_REPORT),
     "report --format html: write the page to FILE instead"},
    {OPT_COMPARE, 0, "compare", "DIR_B", ONLY(CMD_REPORT),
     "report --format html: add a section comparing DIR with sweep DIR_B, as "
     "`hpsearch compare DIR DIR_B` does (the page goes to DIR/report-compare.html)"},
    {OPT_HELP, 'h', "help", NULL, ANY_COMMAND, "show this help and exit"},
    {OPT_VERSION, 0, "version", NULL, ANY_COMMAND, "show the version and exit"},
    {OPT_MAX_TIME, 0, "max-time", "TIME", ONLY(CMD_RUN) | ONLY(CMD_RESUME),
     "stop launching after TIME (8h, 90m, 1h30m) of this run; overrides max_time"},
    {OPT_MAX_TRIALS, 0, "max-trials", "N", ONLY(CMD_RUN) | ONLY(CMD_RESUME),
     "stop launching after N trials of this run; overrides max_trials"},
    {OPT_MAX_FAILURES, 0, "max-failures", "V", ONLY(CMD_RUN) | ONLY(CMD_RESUME),
     "auto, null or N: when failed trials stop the sweep; overrides max_failures"},
    {OPT_TRIALS, 0, "trials", "N", ONLY(CMD_RESUME),
     "resume: grow the sweep to N configs (strategy.trials), the same sequence"},
    {OPT_METRIC, 0, "metric", "M", ONLY(CMD_REPORT) | ONLY(CMD_BEST),
     "report, best: rank by metric M of the journal's lines (nothing is run)"},
    {OPT_MODE, 0, "mode", "MODE", ONLY(CMD_REPORT) | ONLY(CMD_BEST),
     "report, best: min or max (default: the objective's)"},
    {OPT_SCORE, 0, "score", "RULE", ONLY(CMD_REPORT) | ONLY(CMD_BEST),
     "report, best: a trial's score is its best or last value (default: the "
     "objective's)"},
};
enum { OPTION_COUNT = sizeof OPTIONS / sizeof OPTIONS[0] };

struct cli {
    const struct command_spec *command;
    int dry_run;
    int retry_failed;
    long jobs;             /* 0 = not given */
    long top;              /* 0 = all */
    enum report_format format;
    const char *out;
    const char *executor;  /* --executor, NULL: the space's */
    const char *output;    /* report --output */
    const char *compare_with; /* report --compare */
    const char *operand;
    double max_time_s;     /* 0 = not given */
    long max_trials;       /* 0 = not given */
    int max_failures;      /* valid when max_failures_given */
    int max_failures_given;
    long trials;           /* resume --trials; 0 = not given */
    struct inspect_ranking ranking; /* report, best: --metric, --mode, --score */
    const char *operand2;  /* rerun's TRIAL, compare's DIR_B */
    struct compare_pick pick;
};

static void print_help(FILE *out)
{
    fprintf(out, "usage: hpsearch COMMAND [options] ARGUMENT\n\n"
                 "A hyperparameter search orchestrator: runs each trial as a seeded trainer\n"
                 "process, averages each configuration over its seeds, ranks them with 95%%\n"
                 "confidence intervals and keeps the best checkpoint.\n\ncommands:\n");
    for (size_t i = 0; i < CMD_COUNT; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s %s", COMMANDS[i].name, COMMANDS[i].operands);
        fprintf(out, "  %-20s %s\n", left, COMMANDS[i].help);
    }
    fprintf(out, "\noptions:\n");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_spec *o = &OPTIONS[i];
        char left[64];
        char short_part[8] = "    ";
        if (o->short_name)
            snprintf(short_part, sizeof short_part, "-%c, ", o->short_name);
        snprintf(left, sizeof left, "%s--%s%s%s", short_part, o->long_name,
                 o->value ? " " : "", o->value ? o->value : "");
        fprintf(out, "  %-22s %s\n", left, o->help);
    }
    fprintf(out, "\nexit status:\n");
#define HP_EXIT_HELP(name, code, text) fprintf(out, "  %3d  %s\n", code, text);
    HP_EXIT_CODES(HP_EXIT_HELP)
#undef HP_EXIT_HELP
}

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "hpsearch: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\nTry 'hpsearch --help'.\n");
    return -1;
}

static const struct option_spec *find_option(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_spec *o = &OPTIONS[i];
        if (arg[1] != '-') {
            if (o->short_name && arg[1] == o->short_name) {
                if (arg[2])
                    *inline_value = arg + 2;
                return o;
            }
            continue;
        }
        size_t n = strlen(o->long_name);
        if (strncmp(arg + 2, o->long_name, n) == 0 &&
            (arg[2 + n] == '\0' || arg[2 + n] == '=')) {
            if (arg[2 + n] == '=')
                *inline_value = arg + 3 + n;
            return o;
        }
    }
    return NULL;
}

static int parse_count(const char *name, const char *value, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno || *end || end == value || n < 1 || n > max) {
        char range[64];
        snprintf(range, sizeof range, "a whole number from 1 to %ld", max);
        fprintf(stderr, "hpsearch: option %s: expected %s, got \"%s\"\n", name, range, value);
        fprintf(stderr, "Try 'hpsearch --help'.\n");
        return -1;
    }
    *out = n;
    return 0;
}

/* A config index: a whole number >= 0. */
static int parse_config_index(const char *name, const char *value, size_t *out)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno || *end || end == value || n < 0) {
        usage_error("option %s: expected two config indices (whole numbers from 0), got \"%s\"",
                    name, value);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

static int apply_option(struct cli *cli, const struct option_spec *o, const char *name,
                        const char *value)
{
    switch (o->id) {
    case OPT_DRY_RUN:
        cli->dry_run = 1;
        return 0;
    case OPT_RETRY_FAILED:
        cli->retry_failed = 1;
        return 0;
    case OPT_JOBS:
        return parse_count(name, value, 4096, &cli->jobs);
    case OPT_TOP:
        return parse_count(name, value, LONG_MAX, &cli->top);
    case OPT_EXECUTOR:
        if (strcmp(value, "local") != 0 && strcmp(value, "slurm") != 0)
            return usage_error("option %s: expected local or slurm (got '%s')", name,
                               value);
        cli->executor = value;
        return 0;
    case OPT_OUT:
        if (!*value)
            return usage_error("option %s: expected a directory%s", name, "");
        cli->out = value;
        return 0;
    case OPT_FORMAT: {
        static const char *const formats[] = {"table", "csv", "json", "markdown",
                                              "tensorboard", "html"};
        for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
            if (strcmp(value, formats[i]) == 0) {
                cli->format = (enum report_format)i;
                return 0;
            }
        }
        return usage_error(
            "option %s: expected table, csv, json, markdown, tensorboard or html, got \"%s\"",
            name, value);
    }
    case OPT_METRIC:
        if (!*value)
            return usage_error("option %s: expected a metric name%s", name, "");
        cli->ranking.metric = value;
        return 0;
    case OPT_MODE:
    case OPT_SCORE: {
        const char *words = o->id == OPT_MODE ? "min or max" : "best or last";
        int first = strcmp(value, o->id == OPT_MODE ? "min" : "best") == 0;
        if (!first && strcmp(value, o->id == OPT_MODE ? "max" : "last") != 0) {
            char expected[160];
            snprintf(expected, sizeof expected, "expected %s, got \"%.100s\"", words,
                     value);
            return usage_error("option %s: %s", name, expected);
        }
        if (o->id == OPT_MODE)
            cli->ranking.mode = !first;
        else
            cli->ranking.score = first ? SCORE_BEST : SCORE_LAST;
        return 0;
    }
    case OPT_CONFIG:
        return 0; /* parsed in parse_cli: it takes two values */
    case OPT_COMPARE:
        if (!*value)
            return usage_error("option %s: expected a sweep directory%s", name, "");
        cli->compare_with = value;
        return 0;
    case OPT_OUTPUT:
        if (!*value)
            return usage_error("option %s: expected a file name%s", name, "");
        cli->output = value;
        return 0;
    case OPT_HELP:
        print_help(stdout);
        return 1;
    case OPT_VERSION:
        printf("hpsearch %s\n", HPSEARCH_VERSION);
        return 1;
    case OPT_MAX_TIME: {
        char why[256];
        if (budget_parse_duration(value, &cli->max_time_s, why, sizeof why) < 0)
            return usage_error("option %s: %s", name, why);
        if (!(cli->max_time_s > 0))
            return usage_error("option %s: must be longer than 0 s, got \"%s\"", name,
                               value);
        return 0;
    }
    case OPT_MAX_TRIALS:
        return parse_count(name, value, 1000000000, &cli->max_trials);
    case OPT_MAX_FAILURES: {
        char why[256];
        cli->max_failures_given = 1;
        if (budget_parse_max_failures(value, &cli->max_failures, why, sizeof why) < 0)
            return usage_error("option %s: %s", name, why);
        return 0;
    }
    case OPT_TRIALS:
        return parse_count(name, value, 1000000000, &cli->trials);
    }
    return 0;
}

/* Returns 0, 1 when the program should exit 0 (help, version), -1 on error. */
static int parse_cli(int argc, char **argv, struct cli *cli)
{
    memset(cli, 0, sizeof *cli);
    cli->ranking.mode = -1;
    cli->ranking.score = -1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') {
            if (!cli->command) {
                for (size_t c = 0; c < CMD_COUNT; c++)
                    if (strcmp(arg, COMMANDS[c].name) == 0)
                        cli->command = &COMMANDS[c];
                if (!cli->command)
                    return usage_error("unknown command \"%s\"%s (expected: run, resume, "
                                       "status, report, best, rerun or compare)",
                                       arg, "");
            } else if (!cli->operand) {
                cli->operand = arg;
            } else if (!cli->operand2 && cli->command->operand_count == 2) {
                cli->operand2 = arg;
            } else {
                return usage_error("unexpected argument \"%s\"%s", arg, "");
            }
            continue;
        }
        const char *value;
        const struct option_spec *o = find_option(arg, &value);
        if (!o)
            return usage_error("unknown option %s%s", arg, "");
        char name[48];
        if (arg[1] != '-')
            snprintf(name, sizeof name, "-%c", o->short_name);
        else
            snprintf(name, sizeof name, "--%s", o->long_name);
        if (cli->command && !(o->commands & ONLY(cli->command->id)))
            return usage_error("option %s does not apply to %s", name, cli->command->name);
        if (o->value && !value) {
            if (i + 1 >= argc)
                return usage_error("option %s: missing value %s", name, o->value);
            value = argv[++i];
        } else if (!o->value && value) {
            return usage_error("option %s: takes no value%s", name, "");
        }
        if (o->id == OPT_CONFIG) {
            /* Two values: config I of A, config J of B. */
            if (i + 1 >= argc)
                return usage_error("option %s: missing value J%s", name, "");
            if (parse_config_index(name, value, &cli->pick.config_a) < 0 ||
                parse_config_index(name, argv[++i], &cli->pick.config_b) < 0)
                return -1;
            cli->pick.given = 1;
            continue;
        }
        int rc = apply_option(cli, o, name, value);
        if (rc != 0)
            return rc;
    }
    if (!cli->command)
        return usage_error("missing command%s%s (expected: run, resume, status, report, best, rerun or "
                           "compare)",
                           "", "");
    if (cli->output && cli->format != REPORT_HTML)
        return usage_error("option --output: only with --format html%s%s", "", "");
    if (cli->compare_with && cli->format != REPORT_HTML)
        return usage_error("option --compare: only with --format html (or use `hpsearch "
                           "compare`)%s%s",
                           "", "");
    if (cli->pick.given && cli->command->id == CMD_REPORT && !cli->compare_with)
        return usage_error("option --config: with report, only with --compare%s%s", "", "");
    if (!cli->operand || (cli->command->operand_count == 2 && !cli->operand2))
        return usage_error("%s: missing %s", cli->command->name, cli->command->operands);
    return 0;
}

/* The trainer installed beside this program, so a build tree works too. */
static char *trainer_beside_self(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char path[HP_PATH_MAX];
    if (hp_path_join(path, sizeof path, NULL, self, "hpsearch-train", NULL) < 0 ||
        access(path, X_OK) != 0)
        return NULL;
    return strdup(path);
}

/* Returns `path` made absolute (a new string), or NULL with `err` set. */
static char *absolute_path(const char *path, struct hp_error *err)
{
    char cwd[HP_PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) {
        hp_error_set(err, "", "cannot read the current directory: %s", strerror(errno));
        return NULL;
    }
    char out[HP_PATH_MAX];
    if (hp_path_join(out, sizeof out, err, path[0] == '/' ? "" : cwd, path, NULL) < 0)
        return NULL;
    char *copy = strdup(out);
    if (!copy)
        hp_error_set(err, "", "out of memory");
    return copy;
}

/* The room a sweep directory must leave for the paths the sweep builds
 * under it (trials/<trial id>/rerun-<n>/<a file name of up to NAME_MAX
 * bytes>), so that every one of them fits in HP_PATH_MAX. */
enum { SWEEP_DIR_ROOM = 512 };

/* Returns the sweep directory `operand` (or runs/<name>) made absolute, a
 * new string, or NULL with `err` set: it cannot be resolved, or it is so long
 * that the files under it would not fit in a path. */
static char *sweep_dir(const char *operand, struct hp_error *err)
{
    char *dir = absolute_path(operand, err);
    char room[HP_PATH_MAX - SWEEP_DIR_ROOM];
    if (dir && hp_path_join(room, sizeof room, err, dir, NULL) < 0) {
        snprintf(err->source, sizeof err->source, "sweep directory");
        free(dir);
        return NULL;
    }
    return dir;
}

static int journal_exists(const char *dir)
{
    char path[HP_PATH_MAX];
    return hp_path_join(path, sizeof path, NULL, dir, "journal.jsonl", NULL) == 0 &&
           access(path, F_OK) == 0;
}

static enum hp_exit_code run_command(const struct cli *cli, const struct space *space,
                                     const char *dir, struct hp_error *err)
{
    struct executor executor = {0};
    int runs = cli->command->id == CMD_RESUME || cli->command->id == CMD_RERUN ||
               (cli->command->id == CMD_RUN && !cli->dry_run);
    if (runs &&
        executor_init(&executor, cli->executor ? cli->executor : space->executor_type,
                      space->executor, err) < 0)
        return HP_EXIT_USAGE;
    int slurm = executor.ops == &executor_slurm_ops;
    long cores = executor_default_jobs(&executor, slurm ? space->threads_per_trial : 1);
    char *trainer = space->command && strcmp(space->command[0], "hpsearch-train") == 0
                        ? trainer_beside_self()
                        : NULL;
    struct sweep_options opts = {
        .out_dir = dir,
        .jobs = (int)(cli->jobs           ? cli->jobs
                      : space->parallel ? space->parallel
                                        : (cores > 0 ? cores : 1)),
        .trainer_path = trainer,
        .live_progress = isatty(STDOUT_FILENO),
        .kill_grace_s = 10.0,
        .retry_failed = cli->retry_failed,
        .limits = {cli->max_time_s > 0 ? cli->max_time_s : space->max_time_s,
                   space->max_time_grace_s,
                   cli->max_trials ? cli->max_trials : space->max_trials,
                   cli->max_failures_given ? cli->max_failures : space->max_failures},
        .executor = runs ? &executor : NULL,
    };
    enum hp_exit_code code;
    switch (cli->command->id) {
    case CMD_RUN:
        if (cli->dry_run) {
            code = sweep_dry_run(space, &opts, stdout, err);
        } else if (journal_exists(dir)) {
            hp_error_set(err, "",
                         "%s already holds a sweep (journal.jsonl): continue it with "
                         "`hpsearch resume %s`, or choose another directory with --out",
                         dir, dir);
            code = HP_EXIT_USAGE;
        } else {
            code = sweep_run(space, &opts, err);
        }
        break;
    case CMD_RESUME:
        code = sweep_resume(space, &opts, err);
        break;
    case CMD_STATUS:
        code = inspect_status(space, dir, stdout, err);
        break;
    case CMD_REPORT:
        if (cli->format == REPORT_HTML) {
            code = report_html_command(space, dir, cli->output, cli->compare_with,
                                       &cli->pick, stdout, err);
            break;
        }
        code = inspect_report(space, dir, (size_t)cli->top, cli->format, &cli->ranking,
                              stdout, err);
        break;
    case CMD_BEST:
        code = inspect_best(space, dir, &cli->ranking, stdout, err);
        break;
    case CMD_RERUN:
        code = rerun_trial(space, dir, cli->operand2, trainer, &executor, stdout, err);
        break;
    default:
        code = HP_EXIT_USAGE;
    }
    free(trainer);
    executor_free(&executor);
    return code;
}

int main(int argc, char **argv)
{
    /* A full disk or a closed stdout must be an error code to handle, not a
     * signal that kills the sweep mid-write. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    struct cli cli;
    int parsed = parse_cli(argc, argv, &cli);
    if (parsed != 0)
        return parsed > 0 ? HP_EXIT_OK : HP_EXIT_USAGE;

    struct hp_error err;
    hp_error_init(&err);
    char message[4096];
    if (cli.command->id == CMD_COMPARE) {
        /* Two sweeps, each with its own space: compare.c loads both. */
        if (cli.format != REPORT_TABLE && cli.format != REPORT_JSON) {
            fprintf(stderr, "hpsearch: option --format: compare writes table or json\n");
            return HP_EXIT_USAGE;
        }
        enum hp_exit_code code =
            compare_print(cli.operand, cli.operand2, &cli.pick,
                          cli.format == REPORT_JSON ? COMPARE_JSON : COMPARE_TABLE, stdout, &err);
        if (code != HP_EXIT_OK)
            fprintf(stderr, "hpsearch: %s\n", hp_error_format(&err, message, sizeof message));
        return code;
    }
    /* `run` reads the space file it is given; the others read the space the
     * sweep directory was run with. */
    char *dir = NULL;
    char space_path[HP_PATH_MAX];
    if (cli.command->id == CMD_RUN) {
        if (hp_path_join(space_path, sizeof space_path, &err, cli.operand, NULL) < 0) {
            fprintf(stderr, "hpsearch: %s\n", hp_error_format(&err, message, sizeof message));
            return HP_EXIT_USAGE;
        }
    } else {
        dir = sweep_dir(cli.operand, &err);
        if (!dir || hp_path_join(space_path, sizeof space_path, &err, dir, "space.json",
                                 NULL) < 0) {
            fprintf(stderr, "hpsearch: %s\n", hp_error_format(&err, message, sizeof message));
            free(dir);
            return HP_EXIT_USAGE;
        }
        if (!journal_exists(dir)) {
            fprintf(stderr, "hpsearch: %s: not a sweep directory (no journal.jsonl)\n",
                    cli.operand);
            free(dir);
            return HP_EXIT_USAGE;
        }
    }
    /* resume --trials N grows the sweep: space.json says N from here on. */
    if (cli.command->id == CMD_RESUME && cli.trials > 0 &&
        growth_set_trials(dir, cli.trials, &err) < 0) {
        fprintf(stderr, "hpsearch: %s\n", hp_error_format(&err, message, sizeof message));
        free(dir);
        return HP_EXIT_USAGE;
    }
    struct space space;
    int starts_trials = cli.command->id == CMD_RUN || cli.command->id == CMD_RESUME ||
                        cli.command->id == CMD_RERUN;
    if (space_load(space_path, &space, &err) < 0 ||
        (starts_trials && resources_find_gpus(&space.resources, &err) < 0)) {
        fprintf(stderr, "%s\n", hp_error_format(&err, message, sizeof message));
        space_free(&space);
        free(dir);
        return HP_EXIT_USAGE;
    }
    if (cli.command->id == CMD_RUN) {
        char relative[HP_PATH_MAX];
        hp_error_init(&err);
        if (hp_path_join(relative, sizeof relative, &err, cli.out ? "" : "runs",
                         cli.out ? cli.out : space.name, NULL) < 0 ||
            !(dir = sweep_dir(relative, &err))) {
            fprintf(stderr, "hpsearch: %s\n", hp_error_format(&err, message, sizeof message));
            space_free(&space);
            return HP_EXIT_USAGE;
        }
    }
    hp_error_init(&err); /* errors from here on are not the space file's */
    enum hp_exit_code code = run_command(&cli, &space, dir, &err);
    if (code != HP_EXIT_OK && err.message[0])
        fprintf(stderr, "hpsearch: %s\n", hp_error_format(&err, message, sizeof message));
    free(dir);
    space_free(&space);
    return code;
}
