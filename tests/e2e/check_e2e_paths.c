/*
 * Long paths end to end: a sweep directory so long that the files under it
 * would not fit in a path is refused up front with "path too long" and its
 * start, and nothing is created or deleted; one just short enough runs the
 * whole sweep and can be inspected.
 */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/paths"

static const char *SPACE =
    "{\n"
    "  \"name\": \"paths\",\n"
    "  \"command\": [\"hpsearch-train\", \"--data\", \"synthetic\", \"--epochs\", \"2\"],\n"
    "  \"objective\": {\"metric\": \"val_accuracy\", \"mode\": \"max\"},\n"
    "  \"strategy\": {\"type\": \"grid\"},\n"
    "  \"seeds\": [0],\n"
    "  \"parallel\": 2,\n"
    "  \"params\": {\n"
    "    \"lr\": {\"type\": \"choice\", \"values\": [0.01, 0.1]},\n"
    "    \"hidden\": \"16\"\n"
    "  }\n"
    "}\n";

/* Makes WORK/<case>/ddd.../ddd... (components of 200 bytes) until the path
 * is at least `length` bytes long, cut to exactly that; returns it in
 * path[size]. Every directory but the last exists afterwards. */
static void make_long_dir(const char *name, size_t length, char *path, size_t size)
{
    ck_assert_int_eq(run("rm -rf '%s/%s' && mkdir -p '%s/%s'", WORK, name, WORK, name), 0);
    int n = snprintf(path, size, "%s/%s", WORK, name);
    ck_assert(n > 0 && (size_t)n < length && length < size);
    size_t len = (size_t)n;
    while (len < length) {
        ck_assert_int_eq(mkdir(path, 0755) == 0 || errno == EEXIST, 1);
        size_t part = length - len - 1 < 200 ? length - len - 1 : 200;
        path[len++] = '/';
        memset(path + len, 'd', part);
        len += part;
        path[len] = '\0';
    }
    ck_assert_uint_eq(strlen(path), length);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The output directory of 4000 bytes: its files (trials/<id>/stdout.log, the
 * trainer's checkpoints) would pass PATH_MAX or be cut short. */
START_TEST(test_too_long_sweep_directory_is_refused_and_nothing_is_touched)
{
    char out[4100];
    make_long_dir("too-long", 4000, out, sizeof out);
    write_text(WORK "/too-long/space.json", SPACE);
    setenv("HP_LONG_DIR", out, 1);
    int status = run("cd '%s/too-long' && '%s/hpsearch' run space.json --out \"$HP_LONG_DIR\""
                     " > run.log 2> run.err",
                     WORK, BIN);
    ck_assert_int_eq(status, 2);
    ck_assert_int_eq(run("grep -q 'path too long: %s' '%s/too-long/run.err'",
                         "/[^ ]*\\.\\.\\.d* (4000 bytes, limit 3583)", WORK),
                     0);
    ck_assert_msg(!exists(out), "the refused sweep created its directory");
    ck_assert_int_eq(run("test -z \"$(find '%s/too-long' -name journal.jsonl -o -name "
                         "'*.ckpt' -o -name results.json)\"",
                         WORK),
                     0);

    /* The other commands refuse such a directory the same way. */
    ck_assert_int_eq(mkdir(out, 0755), 0);
    for (const char *const *cmd = (const char *const[]){"status", "resume", "best", NULL};
         *cmd; cmd++) {
        status = run("'%s/hpsearch' %s \"$HP_LONG_DIR\" > /dev/null 2> '%s/too-long/cmd.err'",
                     BIN, *cmd, WORK);
        ck_assert_msg(status == 2, "%s exited %d", *cmd, status);
        ck_assert_int_eq(run("grep -q 'path too long' '%s/too-long/cmd.err'", WORK), 0);
    }
    unsetenv("HP_LONG_DIR");
}
END_TEST

/* An output directory just inside the limit works end to end. */
START_TEST(test_long_sweep_directory_within_the_limit_runs_and_reports)
{
    char out[4100];
    make_long_dir("within", 3583, out, sizeof out);
    write_text(WORK "/within/space.json", SPACE);
    setenv("HP_LONG_DIR", out, 1);
    int status = run("cd '%s/within' && '%s/hpsearch' run space.json --out \"$HP_LONG_DIR\""
                     " > run.log 2> run.err",
                     WORK, BIN);
    ck_assert_msg(status == 0, "hpsearch run exited %d", status);
    char path[4200];
    snprintf(path, sizeof path, "%s/results.json", out);
    json_t *results = load_json(path);
    json_t *configs = json_object_get(results, "configs");
    ck_assert_uint_eq(json_array_size(configs), 2);
    json_decref(results);
    snprintf(path, sizeof path, "%s/best/best.ckpt", out);
    ck_assert_msg(exists(path), "no best checkpoint kept");
    for (int c = 0; c < 2; c++) {
        snprintf(path, sizeof path, "%s/trials/c%04d-s0/stdout.log", out, c);
        ck_assert_msg(exists(path), "trial %d has no stdout.log", c);
    }
    ck_assert_int_eq(run("'%s/hpsearch' status \"$HP_LONG_DIR\" > /dev/null", BIN), 0);
    ck_assert_int_eq(
        run("'%s/hpsearch' best \"$HP_LONG_DIR\" | grep -q '\"checkpoint\": \"%s/d'", BIN,
            WORK "/within"),
        0);
    unsetenv("HP_LONG_DIR");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_paths");
    TCase *tc = tcase_create("paths");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_too_long_sweep_directory_is_refused_and_nothing_is_touched);
    tcase_add_test(tc, test_long_sweep_directory_within_the_limit_runs_and_reports);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
