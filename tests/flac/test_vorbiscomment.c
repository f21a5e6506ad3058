/*
 * tests/flac/test_vorbiscomment.c - container/vorbiscomment.c: comment block
 * and PICTURE block parsing and writing, built byte by byte in memory.
 * Damaged input must give SEGUE_ERR_CORRUPT with a "vorbiscomment: " or
 * "flac: " detail, keep what was readable, and never read out of bounds
 * (ASan) or leak (LSan); allocation failures give SEGUE_ERR_NO_MEMORY.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

#include "container/vorbiscomment.h"
#include "core/alloc.h"

/* ---- a byte builder --------------------------------------------------------- */

#define BB_MAX (1u << 16)

typedef struct bb {
    uint8_t d[BB_MAX];
    size_t n;
} bb;

static bb g_b, g_pic;

static void put(bb *b, const void *p, size_t n)
{
    assert_true(b->n + n <= BB_MAX);
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void le32(bb *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}
static void be32(bb *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}
static void field(bb *b, const char *s)
{
    le32(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}
/* Starts a comment block with `count` fields. */
static void begin(bb *b, const char *vendor, uint32_t count)
{
    b->n = 0;
    field(b, vendor);
    le32(b, count);
}

/* Non-NULL if the text `s` occurs in the n bytes at p. */
static const void *contains(const uint8_t *p, size_t n, const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(p + i, s, len) == 0)
            return p + i;
    return NULL;
}

static segue_metadata *new_meta(void)
{
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    return m;
}

static void base64(const uint8_t *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[o] = 0;
}

/* A PICTURE block body ([9639] 8.8). */
static void picture_block(bb *b, uint32_t type, const char *mime, const char *desc,
                          const uint8_t *data, uint32_t size)
{
    b->n = 0;
    be32(b, type);
    be32(b, (uint32_t)strlen(mime));
    put(b, mime, strlen(mime));
    be32(b, (uint32_t)strlen(desc));
    put(b, desc, strlen(desc));
    be32(b, 16), be32(b, 8), be32(b, 24), be32(b, 0);
    be32(b, size);
    put(b, data, size);
}

/* ---- parse ------------------------------------------------------------------------ */

static void test_parse_fields_and_mapping(void **state)
{
    (void)state;
    begin(&g_b, "reference libFLAC 1.4.2", 14);
    field(&g_b, "title=Ночь");
    field(&g_b, "Artist=A");
    field(&g_b, "ARTIST=B");
    field(&g_b, "ARTIST=B");                 /* repeated pair: kept once */
    field(&g_b, "TRACKNUMBER=3/12");
    field(&g_b, "TRACKTOTAL=12");            /* same total again: once */
    field(&g_b, "DISCNUMBER= 1 / 2 ");
    field(&g_b, "TOTALTRACKS=12");
    field(&g_b, "ALBUM ARTIST=Various");
    field(&g_b, "UNSYNCEDLYRICS=la\nla");
    field(&g_b, "EMPTY=");                   /* nothing to keep */
    field(&g_b, "MY_FIELD=\xe5\xa4\x9c");    /* UTF-8 kept as is */
    field(&g_b, "LATIN=caf\xe9");            /* not UTF-8: read as ISO-8859-1 */
    field(&g_b, "Year=1999");
    segue_metadata *m = new_meta();
    segue_error err;
    segue_error_clear(&err);
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, &err), SEGUE_OK);
    assert_string_equal(segue_metadata_get(m, "TITLE", 0), "Ночь");
    assert_int_equal(segue_metadata_count(m, "ARTIST"), 2);
    assert_string_equal(segue_metadata_get(m, "TRACKNUMBER", 0), "3");
    assert_int_equal(segue_metadata_count(m, "TRACKTOTAL"), 1);
    assert_string_equal(segue_metadata_get(m, "TRACKTOTAL", 0), "12");
    assert_string_equal(segue_metadata_get(m, "DISCNUMBER", 0), "1");
    assert_string_equal(segue_metadata_get(m, "DISCTOTAL", 0), "2");
    assert_string_equal(segue_metadata_get(m, "ALBUMARTIST", 0), "Various");
    assert_string_equal(segue_metadata_get(m, "LYRICS", 0), "la\nla");
    assert_int_equal(segue_metadata_count(m, "EMPTY"), 0);
    assert_string_equal(segue_metadata_get(m, "MY_FIELD", 0), "\xe5\xa4\x9c");
    assert_string_equal(segue_metadata_get(m, "LATIN", 0), "caf\xc3\xa9");
    assert_string_equal(segue_metadata_get(m, "DATE", 0), "1999");
    segue_metadata_destroy(m);
}

