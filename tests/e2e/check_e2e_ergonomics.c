/*
 * Trainers as people write them, end to end (issue 10, items 7 and 8): a
 * boolean param is an argparse store_true flag; "workdir": "trial" keeps one
 * model file per trial and still finds the command's relative files; a
 * trainer that ignores its seed is called out; provenance of a git checkout
 * reaches results.json, and `rerun` names a changed environment variable.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/ergonomics"

/* A sweep of fake_trainer in `mode` over x and a boolean amp, two seeds. */
static void write_space(const char *path, const char *mode, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\": \"ergo\",\n"
             " \"command\": [\"%s/fake_trainer\", \"%s\", \"--data=data.txt\"],\n"
             " \"objective\": {\"metric\": \"val_accuracy\", \"mode\": \"max\"},\n"
             " \"strategy\": {\"type\": \"grid\"},\n"
             " \"seeds\": [0, 1],\n"
             " %s\n"
             " \"params\": {\"x\": 0.25,\n"
             "            \"amp\": {\"type\": \"choice\", \"values\": [true, false]}}}\n",
             BIN, mode, extra);
    write_text(path, text);
}

/* Returns the whole of a small file as a new string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

START_TEST(test_booleans_are_flags_and_workdir_trial_keeps_a_model_per_trial)
{
    fresh_dir(WORK "/workdir");
    write_text(WORK "/workdir/data.txt", "rows\n");
    write_space(WORK "/workdir/space.json", "cwdfiles", "\"workdir\": \"trial\",");
    ck_assert_int_eq(run("cd '" WORK
                         "/workdir' && '%s/hpsearch' run space.json --out out "
                         "> log.txt 2>&1",
                         BIN),
                     0);
    /* config 0 has amp true: a bare --amp; config 1 has amp false: nothing. */
    char *argv0 = slurp(WORK "/workdir/out/trials/c0000-s0/argv.txt");
    char *argv1 = slurp(WORK "/workdir/out/trials/c0001-s1/argv.txt");
    ck_assert_ptr_nonnull(strstr(argv0, "\n--amp\n"));
    ck_assert_ptr_null(strstr(argv0, "true"));
    ck_assert_ptr_null(strstr(argv1, "amp"));
    /* The command's relative data file was found from the sweep's directory. */
    ck_assert_ptr_nonnull(strstr(argv0, "\n--data=" WORK "/workdir/data.txt\n"));
    free(argv0);
    free(argv1);
    /* One model.pt per trial, none where hpsearch ran. */
    ck_assert_int_eq(
        run("test $(ls '" WORK "/workdir/out/trials/'*/model.pt | wc -l) -eq 4"), 0);
    ck_assert_int_ne(access(WORK "/workdir/model.pt", F_OK), 0);

    /* The default ("cwd") stays: every trial writes the one model.pt there. */
    fresh_dir(WORK "/cwd");
    write_text(WORK "/cwd/data.txt", "rows\n");
    write_space(WORK "/cwd/space.json", "cwdfiles", "");
    ck_assert_int_eq(run("cd '" WORK
                         "/cwd' && '%s/hpsearch' run space.json --out out > log.txt 2>&1",
                         BIN),
                     0);
    ck_assert_int_eq(access(WORK "/cwd/model.pt", F_OK), 0);
    ck_assert_int_ne(access(WORK "/cwd/out/trials/c0000-s0/model.pt", F_OK), 0);
}
END_TEST

START_TEST(test_summary_warns_about_a_trainer_that_ignores_its_seed)
{
    fresh_dir(WORK "/seedless");
    write_text(WORK "/seedless/data.txt", "rows\n");
    write_space(WORK "/seedless/space.json", "seedless", "");
    ck_assert_int_eq(run("cd '" WORK
                         "/seedless' && '%s/hpsearch' run space.json --out out "
                         "> log.txt 2>&1",
                         BIN),
                     0);
    ck_assert_int_eq(run("grep -q 'configs 0, 1 reported bit-identical metric lines: the "
                         "trainer probably ignores its seed' '" WORK
                         "/seedless/log.txt'"),
                     0);

    fresh_dir(WORK "/seeded");
    write_text(WORK "/seeded/data.txt", "rows\n");
    write_space(WORK "/seeded/space.json", "ok", "");
    ck_assert_int_eq(run("cd '" WORK "/seeded' && '%s/hpsearch' run space.json --out out "
                         "> log.txt 2>&1",
                         BIN),
                     0);
    ck_assert_int_ne(run("grep -q 'ignores its seed' '" WORK "/seeded/log.txt'"), 0);
}
END_TEST

