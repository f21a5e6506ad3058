/*
 * tests/unit/test_wav.c - the WAV/RF64 demuxer and the WAV muxer, through the
 * public API: files are built byte by byte in memory (no fixtures needed),
 * decoded with segue_decoder_open over segue_io_from_memory (seekable, and
 * with seek removed to act as a pipe), and written with segue_encoder_open
 * over segue_io_memory_sink. Malformed inputs must fail with the right
 * status and a non-empty message; ASan/LSan catch crashes and leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

/* Internal (container/wav.c): the RIFF/RF64 switch decision. */
#include "container/wav_internal.h"

/* ---- a byte builder ------------------------------------------------------ */

#define BB_MAX 65536

typedef struct bb {
    uint8_t d[BB_MAX];
    size_t n;
} bb;

static bb g_file; /* the file under test; static to keep stacks small */

static void bb_reset(bb *b) { b->n = 0; }
static void put8(bb *b, unsigned v)
{
    assert_true(b->n < BB_MAX);
    b->d[b->n++] = (uint8_t)v;
}
static void le16(bb *b, unsigned v) { put8(b, v & 0xFF), put8(b, (v >> 8) & 0xFF); }
static void le32(bb *b, uint32_t v) { le16(b, v & 0xFFFF), le16(b, v >> 16); }
static void le64(bb *b, uint64_t v) { le32(b, (uint32_t)v), le32(b, (uint32_t)(v >> 32)); }
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
static void patch_le32(bb *b, size_t at, uint32_t v)
{
    b->d[at] = (uint8_t)v, b->d[at + 1] = (uint8_t)(v >> 8);
    b->d[at + 2] = (uint8_t)(v >> 16), b->d[at + 3] = (uint8_t)(v >> 24);
}
static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t get_le64(const uint8_t *p) { return get_le32(p) | ((uint64_t)get_le32(p + 4) << 32); }

/* Starts a chunk; returns where its size goes. */
static size_t chunk_begin(bb *b, const char *id)
{
    tag4(b, id);
    le32(b, 0);
    return b->n - 4;
}
/* Sets the size and adds the pad byte of an odd chunk. */
static void chunk_end(bb *b, size_t size_at)
{
    size_t size = b->n - size_at - 4;
    patch_le32(b, size_at, (uint32_t)size);
    if (size & 1)
        put8(b, 0);
}
static void riff_begin(bb *b, const char *id)
{
    bb_reset(b);
    tag4(b, id);
    le32(b, 0);
    tag4(b, "WAVE");
}
static void riff_end(bb *b) { patch_le32(b, 4, (uint32_t)(b->n - 8)); }

static void fmt_pcm(bb *b, unsigned tag, unsigned channels, uint32_t rate, unsigned bits)
{
    unsigned block = channels * ((bits + 7) / 8);
    size_t at = chunk_begin(b, "fmt ");
    le16(b, tag), le16(b, channels), le32(b, rate), le32(b, rate * block), le16(b, block), le16(b, bits);
    chunk_end(b, at);
}

static void fmt_extensible(bb *b, unsigned subtag, unsigned channels, uint32_t rate, unsigned bits,
                           unsigned valid, uint32_t mask)
{
    static const uint8_t tail[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    unsigned block = channels * (bits / 8);
    size_t at = chunk_begin(b, "fmt ");
    le16(b, 0xFFFE), le16(b, channels), le32(b, rate), le32(b, rate * block), le16(b, block), le16(b, bits);
    le16(b, 22), le16(b, valid), le32(b, mask);
    le16(b, subtag), le16(b, 0);
    raw(b, tail, 12);
    chunk_end(b, at);
}

/* ---- decoder helpers ---------------------------------------------------------- */

static segue_status open_bytes(const uint8_t *data, size_t n, int seekable, int strict,
                               const char *force, segue_decoder **d)
{
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, data, n), SEGUE_OK);
    if (!seekable) {
        io.seek = NULL;
        io.tell = NULL;
    }
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    cfg.container = force;
    return segue_decoder_open(d, &io, &cfg);
}

/* Opens g_file and expects `want`; failures must explain themselves. */
static segue_decoder *expect_open(int seekable, int strict, segue_status want)
{
    segue_decoder *d = NULL;
    segue_status st = open_bytes(g_file.d, g_file.n, seekable, strict, NULL, &d);
    if (st != want)
        print_error("open: got %s (%s), want %s\n", segue_status_name(st), segue_decoder_last_error(d),
                    segue_status_name(want));
    assert_int_equal(st, want);
    assert_non_null(d);
    if (want < 0) {
        assert_true(strlen(segue_decoder_last_error(d)) > 0);
        segue_decoder_destroy(d);
        return NULL;
    }
    return d;
}

static void expect_error_text(int seekable, segue_status want, const char *needle)
{
    segue_decoder *d = NULL;
    segue_status st = open_bytes(g_file.d, g_file.n, seekable, 0, NULL, &d);
    const char *msg = segue_decoder_last_error(d);
    if (st != want || !strstr(msg, needle))
        print_error("got %s '%s', want %s with '%s'\n", segue_status_name(st), msg,
                    segue_status_name(want), needle);
    assert_int_equal(st, want);
    assert_non_null(strstr(msg, needle));
    segue_decoder_destroy(d);
}

static float g_pcm[65536];

static size_t read_all(segue_decoder *d, size_t cap)
{
    size_t total = 0, got = 0;
    const segue_stream_info *info = segue_decoder_info(d);
    for (;;) {
        size_t room = (cap - total) / info->channels;
        if (room == 0)
            break;
        segue_status st = segue_decoder_read_f32(d, g_pcm + total, room > 1000 ? 1000 : room, &got);
        if (st == SEGUE_END_OF_STREAM)
            break;
        assert_int_equal(st, SEGUE_OK);
        total += got * info->channels;
    }
    return total / info->channels;
}

/* ---- demuxer: formats --------------------------------------------------------- */

static void test_pcm_16(void **state)
{
    (void)state;
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 2, 44100, 16);
    size_t at = chunk_begin(&g_file, "data");
    const int16_t v[6] = {0, 16384, -32768, 32767, -16384, 1};
    for (int i = 0; i < 6; i++)
        le16(&g_file, (uint16_t)v[i]);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    for (int seekable = 0; seekable < 2; seekable++) {
        segue_decoder *d = expect_open(seekable, 1, SEGUE_OK);
        const segue_stream_info *info = segue_decoder_info(d);
        assert_string_equal(info->container, "wav");
        assert_string_equal(info->codec, "pcm");
        assert_int_equal(info->sample_rate, 44100);
        assert_int_equal(info->channels, 2);
        assert_int_equal(info->source_format, SEGUE_SAMPLE_S16);
        assert_int_equal(info->bits_per_sample, 16);
        assert_int_equal(info->frames, 3);
        assert_int_equal(info->bitrate, 44100 * 32);
        assert_int_equal(info->big_endian, 0);
        assert_int_equal(read_all(d, 64), 3);
        for (int i = 0; i < 6; i++)
            assert_true(g_pcm[i] == (float)v[i] / 32768.0f);
        segue_decoder_destroy(d);
    }
}

