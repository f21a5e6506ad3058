/*
 * tests/unit/test_aiff.c - the AIFF/AIFF-C demuxer through the public API,
 * on files built in memory: every supported compression type, the 80-bit
 * sample rate (including non-finite and absurd values), text and ID3
 * chunks, SSND offsets, and malformed input (truncation at every offset,
 * sizes past the end, missing chunks, absurd fields).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

/* ---- a big-endian byte builder -------------------------------------------- */

#define BB_MAX 32768

typedef struct bb {
    uint8_t d[BB_MAX];
    size_t n;
} bb;

static bb g_file;

static void put8(bb *b, unsigned v)
{
    assert_true(b->n < BB_MAX);
    b->d[b->n++] = (uint8_t)v;
}
static void be16(bb *b, unsigned v) { put8(b, (v >> 8) & 0xFF), put8(b, v & 0xFF); }
static void be32(bb *b, uint32_t v) { be16(b, v >> 16), be16(b, v & 0xFFFF); }
static void tag4(bb *b, const char *s)
{
    for (int i = 0; i < 4; i++)
        put8(b, (uint8_t)s[i]);
}
static void raw(bb *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(b, ((const uint8_t *)p)[i]);
}
static void patch_be32(bb *b, size_t at, uint32_t v)
{
    b->d[at] = (uint8_t)(v >> 24), b->d[at + 1] = (uint8_t)(v >> 16);
    b->d[at + 2] = (uint8_t)(v >> 8), b->d[at + 3] = (uint8_t)v;
}
static size_t chunk_begin(bb *b, const char *id)
{
    tag4(b, id);
    be32(b, 0);
    return b->n - 4;
}
static void chunk_end(bb *b, size_t at)
{
    size_t size = b->n - at - 4;
    patch_be32(b, at, (uint32_t)size);
    if (size & 1)
        put8(b, 0);
}
static void form_begin(bb *b, const char *type)
{
    b->n = 0;
    tag4(b, "FORM");
    be32(b, 0);
    tag4(b, type);
}
static void form_end(bb *b) { patch_be32(b, 4, (uint32_t)(b->n - 8)); }

/* Writes `hz` as an 80-bit IEEE extended number. */
static void extended(bb *b, double hz)
{
    if (hz <= 0) {
        for (int i = 0; i < 10; i++)
            put8(b, 0);
        return;
    }
    int e = 0;
    double v = hz;
    while (v >= 2.0)
        v /= 2.0, e++;
    while (v < 1.0)
        v *= 2.0, e--;
    uint64_t mantissa = (uint64_t)(v * 9223372036854775808.0);
    be16(b, (unsigned)(16383 + e));
    be32(b, (uint32_t)(mantissa >> 32)), be32(b, (uint32_t)mantissa);
}

static void comm_raw(bb *b, int aifc, int channels, uint32_t frames, int bits, const uint8_t rate[10],
                     const char *codec)
{
    size_t at = chunk_begin(b, "COMM");
    be16(b, (unsigned)channels & 0xFFFF), be32(b, frames), be16(b, (unsigned)bits & 0xFFFF);
    raw(b, rate, 10);
    if (aifc) {
        tag4(b, codec);
        put8(b, 3), raw(b, "abc", 3); /* pstring, even total */
    }
    chunk_end(b, at);
}

static void comm(bb *b, int aifc, int channels, uint32_t frames, int bits, double hz, const char *codec)
{
    bb tmp;
    tmp.n = 0;
    extended(&tmp, hz);
    comm_raw(b, aifc, channels, frames, bits, tmp.d, codec);
}

/* SSND with offset 0 and the given sample bytes. */
static void ssnd(bb *b, const void *samples, size_t n)
{
    size_t at = chunk_begin(b, "SSND");
    be32(b, 0), be32(b, 0);
    raw(b, samples, n);
    chunk_end(b, at);
}

/* ---- decoder helpers ------------------------------------------------------------ */

static segue_status open_bytes(const uint8_t *data, size_t n, int seekable, int strict,
                               const char *force, segue_decoder **d)
{
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, data, n), SEGUE_OK);
    if (!seekable)
        io.seek = NULL, io.tell = NULL;
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    cfg.container = force;
    return segue_decoder_open(d, &io, &cfg);
}

