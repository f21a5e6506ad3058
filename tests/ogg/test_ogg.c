/*
 * tests/ogg/test_ogg.c - Ogg container with the Vorbis and Opus codecs,
 * through the public API, in memory:
 *   - lengths: encode N frames, decode exactly N (Opus: N * 48000 / rate)
 *     for 1 frame, 1 s and 30 s at several rates, aligned with the input;
 *   - seeking: every seek gives the same samples as decoding from the start
 *     (Vorbis bit-exact; Opus within a bound, its decoder state converging
 *     over the 80 ms pre-roll), on seekable input; NOT_SEEKABLE on a pipe;
 *   - tags and pictures round trip; R128 gain for Opus;
 *   - chains: two streams concatenated decode in full; a format change stops
 *     at the boundary with a note;
 *   - channel order for 6 channels (WAV order in and out);
 *   - damage: 0 bytes, truncation at many offsets, CRC errors, garbage
 *     between pages, lying lacing, a packet spanning hundreds of pages, an
 *     oversized comment header; unseekable input decodes the same.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <segue/segue.h>

#define TWO_PI 6.283185307179586

typedef struct blob {
    uint8_t *data;
    size_t size;
} blob;

static void blob_free(blob *b)
{
    free(b->data);
    b->data = NULL;
    b->size = 0;
}

/* A test signal: a different tone per channel plus a little noise. */
static float *make_signal(uint32_t rate, uint32_t ch, size_t frames, unsigned seed)
{
    float *x = malloc((frames ? frames : 1) * ch * sizeof *x);
    assert_non_null(x);
    uint32_t s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < frames; i++)
        for (uint32_t c = 0; c < ch; c++) {
            s = s * 1664525u + 1013904223u;
            double noise = ((double)(s >> 8) / 16777216.0 - 0.5) * 0.02;
            /* seed 2: low tones, so an LFE channel keeps its signal */
            double f = seed == 2 ? 40.0 + 10.0 * c : 220.0 * (c + 1) + 37.0 * seed;
            x[i * ch + c] = (float)(0.4 * sin(TWO_PI * f * (double)i / rate) + noise);
        }
    return x;
}

static segue_status encode_ex(const char *codec, uint32_t rate, uint32_t ch, const float *pcm,
                              size_t frames, const segue_metadata *meta, blob *out, char *err,
                              size_t errlen)
{
    segue_io io, keep;
    assert_int_equal(segue_io_memory_sink(&io, NULL), SEGUE_OK);
    keep = io;
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = "ogg";
    cfg.codec = codec;
    cfg.sample_rate = rate;
    cfg.channels = ch;
    cfg.metadata = meta;
    segue_encoder *e = NULL;
    segue_status st = segue_encoder_open(&e, &io, &cfg);
    /* odd chunk sizes exercise the codecs' buffering */
    size_t done = 0, step = 1;
    while (st == SEGUE_OK && done < frames) {
        size_t n = frames - done < step ? frames - done : step;
        st = segue_encoder_write_f32(e, pcm + done * ch, n);
        done += n;
        step = step * 3 + 7;
        if (step > 10000)
            step = 333;
    }
    if (st == SEGUE_OK)
        st = segue_encoder_finish(e);
    if (st == SEGUE_OK) {
        size_t size;
        const void *p = segue_io_memory_sink_data(&keep, &size);
        out->data = malloc(size ? size : 1);
        assert_non_null(out->data);
        memcpy(out->data, p, size);
        out->size = size;
    } else if (err) {
        snprintf(err, errlen, "%s", segue_encoder_last_error(e));
    }
    segue_encoder_destroy(e);
    return st;
}

static void encode(const char *codec, uint32_t rate, uint32_t ch, const float *pcm, size_t frames,
                   const segue_metadata *meta, blob *out)
{
    char err[256] = "";
    segue_status st = encode_ex(codec, rate, ch, pcm, frames, meta, out, err, sizeof err);
    if (st != SEGUE_OK)
        fail_msg("encode %s %u Hz %u ch %zu frames: %s (%s)", codec, rate, ch, frames,
                 segue_status_name(st), err);
}

/* An io over memory without seek: a pipe. */
typedef struct pipe_src {
    const uint8_t *p;
    size_t left;
} pipe_src;

