/*
 * CRC-32C, byte at a time from a 256-entry table built on first use. See
 * crc32c.h.
 */
#include "crc32c.h"

/* The Castagnoli polynomial 0x1EDC6F41, bit-reversed. */
static const uint32_t CASTAGNOLI_REFLECTED = 0x82F63B78u;

/* TFRecord's mask constant (tensorflow/core/lib/hash/crc32c.h). */
static const uint32_t MASK_DELTA = 0xa282ead8u;

/* The remainder of each byte value, shifted through eight rounds. Filled
 * once; every entry is non-zero but entry 0, so table[1] says it is ready. */
static uint32_t table[256];

static void build_table(void)
{
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t r = byte;
        for (int bit = 0; bit < 8; bit++)
            r = (r & 1u) ? (r >> 1) ^ CASTAGNOLI_REFLECTED : r >> 1;
        table[byte] = r;
    }
}

uint32_t hp_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (table[1] == 0)
        build_table();
    const unsigned char *p = data;
    uint32_t r = ~crc;
    for (size_t i = 0; i < len; i++)
        r = table[(r ^ p[i]) & 0xffu] ^ (r >> 8);
    return ~r;
}

uint32_t hp_crc32c_mask(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + MASK_DELTA;
}