static segue_decoder *expect_open(int seekable, int strict, segue_status want, const char *needle)
{
    segue_decoder *d = NULL;
    segue_status st = open_bytes(g_file.d, g_file.n, seekable, strict, NULL, &d);
    const char *msg = segue_decoder_last_error(d);
    if (st != want || (needle && !strstr(msg, needle)))
        print_error("open: got %s (%s), want %s '%s'\n", segue_status_name(st), msg,
                    segue_status_name(want), needle ? needle : "");
    assert_int_equal(st, want);
    assert_non_null(d);
    if (needle)
        assert_non_null(strstr(msg, needle));
    if (want < 0) {
        assert_true(strlen(msg) > 0);
        segue_decoder_destroy(d);
        return NULL;
    }
    return d;
}

static float g_pcm[16384];

static size_t read_all(segue_decoder *d)
{
    size_t total = 0, got = 0;
    unsigned ch = segue_decoder_info(d)->channels;
    for (;;) {
        size_t room = (sizeof g_pcm / sizeof g_pcm[0] - total) / ch;
        if (!room)
            break;
        segue_status st = segue_decoder_read_f32(d, g_pcm + total, room, &got);
        if (st == SEGUE_END_OF_STREAM)
            break;
        assert_int_equal(st, SEGUE_OK);
        total += got * ch;
    }
    return total / ch;
}

/* ---- formats ------------------------------------------------------------------- */