static void test_pcm_8_24_32_float(void **state)
{
    (void)state;
    /* 8-bit WAV is unsigned: 0x80 is silence. */
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 1, 8000, 8);
    size_t at = chunk_begin(&g_file, "data");
    put8(&g_file, 0x80), put8(&g_file, 0xC0), put8(&g_file, 0x00);
    chunk_end(&g_file, at); /* odd: padded */
    riff_end(&g_file);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_U8);
    assert_int_equal(read_all(d, 64), 3);
    assert_true(g_pcm[0] == 0.0f && g_pcm[1] == 0.5f && g_pcm[2] == -1.0f);
    segue_decoder_destroy(d);

    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 1, 96000, 24);
    at = chunk_begin(&g_file, "data");
    put8(&g_file, 0x00), put8(&g_file, 0x00), put8(&g_file, 0x40); /* 0x400000 */
    put8(&g_file, 0x00), put8(&g_file, 0x00), put8(&g_file, 0xC0); /* -0x400000 */
    chunk_end(&g_file, at);
    riff_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_S24);
    assert_int_equal(read_all(d, 64), 2);
    assert_true(g_pcm[0] == 0.5f && g_pcm[1] == -0.5f);
    segue_decoder_destroy(d);

    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 1, 48000, 32);
    at = chunk_begin(&g_file, "data");
    le32(&g_file, 0x40000000u);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_S32);
    assert_int_equal(read_all(d, 64), 1);
    assert_true(g_pcm[0] == 0.5f);
    segue_decoder_destroy(d);

    for (int bits = 32; bits <= 64; bits += 32) {
        riff_begin(&g_file, "RIFF");
        fmt_pcm(&g_file, 3, 1, 48000, (unsigned)bits);
        at = chunk_begin(&g_file, "data");
        if (bits == 32) {
            float f = 0.25f;
            uint32_t u;
            memcpy(&u, &f, 4);
            le32(&g_file, u);
        } else {
            double f = -0.125;
            uint64_t u;
            memcpy(&u, &f, 8);
            le64(&g_file, u);
        }
        chunk_end(&g_file, at);
        riff_end(&g_file);
        d = expect_open(1, 1, SEGUE_OK);
        assert_int_equal(segue_decoder_info(d)->source_format, bits == 32 ? SEGUE_SAMPLE_F32 : SEGUE_SAMPLE_F64);
        assert_int_equal(read_all(d, 64), 1);
        assert_true(g_pcm[0] == (bits == 32 ? 0.25f : -0.125f));
        segue_decoder_destroy(d);
    }
}

static void test_extensible(void **state)
{
    (void)state;
    /* 20 valid bits in a 24-bit container, 5.1. */
    riff_begin(&g_file, "RIFF");
    fmt_extensible(&g_file, 1, 6, 48000, 24, 20, 0x3F);
    size_t at = chunk_begin(&g_file, "data");
    for (int i = 0; i < 6 * 3; i++)
        put8(&g_file, i % 3 == 2 ? 0x40 : 0);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK);
    const segue_stream_info *info = segue_decoder_info(d);
    assert_int_equal(info->bits_per_sample, 20);
    assert_int_equal(info->channel_mask, 0x3F);
    assert_int_equal(info->source_format, SEGUE_SAMPLE_S24);
    assert_int_equal(read_all(d, 64), 1);
    assert_true(g_pcm[5] == 0.5f);
    segue_decoder_destroy(d);

    /* Float sub-format. */
    riff_begin(&g_file, "RIFF");
    fmt_extensible(&g_file, 3, 2, 48000, 32, 32, 0x3);
    at = chunk_begin(&g_file, "data");
    le32(&g_file, 0x3F000000u), le32(&g_file, 0xBF000000u);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_F32);
    assert_int_equal(read_all(d, 64), 1);
    assert_true(g_pcm[0] == 0.5f && g_pcm[1] == -0.5f);
    segue_decoder_destroy(d);

    /* wValidBitsPerSample above the container. */
    riff_begin(&g_file, "RIFF");
    fmt_extensible(&g_file, 1, 2, 48000, 16, 24, 0x3);
    at = chunk_begin(&g_file, "data");
    le32(&g_file, 0);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    expect_error_text(1, SEGUE_ERR_CORRUPT, "wValidBitsPerSample 24");

    /* Unknown sub-format GUID (MP3 under EXTENSIBLE). */
    riff_begin(&g_file, "RIFF");
    fmt_extensible(&g_file, 0x55, 2, 48000, 16, 16, 0x3);
    at = chunk_begin(&g_file, "data");
    chunk_end(&g_file, at);
    riff_end(&g_file);
    expect_error_text(1, SEGUE_ERR_UNSUPPORTED, "0x0055");

    /* ATRAC3plus (Sony GUID). */
    riff_begin(&g_file, "RIFF");
    fmt_extensible(&g_file, 1, 2, 44100, 16, 16, 0x3);
    static const uint8_t at3p[16] = {0xBF, 0xAA, 0x23, 0xE9, 0x58, 0xCB, 0x71, 0x44,
                                     0xA1, 0x19, 0xFF, 0xFA, 0x01, 0xE4, 0xCE, 0x62};
    memcpy(g_file.d + 12 + 8 + 24, at3p, 16);
    at = chunk_begin(&g_file, "data");
    chunk_end(&g_file, at);
    riff_end(&g_file);
    expect_error_text(1, SEGUE_ERR_UNSUPPORTED, "ATRAC3plus");

    /* EXTENSIBLE fmt chunk too short for its extension. */
    riff_begin(&g_file, "RIFF");
    at = chunk_begin(&g_file, "fmt ");
    le16(&g_file, 0xFFFE), le16(&g_file, 2), le32(&g_file, 44100), le32(&g_file, 176400);
    le16(&g_file, 4), le16(&g_file, 16), le16(&g_file, 0);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    expect_error_text(1, SEGUE_ERR_CORRUPT, "need 40");
}

