/*
 * tests/mp3demux/test_mp3demux.c - the MP3 demuxer (container/mp3.c) on
 * streams built byte by byte in memory: frames with all-zero side
 * information (valid, silent Layer III), free format, Layer I/II, Xing +
 * LAME tags with computed CRCs, VBRI, ID3v2/APE/ID3v1 tags, junk and
 * truncation. The demuxer is driven directly (open/read_packet/seek), over
 * a seekable memory io and over a one-byte-per-read pipe, so no decoder is
 * needed. ASan/LSan catch memory errors and leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

#include "container/container.h"
#include "core/alloc.h"
#include "core/reader.h"

/* ---- a byte builder ------------------------------------------------------ */

#define BB_MAX (1u << 20)

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
static void raw(bb *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(b, ((const uint8_t *)p)[i]);
}
static void be32(bb *b, uint32_t v)
{
    put8(b, v >> 24), put8(b, (v >> 16) & 0xFF), put8(b, (v >> 8) & 0xFF), put8(b, v & 0xFF);
}
static void le32(bb *b, uint32_t v)
{
    put8(b, v & 0xFF), put8(b, (v >> 8) & 0xFF), put8(b, (v >> 16) & 0xFF), put8(b, v >> 24);
}
static void zeros(bb *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(b, 0);
}

/* MPEG-1 Layer III, 44.1 kHz: bitrate index -> kbit/s. */
static const unsigned kbps_v1l3[15] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};

/* Header bytes. ver_bits: 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5; layer_bits: 1 = III,
 * 2 = II, 3 = I; mode 3 = mono. No CRC. */
static void header(uint8_t h[4], unsigned ver_bits, unsigned layer_bits, unsigned br, unsigned sr,
                   unsigned pad, unsigned mode)
{
    h[0] = 0xFF;
    h[1] = (uint8_t)(0xE0 | (ver_bits << 3) | (layer_bits << 1) | 1);
    h[2] = (uint8_t)((br << 4) | (sr << 2) | (pad << 1));
    h[3] = (uint8_t)(mode << 6);
}

/* A silent MPEG-1 Layer III 44.1 kHz stereo frame; returns its size. */
static size_t frame_l3(bb *b, unsigned br, unsigned pad)
{
    uint8_t h[4];
    header(h, 3, 1, br, 0, pad, 0);
    size_t size = 144u * kbps_v1l3[br] * 1000u / 44100u + pad;
    raw(b, h, 4);
    zeros(b, size - 4);
    return size;
}

/* n CBR frames at bitrate index br, padding like an encoder does. */
static void frames_cbr(bb *b, unsigned br, int n)
{
    unsigned long acc = 0;
    for (int i = 0; i < n; i++) {
        unsigned long exact = 144ul * kbps_v1l3[br] * 1000ul;
        acc += exact % 44100ul;
        unsigned pad = 0;
        if (acc >= 44100ul)
            acc -= 44100ul, pad = 1;
        frame_l3(b, br, pad);
    }
}

static uint16_t crc16_arc(const uint8_t *p, size_t n)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001u : crc >> 1;
    }
    return (uint16_t)crc;
}

/* A LAME-style Info/Xing frame (128 kbit/s, 417 bytes) with a LAME tag. */
static void xing_frame(bb *b, const char *tag, uint32_t frames, uint32_t bytes, unsigned delay,
                       unsigned padding, int good_crc)
{
    size_t start = b->n;
    frame_l3(b, 9, 0);
    uint8_t *f = b->d + start;
    size_t o = 4 + 32;
    memcpy(f + o, tag, 4);
    f[o + 7] = 15; /* frames, bytes, TOC, quality */
    f[o + 8] = (uint8_t)(frames >> 24), f[o + 9] = (uint8_t)(frames >> 16);
    f[o + 10] = (uint8_t)(frames >> 8), f[o + 11] = (uint8_t)frames;
    f[o + 12] = (uint8_t)(bytes >> 24), f[o + 13] = (uint8_t)(bytes >> 16);
    f[o + 14] = (uint8_t)(bytes >> 8), f[o + 15] = (uint8_t)bytes;
    for (int i = 0; i < 100; i++)
        f[o + 16 + (size_t)i] = (uint8_t)(i * 256 / 100);
    size_t l = o + 120;
    memcpy(f + l, "LAME3.100", 9);
    f[l + 9] = 0x01; /* rev 0, CBR */
    f[l + 21] = (uint8_t)(delay >> 4);
    f[l + 22] = (uint8_t)(((delay & 15) << 4) | (padding >> 8));
    f[l + 23] = (uint8_t)padding;
    uint16_t crc = crc16_arc(f, l + 34);
    if (!good_crc)
        crc ^= 0x5555;
    f[l + 34] = (uint8_t)(crc >> 8), f[l + 35] = (uint8_t)crc;
}

