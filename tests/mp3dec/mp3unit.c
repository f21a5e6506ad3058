/*
 * tests/mp3dec/mp3unit.c - unit tests of the own MPEG audio decoder on tiny
 * synthetic frames built here bit by bit, checked against a plain double
 * precision model of the ISO/IEC 11172-3 decoding steps (requantisation,
 * the IMDCT and windows of 2.4.3.4, the polyphase synthesis of Annex A
 * Figure A.2 with its 64 x 32 matrix), so the fast kernels and the layer
 * code are both checked against the definitions:
 *   - the header parser (rates, lengths, padding, MPEG-2.5, reserved values);
 *   - the MPA kernels (synthesis, IMDCT-36 for each block type, IMDCT-12,
 *     alias reduction) on random input against the formulas;
 *   - a Layer I, a Layer II (grouped samples) and a Layer III frame (one
 *     Huffman pair; MPEG-1 and LSF) against the model;
 *   - the CRC-16: a protected frame decodes, the same frame with a flipped
 *     protected bit is muted (SEGUE_OK, silence, the CRC flag);
 *   - the bit reservoir: main data reaching back before the first frame
 *     gives silence; structurally impossible frames give SEGUE_ERR_CORRUPT.
 * Standalone (no cmocka): prints one line per check, exits 1 on a failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/common/mpa_header.h"
#include "codec/mp3/mp3_internal.h"
#include "core/alloc.h"
#include "simd/dsp_impl.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

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

/* ---- bit writer ------------------------------------------------------------ */

typedef struct bw {
    uint8_t *buf;
    size_t size;
    size_t pos; /* bits */
} bw;

static void put(bw *w, uint32_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        size_t byte = w->pos >> 3;
        if (byte < w->size && ((v >> i) & 1u))
            w->buf[byte] |= (uint8_t)(0x80u >> (w->pos & 7u));
        w->pos++;
    }
}

static void put_str(bw *w, const char *bits)
{
    for (; *bits; bits++)
        put(w, *bits == '1', 1);
}

/* ---- the double-precision model ------------------------------------------- */

/* ISO/IEC 11172-3 Annex A Figure A.2, literally: V (1024) shifted by 64,
 * matrixed with N[i][k] = cos((16 + i)(2k + 1) pi / 64), windowed by D. */
typedef struct model_synth {
    double v[2][1024];
} model_synth;

static void model_synth_slot(model_synth *m, unsigned ch, const double *s, double *out)
{
    double *v = m->v[ch];
    memmove(v + 64, v, 960 * sizeof *v);
    for (int i = 0; i < 64; i++) {
        double acc = 0.0;
        for (int k = 0; k < 32; k++)
            acc += cos((16 + i) * (2 * k + 1) * M_PI / 64.0) * s[k];
        v[i] = acc;
    }
    double u[512];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 32; j++) {
            u[64 * i + j] = v[128 * i + j];
            u[64 * i + 32 + j] = v[128 * i + 96 + j];
        }
    for (int j = 0; j < 32; j++) {
        double acc = 0.0;
        for (int i = 0; i < 16; i++)
            acc += u[j + 32 * i] * (double)segue_mpa_synth_window[j + 32 * i];
        out[j] = acc;
    }
}

static double model_window(unsigned block_type, int n)
{
    switch (block_type) {
    case 1:
        return n < 18 ? sin(M_PI / 36 * (n + 0.5)) : n < 24 ? 1.0 : n < 30 ? sin(M_PI / 12 * (n - 18 + 0.5)) : 0.0;
    case 3:
        return n < 6 ? 0.0 : n < 12 ? sin(M_PI / 12 * (n - 6 + 0.5)) : n < 18 ? 1.0 : sin(M_PI / 36 * (n + 0.5));
    default:
        return sin(M_PI / 36 * (n + 0.5));
    }
}

