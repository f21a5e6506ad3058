/*
 * tests/atrac1/atrac1_unit.c - unit tests of the own ATRAC1 decoder
 * (codec/atrac1), driven through its descriptor on synthetic sound units:
 *   - the FFT-based half IMDCT against its defining sum, for M = 32, 128, 256;
 *   - the BFU tables tile each band exactly once in long and short mode;
 *   - init refuses bad parameters and allocates nothing (counting allocator);
 *   - an all-zero unit decodes to exact silence, 512 frames;
 *   - invalid block size codes and over-budget word lengths are
 *     SEGUE_ERR_CORRUPT and leave the state as it was;
 *   - a truncated packet is concealed (strict: an error); pkt.frames trims;
 *   - reset forgets history; mono decodes equal the stereo channel;
 *   - random garbage never crashes and never yields non-finite output;
 *   - the memory report (state size against the device budget).
 * Plain C (no cmocka), so cross builds can run it under qemu.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "codec/atrac1/atrac1_internal.h"
#include "codec/atrac1/atrac1_tables.h"
#include "codec/codec.h"
#include "core/alloc.h"

/* Device budget for a stereo decoder's state plus init allocations. */
#define BUDGET (28u * 1024u)

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static uint32_t rng_state = 12345u;
static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

typedef struct counting {
    size_t calls;
} counting;

static void *count_alloc(void *user, size_t size)
{
    ((counting *)user)->calls++;
    return segue_mem_alloc(NULL, size);
}

static void count_free(void *user, void *ptr)
{
    (void)user;
    segue_mem_free(NULL, ptr);
}

static const segue_codec_desc *desc;

typedef struct decoder {
    void *priv;
    unsigned channels;
} decoder;

static segue_status open_decoder(decoder *d, unsigned channels, int strict, counting *c)
{
    segue_allocator a = {c, count_alloc, count_free};
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "atrac1";
    p.sample_rate = 44100;
    p.channels = channels;
    p.block_align = 212u * channels;
    p.max_packet_frames = 512;
    p.strict = strict;
    d->channels = channels;
    d->priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    if (!d->priv)
        return SEGUE_ERR_NO_MEMORY;
    segue_error err;
    memset(&err, 0, sizeof err);
    return desc->decoder_init(d->priv, &p, c ? &a : NULL, &err);
}

static void close_decoder(decoder *d)
{
    desc->fini(d->priv, NULL);
    segue_mem_free(NULL, d->priv);
    d->priv = NULL;
}

static segue_status decode(decoder *d, const uint8_t *data, size_t size, uint32_t limit,
                           const float **pcm, size_t *frames, segue_error *err)
{
    segue_packet pkt = {data, size, -1, limit, 0};
    memset(err, 0, sizeof *err);
    return desc->decode(d->priv, &pkt, pcm, frames, err);
}

/* MSB-first writer for building sound units. */
typedef struct writer {
    uint8_t *p;
    size_t pos;
} writer;

static void put(writer *w, unsigned n, unsigned v)
{
    for (unsigned i = n; i-- > 0;) {
        size_t byte = w->pos >> 3;
        unsigned shift = 7u - (unsigned)(w->pos & 7u);
        if ((v >> i) & 1u)
            w->p[byte] = (uint8_t)(w->p[byte] | (1u << shift));
        else
            w->p[byte] = (uint8_t)(w->p[byte] & ~(1u << shift));
        w->pos++;
    }
}

/* A random valid unit: random block modes and BFU count, word length
 * index 0 or 1 (2-bit mantissas keep any BFU count within the 1696-bit
 * budget), random scale factors and mantissas. */
static void make_unit(uint8_t *u)
{
    for (unsigned i = 0; i < 212; i++)
        u[i] = (uint8_t)rng();
    writer w = {u, 0};
    put(&w, 2, (rng() & 1u) ? 2u : 0u);
    put(&w, 2, (rng() & 1u) ? 2u : 0u);
    put(&w, 2, (rng() & 1u) ? 3u : 0u);
    put(&w, 2, 0);
    unsigned idx = rng() % 8u;
    put(&w, 3, idx);
    put(&w, 2, 0);
    put(&w, 3, 0);
    unsigned nbfu = at1_bfu_count[idx];
    for (unsigned i = 0; i < nbfu; i++)
        put(&w, 4, rng() & 1u);
    for (unsigned i = 0; i < nbfu; i++)
        put(&w, 6, 20u + rng() % 30u);
}