static void test_aiff_pcm(void **state)
{
    (void)state;
    /* 16-bit big-endian stereo, plus a FVER-less plain AIFF. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 2, 2, 16, 44100, NULL);
    static const uint8_t s16[8] = {0x40, 0x00, 0xC0, 0x00, 0x7F, 0xFF, 0x80, 0x00};
    ssnd(&g_file, s16, sizeof s16);
    form_end(&g_file);
    for (int seekable = 0; seekable < 2; seekable++) {
        segue_decoder *d = expect_open(seekable, 1, SEGUE_OK, NULL);
        const segue_stream_info *info = segue_decoder_info(d);
        assert_string_equal(info->container, "aiff");
        assert_int_equal(info->sample_rate, 44100);
        assert_int_equal(info->channels, 2);
        assert_int_equal(info->frames, 2);
        assert_int_equal(info->source_format, SEGUE_SAMPLE_S16);
        assert_int_equal(info->bits_per_sample, 16);
        assert_int_equal(info->big_endian, 1);
        assert_int_equal(read_all(d), 2);
        assert_true(g_pcm[0] == 0.5f && g_pcm[1] == -0.5f && g_pcm[2] == 32767 / 32768.0f &&
                    g_pcm[3] == -1.0f);
        segue_decoder_destroy(d);
    }

    /* 8-bit AIFF is signed. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 3, 8, 8000, NULL);
    static const uint8_t s8[3] = {0x40, 0xC0, 0x00};
    ssnd(&g_file, s8, sizeof s8);
    form_end(&g_file);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_S8);
    assert_int_equal(read_all(d), 3);
    assert_true(g_pcm[0] == 0.5f && g_pcm[1] == -0.5f && g_pcm[2] == 0.0f);
    segue_decoder_destroy(d);

    /* 12-bit samples, left-justified in 16 bits. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 1, 12, 8000, NULL);
    static const uint8_t s12[2] = {0x40, 0x00};
    ssnd(&g_file, s12, sizeof s12);
    form_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(segue_decoder_info(d)->bits_per_sample, 12);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_S16);
    assert_int_equal(read_all(d), 1);
    assert_true(g_pcm[0] == 0.5f);
    segue_decoder_destroy(d);

    /* 24 and 32 bit. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 1, 24, 96000, NULL);
    static const uint8_t s24[4] = {0x40, 0x00, 0x00, 0};
    ssnd(&g_file, s24, 3);
    form_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(read_all(d), 1);
    assert_true(g_pcm[0] == 0.5f);
    segue_decoder_destroy(d);
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 1, 32, 96000, NULL);
    ssnd(&g_file, s24, 4);
    form_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_S32);
    assert_int_equal(read_all(d), 1);
    assert_true(g_pcm[0] == 0.5f);
    segue_decoder_destroy(d);
}

static void test_aifc_types(void **state)
{
    (void)state;
    static const struct {
        const char *codec;
        int bits;
        uint8_t bytes[8];
        size_t n;
        segue_sample_format fmt;
        int big_endian;
    } cases[] = {
        {"NONE", 16, {0x40, 0x00}, 2, SEGUE_SAMPLE_S16, 1},
        {"twos", 16, {0x40, 0x00}, 2, SEGUE_SAMPLE_S16, 1},
        {"sowt", 16, {0x00, 0x40}, 2, SEGUE_SAMPLE_S16, 0},
        {"sowt", 24, {0x00, 0x00, 0x40}, 3, SEGUE_SAMPLE_S24, 0},
        {"fl32", 32, {0x3F, 0x00, 0x00, 0x00}, 4, SEGUE_SAMPLE_F32, 1},
        {"FL32", 32, {0x3F, 0x00, 0x00, 0x00}, 4, SEGUE_SAMPLE_F32, 1},
        {"fl64", 64, {0x3F, 0xE0, 0, 0, 0, 0, 0, 0}, 8, SEGUE_SAMPLE_F64, 1},
        {"FL64", 64, {0x3F, 0xE0, 0, 0, 0, 0, 0, 0}, 8, SEGUE_SAMPLE_F64, 1},
        {"in24", 24, {0x40, 0x00, 0x00}, 3, SEGUE_SAMPLE_S24, 1},
        {"in32", 32, {0x40, 0x00, 0x00, 0x00}, 4, SEGUE_SAMPLE_S32, 1},
        {"42ni", 24, {0x00, 0x00, 0x40}, 3, SEGUE_SAMPLE_S24, 0},
        {"23ni", 32, {0x00, 0x00, 0x00, 0x40}, 4, SEGUE_SAMPLE_S32, 0},
        {"raw ", 8, {0xC0}, 1, SEGUE_SAMPLE_U8, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        form_begin(&g_file, "AIFC");
        size_t at = chunk_begin(&g_file, "FVER");
        be32(&g_file, 0xA2805140u);
        chunk_end(&g_file, at);
        comm(&g_file, 1, 1, 1, cases[i].bits, 48000, cases[i].codec);
        ssnd(&g_file, cases[i].bytes, cases[i].n);
        form_end(&g_file);
        for (int seekable = 0; seekable < 2; seekable++) {
            segue_decoder *d = expect_open(seekable, 1, SEGUE_OK, NULL);
            const segue_stream_info *info = segue_decoder_info(d);
            assert_string_equal(info->container, "aifc");
            assert_int_equal(info->source_format, cases[i].fmt);
            assert_int_equal(info->big_endian, cases[i].big_endian);
            assert_int_equal(read_all(d), 1);
            if (g_pcm[0] != 0.5f)
                print_error("%s: %g\n", cases[i].codec, (double)g_pcm[0]);
            assert_true(g_pcm[0] == 0.5f);
            segue_decoder_destroy(d);
        }
    }
    /* Compressed types are named in the error. */
    static const char *const unsupported[][2] = {{"ima4", "IMA 4:1"}, {"ulaw", "mu-law"}, {"alaw", "A-law"},
                                                 {"MAC3", "MACE"}, {"QDM2", "QDesign"}, {"zzzz", "'zzzz'"}};
    for (size_t i = 0; i < 6; i++) {
        form_begin(&g_file, "AIFC");
        comm(&g_file, 1, 2, 1, 16, 44100, unsupported[i][0]);
        ssnd(&g_file, "abcd", 4);
        form_end(&g_file);
        expect_open(1, 0, SEGUE_ERR_UNSUPPORTED, unsupported[i][0]);
        expect_open(0, 0, SEGUE_ERR_UNSUPPORTED, unsupported[i][1]);
    }
    /* An AIFC COMM of 18 bytes is read as uncompressed. */
    form_begin(&g_file, "AIFC");
    comm(&g_file, 0, 1, 1, 16, 44100, NULL);
    ssnd(&g_file, "\x40\x00", 2);
    form_end(&g_file);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(read_all(d), 1);
    assert_true(g_pcm[0] == 0.5f);
    segue_decoder_destroy(d);
}