/* A minimal ID3v2.3 tag: TIT2 and optionally COMM "iTunSMPB". */
static void id3v23(bb *b, const char *title, const char *smpb, size_t pad)
{
    size_t start = b->n;
    raw(b, "ID3\x03\x00\x00", 6);
    zeros(b, 4);
    size_t body = b->n;
    size_t tl = strlen(title);
    raw(b, "TIT2", 4);
    be32(b, (uint32_t)(tl + 1));
    zeros(b, 2);
    put8(b, 0);
    raw(b, title, tl);
    if (smpb) {
        size_t sl = strlen(smpb);
        raw(b, "COMM", 4);
        be32(b, (uint32_t)(1 + 3 + 9 + sl));
        zeros(b, 2);
        put8(b, 0);
        raw(b, "eng", 3);
        raw(b, "iTunSMPB", 9);
        raw(b, smpb, sl);
    }
    zeros(b, pad);
    size_t n = b->n - body;
    uint8_t *s = b->d + start + 6;
    s[0] = (uint8_t)((n >> 21) & 0x7F), s[1] = (uint8_t)((n >> 14) & 0x7F);
    s[2] = (uint8_t)((n >> 7) & 0x7F), s[3] = (uint8_t)(n & 0x7F);
}

static void id3v1_tag(bb *b, const char *title)
{
    uint8_t t[128];
    memset(t, 0, sizeof t);
    memcpy(t, "TAG", 3);
    memcpy(t + 3, title, strlen(title));
    t[127] = 255;
    raw(b, t, sizeof t);
}

static void ape_tag(bb *b, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);
    uint32_t size = (uint32_t)(8 + kl + 1 + vl + 32);
    raw(b, "APETAGEX", 8), le32(b, 2000), le32(b, size), le32(b, 1), le32(b, 0xA0000000u), zeros(b, 8);
    le32(b, (uint32_t)vl), le32(b, 0), raw(b, key, kl), put8(b, 0), raw(b, value, vl);
    raw(b, "APETAGEX", 8), le32(b, 2000), le32(b, size), le32(b, 1), le32(b, 0x80000000u), zeros(b, 8);
}

/* ---- driving the demuxer ------------------------------------------------- */

typedef struct trickle {
    const uint8_t *p;
    size_t left;
} trickle;

static long trickle_read(void *user, void *buf, size_t size)
{
    trickle *t = user;
    if (!size || !t->left)
        return 0;
    *(uint8_t *)buf = *t->p++;
    t->left--;
    return 1;
}

typedef struct dm {
    segue_error err;
    segue_reader reader;
    segue_metadata *meta;
    segue_stream_info info;
    segue_decoder_config cfg;
    segue_demux_ctx ctx;
    const segue_demuxer_desc *desc;
    void *priv;
    segue_codec_params params;
    trickle t;
} dm;

static dm g_dm;