static void test_imdct(void)
{
    static at1_state s;
    at1_transform_init(&s);
    float in[256], out[256];
    for (unsigned p = 0; p < 3; p++) {
        unsigned m = s.plan[p].m;
        for (unsigned k = 0; k < m; k++)
            in[k] = (float)((int)(rng() % 65536u) - 32768);
        at1_imdct_half(&s, &s.plan[p], in, out);
        double worst = 0.0, peak = 0.0;
        for (unsigned j = 0; j < m; j++) {
            /* y[j] = -u[M-1-j] / 32768, u = DCT-IV of the input. */
            double acc = 0.0;
            double mm = (double)(m - 1 - j) + 0.5;
            for (unsigned k = 0; k < m; k++)
                acc += in[k] * cos(3.14159265358979323846 / m * mm * ((double)k + 0.5));
            double want = -acc / 32768.0;
            double d = fabs(want - out[j]);
            worst = d > worst ? d : worst;
            peak = fabs(want) > peak ? fabs(want) : peak;
        }
        CHECK(worst <= 1e-5 * peak, "imdct M=%u: max error %g, peak %g", m, worst, peak);
    }
}

static void test_tables(void)
{
    for (unsigned mode = 0; mode < 2; mode++) {
        unsigned char hit[512];
        memset(hit, 0, sizeof hit);
        for (unsigned band = 0; band < 3; band++) {
            unsigned lo = band == 0 ? 0u : band == 1 ? 128u : 256u;
            unsigned hi = band == 0 ? 128u : band == 1 ? 256u : 512u;
            for (unsigned b = at1_band_first_bfu[band]; b < at1_band_first_bfu[band + 1]; b++) {
                unsigned start = mode ? at1_bfu_start_short[b] : at1_bfu_start_long[b];
                for (unsigned i = 0; i < at1_bfu_lines[b]; i++) {
                    unsigned line = start + i;
                    CHECK(line >= lo && line < hi, "BFU %u mode %u line %u outside its band", b,
                          mode, line);
                    if (line < 512)
                        hit[line]++;
                }
            }
        }
        unsigned bad = 0;
        for (unsigned i = 0; i < 512; i++)
            bad += hit[i] != 1;
        CHECK(bad == 0, "mode %u: %u lines not covered exactly once", mode, bad);
    }
}

static void test_init(void)
{
    counting c = {0};
    decoder d;
    CHECK(open_decoder(&d, 2, 0, &c) == SEGUE_OK, "stereo init");
    CHECK(c.calls == 0, "init allocated %zu times (the state is all)", c.calls);
    close_decoder(&d);
    CHECK(open_decoder(&d, 0, 0, NULL) == SEGUE_ERR_UNSUPPORTED, "0 channels accepted");
    close_decoder(&d);
    CHECK(open_decoder(&d, 3, 0, NULL) == SEGUE_ERR_UNSUPPORTED, "3 channels accepted");
    close_decoder(&d);

    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "atrac1";
    p.channels = 2;
    p.sample_rate = 48000;
    segue_error err;
    memset(&err, 0, sizeof err);
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    CHECK(desc->decoder_init(priv, &p, NULL, &err) == SEGUE_ERR_UNSUPPORTED, "48 kHz accepted");
    p.sample_rate = 44100;
    p.block_align = 212;
    memset(&err, 0, sizeof err);
    CHECK(desc->decoder_init(priv, &p, NULL, &err) == SEGUE_ERR_UNSUPPORTED,
          "block_align 212 for stereo accepted");
    CHECK(strstr(err.detail, "atrac1:") != NULL, "error detail '%s'", err.detail);
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
}

static void test_silence_and_length(void)
{
    decoder d;
    open_decoder(&d, 2, 0, NULL);
    uint8_t pkt[424];
    memset(pkt, 0, sizeof pkt);
    const float *pcm;
    size_t frames;
    segue_error err;
    CHECK(decode(&d, pkt, sizeof pkt, 0, &pcm, &frames, &err) == SEGUE_OK, "zero unit: %s",
          err.detail);
    CHECK(frames == 512, "zero unit gave %zu frames", frames);
    int nonzero = 0;
    for (size_t i = 0; i < 2 * frames; i++)
        nonzero += pcm[i] != 0.0f;
    CHECK(nonzero == 0, "zero unit: %d non-zero samples", nonzero);
    CHECK(decode(&d, pkt, sizeof pkt, 100, &pcm, &frames, &err) == SEGUE_OK && frames == 100,
          "pkt.frames 100 gave %zu frames", frames);
    CHECK(decode(&d, pkt, 0, 0, &pcm, &frames, &err) == SEGUE_OK && frames == 0,
          "empty packet gave %zu frames", frames);
    /* Extra bytes after the frame are ignored. */
    uint8_t big[500];
    memset(big, 0xA5, sizeof big);
    memset(big, 0, 424);
    CHECK(decode(&d, big, sizeof big, 0, &pcm, &frames, &err) == SEGUE_OK && frames == 512,
          "oversized packet: %s", err.detail);
    close_decoder(&d);
}

