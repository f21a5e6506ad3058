/*
 * tests/flac/test_flac.c - the FLAC codec (libFLAC) and container through the
 * public API, all in memory: streams are written with segue_encoder over a
 * memory sink and read back with segue_decoder over segue_io_from_memory
 * (seekable, without seek as a pipe, and one byte per read).
 *
 * Covers: bit-exact round trips (8/16/24/32 bit; 1, 2, 6 channels), the
 * pipe STREAMINFO, tags/pictures/loudness/channel mask through the muxer and
 * demuxer, the seek table, seeking with and without it, encoder config
 * errors, and damage: every truncation of a small stream, bit flips in
 * frames, lying metadata lengths, endless metadata chains, a huge declared
 * PICTURE, junk between frames, a leading ID3v2 tag, a trailing ID3v1 tag,
 * 0 bytes. Each damaged input gives OK or a negative status with a
 * "flac: " detail, and never allocates more than a bound (checked by a
 * counting allocator); ASan/LSan catch the rest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

#include "core/alloc.h"

/* ---- a counting allocator --------------------------------------------------- */

typedef struct counting {
    size_t largest;
    size_t live;
} counting;

static void *count_alloc(void *user, size_t size)
{
    counting *c = user;
    if (size > c->largest)
        c->largest = size;
    size_t *p = segue_mem_alloc(NULL, size + sizeof(size_t) * 2);
    if (!p)
        return NULL;
    p[0] = size;
    c->live += size;
    return p + 2;
}

static void count_free(void *user, void *ptr)
{
    counting *c = user;
    size_t *p = (size_t *)ptr - 2;
    c->live -= p[0];
    segue_mem_free(NULL, p);
}

/* ---- signals and encoding ------------------------------------------------------ */

/* Deterministic test signal, exactly representable at `bits`: a sum of two
 * tones and noise, quantised to the grid of the format. */
static float *make_signal(size_t frames, unsigned channels, unsigned bits, uint32_t seed)
{
    float *pcm = segue_mem_alloc(NULL, frames * channels * sizeof(float));
    assert_non_null(pcm);
    double full = (double)(1u << (bits - 1 < 24 ? bits - 1 : 23));
    uint32_t s = seed | 1;
    for (size_t i = 0; i < frames; i++) {
        for (unsigned c = 0; c < channels; c++) {
            s = s * 1664525u + 1013904223u;
            double noise = ((double)(s >> 8) / 16777216.0 - 0.5) * 0.05;
            double x = 0.45 * sin(0.031 * (double)i * (c + 1)) +
                       0.3 * sin(0.0021 * (double)i + c) + noise;
            double q = floor(x * full + 0.5);
            pcm[i * channels + c] = (float)(q / full);
        }
    }
    /* Full-scale edges survive too. */
    if (frames > 2) {
        pcm[0] = -1.0f;
        pcm[channels] = (float)((full - 1) / full);
    }
    return pcm;
}

typedef struct encoded {
    uint8_t *data;
    size_t size;
} encoded;

typedef struct enc_opts {
    segue_sample_format format;
    int level;
    int pipe;                 /* sink without seek */
    int announce;             /* total_frames given */
    const segue_metadata *meta;
    uint32_t channel_mask;
    uint32_t rate;
} enc_opts;

static segue_status encode_with(const float *pcm, size_t frames, unsigned channels, const enc_opts *o,
                                encoded *out, char *detail, size_t detail_size)
{
    segue_io io, keep;
    assert_int_equal(segue_io_memory_sink(&io, NULL), SEGUE_OK);
    keep = io;
    if (o->pipe) {
        io.seek = NULL;
        io.tell = NULL;
    }
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = "flac";
    cfg.sample_rate = o->rate ? o->rate : 44100;
    cfg.channels = channels;
    cfg.sample_format = o->format;
    cfg.compression_level = o->level;
    cfg.total_frames = o->announce ? (int64_t)frames : -1;
    cfg.metadata = o->meta;
    cfg.channel_mask = o->channel_mask;
    segue_encoder *e = NULL;
    segue_status st = segue_encoder_open(&e, &io, &cfg);
    /* Uneven chunks: the codec sees partial blocks. */
    for (size_t done = 0; st >= 0 && done < frames;) {
        size_t n = frames - done < 1000 ? frames - done : 1000 + done % 3001;
        if (n > frames - done)
            n = frames - done;
        st = segue_encoder_write_f32(e, pcm + done * channels, n);
        done += n;
    }
    if (st >= 0)
        st = segue_encoder_finish(e);
    if (detail)
        snprintf(detail, detail_size, "%s", segue_encoder_last_error(e));
    if (st >= 0) {
        size_t size = 0;
        const void *data = segue_io_memory_sink_data(&keep, &size);
        out->data = segue_mem_alloc(NULL, size);
        assert_non_null(out->data);
        memcpy(out->data, data, size);
        out->size = size;
    }
    segue_encoder_destroy(e);
    return st;
}