static long pipe_read(void *user, void *buf, size_t size)
{
    pipe_src *s = user;
    size_t n = size < s->left ? size : s->left;
    if (n > 777)
        n = 777; /* short reads */
    memcpy(buf, s->p, n);
    s->p += n;
    s->left -= n;
    return (long)n;
}

typedef struct decoded {
    float *pcm;
    size_t frames;
    uint32_t rate, ch;
    int64_t info_frames;
    segue_status open_status, read_status;
    char err[256];
} decoded;

static segue_decoder *open_mem(const blob *b, int pipe, pipe_src *ps, int strict, uint32_t max_meta,
                               segue_status *st)
{
    segue_io io;
    memset(&io, 0, sizeof io);
    if (pipe) {
        ps->p = b->data;
        ps->left = b->size;
        io.read = pipe_read;
        io.user = ps;
    } else {
        assert_int_equal(segue_io_from_memory(&io, b->data, b->size), SEGUE_OK);
    }
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    if (max_meta)
        cfg.max_metadata_bytes = max_meta;
    segue_decoder *d = NULL;
    *st = segue_decoder_open(&d, &io, &cfg);
    return d;
}

static void read_all(segue_decoder *d, decoded *r)
{
    const segue_stream_info *info = segue_decoder_info(d);
    r->rate = info->sample_rate;
    r->ch = info->channels;
    r->info_frames = info->frames;
    size_t cap = 1 << 16;
    r->pcm = malloc(cap * r->ch * sizeof(float));
    r->frames = 0;
    for (int guard = 0; guard < 1 << 20; guard++) {
        if (r->frames + 4096 > cap) {
            cap *= 2;
            r->pcm = realloc(r->pcm, cap * r->ch * sizeof(float));
            assert_non_null(r->pcm);
        }
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, r->pcm + r->frames * r->ch, 4096, &got);
        r->frames += got;
        if (st != SEGUE_OK) {
            r->read_status = st;
            break;
        }
    }
    snprintf(r->err, sizeof r->err, "%s", segue_decoder_last_error(d));
}

static decoded decode_blob(const blob *b, int pipe, int strict)
{
    decoded r;
    memset(&r, 0, sizeof r);
    pipe_src ps;
    segue_decoder *d = open_mem(b, pipe, &ps, strict, 0, &r.open_status);
    if (r.open_status == SEGUE_OK)
        read_all(d, &r);
    else
        snprintf(r.err, sizeof r.err, "%s", segue_decoder_last_error(d));
    segue_decoder_destroy(d);
    return r;
}

/* RMS of a - b over n samples, in dB (relative to full scale). */
static double diff_db(const float *a, const float *b, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        sum += d * d;
    }
    return n ? 10.0 * log10(sum / (double)n + 1e-30) : -300.0;
}

/* ---- lengths ------------------------------------------------------------------------ */

static void check_length(const char *codec, uint32_t rate, uint32_t ch, size_t frames)
{
    float *x = make_signal(rate, ch, frames, 1);
    blob b = {0};
    encode(codec, rate, ch, x, frames, NULL, &b);
    int opus = strcmp(codec, "opus") == 0;
    size_t want = opus ? frames * (48000 / rate) : frames;
    for (int pipe = 0; pipe < 2; pipe++) {
        decoded r = decode_blob(&b, pipe, 1);
        if (r.open_status != SEGUE_OK || r.read_status != SEGUE_END_OF_STREAM)
            fail_msg("%s %u Hz %zu frames pipe=%d: open %s read %s: %s", codec, rate, frames, pipe,
                     segue_status_name(r.open_status), segue_status_name(r.read_status), r.err);
        if (r.frames != want)
            fail_msg("%s %u Hz %zu frames (pipe=%d): decoded %zu, want %zu", codec, rate, frames,
                     pipe, r.frames, want);
        assert_int_equal(r.rate, opus ? 48000u : rate);
        assert_int_equal(r.ch, ch);
        if (!pipe)
            assert_int_equal(r.info_frames, (int64_t)want);
        /* Aligned with the input (same rate only): lossy, but close. */
        if (frames >= rate && (!opus || rate == 48000)) {
            double db = diff_db(r.pcm, x, want * ch);
            if (db > -25.0)
                fail_msg("%s %u Hz: decoded differs from input by %.1f dB (misaligned?)", codec,
                         rate, db);
        }
        free(r.pcm);
    }
    blob_free(&b);
    free(x);
}

