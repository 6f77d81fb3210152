/*
 * A small Protocol Buffers encoder: enough of the wire format to write
 * messages whose field numbers the caller knows (varint, 64-bit, 32-bit and
 * length-delimited fields; a nested message is a length-delimited field
 * holding another encoder's bytes).
 *
 * The wire format (protobuf.dev, "Encoding"): each field is a key, the varint
 * (field_number << 3 | wire_type), then its payload. Wire types: 0 varint
 * (int32, int64, uint64, bool, enum; a negative int32 or int64 takes ten
 * bytes), 1 fixed 64 bits little-endian (double), 2 a varint length then
 * that many bytes (string, bytes, nested messages, packed repeated fields),
 * 5 fixed 32 bits little-endian (float).
 *
 * This file owns the bytes of an encoding and nothing of what they mean: it
 * never skips a default value (proto3 leaves out zeros and empty strings;
 * the caller decides) and has no decoder.
 */
#ifndef HP_PROTOBUF_H
#define HP_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

/* An encoding being built, in caller storage. A failed allocation is
 * remembered (`failed`) and makes every later call a no-op, so a caller
 * encodes a whole message and checks once at the end. */
struct hp_pb {
    unsigned char *data; /* (len) bytes, owned */
    size_t len;
    size_t cap;
    int failed; /* out of memory at some point: the bytes are incomplete */
};

void hp_pb_init(struct hp_pb *pb);
void hp_pb_free(struct hp_pb *pb);

/* Forgets the bytes but keeps the memory, for the next message. */
void hp_pb_reset(struct hp_pb *pb);

/* Appends data[len] as they are (no key): framing, or a prebuilt field. */
void hp_pb_raw(struct hp_pb *pb, const void *data, size_t len);

/* Appends `value` as a bare varint (no key). */
void hp_pb_put_varint(struct hp_pb *pb, uint64_t value);

/* A varint field: uint64, or an int64, int32, enum or bool cast to uint64
 * (two's complement, so a negative value takes ten bytes as protobuf
 * requires). */
void hp_pb_varint(struct hp_pb *pb, uint32_t field, uint64_t value);

/* A double field (wire type 1). */
void hp_pb_double(struct hp_pb *pb, uint32_t field, double value);

/* A float field (wire type 5). */
void hp_pb_float(struct hp_pb *pb, uint32_t field, float value);

/* A length-delimited field: bytes, a string (without its NUL), or a nested
 * message's encoding. */
void hp_pb_bytes(struct hp_pb *pb, uint32_t field, const void *data, size_t len);

/* hp_pb_bytes of a NUL-terminated string. */
void hp_pb_string(struct hp_pb *pb, uint32_t field, const char *text);

/* hp_pb_bytes of another encoder's bytes: a nested message. When `sub`
 * failed, so does `pb`. */
void hp_pb_message(struct hp_pb *pb, uint32_t field, const struct hp_pb *sub);

#endif