/* 2.4.3.4 IMDCT + windowing of one long block: z[0..35]. */
static void model_imdct36(const double *x, unsigned block_type, double *z)
{
    for (int n = 0; n < 36; n++) {
        double acc = 0.0;
        for (int k = 0; k < 18; k++)
            acc += x[k] * cos(M_PI / 72 * (2 * n + 1 + 18) * (2 * k + 1));
        z[n] = acc * model_window(block_type, n);
    }
}

static void model_imdct12(const double *x /* [3k + w] */, double *z)
{
    for (int n = 0; n < 36; n++)
        z[n] = 0.0;
    for (int w = 0; w < 3; w++)
        for (int n = 0; n < 12; n++) {
            double acc = 0.0;
            for (int k = 0; k < 6; k++)
                acc += x[3 * k + w] * cos(M_PI / 24 * (2 * n + 1 + 6) * (2 * k + 1));
            z[6 + 6 * w + n] += acc * sin(M_PI / 12 * (n + 0.5));
        }
}

/* ---- helpers ---------------------------------------------------------------- */

static float frand(uint32_t *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((*seed >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

typedef struct dec {
    const segue_codec_desc *desc;
    void *priv;
} dec;

static void dec_open(dec *d, uint32_t rate, unsigned channels)
{
    d->desc = segue_codec_find("mp3", SEGUE_CODEC_DECODE);
    if (!d->desc) {
        printf("FAIL: no mp3 decoder registered\n");
        exit(1);
    }
    d->priv = segue_mem_calloc(NULL, 1, d->desc->priv_size);
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "mp3";
    p.sample_rate = rate;
    p.channels = channels;
    p.max_packet_frames = 1152;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (!d->priv || d->desc->decoder_init(d->priv, &p, NULL, &err) != SEGUE_OK) {
        printf("FAIL: mp3 init\n");
        exit(1);
    }
}

static void dec_close(dec *d)
{
    d->desc->fini(d->priv, NULL);
    segue_mem_free(NULL, d->priv);
}

static segue_status dec_run(dec *d, const uint8_t *f, size_t n, const float **pcm, size_t *frames)
{
    segue_packet pkt = {f, n, -1, 0, 0};
    segue_error err;
    memset(&err, 0, sizeof err);
    return d->desc->decode(d->priv, &pkt, pcm, frames, &err);
}

static double max_err(const float *got, const double *want, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        if (e > m)
            m = e;
    }
    return m;
}

/* ---- header ------------------------------------------------------------------ */

static void test_header(void)
{
    static const struct {
        uint8_t b[4];
        int ok, version, layer;
        uint32_t rate, bitrate, bytes;
        unsigned samples, channels;
    } cases[] = {
        {{0xFF, 0xFB, 0x90, 0x00}, 1, 1, 3, 44100, 128000, 417, 1152, 2},
        {{0xFF, 0xFB, 0x92, 0xC0}, 1, 1, 3, 44100, 128000, 418, 1152, 1}, /* padding */
        {{0xFF, 0xFD, 0xE4, 0x00}, 1, 1, 2, 48000, 384000, 1152, 1152, 2},
        {{0xFF, 0xFF, 0x10, 0x00}, 1, 1, 1, 44100, 32000, 32, 384, 2},    /* 8 slots of 4 */
        {{0xFF, 0xFF, 0x12, 0x00}, 1, 1, 1, 44100, 32000, 36, 384, 2},    /* + a 4-byte slot */
        {{0xFF, 0xF3, 0x84, 0x00}, 1, 2, 3, 24000, 64000, 192, 576, 2},   /* LSF: 72 * br / fs */
        {{0xFF, 0xF5, 0x84, 0x00}, 1, 2, 2, 24000, 64000, 384, 1152, 2},  /* LSF Layer II: 144 */
        {{0xFF, 0xE3, 0x88, 0x00}, 1, 25, 3, 8000, 64000, 576, 576, 2},   /* MPEG-2.5 8 kHz */
        {{0xFF, 0xE3, 0x80, 0x00}, 1, 25, 3, 11025, 64000, 417, 576, 2},
        {{0xFF, 0xE3, 0x84, 0x00}, 1, 25, 3, 12000, 64000, 384, 576, 2},
        {{0xFF, 0xFB, 0x00, 0x00}, 1, 1, 3, 44100, 0, 0, 1152, 2},        /* free format */
        {{0xFF, 0xEB, 0x90, 0x00}, 0, 0, 0, 0, 0, 0, 0, 0},               /* version '01' */
        {{0xFF, 0xF9, 0x90, 0x00}, 0, 0, 0, 0, 0, 0, 0, 0},               /* layer '00' */
        {{0xFF, 0xFB, 0xF0, 0x00}, 0, 0, 0, 0, 0, 0, 0, 0},               /* bitrate 15 */
        {{0xFF, 0xFB, 0x9C, 0x00}, 0, 0, 0, 0, 0, 0, 0, 0},               /* rate '11' */
        {{0xFF, 0xFB, 0x90, 0x02}, 1, 1, 3, 44100, 128000, 417, 1152, 2}, /* emphasis '10': reserved, accepted */
        {{0xFE, 0xFB, 0x90, 0x00}, 0, 0, 0, 0, 0, 0, 0, 0},               /* sync */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        segue_mpa_header h;
        int r = segue_mpa_header_parse(cases[i].b, &h);
        if (!cases[i].ok) {
            CHECK(r == -1, "header case %zu must be rejected", i);
            continue;
        }
        CHECK(r == 0 && h.version == cases[i].version && h.layer == cases[i].layer &&
                  h.sample_rate == cases[i].rate && h.bitrate == cases[i].bitrate &&
                  h.frame_bytes == cases[i].bytes && h.samples == cases[i].samples &&
                  h.channels == cases[i].channels,
              "header case %zu: got v%d L%d %u Hz %u b/s %u bytes %u samples %u ch", i, h.version,
              h.layer, h.sample_rate, h.bitrate, h.frame_bytes, h.samples, h.channels);
    }
    printf("ok   header parser (%zu cases)\n", sizeof cases / sizeof cases[0]);
}

/* ---- kernels ------------------------------------------------------------------ */

static void test_kernels(void)
{
    segue_dsp dsp;
    segue_dsp_init_level(&dsp, SEGUE_CPU_SCALAR);
    const segue_dsp *act = segue_dsp_get();
    uint32_t seed = 12345;
    double worst = 0.0;

    /* Synthesis: 40 slots of two channels against Figure A.2. */
    static segue_mpa_synth_state st;
    static model_synth ms;
    memset(&st, 0, sizeof st);
    memset(&ms, 0, sizeof ms);
    for (int t = 0; t < 40; t++) {
        float io[64];
        double in[2][32], want[2][32];
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 32; k++)
                io[c * 32 + k] = (float)(in[c][k] = frand(&seed));
        act->mpa_synth(io, 1, 2, &st);
        for (int c = 0; c < 2; c++) {
            model_synth_slot(&ms, (unsigned)c, in[c], want[c]);
            for (int j = 0; j < 32; j++) {
                double e = fabs(io[j * 2 + c] - want[c][j]);
                if (e > worst)
                    worst = e;
            }
        }
    }
    CHECK(worst < 2e-5, "synthesis off by %g", worst);
    printf("ok   synthesis kernel vs Figure A.2 (max error %.2g)\n", worst);

    /* IMDCT-36 for each long block type, with overlap and frequency
     * inversion, 3 subbands at stride 5 starting at an odd subband. */
    for (unsigned bt = 0; bt < 4; bt++) {
        if (bt == 2)
            continue;
        float x[18 * 5], ovl[18 * 5];
        double xin[3][18], ov[3][18];
        for (int s = 0; s < 3; s++)
            for (int k = 0; k < 18; k++) {
                x[k * 5 + s] = (float)(xin[s][k] = frand(&seed));
                ovl[k * 5 + s] = (float)(ov[s][k] = frand(&seed));
            }
        dsp.mpa_imdct36(x, ovl, 5, 3, 1, bt);
        worst = 0.0;
        for (int s = 0; s < 3; s++) {
            double z[36];
            model_imdct36(xin[s], bt, z);
            for (int n = 0; n < 18; n++) {
                double want = z[n] + ov[s][n];
                if (((1 + s) & 1) && (n & 1))
                    want = -want;
                worst = fmax(worst, fabs(x[n * 5 + s] - want));
                worst = fmax(worst, fabs(ovl[n * 5 + s] - z[18 + n]));
            }
        }
        CHECK(worst < 1e-5, "imdct36 block type %u off by %g", bt, worst);
    }
    /* IMDCT-12. */
    {
        float x[18 * 4], ovl[18 * 4];
        double xin[4][18], ov[4][18];
        for (int s = 0; s < 4; s++)
            for (int k = 0; k < 18; k++) {
                x[k * 4 + s] = (float)(xin[s][k] = frand(&seed));
                ovl[k * 4 + s] = (float)(ov[s][k] = frand(&seed));
            }
        dsp.mpa_imdct12(x, ovl, 4, 4, 2);
        worst = 0.0;
        for (int s = 0; s < 4; s++) {
            double z[36];
            model_imdct12(xin[s], z);
            for (int n = 0; n < 18; n++) {
                double want = z[n] + ov[s][n];
                if ((s & 1) && (n & 1))
                    want = -want;
                worst = fmax(worst, fabs(x[n * 4 + s] - want));
                worst = fmax(worst, fabs(ovl[n * 4 + s] - z[18 + n]));
            }
        }
        CHECK(worst < 1e-5, "imdct12 off by %g", worst);
    }
    /* Alias reduction: Table 3-B.9 butterflies. */
    {
        static const double c[8] = {-0.6, -0.535, -0.33, -0.185, -0.095, -0.041, -0.0142, -0.0037};
        float x[18 * 32];
        double ref[18 * 32];
        for (int i = 0; i < 18 * 32; i++)
            x[i] = (float)(ref[i] = frand(&seed));
        dsp.mpa_alias(x, 32, 31);
        for (int b = 1; b < 32; b++)
            for (int i = 0; i < 8; i++) {
                double cs = 1.0 / sqrt(1.0 + c[i] * c[i]), ca = c[i] / sqrt(1.0 + c[i] * c[i]);
                double u = ref[(17 - i) * 32 + b - 1], d = ref[i * 32 + b];
                ref[(17 - i) * 32 + b - 1] = u * cs - d * ca;
                ref[i * 32 + b] = d * cs + u * ca;
            }
        worst = max_err(x, ref, 18 * 32);
        CHECK(worst < 1e-6, "alias reduction off by %g", worst);
    }
    printf("ok   IMDCT-36 (types 0, 1, 3), IMDCT-12 and alias kernels vs 2.4.3.4\n");
}

/* ---- Layer I and II ------------------------------------------------------------ */

/* Layer I, 44.1 kHz 32 kbit/s mono (32 bytes): subband 3 with allocation
 * 3 (4-bit samples), scale factor index 3 (1.0), samples 0..11 codes
 * c = 3 + t. */
static void test_layer1(void)
{
    uint8_t f[32];
    memset(f, 0, sizeof f);
    bw w = {f, sizeof f, 0};
    put(&w, 0xFFFF10C0u, 32); /* MPEG-1 Layer I, no CRC, 32 kbit/s, 44.1 kHz, mono */
    for (unsigned sb = 0; sb < 32; sb++)
        put(&w, sb == 3 ? 3u : 0u, 4);
    put(&w, 3, 6);
    for (unsigned t = 0; t < 12; t++)
        put(&w, 3 + t, 4);
    dec d;
    dec_open(&d, 44100, 1);
    const float *pcm;
    size_t frames;
    segue_status st = dec_run(&d, f, sizeof f, &pcm, &frames);
    CHECK(st == SEGUE_OK && frames == 384, "layer I: status %d frames %zu", st, frames);
    static model_synth ms;
    memset(&ms, 0, sizeof ms);
    double want[384];
    for (unsigned t = 0; t < 12; t++) {
        double s[32] = {0};
        s[3] = (2.0 * (3 + t) + 1 - 15) / 15.0; /* 2.4.3.2 requantisation, scale 1.0 */
        model_synth_slot(&ms, 0, s, want + 32 * t);
    }
    double e = max_err(pcm, want, 384);
    CHECK(e < 1e-5, "layer I off by %g", e);
    dec_close(&d);
    printf("ok   Layer I frame vs model (max error %.2g)\n", e);
}

/* Layer II, 48 kHz 32 kbit/s mono (table 3-B.2c, 8 subbands: 96 bytes):
 * subband 0 allocation 1 (3 steps, grouped 5-bit codes), scfsi 2 (one
 * scale factor, index 0 = 2.0), each granule's code 5 = digits 2,1,0. */
static void test_layer2(void)
{
    uint8_t f[96];
    memset(f, 0, sizeof f);
    bw w = {f, sizeof f, 0};
    put(&w, 0xFFFD14C0u, 32); /* MPEG-1 Layer II, no CRC, 32 kbit/s, 48 kHz, mono */
    static const unsigned nbal_c[8] = {4, 4, 3, 3, 3, 3, 3, 3};
    for (unsigned sb = 0; sb < 8; sb++)
        put(&w, sb == 0 ? 1u : 0u, nbal_c[sb]);
    put(&w, 2, 2);  /* scfsi */
    put(&w, 0, 6);  /* scale factor 2.0 */
    for (unsigned g = 0; g < 12; g++)
        put(&w, 5, 5); /* 5 = 2 + 1*3 + 0*9 */
    dec d;
    dec_open(&d, 48000, 1);
    const float *pcm;
    size_t frames;
    segue_status st = dec_run(&d, f, sizeof f, &pcm, &frames);
    CHECK(st == SEGUE_OK && frames == 1152, "layer II: status %d frames %zu", st, frames);
    static model_synth ms;
    memset(&ms, 0, sizeof ms);
    static double want[1152];
    static const unsigned digits[3] = {2, 1, 0};
    for (unsigned t = 0; t < 36; t++) {
        double s[32] = {0};
        s[0] = 2.0 * (2.0 * digits[t % 3] + 1 - 3) / 3.0;
        model_synth_slot(&ms, 0, s, want + 32 * t);
    }
    double e = max_err(pcm, want, 1152);
    CHECK(e < 1e-5, "layer II off by %g", e);
    dec_close(&d);
    printf("ok   Layer II frame (grouped samples) vs model (max error %.2g)\n", e);
}

/* ---- Layer III ---------------------------------------------------------------- */

/* Builds an MPEG-1 (lsf 0) or MPEG-2 (lsf 1, 22.05 kHz) Layer III mono frame
 * whose first granule codes one pair with table 1: line `line` (even) =
 * +1 at global_gain 210 (gain 1.0), the rest zero. `crc` adds a CRC word
 * (the correct one). Returns the frame length. */
static size_t build_l3(uint8_t *f, size_t cap, int lsf, int crc, unsigned main_data_begin,
                       unsigned big_values, unsigned part23, int window_switching_bt0)
{
    memset(f, 0, cap);
    bw w = {f, cap, 0};
    /* MPEG-1: 128 kbit/s 44.1 kHz (417 bytes); MPEG-2: 64 kbit/s 22.05 kHz
     * (72 * 64000 / 22050 = 208 bytes). Mono. */
    uint32_t hdr = lsf ? 0xFFF380C0u : 0xFFFB90C0u;
    if (crc)
        hdr &= ~0x00010000u;
    put(&w, hdr, 32);
    if (crc)
        put(&w, 0, 16);
    size_t side_start = w.pos;
    put(&w, main_data_begin, lsf ? 8 : 9);
    put(&w, 0, lsf ? 1 : 5); /* private */
    if (!lsf)
        put(&w, 0, 4); /* scfsi */
    for (unsigned gr = 0; gr < (lsf ? 1u : 2u); gr++) {
        put(&w, gr == 0 ? part23 : 0, 12);
        put(&w, gr == 0 ? big_values : 0, 9);
        put(&w, gr == 0 ? 210 : 0, 8);
        put(&w, 0, lsf ? 9 : 4); /* scalefac_compress: no scale factor bits */
        if (gr == 0 && window_switching_bt0) {
            put(&w, 1, 1);
            put(&w, 0, 2); /* block_type 0 with window switching: reserved */
            put(&w, 0, 1 + 10 + 9);
        } else {
            put(&w, 0, 1);
            put(&w, gr == 0 ? 1u : 0u, 5); /* table_select: 1, 0, 0 */
            put(&w, 0, 10);
            put(&w, 0, 4 + 3); /* region0_count 0 (region 0 = band 0), region1_count 0 */
        }
        if (!lsf)
            put(&w, 0, 1); /* preflag */
        put(&w, 0, 2);     /* scalefac_scale, count1table_select */
    }
    size_t side_bits = w.pos - side_start;
    /* Main data: table 1 pair (1,0) is "01", then the sign of x. */
    put_str(&w, "010");
    size_t len = lsf ? 208 : 417;
    if (crc) {
        uint16_t c = mp3_crc16(f, side_bits);
        f[4] = (uint8_t)(c >> 8);
        f[5] = (uint8_t)c;
    }
    return len;
}

/* The model of that frame: line 0 = 1.0 -> IMDCT of subband 0 (block type
 * 0) -> synthesis, then silence through the overlap. */
static void model_l3(int lsf, double *want)
{
    static model_synth ms;
    memset(&ms, 0, sizeof ms);
    double x[18] = {1.0};
    double z[36], zero[36] = {0};
    model_imdct36(x, 0, z);
    unsigned ngr = lsf ? 1u : 2u;
    double ovl[18] = {0};
    for (unsigned gr = 0; gr < ngr; gr++) {
        const double *cur = gr == 0 ? z : zero;
        double sub[18];
        for (int n = 0; n < 18; n++) {
            sub[n] = cur[n] + ovl[n];
            ovl[n] = cur[18 + n];
        }
        for (int t = 0; t < 18; t++) {
            double s[32] = {0};
            s[0] = sub[t];
            model_synth_slot(&ms, 0, s, want + gr * 576 + 32 * t);
        }
    }
}

static void test_layer3(void)
{
    for (int lsf = 0; lsf < 2; lsf++) {
        uint8_t f[420];
        size_t n = build_l3(f, sizeof f, lsf, 0, 0, 1, 3, 0);
        dec d;
        dec_open(&d, lsf ? 22050 : 44100, 1);
        const float *pcm;
        size_t frames;
        segue_status st = dec_run(&d, f, n, &pcm, &frames);
        CHECK(st == SEGUE_OK && frames == (lsf ? 576u : 1152u), "layer III %s: status %d frames %zu",
              lsf ? "LSF" : "MPEG-1", st, frames);
        static double want[1152];
        model_l3(lsf, want);
        double e = max_err(pcm, want, frames);
        CHECK(e < 1e-5, "layer III %s off by %g", lsf ? "LSF" : "MPEG-1", e);
        printf("ok   Layer III %s frame (one Huffman pair) vs model (max error %.2g)\n",
               lsf ? "MPEG-2 LSF" : "MPEG-1", e);

        /* The same frame as a stereo stream's mono frame: duplicated. */
        dec d2;
        dec_open(&d2, lsf ? 22050 : 44100, 2);
        st = dec_run(&d2, f, n, &pcm, &frames);
        int dup = st == SEGUE_OK;
        for (size_t i = 0; dup && i < frames; i++)
            dup = pcm[2 * i] == pcm[2 * i + 1] && fabs(pcm[2 * i] - want[i]) < 1e-5;
        CHECK(dup, "mono frame in a stereo stream not duplicated");
        dec_close(&d2);
        dec_close(&d);
    }
}

static int all_zero(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0.0f)
            return 0;
    return 1;
}