static void test_sample_rates(void **state)
{
    (void)state;
    static const struct {
        double hz;
        uint32_t want;
    } good[] = {{44100, 44100}, {8000, 8000}, {768000, 768000}, {1, 1}, {22254.5454545, 22255},
                {11025.4, 11025}, {0.5, 1}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        form_begin(&g_file, "AIFF");
        comm(&g_file, 0, 1, 1, 16, good[i].hz, NULL);
        ssnd(&g_file, "\0\0", 2);
        form_end(&g_file);
        segue_decoder *d = expect_open(1, 1, SEGUE_OK, NULL);
        assert_int_equal(segue_decoder_info(d)->sample_rate, good[i].want);
        segue_decoder_destroy(d);
    }
    static const uint8_t bad[][10] = {
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},                 /* zero */
        {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0},              /* -0 */
        {0xC0, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0},     /* -44100 */
        {0x7F, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0},        /* +inf */
        {0x7F, 0xFF, 0xC0, 0, 0, 0, 0, 0, 0, 1},        /* NaN */
        {0x40, 0x3E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, /* 2^64 - 1 */
        {0x40, 0x12, 0xBB, 0x81, 0, 0, 0, 0, 0, 0},     /* 768016 Hz, above the limit */
        {0x3F, 0xFD, 0x80, 0, 0, 0, 0, 0, 0, 0},        /* 0.25 */
        {0x00, 0x01, 0x80, 0, 0, 0, 0, 0, 0, 0},        /* tiny */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        form_begin(&g_file, "AIFF");
        comm_raw(&g_file, 0, 1, 1, 16, bad[i], NULL);
        ssnd(&g_file, "\0\0", 2);
        form_end(&g_file);
        expect_open(1, 0, SEGUE_ERR_CORRUPT, "sample rate");
    }
}

static void test_text_and_id3(void **state)
{
    (void)state;
    form_begin(&g_file, "AIFF");
    size_t at = chunk_begin(&g_file, "NAME");
    raw(&g_file, "Song", 4);
    chunk_end(&g_file, at);
    at = chunk_begin(&g_file, "AUTH");
    raw(&g_file, "Auth\xF6r", 6); /* Latin-1 */
    chunk_end(&g_file, at);
    at = chunk_begin(&g_file, "ANNO");
    raw(&g_file, "one", 3); /* odd: padded */
    chunk_end(&g_file, at);
    at = chunk_begin(&g_file, "ANNO");
    raw(&g_file, "two\0", 4);
    chunk_end(&g_file, at);
    at = chunk_begin(&g_file, "(c) ");
    raw(&g_file, "2024 me", 7);
    chunk_end(&g_file, at);
    at = chunk_begin(&g_file, "COMT");
    be16(&g_file, 2);
    be32(&g_file, 0), be16(&g_file, 0), be16(&g_file, 5), raw(&g_file, "first", 5), put8(&g_file, 0);
    be32(&g_file, 0), be16(&g_file, 0), be16(&g_file, 1000), raw(&g_file, "x", 1); /* lies */
    chunk_end(&g_file, at);
    comm(&g_file, 0, 1, 2, 16, 44100, NULL);
    ssnd(&g_file, "\x10\x00\x20\x00", 4);
    at = chunk_begin(&g_file, "ID3 ");
    /* ID3v2.4, TIT2 "Song" (a duplicate: kept once) and TALB "Alb". */
    raw(&g_file, "ID3\x04\x00\x00\x00\x00\x00\x1E", 10);
    raw(&g_file, "TIT2\x00\x00\x00\x05\x00\x00\x03Song", 15);
    raw(&g_file, "TALB\x00\x00\x00\x04\x00\x00\x03" "Alb", 14);
    raw(&g_file, "\0", 1);
    chunk_end(&g_file, at);
    form_end(&g_file);

    segue_decoder *d = expect_open(1, 0, SEGUE_OK, NULL);
    const segue_metadata *m = segue_decoder_metadata(d);
    assert_string_equal(segue_metadata_get(m, "TITLE", 0), "Song");
    assert_int_equal(segue_metadata_count(m, "TITLE"), 1);
    assert_string_equal(segue_metadata_get(m, "ARTIST", 0), "Auth\xC3\xB6r");
    assert_string_equal(segue_metadata_get(m, "COMMENT", 0), "one");
    assert_string_equal(segue_metadata_get(m, "COMMENT", 1), "two");
    assert_string_equal(segue_metadata_get(m, "COMMENT", 2), "first");
    assert_string_equal(segue_metadata_get(m, "COPYRIGHT", 0), "2024 me");
    assert_string_equal(segue_metadata_get(m, "ALBUM", 0), "Alb");
    assert_int_equal(read_all(d), 2);
    segue_decoder_destroy(d);
    /* Strict: the lying COMT entry is an error. */
    expect_open(1, 1, SEGUE_ERR_CORRUPT, "COMT");
    /* A pipe stops at SSND: the ID3 chunk after it is not read. */
    d = expect_open(0, 0, SEGUE_OK, NULL);
    assert_int_equal(segue_metadata_count(segue_decoder_metadata(d), "ALBUM"), 0);
    assert_int_equal(read_all(d), 2);
    segue_decoder_destroy(d);
}