static encoded encode(const float *pcm, size_t frames, unsigned channels, const enc_opts *o)
{
    encoded out = {NULL, 0};
    char detail[256];
    segue_status st = encode_with(pcm, frames, channels, o, &out, detail, sizeof detail);
    if (st < 0)
        fail_msg("encode failed: %s (%s)", segue_status_name(st), detail);
    return out;
}

/* ---- decoding -------------------------------------------------------------------------- */

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

enum { IO_SEEKABLE, IO_PIPE, IO_TRICKLE };

static trickle g_trickle;

static const char *g_force; /* container forced by open_mem, or NULL (probe) */

static segue_status open_mem(const uint8_t *data, size_t size, int mode, int strict,
                             const segue_allocator *a, uint32_t max_meta, segue_decoder **d)
{
    segue_io io;
    memset(&io, 0, sizeof io);
    if (mode == IO_TRICKLE) {
        g_trickle.p = data;
        g_trickle.left = size;
        io.read = trickle_read;
        io.user = &g_trickle;
    } else {
        assert_int_equal(segue_io_from_memory(&io, data, size), SEGUE_OK);
        if (mode == IO_PIPE) {
            io.seek = NULL;
            io.tell = NULL;
        }
    }
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    cfg.allocator = a;
    cfg.container = g_force;
    if (max_meta)
        cfg.max_metadata_bytes = max_meta;
    return segue_decoder_open(d, &io, &cfg);
}

/* Decodes everything; *frames gets the count. Returns the final status
 * (SEGUE_OK at a clean end). */
static segue_status decode_all(segue_decoder *d, float *out, size_t capacity, size_t *frames)
{
    const segue_stream_info *in = segue_decoder_info(d);
    size_t n = 0;
    for (;;) {
        size_t got = 0;
        size_t want = capacity - n < 4096 ? capacity - n : 4096;
        if (want == 0) {
            float scratch[4096];
            want = 4096 / in->channels;
            segue_status st = segue_decoder_read_f32(d, scratch, want, &got);
            n += got;
            if (st != SEGUE_OK) {
                *frames = n;
                return st == SEGUE_END_OF_STREAM ? SEGUE_OK : st;
            }
            continue;
        }
        segue_status st = segue_decoder_read_f32(d, out + n * in->channels, want, &got);
        n += got;
        if (st != SEGUE_OK) {
            *frames = n;
            return st == SEGUE_END_OF_STREAM ? SEGUE_OK : st;
        }
    }
}

static void check_round_trip(unsigned channels, segue_sample_format fmt, int level, int mode)
{
    const size_t frames = 20000;
    unsigned bits = segue_sample_format_bits(fmt);
    float *pcm = make_signal(frames, channels, bits, channels * 31u + bits);
    enc_opts o = {fmt, level, mode != IO_SEEKABLE, mode != IO_SEEKABLE, NULL, 0, 0};
    encoded f = encode(pcm, frames, channels, &o);
    segue_decoder *d = NULL;
    assert_int_equal(open_mem(f.data, f.size, mode, 1, NULL, 0, &d), SEGUE_OK);
    const segue_stream_info *in = segue_decoder_info(d);
    assert_string_equal(in->container, "flac");
    assert_string_equal(in->codec, "flac");
    assert_int_equal(in->channels, channels);
    assert_int_equal(in->bits_per_sample, bits);
    assert_int_equal(in->frames, (int64_t)frames);
    float *back = segue_mem_alloc(NULL, frames * channels * sizeof(float));
    size_t got = 0;
    assert_int_equal(decode_all(d, back, frames, &got), SEGUE_OK);
    assert_int_equal(got, frames);
    assert_memory_equal(back, pcm, frames * channels * sizeof(float));
    segue_decoder_destroy(d);
    segue_mem_free(NULL, back);
    segue_mem_free(NULL, pcm);
    segue_mem_free(NULL, f.data);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const unsigned chans[] = {1, 2, 6};
    for (size_t c = 0; c < 3; c++) {
        check_round_trip(chans[c], SEGUE_SAMPLE_S16, -1, IO_SEEKABLE);
        check_round_trip(chans[c], SEGUE_SAMPLE_S24, -1, IO_SEEKABLE);
    }
    check_round_trip(2, SEGUE_SAMPLE_S16, 0, IO_PIPE);
    check_round_trip(2, SEGUE_SAMPLE_S24, 8, IO_TRICKLE);
    check_round_trip(1, SEGUE_SAMPLE_S8, 5, IO_SEEKABLE);
    check_round_trip(3, SEGUE_SAMPLE_U8, 1, IO_SEEKABLE);
    check_round_trip(2, SEGUE_SAMPLE_S32, 5, IO_SEEKABLE); /* outside the subset */
    check_round_trip(8, SEGUE_SAMPLE_S16, 3, IO_PIPE);
}