static void test_unsupported_tags(void **state)
{
    (void)state;
    static const struct {
        unsigned tag;
        const char *name;
    } cases[] = {{0x0002, "ADPCM"}, {0x0006, "A-law"}, {0x0007, "mu-law"},
                 {0x0055, "MPEG Layer III"}, {0x0161, "WMA"}, {0x1234, "0x1234"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        riff_begin(&g_file, "RIFF");
        fmt_pcm(&g_file, cases[i].tag, 2, 44100, 16);
        size_t at = chunk_begin(&g_file, "data");
        le32(&g_file, 0);
        chunk_end(&g_file, at);
        riff_end(&g_file);
        char hex[16];
        snprintf(hex, sizeof hex, "0x%04X", cases[i].tag);
        expect_error_text(1, SEGUE_ERR_UNSUPPORTED, hex);
        expect_error_text(0, SEGUE_ERR_UNSUPPORTED, cases[i].name);
    }
}

/* ---- demuxer: chunk handling ------------------------------------------------- */

static void info_entry(bb *b, const char *id, const char *text)
{
    size_t at = chunk_begin(b, id);
    raw(b, text, strlen(text) + 1);
    chunk_end(b, at);
}

/* An ID3v2.3 tag with one TIT2 frame (Latin-1). */
static void id3_tag(bb *b, const char *title)
{
    size_t len = strlen(title);
    size_t body = 10 + 1 + len;
    raw(b, "ID3\x03\x00\x00", 6);
    put8(b, 0), put8(b, 0), put8(b, (body >> 7) & 0x7F), put8(b, body & 0x7F);
    raw(b, "TIT2", 4);
    put8(b, 0), put8(b, 0), put8(b, 0), put8(b, (unsigned)(1 + len));
    put8(b, 0), put8(b, 0);
    put8(b, 0);
    raw(b, title, len);
}

static void build_tagged(void)
{
    riff_begin(&g_file, "RIFF");
    size_t at = chunk_begin(&g_file, "JUNK");
    raw(&g_file, "abc", 3); /* odd, padded */
    chunk_end(&g_file, at);
    fmt_pcm(&g_file, 1, 1, 22050, 16);
    size_t list = chunk_begin(&g_file, "LIST");
    tag4(&g_file, "INFO");
    info_entry(&g_file, "INAM", "Title");
    info_entry(&g_file, "IART", "Artist");
    info_entry(&g_file, "IPRD", "Album");
    info_entry(&g_file, "ICMT", "A comment");
    info_entry(&g_file, "ICRD", "2024");
    info_entry(&g_file, "IGNR", "Jazz");
    info_entry(&g_file, "ITRK", "7");
    info_entry(&g_file, "ICOP", "(c) me");
    info_entry(&g_file, "ISFT", "segue test");
    info_entry(&g_file, "IENG", "Eng\xE9"); /* Latin-1 e-acute */
    chunk_end(&g_file, list);
    at = chunk_begin(&g_file, "data");
    le16(&g_file, 0x1000), le16(&g_file, 0x2000), le16(&g_file, 0x3000);
    chunk_end(&g_file, at);
    at = chunk_begin(&g_file, "id3 ");
    id3_tag(&g_file, "From ID3");
    chunk_end(&g_file, at);
    riff_end(&g_file);
}

static void test_info_and_id3(void **state)
{
    (void)state;
    build_tagged();
    segue_decoder *d = expect_open(1, 1, SEGUE_OK);
    const segue_metadata *m = segue_decoder_metadata(d);
    assert_string_equal(segue_metadata_get(m, "TITLE", 0), "Title");
    assert_string_equal(segue_metadata_get(m, "TITLE", 1), "From ID3"); /* after the data */
    assert_string_equal(segue_metadata_get(m, "ARTIST", 0), "Artist");
    assert_string_equal(segue_metadata_get(m, "ALBUM", 0), "Album");
    assert_string_equal(segue_metadata_get(m, "COMMENT", 0), "A comment");
    assert_string_equal(segue_metadata_get(m, "DATE", 0), "2024");
    assert_string_equal(segue_metadata_get(m, "GENRE", 0), "Jazz");
    assert_string_equal(segue_metadata_get(m, "TRACKNUMBER", 0), "7");
    assert_string_equal(segue_metadata_get(m, "COPYRIGHT", 0), "(c) me");
    assert_string_equal(segue_metadata_get(m, "ENCODER", 0), "segue test");
    assert_string_equal(segue_metadata_get(m, "IENG", 0), "Eng\xC3\xA9");
    assert_int_equal(segue_decoder_info(d)->frames, 3);
    assert_int_equal(read_all(d, 64), 3);
    assert_true(g_pcm[2] == 0x3000 / 32768.0f);
    segue_decoder_destroy(d);

    /* A pipe stops at data: the trailing id3 chunk is not reachable. */
    d = expect_open(0, 1, SEGUE_OK);
    m = segue_decoder_metadata(d);
    assert_int_equal(segue_metadata_count(m, "TITLE"), 1);
    assert_int_equal(read_all(d, 64), 3);
    segue_decoder_destroy(d);

    /* The last chunk without its pad byte is tolerated. */
    assert_true(g_file.n % 2 == 0);
    size_t id3_at = g_file.n - 8 - 29 - 1; /* chunk header + 29-byte tag + pad */
    assert_memory_equal(g_file.d + id3_at, "id3 ", 4);
    g_file.n--;
    riff_end(&g_file);
    d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(segue_metadata_count(segue_decoder_metadata(d), "TITLE"), 2);
    segue_decoder_destroy(d);
}

static void test_max_metadata(void **state)
{
    (void)state;
    build_tagged();
    segue_decoder *d = NULL;
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, g_file.d, g_file.n), SEGUE_OK);
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.max_metadata_bytes = 20;
    assert_int_equal(segue_decoder_open(&d, &io, &cfg), SEGUE_OK);
    const segue_metadata *m = segue_decoder_metadata(d);
    assert_int_equal(segue_metadata_count(m, "TITLE"), 0);
    assert_true(segue_metadata_unmapped_count(m) >= 2); /* LIST and id3 noted */
    assert_int_equal(read_all(d, 64), 3);
    segue_decoder_destroy(d);
}

static void test_damaged_id3_chunk(void **state)
{
    (void)state;
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 1, 22050, 16);
    size_t at = chunk_begin(&g_file, "id3 ");
    id3_tag(&g_file, "Kept");
    /* A second frame that claims 1000 bytes. */
    raw(&g_file, "TPE1", 4);
    put8(&g_file, 0), put8(&g_file, 0), put8(&g_file, 0x03), put8(&g_file, 0xE8);
    put8(&g_file, 0), put8(&g_file, 0), put8(&g_file, 0), raw(&g_file, "x", 1);
    size_t tag_body = g_file.n - (at + 4) - 10;
    g_file.d[at + 4 + 8] = (uint8_t)(tag_body >> 7), g_file.d[at + 4 + 9] = (uint8_t)(tag_body & 0x7F);
    chunk_end(&g_file, at);
    at = chunk_begin(&g_file, "data");
    le16(&g_file, 1);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    segue_decoder *d = expect_open(1, 0, SEGUE_OK);
    const segue_metadata *m = segue_decoder_metadata(d);
    assert_string_equal(segue_metadata_get(m, "TITLE", 0), "Kept");
    assert_true(segue_metadata_unmapped_count(m) >= 1);
    segue_decoder_destroy(d);
    d = NULL;
    assert_int_equal(open_bytes(g_file.d, g_file.n, 1, 1, NULL, &d), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(segue_decoder_last_error(d), "TPE1"));
    segue_decoder_destroy(d);
}