/* Decodes `n` packets into out (n * 1024 floats); returns the first error. */
static segue_status run(decoder *d, uint8_t (*pkts)[424], unsigned n, float *out)
{
    for (unsigned i = 0; i < n; i++) {
        const float *pcm;
        size_t frames;
        segue_error err;
        segue_status st = decode(d, pkts[i], 212u * d->channels, 0, &pcm, &frames, &err);
        if (st != SEGUE_OK)
            return st;
        memcpy(out + (size_t)i * 512u * d->channels, pcm, frames * d->channels * sizeof(float));
    }
    return SEGUE_OK;
}

static uint8_t pkts[8][424];
static float ref_out[8 * 1024], got_out[8 * 1024];

static void test_corrupt_keeps_state(void)
{
    for (unsigned i = 0; i < 8; i++) {
        make_unit(pkts[i]);
        make_unit(pkts[i] + 212);
    }
    decoder d;
    open_decoder(&d, 2, 0, NULL);
    CHECK(run(&d, pkts, 8, ref_out) == SEGUE_OK, "valid synthetic units rejected");
    float energy = 0.0f;
    for (unsigned i = 0; i < 8 * 1024; i++)
        energy += ref_out[i] * ref_out[i];
    CHECK(energy > 0.0f && isfinite(energy), "synthetic units decode to energy %g", (double)energy);
    close_decoder(&d);

    /* Bad block size codes in each band, and an over-budget unit, between
     * packets 3 and 4: an error each time, and the output afterwards is as
     * if they had never been there. */
    static const uint8_t bad_bsm[] = {0x40, 0x10, 0x04, 0x08, 0xC0, 0x30};
    uint8_t bad[424];
    open_decoder(&d, 2, 0, NULL);
    CHECK(run(&d, pkts, 4, got_out) == SEGUE_OK, "first half");
    for (unsigned i = 0; i <= sizeof bad_bsm; i++) {
        memcpy(bad, pkts[4], sizeof bad);
        unsigned ch = i & 1u;
        if (i < sizeof bad_bsm) {
            bad[212 * ch] = bad_bsm[i];
        } else {
            /* 52 BFUs, every word length index 15: 16 bits x 512 lines. */
            writer w = {bad + 212 * ch, 8};
            put(&w, 3, 7);
            put(&w, 5, 0);
            for (unsigned b = 0; b < 52; b++)
                put(&w, 4, 15);
        }
        const float *pcm;
        size_t frames;
        segue_error err;
        segue_status st = decode(&d, bad, sizeof bad, 0, &pcm, &frames, &err);
        CHECK(st == SEGUE_ERR_CORRUPT && frames == 0, "bad unit %u: status %d frames %zu", i,
              (int)st, frames);
        CHECK(strncmp(err.detail, "atrac1: unit", 12) == 0, "bad unit %u: detail '%s'", i,
              err.detail);
    }
    CHECK(run(&d, pkts + 4, 4, got_out + 4 * 1024) == SEGUE_OK, "second half");
    CHECK(memcmp(ref_out, got_out, sizeof ref_out) == 0, "corrupt units changed the state");

    /* reset: decoding the sequence again from the start gives the same. */
    desc->reset(d.priv);
    CHECK(run(&d, pkts, 8, got_out) == SEGUE_OK, "after reset");
    CHECK(memcmp(ref_out, got_out, sizeof ref_out) == 0, "reset did not forget the history");
    close_decoder(&d);

    /* Mono: each channel is independent, so a mono decoder fed the left
     * units reproduces the stereo decoder's left channel. */
    static uint8_t mono_pkts[8][424];
    for (unsigned i = 0; i < 8; i++)
        memcpy(mono_pkts[i], pkts[i], 212);
    open_decoder(&d, 1, 0, NULL);
    CHECK(run(&d, mono_pkts, 8, got_out) == SEGUE_OK, "mono");
    unsigned diff = 0;
    for (unsigned i = 0; i < 8 * 512; i++)
        diff += got_out[i] != ref_out[2 * i];
    CHECK(diff == 0, "mono differs from stereo left in %u samples", diff);
    close_decoder(&d);
}