/* Finds STREAMINFO in our own output (right after "fLaC"). */
static const uint8_t *streaminfo_of(const encoded *f)
{
    assert_true(f->size > 42);
    assert_memory_equal(f->data, "fLaC", 4);
    assert_int_equal(f->data[4] & 0x7F, 0);
    return f->data + 8;
}

static void test_streaminfo_pipe_and_file(void **state)
{
    (void)state;
    const size_t frames = 10000;
    float *pcm = make_signal(frames, 2, 16, 5);
    static const uint8_t zero_md5[16];
    /* Seekable: MD5 and total patched in at finish. */
    enc_opts o = {SEGUE_SAMPLE_S16, 5, 0, 0, NULL, 0, 0};
    encoded f = encode(pcm, frames, 2, &o);
    const uint8_t *si = streaminfo_of(&f);
    uint64_t total = ((uint64_t)(si[13] & 15) << 32) | ((uint32_t)si[14] << 24) | ((uint32_t)si[15] << 16) |
                     ((uint32_t)si[16] << 8) | si[17];
    assert_int_equal(total, frames);
    assert_memory_not_equal(si + 18, zero_md5, 16);
    segue_mem_free(NULL, f.data);
    /* Pipe with the length announced: total up front, MD5 zero (unknown). */
    o.pipe = 1;
    o.announce = 1;
    f = encode(pcm, frames, 2, &o);
    si = streaminfo_of(&f);
    total = ((uint64_t)(si[13] & 15) << 32) | ((uint32_t)si[14] << 24) | ((uint32_t)si[15] << 16) |
            ((uint32_t)si[16] << 8) | si[17];
    assert_int_equal(total, frames);
    assert_memory_equal(si + 18, zero_md5, 16);
    segue_mem_free(NULL, f.data);
    /* Pipe without a length: total 0 (unknown), still decodable to the end. */
    o.announce = 0;
    f = encode(pcm, frames, 2, &o);
    segue_decoder *d = NULL;
    assert_int_equal(open_mem(f.data, f.size, IO_PIPE, 1, NULL, 0, &d), SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->frames, -1);
    float *back = segue_mem_alloc(NULL, frames * 2 * sizeof(float));
    size_t got;
    assert_int_equal(decode_all(d, back, frames, &got), SEGUE_OK);
    assert_int_equal(got, frames);
    assert_memory_equal(back, pcm, frames * 2 * sizeof(float));
    segue_decoder_destroy(d);
    segue_mem_free(NULL, back);
    segue_mem_free(NULL, f.data);
    segue_mem_free(NULL, pcm);
}