static segue_status dm_open(dm *m, const uint8_t *data, size_t size, int pipe, int strict)
{
    memset(m, 0, sizeof *m);
    segue_decoder_config_default(&m->cfg);
    m->cfg.strict = strict;
    segue_io io;
    if (pipe) {
        memset(&io, 0, sizeof io);
        m->t.p = data;
        m->t.left = size;
        io.read = trickle_read;
        io.user = &m->t;
    } else {
        assert_int_equal(segue_io_from_memory(&io, data, size), SEGUE_OK);
    }
    assert_int_equal(segue_reader_open(&m->reader, &io, NULL, &m->err), SEGUE_OK);
    assert_int_equal(segue_metadata_create(&m->meta, NULL), SEGUE_OK);
    m->desc = segue_demuxer_find("mp3");
    assert_non_null(m->desc);
    m->priv = segue_mem_calloc(NULL, 1, m->desc->priv_size);
    m->ctx.reader = &m->reader;
    m->ctx.allocator = segue_allocator_or_default(NULL);
    m->ctx.err = &m->err;
    m->ctx.metadata = m->meta;
    m->ctx.info = &m->info;
    m->ctx.cfg = &m->cfg;
    m->info.frames = -1;
    return m->desc->open(m->priv, &m->ctx, &m->params);
}

static void dm_close(dm *m)
{
    m->desc->close(m->priv, &m->ctx);
    segue_mem_free(NULL, m->priv);
    segue_metadata_destroy(m->meta);
    segue_reader_close(&m->reader);
}

/* Reads every packet; returns the count and fills sizes[] (if not NULL). */
static int dm_packets(dm *m, uint32_t *sizes, int cap, segue_status *end)
{
    segue_packet pkt;
    int n = 0;
    segue_status st;
    while ((st = m->desc->read_packet(m->priv, &m->ctx, &pkt)) == SEGUE_OK) {
        assert_int_equal(pkt.pts, (int64_t)n * m->params.max_packet_frames);
        assert_int_equal(pkt.frames, m->params.max_packet_frames);
        assert_true(pkt.size >= 4 && pkt.data[0] == 0xFF);
        if (sizes && n < cap)
            sizes[n] = (uint32_t)pkt.size;
        n++;
    }
    if (end)
        *end = st;
    return n;
}

