/*
 * tests/atrac3/atrac3_unit.c - unit tests of the own ATRAC3 decoder
 * (codec/atrac3): the IMLT against its defining sum, the QMF synthesis
 * against a direct convolution, parameter checks, the state size (at most
 * 24 KiB, the device budget), allocation only in init (a counting
 * allocator), a synthetic silent frame, and with the fixtures present
 * (../shared/fixtures/atrac): output length, strict errors versus
 * concealment on truncated and garbage frames, reset = fresh decoder,
 * and the end-trim of pkt.frames. Plain C, so cross builds run it too.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/atrac3/atrac3_dsp.h"
#include "codec/atrac3/atrac3_tables.h"
#include "codec/codec.h"
#include "simd/dsp_impl.h"
#include "core/alloc.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

/* Deterministic noise in [-1, 1). */
static uint32_t rng_state = 12345u;
static float noise(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}

static void test_imlt(void)
{
    float in[256], out[512], work[256];
    for (int reversed = 0; reversed < 2; reversed++) {
        for (int k = 0; k < 256; k++)
            in[k] = noise();
        atrac3_imlt(in, reversed, 0.5f, out, work);
        double max_err = 0.0, max_ref = 0.0;
        for (int n = 0; n < 512; n++) {
            double sum = 0.0;
            for (int k = 0; k < 256; k++) {
                double x = reversed ? in[255 - k] : in[k];
                sum += x * cos(3.14159265358979323846 / 256.0 * (n + 0.5 + 128.0) * (k + 0.5));
            }
            double want = 0.5 * sum * segue_atrac3_window[n];
            if (fabs(want - out[n]) > max_err)
                max_err = fabs(want - out[n]);
            if (fabs(want) > max_ref)
                max_ref = fabs(want);
        }
        CHECK(max_err <= 1e-5 * max_ref, "imlt reversed=%d: error %g of peak %g", reversed,
              max_err, max_ref);
    }
}

static void test_qmf(void)
{
    /* Two calls of 256 against one direct convolution over 512 inputs:
     * x[2i] = lo + hi, x[2i+1] = lo - hi; out[2j] = sum of odd taps,
     * out[2j+1] = sum of even taps over x[2j .. 2j+47] (46 zeros first). */
    enum { N = 512 };
    static float lo[N], hi[N], out[2 * N], x[2 * N + 46], work[2 * 256 + 46];
    float delay[46];
    memset(delay, 0, sizeof delay);
    memset(x, 0, sizeof x);
    for (int i = 0; i < N; i++) {
        lo[i] = noise();
        hi[i] = noise();
        x[46 + 2 * i] = lo[i] + hi[i];
        x[46 + 2 * i + 1] = lo[i] - hi[i];
    }
    atrac3_qmf_synth(lo, hi, 256, out, delay, work);
    atrac3_qmf_synth(lo + 256, hi + 256, 256, out + 512, delay, work);
    double max_err = 0.0;
    for (int j = 0; j < N; j++) {
        double even = 0.0, odd = 0.0;
        for (int t = 0; t < 48; t += 2) {
            even += (double)x[2 * j + t] * segue_atrac3_qmf_window[t];
            odd += (double)x[2 * j + t + 1] * segue_atrac3_qmf_window[t + 1];
        }
        max_err = fmax(max_err, fabs(odd - out[2 * j]));
        max_err = fmax(max_err, fabs(even - out[2 * j + 1]));
    }
    CHECK(max_err < 1e-5, "qmf: error %g", max_err);
}

/* Counting allocator over the default one. */
typedef struct counting {
    size_t allocs, frees;
} counting;

static void *count_alloc(void *user, size_t size)
{
    ((counting *)user)->allocs++;
    return segue_mem_alloc(NULL, size);
}

static void count_free(void *user, void *ptr)
{
    ((counting *)user)->frees++;
    segue_mem_free(NULL, ptr);
}

