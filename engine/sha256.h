/* engine/sha256.h - SHA-256 (FIPS 180-4, section 6.2), incremental.
 *
 * Used for content keys: the batch manifest keys each output on its input's
 * SHA-256, and segue_profile_digest() hashes a profile's canonical settings.
 * Not a security boundary: no constant-time guarantees are made.
 *
 * Usage: init once, update any number of times with any split of the
 * message, final once. The struct is plain data (no allocation); copying it
 * forks the hash state. After final the state is wiped; call init again to
 * reuse it.
 */
#ifndef SEGUE_ENGINE_SHA256_H
#define SEGUE_ENGINE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SEGUE_SHA256_DIGEST_BYTES 32
#define SEGUE_SHA256_HEX_CHARS 65 /* 64 hex digits + NUL */

typedef struct segue_sha256 {
    uint32_t state[8];   /* H0..H7 (FIPS 180-4, 6.2) */
    uint64_t total_bytes; /* message length so far, in bytes */
    uint8_t block[64];   /* partial 512-bit block */
    size_t block_used;   /* bytes in `block`, always < 64 between calls */
} segue_sha256;

/* Sets the initial hash value H(0) (FIPS 180-4, 5.3.3). `ctx` must not be
 * NULL. */
void segue_sha256_init(segue_sha256 *ctx);

/* Appends `size` bytes at `data` to the message. `data` may be NULL only
 * when `size` is 0. Messages up to 2^61-1 bytes are supported (the
 * standard's 2^64-bit limit). */
void segue_sha256_update(segue_sha256 *ctx, const void *data, size_t size);

/* Pads the message (FIPS 180-4, 5.1.1), processes the last block(s) and
 * writes the 32-byte digest, big-endian H0..H7, to `out`. */
void segue_sha256_final(segue_sha256 *ctx, uint8_t out[SEGUE_SHA256_DIGEST_BYTES]);

/* Writes `digest` as 64 lowercase hex digits plus a NUL to `out`. */
void segue_sha256_hex(const uint8_t digest[SEGUE_SHA256_DIGEST_BYTES],
                      char out[SEGUE_SHA256_HEX_CHARS]);

/* One-shot convenience: SHA-256 of `size` bytes at `data`. */
void segue_sha256_oneshot(const void *data, size_t size, uint8_t out[SEGUE_SHA256_DIGEST_BYTES]);

#endif
