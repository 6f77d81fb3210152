/*
 * The Protocol Buffers encoder. See protobuf.h.
 */
#include "protobuf.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

enum wire_type {
    WIRE_VARINT = 0,
    WIRE_FIXED64 = 1,
    WIRE_LEN = 2,
    WIRE_FIXED32 = 5,
};

void hp_pb_init(struct hp_pb *pb)
{
    memset(pb, 0, sizeof *pb);
}

void hp_pb_free(struct hp_pb *pb)
{
    free(pb->data);
    hp_pb_init(pb);
}

void hp_pb_reset(struct hp_pb *pb)
{
    pb->len = 0;
    pb->failed = 0;
}

void hp_pb_raw(struct hp_pb *pb, const void *data, size_t len)
{
    if (pb->failed || len == 0)
        return;
    unsigned char *grown = hp_grow(pb->data, &pb->cap, pb->len + len, 1);
    if (!grown) {
        pb->failed = 1;
        return;
    }
    pb->data = grown;
    memcpy(pb->data + pb->len, data, len);
    pb->len += len;
}

void hp_pb_put_varint(struct hp_pb *pb, uint64_t value)
{
    unsigned char buf[10]; /* 64 bits, 7 per byte */
    size_t n = 0;
    while (value >= 0x80) {
        buf[n++] = (unsigned char)(value | 0x80);
        value >>= 7;
    }
    buf[n++] = (unsigned char)value;
    hp_pb_raw(pb, buf, n);
}

static void put_key(struct hp_pb *pb, uint32_t field, enum wire_type type)
{
    hp_pb_put_varint(pb, ((uint64_t)field << 3) | (uint64_t)type);
}

void hp_pb_varint(struct hp_pb *pb, uint32_t field, uint64_t value)
{
    put_key(pb, field, WIRE_VARINT);
    hp_pb_put_varint(pb, value);
}

/* Little-endian whatever the host's order, as the wire format says. */
static void put_fixed(struct hp_pb *pb, uint64_t bits, size_t bytes)
{
    unsigned char buf[8];
    for (size_t i = 0; i < bytes; i++)
        buf[i] = (unsigned char)(bits >> (8 * i));
    hp_pb_raw(pb, buf, bytes);
}

void hp_pb_double(struct hp_pb *pb, uint32_t field, double value)
{
    _Static_assert(sizeof(double) == 8, "double must be IEEE 754 binary64");
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    put_key(pb, field, WIRE_FIXED64);
    put_fixed(pb, bits, 8);
}

void hp_pb_float(struct hp_pb *pb, uint32_t field, float value)
{
    _Static_assert(sizeof(float) == 4, "float must be IEEE 754 binary32");
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    put_key(pb, field, WIRE_FIXED32);
    put_fixed(pb, bits, 4);
}

void hp_pb_bytes(struct hp_pb *pb, uint32_t field, const void *data, size_t len)
{
    put_key(pb, field, WIRE_LEN);
    hp_pb_put_varint(pb, (uint64_t)len);
    hp_pb_raw(pb, data, len);
}

void hp_pb_string(struct hp_pb *pb, uint32_t field, const char *text)
{
    hp_pb_bytes(pb, field, text, strlen(text));
}

void hp_pb_message(struct hp_pb *pb, uint32_t field, const struct hp_pb *sub)
{
    if (sub->failed) {
        pb->failed = 1;
        return;
    }
    hp_pb_bytes(pb, field, sub->data, sub->len);
}