static void test_ssnd_layout(void **state)
{
    (void)state;
    /* SSND offset skips leading bytes; SSND before COMM on a seekable file. */
    form_begin(&g_file, "AIFF");
    size_t at = chunk_begin(&g_file, "SSND");
    be32(&g_file, 3), be32(&g_file, 0);
    raw(&g_file, "xyz\x40\x00\xC0\x00", 7);
    chunk_end(&g_file, at);
    comm(&g_file, 0, 1, 2, 16, 44100, NULL);
    form_end(&g_file);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(read_all(d), 2);
    assert_true(g_pcm[0] == 0.5f && g_pcm[1] == -0.5f);
    assert_int_equal(segue_decoder_seek(d, 1), SEGUE_OK);
    assert_int_equal(read_all(d), 1);
    assert_true(g_pcm[0] == -0.5f);
    segue_decoder_destroy(d);
    expect_open(0, 0, SEGUE_ERR_CORRUPT, "before COMM");

    /* Offset past the chunk. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 1, 16, 44100, NULL);
    at = chunk_begin(&g_file, "SSND");
    be32(&g_file, 100), be32(&g_file, 0), raw(&g_file, "ab", 2);
    chunk_end(&g_file, at);
    form_end(&g_file);
    expect_open(1, 0, SEGUE_ERR_CORRUPT, "offset 100");
    expect_open(0, 0, SEGUE_ERR_CORRUPT, "offset 100");

    /* COMM declares more frames than SSND holds: clamp, strict error. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 10, 16, 44100, NULL);
    ssnd(&g_file, "\x01\x00\x02\x00", 4);
    form_end(&g_file);
    d = expect_open(1, 0, SEGUE_OK, NULL);
    assert_int_equal(segue_decoder_info(d)->frames, 2);
    assert_int_equal(read_all(d), 2);
    segue_decoder_destroy(d);
    expect_open(1, 1, SEGUE_ERR_CORRUPT, "10 frames");

    /* SSND holding more than COMM declares: COMM wins. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 1, 16, 44100, NULL);
    ssnd(&g_file, "\x01\x00\x02\x00", 4);
    form_end(&g_file);
    d = expect_open(0, 1, SEGUE_OK, NULL);
    assert_int_equal(read_all(d), 1);
    segue_decoder_destroy(d);

    /* No SSND with zero frames is a valid empty file. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 2, 0, 16, 44100, NULL);
    form_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(segue_decoder_info(d)->frames, 0);
    assert_int_equal(read_all(d), 0);
    segue_decoder_destroy(d);
    /* ... but not with frames. */
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 2, 5, 16, 44100, NULL);
    form_end(&g_file);
    expect_open(1, 0, SEGUE_ERR_CORRUPT, "no SSND");
    /* No COMM. */
    form_begin(&g_file, "AIFF");
    ssnd(&g_file, "\0\0", 2);
    form_end(&g_file);
    expect_open(1, 0, SEGUE_ERR_CORRUPT, "no COMM");
}

static void test_bytes_after_form(void **state)
{
    (void)state;
    form_begin(&g_file, "AIFF");
    comm(&g_file, 0, 1, 1, 16, 44100, NULL);
    ssnd(&g_file, "\x40\x00", 2);
    form_end(&g_file);
    raw(&g_file, "TAG", 3);
    for (int i = 0; i < 125; i++)
        put8(&g_file, 0xFF);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK, NULL);
    assert_int_equal(read_all(d), 1);
    segue_decoder_destroy(d);
}