static void test_fmt_after_data(void **state)
{
    (void)state;
    riff_begin(&g_file, "RIFF");
    size_t at = chunk_begin(&g_file, "data");
    le16(&g_file, 0x4000), le16(&g_file, 0xC000);
    chunk_end(&g_file, at);
    fmt_pcm(&g_file, 1, 1, 8000, 16);
    riff_end(&g_file);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(read_all(d, 64), 2);
    assert_true(g_pcm[0] == 0.5f && g_pcm[1] == -0.5f);
    segue_decoder_destroy(d);
    expect_error_text(0, SEGUE_ERR_CORRUPT, "before 'fmt '");
}

static void test_size_markers(void **state)
{
    (void)state;
    /* ffmpeg/sox writing to a pipe: sizes 0xFFFFFFFF, audio to the end. */
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 2, 8000, 16);
    tag4(&g_file, "data");
    le32(&g_file, 0xFFFFFFFFu);
    for (int i = 0; i < 10; i++)
        le16(&g_file, (unsigned)(i * 100));
    patch_le32(&g_file, 4, 0xFFFFFFFFu);
    for (int seekable = 0; seekable < 2; seekable++) {
        segue_decoder *d = expect_open(seekable, 1, SEGUE_OK);
        assert_int_equal(segue_decoder_info(d)->frames, seekable ? 5 : -1);
        assert_int_equal(read_all(d, 64), 5);
        assert_true(g_pcm[9] == 900 / 32768.0f);
        segue_decoder_destroy(d);
    }
    /* Size 0 with RIFF size 0: the same convention. */
    patch_le32(&g_file, 4, 0);
    patch_le32(&g_file, 40, 0);
    for (int seekable = 0; seekable < 2; seekable++) {
        segue_decoder *d = expect_open(seekable, 1, SEGUE_OK);
        assert_int_equal(read_all(d, 64), 5);
        segue_decoder_destroy(d);
    }
    /* A partial last frame (3 trailing bytes) is dropped. */
    put8(&g_file, 1), put8(&g_file, 2), put8(&g_file, 3);
    segue_decoder *d = expect_open(0, 0, SEGUE_OK);
    assert_int_equal(read_all(d, 64), 5);
    segue_decoder_destroy(d);
}

static void test_bytes_after_riff(void **state)
{
    (void)state;
    /* An ID3v1 tag appended after the RIFF is not a chunk, even in strict
     * mode: the RIFF size says where the chunks end. */
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 1, 8000, 16);
    size_t at = chunk_begin(&g_file, "data");
    le16(&g_file, 0x4000);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    raw(&g_file, "TAG", 3);
    for (int i = 0; i < 125; i++)
        put8(&g_file, 0xFF);
    for (int seekable = 0; seekable < 2; seekable++) {
        segue_decoder *d = expect_open(seekable, 1, SEGUE_OK);
        assert_int_equal(read_all(d, 64), 1);
        segue_decoder_destroy(d);
    }
    /* Without a usable RIFF size, trailing junk is tolerated unless strict. */
    patch_le32(&g_file, 4, 0xFFFFFFFFu);
    segue_decoder *d = expect_open(1, 0, SEGUE_OK);
    assert_int_equal(read_all(d, 64), 1);
    segue_decoder_destroy(d);
    expect_open(1, 1, SEGUE_ERR_CORRUPT);
}

static void test_data_past_end(void **state)
{
    (void)state;
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 1, 8000, 16);
    tag4(&g_file, "data");
    le32(&g_file, 1000);
    le16(&g_file, 1), le16(&g_file, 2), le16(&g_file, 3);
    riff_end(&g_file);
    segue_decoder *d = expect_open(1, 0, SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->frames, 3);
    assert_int_equal(read_all(d, 64), 3);
    segue_decoder_destroy(d);
    expect_open(1, 1, SEGUE_ERR_CORRUPT);
    /* On a pipe the shortfall shows while reading: strict reports it. */
    d = expect_open(0, 0, SEGUE_OK);
    assert_int_equal(read_all(d, 64), 3);
    segue_decoder_destroy(d);
    d = expect_open(0, 1, SEGUE_OK);
    size_t got;
    segue_status st = segue_decoder_read_f32(d, g_pcm, 100, &got);
    assert_int_equal(st, SEGUE_ERR_CORRUPT);
    segue_decoder_destroy(d);
}

static void test_seek(void **state)
{
    (void)state;
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 2, 8000, 16);
    size_t at = chunk_begin(&g_file, "data");
    for (int i = 0; i < 10000; i++)
        le16(&g_file, (unsigned)(i & 0x7FFF)), le16(&g_file, 0);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->seekable, 1);
    assert_int_equal(segue_decoder_seek(d, 5000), SEGUE_OK);
    size_t got;
    assert_int_equal(segue_decoder_read_f32(d, g_pcm, 10, &got), SEGUE_OK);
    assert_int_equal(got, 10);
    assert_true(g_pcm[0] == 5000 / 32768.0f);
    assert_int_equal(segue_decoder_seek(d, 10000), SEGUE_OK);
    assert_int_equal(segue_decoder_read_f32(d, g_pcm, 10, &got), SEGUE_END_OF_STREAM);
    assert_int_equal(segue_decoder_seek(d, 0), SEGUE_OK);
    assert_int_equal(read_all(d, 65536), 10000);
    segue_decoder_destroy(d);
    d = expect_open(0, 1, SEGUE_OK);
    assert_int_equal(segue_decoder_seek(d, 5), SEGUE_ERR_NOT_SEEKABLE);
    segue_decoder_destroy(d);
}

static void test_rf64_read(void **state)
{
    (void)state;
    /* RF64 and BW64 with a ds64 that also carries a table entry. */
    for (int bw = 0; bw < 2; bw++) {
        riff_begin(&g_file, bw ? "BW64" : "RF64");
        patch_le32(&g_file, 4, 0xFFFFFFFFu);
        size_t at = chunk_begin(&g_file, "ds64");
        le64(&g_file, 0), le64(&g_file, 8), le64(&g_file, 4), le32(&g_file, 1);
        tag4(&g_file, "big "), le64(&g_file, 2);
        chunk_end(&g_file, at);
        fmt_pcm(&g_file, 1, 1, 8000, 16);
        tag4(&g_file, "big "), le32(&g_file, 0xFFFFFFFFu), le16(&g_file, 0);
        tag4(&g_file, "data"), le32(&g_file, 0xFFFFFFFFu);
        for (int i = 0; i < 6; i++)
            le16(&g_file, 0x100); /* 4 bytes beyond the ds64 size: trailing junk */
        for (int seekable = 0; seekable < 2; seekable++) {
            segue_decoder *d = expect_open(seekable, 0, SEGUE_OK);
            assert_string_equal(segue_decoder_info(d)->container, "rf64");
            assert_int_equal(segue_decoder_info(d)->frames, 4);
            assert_int_equal(read_all(d, 64), 4);
            segue_decoder_destroy(d);
        }
    }
    /* A ds64 table length of 0xFFFFFFFF is bounded by the chunk. */
    riff_begin(&g_file, "RF64");
    size_t at = chunk_begin(&g_file, "ds64");
    le64(&g_file, 0), le64(&g_file, 2), le64(&g_file, 1), le32(&g_file, 0xFFFFFFFFu);
    chunk_end(&g_file, at);
    fmt_pcm(&g_file, 1, 1, 8000, 16);
    tag4(&g_file, "data"), le32(&g_file, 0xFFFFFFFFu), le16(&g_file, 7);
    segue_decoder *d = expect_open(1, 1, SEGUE_OK);
    assert_int_equal(read_all(d, 64), 1);
    segue_decoder_destroy(d);
    /* ds64 too short. */
    riff_begin(&g_file, "RF64");
    at = chunk_begin(&g_file, "ds64");
    le64(&g_file, 0);
    chunk_end(&g_file, at);
    expect_error_text(1, SEGUE_ERR_CORRUPT, "'ds64' chunk is 8 bytes");
}

