/*
 * Provenance of a sweep. See provenance.h.
 */
#include "provenance.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "path.h"
#include "sha256.h"
#include "spawn.h"
#include "version.h"

extern char **environ;

static const double GIT_TIMEOUT_DEFAULT_S = 10.0;

/* {"path": path, "sha256": hex} for a file, with "error" when unreadable. */
static json_t *file_json(const char *path)
{
    char hex[65];
    int rc = sha256_file(path, hex);
    json_t *file = json_pack("{s:s, s:o}", "path", path, "sha256",
                             rc == 0 ? json_string(hex) : json_null());
    if (file && rc < 0)
        json_object_set_new(file, "error", json_string(strerror(-rc)));
    return file;
}

/* The program as spawn_trial finds it, made absolute in `path`. */
static void program_path(const struct space *space, const char *trainer_path, char *path,
                         size_t size)
{
    const char *program = space->command[0];
    if (trainer_path && strcmp(program, "hpsearch-train") == 0)
        snprintf(path, size, "%s", trainer_path);
    else if (spawn_resolve(program, path, size) < 0)
        snprintf(path, size, "%s", program);
}

/* The script an interpreter runs (see provenance.h), absolute in `path`;
 * returns 0, or -1 when the command has none. */
static int script_path(const struct space *space, char *path, size_t size)
{
    char here[HP_PATH_MAX];
    if (!getcwd(here, sizeof here))
        return -1;
    for (size_t i = 1; i < space->command_len; i++) {
        const char *arg = space->command[i];
        if (strncmp(arg, "--", 2) == 0)
            return -1;
        if (arg[0] == '-')
            continue;
        if (strchr(arg, '{') || strchr(arg, '}'))
            return -1;
        struct stat st;
        int joined = arg[0] == '/' ? hp_path_join(path, size, NULL, arg, NULL)
                                   : hp_path_join(path, size, NULL, here, arg, NULL);
        return joined == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
    }
    return -1;
}

/* What one git command printed and how it ended. */
struct git_output {
    struct sha256 hash; /* of all of stdout */
    size_t bytes;       /* stdout's length */
    char text[128];     /* its start, NUL-terminated */
    int status;         /* exit status, -1 when killed */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what is there on `fd` into `out` (stdout) or nowhere (stderr).
 * Returns 1 while the pipe is open, 0 at its end. */
static int drain(int fd, struct git_output *out)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        if (n == 0)
            return 0;
        if (!out)
            continue;
        sha256_update(&out->hash, buf, (size_t)n);
        if (out->bytes < sizeof out->text - 1) {
            size_t room = sizeof out->text - 1 - out->bytes;
            memcpy(out->text + out->bytes, buf, (size_t)n < room ? (size_t)n : room);
        }
        out->bytes += (size_t)n;
    }
}

/* Runs `git -C dir args...` with GIT_OPTIONAL_LOCKS=0. Returns 0 (out->status
 * says how it ended), -ETIMEDOUT when it was killed at the deadline, or the
 * negative errno of starting it (-ENOENT: git is not installed). */
