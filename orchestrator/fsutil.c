/*
 * File-system helpers. See fsutil.h.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "durable.h"
#include "path.h"

int fsutil_mkdirs(const char *path, struct hp_error *err)
{
    /* Usually only the last component is new (a trial's directory): one call. */
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    char buf[HP_PATH_MAX];
    if (hp_path_join(buf, sizeof buf, err, path, NULL) < 0)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return hp_error_set(err, "", "%s: cannot create directory: %s", buf,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return hp_error_set(err, "", "%s: cannot create directory: %s", buf,
                            strerror(errno));
    return 0;
}

int fsutil_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes all of data to fd. Returns 0 or -1 with errno set. */
static int write_fully(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int fsutil_write_atomic(const char *path, const void *data, size_t len,
                        struct hp_error *err)
{
    return hp_durable_write(path, data, len, err);
}

FILE *fsutil_stream_open(const char *path, char *tmp, size_t size, struct hp_error *err)
{
    struct hp_durable *d = malloc(sizeof *d);
    if (!d) {
        hp_error_set(err, "", "%s: out of memory", path);
        return NULL;
    }
    FILE *stream = NULL;
    if (hp_durable_open(d, path, err) == 0) {
        if (hp_path_format(tmp, size, err, "%s", d->tmp) == 0)
            stream = d->stream;
        else
            hp_durable_abort(d);
    }
    free(d);
    return stream;
}

int fsutil_stream_commit(FILE *stream, const char *tmp, const char *path,
                         struct hp_error *err)
{
    struct hp_durable *d = malloc(sizeof *d);
    if (!d) {
        fclose(stream);
        unlink(tmp);
        return hp_error_set(err, "", "%s: out of memory", path);
    }
    d->stream = stream;
    d->error = 0;
    int rc = -1;
    if (hp_path_format(d->path, sizeof d->path, err, "%s", path) == 0 &&
        hp_path_format(d->tmp, sizeof d->tmp, err, "%s", tmp) == 0)
        rc = hp_durable_commit(d, err);
    else
        hp_durable_abort(d);
    free(d);
    return rc;
}

static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write_fully(out, buf, (size_t)n) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && fsync(out) < 0)
        rc = -1;
    close(in);
    close(out);
    return rc;
}

int fsutil_place(const char *src, const char *dst, struct hp_error *err)
{
    char tmp[HP_PATH_MAX];
    if (hp_path_format(tmp, sizeof tmp, err, "%s.tmp.%ld", dst, (long)getpid()) < 0)
        return -1;
    unlink(tmp);
    if (link(src, tmp) < 0 && copy_file(src, tmp) < 0) {
        int saved = errno;
        unlink(tmp);
        return hp_error_set(err, "", "%s: cannot copy to %s: %s", src, dst,
                            strerror(saved));
    }
    if (rename(tmp, dst) < 0) {
        int saved = errno;
        unlink(tmp);
        return hp_error_set(err, "", "%s: cannot rename into place: %s", dst,
                            strerror(saved));
    }
    hp_durable_sync_parent(dst);
    return 0;
}

/* nftw has no context argument: the walk adds into this. */
static uint64_t usage_total;

static int add_usage(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    usage_total += (uint64_t)st->st_blocks * 512u;
    return 0;
}

uint64_t fsutil_disk_usage(const char *path)
{
    usage_total = 0;
    nftw(path, add_usage, 32, FTW_PHYS);
    return usage_total;
}

int fsutil_stays_below(const char *rel)
{
    if (rel[0] == '/' || rel[0] == '\0')
        return 0;
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += n;
        p += *p == '/';
    }
    return 1;
}

int fsutil_is_inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0' &&
           fsutil_stays_below(path + n + 1);
}

int fsutil_resolve_inside(const char *path, const char *dir, char *resolved, size_t size)
{
    char real_dir[PATH_MAX];
    char real_path[PATH_MAX];
    /* "" is what a path that did not fit leaves: it names nothing. */
    if (!path[0] || !dir[0])
        return -ENOENT;
    if (!realpath(dir, real_dir))
        return -errno;
    if (!realpath(path, real_path))
        return -errno;
    if (!fsutil_is_inside(real_path, real_dir))
        return -EXDEV;
    if (resolved) {
        int n = snprintf(resolved, size, "%s", real_path);
        if (n < 0 || (size_t)n >= size)
            return -ENAMETOOLONG;
    }
    return 0;
}

int fsutil_unlink_inside(const char *path, const char *dir)
{
    if (fsutil_resolve_inside(path, dir, NULL, 0) < 0)
        return -1;
    return unlink(path);
}

int fsutil_free_space(const char *path, uint64_t *free_bytes)
{
    struct statvfs st;
    if (statvfs(path, &st) < 0)
        return -1;
    /* f_bavail: what an unprivileged writer may still use. */
    *free_bytes = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
    return 0;
}

void fsutil_mount_point(const char *path, char *out, size_t size, char *type,
                        size_t type_size)
{
    char real[PATH_MAX];
    snprintf(out, size, "%s", path);
    snprintf(type, type_size, "?");
    if (!realpath(path, real))
        return;
    FILE *in = fopen("/proc/self/mountinfo", "r");
    if (!in)
        return;
    /* Fields: id parent major:minor root mount-point options ... - type source ... */
    char *line = NULL;
    size_t cap = 0;
    size_t best = 0;
    while (getline(&line, &cap, in) > 0) {
        char mount[HP_PATH_MAX]; /* %4095s below */
        char fstype[64];
        char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mount) != 1 ||
            sscanf(dash + 3, "%63s", fstype) != 1)
            continue;
        size_t n = strlen(mount);
        int covers = strcmp(mount, "/") == 0 ||
                     (strncmp(real, mount, n) == 0 && (real[n] == '/' || real[n] == '\0'));
        if (covers && n >= best) {
            best = n;
            snprintf(out, size, "%s", mount);
            snprintf(type, type_size, "%s", fstype);
        }
    }
    free(line);
    fclose(in);
}
