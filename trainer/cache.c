/*
 * The data cache. See cache.h for the contract.
 *
 * The file, "<dir>/idx-<key>.bin", where key is the hash of the sources'
 * resolved paths and the class count (so another --data-dir gets a file of
 * its own), in the byte order of the machine that wrote it:
 *
 *   [0, 4096)   struct cache_header, zero-padded
 *   then, per set, at an offset that is a multiple of 4096 (so the image
 *   rows of a mapping are page- and cache-line-aligned):
 *               the image bytes (n, height * width), then the labels (n
 *               bytes), then zeros up to the next set
 *
 * The header records every array's offset and hash, and the hash of the
 * header itself. A cache file is read only through a mapping, never written
 * in place: a new one is renamed over the old, so a run that mapped the old
 * one keeps it whole.
 */
#define _DEFAULT_SOURCE /* MAP_POPULATE, realpath, flock: Linux file mapping */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "idx.h"
#include "path.h"

enum {
    CACHE_VERSION = 1,
    CACHE_BYTE_ORDER = 0x01020304,
    CACHE_HEADER_SIZE = 4096,
    CACHE_ALIGN = 4096,
};

static const char CACHE_MAGIC[8] = {'H', 'P', 'I', 'D', 'X', 'C', 'A', '\n'};

/* What a source file was when the cache was made from it. */
struct cache_stamp {
    uint64_t size;
    int64_t mtime_sec;
    int64_t mtime_nsec;
};

struct cache_set {
    uint64_t n, height, width;
    uint64_t pixels_offset, labels_offset;
    uint64_t pixels_hash, labels_hash;
};

struct cache_header {
    char magic[8];
    uint32_t version;
    uint32_t byte_order;
    uint64_t file_size; /* catches a truncated or extended file */
    uint64_t key;       /* the sources' paths and the class count */
    uint32_t nsets;
    uint32_t classes;
    struct cache_stamp stamp[2 * CACHE_MAX_SETS]; /* images, labels per set */
    struct cache_set set[CACHE_MAX_SETS];
    uint64_t header_hash; /* of the bytes before it */
};

_Static_assert(sizeof(struct cache_header) <= CACHE_HEADER_SIZE,
               "the header fits its page");
_Static_assert(offsetof(struct cache_header, header_hash) ==
                   sizeof(struct cache_header) - sizeof(uint64_t),
               "header_hash is last, with no padding after it");

/* ---- the hash --------------------------------------------------------------- */

