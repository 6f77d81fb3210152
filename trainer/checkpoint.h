/*
 * The checkpoint file: what a model (and later a whole training run) is saved
 * as, and how it is read back. Save and load sit side by side in checkpoint.c
 * so that they stay symmetric.
 *
 * Layout (all integers little-endian):
 *
 *   offset 0   char     magic[8]      "HPTRCKPT"
 *   offset 8   uint32   version       CHECKPOINT_VERSION
 *   offset 12  uint32   header_len    bytes of JSON that follow
 *   offset 16  uint64   payload_len   bytes of tensor data after the JSON
 *   offset 24  char     header[header_len]   UTF-8 JSON object, see below
 *   ...        float32  payload[payload_len / 4]  the tensors, in the order
 *                                                 the header lists them
 *   ...        uint32   crc32         zlib crc32 of every byte before it
 *
 * The JSON header is an object with at least:
 *   "format":  "hpsearch-train checkpoint"
 *   "arch":    {"sizes": [in, hidden..., classes], "activation": "relu"|"tanh"}
 *   "tensors": [{"name": "layer0.weight", "shape": [out, in]}, ...]
 * and whatever else the writer records ("epoch", "metric", "config", ...).
 * Weight tensors are "layer<i>.weight" (out, in) and "layer<i>.bias" (out).
 *
 * Version 1 is this layout. A later version may add tensors and header keys;
 * a reader refuses versions it does not know.
 *
 * This file owns the container (framing, checksum, atomic write) and the
 * mapping between a model and its tensors. What else a run stores is the
 * caller's business.
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mlp.h"

enum { CHECKPOINT_VERSION = 1, CHECKPOINT_MAX_TENSORS = 256 };

/* checkpoint_save's result when the file cannot be written (a full disk, a
 * quota, a file-size limit, an I/O error, a missing folder): an I/O failure,
 * as opposed to -1, out of memory. */
enum { CHECKPOINT_WRITE_FAILED = -2 };

/* The fixed part at the start of the file, as laid out on disk. */
struct checkpoint_prefix {
    char magic[8];
    uint32_t version;
    uint32_t header_len;
    uint64_t payload_len;
};
_Static_assert(sizeof(struct checkpoint_prefix) == 24, "checkpoint prefix is 24 bytes");
_Static_assert(offsetof(struct checkpoint_prefix, version) == 8, "version at 8");
_Static_assert(offsetof(struct checkpoint_prefix, header_len) == 12, "header_len at 12");
_Static_assert(offsetof(struct checkpoint_prefix, payload_len) == 16,
               "payload_len at 16");
_Static_assert(sizeof(float) == 4, "float32 payload");

/* A named tensor to write: `count` floats at `data` (borrowed), described in
 * the header by its shape (up to 2 dims; shape[1] = 0 for a vector). */
struct checkpoint_tensor {
    char name[48];
    const float *data;
    size_t shape[2];
};

/* A checkpoint read into memory and fully validated. */
struct checkpoint {
    json_t *header;       /* owned */
    unsigned char *bytes; /* the whole file, owned */
    size_t size;
    const unsigned char *payload; /* into bytes */
    size_t ntensors;
    struct {
        char name[48];
        size_t count;
        size_t offset; /* in bytes into payload */
    } tensor[CHECKPOINT_MAX_TENSORS];
};

/* Writes a checkpoint to `path` durably (hp_durable, common/durable.h): the
 * bytes go to a temporary file in the same folder (checked writes, fflush,
 * fsync), which is then renamed over `path`, and the folder is fsync'd.
 * `header` (borrowed) is copied and completed with "format" and "tensors".
 * Returns 0, -1 when out of memory, or CHECKPOINT_WRITE_FAILED when the file
 * cannot be written (the message then names the errno text); either way with
 * `err` set and err->source the path. On failure `path` is untouched and no
 * temporary file is left behind. */
int checkpoint_save(const char *path, const json_t *header,
                    const struct checkpoint_tensor *tensors, size_t ntensors,
                    struct hp_error *err);

/* Reads and validates the file at `path`: magic, version, sizes, checksum,
 * the JSON header and its tensor table. Returns 0 with `ck` filled (free it
 * with checkpoint_free), or -1 with `err` set (err->source is the path) and
 * nothing to free. */
int checkpoint_load(struct checkpoint *ck, const char *path, struct hp_error *err);

void checkpoint_free(struct checkpoint *ck);

/* Copies the tensor `name` into dst[count]. Returns 0, or -1 with `err` set
 * when it is missing or has another size. */
int checkpoint_read_tensor(const struct checkpoint *ck, const char *name, float *dst,
                           size_t count, struct hp_error *err);

/* Returns a new JSON object describing the model's architecture ("sizes",
 * "activation"), or NULL when out of memory. */
json_t *checkpoint_arch_json(const struct mlp *m);

/* Fills tensors[0 .. 2 * m->nlayers) with the model's weights and biases,
 * named <prefix>layer<i>.weight and <prefix>layer<i>.bias, taken from
 * `params`, a block of the model's layout (m->params, or a copy such as the
 * best epoch's weights). `prefix` is "" for the model itself. Returns the
 * number of tensors. */
size_t checkpoint_model_tensors(const struct mlp *m, const float *params,
                                const char *prefix, struct checkpoint_tensor *tensors);

/* Checks that the checkpoint's architecture is exactly the model's. Returns
 * 0, or -1 with `err` naming both architectures. */
int checkpoint_check_arch(const struct checkpoint *ck, const struct mlp *m,
                          struct hp_error *err);

/* Copies the checkpoint's tensors <prefix>layer<i>.weight and .bias into
 * `params`, a block of the model's layout, after checking the architecture
 * and every tensor's size: nothing is written unless everything fits.
 * Returns 0, or -1 with `err` set. */
int checkpoint_load_weights(const struct checkpoint *ck, const struct mlp *m,
                            const char *prefix, float *params, struct hp_error *err);

/* Transfer learning: copies the checkpoint's weights into `params` (a block
 * of the model's layout): every layer's when new_head is 0 (the
 * architectures must match exactly), every layer's but the output layer's
 * when new_head is 1 (the architectures must match but for the number of
 * outputs). The activation must match. Checks everything before copying
 * anything. Returns 0, or -1 with `err` set. */
int checkpoint_load_transfer(const struct checkpoint *ck, const struct mlp *m,
                             int new_head, float *params, struct hp_error *err);

/* Checks that the checkpoint holds a tensor `name` of `count` values. Returns
 * 0, or -1 with `err` set. */
int checkpoint_has_tensor(const struct checkpoint *ck, const char *name, size_t count,
                          struct hp_error *err);

#endif
