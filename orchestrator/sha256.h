/*
 * SHA-256 (FIPS 180-4), written here so that provenance hashes can be checked
 * with sha256sum: the trainer's files and the git diff a sweep ran with.
 * Streaming: init, update any number of times, final.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used; /* bytes waiting in block */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);

/* Finishes the hash and writes it as 64 lowercase hex digits and a NUL. */
void sha256_final_hex(struct sha256 *h, char hex[65]);

/* Hashes the file at `path` into hex. Returns 0, or a negative errno when it
 * cannot be opened or read (hex is then ""). */
int sha256_file(const char *path, char hex[65]);

#endif