static const uint64_t P1 = 0x9E3779B185EBCA87ULL;
static const uint64_t P2 = 0xC2B2AE3D27D4EB4FULL;
static const uint64_t P3 = 0x165667B19E3779F9ULL;
static const uint64_t P4 = 0x85EBCA77C2B2AE63ULL;

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t mix(uint64_t acc, uint64_t in)
{
    acc += in * P2;
    return rotl(acc, 31) * P1;
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

uint64_t cache_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    const unsigned char *end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = P1 + P2;
        uint64_t v2 = P2;
        uint64_t v3 = 0;
        uint64_t v4 = 0 - P1;
        for (; end - p >= 32; p += 32) {
            v1 = mix(v1, load64(p));
            v2 = mix(v2, load64(p + 8));
            v3 = mix(v3, load64(p + 16));
            v4 = mix(v4, load64(p + 24));
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = (h ^ mix(0, v1)) * P1 + P4;
        h = (h ^ mix(0, v2)) * P1 + P4;
        h = (h ^ mix(0, v3)) * P1 + P4;
        h = (h ^ mix(0, v4)) * P1 + P4;
    } else {
        h = P3;
    }
    h += (uint64_t)len;
    for (; end - p >= 8; p += 8)
        h = rotl(h ^ mix(0, load64(p)), 27) * P1 + P4;
    for (; p < end; p++)
        h = rotl(h ^ (*p * P3), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

/* ---- checking a cache file ----------------------------------------------------- */

static uint64_t align_up(uint64_t v)
{
    return (v + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
}

/* What the sources are now: a stamp per file and the key. Returns 0, or -1
 * when a source cannot be looked at (idx_load then names the problem). */
static int stamp_sources(const struct cache_source *src, int nsets, int classes,
                         struct cache_stamp *stamp, uint64_t *key)
{
    char text[2 * CACHE_MAX_SETS * (PATH_MAX + 1) + 16];
    size_t len = (size_t)snprintf(text, sizeof text, "%d", classes);
    for (int i = 0; i < 2 * nsets; i++) {
        const char *path = i % 2 ? src[i / 2].labels : src[i / 2].images;
        struct stat st;
        char real[PATH_MAX];
        if (stat(path, &st) != 0 || !realpath(path, real))
            return -1;
        stamp[i] = (struct cache_stamp){(uint64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
                                        (int64_t)st.st_mtim.tv_nsec};
        len += (size_t)snprintf(text + len, sizeof text - len, "\n%s", real);
    }
    *key = cache_hash(text, len);
    return 0;
}

/* Checks a mapped cache file against what it should be. Returns NULL when it
 * can be used, else why not (a static string). */
static const char *check_file(const unsigned char *base, size_t size, uint64_t key,
                              int nsets, int classes, const struct cache_stamp *stamp)
{
    struct cache_header h;
    if (size < CACHE_HEADER_SIZE)
        return "truncated (shorter than its header)";
    memcpy(&h, base, sizeof h);
    if (memcmp(h.magic, CACHE_MAGIC, sizeof h.magic) != 0)
        return "not a data cache file (bad magic number)";
    if (h.version != CACHE_VERSION)
        return "written by another version of hpsearch-train";
    if (h.byte_order != CACHE_BYTE_ORDER)
        return "written on a machine of another byte order";
    if (h.header_hash != cache_hash(&h, offsetof(struct cache_header, header_hash)))
        return "its header is damaged (hash mismatch)";
    if (h.file_size != size)
        return "truncated or extended (its size is not the one its header records)";
    if (h.key != key || h.nsets != (uint32_t)nsets || h.classes != (uint32_t)classes)
        return "made from other source files";
    if (memcmp(h.stamp, stamp, 2 * (size_t)nsets * sizeof *stamp) != 0)
        return "made from other versions of the source files (size or modification time "
               "changed)";
    for (int i = 0; i < nsets; i++) {
        const struct cache_set *s = &h.set[i];
        uint64_t dim = s->height * s->width;
        if (s->n == 0 || s->height == 0 || s->width == 0 || s->height > 65536 ||
            s->width > 65536 || s->n > (UINT64_MAX / 2) / dim ||
            s->pixels_offset % CACHE_ALIGN != 0 || s->pixels_offset > size ||
            size - s->pixels_offset < s->n * dim ||
            s->labels_offset != s->pixels_offset + s->n * dim ||
            size - s->labels_offset < s->n)
            return "its header describes arrays that do not fit the file";
    }
    for (int i = 0; i < nsets; i++) {
        const struct cache_set *s = &h.set[i];
        if (cache_hash(base + s->pixels_offset, s->n * s->height * s->width) !=
                s->pixels_hash ||
            cache_hash(base + s->labels_offset, s->n) != s->labels_hash)
            return "its contents are damaged (hash mismatch)";
    }
    return NULL;
}

/* Maps `path` and checks it. Returns 1 with the mapping in *map when it can
 * be used; 0 with *why set when it is missing (why = NULL) or cannot be used
 * (why says so). */
static int map_file(const char *path, uint64_t key, int nsets, int classes,
                    const struct cache_stamp *stamp, struct cache_map *map,
                    const char **why)
{
    *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            *why = "cannot be opened";
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < CACHE_HEADER_SIZE) {
        close(fd);
        *why = "truncated (shorter than its header)";
        return 0;
    }
    size_t size = (size_t)st.st_size;
    /* The check reads every page at once, so MAP_POPULATE maps them all in
     * one call. Measured here it changes little (45 ms to the first batch
     * either way): file pages, unlike fresh anonymous ones (about 11 us a
     * page on this VM, which reading the .gz files into malloc'd memory
     * paid), come from the page cache 16 to a fault. */
    void *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        *why = "cannot be mapped";
        return 0;
    }
    *why = check_file(base, size, key, nsets, classes, stamp);
    if (*why) {
        munmap(base, size);
        return 0;
    }
    *map = (struct cache_map){base, size};
    return 1;
}

/* Points the sets into a checked mapping; labels are copied to int32. Returns
 * 0, or -1 with `err` set (out of memory, or a label out of range). */
static int fill_sets(const struct cache_map *map, int nsets, int classes,
                     struct dataset *const *sets, const char *path, struct hp_error *err)
{
    const unsigned char *base = map->base;
    struct cache_header h;
    memcpy(&h, base, sizeof h);
    for (int i = 0; i < nsets; i++) {
        const struct cache_set *s = &h.set[i];
        struct dataset *set = sets[i];
        memset(set, 0, sizeof *set);
        set->n = (size_t)s->n;
        set->dim = (size_t)(s->height * s->width);
        set->height = (int)s->height;
        set->width = (int)s->width;
        set->classes = classes;
        set->pixels = base + s->pixels_offset;
        set->labels = malloc(set->n * sizeof *set->labels);
        if (!set->labels) {
            snprintf(err->source, sizeof err->source, "%.511s", path);
            return hp_error_set(err, NULL, "out of memory");
        }
        const unsigned char *labels = base + s->labels_offset;
        for (size_t r = 0; r < set->n; r++) {
            if (labels[r] >= classes) {
                snprintf(err->source, sizeof err->source, "%.511s", path);
                return hp_error_set(err, NULL, "label %u of row %zu is out of range",
                                    labels[r], r);
            }
            set->labels[r] = labels[r];
        }
    }
    return 0;
}

/* ---- building a cache file -------------------------------------------------------- */

static const unsigned char ZEROS[CACHE_ALIGN];

/* Writes the cache file for the decoded sets, durably. Returns 0 or -1 with
 * `err` set. */
static int write_file(const char *path, struct dataset *const *sets, int nsets,
                      int classes, uint64_t key, const struct cache_stamp *stamp,
                      struct hp_error *err)
{
    struct cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CACHE_MAGIC, sizeof h.magic);
    h.version = CACHE_VERSION;
    h.byte_order = CACHE_BYTE_ORDER;
    h.key = key;
    h.nsets = (uint32_t)nsets;
    h.classes = (uint32_t)classes;
    memcpy(h.stamp, stamp, 2 * (size_t)nsets * sizeof *stamp);
    unsigned char *labels[CACHE_MAX_SETS] = {NULL};
    uint64_t offset = CACHE_HEADER_SIZE;
    int rc = -1;
    for (int i = 0; i < nsets; i++) {
        const struct dataset *set = sets[i];
        struct cache_set *s = &h.set[i];
        labels[i] = malloc(set->n ? set->n : 1);
        if (!labels[i]) {
            hp_error_set(err, NULL, "out of memory");
            goto done;
        }
        for (size_t r = 0; r < set->n; r++)
            labels[i][r] = (unsigned char)set->labels[r];
        *s = (struct cache_set){
            .n = set->n,
            .height = (uint64_t)set->height,
            .width = (uint64_t)set->width,
            .pixels_offset = offset,
            .labels_offset = offset + set->n * set->dim,
            .pixels_hash = cache_hash(set->pixels, set->n * set->dim),
            .labels_hash = cache_hash(labels[i], set->n),
        };
        offset = align_up(s->labels_offset + set->n);
    }
    h.file_size = offset;
    h.header_hash = cache_hash(&h, offsetof(struct cache_header, header_hash));

    struct hp_durable d;
    if (hp_durable_open(&d, path, err) < 0)
        goto done;
    hp_durable_put(&d, &h, sizeof h);
    hp_durable_put(&d, ZEROS, CACHE_HEADER_SIZE - sizeof h);
    for (int i = 0; i < nsets; i++) {
        const struct dataset *set = sets[i];
        uint64_t end = h.set[i].labels_offset + set->n;
        hp_durable_put(&d, set->pixels, set->n * set->dim);
        hp_durable_put(&d, labels[i], set->n);
        hp_durable_put(&d, ZEROS, (size_t)(align_up(end) - end));
    }
    rc = hp_durable_commit(&d, err);

done:
    for (int i = 0; i < nsets; i++)
        free(labels[i]);
    return rc;
}

static void note(const char *path, const char *what, const char *why)
{
    fprintf(stderr, "hpsearch-train: note: data cache %s: %s%s%s\n", path, what,
            why ? ": " : "", why ? why : "");
}

/* Reads the sources with idx_load. Returns 0, or -1 with `err` set and every
 * set freed. */
static int read_sources(const struct cache_source *src, int nsets, int classes,
                        struct dataset *const *sets, struct hp_error *err)
{
    for (int i = 0; i < nsets; i++) {
        if (idx_load(sets[i], src[i].images, src[i].labels, classes, err) < 0) {
            for (int k = 0; k < i; k++)
                dataset_free(sets[k]);
            return -1;
        }
    }
    return 0;
}

int cache_load_idx(const char *dir, const struct cache_source *src, int nsets,
                   int classes, struct dataset *const *sets, struct cache_map *map,
                   struct hp_error *err)
{
    *map = (struct cache_map){NULL, 0};
    struct cache_stamp stamp[2 * CACHE_MAX_SETS];
    uint64_t key = 0;
    char path[HP_PATH_MAX];
    char lock_path[HP_PATH_MAX];
    char name[64];
    if (nsets < 1 || nsets > CACHE_MAX_SETS ||
        stamp_sources(src, nsets, classes, stamp, &key) < 0)
        return read_sources(src, nsets, classes, sets, err);
    snprintf(name, sizeof name, "idx-%016llx", (unsigned long long)key);
    if (hp_path_format(path, sizeof path, NULL, "%s/%s.bin", dir, name) < 0 ||
        hp_path_format(lock_path, sizeof lock_path, NULL, "%s/%s.lock", dir, name) < 0) {
        note(dir, "path too long; reading the source files", NULL);
        return read_sources(src, nsets, classes, sets, err);
    }

    const char *why = NULL;
    if (map_file(path, key, nsets, classes, stamp, map, &why))
        goto hit;
    if (why)
        note(path, "rebuilding it", why);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        note(dir, "cannot create the folder; reading the source files", strerror(errno));
        return read_sources(src, nsets, classes, sets, err);
    }
    /* One builder at a time: the others wait here, then find its file. The
     * lock is only an economy; without one (a file system that refuses
     * locks) racing builders are still safe, each renaming a whole file. */
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock >= 0 && flock(lock, LOCK_EX) != 0) {
        close(lock);
        lock = -1;
    }
    if (map_file(path, key, nsets, classes, stamp, map, &why)) {
        if (lock >= 0)
            close(lock);
        goto hit;
    }
    int rc = read_sources(src, nsets, classes, sets, err);
    if (rc == 0) {
        struct hp_error werr;
        hp_error_init(&werr);
        if (write_file(path, sets, nsets, classes, key, stamp, &werr) < 0) {
            char text[1024];
            note(path, "cannot write it; went on without",
                 hp_error_format(&werr, text, sizeof text));
        }
    }
    if (lock >= 0)
        close(lock); /* releases the lock */
    return rc;

hit:
    if (fill_sets(map, nsets, classes, sets, path, err) < 0) {
        for (int i = 0; i < nsets; i++)
            dataset_free(sets[i]);
        munmap(map->base, map->size);
        *map = (struct cache_map){NULL, 0};
        return -1;
    }
    return 0;
}
