/*
 * Checkpoint save and load, side by side. See checkpoint.h for the format.
 */
#include "checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "durable.h"

static const char MAGIC[8] = {'H', 'P', 'T', 'R', 'C', 'K', 'P', 'T'};
static const char FORMAT[] = "hpsearch-train checkpoint";

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

static void put_le32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static uint64_t get_le64(const unsigned char *b)
{
    return (uint64_t)get_le32(b) | (uint64_t)get_le32(b + 4) << 32;
}

static size_t tensor_count(const struct checkpoint_tensor *t)
{
    return t->shape[1] ? t->shape[0] * t->shape[1] : t->shape[0];
}

/* ---- save ----------------------------------------------------------------- */

/* A file being written, with its running checksum. */
struct writer {
    struct hp_durable *file;
    uLong crc;
};

static void write_bytes(struct writer *w, const void *data, size_t size)
{
    hp_durable_put(w->file, data, size);
    const unsigned char *p = data;
    while (size > 0) {
        uInt chunk = size > (1u << 30) ? (1u << 30) : (uInt)size;
        w->crc = crc32(w->crc, p, chunk);
        p += chunk;
        size -= chunk;
    }
}

static void write_floats(struct writer *w, const float *data, size_t count)
{
    if (host_is_little_endian()) {
        write_bytes(w, data, count * sizeof(float));
        return;
    }
    unsigned char buf[4096];
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &data[i], 4);
        put_le32(buf + used, bits);
        used += 4;
        if (used == sizeof buf) {
            write_bytes(w, buf, used);
            used = 0;
        }
    }
    write_bytes(w, buf, used);
}

static json_t *header_complete(const json_t *header, const struct checkpoint_tensor *t,
                               size_t n)
{
    json_t *h = header ? json_deep_copy(header) : json_object();
    json_t *list = json_array();
    if (!h || !list || json_object_set_new(h, "format", json_string(FORMAT)) < 0) {
        json_decref(h);
        json_decref(list);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *shape = t[i].shape[1] ? json_pack("[II]", (json_int_t)t[i].shape[0],
                                                  (json_int_t)t[i].shape[1])
                                      : json_pack("[I]", (json_int_t)t[i].shape[0]);
        json_t *entry =
            shape ? json_pack("{s:s, s:o}", "name", t[i].name, "shape", shape) : NULL;
        if (!entry || json_array_append_new(list, entry) < 0) {
            json_decref(h);
            json_decref(list);
            return NULL;
        }
    }
    if (json_object_set_new(h, "tensors", list) < 0) {
        json_decref(h);
        return NULL;
    }
    return h;
}