/* ---- demuxer: malformed input ------------------------------------------------ */

static void test_truncation_every_offset(void **state)
{
    (void)state;
    build_tagged();
    static uint8_t copy[BB_MAX];
    size_t full = g_file.n;
    memcpy(copy, g_file.d, full);
    size_t data_hdr = 0;
    for (size_t i = 12; i + 4 <= full; i++)
        if (memcmp(copy + i, "data", 4) == 0) {
            data_hdr = i;
            break;
        }
    assert_true(data_hdr > 12);
    for (size_t cut = 0; cut < full; cut++) {
        for (int seekable = 0; seekable < 2; seekable++) {
            for (int forced = 0; forced < 2; forced++) {
                segue_decoder *d = NULL;
                segue_status st = open_bytes(copy, cut, seekable, 0, forced ? "wav" : NULL, &d);
                assert_non_null(d);
                if (cut < data_hdr + 8) {
                    if (st >= 0)
                        print_error("cut %zu seekable %d forced %d opened\n", cut, seekable, forced);
                    assert_true(st == SEGUE_ERR_CORRUPT || st == SEGUE_ERR_UNKNOWN_FORMAT);
                    if (cut >= 12)
                        assert_int_equal(st, SEGUE_ERR_CORRUPT);
                    assert_true(strlen(segue_decoder_last_error(d)) > 0);
                } else {
                    assert_int_equal(st, SEGUE_OK);
                    size_t frames = read_all(d, 64);
                    size_t avail = cut - (data_hdr + 8);
                    assert_int_equal(frames, (avail < 6 ? avail : 6) / 2);
                }
                segue_decoder_destroy(d);
            }
        }
    }
}

static void test_garbage(void **state)
{
    (void)state;
    segue_decoder *d = NULL;
    static const uint8_t one = 0;
    assert_true(open_bytes(&one, 0, 1, 0, NULL, &d) < 0);
    assert_true(strlen(segue_decoder_last_error(d)) > 0);
    segue_decoder_destroy(d);
    d = NULL;
    assert_true(open_bytes(&one, 0, 1, 0, "wav", &d) < 0);
    segue_decoder_destroy(d);

    static const uint8_t png[32] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    d = NULL;
    assert_int_equal(open_bytes(png, sizeof png, 1, 0, NULL, &d), SEGUE_ERR_UNKNOWN_FORMAT);
    assert_true(strlen(segue_decoder_last_error(d)) > 0);
    segue_decoder_destroy(d);
    d = NULL;
    assert_int_equal(open_bytes(png, sizeof png, 0, 0, "wav", &d), SEGUE_ERR_UNKNOWN_FORMAT);
    assert_non_null(strstr(segue_decoder_last_error(d), "wav:"));
    segue_decoder_destroy(d);

    /* RIFF but not WAVE. */
    riff_begin(&g_file, "RIFF");
    memcpy(g_file.d + 8, "AVI ", 4);
    le32(&g_file, 0);
    d = NULL;
    assert_int_equal(open_bytes(g_file.d, g_file.n, 1, 0, "wav", &d), SEGUE_ERR_UNKNOWN_FORMAT);
    assert_non_null(strstr(segue_decoder_last_error(d), "AVI"));
    segue_decoder_destroy(d);

    /* Binary junk where a chunk id should be. */
    riff_begin(&g_file, "RIFF");
    for (int i = 0; i < 40; i++)
        put8(&g_file, (unsigned)(i * 37 + 1) & 0xFF);
    expect_error_text(1, SEGUE_ERR_CORRUPT, "wav:");
}

