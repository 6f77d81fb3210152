/*
 * Provenance: SHA-256 against FIPS 180-4's examples, the git facts of a real
 * checkout made here (clean, dirty, not a checkout, no git, git too slow),
 * and the changes `resume` and `rerun` report.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "provenance.h"
#include "sha256.h"
#include "space.h"

#define WORK HP_BINARY_DIR "/unit-work/provenance"

static void sh(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void hex_of(const char *text, size_t repeat, char hex[65])
{
    struct sha256 h;
    sha256_init(&h);
    for (size_t i = 0; i < repeat; i++)
        sha256_update(&h, text, strlen(text));
    sha256_final_hex(&h, hex);
}

START_TEST(test_sha256_matches_the_published_examples)
{
    char hex[65];
    hex_of("", 1, hex);
    ck_assert_str_eq(hex,
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 1, hex);
    ck_assert_str_eq(hex,
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, hex);
    ck_assert_str_eq(hex,
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* A million 'a's, fed in uneven pieces across block boundaries. */
    hex_of("aaaaaaaaaaaaaaaaaaaaaaaaa", 40000, hex);
    ck_assert_str_eq(hex,
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* A space whose command runs the script at `script` with /bin/sh. */
static void load_space(const char *script, struct space *space)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"command\": [\"/bin/sh\", \"-e\", \"%s\", \"--epochs\", \"3\"],"
             " \"threads_per_trial\": 2,"
             " \"params\": {\"lr\": {\"type\": \"choice\", \"values\": [0.1]}}}",
             script);
    struct hp_error err;
    ck_assert_int_eq(space_load_text(text, strlen(text), "space.json", space, &err), 0);
}

static const char *git_text(const json_t *provenance, const char *key)
{
    return json_string_value(json_object_get(json_object_get(provenance, "git"), key));
}

START_TEST(test_provenance_records_commit_dirty_diff_and_the_script)
{
    sh("rm -rf '" WORK "' && mkdir -p '" WORK "/repo'");
    sh("cd '" WORK
       "/repo' && git init -q . && echo 'echo 1' > train.sh && git add train.sh && "
       "git -c user.name=t -c user.email=t@t commit -qm one && git rev-parse HEAD > "
       "../head");
    char head[64] = "";
    FILE *f = fopen(WORK "/head", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(head, sizeof head, f));
    fclose(f);
    head[strcspn(head, "\n")] = '\0';

    struct space space;
    load_space(WORK "/repo/train.sh", &space);
    json_t *clean = provenance_collect(&space, NULL, NULL);
    ck_assert_ptr_nonnull(clean);
    ck_assert_str_eq(git_text(clean, "commit"), head);
    ck_assert_str_eq(git_text(clean, "dir"), WORK "/repo");
    ck_assert(json_is_false(json_object_get(json_object_get(clean, "git"), "dirty")));
    json_t *script = json_object_get(clean, "script");
    ck_assert_str_eq(json_string_value(json_object_get(script, "path")),
                     WORK "/repo/train.sh");
    char hex[65];
    hex_of("echo 1\n", 1, hex);
    ck_assert_str_eq(json_string_value(json_object_get(script, "sha256")), hex);
    /* What the trials get, not hpsearch's own. */
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(clean, "env"),
                                                       "OMP_NUM_THREADS")),
                     "2");

    /* An edit makes it dirty, with a diff hash, and the changes name it. */
    sh("echo 'echo 2' >> '" WORK "/repo/train.sh'");
    json_t *dirty = provenance_collect(&space, NULL, NULL);
    ck_assert(json_is_true(json_object_get(json_object_get(dirty, "git"), "dirty")));
    ck_assert_uint_eq(strlen(git_text(dirty, "diff_sha256")), 64);
    json_t *changes = provenance_changes(clean, dirty);
    ck_assert_uint_eq(json_array_size(changes), 3); /* script hash, dirty, diff hash */
    ck_assert_str_eq(json_string_value(json_array_get(changes, 1)),
                     "git.dirty: false -> true");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_array_get(changes, 0)), "script.sha256: "));
    json_decref(changes);
    /* git wrote nothing: not even the index (GIT_OPTIONAL_LOCKS=0). */
    sh("cd '" WORK "/repo' && test -z \"$(find .git -newer train.sh -type f)\"");
    json_decref(clean);
    json_decref(dirty);
    space_free(&space);
}
END_TEST

START_TEST(test_provenance_without_a_checkout_git_or_time_is_recorded_not_failed)
{
    sh("rm -rf '" WORK "/plain' && mkdir -p '" WORK "/plain' && echo 'echo 1' > '" WORK
       "/plain/train.sh'");
    sh("printf '#!/bin/sh\\nsleep 5\\n' > '" WORK "/slowgit' && chmod +x '" WORK
       "/slowgit'");
    struct space space;
    load_space(WORK "/plain/train.sh", &space);
    /* The sweep's directory may be in no checkout: ceiling it. */
    setenv("GIT_CEILING_DIRECTORIES", WORK, 1);
    json_t *p = provenance_collect(&space, NULL, NULL);
    ck_assert_str_eq(git_text(p, "status"), "not a git checkout (or no commit yet)");
    json_decref(p);
    struct provenance_options no_git = {WORK "/no-such-git", 0};
    p = provenance_collect(&space, NULL, &no_git);
    ck_assert_str_eq(git_text(p, "status"), "git is not installed");
    json_decref(p);
    struct provenance_options slow = {WORK "/slowgit", 0.3};
    p = provenance_collect(&space, NULL, &slow);
    ck_assert_str_eq(git_text(p, "status"), "git took longer than 0.3 s");
    ck_assert_ptr_nonnull(json_object_get(p, "program"));
    json_decref(p);
    unsetenv("GIT_CEILING_DIRECTORIES");
    space_free(&space);
}
END_TEST

START_TEST(test_provenance_changes_name_each_item_and_unset_ones)
{
    json_t *before = json_pack("{s:s, s:{s:s}, s:{s:s}}", "host", "a", "git", "commit",
                               "1", "env", "OMP_SCHEDULE", "static");
    json_t *now = json_pack("{s:s, s:{s:s}, s:{s:s}}", "host", "a", "git", "commit", "2",
                            "env", "CUDA_VISIBLE_DEVICES", "0");
    json_t *changes = provenance_changes(before, now);
    ck_assert_uint_eq(json_array_size(changes), 3);
    ck_assert_str_eq(json_string_value(json_array_get(changes, 0)), "git.commit: 1 -> 2");
    ck_assert_str_eq(json_string_value(json_array_get(changes, 1)),
                     "env.OMP_SCHEDULE: static -> (unset)");
    ck_assert_str_eq(json_string_value(json_array_get(changes, 2)),
                     "env.CUDA_VISIBLE_DEVICES: (unset) -> 0");
    json_decref(changes);
    changes = provenance_changes(before, before);
    ck_assert_uint_eq(json_array_size(changes), 0);
    json_decref(changes);
    json_decref(before);
    json_decref(now);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("provenance");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sha256_matches_the_published_examples);
    tcase_add_test(tc, test_provenance_records_commit_dirty_diff_and_the_script);
    tcase_add_test(tc,
                   test_provenance_without_a_checkout_git_or_time_is_recorded_not_failed);
    tcase_add_test(tc, test_provenance_changes_name_each_item_and_unset_ones);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
