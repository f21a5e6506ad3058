/* engine/sha256.c - SHA-256 per FIPS 180-4. Section numbers cite that
 * standard. Written for clarity over speed: hashing a source file for the
 * batch manifest is bounded by disk reads, not by this loop. */
#include "engine/sha256.h"

#include <string.h>

/* 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t sha256_round_constants[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
    0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
    0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
    0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t rotr32(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

/* 4.1.2 functions. */
static uint32_t ch(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (~x & z); }
static uint32_t maj(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (x & z) ^ (y & z); }
static uint32_t big_sigma0(uint32_t x) { return rotr32(x, 2) ^ rotr32(x, 13) ^ rotr32(x, 22); }
static uint32_t big_sigma1(uint32_t x) { return rotr32(x, 6) ^ rotr32(x, 11) ^ rotr32(x, 25); }
static uint32_t small_sigma0(uint32_t x) { return rotr32(x, 7) ^ rotr32(x, 18) ^ (x >> 3); }
static uint32_t small_sigma1(uint32_t x) { return rotr32(x, 17) ^ rotr32(x, 19) ^ (x >> 10); }

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* 6.2.2: one 512-bit block. */
static void sha256_compress(uint32_t state[8], const uint8_t block[64])
{
    uint32_t schedule[64];
    for (unsigned t = 0; t < 16; t++)
        schedule[t] = load_be32(block + 4 * t);
    for (unsigned t = 16; t < 64; t++)
        schedule[t] = small_sigma1(schedule[t - 2]) + schedule[t - 7] + small_sigma0(schedule[t - 15]) +
                      schedule[t - 16];

    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (unsigned t = 0; t < 64; t++) {
        uint32_t t1 = h + big_sigma1(e) + ch(e, f, g) + sha256_round_constants[t] + schedule[t];
        uint32_t t2 = big_sigma0(a) + maj(a, b, c);
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void segue_sha256_init(segue_sha256 *ctx)
{
    /* 5.3.3: fractional parts of the square roots of the first 8 primes. */
    static const uint32_t initial[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(ctx->state, initial, sizeof initial);
    ctx->total_bytes = 0;
    ctx->block_used = 0;
    memset(ctx->block, 0, sizeof ctx->block);
}

void segue_sha256_update(segue_sha256 *ctx, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    if (size == 0)
        return;
    ctx->total_bytes += (uint64_t)size;
    if (ctx->block_used > 0) {
        size_t take = 64 - ctx->block_used;
        if (take > size)
            take = size;
        memcpy(ctx->block + ctx->block_used, bytes, take);
        ctx->block_used += take;
        bytes += take;
        size -= take;
        if (ctx->block_used < 64)
            return;
        sha256_compress(ctx->state, ctx->block);
        ctx->block_used = 0;
    }
    while (size >= 64) {
        sha256_compress(ctx->state, bytes);
        bytes += 64;
        size -= 64;
    }
    if (size > 0) {
        memcpy(ctx->block, bytes, size);
        ctx->block_used = size;
    }
}

void segue_sha256_final(segue_sha256 *ctx, uint8_t out[SEGUE_SHA256_DIGEST_BYTES])
{
    /* 5.1.1: append bit '1', zeros to 448 mod 512, then the 64-bit
     * big-endian message length in bits. */
    uint64_t bit_length = ctx->total_bytes * 8u;
    ctx->block[ctx->block_used++] = 0x80;
    if (ctx->block_used > 56) {
        memset(ctx->block + ctx->block_used, 0, 64 - ctx->block_used);
        sha256_compress(ctx->state, ctx->block);
        ctx->block_used = 0;
    }
    memset(ctx->block + ctx->block_used, 0, 56 - ctx->block_used);
    store_be32(ctx->block + 56, (uint32_t)(bit_length >> 32));
    store_be32(ctx->block + 60, (uint32_t)bit_length);
    sha256_compress(ctx->state, ctx->block);
    for (unsigned i = 0; i < 8; i++)
        store_be32(out + 4 * i, ctx->state[i]);
    memset(ctx, 0, sizeof *ctx);
}

void segue_sha256_hex(const uint8_t digest[SEGUE_SHA256_DIGEST_BYTES], char out[SEGUE_SHA256_HEX_CHARS])
{
    static const char hex_digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < SEGUE_SHA256_DIGEST_BYTES; i++) {
        out[2 * i] = hex_digits[digest[i] >> 4];
        out[2 * i + 1] = hex_digits[digest[i] & 0x0f];
    }
    out[64] = '\0';
}

void segue_sha256_oneshot(const void *data, size_t size, uint8_t out[SEGUE_SHA256_DIGEST_BYTES])
{
    segue_sha256 ctx;
    segue_sha256_init(&ctx);
    segue_sha256_update(&ctx, data, size);
    segue_sha256_final(&ctx, out);
}