static void test_parse_loudness(void **state)
{
    (void)state;
    begin(&g_b, "v", 7);
    field(&g_b, "REPLAYGAIN_TRACK_GAIN=-7.03 dB");
    field(&g_b, "replaygain_track_peak=0.959778");
    field(&g_b, "REPLAYGAIN_ALBUM_GAIN=+1.50 dB");
    field(&g_b, "REPLAYGAIN_ALBUM_PEAK=1.2");
    field(&g_b, "R128_TRACK_GAIN=-1280");
    field(&g_b, "R128_ALBUM_GAIN=99999"); /* out of Q7.8 range: stays text */
    field(&g_b, "REPLAYGAIN_REFERENCE_LOUDNESS=89.0 dB");
    segue_metadata *m = new_meta();
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, NULL), SEGUE_OK);
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    assert_true(l.has_track_gain && l.has_track_peak && l.has_album_gain && l.has_album_peak);
    assert_true(l.track_gain_db > -7.0301 && l.track_gain_db < -7.0299);
    assert_true(l.track_peak > 0.959777 && l.track_peak < 0.959779);
    assert_true(l.album_gain_db > 1.4999 && l.album_gain_db < 1.5001);
    assert_true(l.has_r128_track && l.r128_track_gain_db == -5.0);
    assert_false(l.has_r128_album);
    assert_string_equal(segue_metadata_get(m, "R128_ALBUM_GAIN", 0), "99999");
    assert_string_equal(segue_metadata_get(m, "REPLAYGAIN_REFERENCE_LOUDNESS", 0), "89.0 dB");
    segue_metadata_destroy(m);
}

static void test_parse_inline_picture(void **state)
{
    (void)state;
    static const uint8_t img[] = {0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6};
    picture_block(&g_pic, 3, "image/png", "cover", img, sizeof img);
    static char b64[4096], f[4200];
    base64(g_pic.d, g_pic.n, b64);
    snprintf(f, sizeof f, "METADATA_BLOCK_PICTURE=%s", b64);
    begin(&g_b, "v", 3);
    field(&g_b, f);
    field(&g_b, "METADATA_BLOCK_PICTURE=!!notbase64!!");
    field(&g_b, "TITLE=after the bad one");
    segue_metadata *m = new_meta();
    segue_error err;
    segue_error_clear(&err);
    /* The bad picture is reported; both good fields are kept. */
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, &err), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(err.detail, "vorbiscomment: field 1"));
    assert_int_equal(segue_metadata_picture_count(m), 1);
    segue_picture p;
    assert_int_equal(segue_metadata_picture_at(m, 0, &p), SEGUE_OK);
    assert_int_equal(p.type, 3);
    assert_string_equal(p.mime, "image/png");
    assert_string_equal(p.description, "cover");
    assert_int_equal(p.width, 16);
    assert_int_equal(p.height, 8);
    assert_int_equal(p.size, sizeof img);
    assert_memory_equal(p.data, img, sizeof img);
    assert_string_equal(segue_metadata_get(m, "TITLE", 0), "after the bad one");
    segue_metadata_destroy(m);
}

