/*
 * CRC-32C (Castagnoli), the checksum of TFRecord files: the reflected
 * polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF. The check
 * value of the nine bytes "123456789" is 0xE3069283.
 *
 * This file owns the checksum and TFRecord's "masked" form of it. It does
 * not know what is checksummed or where the result goes.
 */
#ifndef HP_CRC32C_H
#define HP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Returns the CRC-32C of data[len] continued from `crc`, the result of an
 * earlier call over the bytes before it (0 to start). So
 * hp_crc32c(hp_crc32c(0, a, n), b, m) is the CRC of a then b. */
uint32_t hp_crc32c(uint32_t crc, const void *data, size_t len);

/* TFRecord's masked CRC: the CRC rotated right by 15 bits plus 0xa282ead8
 * (mod 2^32), so that a CRC stored inside checksummed data does not make
 * the outer CRC degenerate. */
uint32_t hp_crc32c_mask(uint32_t crc);

#endif