static void test_encoder_config_errors(void **state)
{
    (void)state;
    float pcm[16] = {0};
    encoded f;
    char detail[256];
    enc_opts o = {SEGUE_SAMPLE_S16, 9, 0, 0, NULL, 0, 0};
    assert_int_equal(encode_with(pcm, 8, 2, &o, &f, detail, sizeof detail), SEGUE_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(detail, "flac: compression level 9"));
    o.level = 5;
    o.format = SEGUE_SAMPLE_F32;
    assert_int_equal(encode_with(pcm, 8, 2, &o, &f, detail, sizeof detail), SEGUE_ERR_UNSUPPORTED);
    assert_non_null(strstr(detail, "flac: sample format f32"));
    o.format = SEGUE_SAMPLE_S16;
    assert_int_equal(encode_with(pcm, 1, 9, &o, &f, detail, sizeof detail), SEGUE_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(detail, "flac: 9 channels"));
    o.rate = 700000;
    assert_int_equal(encode_with(pcm, 8, 2, &o, &f, detail, sizeof detail), SEGUE_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(detail, "flac: sample rate 700000"));
    /* Odd rates outside the subset still work: 96001 Hz is coded in
     * STREAMINFO only. */
    o.rate = 96001;
    assert_int_equal(encode_with(pcm, 8, 2, &o, &f, detail, sizeof detail), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(open_mem(f.data, f.size, IO_SEEKABLE, 1, NULL, 0, &d), SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->sample_rate, 96001);
    float back[16];
    size_t got;
    assert_int_equal(decode_all(d, back, 8, &got), SEGUE_OK);
    assert_int_equal(got, 8);
    segue_decoder_destroy(d);
    segue_mem_free(NULL, f.data);
    /* Zero frames: a valid, empty stream. */
    o.rate = 48000;
    assert_int_equal(encode_with(pcm, 0, 2, &o, &f, detail, sizeof detail), SEGUE_OK);
    assert_int_equal(open_mem(f.data, f.size, IO_SEEKABLE, 1, NULL, 0, &d), SEGUE_OK);
    assert_int_equal(decode_all(d, back, 8, &got), SEGUE_OK);
    assert_int_equal(got, 0);
    segue_decoder_destroy(d);
    segue_mem_free(NULL, f.data);
}

static void test_tags_through_container(void **state)
{
    (void)state;
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    segue_metadata_add(m, "TITLE", "Ночь — 夜の歌");
    segue_metadata_add(m, "ARTIST", "A");
    segue_metadata_add(m, "ARTIST", "B");
    segue_metadata_add(m, "TRACKNUMBER", "3/12");
    segue_metadata_add(m, "DISCNUMBER", "1");
    segue_metadata_add(m, "DISCTOTAL", "2");
    segue_metadata_add(m, "LYRICS", "la\nla");
    segue_metadata_add(m, "MY_CUSTOM", "x");
    static uint8_t img[40000];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i ^ (i >> 8));
    img[0] = 0xFF, img[1] = 0xD8, img[2] = 0xFF;
    segue_picture pic = {3, "image/jpeg", "Front", 600, 600, img, sizeof img};
    segue_metadata_add_picture(m, &pic);
    pic.type = 4;
    pic.description = "Back";
    pic.size = 100;
    segue_metadata_add_picture(m, &pic);
    segue_loudness l;
    memset(&l, 0, sizeof l);
    l.has_track_gain = 1, l.track_gain_db = -6.5;
    l.has_album_peak = 1, l.album_peak = 0.99;
    segue_metadata_set_loudness(m, &l);

    float *pcm = make_signal(5000, 4, 16, 9);
    enc_opts o = {SEGUE_SAMPLE_S16, 5, 0, 0, m, 0x107 /* FL FR FC BC */, 0};
    encoded f = encode(pcm, 5000, 4, &o);
    segue_decoder *d = NULL;
    assert_int_equal(open_mem(f.data, f.size, IO_SEEKABLE, 1, NULL, 0, &d), SEGUE_OK);
    const segue_metadata *r = segue_decoder_metadata(d);
    assert_string_equal(segue_metadata_get(r, "TITLE", 0), "Ночь — 夜の歌");
    assert_int_equal(segue_metadata_count(r, "ARTIST"), 2);
    assert_string_equal(segue_metadata_get(r, "TRACKNUMBER", 0), "3");
    assert_string_equal(segue_metadata_get(r, "TRACKTOTAL", 0), "12");
    assert_string_equal(segue_metadata_get(r, "DISCTOTAL", 0), "2");
    assert_string_equal(segue_metadata_get(r, "LYRICS", 0), "la\nla");
    assert_string_equal(segue_metadata_get(r, "MY_CUSTOM", 0), "x");
    assert_int_equal(segue_metadata_count(r, "WAVEFORMATEXTENSIBLE_CHANNEL_MASK"), 0);
    assert_int_equal(segue_decoder_info(d)->channel_mask, 0x107);
    assert_int_equal(segue_metadata_picture_count(r), 2);
    segue_picture p;
    segue_metadata_picture_at(r, 0, &p);
    assert_int_equal(p.type, 3);
    assert_string_equal(p.description, "Front");
    assert_int_equal(p.size, sizeof img);
    assert_memory_equal(p.data, img, sizeof img);
    segue_metadata_picture_at(r, 1, &p);
    assert_int_equal(p.type, 4);
    assert_int_equal(p.size, 100);
    segue_loudness lr;
    segue_metadata_get_loudness(r, &lr);
    assert_true(lr.has_track_gain && lr.track_gain_db == -6.5);
    assert_true(lr.has_album_peak && lr.album_peak > 0.989 && lr.album_peak < 0.991);
    assert_int_equal(segue_metadata_unmapped_count(r), 0);
    segue_decoder_destroy(d);
    segue_mem_free(NULL, f.data);
    segue_mem_free(NULL, pcm);
    segue_metadata_destroy(m);
}

/* ---- seeking ------------------------------------------------------------------------- */

/* The SEEKTABLE body of our output, or NULL; *points gets its count. */
static const uint8_t *find_seektable(const encoded *f, size_t *points)
{
    size_t pos = 4;
    for (;;) {
        assert_true(pos + 4 <= f->size);
        unsigned type = f->data[pos] & 0x7F;
        int last = f->data[pos] >> 7;
        size_t len = ((size_t)f->data[pos + 1] << 16) | ((size_t)f->data[pos + 2] << 8) | f->data[pos + 3];
        if (type == 3) {
            *points = len / 18;
            return f->data + pos + 4;
        }
        pos += 4 + len;
        if (last)
            return NULL;
    }
}

