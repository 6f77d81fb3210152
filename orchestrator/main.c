/*
 * hpsearch: the command line. One option table drives parsing and --help;
 * exit codes come from exit_codes.h. Only main() exits.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "exit_codes.h"
#include "space.h"
#include "sweep.h"

enum option_id {
    OPT_DRY_RUN,
    OPT_JOBS,
    OPT_OUT,
    OPT_HELP,
    OPT_VERSION,
};

struct option_spec {
    enum option_id id;
    char short_name;       /* 0 when none */
    const char *long_name;
    const char *value;     /* name of the value, NULL for a switch */
    const char *help;
};

static const struct option_spec OPTIONS[] = {
    {OPT_DRY_RUN, 0, "dry-run", NULL, "list the trials that would run, start nothing"},
    {OPT_JOBS, 'j', "jobs", "N",
     "parallel trials (default: the space's \"parallel\", else the number of cores)"},
    {OPT_OUT, 0, "out", "DIR", "output directory (default: runs/<name>)"},
    {OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {OPT_VERSION, 0, "version", NULL, "show the version and exit"},
};
enum { OPTION_COUNT = sizeof OPTIONS / sizeof OPTIONS[0] };

struct cli {
    int dry_run;
    long jobs;             /* 0 = not given */
    const char *out;
    const char *space_path;
};

static void print_help(FILE *out)
{
    fprintf(out, "usage: hpsearch run [options] SPACE.json\n\n"
                 "Expands the search space into trials, runs each trial as a seeded\n"
                 "trainer process, averages each configuration over its seeds, ranks the\n"
                 "configurations and keeps the best checkpoint.\n\noptions:\n");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_spec *o = &OPTIONS[i];
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->long_name,
                     o->value ? " " : "", o->value ? o->value : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->long_name, o->value ? " " : "",
                     o->value ? o->value : "");
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
        if (strncmp(arg + 2, o->long_name, n) == 0 && (arg[2 + n] == '\0' || arg[2 + n] == '=')) {
            if (arg[2 + n] == '=')
                *inline_value = arg + 3 + n;
            return o;
        }
    }
    return NULL;
}

/* Returns 0, 1 when the program should exit 0 (help, version), -1 on error. */
static int parse_cli(int argc, char **argv, struct cli *cli)
{
    memset(cli, 0, sizeof *cli);
    int have_command = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') {
            if (!have_command) {
                if (strcmp(arg, "run") != 0)
                    return usage_error("unknown command \"%s\"%s (expected: run)", arg, "");
                have_command = 1;
            } else if (!cli->space_path) {
                cli->space_path = arg;
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
        snprintf(name, sizeof name, "%s%s", o->short_name && arg[1] != '-' ? "-" : "--",
                 o->short_name && arg[1] != '-' ? (char[]){o->short_name, 0} : o->long_name);
        if (o->value && !value) {
            if (i + 1 >= argc)
                return usage_error("option %s: missing value %s", name, o->value);
            value = argv[++i];
        } else if (!o->value && value) {
            return usage_error("option %s: takes no value%s", name, "");
        }
        switch (o->id) {
        case OPT_DRY_RUN:
            cli->dry_run = 1;
            break;
        case OPT_JOBS: {
            char *end;
            errno = 0;
            long n = strtol(value, &end, 10);
            if (errno || *end || end == value || n < 1 || n > 4096)
                return usage_error("option %s: expected a whole number from 1 to 4096, "
                                   "got \"%s\"",
                                   name, value);
            cli->jobs = n;
            break;
        }
        case OPT_OUT:
            if (!*value)
                return usage_error("option %s: expected a directory%s", name, "");
            cli->out = value;
            break;
        case OPT_HELP:
            print_help(stdout);
            return 1;
        case OPT_VERSION:
            printf("hpsearch 0.1\n");
            return 1;
        }
    }
    if (!have_command)
        return usage_error("missing command%s%s (expected: run)", "", "");
    if (!cli->space_path)
        return usage_error("run: missing the space file%s%s", "", "");
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
    size_t size = strlen(self) + sizeof "/hpsearch-train";
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%s/hpsearch-train", self);
    if (path && access(path, X_OK) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

static char *absolute_out_dir(const struct cli *cli, const struct space *space)
{
    char relative[PATH_MAX];
    if (cli->out)
        snprintf(relative, sizeof relative, "%s", cli->out);
    else
        snprintf(relative, sizeof relative, "runs/%s", space->name);
    if (relative[0] == '/')
        return strdup(relative);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t size = strlen(cwd) + strlen(relative) + 2;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%s/%s", cwd, relative);
    return path;
}

static int journal_exists(const char *out_dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/journal.jsonl", out_dir);
    return access(path, F_OK) == 0;
}

int main(int argc, char **argv)
{
    struct cli cli;
    int parsed = parse_cli(argc, argv, &cli);
    if (parsed != 0)
        return parsed > 0 ? HP_EXIT_OK : HP_EXIT_USAGE;

    struct space space;
    struct hp_error err;
    hp_error_init(&err);
    char message[2048];
    if (space_load(cli.space_path, &space, &err) < 0) {
        fprintf(stderr, "%s\n", hp_error_format(&err, message, sizeof message));
        space_free(&space);
        return HP_EXIT_USAGE;
    }

    enum hp_exit_code code = HP_EXIT_RUNTIME;
    char *trainer = space.command_is_default ||
                            (space.command && strcmp(space.command[0], "hpsearch-train") == 0)
                        ? trainer_beside_self()
                        : NULL;
    char *out_dir = absolute_out_dir(&cli, &space);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct sweep_options opts = {
        .out_dir = out_dir,
        .jobs = (int)(cli.jobs ? cli.jobs : space.parallel ? space.parallel
                                                            : (cores > 0 ? cores : 1)),
        .trainer_path = trainer,
        .live_progress = isatty(STDOUT_FILENO),
        .kill_grace_s = 10.0,
    };
    if (!out_dir) {
        fprintf(stderr, "hpsearch: cannot resolve the output directory\n");
    } else if (cli.dry_run) {
        code = sweep_dry_run(&space, &opts, stdout, &err);
    } else if (journal_exists(out_dir)) {
        fprintf(stderr,
                "hpsearch: %s already holds a sweep (journal.jsonl); choose another "
                "directory with --out, or remove it\n",
                out_dir);
        code = HP_EXIT_USAGE;
    } else {
        code = sweep_run(&space, &opts, &err);
    }
    if (code != HP_EXIT_OK && code != HP_EXIT_ALL_FAILED && code != HP_EXIT_INTERRUPTED &&
        err.message[0])
        fprintf(stderr, "hpsearch: %s\n", hp_error_format(&err, message, sizeof message));
    free(trainer);
    free(out_dir);
    space_free(&space);
    return code;
}