static int probe_mp3(const uint8_t *d, size_t n)
{
    return segue_demuxer_find("mp3")->probe(d, n < SEGUE_PROBE_BYTES ? n : SEGUE_PROBE_BYTES);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_probe(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    frames_cbr(b, 9, 20);
    int plain = probe_mp3(b->d, b->n);
    assert_true(plain >= 80);
    assert_int_equal(probe_mp3(b->d, 4), 25); /* a lone header: modest */
    b->n = 0;
    id3v23(b, "t", NULL, 0);
    frames_cbr(b, 9, 20);
    assert_int_equal(probe_mp3(b->d, b->n), 100);
    b->n = 0;
    id3v23(b, "t", NULL, 0);
    raw(b, "fLaC", 4);
    zeros(b, 100);
    assert_int_equal(probe_mp3(b->d, b->n), 0); /* FLAC behind ID3v2 is FLAC's */
    b->n = 0;
    raw(b, "RIFF", 4);
    frames_cbr(b, 9, 5);
    assert_int_equal(probe_mp3(b->d, b->n), 0);
    b->n = 0;
    for (int i = 0; i < 1000; i++)
        put8(b, (unsigned)(i * 7 + 3) & 0xFF);
    frames_cbr(b, 9, 8);
    int junk_first = probe_mp3(b->d, b->n);
    assert_true(junk_first > 0 && junk_first < plain);
    b->n = 0;
    for (int i = 0; i < 4096; i++)
        put8(b, i & 1 ? 0xFB : 0xFF); /* syncs everywhere, no chain */
    assert_int_equal(probe_mp3(b->d, b->n), 0);
}

static void test_cbr_plain(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    frames_cbr(b, 9, 50);
    dm *m = &g_dm;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    assert_string_equal(m->info.container, "mp3");
    assert_string_equal(m->info.codec, "mp3");
    assert_string_equal(m->params.codec, "mp3");
    assert_int_equal(m->params.sample_rate, 44100);
    assert_int_equal(m->params.channels, 2);
    assert_int_equal(m->params.max_packet_frames, 1152);
    assert_int_equal(m->info.frames, 50 * 1152); /* scanned: exact */
    assert_int_equal(m->info.bitrate, 128000);
    assert_int_equal(m->info.source_format, SEGUE_SAMPLE_NONE);
    uint32_t sizes[64];
    segue_status end;
    assert_int_equal(dm_packets(m, sizes, 64, &end), 50);
    assert_int_equal(end, SEGUE_END_OF_STREAM);
    assert_true(sizes[0] == 417 || sizes[0] == 418);
    segue_gapless g;
    segue_metadata_get_gapless(m->meta, &g);
    assert_int_equal(g.total_frames, 0);
    dm_close(m);
}

static void test_layers(void **state)
{
    (void)state;
    bb *b = &g_file;
    static const struct {
        unsigned layer_bits, ver_bits, br, mode;
        const char *codec;
        unsigned spf, channels, rate;
        size_t size;
    } cases[] = {
        {2, 3, 7, 0, "mp2", 1152, 2, 44100, 144u * 112000u / 44100u}, /* Layer II 112k */
        {3, 3, 4, 3, "mp1", 384, 1, 44100, (12u * 128000u / 44100u) * 4u}, /* Layer I 128k mono */
        {1, 2, 8, 3, "mp3", 576, 1, 22050, 72u * 64000u / 22050u},       /* MPEG-2 LSF 64k mono */
        {1, 0, 1, 0, "mp3", 576, 2, 11025, 72u * 8000u / 11025u},        /* MPEG-2.5 8k */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        b->n = 0;
        for (int i = 0; i < 12; i++) {
            uint8_t h[4];
            header(h, cases[c].ver_bits, cases[c].layer_bits, cases[c].br, 0, 0, cases[c].mode);
            raw(b, h, 4);
            zeros(b, cases[c].size - 4);
        }
        dm *m = &g_dm;
        segue_status st = dm_open(m, b->d, b->n, 0, 0);
        if (st != SEGUE_OK)
            print_error("case %zu: %s\n", c, m->err.detail);
        assert_int_equal(st, SEGUE_OK);
        assert_string_equal(m->info.codec, cases[c].codec);
        assert_string_equal(m->params.codec, "mp3");
        assert_int_equal(m->params.max_packet_frames, cases[c].spf);
        assert_int_equal(m->params.channels, cases[c].channels);
        assert_int_equal(m->params.sample_rate, cases[c].rate);
        assert_int_equal(dm_packets(m, NULL, 0, NULL), 12);
        assert_int_equal(m->info.frames, 12 * (int64_t)cases[c].spf);
        dm_close(m);
    }
}

/* Free format: bitrate index 0, the size found from the next sync. */
static void test_free_format(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    for (int i = 0; i < 30; i++) {
        uint8_t h[4];
        unsigned pad = i % 3 == 1;
        header(h, 3, 1, 0, 0, pad, 0);
        raw(b, h, 4);
        zeros(b, 700 + pad - 4);
    }
    dm *m = &g_dm;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    uint32_t sizes[32];
    assert_int_equal(dm_packets(m, sizes, 32, NULL), 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(sizes[i], 700 + (i % 3 == 1));
    assert_int_equal(m->info.frames, 30 * 1152);
    assert_true(m->info.bitrate > 214000 && m->info.bitrate < 215000); /* 700.33 * 8 * 44100 / 1152 */
    int64_t landed = -1;
    assert_int_equal(m->desc->seek(m->priv, &m->ctx, 20 * 1152 + 5, &landed), SEGUE_OK);
    assert_true(landed <= 20 * 1152 && landed % 1152 == 0);
    dm_close(m);
    /* Through a pipe too. */
    assert_int_equal(dm_open(m, b->d, b->n, 1, 1), SEGUE_OK);
    assert_int_equal(dm_packets(m, NULL, 0, NULL), 30);
    dm_close(m);
    /* A long free-format stream behind 100 KB of junk, through a pipe:
     * the search must not need to come back over what it consumed. */
    b->n = 0;
    for (int i = 0; i < 100000; i++)
        put8(b, (unsigned)(i * 13 + 5) & 0x7F);
    for (int i = 0; i < 300; i++) {
        uint8_t h[4];
        header(h, 3, 1, 0, 0, 0, 0);
        raw(b, h, 4);
        zeros(b, 700 - 4);
    }
    for (int pipe = 0; pipe < 2; pipe++) {
        assert_int_equal(dm_open(m, b->d, b->n, pipe, 0), SEGUE_OK);
        assert_int_equal(dm_packets(m, NULL, 0, NULL), 300);
        dm_close(m);
    }
    /* A free-format frame larger than the demuxer handles: no frame. */
    b->n = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t h[4];
        header(h, 3, 1, 0, 0, 0, 0);
        raw(b, h, 4);
        zeros(b, 9000 - 4);
    }
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_ERR_UNKNOWN_FORMAT);
    assert_non_null(strstr(m->err.detail, "mp3: "));
    dm_close(m);
}