static void test_absurd_fields(void **state)
{
    (void)state;
    static const struct {
        unsigned tag, channels, bits, block;
        uint32_t rate;
        segue_status want;
        const char *text;
    } cases[] = {
        {1, 0, 16, 2, 44100, SEGUE_ERR_CORRUPT, "nChannels is 0"},
        {1, 65535, 16, 2, 44100, SEGUE_ERR_UNSUPPORTED, "65535 channels"},
        {1, 33, 16, 66, 44100, SEGUE_ERR_UNSUPPORTED, "33 channels"},
        {1, 2, 16, 0, 44100, SEGUE_ERR_CORRUPT, "nBlockAlign is 0"},
        {1, 2, 16, 3, 44100, SEGUE_ERR_CORRUPT, "nBlockAlign is 3"},
        {1, 2, 16, 4, 0, SEGUE_ERR_CORRUPT, "sample rate is 0"},
        {1, 2, 16, 4, 0x80000000u, SEGUE_ERR_UNSUPPORTED, "2147483648 Hz"},
        {1, 2, 16, 4, 768001, SEGUE_ERR_UNSUPPORTED, "768001"},
        {1, 2, 0, 4, 44100, SEGUE_ERR_CORRUPT, "wBitsPerSample is 0"},
        {1, 2, 48, 12, 44100, SEGUE_ERR_UNSUPPORTED, "48-bit"},
        {3, 2, 24, 6, 44100, SEGUE_ERR_UNSUPPORTED, "24-bit IEEE float"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        riff_begin(&g_file, "RIFF");
        size_t at = chunk_begin(&g_file, "fmt ");
        le16(&g_file, cases[i].tag), le16(&g_file, cases[i].channels), le32(&g_file, cases[i].rate);
        le32(&g_file, 0), le16(&g_file, cases[i].block), le16(&g_file, cases[i].bits);
        chunk_end(&g_file, at);
        at = chunk_begin(&g_file, "data");
        le32(&g_file, 0);
        chunk_end(&g_file, at);
        riff_end(&g_file);
        expect_error_text(1, cases[i].want, cases[i].text);
    }

    /* fmt chunk too short. */
    riff_begin(&g_file, "RIFF");
    size_t at = chunk_begin(&g_file, "fmt ");
    le16(&g_file, 1), le16(&g_file, 2), le32(&g_file, 44100), le32(&g_file, 0);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    expect_error_text(1, SEGUE_ERR_CORRUPT, "12 bytes, need 16");
    expect_error_text(0, SEGUE_ERR_CORRUPT, "12 bytes, need 16");

    /* Chunk sizes near 4 GiB. */
    static const char *const ids[] = {"fmt ", "LIST", "JUNK", "id3 "};
    for (size_t i = 0; i < 4; i++) {
        riff_begin(&g_file, "RIFF");
        tag4(&g_file, ids[i]);
        le32(&g_file, 0xFFFFFFF0u);
        for (int k = 0; k < 40; k++)
            put8(&g_file, 'I');
        riff_end(&g_file);
        expect_open(1, 0, SEGUE_ERR_CORRUPT);
        expect_open(0, 0, SEGUE_ERR_CORRUPT);
    }

    /* Missing data / missing fmt. */
    riff_begin(&g_file, "RIFF");
    fmt_pcm(&g_file, 1, 2, 44100, 16);
    riff_end(&g_file);
    expect_error_text(1, SEGUE_ERR_CORRUPT, "no 'data' chunk");
    expect_error_text(0, SEGUE_ERR_CORRUPT, "no 'data' chunk");
    riff_begin(&g_file, "RIFF");
    at = chunk_begin(&g_file, "data");
    le32(&g_file, 0);
    chunk_end(&g_file, at);
    riff_end(&g_file);
    expect_error_text(1, SEGUE_ERR_CORRUPT, "no 'fmt ' chunk");
}

/* ---- muxer ------------------------------------------------------------------------ */

typedef struct encoded {
    uint8_t bytes[BB_MAX];
    size_t size;
} encoded;

static encoded g_out;

/* Encodes `frames` frames of a ramp; copies the output into g_out. */
static segue_status encode(const segue_encoder_config *cfg_in, size_t frames, int seekable,
                           segue_metadata *unmapped_copy)
{
    segue_io sink;
    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    segue_io handed = sink;
    if (!seekable)
        handed.seek = NULL, handed.tell = NULL;
    segue_encoder *e = NULL;
    segue_status st = segue_encoder_open(&e, &handed, cfg_in);
    assert_non_null(e);
    if (st < 0) {
        assert_true(strlen(segue_encoder_last_error(e)) > 0);
        segue_encoder_destroy(e);
        return st;
    }
    static float pcm[4096 * 8];
    uint32_t ch = cfg_in->channels;
    size_t done = 0;
    while (done < frames && st >= 0) {
        size_t n = frames - done < 4096 ? frames - done : 4096;
        for (size_t i = 0; i < n * ch; i++)
            pcm[i] = (float)((int)((done * ch + i) % 200) - 100) / 128.0f;
        st = segue_encoder_write_f32(e, pcm, n);
        done += n;
    }
    if (st >= 0)
        st = segue_encoder_finish(e);
    if (st < 0)
        assert_true(strlen(segue_encoder_last_error(e)) > 0);
    size_t size = 0;
    const void *data = segue_io_memory_sink_data(&sink, &size);
    assert_true(size <= sizeof g_out.bytes);
    if (size)
        memcpy(g_out.bytes, data, size);
    g_out.size = size;
    if (unmapped_copy)
        assert_int_equal(segue_metadata_copy(unmapped_copy, segue_encoder_unmapped(e)), SEGUE_OK);
    segue_encoder_destroy(e);
    return st;
}

static void base_config(segue_encoder_config *cfg, uint32_t channels, segue_sample_format fmt)
{
    segue_encoder_config_default(cfg);
    cfg->sample_rate = 44100;
    cfg->channels = channels;
    cfg->sample_format = fmt;
}

static const uint8_t *find_chunk(const uint8_t *file, size_t size, const char *id)
{
    size_t off = 12;
    while (off + 8 <= size) {
        if (memcmp(file + off, id, 4) == 0)
            return file + off;
        uint32_t s = get_le32(file + off + 4);
        if (s == 0xFFFFFFFFu)
            return NULL;
        off += 8 + s + (s & 1);
    }
    return NULL;
}

static void test_mux_roundtrip(void **state)
{
    (void)state;
    static const segue_sample_format fmts[] = {SEGUE_SAMPLE_U8, SEGUE_SAMPLE_S16, SEGUE_SAMPLE_S24,
                                               SEGUE_SAMPLE_S32, SEGUE_SAMPLE_F32, SEGUE_SAMPLE_F64};
    static const uint32_t chans[] = {1, 2, 6};
    for (size_t f = 0; f < 6; f++) {
        for (size_t c = 0; c < 3; c++) {
            for (int seekable = 0; seekable < 2; seekable++) {
                segue_encoder_config cfg;
                base_config(&cfg, chans[c], fmts[f]);
                const size_t frames = 1001;
                assert_int_equal(encode(&cfg, frames, seekable, NULL), SEGUE_OK);
                const uint8_t *fmt = find_chunk(g_out.bytes, g_out.size, "fmt ");
                assert_non_null(fmt);
                unsigned tag = (unsigned)fmt[8] | ((unsigned)fmt[9] << 8);
                int is_float = fmts[f] == SEGUE_SAMPLE_F32 || fmts[f] == SEGUE_SAMPLE_F64;
                unsigned bits = segue_sample_format_bits(fmts[f]);
                unsigned want = chans[c] > 2 || (!is_float && bits > 16) ? 0xFFFE : is_float ? 3 : 1;
                assert_int_equal(tag, want);
                assert_int_equal(find_chunk(g_out.bytes, g_out.size, "fact") != NULL, is_float);
                if (seekable) {
                    assert_int_equal(get_le32(g_out.bytes + 4), g_out.size - 8);
                    assert_memory_equal(g_out.bytes + 12, "JUNK", 4);
                } else {
                    assert_int_equal(get_le32(g_out.bytes + 4), 0xFFFFFFFFu);
                }
                segue_decoder *d = NULL;
                assert_int_equal(open_bytes(g_out.bytes, g_out.size, 1, 1, NULL, &d), SEGUE_OK);
                const segue_stream_info *info = segue_decoder_info(d);
                assert_int_equal(info->source_format, fmts[f]);
                assert_int_equal(info->channels, chans[c]);
                assert_int_equal(info->frames, frames);
                assert_int_equal(read_all(d, 65536), frames);
                for (size_t i = 0; i < frames * chans[c]; i++)
                    assert_true(g_pcm[i] == (float)((int)(i % 200) - 100) / 128.0f);
                segue_decoder_destroy(d);
            }
        }
    }
}

static void test_mux_pad_and_exact_pipe(void **state)
{
    (void)state;
    segue_encoder_config cfg;
    base_config(&cfg, 1, SEGUE_SAMPLE_U8);
    assert_int_equal(encode(&cfg, 3, 1, NULL), SEGUE_OK);
    assert_int_equal(g_out.size % 2, 0);
    const uint8_t *data = find_chunk(g_out.bytes, g_out.size, "data");
    assert_int_equal(get_le32(data + 4), 3);
    assert_int_equal(g_out.bytes + g_out.size - (data + 8), 4); /* 3 + pad */

    /* A pipe with total_frames: exact sizes up front. */
    cfg.total_frames = 3;
    assert_int_equal(encode(&cfg, 3, 0, NULL), SEGUE_OK);
    assert_int_equal(get_le32(g_out.bytes + 4), g_out.size - 8);
    data = find_chunk(g_out.bytes, g_out.size, "data");
    assert_int_equal(get_le32(data + 4), 3);
    /* ... and a mismatch is a state error. */
    assert_int_equal(encode(&cfg, 2, 0, NULL), SEGUE_ERR_STATE);
}

static void test_mux_tags(void **state)
{
    (void)state;
    segue_metadata *m = NULL, *unmapped = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_create(&unmapped, NULL), SEGUE_OK);
    segue_metadata_add(m, "TITLE", "T\xC3\xAFtle");
    segue_metadata_add(m, "ARTIST", "A1");
    segue_metadata_add(m, "ARTIST", "A2");
    segue_metadata_add(m, "COMPOSER", "C");
    segue_metadata_add(m, "IENG", "engineer");
    segue_metadata_add(m, "TRACKNUMBER", "4");
    static const uint8_t jpeg[4] = {0xFF, 0xD8, 0xFF, 0xE0};
    segue_picture pic = {3, "image/jpeg", "", 0, 0, jpeg, sizeof jpeg};
    segue_metadata_add_picture(m, &pic);
    segue_loudness l;
    memset(&l, 0, sizeof l);
    l.has_track_gain = 1;
    l.track_gain_db = -3.0;
    segue_metadata_set_loudness(m, &l);

    segue_encoder_config cfg;
    base_config(&cfg, 2, SEGUE_SAMPLE_S16);
    cfg.metadata = m;
    assert_int_equal(encode(&cfg, 10, 1, unmapped), SEGUE_OK);
    int saw_composer = 0, saw_picture = 0, saw_artist = 0, saw_rg = 0;
    for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
        const char *what, *why;
        segue_metadata_unmapped_at(unmapped, i, &what, &why);
        assert_non_null(strstr(why, "wav:"));
        saw_composer |= strcmp(what, "COMPOSER") == 0;
        saw_picture |= strcmp(what, "PICTURE") == 0;
        saw_artist |= strcmp(what, "ARTIST") == 0;
        saw_rg |= strcmp(what, "REPLAYGAIN") == 0;
    }
    assert_true(saw_composer && saw_picture && saw_artist && saw_rg);
    segue_decoder *d = NULL;
    assert_int_equal(open_bytes(g_out.bytes, g_out.size, 0, 1, NULL, &d), SEGUE_OK);
    const segue_metadata *got = segue_decoder_metadata(d);
    assert_string_equal(segue_metadata_get(got, "TITLE", 0), "T\xC3\xAFtle");
    assert_string_equal(segue_metadata_get(got, "ARTIST", 0), "A1");
    assert_int_equal(segue_metadata_count(got, "ARTIST"), 1);
    assert_string_equal(segue_metadata_get(got, "IENG", 0), "engineer");
    assert_string_equal(segue_metadata_get(got, "TRACKNUMBER", 0), "4");
    assert_int_equal(read_all(d, 64), 10);
    segue_decoder_destroy(d);
    segue_metadata_destroy(m);
    segue_metadata_destroy(unmapped);
}

