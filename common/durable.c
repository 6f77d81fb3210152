/*
 * The durable write. See durable.h.
 */
#include "durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names the target in err->source, so every message reads "<path>: ...". */
static int fail(struct hp_error *err, const char *path, int e, const char *what)
{
    if (err)
        snprintf(err->source, sizeof err->source, "%.511s", path);
    hp_error_set(err, "", "%s: %s", what, strerror(e));
    errno = e;
    return -1;
}

int hp_durable_sync_parent(const char *path)
{
    char dir[HP_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if (hp_path_format(dir, sizeof dir, NULL, "%.*s", (int)(slash - path), path) < 0)
        return errno = ENAMETOOLONG, -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int hp_durable_open(struct hp_durable *d, const char *path, struct hp_error *err)
{
    d->stream = NULL;
    d->error = 0;
    d->tmp[0] = '\0';
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    if (hp_path_format(d->path, sizeof d->path, err, "%s", path) < 0 ||
        hp_path_format(d->tmp, sizeof d->tmp, err, "%.*s.%s.tmp-XXXXXX", dirlen, path,
                       path + dirlen) < 0)
        return -1;
    int fd = mkstemp(d->tmp);
    if (fd < 0)
        return fail(err, path, errno, "cannot create a temporary file beside it");
    /* mkstemp makes the file private (0600); what is written here is an
     * ordinary artifact that other users of the folder may read. */
    fchmod(fd, 0644);
    d->stream = fdopen(fd, "wb");
    if (!d->stream) {
        int e = errno;
        close(fd);
        unlink(d->tmp);
        return fail(err, path, e, "cannot open a temporary file beside it");
    }
    return 0;
}

void hp_durable_put(struct hp_durable *d, const void *data, size_t len)
{
    if (d->error || len == 0)
        return;
    errno = 0;
    if (fwrite(data, 1, len, d->stream) != len)
        d->error = errno ? errno : EIO;
}

int hp_durable_commit(struct hp_durable *d, struct hp_error *err)
{
    /* A stdio stream keeps no errno for a failed write: hp_durable_put's, or
     * else that of the flush that usually fails the same way, is reported. */
    int e = d->error;
    int failed = e != 0 || ferror(d->stream);
    if (fflush(d->stream) != 0) {
        failed = 1;
        if (!e)
            e = errno;
    }
    if (!failed && fsync(fileno(d->stream)) != 0) {
        failed = 1;
        e = errno;
    }
    if (fclose(d->stream) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    d->stream = NULL;
    if (failed) {
        unlink(d->tmp);
        return fail(err, d->path, e ? e : EIO, "cannot write");
    }
    if (rename(d->tmp, d->path) != 0) {
        e = errno;
        unlink(d->tmp);
        return fail(err, d->path, e, "cannot rename into place");
    }
    if (hp_durable_sync_parent(d->path) != 0)
        return fail(err, d->path, errno, "cannot fsync its directory");
    return 0;
}

void hp_durable_abort(struct hp_durable *d)
{
    if (d->stream)
        fclose(d->stream);
    d->stream = NULL;
    if (d->tmp[0])
        unlink(d->tmp);
}

int hp_durable_write(const char *path, const void *data, size_t len,
                     struct hp_error *err)
{
    struct hp_durable *d = malloc(sizeof *d);
    if (!d)
        return hp_error_set(err, "", "%s: out of memory", path);
    int rc = hp_durable_open(d, path, err);
    if (rc == 0) {
        hp_durable_put(d, data, len);
        rc = hp_durable_commit(d, err);
    }
    free(d);
    return rc;
}