static void test_parse_damage(void **state)
{
    (void)state;
    segue_error err;
    segue_metadata *m = new_meta();

    /* A count the bytes cannot hold is rejected before any field. */
    begin(&g_b, "v", 1000000);
    field(&g_b, "TITLE=x");
    segue_error_clear(&err);
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, &err), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(err.detail, "vorbiscomment: field count 1000000"));
    assert_int_equal(segue_metadata_field_count(m), 0);

    /* A field length past the end: earlier fields kept. */
    begin(&g_b, "v", 3);
    field(&g_b, "TITLE=kept");
    le32(&g_b, 0xFFFFFFF0u);
    put(&g_b, "ARTIST=x", 8);
    le32(&g_b, 0);
    segue_error_clear(&err);
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, &err), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(err.detail, "declares 4294967280 bytes"));
    assert_string_equal(segue_metadata_get(m, "TITLE", 0), "kept");
    segue_metadata_clear(m);

    /* Vendor length past the end. */
    g_b.n = 0;
    le32(&g_b, 100);
    put(&g_b, "abc", 3);
    segue_error_clear(&err);
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, &err), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(err.detail, "vendor string of 100 bytes"));

    /* No '=', an invalid key: skipped and reported, the rest kept. */
    begin(&g_b, "v", 3);
    field(&g_b, "NOEQUALS");
    field(&g_b, "BAD\x01KEY=x");
    field(&g_b, "GOOD=yes");
    segue_error_clear(&err);
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, &err), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(err.detail, "has no '='"));
    assert_string_equal(segue_metadata_get(m, "GOOD", 0), "yes");
    assert_int_equal(segue_metadata_field_count(m), 1);
    segue_metadata_clear(m);

    /* Every truncation of a valid block: never a crash, always a status. */
    begin(&g_b, "vendor", 3);
    field(&g_b, "TITLE=abc");
    field(&g_b, "ARTIST=def");
    field(&g_b, "TRACKNUMBER=1/2");
    for (size_t n = 0; n < g_b.n; n++) {
        segue_error_clear(&err);
        segue_status st = segue_vorbiscomment_parse(g_b.d, n, m, NULL, &err);
        assert_int_equal(st, SEGUE_ERR_CORRUPT);
        assert_true(strncmp(err.detail, "vorbiscomment: ", 15) == 0);
        segue_metadata_clear(m);
    }
    assert_int_equal(segue_vorbiscomment_parse(g_b.d, g_b.n, m, NULL, NULL), SEGUE_OK);
    segue_metadata_destroy(m);
}