static void test_xing_lame(void **state)
{
    (void)state;
    bb *b = &g_file;
    dm *m = &g_dm;
    /* 40 audio frames, delay 576, padding 1404: the 44100-sample file. */
    for (int good = 1; good >= 0; good--) {
        b->n = 0;
        xing_frame(b, "Info", 40, 0, 576, 1404, good);
        frames_cbr(b, 9, 40);
        assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
        segue_gapless g;
        segue_metadata_get_gapless(m->meta, &g);
        if (good) {
            assert_int_equal(g.encoder_delay, 576 + 529);
            assert_int_equal(g.total_frames, 44100);
            assert_int_equal(g.padding, 1404 - 529);
        } else {
            assert_int_equal(g.encoder_delay, 0);
            assert_int_equal(g.total_frames, 0);
        }
        assert_int_equal(m->info.frames, 40 * 1152);
        assert_int_equal(dm_packets(m, NULL, 0, NULL), 40); /* the Info frame is not audio */
        dm_close(m);
    }
    /* A lying frame count (bigger than the bytes can hold): scanned. */
    b->n = 0;
    xing_frame(b, "Xing", 5000000, 0, 576, 1404, 1);
    frames_cbr(b, 9, 40);
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    assert_int_equal(m->info.frames, 40 * 1152);
    segue_gapless g;
    segue_metadata_get_gapless(m->meta, &g);
    assert_true(g.total_frames <= 40 * 1152 - 1105);
    dm_close(m);
    /* A byte count beyond the file: truncated download, scanned. */
    b->n = 0;
    xing_frame(b, "Xing", 80, 80 * 418, 576, 1404, 1);
    frames_cbr(b, 9, 40);
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    assert_int_equal(m->info.frames, 40 * 1152);
    segue_metadata_get_gapless(m->meta, &g);
    assert_int_equal(g.total_frames, 40 * 1152 - 1105);
    dm_close(m);
    /* Unseekable: the header's count is taken as is. */
    b->n = 0;
    xing_frame(b, "Info", 40, 0, 576, 1404, 1);
    frames_cbr(b, 9, 40);
    assert_int_equal(dm_open(m, b->d, b->n, 1, 1), SEGUE_OK);
    assert_int_equal(m->info.frames, 40 * 1152);
    assert_int_equal(dm_packets(m, NULL, 0, NULL), 40);
    dm_close(m);
}

static void test_vbri(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    size_t start = b->n;
    frame_l3(b, 9, 0);
    uint8_t *f = b->d + start + 36;
    memcpy(f, "VBRI", 4);
    f[5] = 1;                   /* version 1 */
    f[17] = 33;                 /* frames = 33 */
    f[19] = 4, f[21] = 1, f[23] = 1, f[25] = 10; /* 4 TOC entries of 1 byte, scale 1 */
    frames_cbr(b, 9, 33);
    dm *m = &g_dm;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    assert_int_equal(m->info.frames, 33 * 1152);
    assert_int_equal(dm_packets(m, NULL, 0, NULL), 33);
    dm_close(m);
}

static void test_itunsmpb(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    id3v23(b, "gapless", " 00000000 00000210 000003A0 000000000000A000 00000000", 20);
    frames_cbr(b, 9, 40); /* 46080 = 0x210 + 0xA000 + 0x3A0 + ... */
    dm *m = &g_dm;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    segue_gapless g;
    segue_metadata_get_gapless(m->meta, &g);
    assert_int_equal(g.encoder_delay, 0x210);
    assert_int_equal(g.padding, 0x3A0);
    assert_int_equal(g.total_frames, 0xA000);
    assert_string_equal(segue_metadata_get(m->meta, "TITLE", 0), "gapless");
    dm_close(m);
}