static void test_vorbis_lengths(void **state)
{
    (void)state;
    static const uint32_t rates[] = {8000, 22050, 44100, 48000};
    for (size_t i = 0; i < 4; i++) {
        check_length("vorbis", rates[i], 2, 1);
        check_length("vorbis", rates[i], 2, rates[i]);
        check_length("vorbis", rates[i], 2, 30u * rates[i]);
    }
    check_length("vorbis", 44100, 1, 12345);
    check_length("vorbis", 44100, 2, 0);
}

static void test_opus_lengths(void **state)
{
    (void)state;
    static const uint32_t rates[] = {8000, 16000, 48000};
    for (size_t i = 0; i < 3; i++) {
        check_length("opus", rates[i], 2, 1);
        check_length("opus", rates[i], 2, rates[i]);
        check_length("opus", rates[i], 2, 30u * rates[i]);
    }
    check_length("opus", 48000, 1, 12345);
    check_length("opus", 48000, 2, 0);
}

static void test_opus_rejects_44k(void **state)
{
    (void)state;
    float x[64] = {0};
    blob b = {0};
    char err[256] = "";
    segue_status st = encode_ex("opus", 44100, 1, x, 64, NULL, &b, err, sizeof err);
    assert_int_equal(st, SEGUE_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "opus: sample rate 44100"));
}

/* ---- channel order ------------------------------------------------------------------ */

static void check_channels(const char *codec, uint32_t ch)
{
    uint32_t rate = 48000;
    size_t frames = rate;
    float *x = make_signal(rate, ch, frames, 2);
    blob b = {0};
    encode(codec, rate, ch, x, frames, NULL, &b);
    decoded r = decode_blob(&b, 0, 1);
    assert_int_equal(r.open_status, SEGUE_OK);
    assert_int_equal(r.frames, frames);
    assert_int_equal(r.ch, ch);
    /* each output channel must match its own input channel */
    for (uint32_t c = 0; c < ch; c++) {
        double best = -1e9;
        uint32_t best_c = 0;
        for (uint32_t k = 0; k < ch; k++) {
            double dot = 0, na = 0, nb = 0;
            for (size_t i = 2000; i < frames - 2000; i++) {
                double a = r.pcm[i * ch + c], v = x[i * ch + k];
                dot += a * v;
                na += a * a;
                nb += v * v;
            }
            double corr = dot / sqrt(na * nb + 1e-30);
            if (corr > best) {
                best = corr;
                best_c = k;
            }
        }
        if (best_c != c || best < 0.9)
            fail_msg("%s %u ch: output channel %u looks like input %u (corr %.3f)", codec, ch, c,
                     best_c, best);
    }
    free(r.pcm);
    blob_free(&b);
    free(x);
}

static void test_channel_order(void **state)
{
    (void)state;
    for (uint32_t ch = 1; ch <= 8; ch++) {
        check_channels("vorbis", ch);
        check_channels("opus", ch);
    }
}

/* ---- seeking ------------------------------------------------------------------------ */