static void test_truncated(void)
{
    decoder d;
    open_decoder(&d, 2, 0, NULL);
    const float *pcm;
    size_t frames;
    segue_error err;
    CHECK(decode(&d, pkts[0], 424, 0, &pcm, &frames, &err) == SEGUE_OK, "unit");
    for (size_t size = 1; size < 424; size += 47) {
        segue_status st = decode(&d, pkts[1], size, 0, &pcm, &frames, &err);
        CHECK(st == SEGUE_OK && frames == 512, "truncated %zu: status %d frames %zu", size,
              (int)st, frames);
    }
    /* After enough silent units the history has decayed to exact zero. */
    int nonzero = 0;
    for (size_t i = 0; i < 1024; i++)
        nonzero += pcm[i] != 0.0f;
    CHECK(nonzero == 0, "concealment left %d non-zero samples", nonzero);
    close_decoder(&d);

    open_decoder(&d, 2, 1, NULL);
    segue_status st = decode(&d, pkts[1], 300, 0, &pcm, &frames, &err);
    CHECK(st == SEGUE_ERR_CORRUPT && frames == 0, "strict truncated: status %d", (int)st);
    CHECK(decode(&d, NULL, 424, 0, &pcm, &frames, &err) == SEGUE_ERR_CORRUPT, "NULL data");
    close_decoder(&d);
}

static void test_garbage(void)
{
    decoder d;
    uint8_t buf[424];
    unsigned ok = 0, corrupt = 0;
    for (unsigned channels = 1; channels <= 2; channels++) {
        open_decoder(&d, channels, 0, NULL);
        for (unsigned iter = 0; iter < 3000; iter++) {
            for (unsigned i = 0; i < sizeof buf; i++)
                buf[i] = (uint8_t)rng();
            if (iter % 3 == 0) /* make the block size mode valid more often */
                buf[0] = (uint8_t)(buf[0] & 0xA3u);
            size_t size = iter % 7 == 0 ? 1u + rng() % (sizeof buf - 1u) : 212u * channels;
            const float *pcm;
            size_t frames;
            segue_error err;
            segue_status st = decode(&d, buf, size, 0, &pcm, &frames, &err);
            if (st == SEGUE_OK) {
                ok++;
                CHECK(frames == 512, "garbage: %zu frames", frames);
                for (size_t i = 0; i < frames * channels; i++) {
                    if (!isfinite(pcm[i])) {
                        CHECK(0, "garbage: non-finite output");
                        break;
                    }
                }
            } else {
                corrupt++;
                CHECK(st == SEGUE_ERR_CORRUPT, "garbage: status %d", (int)st);
            }
        }
        close_decoder(&d);
    }
    CHECK(ok > 0 && corrupt > 0, "garbage: %u decoded, %u rejected (want both)", ok, corrupt);
}

static void report_memory(void)
{
    size_t total = desc->priv_size; /* init allocates nothing (test_init) */
    printf("atrac1 decoder, stereo: state %zu bytes + 0 bytes from init = %zu (budget %u)\n",
           desc->priv_size, total, BUDGET);
    printf("  channel history (2)    %6zu\n", sizeof(((at1_state *)0)->ch));
    printf("  parsed units (2)       %6zu\n", sizeof(((at1_state *)0)->unit));
    printf("  output (interleaved)   %6zu\n", sizeof(((at1_state *)0)->pcm));
    printf("  tables                 %6zu\n",
           sizeof(((at1_state *)0)->scale_factor) + sizeof(((at1_state *)0)->sine_window) +
               sizeof(((at1_state *)0)->qmf_window) + sizeof(((at1_state *)0)->fft_twiddle) +
               sizeof(((at1_state *)0)->twiddle_pre) + sizeof(((at1_state *)0)->twiddle_post) +
               sizeof(((at1_state *)0)->plan));
    CHECK(total <= BUDGET, "state %zu bytes over the budget %u", total, BUDGET);
}

int main(void)
{
    desc = segue_codec_find("atrac1", SEGUE_CODEC_DECODE);
    if (!desc) {
        printf("FAIL: no atrac1 decoder in the registry\n");
        return 1;
    }
    test_imdct();
    test_tables();
    test_init();
    test_silence_and_length();
    test_corrupt_keeps_state();
    test_truncated();
    test_garbage();
    report_memory();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