static void test_absurd_fields(void **state)
{
    (void)state;
    static const struct {
        int channels, bits;
        segue_status want;
        const char *needle;
    } cases[] = {
        {0, 16, SEGUE_ERR_CORRUPT, "numChannels is 0"},
        {-1, 16, SEGUE_ERR_CORRUPT, "numChannels is -1"},
        {33, 16, SEGUE_ERR_UNSUPPORTED, "33 channels"},
        {32767, 16, SEGUE_ERR_UNSUPPORTED, "32767 channels"},
        {2, 0, SEGUE_ERR_CORRUPT, "sampleSize is 0"},
        {2, -8, SEGUE_ERR_CORRUPT, "sampleSize is -8"},
        {2, 40, SEGUE_ERR_UNSUPPORTED, "40-bit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        form_begin(&g_file, "AIFF");
        comm(&g_file, 0, cases[i].channels, 1, cases[i].bits, 44100, NULL);
        ssnd(&g_file, "\0\0\0\0", 4);
        form_end(&g_file);
        expect_open(1, 0, cases[i].want, cases[i].needle);
        expect_open(0, 0, cases[i].want, cases[i].needle);
    }
    /* COMM too short. */
    form_begin(&g_file, "AIFF");
    size_t at = chunk_begin(&g_file, "COMM");
    be16(&g_file, 2), be32(&g_file, 1);
    chunk_end(&g_file, at);
    form_end(&g_file);
    expect_open(1, 0, SEGUE_ERR_CORRUPT, "COMM chunk is 6 bytes");
    /* Chunk sizes near 4 GiB. */
    static const char *const ids[] = {"COMM", "NAME", "ID3 ", "MARK", "COMT"};
    for (size_t i = 0; i < 5; i++) {
        form_begin(&g_file, "AIFF");
        tag4(&g_file, ids[i]);
        be32(&g_file, 0xFFFFFFF0u);
        for (int k = 0; k < 40; k++)
            put8(&g_file, 0x55);
        form_end(&g_file);
        expect_open(1, 0, SEGUE_ERR_CORRUPT, "aiff:");
        expect_open(0, 0, SEGUE_ERR_CORRUPT, "aiff:");
    }
    /* Not AIFF. */
    form_begin(&g_file, "8SVX");
    form_end(&g_file);
    segue_decoder *d = NULL;
    assert_int_equal(open_bytes(g_file.d, g_file.n, 1, 0, "aiff", &d), SEGUE_ERR_UNKNOWN_FORMAT);
    assert_non_null(strstr(segue_decoder_last_error(d), "8SVX"));
    segue_decoder_destroy(d);
    d = NULL;
    static const uint8_t png[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    assert_int_equal(open_bytes(png, sizeof png, 0, 0, "aiff", &d), SEGUE_ERR_UNKNOWN_FORMAT);
    assert_true(strlen(segue_decoder_last_error(d)) > 0);
    segue_decoder_destroy(d);
    d = NULL;
    assert_true(open_bytes(png, 0, 1, 0, "aiff", &d) < 0);
    segue_decoder_destroy(d);
}

static void test_truncation_every_offset(void **state)
{
    (void)state;
    form_begin(&g_file, "AIFC");
    size_t at = chunk_begin(&g_file, "NAME");
    raw(&g_file, "Title", 5);
    chunk_end(&g_file, at);
    comm(&g_file, 1, 2, 3, 16, 44100, "sowt");
    size_t ssnd_at = g_file.n;
    ssnd(&g_file, "\1\0\2\0\3\0\4\0\5\0\6\0", 12);
    form_end(&g_file);
    static uint8_t copy[BB_MAX];
    size_t full = g_file.n;
    memcpy(copy, g_file.d, full);
    size_t audio = ssnd_at + 16;
    for (size_t cut = 0; cut <= full; cut++) {
        for (int seekable = 0; seekable < 2; seekable++) {
            for (int forced = 0; forced < 2; forced++) {
                segue_decoder *d = NULL;
                segue_status st = open_bytes(copy, cut, seekable, 0, forced ? "aiff" : NULL, &d);
                assert_non_null(d);
                if (cut < audio) {
                    if (st >= 0)
                        print_error("cut %zu opened\n", cut);
                    assert_true(st == SEGUE_ERR_CORRUPT || st == SEGUE_ERR_UNKNOWN_FORMAT);
                    if (cut >= 12)
                        assert_int_equal(st, SEGUE_ERR_CORRUPT);
                    assert_true(strlen(segue_decoder_last_error(d)) > 0);
                } else {
                    assert_int_equal(st, SEGUE_OK);
                    assert_int_equal(read_all(d), (cut - audio) / 4);
                }
                segue_decoder_destroy(d);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aiff_pcm),
        cmocka_unit_test(test_aifc_types),
        cmocka_unit_test(test_sample_rates),
        cmocka_unit_test(test_text_and_id3),
        cmocka_unit_test(test_ssnd_layout),
        cmocka_unit_test(test_bytes_after_form),
        cmocka_unit_test(test_absurd_fields),
        cmocka_unit_test(test_truncation_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