int checkpoint_save(const char *path, const json_t *header,
                    const struct checkpoint_tensor *tensors, size_t ntensors,
                    struct hp_error *err)
{
    snprintf(err->source, sizeof err->source, "%.511s", path);
    json_t *h = header_complete(header, tensors, ntensors);
    char *text = h ? json_dumps(h, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(h);
    if (!text)
        return hp_error_set(err, NULL, "out of memory building the checkpoint header");
    struct hp_durable file;
    if (hp_durable_open(&file, path, err) < 0) {
        free(text);
        return CHECKPOINT_WRITE_FAILED;
    }
    struct writer w = {&file, crc32(0L, Z_NULL, 0)};

    size_t header_len = strlen(text);
    uint64_t payload_len = 0;
    for (size_t i = 0; i < ntensors; i++)
        payload_len += (uint64_t)tensor_count(&tensors[i]) * 4u;
    unsigned char prefix[sizeof(struct checkpoint_prefix)];
    memcpy(prefix, MAGIC, sizeof MAGIC);
    put_le32(prefix + offsetof(struct checkpoint_prefix, version), CHECKPOINT_VERSION);
    put_le32(prefix + offsetof(struct checkpoint_prefix, header_len),
             (uint32_t)header_len);
    put_le64(prefix + offsetof(struct checkpoint_prefix, payload_len), payload_len);

    write_bytes(&w, prefix, sizeof prefix);
    write_bytes(&w, text, header_len);
    for (size_t i = 0; i < ntensors; i++)
        write_floats(&w, tensors[i].data, tensor_count(&tensors[i]));
    unsigned char trailer[4];
    put_le32(trailer, (uint32_t)w.crc);
    write_bytes(&w, trailer, sizeof trailer);
    free(text);
    return hp_durable_commit(&file, err) < 0 ? CHECKPOINT_WRITE_FAILED : 0;
}

/* ---- load ----------------------------------------------------------------- */

static int read_file(const char *path, unsigned char **out, size_t *size,
                     struct hp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return hp_error_set(err, NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return hp_error_set(err, NULL, "not a regular file");
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return hp_error_set(err, NULL, "out of memory reading %zu bytes", n);
    }
    if (fread(buf, 1, n, f) != n) {
        int e = ferror(f) ? errno : 0;
        free(buf);
        fclose(f);
        return hp_error_set(err, NULL, "cannot read: %s",
                            e ? strerror(e) : "file changed size");
    }
    fclose(f);
    *out = buf;
    *size = n;
    return 0;
}

/* Validates the tensor table against the payload size and fills ck->tensor. */
static int read_tensor_table(struct checkpoint *ck, uint64_t payload_len,
                             struct hp_error *err)
{
    json_t *list = json_object_get(ck->header, "tensors");
    if (!json_is_array(list))
        return hp_error_set(err, "tensors", "missing or not an array");
    if (json_array_size(list) > CHECKPOINT_MAX_TENSORS)
        return hp_error_set(err, "tensors", "more than %d tensors",
                            CHECKPOINT_MAX_TENSORS);
    uint64_t offset = 0;
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry)
    {
        char where[64];
        snprintf(where, sizeof where, "tensors[%zu]", i);
        json_t *name = json_object_get(entry, "name");
        json_t *shape = json_object_get(entry, "shape");
        if (!json_is_string(name) || json_string_length(name) == 0 ||
            json_string_length(name) >= sizeof ck->tensor[0].name)
            return hp_error_set(err, where, "missing or bad name");
        if (!json_is_array(shape) || json_array_size(shape) < 1 ||
            json_array_size(shape) > 2)
            return hp_error_set(err, where, "shape must be an array of 1 or 2 sizes");
        uint64_t count = 1;
        for (size_t d = 0; d < json_array_size(shape); d++) {
            json_t *dim = json_array_get(shape, d);
            if (!json_is_integer(dim) || json_integer_value(dim) < 0 ||
                json_integer_value(dim) > (1LL << 31))
                return hp_error_set(err, where, "bad shape");
            count *= (uint64_t)json_integer_value(dim);
        }
        if (offset + count * 4 > payload_len)
            return hp_error_set(err, where,
                                "tensors need more bytes than the payload has");
        snprintf(ck->tensor[i].name, sizeof ck->tensor[i].name, "%s",
                 json_string_value(name));
        ck->tensor[i].count = (size_t)count;
        ck->tensor[i].offset = (size_t)offset;
        offset += count * 4;
    }
    if (offset != payload_len)
        return hp_error_set(err, "tensors",
                            "tensors cover %llu bytes, the payload is %llu",
                            (unsigned long long)offset, (unsigned long long)payload_len);
    ck->ntensors = json_array_size(list);
    return 0;
}

/* Refuses a file of `size` bytes whose prefix promises another size, with
 * both counts and the parts of the promise. A corrupted payload_len can make
 * the sum wrap around 2^64, so the sum is only printed when it does not. */
static void refuse_size(size_t size, uint64_t header_len, uint64_t payload_len,
                        struct hp_error *err)
{
    const uint64_t fixed = sizeof(struct checkpoint_prefix) + 4;
    unsigned long long h = (unsigned long long)header_len;
    unsigned long long p = (unsigned long long)payload_len;
    if (payload_len > UINT64_MAX - fixed - header_len) {
        hp_error_set(err, NULL,
                     "file is truncated: the prefix promises more than 2^64 bytes (a "
                     "%zu-byte prefix, a %llu-byte header, a %llu-byte payload and a "
                     "4-byte checksum), the file has %zu",
                     sizeof(struct checkpoint_prefix), h, p, size);
        return;
    }
    uint64_t promised = fixed + header_len + payload_len;
    if (promised > size)
        hp_error_set(err, NULL,
                     "file is truncated: the prefix promises %llu bytes (a %zu-byte "
                     "prefix, a %llu-byte header, a %llu-byte payload and a 4-byte "
                     "checksum), the file has %zu",
                     (unsigned long long)promised, sizeof(struct checkpoint_prefix), h, p,
                     size);
    else
        hp_error_set(err, NULL,
                     "file has %llu trailing bytes: the prefix promises %llu bytes (a "
                     "%zu-byte prefix, a %llu-byte header, a %llu-byte payload and a "
                     "4-byte checksum), the file has %zu",
                     (unsigned long long)(size - promised), (unsigned long long)promised,
                     sizeof(struct checkpoint_prefix), h, p, size);
}