static void seek_and_compare(const encoded *f, const float *pcm, size_t frames, unsigned ch, int count)
{
    segue_decoder *d = NULL;
    assert_int_equal(open_mem(f->data, f->size, IO_SEEKABLE, 1, NULL, 0, &d), SEGUE_OK);
    assert_true(segue_decoder_info(d)->seekable);
    static float buf[2000 * 8];
    uint32_t s = 12345;
    for (int k = 0; k < count; k++) {
        s = s * 1103515245u + 12345u;
        int64_t target = k == 0 ? 0 : k == 1 ? (int64_t)frames - 1 : (int64_t)((s >> 4) % frames);
        assert_int_equal(segue_decoder_seek(d, target), SEGUE_OK);
        size_t want = frames - (size_t)target < 2000 ? frames - (size_t)target : 2000, done = 0;
        while (done < want) {
            size_t got = 0;
            assert_int_equal(segue_decoder_read_f32(d, buf + done * ch, want - done, &got), SEGUE_OK);
            done += got;
        }
        assert_memory_equal(buf, pcm + (size_t)target * ch, want * ch * sizeof(float));
    }
    /* To the end: nothing more to read. */
    assert_int_equal(segue_decoder_seek(d, (int64_t)frames), SEGUE_OK);
    size_t got = 5;
    assert_int_equal(segue_decoder_read_f32(d, buf, 16, &got), SEGUE_END_OF_STREAM);
    assert_int_equal(got, 0);
    segue_decoder_destroy(d);
}

static void test_seek(void **state)
{
    (void)state;
    const size_t frames = 44100 * 25; /* 25 s: 3 seek points at 10 s spacing */
    float *pcm = make_signal(frames, 2, 16, 77);
    /* Length announced: exactly one point per 10 s. */
    enc_opts o = {SEGUE_SAMPLE_S16, 5, 0, 1, NULL, 0, 0};
    encoded f = encode(pcm, frames, 2, &o);
    size_t points = 0;
    const uint8_t *t = find_seektable(&f, &points);
    assert_non_null(t);
    assert_int_equal(points, 3);
    for (size_t i = 0; i < points; i++) {
        uint64_t sample = 0;
        for (int b = 0; b < 8; b++)
            sample = (sample << 8) | t[i * 18 + (size_t)b];
        assert_true(sample <= i * 441000 && sample + 4096 > i * 441000);
    }
    seek_and_compare(&f, pcm, frames, 2, 30);
    /* Without a seek table (same frames): bisection. */
    {
        encoded g = f;
        size_t pos = (size_t)(t - f.data) - 4;
        g.data = segue_mem_alloc(NULL, f.size);
        memcpy(g.data, f.data, f.size);
        g.data[pos] = (uint8_t)((g.data[pos] & 0x80) | 1); /* SEEKTABLE -> PADDING */
        seek_and_compare(&g, pcm, frames, 2, 30);
        segue_mem_free(NULL, g.data);
    }
    segue_mem_free(NULL, f.data);
    /* Length unknown: 360 points reserved, 3 filled, rest placeholders. */
    o.announce = 0;
    f = encode(pcm, frames, 2, &o);
    t = find_seektable(&f, &points);
    assert_non_null(t);
    assert_int_equal(points, 360);
    assert_int_equal(t[3 * 18], 0xFF); /* placeholder */
    seek_and_compare(&f, pcm, frames, 2, 10);
    segue_mem_free(NULL, f.data);
    /* A pipe cannot seek. */
    o.pipe = 1;
    f = encode(pcm, 1000, 2, &o);
    assert_null(find_seektable(&f, &points));
    segue_decoder *d = NULL;
    assert_int_equal(open_mem(f.data, f.size, IO_PIPE, 0, NULL, 0, &d), SEGUE_OK);
    assert_int_equal(segue_decoder_seek(d, 10), SEGUE_ERR_NOT_SEEKABLE);
    segue_decoder_destroy(d);
    segue_mem_free(NULL, f.data);
    segue_mem_free(NULL, pcm);
}

/* ---- damage ------------------------------------------------------------------------------ */

/* Opens and decodes `data` in one mode; checks the contract for damaged
 * input and returns the status. */
static segue_status damaged(const uint8_t *data, size_t size, int mode, int strict, size_t *frames_out)
{
    counting c = {0, 0};
    segue_allocator a = {&c, count_alloc, count_free};
    segue_decoder *d = NULL;
    /* Forced, so that even a stream cut before "fLaC" meets the demuxer. */
    g_force = "flac";
    segue_status st = open_mem(data, size, mode, strict, &a, 1u << 20, &d);
    g_force = NULL;
    size_t frames = 0;
    if (st == SEGUE_OK) {
        static float buf[1u << 18];
        st = decode_all(d, buf, (sizeof buf / sizeof buf[0]) / segue_decoder_info(d)->channels, &frames);
    }
    if (st < 0) {
        const char *detail = segue_decoder_last_error(d);
        if (size > 0 && strncmp(detail, "flac: ", 6) != 0)
            fail_msg("status %s with detail '%s' (size %zu)", segue_status_name(st), detail, size);
    }
    segue_decoder_destroy(d);
    assert_int_equal(c.live, 0);
    /* Nothing near the declared sizes: the frame window and the metadata
     * limit bound every allocation. */
    assert_true(c.largest < (4u << 20));
    if (frames_out)
        *frames_out = frames;
    return st;
}