static void test_mux_rf64_always(void **state)
{
    (void)state;
    for (int seekable = 0; seekable < 2; seekable++) {
        for (int hint = 0; hint < 2; hint++) {
            segue_encoder_config cfg;
            base_config(&cfg, 2, SEGUE_SAMPLE_S16);
            cfg.rf64 = SEGUE_RF64_ALWAYS;
            cfg.total_frames = hint ? 100 : -1;
            assert_int_equal(encode(&cfg, 100, seekable, NULL), SEGUE_OK);
            const uint8_t *b = g_out.bytes;
            assert_memory_equal(b, "RF64", 4);
            assert_int_equal(get_le32(b + 4), 0xFFFFFFFFu);
            assert_memory_equal(b + 12, "ds64", 4); /* first chunk [3306] */
            assert_int_equal(get_le32(b + 16), 28);
            const uint8_t *data = find_chunk(b, g_out.size, "data");
            assert_non_null(data);
            assert_int_equal(get_le32(data + 4), 0xFFFFFFFFu);
            if (seekable || hint) {
                assert_int_equal(get_le64(b + 20), g_out.size - 8);
                assert_int_equal(get_le64(b + 28), 400);
                assert_int_equal(get_le64(b + 36), 100);
            } else {
                assert_int_equal(get_le64(b + 28), 0); /* unknown length, as ffmpeg writes */
            }
            for (int dec_seekable = 0; dec_seekable < 2; dec_seekable++) {
                segue_decoder *d = NULL;
                assert_int_equal(open_bytes(b, g_out.size, dec_seekable, 1, NULL, &d), SEGUE_OK);
                assert_string_equal(segue_decoder_info(d)->container, "rf64");
                assert_int_equal(read_all(d, 65536), 100);
                segue_decoder_destroy(d);
            }
        }
    }
    /* NEVER: no room reserved, fmt comes first. */
    segue_encoder_config cfg;
    base_config(&cfg, 2, SEGUE_SAMPLE_S16);
    cfg.rf64 = SEGUE_RF64_NEVER;
    assert_int_equal(encode(&cfg, 10, 1, NULL), SEGUE_OK);
    assert_memory_equal(g_out.bytes, "RIFF", 4);
    assert_memory_equal(g_out.bytes + 12, "fmt ", 4);
}

/* A write-only sink that keeps what is written in g_out (no close, so the
 * bytes survive the encoder). */
static long capture_write(void *user, const void *buf, size_t size)
{
    (void)user;
    size_t keep = size < sizeof g_out.bytes - g_out.size ? size : sizeof g_out.bytes - g_out.size;
    memcpy(g_out.bytes + g_out.size, buf, keep);
    g_out.size += keep;
    return (long)size;
}

/* Claims seekability without moving: enough for a header that is never
 * patched (the encoder is destroyed unfinished). */
static int capture_seek(void *user, int64_t offset, segue_whence whence)
{
    (void)user, (void)offset, (void)whence;
    return 0;
}