static void test_picture_block_damage(void **state)
{
    (void)state;
    static const uint8_t img[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0};
    picture_block(&g_pic, 3, "image/jpeg", "d", img, sizeof img);
    segue_metadata *m = new_meta();
    segue_error err;
    /* Every truncation is corrupt, the whole block parses. */
    for (size_t n = 0; n < g_pic.n; n++) {
        segue_error_clear(&err);
        assert_int_equal(segue_flac_picture_parse(g_pic.d, n, m, NULL, &err), SEGUE_ERR_CORRUPT);
        assert_true(strncmp(err.detail, "flac: PICTURE", 13) == 0);
    }
    assert_int_equal(segue_metadata_picture_count(m), 0);
    assert_int_equal(segue_flac_picture_parse(g_pic.d, g_pic.n, m, NULL, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_picture_count(m), 1);
    /* A huge declared data length with few bytes: no allocation, corrupt. */
    g_pic.d[g_pic.n - sizeof img - 4] = 0x7F;
    segue_error_clear(&err);
    assert_int_equal(segue_flac_picture_parse(g_pic.d, g_pic.n, m, NULL, &err), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(err.detail, "PICTURE data of"));
    /* A MIME type with a control character. */
    picture_block(&g_pic, 3, "image/\x01", "", img, sizeof img);
    segue_error_clear(&err);
    assert_int_equal(segue_flac_picture_parse(g_pic.d, g_pic.n, m, NULL, &err), SEGUE_ERR_CORRUPT);
    segue_metadata_destroy(m);
}

/* ---- write ------------------------------------------------------------------------ */

static void test_write_round_trip(void **state)
{
    (void)state;
    segue_metadata *m = new_meta(), *back = new_meta();
    assert_int_equal(segue_metadata_add(m, "TITLE", "夜の歌"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "ARTIST", "A"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "ARTIST", "B"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "TRACKNUMBER", "3/12"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "DISCNUMBER", "1"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "DISCTOTAL", "2"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "LYRICS", "one\ntwo\n"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "TILDE~KEY", "not writable"), SEGUE_OK);
    static uint8_t img[3000];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 7);
    segue_picture pic = {3, "image/jpeg", "front", 600, 600, img, sizeof img};
    assert_int_equal(segue_metadata_add_picture(m, &pic), SEGUE_OK);
    segue_loudness l;
    memset(&l, 0, sizeof l);
    l.has_track_gain = 1, l.track_gain_db = -7.03;
    l.has_track_peak = 1, l.track_peak = 0.5;
    l.has_r128_album = 1, l.r128_album_gain_db = -2.0;
    segue_metadata_set_loudness(m, &l);

    uint8_t *out = NULL;
    size_t size = 0;
    assert_int_equal(segue_vorbiscomment_write(m, "segue", SEGUE_VC_PICTURES_INLINE, 0, NULL, &out, &size, NULL),
                     SEGUE_OK);
    assert_int_equal(segue_vorbiscomment_parse(out, size, back, NULL, NULL), SEGUE_OK);
    assert_string_equal(segue_metadata_get(back, "TITLE", 0), "夜の歌");
    assert_int_equal(segue_metadata_count(back, "ARTIST"), 2);
    assert_string_equal(segue_metadata_get(back, "TRACKNUMBER", 0), "3");
    assert_string_equal(segue_metadata_get(back, "TRACKTOTAL", 0), "12");
    assert_string_equal(segue_metadata_get(back, "DISCTOTAL", 0), "2");
    assert_string_equal(segue_metadata_get(back, "LYRICS", 0), "one\ntwo\n");
    assert_int_equal(segue_metadata_count(back, "TILDE~KEY"), 0);
    assert_int_equal(segue_metadata_picture_count(back), 1);
    segue_picture p;
    segue_metadata_picture_at(back, 0, &p);
    assert_int_equal(p.size, sizeof img);
    assert_memory_equal(p.data, img, sizeof img);
    assert_int_equal(p.width, 600);
    assert_string_equal(p.description, "front");
    segue_loudness lb;
    segue_metadata_get_loudness(back, &lb);
    assert_true(lb.has_track_gain && lb.track_gain_db > -7.031 && lb.track_gain_db < -7.029);
    assert_true(lb.has_track_peak && lb.track_peak == 0.5);
    /* Only the R128 album gain was known: written as ReplayGain + 5 dB. */
    assert_true(lb.has_album_gain && lb.album_gain_db > 2.999 && lb.album_gain_db < 3.001);
    /* Text form of the fields, as a tagger sees them. */
    assert_non_null(contains(out, size, "REPLAYGAIN_TRACK_GAIN=-7.03 dB"));
    segue_mem_free(NULL, out);

    /* R128 mode (Opus): only R128 gains, Q7.8; ReplayGain converted. */
    segue_metadata_clear(back);
    assert_int_equal(segue_vorbiscomment_write(m, "v", SEGUE_VC_PICTURES_NONE, 1, NULL, &out, &size, NULL),
                     SEGUE_OK);
    assert_non_null(contains(out, size, "R128_TRACK_GAIN=-3080")); /* (-7.03 - 5) * 256 */
    assert_non_null(contains(out, size, "R128_ALBUM_GAIN=-512"));
    assert_null(contains(out, size, "REPLAYGAIN"));
    assert_null(contains(out, size, "METADATA_BLOCK_PICTURE"));
    segue_mem_free(NULL, out);

    /* NULL metadata: vendor and zero fields. */
    assert_int_equal(segue_vorbiscomment_write(NULL, "segue", SEGUE_VC_PICTURES_INLINE, 0, NULL, &out, &size, NULL),
                     SEGUE_OK);
    assert_int_equal(size, 4 + 5 + 4);
    segue_mem_free(NULL, out);
    segue_metadata_destroy(m);
    segue_metadata_destroy(back);
}