int checkpoint_load(struct checkpoint *ck, const char *path, struct hp_error *err)
{
    memset(ck, 0, sizeof *ck);
    snprintf(err->source, sizeof err->source, "%.511s", path);
    if (read_file(path, &ck->bytes, &ck->size, err) < 0)
        return -1;
    const unsigned char *b = ck->bytes;
    size_t size = ck->size;
    const size_t fixed = sizeof(struct checkpoint_prefix);
    if (size < fixed + 4) {
        hp_error_set(err, NULL, "file is truncated (%zu bytes)", size);
        goto fail;
    }
    if (memcmp(b, MAGIC, sizeof MAGIC) != 0) {
        hp_error_set(err, NULL, "not an hpsearch-train checkpoint (bad magic number)");
        goto fail;
    }
    uint32_t version = get_le32(b + offsetof(struct checkpoint_prefix, version));
    if (version != CHECKPOINT_VERSION) {
        hp_error_set(err, NULL, "unsupported checkpoint version %u (this build reads %d)",
                     version, CHECKPOINT_VERSION);
        goto fail;
    }
    uint64_t header_len = get_le32(b + offsetof(struct checkpoint_prefix, header_len));
    uint64_t payload_len = get_le64(b + offsetof(struct checkpoint_prefix, payload_len));
    if (header_len > size || payload_len > size ||
        fixed + header_len + payload_len + 4 != size) {
        refuse_size(size, header_len, payload_len, err);
        goto fail;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < size - 4;) {
        uInt chunk = size - 4 - done > (1u << 30) ? (1u << 30) : (uInt)(size - 4 - done);
        crc = crc32(crc, b + done, chunk);
        done += chunk;
    }
    if ((uint32_t)crc != get_le32(b + size - 4)) {
        hp_error_set(err, NULL, "checksum mismatch: the file is corrupted");
        goto fail;
    }
    json_error_t jerr;
    ck->header = json_loadb((const char *)b + fixed, (size_t)header_len, 0, &jerr);
    if (!json_is_object(ck->header)) {
        hp_error_set(err, NULL, "bad JSON header: %s",
                     ck->header ? "not an object" : jerr.text);
        goto fail;
    }
    json_t *format = json_object_get(ck->header, "format");
    if (!json_is_string(format) || strcmp(json_string_value(format), FORMAT) != 0) {
        hp_error_set(err, "format", "expected \"%s\"", FORMAT);
        goto fail;
    }
    if (read_tensor_table(ck, payload_len, err) < 0)
        goto fail;
    ck->payload = b + fixed + header_len;
    return 0;

fail:
    checkpoint_free(ck);
    return -1;
}

void checkpoint_free(struct checkpoint *ck)
{
    json_decref(ck->header);
    free(ck->bytes);
    ck->header = NULL;
    ck->bytes = NULL;
    ck->ntensors = 0;
}

static int find_tensor(const struct checkpoint *ck, const char *name)
{
    for (size_t i = 0; i < ck->ntensors; i++)
        if (strcmp(ck->tensor[i].name, name) == 0)
            return (int)i;
    return -1;
}

int checkpoint_read_tensor(const struct checkpoint *ck, const char *name, float *dst,
                           size_t count, struct hp_error *err)
{
    int i = find_tensor(ck, name);
    if (i < 0)
        return hp_error_set(err, NULL, "has no tensor \"%s\"", name);
    if (ck->tensor[i].count != count)
        return hp_error_set(err, NULL, "tensor \"%s\" has %zu values, expected %zu", name,
                            ck->tensor[i].count, count);
    const unsigned char *src = ck->payload + ck->tensor[i].offset;
    if (host_is_little_endian()) {
        memcpy(dst, src, count * 4);
    } else {
        for (size_t k = 0; k < count; k++) {
            uint32_t bits = get_le32(src + 4 * k);
            memcpy(&dst[k], &bits, 4);
        }
    }
    return 0;
}

/* ---- the model's tensors ---------------------------------------------------- */

static const char *activation_name(enum activation act)
{
    return act == ACT_TANH ? "tanh" : "relu";
}

json_t *checkpoint_arch_json(const struct mlp *m)
{
    json_t *sizes = json_array();
    for (int l = 0; sizes && l <= m->nlayers; l++)
        if (json_array_append_new(sizes, json_integer(m->size[l])) < 0) {
            json_decref(sizes);
            return NULL;
        }
    if (!sizes)
        return NULL;
    return json_pack("{s:o, s:s}", "sizes", sizes, "activation",
                     activation_name(m->activation));
}

size_t checkpoint_model_tensors(const struct mlp *m, const float *params,
                                const char *prefix, struct checkpoint_tensor *tensors)
{
    size_t n = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const struct dense *p = &m->layer[l];
        struct checkpoint_tensor *w = &tensors[n++];
        struct checkpoint_tensor *b = &tensors[n++];
        snprintf(w->name, sizeof w->name, "%.24slayer%d.weight", prefix, l);
        w->data = params + (p->w - m->params);
        w->shape[0] = (size_t)p->out;
        w->shape[1] = (size_t)p->in;
        snprintf(b->name, sizeof b->name, "%.24slayer%d.bias", prefix, l);
        b->data = params + (p->b - m->params);
        b->shape[0] = (size_t)p->out;
        b->shape[1] = 0;
    }
    return n;
}

