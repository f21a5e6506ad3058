/* tests/batch/test_sha256.c - engine/sha256.c against the example vectors
 * of FIPS 180-4 / NIST CSRC "SHA256.pdf" (one block, two blocks, one million
 * 'a'), the empty message, padding boundaries (55/56/63/64 bytes), and
 * incremental updates split at every offset, which must agree with the
 * one-shot digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/sha256.h"

static void hex_of(const void *data, size_t size, char out[65])
{
    uint8_t digest[32];
    segue_sha256_oneshot(data, size, digest);
    segue_sha256_hex(digest, out);
}

static void test_nist_one_block(void **state)
{
    (void)state;
    char hex[65];
    hex_of("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_nist_two_blocks(void **state)
{
    (void)state;
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[65];
    hex_of(msg, strlen(msg), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_nist_million_a(void **state)
{
    (void)state;
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    segue_sha256 ctx;
    segue_sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        segue_sha256_update(&ctx, chunk, sizeof chunk);
    uint8_t digest[32];
    segue_sha256_final(&ctx, digest);
    char hex[65];
    segue_sha256_hex(digest, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_empty(void **state)
{
    (void)state;
    char hex[65];
    hex_of(NULL, 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* The NIST 896-bit (four-part) example from the SHA-2 additional examples. */
static void test_nist_896_bits(void **state)
{
    (void)state;
    const char *msg = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                      "klmnopqrlmnopqrsmnopqrstnopqrstu";
    char hex[65];
    hex_of(msg, strlen(msg), hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* Every split of a 200-byte message into two updates (plus byte-at-a-time)
 * gives the one-shot digest; lengths around the 55/56 padding edge differ
 * from each other. */
static void test_incremental_splits(void **state)
{
    (void)state;
    uint8_t msg[200];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 37u + 11u);
    for (size_t len = 0; len <= sizeof msg; len++) {
        uint8_t whole[32];
        segue_sha256_oneshot(msg, len, whole);
        for (size_t cut = 0; cut <= len; cut++) {
            segue_sha256 ctx;
            segue_sha256_init(&ctx);
            segue_sha256_update(&ctx, msg, cut);
            segue_sha256_update(&ctx, msg + cut, len - cut);
            uint8_t parts[32];
            segue_sha256_final(&ctx, parts);
            assert_memory_equal(whole, parts, 32);
        }
        segue_sha256 ctx;
        segue_sha256_init(&ctx);
        for (size_t i = 0; i < len; i++)
            segue_sha256_update(&ctx, msg + i, 1);
        uint8_t bytes[32];
        segue_sha256_final(&ctx, bytes);
        assert_memory_equal(whole, bytes, 32);
    }
    uint8_t d55[32], d56[32], d63[32], d64[32];
    segue_sha256_oneshot(msg, 55, d55);
    segue_sha256_oneshot(msg, 56, d56);
    segue_sha256_oneshot(msg, 63, d63);
    segue_sha256_oneshot(msg, 64, d64);
    assert_memory_not_equal(d55, d56, 32);
    assert_memory_not_equal(d63, d64, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_one_block),  cmocka_unit_test(test_nist_two_blocks),
        cmocka_unit_test(test_nist_million_a),  cmocka_unit_test(test_empty),
        cmocka_unit_test(test_nist_896_bits),   cmocka_unit_test(test_incremental_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