static void test_picture_write_sniffs(void **state)
{
    (void)state;
    /* A minimal PNG header: IHDR 640x480, 8-bit RGB. */
    static const uint8_t png[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                    0, 0, 2, 0x80, 0, 0, 1, 0xE0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
    segue_picture pic = {0, "", NULL, 0, 0, png, sizeof png};
    uint8_t *out = NULL;
    size_t size = 0;
    assert_int_equal(segue_flac_picture_write(&pic, NULL, &out, &size, NULL), SEGUE_OK);
    segue_metadata *m = new_meta();
    assert_int_equal(segue_flac_picture_parse(out, size, m, NULL, NULL), SEGUE_OK);
    segue_picture p;
    segue_metadata_picture_at(m, 0, &p);
    assert_string_equal(p.mime, "image/png");
    assert_int_equal(p.width, 640);
    assert_int_equal(p.height, 480);
    /* depth: 3 x 8 bits, at offset 4 + 4 + 9 + 4 + 0 + 8 */
    assert_int_equal(out[4 + 4 + 9 + 4 + 8 + 3], 24);
    segue_mem_free(NULL, out);
    segue_metadata_destroy(m);
}

/* ---- allocation failures ------------------------------------------------------------ */

typedef struct failing {
    int left; /* allocations that succeed before failures start */
} failing;

static void *fail_alloc(void *user, size_t size)
{
    failing *f = user;
    if (f->left-- <= 0)
        return NULL;
    return segue_mem_alloc(NULL, size);
}

static void fail_free(void *user, void *p)
{
    (void)user;
    segue_mem_free(NULL, p);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    static const uint8_t img[] = {1, 2, 3, 4, 5, 6, 7};
    picture_block(&g_pic, 3, "image/png", "x", img, sizeof img);
    static char b64[512], f[600];
    base64(g_pic.d, g_pic.n, b64);
    snprintf(f, sizeof f, "METADATA_BLOCK_PICTURE=%s", b64);
    begin(&g_b, "v", 4);
    field(&g_b, "TITLE=t");
    field(&g_b, "TRACKNUMBER=1/9");
    field(&g_b, "LATIN=\xe9t\xe9");
    field(&g_b, f);
    int saw_ok = 0;
    for (int n = 0; n < 64 && !saw_ok; n++) {
        failing fl = {n};
        segue_allocator a = {&fl, fail_alloc, fail_free};
        segue_metadata *m = NULL;
        if (segue_metadata_create(&m, &a) != SEGUE_OK) {
            segue_metadata_destroy(m);
            continue;
        }
        segue_status st = segue_vorbiscomment_parse(g_b.d, g_b.n, m, &a, NULL);
        assert_true(st == SEGUE_OK || st == SEGUE_ERR_NO_MEMORY);
        if (st == SEGUE_OK) {
            uint8_t *out = NULL;
            size_t size = 0;
            st = segue_vorbiscomment_write(m, "v", SEGUE_VC_PICTURES_INLINE, 0, &a, &out, &size, NULL);
            assert_true(st == SEGUE_OK || st == SEGUE_ERR_NO_MEMORY);
            saw_ok = st == SEGUE_OK;
            segue_mem_free(&a, out);
        }
        segue_metadata_destroy(m);
    }
    assert_true(saw_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields_and_mapping),
        cmocka_unit_test(test_parse_loudness),
        cmocka_unit_test(test_parse_inline_picture),
        cmocka_unit_test(test_parse_damage),
        cmocka_unit_test(test_picture_block_damage),
        cmocka_unit_test(test_write_round_trip),
        cmocka_unit_test(test_picture_write_sniffs),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