static void check_seek(const char *codec, uint32_t rate, size_t frames, double max_db)
{
    uint32_t ch = 2;
    float *x = make_signal(rate, ch, frames, 3);
    blob b = {0};
    encode(codec, rate, ch, x, frames, NULL, &b);
    decoded full = decode_blob(&b, 0, 1);
    assert_int_equal(full.open_status, SEGUE_OK);
    size_t total = full.frames;
    const int64_t targets[] = {0, 1, 100, 959, 960, 2047, 2048, 3839, 3840, 3841, 4095, 12345,
                               (int64_t)total / 3, (int64_t)total / 2, (int64_t)total - 5000,
                               (int64_t)total - 1, (int64_t)total, 7777, 1};
    pipe_src ps;
    segue_status st;
    segue_decoder *d = open_mem(&b, 0, &ps, 1, 0, &st);
    assert_int_equal(st, SEGUE_OK);
    assert_true(segue_decoder_info(d)->seekable);
    float *buf = malloc(6000 * ch * sizeof *buf);
    double worst = -300;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        int64_t target = targets[t];
        if (target < 0 || target > (int64_t)total)
            continue;
        st = segue_decoder_seek(d, target);
        if (st != SEGUE_OK)
            fail_msg("%s seek to %lld: %s (%s)", codec, (long long)target, segue_status_name(st),
                     segue_decoder_last_error(d));
        size_t want = total - (size_t)target < 6000 ? total - (size_t)target : 6000;
        size_t got = 0;
        while (got < want) {
            size_t n = 0;
            st = segue_decoder_read_f32(d, buf + got * ch, want - got, &n);
            got += n;
            if (st != SEGUE_OK)
                break;
        }
        if (got != want)
            fail_msg("%s seek to %lld: read %zu of %zu frames", codec, (long long)target, got, want);
        double db = diff_db(buf, full.pcm + (size_t)target * ch, want * ch);
        if (want && db > worst)
            worst = db;
        if (want && db > max_db)
            fail_msg("%s seek to %lld: differs from a straight decode by %.1f dB (limit %.1f)",
                     codec, (long long)target, db, max_db);
        /* and the stream ends exactly */
        if ((size_t)target + want == total) {
            size_t n = 1;
            assert_int_equal(segue_decoder_read_f32(d, buf, 10, &n), SEGUE_END_OF_STREAM);
            assert_int_equal(n, 0);
        }
    }
    print_message("%s seek: worst difference to a straight decode %.1f dB\n", codec, worst);
    assert_int_not_equal(segue_decoder_seek(d, (int64_t)total + 1), SEGUE_OK);
    segue_decoder_destroy(d);

    /* a pipe cannot seek */
    d = open_mem(&b, 1, &ps, 0, 0, &st);
    assert_int_equal(st, SEGUE_OK);
    assert_false(segue_decoder_info(d)->seekable);
    assert_int_equal(segue_decoder_seek(d, 10), SEGUE_ERR_NOT_SEEKABLE);
    segue_decoder_destroy(d);
    free(buf);
    free(full.pcm);
    blob_free(&b);
    free(x);
}

static void test_seek_vorbis(void **state)
{
    (void)state;
    check_seek("vorbis", 44100, 10 * 44100, -300.0); /* bit-exact */
    check_seek("vorbis", 8000, 5 * 8000 + 17, -300.0);
}

static void test_seek_opus(void **state)
{
    (void)state;
    /* After 80 ms of pre-roll the decoder state has converged to well below
     * the coding noise; bit-exactness is not promised ([7845] 4.6). */
    check_seek("opus", 48000, 10 * 48000, -70.0);
}

/* ---- tags --------------------------------------------------------------------------- */

