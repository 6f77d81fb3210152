/*
 * The plumbing every end-to-end test shares: run a shell command line (the
 * test's own, never hpsearch's), write a small file, load a JSON file.
 */
#ifndef E2E_HELPERS_H
#define E2E_HELPERS_H

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* Runs a printf-formatted command line through the shell and returns its
 * exit status; a command that could not run fails the test. */
static inline int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int status = system(cmd);
    ck_assert_msg(status != -1 && WIFEXITED(status), "could not run: %s", cmd);
    return WEXITSTATUS(status);
}

/* Makes `dir` exist and be empty. */
static inline void fresh_dir(const char *dir)
{
    ck_assert_int_eq(run("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
}

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Returns a new reference to the document; a file that does not parse fails
 * the test with jansson's message. */
static inline json_t *load_json(const char *path)
{
    json_error_t error;
    json_t *doc = json_load_file(path, 0, &error);
    ck_assert_msg(doc != NULL, "%s: %s", path, error.text);
    return doc;
}

#endif