static void describe_arch(char *buf, size_t size, const int *sizes, int nsizes,
                          const char *act)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < nsizes && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%d", i ? "-" : "", sizes[i]);
    if (len < size)
        snprintf(buf + len, size - len, " %s", act);
}

/* Compares the checkpoint's architecture with the model's, the output
 * layer's width included or not. Returns 1 when they match, 0 when not (with
 * both described in `theirs_text` and `mine_text`), -1 with `err` set when the
 * header has no usable architecture. */
static int compare_arch(const struct checkpoint *ck, const struct mlp *m, int with_head,
                        char *theirs_text, char *mine_text, size_t size,
                        struct hp_error *err)
{
    json_t *arch = json_object_get(ck->header, "arch");
    json_t *sizes = json_object_get(arch, "sizes");
    json_t *act = json_object_get(arch, "activation");
    if (!json_is_array(sizes) || !json_is_string(act) || json_array_size(sizes) < 2 ||
        json_array_size(sizes) > MLP_MAX_LAYERS + 1)
        return hp_error_set(err, "arch", "missing or malformed architecture");
    int theirs[MLP_MAX_LAYERS + 1];
    int nsizes = (int)json_array_size(sizes);
    int same = nsizes == m->nlayers + 1 &&
               strcmp(json_string_value(act), activation_name(m->activation)) == 0;
    for (int i = 0; i < nsizes; i++) {
        json_t *s = json_array_get(sizes, (size_t)i);
        theirs[i] = json_is_integer(s) ? (int)json_integer_value(s) : -1;
        int compared = with_head || i < nsizes - 1;
        if (i > m->nlayers || (compared && theirs[i] != m->size[i]))
            same = 0;
    }
    describe_arch(mine_text, size, m->size, m->nlayers + 1,
                  activation_name(m->activation));
    describe_arch(theirs_text, size, theirs, nsizes, json_string_value(act));
    return same;
}

int checkpoint_check_arch(const struct checkpoint *ck, const struct mlp *m,
                          struct hp_error *err)
{
    char mine[256];
    char other[256];
    int same = compare_arch(ck, m, 1, other, mine, sizeof mine, err);
    if (same != 0)
        return same > 0 ? 0 : -1;
    return hp_error_set(err, NULL,
                        "incompatible model: the checkpoint holds %s, this run builds %s",
                        other, mine);
}

int checkpoint_load_transfer(const struct checkpoint *ck, const struct mlp *m,
                             int new_head, float *params, struct hp_error *err)
{
    char mine[256];
    char other[256];
    int same = compare_arch(ck, m, !new_head, other, mine, sizeof mine, err);
    if (same < 0)
        return -1;
    if (same == 0)
        return hp_error_set(
            err, NULL,
            "cannot transfer: the checkpoint holds %s, this run builds %s "
            "(%s)",
            other, mine,
            new_head ? "every layer but the output layer must match"
                     : "the architectures must match; --new-head K "
                       "replaces the output layer");
    struct checkpoint_tensor want[2 * MLP_MAX_LAYERS];
    size_t n = checkpoint_model_tensors(m, params, "", want);
    if (new_head)
        n -= 2; /* the output layer's weight and bias stay as initialized */
    for (size_t i = 0; i < n; i++)
        if (checkpoint_has_tensor(ck, want[i].name, tensor_count(&want[i]), err) < 0)
            return -1;
    for (size_t i = 0; i < n; i++)
        checkpoint_read_tensor(ck, want[i].name, (float *)want[i].data,
                               tensor_count(&want[i]), err);
    return 0;
}

int checkpoint_has_tensor(const struct checkpoint *ck, const char *name, size_t count,
                          struct hp_error *err)
{
    int k = find_tensor(ck, name);
    if (k < 0)
        return hp_error_set(err, NULL, "has no tensor \"%s\"", name);
    if (ck->tensor[k].count != count)
        return hp_error_set(err, NULL, "tensor \"%s\" has %zu values, expected %zu", name,
                            ck->tensor[k].count, count);
    return 0;
}

int checkpoint_load_weights(const struct checkpoint *ck, const struct mlp *m,
                            const char *prefix, float *params, struct hp_error *err)
{
    if (checkpoint_check_arch(ck, m, err) < 0)
        return -1;
    struct checkpoint_tensor want[2 * MLP_MAX_LAYERS];
    size_t n = checkpoint_model_tensors(m, params, prefix, want);
    /* Check every tensor before copying any, so that a bad file changes
     * nothing. */
    for (size_t i = 0; i < n; i++)
        if (checkpoint_has_tensor(ck, want[i].name, tensor_count(&want[i]), err) < 0)
            return -1;
    for (size_t i = 0; i < n; i++)
        checkpoint_read_tensor(ck, want[i].name, (float *)want[i].data,
                               tensor_count(&want[i]), err);
    return 0;
}