static int run_git(const char *git, const char *dir, const char *const *args,
                   double timeout_s, struct git_output *out)
{
    char *argv[16];
    size_t argc = 0;
    argv[argc++] = (char *)git;
    argv[argc++] = "-C";
    argv[argc++] = (char *)dir;
    argv[argc++] = "--no-pager";
    for (size_t i = 0; args[i] && argc + 1 < sizeof argv / sizeof *argv; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    size_t count = 0;
    while (environ[count])
        count++;
    char **env = calloc(count + 2, sizeof *env);
    if (!env)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], "GIT_OPTIONAL_LOCKS=", 19) != 0)
            env[n++] = environ[i];
    env[n++] = "GIT_OPTIONAL_LOCKS=0";
    memset(out, 0, sizeof *out);
    sha256_init(&out->hash);
    out->status = -1;
    struct spawned child;
    int rc = spawn_trial(argv, env, NULL, -1, &child);
    free(env);
    if (rc < 0)
        return rc;
    double deadline = now_s() + timeout_s;
    int open_out = 1;
    int open_err = 1;
    int status = 0;
    int reaped = 0;
    while (!reaped && now_s() < deadline) {
        struct pollfd fds[2] = {{open_out ? child.stdout_fd : -1, POLLIN, 0},
                                {open_err ? child.stderr_fd : -1, POLLIN, 0}};
        if (open_out || open_err) {
            poll(fds, 2, 50);
            if (open_out && fds[0].revents)
                open_out = drain(child.stdout_fd, out);
            if (open_err && fds[1].revents)
                open_err = drain(child.stderr_fd, NULL);
            continue;
        }
        pid_t got = waitpid(child.pid, &status, WNOHANG);
        if (got == child.pid)
            reaped = 1;
        else
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    if (!reaped) {
        kill(-child.pid, SIGKILL);
        kill(child.pid, SIGKILL);
        while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    close(child.stdout_fd);
    close(child.stderr_fd);
    if (!reaped)
        return -ETIMEDOUT;
    out->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return 0;
}

/* The "git" object for `dir` (see provenance.h). */
static json_t *git_json(const char *dir, const struct provenance_options *opts)
{
    const char *git = opts && opts->git ? opts->git : "git";
    double timeout_s =
        opts && opts->git_timeout_s > 0 ? opts->git_timeout_s : GIT_TIMEOUT_DEFAULT_S;
    json_t *result = json_pack("{s:s}", "dir", dir);
    if (!result)
        return NULL;
    struct git_output head;
    static const char *const rev_parse[] = {"rev-parse", "--verify", "HEAD", NULL};
    int rc = run_git(git, dir, rev_parse, timeout_s, &head);
    char why[128] = "";
    if (rc == -ENOENT || rc == -EACCES)
        snprintf(why, sizeof why, "git is not installed");
    else if (rc == -ETIMEDOUT)
        snprintf(why, sizeof why, "git took longer than %g s", timeout_s);
    else if (rc < 0)
        snprintf(why, sizeof why, "git could not run: %s", strerror(-rc));
    else if (head.status != 0)
        snprintf(why, sizeof why, "not a git checkout (or no commit yet)");
    if (why[0]) {
        json_object_set_new(result, "status", json_string(why));
        return result;
    }
    head.text[strcspn(head.text, "\r\n")] = '\0';
    json_object_set_new(result, "commit", json_string(head.text));
    struct git_output diff;
    static const char *const diff_head[] = {
        "diff", "HEAD", "--no-color", "--no-ext-diff", "--no-textconv", "--binary", NULL};
    rc = run_git(git, dir, diff_head, timeout_s, &diff);
    if (rc < 0 || diff.status != 0) {
        json_object_set_new(
            result, "status",
            json_string(rc == -ETIMEDOUT ? "git diff took too long" : "git diff failed"));
        return result;
    }
    char hex[65];
    sha256_final_hex(&diff.hash, hex);
    json_object_set_new(result, "dirty", json_boolean(diff.bytes > 0));
    json_object_set_new(result, "diff_sha256",
                        diff.bytes > 0 ? json_string(hex) : json_null());
    return result;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int numerics_variable(const char *entry)
{
    static const char *const prefixes[] = {"OPENBLAS_", "OMP_", "MKL_", "CUDA_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* The "env" object, names sorted so that the record reads the same on every
 * run. */
static json_t *env_json(const struct space *space)
{
    size_t count = 0;
    while (environ[count])
        count++;
    const char **entries = calloc(count + 1, sizeof *entries);
    json_t *env = json_object();
    if (!entries || !env) {
        free(entries);
        json_decref(env);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (numerics_variable(environ[i]) && strchr(environ[i], '='))
            entries[n++] = environ[i];
    qsort(entries, n, sizeof *entries, compare_strings);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", space->threads_per_trial);
    /* What the trials get, which launch.c sets over hpsearch's own. */
    json_object_set_new(env, "OMP_NUM_THREADS", json_string(threads));
    json_object_set_new(env, "OPENBLAS_NUM_THREADS", json_string(threads));
    for (size_t i = 0; i < n; i++) {
        const char *equals = strchr(entries[i], '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(equals - entries[i]), entries[i]);
        if (strcmp(name, "OMP_NUM_THREADS") != 0 &&
            strcmp(name, "OPENBLAS_NUM_THREADS") != 0)
            json_object_set_new(env, name, json_string(equals + 1));
    }
    free(entries);
    return env;
}

json_t *provenance_collect(const struct space *space, const char *trainer_path,
                           const struct provenance_options *opts)
{
    struct utsname host;
    const char *host_name = uname(&host) == 0 ? host.nodename : "";
    char program[HP_PATH_MAX];
    char script[HP_PATH_MAX];
    program_path(space, trainer_path, program, sizeof program);
    int has_script = script_path(space, script, sizeof script) == 0;
    /* The directory of the file that is the trainer's own code. */
    char dir[HP_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", has_script ? script : program);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, "%s", slash ? "/" : ".");
    json_t *out =
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "hpsearch_version", HPSEARCH_VERSION,
                  "host", host_name, "program", file_json(program), "script",
                  has_script ? file_json(script) : json_null(), "git",
                  git_json(dir, opts), "env", env_json(space));
    return out;
}

json_t *provenance_record(json_t *provenance)
{
    if (!provenance)
        return NULL;
    return json_pack("{s:s, s:o}", "event", "provenance", "provenance", provenance);
}

/* Flattens `value` into `flat` as "a.b": scalar text ("null" for null). */
static void flatten(const char *prefix, const json_t *value, json_t *flat)
{
    if (json_is_object(value)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)value, key, v)
        {
            char path[512];
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
            flatten(path, v, flat);
        }
        return;
    }
    char *text = json_is_string(value)
                     ? strdup(json_string_value(value))
                     : json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text)
        json_object_set_new(flat, prefix, json_string(text));
    free(text);
}

/* "(unset)" for an item one side lacks. */
static const char *shown(const json_t *flat, const char *key)
{
    const char *text = json_string_value(json_object_get(flat, key));
    return text ? text : "(unset)";
}

json_t *provenance_changes(const json_t *before, const json_t *now)
{
    json_t *a = json_object();
    json_t *b = json_object();
    json_t *changes = json_array();
    if (!a || !b || !changes) {
        json_decref(a);
        json_decref(b);
        json_decref(changes);
        return NULL;
    }
    if (before)
        flatten("", before, a);
    if (now)
        flatten("", now, b);
    json_t *sides[2] = {a, b};
    for (int side = 0; side < 2; side++) {
        const char *key;
        json_t *v;
        json_object_foreach(sides[side], key, v)
        {
            if (side == 1 && json_object_get(a, key))
                continue; /* listed with `before`'s items */
            if (strcmp(shown(a, key), shown(b, key)) == 0)
                continue;
            size_t size = strlen(key) + strlen(shown(a, key)) + strlen(shown(b, key)) + 8;
            char *line = malloc(size);
            if (line) {
                snprintf(line, size, "%s: %s -> %s", key, shown(a, key), shown(b, key));
                json_array_append_new(changes, json_string(line));
            }
            free(line);
        }
    }
    json_decref(a);
    json_decref(b);
    return changes;
}

size_t provenance_print_changes(const json_t *before, const json_t *now,
                                const char *heading, FILE *out)
{
    json_t *changes = provenance_changes(before, now);
    size_t count = json_array_size(changes);
    if (count > 0)
        fprintf(out, "%s\n", heading);
    for (size_t i = 0; i < count; i++)
        fprintf(out, "  %s\n", json_string_value(json_array_get(changes, i)));
    json_decref(changes);
    return count;
}