static segue_metadata *make_tags(int with_picture)
{
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    segue_metadata_add(m, "TITLE", "A title");
    segue_metadata_add(m, "ARTIST", "Artist One");
    segue_metadata_add(m, "ARTIST", "Artist Two");
    segue_metadata_add(m, "ALBUM", "Album");
    segue_metadata_add(m, "ALBUMARTIST", "Various");
    segue_metadata_add(m, "TRACKNUMBER", "3");
    segue_metadata_add(m, "TRACKTOTAL", "12");
    segue_metadata_add(m, "DISCNUMBER", "1");
    segue_metadata_add(m, "DISCTOTAL", "2");
    segue_metadata_add(m, "DATE", "2024-05-06");
    segue_metadata_add(m, "GENRE", "Test");
    segue_metadata_add(m, "COMMENT", "comment text");
    segue_metadata_add(m, "LYRICS", "line one\nline two");
    segue_metadata_add(m, "MY_CUSTOM_FIELD", "custom value");
    segue_metadata_add(m, "TITLESORT", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
    if (with_picture) {
        static uint8_t jpeg[70000];
        for (size_t i = 0; i < sizeof jpeg; i++)
            jpeg[i] = (uint8_t)(i * 7 + (i >> 8));
        jpeg[0] = 0xFF;
        jpeg[1] = 0xD8;
        jpeg[2] = 0xFF;
        segue_picture pic = {3, "image/jpeg", "cover", 600, 600, jpeg, sizeof jpeg};
        assert_int_equal(segue_metadata_add_picture(m, &pic), SEGUE_OK);
    }
    segue_loudness l;
    memset(&l, 0, sizeof l);
    l.has_r128_track = 1;
    l.r128_track_gain_db = -3.5;
    segue_metadata_set_loudness(m, &l);
    return m;
}

static void check_tags(const char *codec)
{
    segue_metadata *m = make_tags(1);
    float *x = make_signal(48000, 2, 4800, 4);
    blob b = {0};
    encode(codec, 48000, 2, x, 4800, m, &b);
    pipe_src ps;
    segue_status st;
    segue_decoder *d = open_mem(&b, 0, &ps, 1, 0, &st);
    if (st != SEGUE_OK)
        fail_msg("%s tags: open %s: %s", codec, segue_status_name(st), segue_decoder_last_error(d));
    const segue_metadata *r = segue_decoder_metadata(d);
    static const char *keys[] = {"TITLE", "ALBUM", "ALBUMARTIST", "TRACKNUMBER", "TRACKTOTAL",
                                 "DISCNUMBER", "DISCTOTAL", "DATE", "GENRE", "COMMENT", "LYRICS",
                                 "MY_CUSTOM_FIELD", "TITLESORT"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *want = segue_metadata_get(m, keys[i], 0);
        const char *got = segue_metadata_get(r, keys[i], 0);
        if (!got || strcmp(got, want) != 0)
            fail_msg("%s tags: %s is '%s', want '%s'", codec, keys[i], got ? got : "(none)", want);
    }
    assert_int_equal(segue_metadata_count(r, "ARTIST"), 2);
    assert_string_equal(segue_metadata_get(r, "ARTIST", 1), "Artist Two");
    assert_int_equal(segue_metadata_picture_count(r), 1);
    segue_picture in, out;
    segue_metadata_picture_at(m, 0, &in);
    segue_metadata_picture_at(r, 0, &out);
    assert_int_equal(out.size, in.size);
    assert_memory_equal(out.data, in.data, in.size);
    assert_int_equal(out.type, 3);
    assert_string_equal(out.mime, "image/jpeg");
    segue_loudness l;
    segue_metadata_get_loudness(r, &l);
    if (strcmp(codec, "opus") == 0) {
        assert_true(l.has_r128_track);
        assert_true(fabs(l.r128_track_gain_db + 3.5) < 1.0 / 256.0);
    }
    segue_decoder_destroy(d);

    /* an oversized comment header loses its tags, not the audio */
    d = open_mem(&b, 1, &ps, 0, 4096, &st);
    assert_int_equal(st, SEGUE_OK);
    r = segue_decoder_metadata(d);
    assert_null(segue_metadata_get(r, "TITLE", 0));
    assert_true(segue_metadata_unmapped_count(r) >= 1);
    decoded dr;
    memset(&dr, 0, sizeof dr);
    read_all(d, &dr);
    assert_int_equal(dr.frames, 4800);
    free(dr.pcm);
    segue_decoder_destroy(d);

    blob_free(&b);
    free(x);
    segue_metadata_destroy(m);
}

static void test_tags(void **state)
{
    (void)state;
    check_tags("vorbis");
    check_tags("opus");
}

/* ---- chains ------------------------------------------------------------------------- */

static blob concat(const blob *a, const blob *b)
{
    blob c;
    c.size = a->size + b->size;
    c.data = malloc(c.size);
    memcpy(c.data, a->data, a->size);
    memcpy(c.data + a->size, b->data, b->size);
    return c;
}

static void test_chain(void **state)
{
    (void)state;
    const char *codecs[] = {"vorbis", "opus"};
    for (int k = 0; k < 2; k++) {
        float *x1 = make_signal(48000, 2, 30011, 5), *x2 = make_signal(48000, 2, 20011, 6);
        blob a = {0}, b = {0};
        encode(codecs[k], 48000, 2, x1, 30011, NULL, &a);
        encode(codecs[k], 48000, 2, x2, 20011, NULL, &b);
        blob c = concat(&a, &b);
        for (int pipe = 0; pipe < 2; pipe++) {
            decoded r = decode_blob(&c, pipe, 0);
            assert_int_equal(r.open_status, SEGUE_OK);
            if (r.frames != 50022)
                fail_msg("%s chain (pipe=%d): %zu frames, want 50022: %s", codecs[k], pipe,
                         r.frames, r.err);
            /* both links in place */
            assert_true(diff_db(r.pcm, x1, 30011 * 2) < -25.0);
            assert_true(diff_db(r.pcm + 30011 * 2, x2, 20011 * 2) < -25.0);
            /* seeking into the second link (decodes forward from link 1) */
            if (!pipe) {
                pipe_src ps;
                segue_status st;
                segue_decoder *d = open_mem(&c, 0, &ps, 0, 0, &st);
                assert_int_equal(segue_decoder_seek(d, 40000), SEGUE_OK);
                float buf[2000 * 2];
                size_t n = 0;
                assert_int_equal(segue_decoder_read_f32(d, buf, 2000, &n), SEGUE_OK);
                assert_true(n > 0);
                if (k == 0)
                    assert_true(diff_db(buf, r.pcm + 40000 * 2, n * 2) < -200.0);
                assert_int_equal(segue_decoder_seek(d, 100), SEGUE_OK);
                assert_int_equal(segue_decoder_read_f32(d, buf, 2000, &n), SEGUE_OK);
                assert_true(diff_db(buf, r.pcm + 200, n * 2) < (k == 0 ? -200.0 : -70.0));
                segue_decoder_destroy(d);
            }
            free(r.pcm);
        }
        blob_free(&c);
        /* a second link in another format ends the stream with a note */
        blob o = {0};
        encode(codecs[k], k == 0 ? 44100 : 24000, 1, x2, 20011, NULL, &o);
        c = concat(&a, &o);
        decoded r = decode_blob(&c, 0, 0);
        assert_int_equal(r.open_status, SEGUE_OK);
        assert_int_equal(r.read_status, SEGUE_END_OF_STREAM);
        assert_int_equal(r.frames, 30011);
        assert_non_null(strstr(r.err, "chained stream"));
        free(r.pcm);
        blob_free(&c);
        blob_free(&o);
        blob_free(&a);
        blob_free(&b);
        free(x1);
        free(x2);
    }
}

/* ---- damage ------------------------------------------------------------------------- */

/* [3533] CRC, for building pages here. */
static uint32_t crc32_ogg(const uint8_t *p, size_t n)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

static void fix_crc(uint8_t *page, size_t len)
{
    memset(page + 22, 0, 4);
    uint32_t c = crc32_ogg(page, len);
    page[22] = (uint8_t)c;
    page[23] = (uint8_t)(c >> 8);
    page[24] = (uint8_t)(c >> 16);
    page[25] = (uint8_t)(c >> 24);
}

/* Offsets of the pages of a well-formed stream. */
static size_t page_offsets(const blob *b, size_t *off, size_t max)
{
    size_t n = 0, pos = 0;
    while (pos + 27 <= b->size && n < max) {
        assert_memory_equal(b->data + pos, "OggS", 4);
        off[n++] = pos;
        size_t hs = 27 + b->data[pos + 26], body = 0;
        for (size_t i = 27; i < hs; i++)
            body += b->data[pos + i];
        pos += hs + body;
    }
    return n;
}

static size_t page_size(const blob *b, size_t at)
{
    size_t hs = 27 + b->data[at + 26], body = 0;
    for (size_t i = 27; i < hs; i++)
        body += b->data[at + i];
    return hs + body;
}

static void test_empty_and_truncated(void **state)
{
    (void)state;
    blob empty = {(uint8_t *)"", 0};
    decoded r = decode_blob(&empty, 0, 0);
    assert_true(r.open_status < 0);
    const char *codecs[] = {"vorbis", "opus"};
    for (int k = 0; k < 2; k++) {
        float *x = make_signal(48000, 2, 20000, 7);
        blob b = {0};
        encode(codecs[k], 48000, 2, x, 20000, NULL, &b);
        size_t step = b.size / 300 + 1;
        for (size_t cut = 0; cut < b.size; cut += (cut < 200 ? 1 : step)) {
            blob t = {b.data, cut};
            for (int mode = 0; mode < 3; mode++) {
                decoded d = decode_blob(&t, mode == 2, mode == 1);
                if (d.open_status == SEGUE_OK) {
                    assert_true(d.frames <= 20000);
                    if (mode == 0)
                        assert_int_equal(d.read_status, SEGUE_END_OF_STREAM);
                }
                free(d.pcm);
            }
        }
        blob_free(&b);
        free(x);
    }
}

static void test_crc_and_garbage(void **state)
{
    (void)state;
    float *x = make_signal(44100, 2, 5 * 44100, 8);
    blob b = {0};
    encode("vorbis", 44100, 2, x, 5 * 44100, NULL, &b);
    decoded ref = decode_blob(&b, 0, 1);
    assert_int_equal(ref.frames, 5 * 44100);
    size_t off[4096];
    size_t np = page_offsets(&b, off, 4096);
    assert_true(np > 8);

    /* a damaged audio page: skipped, the rest decodes, a note says so */
    blob c = {malloc(b.size), b.size};
    memcpy(c.data, b.data, b.size);
    size_t victim = off[np / 2];
    c.data[victim + page_size(&b, victim) - 10] ^= 0x55;
    decoded r = decode_blob(&c, 0, 0);
    assert_int_equal(r.open_status, SEGUE_OK);
    assert_int_equal(r.read_status, SEGUE_END_OF_STREAM);
    assert_true(r.frames < ref.frames && r.frames > ref.frames / 2);
    assert_non_null(strstr(r.err, "bad CRC"));
    free(r.pcm);
    r = decode_blob(&c, 0, 1); /* strict: an error */
    assert_int_equal(r.read_status, SEGUE_ERR_CORRUPT);
    free(r.pcm);
    blob_free(&c);

    /* garbage between pages (no capture pattern in it): nothing is lost */
    size_t at = off[np / 3];
    c.size = b.size + 3000;
    c.data = malloc(c.size);
    memcpy(c.data, b.data, at);
    for (size_t i = 0; i < 3000; i++)
        c.data[at + i] = (uint8_t)(i * 13 + 1) == 'O' ? 'o' : (uint8_t)(i * 13 + 1);
    memcpy(c.data + at + 3000, b.data + at, b.size - at);
    for (int pipe = 0; pipe < 2; pipe++) {
        r = decode_blob(&c, pipe, 0);
        assert_int_equal(r.frames, ref.frames);
        assert_memory_equal(r.pcm, ref.pcm, ref.frames * 2 * sizeof(float));
        assert_non_null(strstr(r.err, "garbage"));
        free(r.pcm);
    }
    blob_free(&c);

    /* lying lacing: a page claims more body than it has (CRC redone, so
     * the parser believes it and swallows part of the next page) */
    c.size = b.size;
    c.data = malloc(c.size);
    memcpy(c.data, b.data, b.size);
    victim = off[np / 2];
    size_t nseg = c.data[victim + 26];
    c.data[victim + 27 + nseg - 1] = 254;
    size_t claimed = page_size(&c, victim);
    if (victim + claimed <= c.size)
        fix_crc(c.data + victim, claimed);
    for (int strict = 0; strict < 2; strict++) {
        r = decode_blob(&c, 0, strict);
        assert_int_equal(r.open_status, SEGUE_OK);
        assert_true(r.frames <= ref.frames);
        free(r.pcm);
    }
    /* lying lacing without a CRC fix, and a segment count past the end */
    memcpy(c.data, b.data, b.size);
    c.data[off[np - 1] + 26] = 255;
    c.data[off[3] + 27] ^= 0x80;
    r = decode_blob(&c, 1, 0);
    assert_int_equal(r.open_status, SEGUE_OK);
    assert_true(r.frames <= ref.frames);
    free(r.pcm);
    blob_free(&c);
    free(ref.pcm);
    blob_free(&b);
    free(x);
}

/* Writes one page. */
static size_t put_page(uint8_t *dst, uint8_t flags, int64_t granule, uint32_t serial, uint32_t seq,
                       const uint8_t *lacing, unsigned nseg, const uint8_t *body, size_t body_len)
{
    memcpy(dst, "OggS", 4);
    dst[4] = 0;
    dst[5] = flags;
    for (int i = 0; i < 8; i++)
        dst[6 + i] = (uint8_t)((uint64_t)granule >> (8 * i));
    for (int i = 0; i < 4; i++) {
        dst[14 + i] = (uint8_t)(serial >> (8 * i));
        dst[18 + i] = (uint8_t)(seq >> (8 * i));
    }
    dst[26] = (uint8_t)nseg;
    memcpy(dst + 27, lacing, nseg);
    memcpy(dst + 27 + nseg, body, body_len);
    fix_crc(dst, 27 + nseg + body_len);
    return 27 + nseg + body_len;
}

/* Splices a packet that spans `pages` full pages into a real stream, just
 * before its last page, then lets the stream continue. */
static void test_huge_packet(void **state)
{
    (void)state;
    float *x = make_signal(48000, 2, 48000, 9);
    blob b = {0};
    encode("opus", 48000, 2, x, 48000, NULL, &b);
    decoded ref = decode_blob(&b, 0, 1);
    size_t off[1024];
    size_t np = page_offsets(&b, off, 1024);
    uint32_t serial = (uint32_t)b.data[14] | ((uint32_t)b.data[15] << 8) | ((uint32_t)b.data[16] << 16) |
                      ((uint32_t)b.data[17] << 24);
    unsigned pages = 300;
    size_t big = b.size + (size_t)pages * (27 + 255 + 255 * 255) + 64;
    blob c = {malloc(big), 0};
    /* keep pages up to the last one, then the monster, then renumber the
     * last page */
    size_t keep = off[np - 1];
    memcpy(c.data, b.data, keep);
    c.size = keep;
    uint32_t seq = (uint32_t)c.data[off[np - 2] + 18] | ((uint32_t)c.data[off[np - 2] + 19] << 8);
    seq++;
    uint8_t lacing[255];
    memset(lacing, 255, sizeof lacing);
    static uint8_t body[255 * 255];
    memset(body, 0xA5, sizeof body);
    for (unsigned p = 0; p < pages; p++)
        c.size += put_page(c.data + c.size, p ? 1 : 0, -1, serial, seq++, lacing, 255, body,
                           sizeof body);
    /* the page that ends it: one 10-byte segment, then the real last page */
    uint8_t end_lacing[1] = {10};
    c.size += put_page(c.data + c.size, 1, -1, serial, seq++, end_lacing, 1, body, 10);
    size_t last_len = page_size(&b, keep);
    memcpy(c.data + c.size, b.data + keep, last_len);
    c.data[c.size + 18] = (uint8_t)seq;
    c.data[c.size + 19] = (uint8_t)(seq >> 8);
    fix_crc(c.data + c.size, last_len);
    c.size += last_len;

    decoded r = decode_blob(&c, 0, 0);
    assert_int_equal(r.open_status, SEGUE_OK);
    assert_int_equal(r.read_status, SEGUE_END_OF_STREAM);
    assert_non_null(strstr(r.err, "exceeds"));
    assert_true(r.frames <= ref.frames);
    free(r.pcm);
    r = decode_blob(&c, 1, 1);
    assert_int_equal(r.read_status, SEGUE_ERR_TOO_LARGE);
    free(r.pcm);
    free(ref.pcm);
    blob_free(&c);
    blob_free(&b);
    free(x);
}

static void test_pipe_equals_file(void **state)
{
    (void)state;
    float *x = make_signal(22050, 2, 3 * 22050 + 5, 10);
    blob b = {0};
    encode("vorbis", 22050, 2, x, 3 * 22050 + 5, NULL, &b);
    decoded f = decode_blob(&b, 0, 1), p = decode_blob(&b, 1, 1);
    assert_int_equal(f.frames, p.frames);
    assert_memory_equal(f.pcm, p.pcm, f.frames * 2 * sizeof(float));
    free(f.pcm);
    free(p.pcm);
    blob_free(&b);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vorbis_lengths),
        cmocka_unit_test(test_opus_lengths),
        cmocka_unit_test(test_opus_rejects_44k),
        cmocka_unit_test(test_channel_order),
        cmocka_unit_test(test_seek_vorbis),
        cmocka_unit_test(test_seek_opus),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_empty_and_truncated),
        cmocka_unit_test(test_crc_and_garbage),
        cmocka_unit_test(test_huge_packet),
        cmocka_unit_test(test_pipe_equals_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