/* Junk between frames, including false syncs: the same frames come out,
 * over memory and over a pipe; strict mode stops at the junk. */
static void test_junk(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    id3v23(b, "junk", NULL, 0);
    raw(b, "\x00\xff\xfb\x90\x00garbage", 12);
    frames_cbr(b, 9, 10);
    for (int i = 0; i < 300; i++)
        put8(b, i % 17 == 3 ? 0xFF : i % 17 == 4 ? 0xFB : (unsigned)i & 0x7F);
    frames_cbr(b, 10, 10);
    raw(b, "\xff\xe0\x00", 3);
    frames_cbr(b, 9, 10);
    ape_tag(b, "Title", "ape");
    id3v1_tag(b, "v1");
    dm *m = &g_dm;
    for (int pipe = 0; pipe < 2; pipe++) {
        assert_int_equal(dm_open(m, b->d, b->n, pipe, 0), SEGUE_OK);
        segue_status end;
        assert_int_equal(dm_packets(m, NULL, 0, &end), 30);
        assert_int_equal(end, SEGUE_END_OF_STREAM);
        assert_string_equal(segue_metadata_get(m->meta, "TITLE", 0), "junk");
        assert_null(segue_metadata_get(m->meta, "TITLE", 1)); /* end tags do not add a second title */
        dm_close(m);
        assert_int_equal(dm_open(m, b->d, b->n, pipe, 1), SEGUE_OK);
        assert_int_equal(dm_packets(m, NULL, 0, &end), 10);
        assert_int_equal(end, SEGUE_ERR_CORRUPT);
        assert_non_null(strstr(m->err.detail, "mp3: "));
        assert_non_null(strstr(m->err.detail, "junk"));
        dm_close(m);
    }
}

static void test_truncated(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    frames_cbr(b, 9, 10);
    b->n -= 200; /* the last frame loses 200 bytes */
    dm *m = &g_dm;
    for (int pipe = 0; pipe < 2; pipe++) {
        segue_status end;
        assert_int_equal(dm_open(m, b->d, b->n, pipe, 0), SEGUE_OK);
        assert_int_equal(dm_packets(m, NULL, 0, &end), 9);
        assert_int_equal(end, SEGUE_END_OF_STREAM);
        dm_close(m);
        assert_int_equal(dm_open(m, b->d, b->n, pipe, 1), SEGUE_OK);
        assert_int_equal(dm_packets(m, NULL, 0, &end), 9);
        assert_int_equal(end, SEGUE_ERR_CORRUPT);
        assert_non_null(strstr(m->err.detail, "truncated"));
        dm_close(m);
    }
}

static void test_errors(void **state)
{
    (void)state;
    bb *b = &g_file;
    dm *m = &g_dm;
    /* Only an ID3v2 tag. */
    b->n = 0;
    id3v23(b, "alone", NULL, 100);
    for (int pipe = 0; pipe < 2; pipe++) {
        assert_int_equal(dm_open(m, b->d, b->n, pipe, 0), SEGUE_ERR_CORRUPT);
        assert_non_null(strstr(m->err.detail, "only tags"));
        dm_close(m);
    }
    /* A tag that claims more than the file has. */
    b->n -= 50;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(m->err.detail, "mp3: ID3v2"));
    dm_close(m);
    /* Junk only, and empty. */
    b->n = 0;
    for (int i = 0; i < 5000; i++)
        put8(b, (unsigned)(i * 31 + 7) & 0xFF);
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_ERR_UNKNOWN_FORMAT);
    assert_non_null(strstr(m->err.detail, "mp3: no MPEG audio frame"));
    dm_close(m);
    assert_int_equal(dm_open(m, b->d, 0, 0, 0), SEGUE_ERR_CORRUPT);
    dm_close(m);
    /* Through the public API: no demuxer claims junk; empty is an error. */
    segue_io io;
    segue_decoder *d = NULL;
    assert_int_equal(segue_io_from_memory(&io, b->d, b->n), SEGUE_OK);
    assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_ERR_UNKNOWN_FORMAT);
    segue_decoder_destroy(d);
    assert_int_equal(segue_io_from_memory(&io, b->d, 0), SEGUE_OK);
    assert_true(segue_decoder_open(&d, &io, NULL) < 0);
    assert_true(strlen(segue_decoder_last_error(d)) > 0);
    segue_decoder_destroy(d);
}