static encoded small_stream(void)
{
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    segue_metadata_add(m, "TITLE", "t");
    uint8_t img[64] = {0xFF, 0xD8, 0xFF};
    segue_picture pic = {3, "image/jpeg", "", 0, 0, img, sizeof img};
    segue_metadata_add_picture(m, &pic);
    float *pcm = make_signal(3000, 2, 16, 3);
    enc_opts o = {SEGUE_SAMPLE_S16, 0, 0, 1, m, 0, 0}; /* level 0: 1152-sample frames */
    encoded f = encode(pcm, 3000, 2, &o);
    segue_mem_free(NULL, pcm);
    segue_metadata_destroy(m);
    return f;
}

/* Offset of the first frame in our output. */
static size_t first_frame(const encoded *f)
{
    size_t pos = 4;
    for (;;) {
        int last = f->data[pos] >> 7;
        size_t len = ((size_t)f->data[pos + 1] << 16) | ((size_t)f->data[pos + 2] << 8) | f->data[pos + 3];
        pos += 4 + len;
        if (last)
            return pos;
    }
}

static void test_truncation_everywhere(void **state)
{
    (void)state;
    encoded f = small_stream();
    size_t audio = first_frame(&f);
    size_t full = 0;
    assert_int_equal(damaged(f.data, f.size, IO_SEEKABLE, 1, &full), SEGUE_OK);
    assert_int_equal(full, 3000);
    for (size_t n = 0; n < f.size; n += n < audio + 64 ? 1 : 7) {
        for (int strict = 0; strict < 2; strict++) {
            size_t frames = 0;
            segue_status st = damaged(f.data, n, strict ? IO_SEEKABLE : IO_PIPE, strict, &frames);
            if (n < audio) {
                assert_true(st == SEGUE_ERR_CORRUPT || st == SEGUE_ERR_UNKNOWN_FORMAT);
            } else if (strict) {
                /* A cut last frame is reported. */
                assert_true(st == SEGUE_ERR_CORRUPT || (st == SEGUE_OK && frames % 1152 == 0));
            } else {
                /* Concealed: the whole frames before the cut. */
                assert_int_equal(st, SEGUE_OK);
                assert_true(frames % 1152 == 0 && frames < 3000);
            }
        }
    }
    segue_mem_free(NULL, f.data);
}

static void test_bit_flips(void **state)
{
    (void)state;
    encoded f = small_stream();
    size_t audio = first_frame(&f);
    uint8_t *copy = segue_mem_alloc(NULL, f.size);
    int corrupt = 0;
    for (size_t pos = audio; pos < f.size; pos += 13) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, f.data, f.size);
            copy[pos] ^= (uint8_t)(1u << bit);
            for (int strict = 0; strict < 2; strict++) {
                segue_status st = damaged(copy, f.size, IO_SEEKABLE, strict, NULL);
                assert_true(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT);
                corrupt += st == SEGUE_ERR_CORRUPT;
            }
            (void)damaged(copy, f.size, IO_TRICKLE, 0, NULL);
        }
    }
    assert_true(corrupt > 0);
    segue_mem_free(NULL, copy);
    segue_mem_free(NULL, f.data);
}

/* "fLaC" + a STREAMINFO (not last), for hand-made streams. */
static size_t stream_head(uint8_t *b, int last)
{
    memcpy(b, "fLaC", 4);
    b[4] = (uint8_t)(last ? 0x80 : 0);
    b[5] = 0, b[6] = 0, b[7] = 34;
    uint8_t *si = b + 8;
    memset(si, 0, 34);
    si[0] = 0x10, si[1] = 0x00; /* min block 4096 */
    si[2] = 0x10, si[3] = 0x00; /* max block 4096 */
    /* 44100 Hz, 2 channels, 16 bits: rate 20 bits, ch-1 3 bits, bps-1 5 bits. */
    uint32_t rate = 44100;
    si[10] = (uint8_t)(rate >> 12);
    si[11] = (uint8_t)(rate >> 4);
    si[12] = (uint8_t)(((rate & 15) << 4) | (1 << 1) | (15 >> 4));
    si[13] = (uint8_t)((15 & 15) << 4);
    return 42;
}

