/*
 * tests/alac/alac_unit.c - unit tests of the own ALAC decoder (codec/alac),
 * through its descriptor. Plain C (no cmocka); exit 0 = pass.
 *
 * - setup: cookie forms (24-byte config, 'alac' atom header, 'frma' +
 *   'alac'), bad configs and allocation failure give clear errors;
 * - memory: init allocates exactly segue_alac_alloc_bytes() in one block,
 *   decode allocates nothing (counting allocator);
 * - 20 and 32 bit (FFmpeg's encoder writes neither): a small ALAC writer
 *   here, following Apple's bitstream description (element header, the
 *   adaptive Golomb-Rice coder with zero runs, stereo matrixing, the
 *   uncompressed low bytes), makes verbatim and compressed frames, mono and
 *   stereo, partial and full; the decoder must give the source integers
 *   back (segue_alac_decode_s32) and float = value / 2^(bits-1) (exact for
 *   20 bit; for 32 bit equal to the float rounding of the value);
 * - damage: every truncation of valid frames and random garbage, strict
 *   and concealing, never crash (ASan/UBSan watch), strict truncations
 *   fail, concealment returns silence of the frame length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/alac/alac.h"
#include "codec/codec.h"
#include "core/alloc.h"

static int failures;
#define CHECK(c)                                                                                 \
    do {                                                                                         \
        if (!(c)) {                                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

/* ---- counting allocator ---- */

typedef struct counter {
    size_t calls, bytes, fail_after;
} counter;

static void *count_alloc(void *user, size_t size)
{
    counter *c = user;
    if (c->fail_after && c->calls + 1 >= c->fail_after)
        return NULL;
    c->calls++;
    c->bytes += size;
    return segue_mem_alloc(NULL, size);
}

static void count_free(void *user, void *ptr)
{
    (void)user;
    segue_mem_free(NULL, ptr);
}

/* ---- a small ALAC writer (test side) ---- */

typedef struct bw {
    uint8_t buf[1 << 16];
    size_t pos; /* bits */
} bw;

static void put(bw *w, uint32_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        size_t byte = w->pos >> 3;
        if (byte >= sizeof w->buf)
            abort();
        if ((w->pos & 7) == 0)
            w->buf[byte] = 0;
        if ((v >> i) & 1)
            w->buf[byte] |= (uint8_t)(0x80u >> (w->pos & 7));
        w->pos++;
    }
}