/* A tag above max_metadata_bytes is skipped and noted; the audio plays. */
static void test_big_tag(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    id3v23(b, "big", NULL, 5000);
    frames_cbr(b, 9, 5);
    dm *m = &g_dm;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    assert_string_equal(segue_metadata_get(m->meta, "TITLE", 0), "big");
    dm_close(m);
    /* The same with a 1000-byte limit (dm_open uses the defaults). */
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.max_metadata_bytes = 1000;
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, b->d, b->n), SEGUE_OK);
    segue_reader r;
    segue_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(segue_reader_open(&r, &io, NULL, &err), SEGUE_OK);
    segue_metadata *meta;
    assert_int_equal(segue_metadata_create(&meta, NULL), SEGUE_OK);
    segue_stream_info info;
    memset(&info, 0, sizeof info);
    segue_demux_ctx ctx = {"mp3", &r, segue_allocator_or_default(NULL), &err, meta, &info, &cfg};
    const segue_demuxer_desc *desc = segue_demuxer_find("mp3");
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    segue_codec_params params;
    assert_int_equal(desc->open(priv, &ctx, &params), SEGUE_OK);
    assert_null(segue_metadata_get(meta, "TITLE", 0));
    assert_int_equal(segue_metadata_unmapped_count(meta), 1);
    segue_packet pkt;
    int n = 0;
    while (desc->read_packet(priv, &ctx, &pkt) == SEGUE_OK)
        n++;
    assert_int_equal(n, 5);
    desc->close(priv, &ctx);
    segue_mem_free(NULL, priv);
    segue_metadata_destroy(meta);
    segue_reader_close(&r);
}

/* Seeks land on the frame a straight read gives at that index, far enough
 * back for the bit reservoir, on a stream of mixed bitrates with junk. */
static void test_seek(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    uint32_t seed = 1;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned br = 1 + (seed >> 16) % 14;
        frame_l3(b, br, (seed >> 8) & 1);
        if (i % 97 == 50)
            raw(b, "junk!junk!", 10);
    }
    dm *m = &g_dm;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    assert_int_equal(m->info.frames, 2000 * 1152);
    static uint32_t sizes[2000];
    assert_int_equal(dm_packets(m, sizes, 2000, NULL), 2000);
    for (int i = 0; i < 300; i++) {
        seed = seed * 1103515245u + 12345u;
        int64_t target = (int64_t)((seed >> 4) % (2000u * 1152u));
        if (i == 0)
            target = 0;
        if (i == 1)
            target = 2000 * 1152; /* the end */
        int64_t landed = -1;
        assert_int_equal(m->desc->seek(m->priv, &m->ctx, target, &landed), SEGUE_OK);
        assert_true(landed >= 0 && landed <= target && landed % 1152 == 0);
        int64_t k = target / 1152, s = landed / 1152;
        if (k > 0 && k < 2000) {
            /* main-data bytes of frames s..k-2 cover 511 (or s is 0) */
            int64_t sum = 0;
            for (int64_t j = s; j <= k - 2; j++)
                sum += sizes[j] - 36;
            assert_true(s == 0 || sum >= 511);
            /* and not needlessly far: without frame s the bound is not met */
            assert_true(s == 0 || sum - (int64_t)(sizes[s] - 36) < 511);
        }
        segue_packet pkt;
        for (int j = 0; j < 5 && s + j < 2000; j++) {
            assert_int_equal(m->desc->read_packet(m->priv, &m->ctx, &pkt), SEGUE_OK);
            assert_int_equal(pkt.pts, (s + j) * 1152);
            assert_int_equal(pkt.size, sizes[s + j]);
        }
    }
    dm_close(m);
}