static const uint8_t extradata_single[14] = {1, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
static const uint8_t extradata_joint[14] = {1, 0, 0, 0x10, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0};

static segue_codec_params params(unsigned channels, unsigned block_align, int joint, int strict)
{
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "atrac3";
    p.sample_rate = 44100;
    p.channels = channels;
    p.block_align = block_align;
    p.max_packet_frames = 1024;
    p.extradata = joint ? extradata_joint : extradata_single;
    p.extradata_size = 14;
    p.strict = strict;
    return p;
}

typedef struct decoder {
    const segue_codec_desc *desc;
    void *priv;
    counting count;
    segue_allocator alloc;
    segue_error err;
} decoder;

static int open_decoder(decoder *d, const segue_codec_params *p)
{
    memset(d, 0, sizeof *d);
    d->desc = segue_codec_find("atrac3", SEGUE_CODEC_DECODE);
    if (!d->desc)
        return -1;
    d->alloc.user = &d->count;
    d->alloc.alloc = count_alloc;
    d->alloc.free = count_free;
    d->priv = segue_mem_calloc(NULL, 1, d->desc->priv_size);
    if (!d->priv)
        return -1;
    if (d->desc->decoder_init(d->priv, p, &d->alloc, &d->err) != SEGUE_OK) {
        d->desc->fini(d->priv, &d->alloc);
        segue_mem_free(NULL, d->priv);
        d->priv = NULL;
        return -1;
    }
    return 0;
}

static void close_decoder(decoder *d)
{
    if (d->priv) {
        d->desc->fini(d->priv, &d->alloc);
        segue_mem_free(NULL, d->priv);
    }
    CHECK(d->count.allocs == d->count.frees, "allocations %zu, frees %zu", d->count.allocs,
          d->count.frees);
}

static segue_status decode(decoder *d, const uint8_t *data, size_t size, uint32_t frames_limit,
                           const float **pcm, size_t *frames)
{
    segue_packet pkt = {data, size, -1, frames_limit, 0};
    memset(&d->err, 0, sizeof d->err);
    return d->desc->decode(d->priv, &pkt, pcm, frames, &d->err);
}

static void test_params(void)
{
    const segue_codec_desc *desc = segue_codec_find("atrac3", SEGUE_CODEC_DECODE);
    CHECK(desc != NULL, "no atrac3 descriptor");
    if (!desc)
        return;
    printf("state: %zu bytes (stereo and mono)\n", desc->priv_size);
    CHECK(desc->priv_size <= 24 * 1024, "state %zu bytes > 24 KiB", desc->priv_size);
    struct {
        unsigned channels, block_align;
        int joint;
        int ok;
    } cases[] = {
        {2, 384, 0, 1}, {2, 192, 1, 1}, {2, 304, 0, 1}, {2, 272, 1, 1}, {1, 192, 0, 1},
        {0, 384, 0, 0}, {3, 384, 0, 0}, {2, 0, 0, 0},   {2, 385, 0, 0}, {2, 8192, 0, 0},
        {1, 192, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        segue_codec_params p = params(cases[i].channels, cases[i].block_align, cases[i].joint, 1);
        decoder d;
        int ok = open_decoder(&d, &p) == 0;
        CHECK(ok == cases[i].ok, "init %u ch %u bytes joint %d: %s (%s)", cases[i].channels,
              cases[i].block_align, cases[i].joint, ok ? "accepted" : "refused", d.err.detail);
        CHECK(ok || strncmp(d.err.detail, "atrac3: ", 8) == 0, "no detail: '%s'", d.err.detail);
        CHECK(d.count.allocs == 0, "init allocated %zu times", d.count.allocs);
        close_decoder(&d);
    }
    segue_codec_params p = params(2, 384, 0, 1);
    p.extradata_size = 10; /* RealMedia extradata: not this contract */
    decoder d;
    CHECK(open_decoder(&d, &p) != 0, "10-byte extradata accepted");
    close_decoder(&d);
}

/* MSB-first bit writer for synthetic frames. */
typedef struct bitwriter {
    uint8_t *buf;
    size_t pos;
} bitwriter;

static void put(bitwriter *w, unsigned value, unsigned bits)
{
    while (bits--) {
        if ((value >> bits) & 1u)
            w->buf[w->pos >> 3] |= (uint8_t)(0x80u >> (w->pos & 7u));
        w->pos++;
    }
}

static void test_synthetic(void)
{
    /* A sound unit with nothing coded: id 0x28, one band, no gain points,
     * no tonal components, one quantisation unit with selector 0. */
    uint8_t frame[384];
    memset(frame, 0, sizeof frame);
    for (int ch = 0; ch < 2; ch++) {
        bitwriter w = {frame + ch * 192, 0};
        put(&w, 0x28, 6);
        put(&w, 0, 2);  /* coded bands - 1 */
        put(&w, 0, 3);  /* gain points of band 0 */
        put(&w, 0, 5);  /* tonal component groups */
        put(&w, 0, 5);  /* last quantisation unit */
        put(&w, 0, 1);  /* VLC */
        put(&w, 0, 3);  /* selector of unit 0 */
    }
    segue_codec_params p = params(2, 384, 0, 1);
    decoder d;
    CHECK(open_decoder(&d, &p) == 0, "init: %s", d.err.detail);
    if (!d.priv)
        return;
    const float *pcm = NULL;
    size_t frames = 0;
    segue_status st = decode(&d, frame, sizeof frame, 0, &pcm, &frames);
    CHECK(st == SEGUE_OK && frames == 1024, "silent frame: status %d frames %zu (%s)", st, frames,
          d.err.detail);
    int silent = 1;
    for (size_t i = 0; pcm && i < 2 * frames; i++)
        silent &= pcm[i] == 0.0f;
    CHECK(silent, "silent frame decodes to non-zero samples");
    /* The same frame with a wrong unit id: corrupt in strict mode. */
    frame[0] ^= 0x80;
    st = decode(&d, frame, sizeof frame, 0, &pcm, &frames);
    CHECK(st == SEGUE_ERR_CORRUPT && strstr(d.err.detail, "sound unit id"),
          "bad unit id: status %d '%s'", st, d.err.detail);
    /* Gain locations must increase: two points at location 5. */
    memset(frame, 0, sizeof frame);
    bitwriter w = {frame, 0};
    put(&w, 0x28, 6);
    put(&w, 0, 2);
    put(&w, 2, 3);
    put(&w, 3, 4);
    put(&w, 5, 5);
    put(&w, 2, 4);
    put(&w, 5, 5);
    st = decode(&d, frame, sizeof frame, 0, &pcm, &frames);
    CHECK(st == SEGUE_ERR_CORRUPT && strstr(d.err.detail, "gain"), "bad gain: status %d '%s'",
          st, d.err.detail);
    /* Empty packet: nothing, no error. */
    st = decode(&d, NULL, 0, 0, &pcm, &frames);
    CHECK(st == SEGUE_OK && frames == 0, "empty packet: status %d frames %zu", st, frames);
    close_decoder(&d);
}

/* ---- with the fixtures ---- */

typedef struct riff {
    uint8_t *file;
    const uint8_t *data;
    size_t bytes;
    unsigned block_align;
    int joint;
} riff;

static int load_at3(const char *name, riff *r)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", ATRAC3_FIXTURES, name);
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    r->file = segue_mem_alloc(NULL, (size_t)n);
    if (!r->file || fread(r->file, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    fclose(f);
    /* fmt at 12 (32 bytes: block_align at +12, extradata at +18, coding
     * mode at extradata +6), then fact, then data. */
    const uint8_t *d = r->file;
    r->block_align = (unsigned)(d[20 + 12] | d[20 + 13] << 8);
    r->joint = d[20 + 18 + 6] != 0;
    for (size_t pos = 12; pos + 8 <= (size_t)n;) {
        size_t size = (size_t)(d[pos + 4] | d[pos + 5] << 8 | d[pos + 6] << 16) |
                      (size_t)d[pos + 7] << 24;
        if (!memcmp(d + pos, "data", 4)) {
            r->data = d + pos + 8;
            r->bytes = size < (size_t)n - pos - 8 ? size : (size_t)n - pos - 8;
            return 0;
        }
        pos += 8 + size;
    }
    return -1;
}

static void test_fixture(const char *name)
{
    riff r;
    if (load_at3(name, &r) != 0) {
        segue_mem_free(NULL, r.file);
        printf("skipped: ../shared/fixtures/atrac not present (%s)\n", name);
        return;
    }
    size_t nframes = r.bytes / r.block_align;
    CHECK(nframes > 100, "%s: %zu frames", name, nframes);
    segue_codec_params p = params(2, r.block_align, r.joint, 1);
    decoder d, fresh;
    CHECK(open_decoder(&d, &p) == 0, "%s init: %s", name, d.err.detail);
    CHECK(open_decoder(&fresh, &p) == 0, "%s init: %s", name, fresh.err.detail);
    if (!d.priv || !fresh.priv)
        return;
    static float first[2048];
    const float *pcm;
    size_t frames;
    double energy = 0.0;
    for (size_t i = 0; i < 60; i++) {
        segue_status st = decode(&d, r.data + i * r.block_align, r.block_align, 0, &pcm, &frames);
        CHECK(st == SEGUE_OK && frames == 1024, "%s frame %zu: status %d frames %zu (%s)", name,
              i, st, frames, d.err.detail);
        for (size_t k = 0; k < 2 * frames; k++)
            energy += (double)pcm[k] * pcm[k];
        if (i == 59)
            memcpy(first, pcm, sizeof first);
    }
    CHECK(energy > 1.0, "%s: decode is silent (energy %g)", name, energy);
    /* Reset, then the same frames: identical to a fresh decoder. */
    d.desc->reset(d.priv);
    for (size_t i = 50; i < 60; i++) {
        const float *a, *b;
        size_t fa, fb;
        decode(&d, r.data + i * r.block_align, r.block_align, 0, &a, &fa);
        decode(&fresh, r.data + i * r.block_align, r.block_align, 0, &b, &fb);
        CHECK(fa == fb && memcmp(a, b, fa * 2 * sizeof(float)) == 0,
              "%s frame %zu: reset decoder differs from a fresh one", name, i);
    }
    /* pkt.frames trims the output. */
    segue_status st = decode(&d, r.data + 60 * r.block_align, r.block_align, 100, &pcm, &frames);
    CHECK(st == SEGUE_OK && frames == 100, "%s: trim to 100 gave %zu", name, frames);
    /* Truncated frame: strict error with detail. */
    st = decode(&d, r.data, r.block_align - 1, 0, &pcm, &frames);
    CHECK(st == SEGUE_ERR_CORRUPT && strncmp(d.err.detail, "atrac3: packet of", 17) == 0,
          "%s truncated (strict): status %d '%s'", name, st, d.err.detail);
    close_decoder(&d);
    close_decoder(&fresh);

    /* Concealment (not strict): truncated and garbage frames give 1024
     * finite frames and SEGUE_OK; garbage in strict mode never crashes. */
    for (int strict = 0; strict < 2; strict++) {
        p = params(2, r.block_align, r.joint, strict);
        CHECK(open_decoder(&d, &p) == 0, "init");
        if (!d.priv)
            return;
        static uint8_t junk[4096];
        size_t ok = 0, corrupt = 0;
        for (size_t i = 0; i < 400; i++) {
            const uint8_t *frame = r.data + (i % nframes) * r.block_align;
            memcpy(junk, frame, r.block_align);
            if (i % 4 == 1) {
                for (unsigned k = 0; k < r.block_align; k++)
                    junk[k] = (uint8_t)(noise() * 128.0f);
            } else if (i % 4 == 2) {
                for (int k = 0; k < 8; k++) /* flip a few bits after the unit id */
                    junk[1 + (unsigned)((noise() + 1.0f) * 0.5f * (float)(r.block_align - 2))] ^=
                        (uint8_t)(1u << (k & 7));
            } else if (i % 4 == 3) {
                memset(junk, 0xF8, r.block_align); /* all fill bytes */
            }
            size_t size = (i % 16 == 5) ? r.block_align / 2 : r.block_align;
            st = decode(&d, junk, size, 0, &pcm, &frames);
            if (st == SEGUE_OK) {
                ok++;
                CHECK(frames == 1024, "%s: %zu frames", name, frames);
                int finite = 1;
                for (size_t k = 0; k < 2 * frames; k++)
                    finite &= isfinite(pcm[k]) != 0;
                CHECK(finite, "%s: non-finite output", name);
            } else {
                corrupt++;
                CHECK(st == SEGUE_ERR_CORRUPT && strncmp(d.err.detail, "atrac3: ", 8) == 0,
                      "%s: status %d '%s'", name, st, d.err.detail);
            }
        }
        if (!strict)
            CHECK(corrupt == 0, "%s: concealing decoder returned %zu errors", name, corrupt);
        else
            CHECK(corrupt > 50, "%s: strict decoder returned only %zu errors", name, corrupt);
        close_decoder(&d);
    }
    segue_mem_free(NULL, r.file);
}

int main(void)
{
    test_imlt();
    test_qmf();
    test_params();
    test_synthetic();
    test_fixture("at3_lp2_music_10s.at3");
    test_fixture("at3_lp4_music_10s.at3");
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("atrac3_unit: all passed\n");
    return 0;
}
