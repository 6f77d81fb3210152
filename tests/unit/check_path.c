/*
 * common/path and common/durable: a path is joined whole or refused with a
 * message that names it, never cut short; a durable write leaves the whole
 * file or the old one, and no temporary file either way.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "durable.h"
#include "path.h"

START_TEST(test_path_join_puts_one_slash_between_components)
{
    char buf[64];
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, "/runs/x", "trials", "c0-s0", NULL),
                     0);
    ck_assert_str_eq(buf, "/runs/x/trials/c0-s0");
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, "/runs/x/", "best.ckpt", NULL), 0);
    ck_assert_str_eq(buf, "/runs/x/best.ckpt");
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, "/", "tmp", NULL), 0);
    ck_assert_str_eq(buf, "/tmp");
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, "", "/abs", NULL), 0);
    ck_assert_str_eq(buf, "/abs");
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, "alone", NULL), 0);
    ck_assert_str_eq(buf, "alone");
    ck_assert_str_eq(err.message, "");
}
END_TEST

START_TEST(test_path_join_fills_the_buffer_exactly)
{
    char buf[8];
    struct hp_error err;
    hp_error_init(&err);
    /* 7 bytes and the NUL: fits. */
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, "abc", "def", NULL), 0);
    ck_assert_str_eq(buf, "abc/def");
    ck_assert_int_eq(hp_path_format(buf, sizeof buf, &err, "%s.%d", "abcde", 7), 0);
    ck_assert_str_eq(buf, "abcde.7");
    /* One byte more: refused. */
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, "abc", "defg", NULL), -1);
    ck_assert_str_eq(buf, "");
    ck_assert_str_eq(err.message, "path too long: abc/defg (8 bytes, limit 7)");
    ck_assert_int_eq(hp_path_format(buf, sizeof buf, &err, "%s.%d", "abcde", 10), -1);
    ck_assert_str_eq(buf, "");
    ck_assert_str_eq(err.message, "path too long: abcde.10 (8 bytes, limit 7)");
}
END_TEST

START_TEST(test_path_too_long_names_both_ends_and_the_sizes)
{
    char dir[5000];
    memset(dir, 'd', sizeof dir);
    dir[0] = '/';
    dir[4090] = '\0';
    char buf[HP_PATH_MAX];
    struct hp_error err;
    hp_error_init(&err);
    snprintf(err.source, sizeof err.source, "hpsearch");
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, &err, dir, "results.json", NULL), -1);
    ck_assert_str_eq(buf, "");
    char want[256];
    snprintf(want, sizeof want, "path too long: /%.47s...%.27s/results.json (4103 bytes, "
                                "limit 4095)",
             dir + 1, dir + 1);
    ck_assert_str_eq(err.message, want);
    ck_assert_str_eq(err.source, "hpsearch"); /* kept */
    ck_assert_int_eq(hp_path_format(buf, sizeof buf, &err, "%s/rerun-%d", dir, 12), -1);
    ck_assert_msg(strstr(err.message, "ddd/rerun-12 (4099 bytes, limit 4095)"), "%s",
                  err.message);
    /* No error struct: still refused. */
    ck_assert_int_eq(hp_path_join(buf, sizeof buf, NULL, dir, "xyz", "uvw", NULL), -1);
}
END_TEST

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_path.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static int count_entries(const char *where)
{
    DIR *d = opendir(where);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void assert_contents(const char *path, const char *text)
{
    char got[256] = "";
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    fclose(f);
    ck_assert_str_eq(got, text);
}

START_TEST(test_durable_write_replaces_the_file_and_leaves_no_temporary)
{
    char path[128];
    snprintf(path, sizeof path, "%s/results.json", dir);
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(hp_durable_write(path, "first", 5, &err), 0);
    assert_contents(path, "first");
    ck_assert_int_eq(hp_durable_write(path, "second\n", 7, &err), 0);
    assert_contents(path, "second\n");
    ck_assert_int_eq(count_entries(dir), 1);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);

    /* Streamed, with a write through stdio and one through hp_durable_put. */
    struct hp_durable d;
    ck_assert_int_eq(hp_durable_open(&d, path, &err), 0);
    fprintf(d.stream, "%d,", 3);
    hp_durable_put(&d, "4\n", 2);
    ck_assert_int_eq(count_entries(dir), 2); /* the temporary, beside it */
    assert_contents(path, "second\n");       /* untouched until the commit */
    ck_assert_int_eq(hp_durable_commit(&d, &err), 0);
    assert_contents(path, "3,4\n");
    ck_assert_int_eq(count_entries(dir), 1);

    /* Given up: the old file stays, the temporary goes. */
    ck_assert_int_eq(hp_durable_open(&d, path, &err), 0);
    fputs("never", d.stream);
    hp_durable_abort(&d);
    assert_contents(path, "3,4\n");
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

START_TEST(test_durable_write_reports_a_missing_directory)
{
    char path[128];
    snprintf(path, sizeof path, "%s/no-such-dir/results.json", dir);
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(hp_durable_write(path, "x", 1, &err), -1);
    ck_assert_str_eq(err.source, path);
    ck_assert_msg(strstr(err.message, "No such file or directory") != NULL, "%s",
                  err.message);
    ck_assert_int_eq(count_entries(dir), 0);
}
END_TEST

/* /dev/full fails every write with ENOSPC: the commit reports it, with the
 * errno text, and the target is untouched. The temporary file cannot be made
 * in /dev, so the write goes through a symbolic link in the test's folder. */
START_TEST(test_durable_commit_reports_a_failed_write_with_its_errno)
{
    if (access("/dev/full", W_OK) != 0)
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    struct hp_error err;
    hp_error_init(&err);
    struct hp_durable d;
    ck_assert_int_eq(hp_durable_open(&d, path, &err), 0);
    /* Point the stream at /dev/full, as a full disk would behave. */
    FILE *full = freopen("/dev/full", "wb", d.stream);
    ck_assert_ptr_nonnull(full);
    d.stream = full;
    char block[8192] = {0};
    hp_durable_put(&d, block, sizeof block);
    hp_durable_put(&d, block, sizeof block);
    ck_assert_int_eq(hp_durable_commit(&d, &err), -1);
    ck_assert_str_eq(err.source, path);
    ck_assert_str_eq(err.message, "cannot write: No space left on device");
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(count_entries(dir), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("path");
    TCase *join = tcase_create("join");
    tcase_add_test(join, test_path_join_puts_one_slash_between_components);
    tcase_add_test(join, test_path_join_fills_the_buffer_exactly);
    tcase_add_test(join, test_path_too_long_names_both_ends_and_the_sizes);
    suite_add_tcase(s, join);
    TCase *durable = tcase_create("durable");
    tcase_add_checked_fixture(durable, setup, teardown);
    tcase_add_test(durable, test_durable_write_replaces_the_file_and_leaves_no_temporary);
    tcase_add_test(durable, test_durable_write_reports_a_missing_directory);
    tcase_add_test(durable, test_durable_commit_reports_a_failed_write_with_its_errno);
    suite_add_tcase(s, durable);
    return hp_check_run(s);
}