static void test_crc(void)
{
    uint8_t f[420];
    const float *pcm;
    size_t frames;
    /* Layer III: correct CRC decodes the tone, a flipped side-info bit under
     * the same CRC word is muted. */
    size_t n = build_l3(f, sizeof f, 0, 1, 0, 1, 3, 0);
    dec d;
    dec_open(&d, 44100, 1);
    segue_status st = dec_run(&d, f, n, &pcm, &frames);
    mp3_state *s = d.priv;
    CHECK(st == SEGUE_OK && !all_zero(pcm, frames) && s->crc_errors == 0,
          "protected Layer III frame with a good CRC: status %d crc errors %u", st, s->crc_errors);
    f[6 + 3] ^= 0x10; /* inside part2_3_length / big_values of granule 0 */
    mp3_reset_state(s);
    st = dec_run(&d, f, n, &pcm, &frames);
    CHECK(st == SEGUE_CODEC_CONCEALED && frames == 1152 && all_zero(pcm, frames) &&
              (s->frame_flags & MP3_FRAME_CRC_MISMATCH) && s->crc_errors == 1,
          "Layer III CRC mismatch must mute: status %d flags %u", st, s->frame_flags);
    /* Strict decoding (segue_decoder_config.strict reaches the codec as
     * params.strict): the same frame is an error, not silence. */
    mp3_reset_state(s);
    s->strict = 1;
    st = dec_run(&d, f, n, &pcm, &frames);
    CHECK(st == SEGUE_ERR_CORRUPT, "strict: Layer III CRC mismatch must fail: status %d", st);
    s->strict = 0;
    dec_close(&d);

    /* Layer II: the CRC covers allocation and scfsi (2.4.3.1). */
    uint8_t g[96];
    memset(g, 0, sizeof g);
    bw w = {g, sizeof g, 0};
    put(&w, 0xFFFC14C0u, 32); /* protected */
    put(&w, 0, 16);
    static const unsigned nbal_c[8] = {4, 4, 3, 3, 3, 3, 3, 3};
    size_t start = w.pos;
    for (unsigned sb = 0; sb < 8; sb++)
        put(&w, sb == 0 ? 1u : 0u, nbal_c[sb]);
    put(&w, 2, 2);
    size_t prot = w.pos - start;
    put(&w, 0, 6);
    for (unsigned gr = 0; gr < 12; gr++)
        put(&w, 5, 5);
    uint16_t c = mp3_crc16(g, prot);
    g[4] = (uint8_t)(c >> 8);
    g[5] = (uint8_t)c;
    dec_open(&d, 48000, 1);
    s = d.priv;
    st = dec_run(&d, g, sizeof g, &pcm, &frames);
    CHECK(st == SEGUE_OK && !all_zero(pcm, frames) && s->crc_errors == 0,
          "protected Layer II frame with a good CRC");
    g[7] ^= 0x01; /* an allocation bit */
    mp3_reset_state(s);
    st = dec_run(&d, g, sizeof g, &pcm, &frames);
    CHECK(st == SEGUE_CODEC_CONCEALED && all_zero(pcm, frames) && s->crc_errors == 1,
          "Layer II CRC mismatch must mute");
    dec_close(&d);

    /* Layer I: the CRC covers the allocation. */
    uint8_t h[32];
    memset(h, 0, sizeof h);
    w = (bw){h, sizeof h, 0};
    put(&w, 0xFFFE10C0u, 32); /* protected */
    put(&w, 0, 16);
    start = w.pos;
    for (unsigned sb = 0; sb < 32; sb++)
        put(&w, sb == 3 ? 3u : 0u, 4);
    prot = w.pos - start;
    put(&w, 3, 6);
    for (unsigned t = 0; t < 12; t++)
        put(&w, 3 + t, 4);
    c = mp3_crc16(h, prot);
    h[4] = (uint8_t)(c >> 8);
    h[5] = (uint8_t)c;
    dec_open(&d, 44100, 1);
    s = d.priv;
    st = dec_run(&d, h, sizeof h, &pcm, &frames);
    CHECK(st == SEGUE_OK && !all_zero(pcm, frames) && s->crc_errors == 0, "protected Layer I frame");
    h[2] ^= 0x01; /* the private bit: in the CRC (header bits 16..31) */
    mp3_reset_state(s);
    st = dec_run(&d, h, sizeof h, &pcm, &frames);
    CHECK(st == SEGUE_CODEC_CONCEALED && all_zero(pcm, frames) && s->crc_errors == 1,
          "Layer I CRC mismatch must mute");
    dec_close(&d);
    printf("ok   CRC-16: good frames decode, bad ones are muted (Layers I, II, III)\n");
}