static void test_lying_metadata(void **state)
{
    (void)state;
    static uint8_t b[1 << 16];
    size_t n;
    segue_decoder *d = NULL;

    /* 0 bytes. */
    assert_int_equal(damaged(b, 0, IO_SEEKABLE, 0, NULL), SEGUE_ERR_CORRUPT);

    /* An endless chain: thousands of tiny PADDING blocks, none last. */
    n = stream_head(b, 0);
    while (n + 4 <= sizeof b) {
        b[n] = 1, b[n + 1] = 0, b[n + 2] = 0, b[n + 3] = 0;
        n += 4;
    }
    assert_int_equal(open_mem(b, n, IO_SEEKABLE, 0, NULL, 0, &d), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(segue_decoder_last_error(d), "flac: more than 1024 metadata blocks"));
    segue_decoder_destroy(d);
    assert_int_equal(damaged(b, n, IO_TRICKLE, 0, NULL), SEGUE_ERR_CORRUPT);

    /* A PICTURE declaring 16 MiB with a few bytes behind it. */
    n = stream_head(b, 0);
    b[n] = 0x86, b[n + 1] = 0xFF, b[n + 2] = 0xFF, b[n + 3] = 0xFF;
    n += 4;
    memset(b + n, 0, 64);
    n += 64;
    assert_int_equal(open_mem(b, n, IO_SEEKABLE, 0, NULL, 0, &d), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(segue_decoder_last_error(d), "flac: PICTURE"));
    segue_decoder_destroy(d);
    assert_int_equal(damaged(b, n, IO_PIPE, 0, NULL), SEGUE_ERR_CORRUPT);

    /* Over max_metadata_bytes (1 MiB in damaged()): skipped, listed; the
     * bytes are there (zeros), then no frames: an empty stream. */
    static uint8_t big[(1u << 20) + 4096];
    n = stream_head(big, 0);
    big[n] = 0x86, big[n + 1] = 0x10, big[n + 2] = 0x00, big[n + 3] = 0x10; /* 1 MiB + 16 */
    n += 4 + 0x100010;
    assert_int_equal(damaged(big, n, IO_SEEKABLE, 0, NULL), SEGUE_OK);
    assert_int_equal(open_mem(big, n, IO_PIPE, 0, NULL, 1u << 20, &d), SEGUE_OK);
    assert_int_equal(segue_metadata_unmapped_count(segue_decoder_metadata(d)), 1);
    segue_decoder_destroy(d);

    /* STREAMINFO of the wrong length, or not first. */
    n = stream_head(b, 1);
    b[7] = 35;
    assert_int_equal(open_mem(b, n + 1, IO_SEEKABLE, 0, NULL, 0, &d), SEGUE_ERR_CORRUPT);
    assert_non_null(strstr(segue_decoder_last_error(d), "flac: STREAMINFO is 35 bytes"));
    segue_decoder_destroy(d);
    n = stream_head(b, 1);
    b[4] = 0x84;
    assert_int_equal(damaged(b, n, IO_SEEKABLE, 0, NULL), SEGUE_ERR_CORRUPT);
    /* Invalid STREAMINFO values. */
    n = stream_head(b, 1);
    b[8 + 2] = 0, b[8 + 3] = 8; /* max block 8 */
    b[8] = 0, b[9] = 8;
    assert_int_equal(damaged(b, n, IO_SEEKABLE, 0, NULL), SEGUE_ERR_CORRUPT);
    n = stream_head(b, 1);
    b[8 + 10] = 0, b[8 + 11] = 0, b[8 + 12] &= 0x0F; /* rate 0 */
    assert_int_equal(damaged(b, n, IO_SEEKABLE, 0, NULL), SEGUE_ERR_CORRUPT);
    /* Block type 127. */
    n = stream_head(b, 0);
    b[n] = 0xFF, b[n + 1] = 0, b[n + 2] = 0, b[n + 3] = 0;
    assert_int_equal(damaged(b, n + 4, IO_SEEKABLE, 0, NULL), SEGUE_ERR_CORRUPT);
    /* A comment block whose length runs past the end. */
    n = stream_head(b, 0);
    b[n] = 0x84, b[n + 1] = 0, b[n + 2] = 0x10, b[n + 3] = 0;
    memset(b + n + 4, 0, 100);
    assert_int_equal(damaged(b, n + 104, IO_SEEKABLE, 0, NULL), SEGUE_ERR_CORRUPT);
    assert_int_equal(damaged(b, n + 104, IO_TRICKLE, 0, NULL), SEGUE_ERR_CORRUPT);
    /* A damaged comment block: unmapped (non-strict), an error (strict). */
    n = stream_head(b, 0);
    b[n] = 0x84, b[n + 1] = 0, b[n + 2] = 0, b[n + 3] = 12;
    memcpy(b + n + 4, "\x00\x00\x00\x00\xff\xff\xff\x00\x00\x00\x00\x00", 12);
    assert_int_equal(damaged(b, n + 16, IO_SEEKABLE, 0, NULL), SEGUE_OK);
    assert_int_equal(damaged(b, n + 16, IO_SEEKABLE, 1, NULL), SEGUE_ERR_CORRUPT);
    /* Not FLAC after all. */
    memcpy(b, "fLaX", 4);
    assert_int_equal(open_mem(b, 64, IO_SEEKABLE, 0, NULL, 0, &d), SEGUE_ERR_UNKNOWN_FORMAT);
    segue_decoder_destroy(d);
}