/* LSF at 8 kbit/s: tiny frames, the reservoir spans many of them. */
static void test_seek_small_frames(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    for (int i = 0; i < 600; i++) {
        uint8_t h[4];
        header(h, 2, 1, 1, 1, 0, 0); /* MPEG-2 24 kHz 8 kbit/s stereo: 24 bytes */
        raw(b, h, 4);
        zeros(b, 20);
    }
    dm *m = &g_dm;
    assert_int_equal(dm_open(m, b->d, b->n, 0, 0), SEGUE_OK);
    int64_t landed;
    assert_int_equal(m->desc->seek(m->priv, &m->ctx, 500 * 576, &landed), SEGUE_OK);
    /* payload 3 bytes a frame: 255 bytes need 85 frames before frame 499 */
    assert_true(landed <= (499 - 85) * 576);
    segue_packet pkt;
    assert_int_equal(m->desc->read_packet(m->priv, &m->ctx, &pkt), SEGUE_OK);
    assert_int_equal(pkt.pts, landed);
    dm_close(m);
}

/* Fails the n-th allocation and every one after it. */
typedef struct failing {
    int left;
    int failed;
} failing;

static void *failing_alloc(void *user, size_t size)
{
    failing *f = user;
    if (f->left-- <= 0) {
        f->failed = 1;
        return NULL;
    }
    return segue_mem_alloc(NULL, size);
}

static void failing_free(void *user, void *ptr)
{
    (void)user;
    segue_mem_free(NULL, ptr);
}

/* Every allocation during open (reader, metadata, tag buffers, the merge
 * of end tags, the frame buffer, the seek index) failing in turn: a clean
 * SEGUE_ERR_NO_MEMORY, no leak (LSan), no crash. */
static void test_alloc_failures(void **state)
{
    (void)state;
    bb *b = &g_file;
    b->n = 0;
    id3v23(b, "start", NULL, 10);
    xing_frame(b, "Info", 20, 0, 576, 100, 1);
    frames_cbr(b, 9, 20);
    ape_tag(b, "Album", "end");
    id3v1_tag(b, "v1");
    int opened = 0;
    for (int n = 0; n < 200 && !opened; n++) {
        for (int seekable = 1; seekable >= 0; seekable--) {
            failing f = {n, 0};
            segue_allocator a = {&f, failing_alloc, failing_free};
            segue_decoder_config cfg;
            segue_decoder_config_default(&cfg);
            cfg.allocator = &a;
            cfg.container = "mp3";
            trickle t = {b->d, b->n};
            segue_io io;
            memset(&io, 0, sizeof io);
            if (seekable) {
                assert_int_equal(segue_io_from_memory(&io, b->d, b->n), SEGUE_OK);
            } else {
                io.read = trickle_read;
                io.user = &t;
            }
            segue_decoder *d = NULL;
            segue_status st = segue_decoder_open(&d, &io, &cfg);
            if (st == SEGUE_OK) {
                assert_false(f.failed);
                if (seekable) {
                    assert_string_equal(segue_metadata_get(segue_decoder_metadata(d), "ALBUM", 0), "end");
                    opened = 1;
                }
                float pcm[2304];
                size_t got;
                while (segue_decoder_read_f32(d, pcm, 1152, &got) == SEGUE_OK)
                    ;
            } else {
                assert_int_equal(st, SEGUE_ERR_NO_MEMORY);
            }
            segue_decoder_destroy(d);
        }
    }
    assert_true(opened);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),          cmocka_unit_test(test_cbr_plain),
        cmocka_unit_test(test_layers),         cmocka_unit_test(test_free_format),
        cmocka_unit_test(test_xing_lame),      cmocka_unit_test(test_vbri),
        cmocka_unit_test(test_itunsmpb),       cmocka_unit_test(test_junk),
        cmocka_unit_test(test_truncated),      cmocka_unit_test(test_errors),
        cmocka_unit_test(test_big_tag),        cmocka_unit_test(test_seek),
        cmocka_unit_test(test_seek_small_frames), cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