static void test_damage(void)
{
    uint8_t f[420];
    const float *pcm;
    size_t frames;
    dec d;
    dec_open(&d, 44100, 1);
    mp3_state *s = d.priv;
    /* main_data_begin 100 in the first frame: the reservoir is empty. */
    size_t n = build_l3(f, sizeof f, 0, 0, 100, 1, 3, 0);
    segue_status st = dec_run(&d, f, n, &pcm, &frames);
    CHECK(st == SEGUE_OK && frames == 1152 && all_zero(pcm, frames) &&
              (s->frame_flags & MP3_FRAME_RESERVOIR_MISSING),
          "missing reservoir bytes must give silence");
    /* Now the reservoir holds the first frame's main data: the same frame
     * with main_data_begin 0 decodes normally. */
    n = build_l3(f, sizeof f, 0, 0, 0, 1, 3, 0);
    st = dec_run(&d, f, n, &pcm, &frames);
    CHECK(st == SEGUE_OK && !all_zero(pcm, frames) && s->frame_flags == 0, "decode after the gap");
    /* Structurally impossible frames. */
    n = build_l3(f, sizeof f, 0, 0, 0, 289, 3, 0);
    CHECK(dec_run(&d, f, n, &pcm, &frames) == SEGUE_ERR_CORRUPT, "big_values 289 must be corrupt");
    n = build_l3(f, sizeof f, 0, 0, 0, 1, 3, 1);
    CHECK(dec_run(&d, f, n, &pcm, &frames) == SEGUE_ERR_CORRUPT,
          "window switching with block_type 0 must be corrupt");
    n = build_l3(f, sizeof f, 0, 0, 0, 1, 4000, 0);
    CHECK(dec_run(&d, f, n, &pcm, &frames) == SEGUE_ERR_CORRUPT,
          "part2_3_length past the frame must be corrupt");
    CHECK(dec_run(&d, f, 20, &pcm, &frames) == SEGUE_ERR_CORRUPT,
          "a packet shorter than its side information must be corrupt");
    /* Truncated (shorter than the header says, side info complete): silence. */
    n = build_l3(f, sizeof f, 0, 0, 0, 1, 3, 0);
    st = dec_run(&d, f, 100, &pcm, &frames);
    CHECK(st == SEGUE_CODEC_CONCEALED && frames == 1152 && (s->frame_flags & MP3_FRAME_CONCEALED),
          "truncated frame must be concealed (and reported)");
    /* Garbage and empty packets. */
    CHECK(dec_run(&d, (const uint8_t *)"garbage!", 8, &pcm, &frames) == SEGUE_ERR_CORRUPT,
          "garbage must be corrupt");
    CHECK(dec_run(&d, f, 0, &pcm, &frames) == SEGUE_OK && frames == 0, "empty packet");
    dec_close(&d);
    printf("ok   bit reservoir gap (silence) and structurally impossible frames (corrupt)\n");
}

int main(void)
{
    test_header();
    test_kernels();
    test_layer1();
    test_layer2();
    test_layer3();
    test_crc();
    test_damage();
    printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    return failures ? 1 : 0;
}