static void test_junk_and_tags_around_frames(void **state)
{
    (void)state;
    encoded f = small_stream();
    size_t audio = first_frame(&f);
    static uint8_t b[1 << 16];
    size_t frames = 0;
    assert_true(f.size + 300 < sizeof b);

    /* An ID3v2 tag in front is skipped. */
    static const uint8_t id3[20] = {'I', 'D', '3', 3, 0, 0, 0, 0, 0, 10, 'T', 'I', 'T', '2', 0, 0, 0, 0, 0, 0};
    memcpy(b, id3, sizeof id3);
    memcpy(b + sizeof id3, f.data, f.size);
    assert_int_equal(damaged(b, f.size + sizeof id3, IO_SEEKABLE, 1, &frames), SEGUE_OK);
    assert_int_equal(frames, 3000);

    /* An ID3v1 tag after the last frame is not audio, even in strict mode. */
    memcpy(b, f.data, f.size);
    memset(b + f.size, 0, 128);
    memcpy(b + f.size, "TAGtitle", 8);
    assert_int_equal(damaged(b, f.size + 128, IO_SEEKABLE, 1, &frames), SEGUE_OK);
    assert_int_equal(frames, 3000);
    assert_int_equal(damaged(b, f.size + 128, IO_PIPE, 1, &frames), SEGUE_OK);
    assert_int_equal(frames, 3000);

    /* Junk between the first and second frames: skipped (non-strict),
     * reported (strict). Frame 1 of level 0 is 1152 samples; find the
     * second frame by scanning for its header after the first. */
    size_t second = 0;
    for (size_t i = audio + 16; i + 1 < f.size; i++)
        if (f.data[i] == 0xFF && f.data[i + 1] == 0xF8 && f.data[i + 4] == 1) {
            second = i;
            break;
        }
    assert_true(second > audio);
    memcpy(b, f.data, second);
    memset(b + second, 0x55, 100);
    memcpy(b + second + 100, f.data + second, f.size - second);
    segue_status st = damaged(b, f.size + 100, IO_SEEKABLE, 0, &frames);
    /* The first frame now ends in junk: its CRC fails, so it is damaged
     * (an error from the codec) unless its end is found; either way no
     * crash, and strict mode says so. */
    assert_true(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT);
    assert_int_equal(damaged(b, f.size + 100, IO_SEEKABLE, 1, &frames), SEGUE_ERR_CORRUPT);
    segue_mem_free(NULL, f.data);
}

/* A crafted stream: the largest frames STREAMINFO allows (65535 samples,
 * 8 channels, 32 bit: a 2 MiB frame limit) and megabytes of headers that
 * pass every header check but never end a frame. Without a scan budget
 * every false header would be scanned to the frame limit (quadratic). */
static void test_hostile_junk(void **state)
{
    (void)state;
    const size_t size = 6u << 20;
    uint8_t *b = segue_mem_alloc(NULL, size);
    assert_non_null(b);
    size_t n = stream_head(b, 1);
    uint8_t *si = b + 8;
    si[0] = 0xFF, si[1] = 0xFF, si[2] = 0xFF, si[3] = 0xFF;      /* block sizes 65535 */
    si[12] = (uint8_t)((si[12] & 0xF0) | (7 << 1) | (31 >> 4));  /* 8 channels, 32 bit */
    si[13] = (uint8_t)((31 & 15) << 4);
    /* FF F8, block size from a 16-bit field and rate from STREAMINFO,
     * 8 channels and depth from STREAMINFO, frame 0, 65535, CRC-8. */
    uint8_t h[8] = {0xFF, 0xF8, 0x70, 0x70, 0x00, 0xFF, 0xFE, 0};
    unsigned crc = 0;
    for (int i = 0; i < 7; i++) {
        crc ^= h[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x80) ? ((crc << 1) ^ 0x07) & 0xFF : (crc << 1) & 0xFF;
    }
    h[7] = (uint8_t)crc;
    for (; n + 8 <= size; n += 8)
        memcpy(b + n, h, 8);
    for (int strict = 0; strict < 2; strict++) {
        segue_decoder *d = NULL;
        segue_status st = open_mem(b, n, IO_SEEKABLE, strict, NULL, 0, &d);
        if (st == SEGUE_OK) {
            static float buf[1u << 16];
            size_t got;
            st = decode_all(d, buf, (sizeof buf / sizeof buf[0]) / 8, &got);
        }
        assert_true(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT);
        if (st < 0)
            assert_true(strncmp(segue_decoder_last_error(d), "flac: ", 6) == 0);
        segue_decoder_destroy(d);
    }
    segue_mem_free(NULL, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_streaminfo_pipe_and_file),
        cmocka_unit_test(test_encoder_config_errors),
        cmocka_unit_test(test_tags_through_container),
        cmocka_unit_test(test_seek),
        cmocka_unit_test(test_truncation_everywhere),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_lying_metadata),
        cmocka_unit_test(test_junk_and_tags_around_frames),
        cmocka_unit_test(test_hostile_junk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