START_TEST(test_provenance_of_a_git_checkout_and_rerun_names_a_changed_variable)
{
    const char *dir = WORK "/prov";
    fresh_dir(dir);
    /* The trainer: a script in a git checkout of its own. */
    ck_assert_int_eq(
        run("cd '%s' && git init -q repo && printf '#!/bin/sh\\nexec %s/fake_trainer ok "
            "\"$@\"\\n' > repo/train.sh && cd repo && git add train.sh && git -c "
            "user.name=t "
            "-c user.email=t@t commit -qm trainer && git rev-parse HEAD > ../head.txt",
            dir, BIN),
        0);
    write_text(WORK "/prov/space.json",
               "{\"name\": \"prov\", \"command\": [\"sh\", \"repo/train.sh\"],\n"
               " \"strategy\": {\"type\": \"grid\"}, \"seeds\": [0],\n"
               " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.3]}}}\n");
    ck_assert_int_eq(
        run("cd '%s' && env -u OMP_SCHEDULE '%s/hpsearch' run space.json --out "
            "out > log.txt 2>&1",
            dir, BIN),
        0);
    char *head = slurp(WORK "/prov/head.txt");
    head[strcspn(head, "\n")] = '\0';
    json_t *results = load_json(WORK "/prov/out/results.json");
    json_t *prov = json_object_get(results, "provenance");
    json_t *git = json_object_get(prov, "git");
    ck_assert_str_eq(json_string_value(json_object_get(git, "commit")), head);
    ck_assert_str_eq(json_string_value(json_object_get(git, "dir")), WORK "/prov/repo");
    ck_assert(json_is_false(json_object_get(git, "dirty")));
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(prov, "script"), "path")),
        WORK "/prov/repo/train.sh");
    ck_assert_uint_eq(strlen(json_string_value(
                          json_object_get(json_object_get(prov, "program"), "sha256"))),
                      64);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(prov, "hpsearch_version")));
    ck_assert_ptr_nonnull(
        json_object_get(json_object_get(prov, "env"), "OMP_NUM_THREADS"));
    ck_assert_int_eq(
        run("grep -c '\"event\":\"provenance\"' '%s/out/journal.jsonl' | grep -qx 1",
            dir),
        0);
    json_decref(results);
    free(head);

    /* The same numerics environment: unchanged. A new variable: named, and
     * still identical lines (the fake trainer ignores it). */
    ck_assert_int_eq(
        run("cd '%s' && env -u OMP_SCHEDULE '%s/hpsearch' rerun out c0001-s0 > "
            "same.txt 2>&1",
            dir, BIN),
        0);
    ck_assert_int_eq(run("grep -q '^provenance: unchanged' '%s/same.txt'", dir), 0);
    ck_assert_int_eq(
        run("cd '%s' && OMP_SCHEDULE=dynamic '%s/hpsearch' rerun out c0001-s0 > "
            "changed.txt 2>&1",
            dir, BIN),
        0);
    ck_assert_int_eq(
        run("grep -q '^provenance: changed since the sweep ran:' '%s/changed.txt' "
            "&& grep -q '^  env.OMP_SCHEDULE: (unset) -> dynamic$' "
            "'%s/changed.txt' && grep -q '^identical' '%s/changed.txt'",
            dir, dir, dir),
        0);
    /* An edit to the script: the rerun says the checkout is dirty. */
    ck_assert_int_eq(
        run("cd '%s' && echo '# tuned' >> repo/train.sh && env -u OMP_SCHEDULE "
            "'%s/hpsearch' rerun out c0001-s0 > edited.txt 2>&1",
            dir, BIN),
        0);
    ck_assert_int_eq(run("grep -q '^  git.dirty: false -> true$' '%s/edited.txt'", dir),
                     0);
}
END_TEST

START_TEST(test_resume_warns_when_provenance_changed)
{
    const char *dir = WORK "/resume";
    fresh_dir(dir);
    write_text(WORK "/resume/fail", "");
    char text[1024];
    snprintf(text, sizeof text,
             "{\"name\": \"resume\", \"command\": [\"%s/fake_trainer\", \"failwhile\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": [0], \"max_failures\": 1,\n"
             " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.3]}}}\n",
             BIN);
    write_text(WORK "/resume/space.json", text);
    /* The first trial fails while the marker exists: max_failures stops it. */
    ck_assert_int_eq(
        run("cd '%s' && FAKE_TRAINER_FAIL_WHILE='%s/fail' env -u OMP_SCHEDULE "
            "'%s/hpsearch' run space.json --out out -j 1 > run.txt 2>&1",
            dir, dir, BIN),
        4);
    ck_assert_int_eq(
        run("cd '%s' && rm fail && OMP_SCHEDULE=guided '%s/hpsearch' resume out -j 1 "
            "--retry-failed > resume.txt 2>&1",
            dir, BIN),
        0);
    ck_assert_int_eq(
        run("grep -q 'warning: what the sweep runs with changed' '%s/resume.txt' "
            "&& grep -q '^  env.OMP_SCHEDULE: (unset) -> guided$' '%s/resume.txt'",
            dir, dir),
        0);
    /* Each run journals its own; results.json shows the latest. */
    ck_assert_int_eq(
        run("grep -c '\"event\":\"provenance\"' '%s/out/journal.jsonl' | grep -qx 2",
            dir),
        0);
    json_t *results = load_json(WORK "/resume/out/results.json");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(results, "provenance"), "env"),
                         "OMP_SCHEDULE")),
                     "guided");
    json_decref(results);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_ergonomics");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_booleans_are_flags_and_workdir_trial_keeps_a_model_per_trial);
    tcase_add_test(tc, test_summary_warns_about_a_trainer_that_ignores_its_seed);
    tcase_add_test(tc,
                   test_provenance_of_a_git_checkout_and_rerun_names_a_changed_variable);
    tcase_add_test(tc, test_resume_warns_when_provenance_changed);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