static void test_mux_rf64_decision(void **state)
{
    (void)state;
    const uint64_t limit = 0xFFFFFFFFu, unknown = UINT64_MAX;
    enum { AUTO = SEGUE_RF64_AUTO, NEVER = SEGUE_RF64_NEVER, ALWAYS = SEGUE_RF64_ALWAYS };
    /* At open. */
    assert_int_equal(segue_wav_rf64_decision(ALWAYS, 0, 1, 100), 1);
    assert_int_equal(segue_wav_rf64_decision(AUTO, 0, 1, limit + 1), 0); /* converted at finish */
    assert_int_equal(segue_wav_rf64_decision(AUTO, 0, 0, limit + 1), 1); /* pipe, known too big */
    assert_int_equal(segue_wav_rf64_decision(AUTO, 0, 0, limit), 0);
    assert_int_equal(segue_wav_rf64_decision(AUTO, 0, 0, unknown), 0);
    assert_int_equal(segue_wav_rf64_decision(NEVER, 0, 0, limit + 1), SEGUE_ERR_TOO_LARGE);
    assert_int_equal(segue_wav_rf64_decision(NEVER, 0, 1, unknown), 0);
    /* At finish. */
    assert_int_equal(segue_wav_rf64_decision(AUTO, 1, 1, limit), 0);
    assert_int_equal(segue_wav_rf64_decision(AUTO, 1, 1, limit + 1), 1);
    assert_int_equal(segue_wav_rf64_decision(NEVER, 1, 1, limit), 0);
    assert_int_equal(segue_wav_rf64_decision(NEVER, 1, 1, limit + 1), SEGUE_ERR_TOO_LARGE);
    assert_int_equal(segue_wav_rf64_decision(ALWAYS, 1, 0, 10), 1);

    /* Through the API with a huge announced length (nothing written). */
    segue_encoder_config cfg;
    base_config(&cfg, 2, SEGUE_SAMPLE_S16);
    cfg.total_frames = INT64_C(1) << 31; /* 8 GiB */
    cfg.rf64 = SEGUE_RF64_NEVER;
    segue_io sink;
    segue_encoder *e = NULL;
    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    assert_int_equal(segue_encoder_open(&e, &sink, &cfg), SEGUE_ERR_TOO_LARGE);
    assert_non_null(strstr(segue_encoder_last_error(e), "wav:"));
    segue_encoder_destroy(e);
    /* AUTO on a pipe: RF64 up front with exact 64-bit sizes. The capture
     * sink keeps the header the writer flushes when the (unfinished)
     * encoder is destroyed. */
    cfg.rf64 = SEGUE_RF64_AUTO;
    segue_io pipe;
    memset(&pipe, 0, sizeof pipe);
    pipe.write = capture_write;
    g_out.size = 0;
    e = NULL;
    assert_int_equal(segue_encoder_open(&e, &pipe, &cfg), SEGUE_OK);
    segue_encoder_destroy(e);
    assert_true(g_out.size >= 80);
    assert_memory_equal(g_out.bytes, "RF64", 4);
    assert_memory_equal(g_out.bytes + 12, "ds64", 4);
    assert_int_equal(get_le64(g_out.bytes + 28), (UINT64_C(1) << 31) * 4);
    assert_int_equal(get_le64(g_out.bytes + 36), UINT64_C(1) << 31);
    assert_int_equal(get_le64(g_out.bytes + 20), (UINT64_C(1) << 31) * 4 + 36 + 4 + 24 + 8);
    /* Same length on a seekable sink: plain RIFF with room reserved. */
    g_out.size = 0;
    pipe.seek = capture_seek;
    e = NULL;
    assert_int_equal(segue_encoder_open(&e, &pipe, &cfg), SEGUE_OK);
    segue_encoder_destroy(e);
    assert_memory_equal(g_out.bytes, "RIFF", 4);
    assert_memory_equal(g_out.bytes + 12, "JUNK", 4);
}

static void test_mux_setup_errors(void **state)
{
    (void)state;
    static const struct {
        uint32_t channels, rate;
        segue_sample_format fmt;
        const char *codec;
        uint32_t mask;
        segue_status want;
    } cases[] = {
        {0, 44100, SEGUE_SAMPLE_S16, NULL, 0, SEGUE_ERR_INVALID_ARGUMENT},
        {33, 44100, SEGUE_SAMPLE_S16, NULL, 0, SEGUE_ERR_INVALID_ARGUMENT},
        {2, 0, SEGUE_SAMPLE_S16, NULL, 0, SEGUE_ERR_INVALID_ARGUMENT},
        {2, 768001, SEGUE_SAMPLE_S16, NULL, 0, SEGUE_ERR_INVALID_ARGUMENT},
        {2, 44100, SEGUE_SAMPLE_S8, NULL, 0, SEGUE_ERR_INVALID_ARGUMENT},
        {2, 44100, SEGUE_SAMPLE_S16, "mp3", 0, SEGUE_ERR_UNSUPPORTED},
        {2, 44100, SEGUE_SAMPLE_S16, NULL, 0x7, SEGUE_ERR_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        segue_encoder_config cfg;
        base_config(&cfg, cases[i].channels, cases[i].fmt);
        cfg.sample_rate = cases[i].rate;
        cfg.codec = cases[i].codec;
        cfg.channel_mask = cases[i].mask;
        assert_int_equal(encode(&cfg, 1, 1, NULL), cases[i].want);
    }
    /* A non-default mask on stereo needs WAVE_FORMAT_EXTENSIBLE. */
    segue_encoder_config cfg;
    base_config(&cfg, 2, SEGUE_SAMPLE_S16);
    cfg.channel_mask = 0x30; /* back left/right */
    assert_int_equal(encode(&cfg, 5, 1, NULL), SEGUE_OK);
    const uint8_t *fmt = find_chunk(g_out.bytes, g_out.size, "fmt ");
    assert_int_equal((unsigned)fmt[8] | ((unsigned)fmt[9] << 8), 0xFFFE);
    segue_decoder *d = NULL;
    assert_int_equal(open_bytes(g_out.bytes, g_out.size, 1, 1, NULL, &d), SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->channel_mask, 0x30);
    segue_decoder_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcm_16),
        cmocka_unit_test(test_pcm_8_24_32_float),
        cmocka_unit_test(test_extensible),
        cmocka_unit_test(test_unsupported_tags),
        cmocka_unit_test(test_info_and_id3),
        cmocka_unit_test(test_max_metadata),
        cmocka_unit_test(test_damaged_id3_chunk),
        cmocka_unit_test(test_fmt_after_data),
        cmocka_unit_test(test_size_markers),
        cmocka_unit_test(test_bytes_after_riff),
        cmocka_unit_test(test_data_past_end),
        cmocka_unit_test(test_seek),
        cmocka_unit_test(test_rf64_read),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_absurd_fields),
        cmocka_unit_test(test_mux_roundtrip),
        cmocka_unit_test(test_mux_pad_and_exact_pipe),
        cmocka_unit_test(test_mux_tags),
        cmocka_unit_test(test_mux_rf64_always),
        cmocka_unit_test(test_mux_rf64_decision),
        cmocka_unit_test(test_mux_setup_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