static unsigned lead32(uint32_t x)
{
    unsigned n = 0;
    if (!x)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* One Rice value (the decoder's ag_get, inverted). */
static void put_rice(bw *w, uint32_t n, uint32_t m, unsigned k, unsigned escape_bits)
{
    uint32_t pre = n / m, r = n % m;
    if (pre >= 9) {
        put(w, 0x1ff, 9);
        put(w, n, escape_bits);
        return;
    }
    for (uint32_t i = 0; i < pre; i++)
        put(w, 1, 1);
    put(w, 0, 1);
    if (r == 0)
        put(w, 0, k - 1);
    else
        put(w, r + 1, k);
}

enum { PB = 40, MB = 10, KB = 14 };

/* Residuals with the adaptive mean and zero runs (Apple's ag_enc scheme,
 * pbFactor 4 so pb = 40). */
static void put_residuals(bw *w, const int32_t *x, uint32_t num, unsigned chan_bits)
{
    uint32_t mb = MB, pb = PB, wb = (1u << KB) - 1, zmode = 0;
    for (uint32_t c = 0; c < num;) {
        unsigned k = 31 - lead32((mb >> 9) + 3);
        if (k > KB)
            k = KB;
        uint32_t mapped = x[c] >= 0 ? 2u * (uint32_t)x[c] : 2u * (uint32_t)(-(x[c] + 1)) + 1;
        uint32_t n = mapped - zmode;
        put_rice(w, n, (1u << k) - 1, k, chan_bits);
        c++;
        mb = pb * (n + zmode) + mb - ((pb * mb) >> 9);
        if (n > 0xffff)
            mb = 0xffff;
        zmode = 0;
        if (mb < 128 && c < num) {
            unsigned kz = lead32(mb) - 24 + ((mb + 16) >> 6);
            uint32_t run = 0;
            while (c + run < num && x[c + run] == 0 && run < 65535)
                run++;
            put_rice(w, run, ((1u << kz) - 1) & wb, kz, 16);
            c += run;
            zmode = run < 65535;
            mb = 0;
        }
    }
}

/* One element for `nch` channels of `num` samples at x[ch][i].
 * verbatim: escape frame; else compressed, order-0 predictor, with
 * `shift_bytes` low bytes sent plain and (stereo) matrixing with weight
 * `mixres` and shift `mixbits`. */
static void put_element(bw *w, int32_t *const *x, unsigned nch, uint32_t num, uint32_t frame_length,
                        unsigned bits, int verbatim, unsigned shift_bytes, int mixres,
                        unsigned mixbits)
{
    put(w, nch == 2 ? 1 : 0, 3);
    put(w, 0, 4);
    put(w, 0, 12);
    unsigned partial = num != frame_length;
    put(w, partial, 1);
    put(w, verbatim ? 0 : shift_bytes, 2);
    put(w, verbatim ? 1 : 0, 1);
    if (partial)
        put(w, num, 32);
    if (verbatim) {
        for (uint32_t i = 0; i < num; i++)
            for (unsigned c = 0; c < nch; c++)
                put(w, (uint32_t)x[c][i] & (bits == 32 ? 0xffffffffu : (1u << bits) - 1), bits);
        return;
    }
    unsigned shift = 8 * shift_bytes;
    unsigned chan_bits = bits - shift + nch - 1;
    static int32_t uv[2][4096];
    static uint16_t low[2 * 4096];
    for (uint32_t i = 0; i < num; i++) {
        int32_t s[2];
        for (unsigned c = 0; c < nch; c++) {
            s[c] = x[c][i] >> shift; /* arithmetic: keeps the sign */
            low[i * nch + c] = (uint16_t)((uint32_t)x[c][i] & ((1u << shift) - 1));
        }
        if (nch == 2 && mixres) {
            int32_t v = s[0] - s[1];
            uv[0][i] = s[1] + ((mixres * v) >> mixbits);
            uv[1][i] = v;
        } else {
            for (unsigned c = 0; c < nch; c++)
                uv[c][i] = s[c];
        }
    }
    put(w, nch == 2 ? mixbits : 0, 8);
    put(w, nch == 2 ? (uint32_t)(uint8_t)(int8_t)mixres : 0, 8);
    for (unsigned c = 0; c < nch; c++) {
        put(w, 0, 4);  /* mode */
        put(w, 9, 4);  /* den shift */
        put(w, 4, 3);  /* pb factor */
        put(w, 0, 5);  /* order 0: residual = sample */
    }
    if (shift)
        for (uint32_t i = 0; i < num * nch; i++)
            put(w, low[i], shift);
    for (unsigned c = 0; c < nch; c++)
        put_residuals(w, uv[c], num, chan_bits);
}

static size_t finish(bw *w)
{
    put(w, 7, 3); /* END */
    while (w->pos & 7)
        put(w, 0, 1);
    return w->pos >> 3;
}

static void make_config(uint8_t cfg[24], uint32_t frame_length, unsigned bits, unsigned channels)
{
    memset(cfg, 0, 24);
    cfg[0] = (uint8_t)(frame_length >> 24);
    cfg[1] = (uint8_t)(frame_length >> 16);
    cfg[2] = (uint8_t)(frame_length >> 8);
    cfg[3] = (uint8_t)frame_length;
    cfg[5] = (uint8_t)bits;
    cfg[6] = PB;
    cfg[7] = MB;
    cfg[8] = KB;
    cfg[9] = (uint8_t)channels;
    cfg[11] = 255;
    cfg[22] = 0xac;
    cfg[23] = 0x44;
}

typedef struct dec {
    const segue_codec_desc *desc;
    void *priv;
    segue_allocator alloc;
    counter count;
} dec;

static segue_status open_dec(dec *d, const uint8_t *extra, size_t n, unsigned channels, int strict,
                             size_t fail_after, segue_error *err)
{
    memset(d, 0, sizeof *d);
    d->desc = segue_codec_find("alac", SEGUE_CODEC_DECODE);
    d->alloc.user = &d->count;
    d->alloc.alloc = count_alloc;
    d->alloc.free = count_free;
    d->count.fail_after = fail_after;
    d->priv = segue_mem_calloc(NULL, 1, d->desc->priv_size);
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "alac";
    p.sample_rate = 44100;
    p.channels = channels;
    p.extradata = extra;
    p.extradata_size = n;
    p.strict = strict;
    memset(err, 0, sizeof *err);
    return d->desc->decoder_init(d->priv, &p, &d->alloc, err);
}

static void close_dec(dec *d)
{
    d->desc->fini(d->priv, &d->alloc);
    segue_mem_free(NULL, d->priv);
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state;
}

/* ---- tests ---- */

static void test_setup(void)
{
    uint8_t cfg[24], cookie[48];
    segue_error err;
    dec d;
    make_config(cfg, 4096, 16, 2);
    CHECK(open_dec(&d, cfg, 24, 2, 0, 0, &err) == SEGUE_OK);
    CHECK(d.count.calls == 1 && d.count.bytes == segue_alac_alloc_bytes(4096, 2));
    CHECK(d.count.bytes == 81920);
    close_dec(&d);
    /* 'frma' atom + 'alac' atom header + config, as FFmpeg's CAF has. */
    static const uint8_t frma[12] = {0, 0, 0, 12, 'f', 'r', 'm', 'a', 'a', 'l', 'a', 'c'};
    static const uint8_t alac[12] = {0, 0, 0, 36, 'a', 'l', 'a', 'c', 0, 0, 0, 0};
    memcpy(cookie, frma, 12);
    memcpy(cookie + 12, alac, 12);
    memcpy(cookie + 24, cfg, 24);
    CHECK(open_dec(&d, cookie, 48, 2, 0, 0, &err) == SEGUE_OK);
    close_dec(&d);
    CHECK(open_dec(&d, cookie + 12, 36, 2, 0, 0, &err) == SEGUE_OK);
    close_dec(&d);
    /* Bad setups. */
    CHECK(open_dec(&d, NULL, 0, 2, 0, 0, &err) == SEGUE_ERR_CORRUPT && err.detail[0]);
    close_dec(&d);
    CHECK(open_dec(&d, cfg, 23, 2, 0, 0, &err) == SEGUE_ERR_CORRUPT);
    close_dec(&d);
    CHECK(open_dec(&d, cookie, 47, 2, 0, 0, &err) == SEGUE_ERR_CORRUPT);
    close_dec(&d);
    CHECK(open_dec(&d, cfg, 24, 1, 0, 0, &err) == SEGUE_ERR_CORRUPT); /* channel mismatch */
    printf("  mismatch: %s\n", err.detail);
    close_dec(&d);
    uint8_t bad[24];
    memcpy(bad, cfg, 24);
    bad[5] = 8;
    CHECK(open_dec(&d, bad, 24, 2, 0, 0, &err) == SEGUE_ERR_UNSUPPORTED);
    printf("  8-bit: %s\n", err.detail);
    close_dec(&d);
    memcpy(bad, cfg, 24);
    bad[4] = 1;
    CHECK(open_dec(&d, bad, 24, 2, 0, 0, &err) == SEGUE_ERR_UNSUPPORTED);
    close_dec(&d);
    memcpy(bad, cfg, 24);
    bad[9] = 9;
    CHECK(open_dec(&d, bad, 24, 9, 0, 0, &err) == SEGUE_ERR_UNSUPPORTED);
    close_dec(&d);
    make_config(bad, 0, 16, 2);
    CHECK(open_dec(&d, bad, 24, 2, 0, 0, &err) == SEGUE_ERR_UNSUPPORTED);
    close_dec(&d);
    make_config(bad, 0xffffffffu, 16, 2);
    CHECK(open_dec(&d, bad, 24, 2, 0, 0, &err) == SEGUE_ERR_UNSUPPORTED);
    printf("  huge frame: %s\n", err.detail);
    CHECK(d.count.calls == 0);
    close_dec(&d);
    /* Allocation failure. */
    CHECK(open_dec(&d, cfg, 24, 2, 0, 1, &err) == SEGUE_ERR_NO_MEMORY);
    close_dec(&d);
    /* Sizes for the report. */
    printf("  state %zu bytes; frameLength 4096: mono %zu, stereo %zu, 5.1 %zu, 7.1 %zu\n",
           segue_codec_alac.priv_size, segue_alac_alloc_bytes(4096, 1),
           segue_alac_alloc_bytes(4096, 2), segue_alac_alloc_bytes(4096, 6),
           segue_alac_alloc_bytes(4096, 8));
    CHECK(segue_alac_channel_mask(6) == 0x3f && segue_alac_channel_mask(9) == 0);
}

static int32_t src_sample(unsigned bits, unsigned ch, uint32_t i, int kind)
{
    int64_t full = bits == 32 ? INT32_MAX : ((int64_t)1 << (bits - 1)) - 1;
    switch (kind) {
    case 0: /* ramp-ish tone with noise */
        return (int32_t)(((int64_t)((i * (37u + ch * 11u)) % 2001u) - 1000) * (full / 1200) +
                         (int64_t)(rnd() % 64) - 32);
    case 1: /* full-scale noise, extremes included */
        if (i % 97 == 0)
            return (int32_t)(i & 1 ? full : -full - 1);
        return (int32_t)((int64_t)(rnd() % (uint32_t)(full > 0x7ffffffe ? 0xffffffffu
                                                                          : (uint32_t)(2 * full + 1))) -
                         (full > 0x7ffffffe ? 0 : full));
    default: /* mostly zeros with bursts: zero runs */
        return (i / 50) % 7 == 0 ? (int32_t)(rnd() % 300) - 150 : 0;
    }
}

/* Encodes frames with the test writer and checks the decode. */
static void test_roundtrip(unsigned bits, unsigned channels, int verbatim, unsigned shift_bytes,
                           int mixres, int kind, uint32_t num)
{
    const uint32_t frame_length = 4096;
    uint8_t cfg[24];
    make_config(cfg, frame_length, bits, channels);
    static int32_t planes[2][4096];
    int32_t *x[2] = {planes[0], planes[1]};
    for (unsigned c = 0; c < channels; c++)
        for (uint32_t i = 0; i < num; i++)
            planes[c][i] = src_sample(bits, c, i, kind);
    static bw w;
    w.pos = 0;
    put_element(&w, x, channels, num, frame_length, bits, verbatim, shift_bytes, mixres, 2);
    size_t size = finish(&w);

    dec d;
    segue_error err;
    CHECK(open_dec(&d, cfg, 24, channels, 1, 0, &err) == SEGUE_OK);
    size_t calls = d.count.calls;
    segue_packet pkt = {w.buf, size, 0, 0, 0};
    const int32_t *ip = NULL;
    size_t frames = 0;
    segue_status st = segue_alac_decode_s32(d.priv, &pkt, &ip, &frames, &err);
    CHECK(st == SEGUE_OK);
    if (st != SEGUE_OK)
        fprintf(stderr, "  %s\n", err.detail);
    CHECK(frames == num);
    size_t bad = 0;
    for (uint32_t i = 0; st == SEGUE_OK && i < num; i++)
        for (unsigned c = 0; c < channels; c++)
            bad += ip[i * channels + c] != planes[c][i];
    CHECK(bad == 0);
    const float *fp = NULL;
    st = d.desc->decode(d.priv, &pkt, &fp, &frames, &err);
    CHECK(st == SEGUE_OK && frames == num);
    size_t fbad = 0;
    float scale = (float)(1ul << (bits - 1));
    for (uint32_t i = 0; st == SEGUE_OK && i < num; i++)
        for (unsigned c = 0; c < channels; c++)
            fbad += fp[i * channels + c] * scale != (float)planes[c][i];
    CHECK(fbad == 0);
    CHECK(d.count.calls == calls); /* decode allocates nothing */
    printf("  %2u-bit %s %-9s shift %u mix %d kind %d: %5u frames, %5zu bytes: %s\n", bits,
           channels == 1 ? "mono  " : "stereo", verbatim ? "verbatim" : "compressed",
           verbatim ? 0 : shift_bytes, mixres, kind, num, size,
           bad || fbad ? "MISMATCH" : "exact");

    /* Every truncation: strict decode must fail cleanly (or, for a cut
     * inside the final END/padding, succeed); concealment gives frames. */
    for (size_t cut = 0; cut < size; cut += 1 + size / 300) {
        pkt.size = cut;
        st = segue_alac_decode_s32(d.priv, &pkt, &ip, &frames, &err);
        CHECK(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT);
        CHECK(st != SEGUE_OK || cut + 2 >= size || cut == 0);
    }
    close_dec(&d);
    CHECK(open_dec(&d, cfg, 24, channels, 0, 0, &err) == SEGUE_OK);
    for (size_t cut = 1; cut < size; cut += 1 + size / 100) {
        pkt.size = cut;
        const float *f = NULL;
        st = d.desc->decode(d.priv, &pkt, &f, &frames, &err);
        CHECK(st == SEGUE_OK && frames >= 1 && frames <= frame_length);
    }
    close_dec(&d);
}

static void test_garbage(void)
{
    static const unsigned depth[4] = {16, 20, 24, 32};
    static uint8_t buf[20000];
    for (unsigned round = 0; round < 400; round++) {
        unsigned bits = depth[round % 4];
        unsigned channels = 1 + round % 8;
        uint32_t frame_length = round % 3 == 0 ? 4096 : 1 + rnd() % 600;
        uint8_t cfg[24];
        make_config(cfg, frame_length, bits, channels);
        cfg[8] = (uint8_t)(round % 5 == 0 ? rnd() % 32 : KB);
        cfg[6] = (uint8_t)(round % 7 == 0 ? rnd() : PB);
        dec d;
        segue_error err;
        int strict = (round / 2) % 2;
        if (open_dec(&d, cfg, 24, channels, strict, 0, &err) != SEGUE_OK) {
            close_dec(&d);
            failures++;
            continue;
        }
        size_t calls = d.count.calls;
        for (unsigned k = 0; k < 20; k++) {
            size_t n = rnd() % sizeof buf;
            if (k % 4 == 0)
                n %= 64;
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)rnd();
            /* Plausible headers now and then so decoding goes deeper. */
            if (n >= 4 && k % 2) {
                buf[0] = (uint8_t)((rnd() % 2) << 5);
                buf[1] = 0;
                buf[2] &= 0x0f;
            }
            segue_packet pkt = {buf, n, -1, 0, 0};
            const float *pcm;
            size_t frames;
            segue_status st = d.desc->decode(d.priv, &pkt, &pcm, &frames, &err);
            CHECK(strict ? (st == SEGUE_OK || st == SEGUE_ERR_CORRUPT) : st == SEGUE_OK);
            if (st == SEGUE_OK) {
                CHECK(frames <= frame_length);
                float sum = 0;
                for (size_t i = 0; i < frames * channels; i++)
                    sum += pcm[i];
                CHECK(sum == sum); /* finite-ish: read every sample */
            }
        }
        CHECK(d.count.calls == calls);
        close_dec(&d);
    }
    printf("  garbage: 8000 packets, no crash\n");
}

int main(void)
{
    if (!segue_codec_find("alac", SEGUE_CODEC_DECODE)) {
        fprintf(stderr, "alac decoder not registered\n");
        return 1;
    }
    printf("setup and memory\n");
    test_setup();
    printf("round trips (test writer -> decoder)\n");
    static const unsigned depth[4] = {16, 20, 24, 32};
    for (unsigned b = 0; b < 4; b++) {
        unsigned bits = depth[b];
        /* 32-bit compressed needs 2 bytes shifted out (a 33-bit side
         * channel does not fit the 32-bit residual). */
        unsigned shift = bits == 32 ? 2 : bits == 24 ? 1 : 0;
        for (unsigned ch = 1; ch <= 2; ch++) {
            test_roundtrip(bits, ch, 1, 0, 0, 1, 4096);
            test_roundtrip(bits, ch, 1, 0, 0, 0, 333);
            test_roundtrip(bits, ch, 0, shift, 0, 0, 4096);
            test_roundtrip(bits, ch, 0, shift, 3, 0, 1234);
            test_roundtrip(bits, ch, 0, shift, -2, 1, 4096);
            test_roundtrip(bits, ch, 0, shift, 2, 2, 4096);
            if (bits == 20)
                test_roundtrip(bits, ch, 0, 1, 1, 1, 4000);
        }
    }
    printf("garbage\n");
    test_garbage();
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all passed\n");
    return 0;
}
