/*
 * The IDX reader. See idx.h for the contract.
 *
 * An IDX file is a big-endian header (a magic number whose low byte is the
 * number of dimensions and whose third byte is the element type, 0x08 for
 * unsigned bytes; then one 32-bit size per dimension) followed by the elements.
 */
#include "idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    IDX_IMAGES_MAGIC = 0x00000803,
    IDX_LABELS_MAGIC = 0x00000801,
    IDX_MAX_ROWS = 10000000,
    IDX_MAX_SIDE = 4096,
};

static int fail(struct hp_error *err, const char *path, const char *what)
{
    snprintf(err->source, sizeof err->source, "%.511s", path);
    return hp_error_set(err, NULL, "%s", what);
}

/* Reads exactly `size` bytes. Returns 0, or -1 with `err` set. */
static int read_exact(gzFile f, const char *path, void *buf, size_t size,
                      const char *what, struct hp_error *err)
{
    unsigned char *p = buf;
    size_t done = 0;
    while (done < size) {
        size_t chunk = size - done > (1u << 30) ? (1u << 30) : size - done;
        int got = gzread(f, p + done, (unsigned)chunk);
        if (got < 0) {
            int code = 0;
            const char *msg = gzerror(f, &code);
            snprintf(err->source, sizeof err->source, "%.511s", path);
            return hp_error_set(err, NULL, "cannot read %s: %s", what,
                                code == Z_ERRNO ? strerror(errno) : msg);
        }
        if (got == 0) {
            snprintf(err->source, sizeof err->source, "%.511s", path);
            return hp_error_set(err, NULL,
                                "file is truncated: expected %zu bytes of %s, got %zu",
                                size, what, done);
        }
        done += (size_t)got;
    }
    return 0;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Opens `path` and reads its header: the magic number must be `magic` and the
 * dims that follow are stored in dims[0..ndims). */
static gzFile open_idx(const char *path, uint32_t magic, uint32_t *dims, int ndims,
                       struct hp_error *err)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(err->source, sizeof err->source, "%.511s", path);
        hp_error_set(err, NULL, "cannot open: %s",
                     errno ? strerror(errno) : "zlib error");
        return NULL;
    }
    unsigned char header[4 * 4];
    if (read_exact(f, path, header, 4 * (size_t)(ndims + 1), "header", err) < 0) {
        gzclose(f);
        return NULL;
    }
    uint32_t got = be32(header);
    if (got != magic) {
        snprintf(err->source, sizeof err->source, "%.511s", path);
        hp_error_set(err, NULL, "bad magic number 0x%08x (expected 0x%08x for IDX %s)",
                     got, magic, magic == IDX_IMAGES_MAGIC ? "images" : "labels");
        gzclose(f);
        return NULL;
    }
    for (int i = 0; i < ndims; i++)
        dims[i] = be32(header + 4 * (i + 1));
    return f;
}

/* After the last element, the stream must end. */
static int expect_end(gzFile f, const char *path, struct hp_error *err)
{
    unsigned char extra;
    int got = gzread(f, &extra, 1);
    if (got != 0)
        return fail(err, path, "trailing bytes after the last element");
    return 0;
}

int idx_load(struct dataset *set, const char *images_path, const char *labels_path,
             int classes, struct hp_error *err)
{
    memset(set, 0, sizeof *set);
    gzFile img = NULL;
    gzFile lab = NULL;
    uint8_t *bytes = NULL;
    uint32_t idims[3];
    uint32_t ldims[1];

    img = open_idx(images_path, IDX_IMAGES_MAGIC, idims, 3, err);
    if (!img)
        goto fail;
    if (idims[0] == 0 || idims[0] > IDX_MAX_ROWS || idims[1] == 0 ||
        idims[1] > IDX_MAX_SIDE || idims[2] == 0 || idims[2] > IDX_MAX_SIDE) {
        snprintf(err->source, sizeof err->source, "%.511s", images_path);
        hp_error_set(err, NULL, "implausible dimensions %u x %u x %u", idims[0], idims[1],
                     idims[2]);
        goto fail;
    }
    lab = open_idx(labels_path, IDX_LABELS_MAGIC, ldims, 1, err);
    if (!lab)
        goto fail;
    if (ldims[0] != idims[0]) {
        snprintf(err->source, sizeof err->source, "%.511s", labels_path);
        hp_error_set(err, NULL, "has %u labels but %s has %u images", ldims[0],
                     images_path, idims[0]);
        goto fail;
    }

    size_t n = idims[0];
    size_t dim = (size_t)idims[1] * idims[2];
    set->n = n;
    set->dim = dim;
    set->height = (int)idims[1];
    set->width = (int)idims[2];
    set->classes = classes;
    set->pixel_block = malloc(n * dim);
    set->pixels = set->pixel_block;
    set->labels = malloc(n * sizeof *set->labels);
    bytes = malloc(n);
    if (!set->pixel_block || !set->labels || !bytes) {
        fail(err, images_path, "out of memory");
        goto fail;
    }
    if (read_exact(img, images_path, set->pixel_block, n * dim, "pixels", err) < 0 ||
        expect_end(img, images_path, err) < 0)
        goto fail;
    if (read_exact(lab, labels_path, bytes, n, "labels", err) < 0 ||
        expect_end(lab, labels_path, err) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (bytes[i] >= classes) {
            snprintf(err->source, sizeof err->source, "%.511s", labels_path);
            hp_error_set(err, NULL, "label %u of row %zu is out of range (0..%d)",
                         bytes[i], i, classes - 1);
            goto fail;
        }
        set->labels[i] = bytes[i];
    }
    free(bytes);
    gzclose(img);
    gzclose(lab);
    return 0;

fail:
    free(bytes);
    if (img)
        gzclose(img);
    if (lab)
        gzclose(lab);
    dataset_free(set);
    return -1;
}
