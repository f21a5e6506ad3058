/*
 * tests/dsp/test_dsp.c - unit tests of the DSP stages behind dsp/mix.h,
 * dsp/fade.h, dsp/dither.h and dsp/limiter.h: matrix coefficients against
 * ITU-R BS.775-3 Table 2, fade endpoints and shape, dither grid exactness,
 * determinism, error statistics and clip counting, limiter length,
 * alignment and true-peak control (measured here with an independent,
 * longer 4x interpolator than the limiter's own).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "dsp/dither.h"
#include "dsp/fade.h"
#include "dsp/limiter.h"
#include "dsp/mix.h"

#define W3DB 0.70710678118654752440 /* BS.775: -3 dB */
#define TEST_PI 3.14159265358979323846

static float *falloc(size_t n)
{
    float *p = segue_mem_calloc(NULL, n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

/* ---- mixer --------------------------------------------------------------- */

static segue_mixer *mixer(unsigned ic, uint32_t im, unsigned oc, uint32_t om)
{
    segue_mixer *m = NULL;
    segue_error err = {0};
    segue_status st = segue_mixer_create(&m, ic, im, oc, om, NULL, &err);
    if (st != SEGUE_OK)
        fail_msg("mixer %u/0x%X -> %u/0x%X: %s", ic, (unsigned)im, oc, (unsigned)om, err.detail);
    return m;
}

static void expect_coef(const segue_mixer *m, unsigned o, unsigned i, double want)
{
    double got = segue_mixer_coefficient(m, o, i);
    if (fabs(got - want) > 1e-6)
        fail_msg("coefficient [%u][%u] = %.7f, want %.7f", o, i, got, want);
}

/* 5.1 -> 2.0: Lo = L + 0.7071 C + 0.7071 Ls, scaled by 1 / (1 + 2 * 0.7071)
 * so the row sums to 1; LFE dropped. Both the back (0x3F) and the side
 * (0x60F) 5.1 layouts; channel order FL FR FC LFE Ls Rs in both. */
static void test_mix_51_to_stereo(void **state)
{
    (void)state;
    const uint32_t masks[2] = {0x3F, 0x60F};
    const double norm = 1.0 + 2.0 * W3DB;
    for (int k = 0; k < 2; k++) {
        segue_mixer *m = mixer(6, masks[k], 2, 0x3);
        for (unsigned o = 0; o < 2; o++) {
            expect_coef(m, o, o, 1.0 / norm);          /* own front */
            expect_coef(m, o, 1 - o, 0.0);             /* other front */
            expect_coef(m, o, 2, W3DB / norm);         /* centre */
            expect_coef(m, o, 3, 0.0);                 /* LFE */
            expect_coef(m, o, 4 + o, W3DB / norm);     /* own surround */
            expect_coef(m, o, 5 - o, 0.0);             /* other surround */
        }
        segue_mixer_destroy(m);
    }
    /* Default mask for 6 channels is 5.1. */
    segue_mixer *m = mixer(6, 0, 2, 0);
    expect_coef(m, 0, 2, W3DB / norm);
    expect_coef(m, 0, 3, 0.0);
    segue_mixer_destroy(m);
}

static void test_mix_50_quad_30_to_stereo(void **state)
{
    (void)state;
    /* 5.0 (FL FR FC BL BR): as 5.1 without the LFE. */
    segue_mixer *m = mixer(5, 0x37, 2, 0x3);
    double norm = 1.0 + 2.0 * W3DB;
    expect_coef(m, 0, 0, 1.0 / norm);
    expect_coef(m, 0, 2, W3DB / norm);
    expect_coef(m, 0, 3, W3DB / norm);
    expect_coef(m, 0, 4, 0.0);
    expect_coef(m, 1, 4, W3DB / norm);
    segue_mixer_destroy(m);
    /* Quad (2/2): Lo = L + 0.7071 Ls, back and side variants. */
    const uint32_t quads[2] = {0x33, 0x603};
    for (int k = 0; k < 2; k++) {
        m = mixer(4, quads[k], 2, 0x3);
        norm = 1.0 + W3DB;
        expect_coef(m, 0, 0, 1.0 / norm);
        expect_coef(m, 0, 2, W3DB / norm);
        expect_coef(m, 0, 3, 0.0);
        expect_coef(m, 1, 3, W3DB / norm);
        segue_mixer_destroy(m);
    }
    /* 3.0 (3/0): Lo = L + 0.7071 C. */
    m = mixer(3, 0x7, 2, 0x3);
    expect_coef(m, 0, 0, 1.0 / (1.0 + W3DB));
    expect_coef(m, 0, 2, W3DB / (1.0 + W3DB));
    expect_coef(m, 1, 0, 0.0);
    segue_mixer_destroy(m);
}

static void test_mix_mono_and_identity(void **state)
{
    (void)state;
    /* Stereo -> mono: 0.7071 L + 0.7071 R normalised to sum 1. */
    segue_mixer *m = mixer(2, 0, 1, 0);
    expect_coef(m, 0, 0, 0.5);
    expect_coef(m, 0, 1, 0.5);
    segue_mixer_destroy(m);
    /* 5.1 -> mono: BS.775 3/2 -> 1/0 weights, LFE dropped, row sum 1. */
    m = mixer(6, 0x3F, 1, 0x4);
    double norm = 2.0 * W3DB + 1.0 + 2.0 * 0.5;
    expect_coef(m, 0, 0, W3DB / norm);
    expect_coef(m, 0, 2, 1.0 / norm);
    expect_coef(m, 0, 3, 0.0);
    expect_coef(m, 0, 4, 0.5 / norm);
    segue_mixer_destroy(m);
    /* Mono -> stereo: -3 dB to each side. */
    m = mixer(1, 0, 2, 0);
    expect_coef(m, 0, 0, W3DB);
    expect_coef(m, 1, 0, W3DB);
    segue_mixer_destroy(m);
    /* Mono -> 5.1: front left/right only. */
    m = mixer(1, 0, 6, 0x3F);
    expect_coef(m, 0, 0, W3DB);
    expect_coef(m, 1, 0, W3DB);
    expect_coef(m, 2, 0, 0.0);
    expect_coef(m, 4, 0, 0.0);
    segue_mixer_destroy(m);
    /* Stereo -> 5.1: L and R to the fronts, the rest silent. */
    m = mixer(2, 0x3, 6, 0x3F);
    expect_coef(m, 0, 0, 1.0);
    expect_coef(m, 1, 1, 1.0);
    expect_coef(m, 2, 0, 0.0);
    expect_coef(m, 5, 1, 0.0);
    segue_mixer_destroy(m);

    /* Identity, checked through process(). */
    m = mixer(6, 0x3F, 6, 0);
    float in[12], out[12];
    for (int i = 0; i < 12; i++)
        in[i] = (float)i * 0.05f - 0.3f;
    segue_mixer_process(m, in, 2, out);
    assert_memory_equal(in, out, sizeof in);
    segue_mixer_destroy(m);
    /* 5.1 back -> 5.1 side: a permutation of roles, here the identity in
     * channel order (Ls/Rs keep their places). */
    m = mixer(6, 0x3F, 6, 0x60F);
    for (unsigned o = 0; o < 6; o++)
        for (unsigned i = 0; i < 6; i++)
            expect_coef(m, o, i, o == i ? 1.0 : 0.0);
    segue_mixer_destroy(m);
}

/* Every row sums to at most 1, so full-scale in-phase inputs cannot clip,
 * for each layout the matrix supports down to stereo and mono. */
static void test_mix_never_clips(void **state)
{
    (void)state;
    const struct { unsigned ch; uint32_t mask; } layouts[] = {
        {3, 0x7}, {4, 0x33}, {5, 0x37}, {6, 0x3F}, {6, 0x60F}, {7, 0}, {8, 0}, {8, 0x63F}};
    float in[8], out[2];
    for (int k = 0; k < 8; k++)
        in[k] = 1.0f;
    for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
        for (unsigned oc = 1; oc <= 2; oc++) {
            segue_mixer *m = mixer(layouts[l].ch, layouts[l].mask, oc, 0);
            segue_mixer_process(m, in, 1, out);
            for (unsigned o = 0; o < oc; o++) {
                assert_true(out[o] <= 1.0f + 1e-6f);
                assert_true(out[o] > 0.5f); /* and the channels do arrive */
            }
            segue_mixer_destroy(m);
        }
    }
}

static void test_mix_unsupported(void **state)
{
    (void)state;
    segue_mixer *m = (segue_mixer *)&m;
    segue_error err = {0};
    /* 5.1 -> quad: no matrix. */
    assert_int_equal(segue_mixer_create(&m, 6, 0x3F, 4, 0x33, NULL, &err), SEGUE_ERR_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(err.detail, "6 channels"));
    assert_non_null(strstr(err.detail, "4 channels"));
    /* A top speaker (0x800) has no place in a BS.775 downmix. */
    segue_error_clear(&err);
    assert_int_equal(segue_mixer_create(&m, 3, 0x803, 2, 0x3, NULL, &err), SEGUE_ERR_UNSUPPORTED);
    assert_true(strlen(err.detail) > 0);
    segue_error_clear(&err);
    assert_int_equal(segue_mixer_create(&m, 0, 0, 2, 0, NULL, &err), SEGUE_ERR_INVALID_ARGUMENT);
    segue_error_clear(&err);
    assert_int_equal(segue_mixer_create(&m, 2, 0, 64, 0, NULL, &err), SEGUE_ERR_INVALID_ARGUMENT);
    segue_mixer_destroy(NULL);
}

/* ---- fades --------------------------------------------------------------- */

static void test_fade_shape(void **state)
{
    (void)state;
    enum { N = 1000, CH = 2 };
    float *buf = falloc(N * CH);
    for (size_t i = 0; i < N * CH; i++)
        buf[i] = 1.0f;
    segue_fade f = {.in_frames = 100, .out_start = 800, .out_frames = 150};
    /* Applied in uneven chunks: the stage is stateless, the position says
     * where a chunk sits. */
    size_t pos = 0;
    const size_t chunks[] = {1, 7, 92, 1, 299, 450, 150};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        segue_fade_apply(&f, buf + pos * CH, chunks[c], CH, pos);
        pos += chunks[c];
    }
    assert_int_equal(pos, N);
    assert_true(buf[0] == 0.0f && buf[1] == 0.0f);     /* first fade-in frame */
    assert_true(buf[949 * CH] == 0.0f);                /* last fade-out frame */
    assert_true(buf[999 * CH] == 0.0f);                /* past the fade-out */
    assert_true(buf[100 * CH] == 1.0f && buf[799 * CH] == 1.0f); /* untouched */
    /* Half way through, a quarter sine is at -3 dB. */
    assert_true(fabs(buf[50 * CH] - W3DB) < 1e-6);
    for (size_t i = 1; i < 100; i++) {
        assert_true(buf[i * CH] > buf[(i - 1) * CH]);  /* strictly rising */
        assert_true(buf[i * CH + 1] == buf[i * CH]);   /* all channels alike */
    }
    for (size_t i = 801; i < 950; i++)
        assert_true(buf[i * CH] < buf[(i - 1) * CH]);  /* strictly falling */
    /* Equal power: the fade-out mirrors the fade-in of the same length. */
    segue_fade in_only = {.in_frames = 150};
    float one = 1.0f;
    for (uint64_t k = 0; k < 150; k++) {
        one = 1.0f;
        segue_fade_apply(&in_only, &one, 1, 1, k);
        assert_true(fabs(one - buf[(949 - k) * CH]) < 1e-7);
    }
    segue_mem_free(NULL, buf);
    assert_true(fabs(segue_db_to_linear(-20.0) - 0.1) < 1e-12);
    assert_true(fabs(segue_db_to_linear(20.0 * log10(0.5)) - 0.5) < 1e-12);
    assert_true(segue_db_to_linear(0.0) == 1.0);
}

/* ---- dither -------------------------------------------------------------- */

static segue_ditherer *ditherer(unsigned ch, uint32_t rate, unsigned bits, segue_dither_mode mode,
                                uint32_t seed)
{
    segue_ditherer *d = NULL;
    segue_error err = {0};
    assert_int_equal(segue_ditherer_create(&d, ch, rate, bits, mode, seed, NULL, &err), SEGUE_OK);
    return d;
}

/* A reproducible test signal: a sine plus LCG noise, within +-0.9. */
static void fill_signal(float *x, size_t n, uint32_t seed)
{
    uint32_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        double noise = ((double)(s >> 8) / 16777216.0 - 0.5) * 0.2;
        x[i] = (float)(0.7 * sin(2.0 * TEST_PI * 997.0 * (double)i / 44100.0) + noise);
    }
}

static void test_dither_grid(void **state)
{
    (void)state;
    enum { N = 20000 };
    float *x = falloc(N);
    const unsigned bit_list[] = {8, 12, 16, 20, 24};
    const segue_dither_mode modes[] = {SEGUE_DITHER_NONE, SEGUE_DITHER_TPDF, SEGUE_DITHER_SHAPED,
                                       SEGUE_DITHER_AUTO};
    for (size_t b = 0; b < 5; b++) {
        for (size_t md = 0; md < 4; md++) {
            fill_signal(x, N, 7);
            segue_ditherer *d = ditherer(2, 44100, bit_list[b], modes[md], 1);
            assert_int_equal(segue_ditherer_process(d, x, N / 2), 0);
            double scale = ldexp(1.0, (int)bit_list[b] - 1);
            for (size_t i = 0; i < N; i++) {
                double code = (double)x[i] * scale;
                if (code != floor(code) || code < -scale || code > scale - 1)
                    fail_msg("%u bits mode %d: sample %zu = %.9g is off the grid", bit_list[b],
                             (int)modes[md], i, (double)x[i]);
            }
            segue_ditherer_destroy(d);
        }
    }
    segue_mem_free(NULL, x);
}

static void test_dither_none_rounds(void **state)
{
    (void)state;
    float x[6] = {0.25f, 0.5f / 32768.0f * 1.2f, -0.7f / 32768.0f, 0.3f / 32768.0f, -1.0f, 0.0f};
    segue_ditherer *d = ditherer(1, 44100, 16, SEGUE_DITHER_NONE, 0);
    assert_int_equal(segue_ditherer_process(d, x, 6), 0);
    assert_true(x[0] == 0.25f);
    assert_true(x[1] == 1.0f / 32768.0f);
    assert_true(x[2] == -1.0f / 32768.0f);
    assert_true(x[3] == 0.0f);
    assert_true(x[4] == -1.0f);
    assert_true(x[5] == 0.0f);
    segue_ditherer_destroy(d);
}

static void test_dither_clips_counted(void **state)
{
    (void)state;
    float x[8] = {1.0f, -1.0f, 1.5f, -2.0f, 0.5f, INFINITY, -INFINITY, NAN};
    segue_ditherer *d = ditherer(1, 44100, 16, SEGUE_DITHER_NONE, 0);
    /* +1.0 is one code past the top (32767), 1.5, -2 and +-inf clip; -1.0
     * is the bottom code itself; NaN becomes silence. */
    assert_int_equal(segue_ditherer_process(d, x, 8), 5);
    assert_true(x[0] == 32767.0f / 32768.0f);
    assert_true(x[1] == -1.0f);
    assert_true(x[2] == 32767.0f / 32768.0f);
    assert_true(x[3] == -1.0f);
    assert_true(x[5] == 32767.0f / 32768.0f);
    assert_true(x[6] == -1.0f);
    assert_true(x[7] == 0.0f);
    segue_ditherer_destroy(d);
}

static void test_dither_deterministic(void **state)
{
    (void)state;
    enum { N = 4096 };
    float *a = falloc(N), *b = falloc(N), *c = falloc(N);
    const segue_dither_mode modes[] = {SEGUE_DITHER_TPDF, SEGUE_DITHER_SHAPED};
    for (int md = 0; md < 2; md++) {
        fill_signal(a, N, 3);
        memcpy(b, a, N * sizeof(float));
        memcpy(c, a, N * sizeof(float));
        segue_ditherer *da = ditherer(2, 48000, 16, modes[md], 42);
        segue_ditherer *db = ditherer(2, 48000, 16, modes[md], 42);
        segue_ditherer *dc = ditherer(2, 48000, 16, modes[md], 43);
        /* Chunking does not matter either. */
        segue_ditherer_process(da, a, N / 2);
        segue_ditherer_process(db, b, 5);
        segue_ditherer_process(db, b + 10, N / 2 - 5);
        segue_ditherer_process(dc, c, N / 2);
        assert_memory_equal(a, b, N * sizeof(float));
        assert_true(memcmp(a, c, N * sizeof(float)) != 0);
        segue_ditherer_destroy(da);
        segue_ditherer_destroy(db);
        segue_ditherer_destroy(dc);
    }
    /* Shaping is only defined for 44.1/48 kHz: at 32 kHz SHAPED is TPDF,
     * sample for sample with the same seed. */
    fill_signal(a, N, 5);
    memcpy(b, a, N * sizeof(float));
    segue_ditherer *ds = ditherer(1, 32000, 16, SEGUE_DITHER_SHAPED, 9);
    segue_ditherer *dt = ditherer(1, 32000, 16, SEGUE_DITHER_TPDF, 9);
    segue_ditherer_process(ds, a, N);
    segue_ditherer_process(dt, b, N);
    assert_memory_equal(a, b, N * sizeof(float));
    segue_ditherer_destroy(ds);
    segue_ditherer_destroy(dt);
    segue_mem_free(NULL, a);
    segue_mem_free(NULL, b);
    segue_mem_free(NULL, c);
}

/* TPDF theory (Lipshitz et al. 1992): the total error of a rounding
 * quantiser with +-1 LSB triangular dither has mean 0 and variance
 * 1/12 + 1/6 = 1/4 LSB^2 whatever the signal; plain rounding 1/12. With
 * 200000 samples the standard error of the variance estimate is under 0.5%,
 * so 5% bounds cannot fail by chance. */
static void test_dither_error_statistics(void **state)
{
    (void)state;
    enum { N = 200000 };
    float *x = falloc(N), *y = falloc(N);
    const struct { segue_dither_mode mode; double var; } cases[] = {
        {SEGUE_DITHER_NONE, 1.0 / 12.0}, {SEGUE_DITHER_TPDF, 0.25}};
    for (int k = 0; k < 2; k++) {
        fill_signal(x, N, 11);
        memcpy(y, x, N * sizeof(float));
        segue_ditherer *d = ditherer(1, 44100, 16, cases[k].mode, 77);
        segue_ditherer_process(d, y, N);
        double sum = 0.0, sum2 = 0.0;
        for (size_t i = 0; i < N; i++) {
            double e = ((double)y[i] - (double)x[i]) * 32768.0;
            assert_true(fabs(e) <= (k ? 1.5 : 0.5) + 1e-9);
            sum += e;
            sum2 += e * e;
        }
        double mean = sum / N, var = sum2 / N - mean * mean;
        assert_true(fabs(mean) < 0.01);
        if (fabs(var / cases[k].var - 1.0) > 0.05)
            fail_msg("mode %d: error variance %.4f LSB^2, theory %.4f", (int)cases[k].mode, var,
                     cases[k].var);
        segue_ditherer_destroy(d);
    }
    segue_mem_free(NULL, x);
    segue_mem_free(NULL, y);
}

static void test_dither_bad_arguments(void **state)
{
    (void)state;
    segue_ditherer *d = NULL;
    segue_error err = {0};
    assert_int_equal(segue_ditherer_create(&d, 2, 44100, 7, SEGUE_DITHER_TPDF, 0, NULL, &err),
                     SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_ditherer_create(&d, 2, 44100, 25, SEGUE_DITHER_TPDF, 0, NULL, &err),
                     SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_ditherer_create(&d, 0, 44100, 16, SEGUE_DITHER_TPDF, 0, NULL, &err),
                     SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_ditherer_create(&d, 1, 44100, 16, (segue_dither_mode)9, 0, NULL, &err),
                     SEGUE_ERR_INVALID_ARGUMENT);
    assert_null(d);
    segue_ditherer_destroy(NULL);
}

/* ---- limiter ------------------------------------------------------------- */

/* A separate true-peak meter: 4x oversampling with a 64-tap-per-phase
 * Kaiser (beta 8) windowed sinc, written independently of the limiter's
 * interpolator (64 taps, beta 7) and far flatter near Nyquist than the
 * 12-tap-per-phase filter of BS.1770-4 Annex 2. What this test checks is
 * the gain machinery (look-ahead, hold, attack ramp, alignment), given a
 * good 4x estimate. Returns the largest magnitude in dBFS over all phases. */
static double true_peak_db(const float *x, size_t frames, unsigned channels)
{
    enum { HALF = 32, TAPS = 64 };
    static double taps[3][TAPS];
    static int ready;
    if (!ready) {
        for (int p = 1; p < 4; p++) {
            double sum = 0.0;
            for (int t = 0; t < TAPS; t++) {
                double u = (double)p / 4.0 - (double)(t - HALF + 1);
                double w = 0.0, r = u / HALF;
                if (fabs(r) < 1.0) { /* Kaiser window through the I0 series */
                    double a = 8.0 * sqrt(1.0 - r * r), term = 1.0, i0 = 1.0, i0b = 1.0, tb = 1.0;
                    for (int k = 1; k < 80; k++) {
                        term *= (a / 2.0) * (a / 2.0) / ((double)k * k);
                        tb *= 16.0 / ((double)k * k);
                        i0 += term;
                        i0b += tb;
                    }
                    w = i0 / i0b;
                }
                taps[p - 1][t] = sin(TEST_PI * u) / (TEST_PI * u) * w;
                sum += taps[p - 1][t];
            }
            for (int t = 0; t < TAPS; t++)
                taps[p - 1][t] /= sum;
        }
        ready = 1;
    }
    double peak = 0.0;
    for (unsigned c = 0; c < channels; c++) {
        for (size_t n = 0; n < frames; n++) {
            double s = fabs((double)x[n * channels + c]);
            if (s > peak)
                peak = s;
            for (int p = 0; p < 3; p++) {
                double acc = 0.0;
                for (int t = 0; t < TAPS; t++) {
                    int64_t idx = (int64_t)n + t - HALF + 1;
                    if (idx >= 0 && idx < (int64_t)frames)
                        acc += taps[p][t] * x[(size_t)idx * channels + c];
                }
                if (fabs(acc) > peak)
                    peak = fabs(acc);
            }
        }
    }
    return 20.0 * log10(peak > 1e-20 ? peak : 1e-20);
}

static segue_limiter *limiter(uint32_t rate, unsigned ch, double ceiling)
{
    segue_limiter *l = NULL;
    segue_error err = {0};
    assert_int_equal(segue_limiter_create(&l, rate, ch, ceiling, NULL, &err), SEGUE_OK);
    return l;
}

/* Runs `x` through a fresh limiter in chunks of the given sizes (cycled),
 * in place, and returns the output length (must equal `frames`). */
static size_t run_limiter(segue_limiter *l, float *x, size_t frames, unsigned ch,
                          const size_t *chunks, size_t nchunks)
{
    size_t in_pos = 0, out_pos = 0, c = 0;
    float *tmp = falloc(frames * ch + 1);
    while (in_pos < frames) {
        size_t n = chunks[c++ % nchunks];
        if (n > frames - in_pos)
            n = frames - in_pos;
        size_t produced = 0;
        /* In place: the chunk is copied into tmp at its input position and
         * processed there; outputs land at the output position. */
        memcpy(tmp + out_pos * ch, x + in_pos * ch, n * ch * sizeof(float));
        segue_limiter_process(l, tmp + out_pos * ch, n, tmp + out_pos * ch, &produced);
        assert_true(produced <= n);
        out_pos += produced;
        in_pos += n;
    }
    size_t produced = 0;
    float *tail = falloc((segue_limiter_latency(l) + 1) * ch);
    segue_limiter_flush(l, tail, &produced);
    assert_true(produced <= segue_limiter_latency(l));
    memcpy(tmp + out_pos * ch, tail, produced * ch * sizeof(float));
    out_pos += produced;
    memcpy(x, tmp, out_pos * ch * sizeof(float));
    segue_mem_free(NULL, tail);
    segue_mem_free(NULL, tmp);
    return out_pos;
}

/* Below the ceiling the limiter is a pure delay it hides: the output is
 * the input, sample for sample, and exactly as long. */
static void test_limiter_transparent_and_aligned(void **state)
{
    (void)state;
    const uint32_t rates[] = {44100, 48000, 96000, 8000};
    const size_t lengths[] = {0, 1, 5, 100, 48000};
    const size_t chunks[] = {1, 4096, 3, 77, 1000};
    for (size_t r = 0; r < 4; r++) {
        segue_limiter *l = limiter(rates[r], 2, -1.0);
        size_t lat = segue_limiter_latency(l);
        /* Look-ahead 1.5..5 ms plus the interpolator's span. */
        assert_true(lat >= (size_t)(0.0015 * rates[r]) && lat <= (size_t)(0.005 * rates[r]) + 40);
        for (size_t k = 0; k < 5; k++) {
            size_t n = lengths[k];
            float *x = falloc(n * 2 + 2), *ref = falloc(n * 2 + 2);
            for (size_t i = 0; i < n; i++) {
                /* -3 dBFS peaks at most, well under -1 dBTP even between samples */
                x[2 * i] = (float)(0.5 * sin(0.05 * (double)i));
                x[2 * i + 1] = (float)(0.7 * cos(0.013 * (double)i));
            }
            memcpy(ref, x, n * 2 * sizeof(float));
            size_t out = run_limiter(l, x, n, 2, chunks, 5);
            assert_int_equal(out, n);
            assert_memory_equal(x, ref, n * 2 * sizeof(float));
            segue_mem_free(NULL, x);
            segue_mem_free(NULL, ref);
        }
        assert_true(segue_limiter_max_reduction_db(l) == 0.0);
        segue_limiter_destroy(l);
    }
}

/* Hot material: full-scale bursts with inter-sample peaks up to +3 dB
 * (a sine at fs/4 sampled 45 degrees off its peaks), sines up to 0.45 fs
 * driven 3-6 dB over full scale, an fs/4 square pattern and an fs/6
 * square, each switched on abruptly between silences. The output's 4x true
 * peak stays within 0.1 dB of the ceiling, and the output is exactly as
 * long as the input. (Content within a few percent of Nyquist is where any
 * two finite 4x interpolators disagree; docs/dsp.md gives the figures.) */
static void test_limiter_true_peak(void **state)
{
    (void)state;
    enum { RATE = 48000, N = RATE, CH = 2 };
    float *x = falloc(N * CH);
    for (size_t i = 0; i < N; i++) {
        double t = (double)i;
        double l = 0.0, r = 0.0;
        size_t seg = i / (N / 8), in_seg = i % (N / 8);
        int on = in_seg > 500 && in_seg < N / 8 - 1500; /* bursts, then silence to release */
        if (on) {
            switch (seg) {
            case 0: l = sin(2.0 * TEST_PI * 0.25 * t + TEST_PI / 4) * 1.0; r = 0.0; break;
            case 1: l = 1.41 * sin(2.0 * TEST_PI * 0.31 * t + 0.3); r = 1.41 * sin(2.0 * TEST_PI * 0.37 * t); break;
            case 2: l = ((i / 2) % 2) ? 1.0 : -1.0; r = l; break; /* fs/4 square */
            case 3: l = ((i / 3) % 2) ? 1.0 : -1.0; r = -l; break; /* fs/6 square */
            case 4: l = 2.0 * sin(2.0 * TEST_PI * 0.41 * t + 1.0); r = 0.3 * l; break;
            case 5: l = 0.95 * sin(2.0 * TEST_PI * 0.02 * t); r = 1.2 * sin(2.0 * TEST_PI * 0.24 * t + 0.7); break;
            case 6: l = 1.41 * sin(2.0 * TEST_PI * 0.45 * t); r = sin(2.0 * TEST_PI * 0.1234 * t); break;
            default: l = 1.3 * sin(2.0 * TEST_PI * 0.42 * t + 2.0); r = l; break;
            }
        }
        x[CH * i] = (float)l;
        x[CH * i + 1] = (float)r;
    }
    const double ceilings[] = {-1.0, -0.1, -6.0};
    const size_t chunks[] = {4096, 17, 1, 999};
    float *y = falloc(N * CH);
    for (int c = 0; c < 3; c++) {
        memcpy(y, x, N * CH * sizeof(float));
        segue_limiter *l = limiter(RATE, CH, ceilings[c]);
        assert_int_equal(run_limiter(l, y, N, CH, chunks, 4), N);
        double tp = true_peak_db(y, N, CH);
        if (tp > ceilings[c] + 0.1)
            fail_msg("ceiling %.1f dBTP: output true peak %.3f dBTP", ceilings[c], tp);
        assert_true(segue_limiter_max_reduction_db(l) < -1.0);
        /* The gain never exceeds 1 and the signal stays aligned: every
         * output sample is the input sample scaled by a factor in [0, 1]. */
        for (size_t i = 0; i < N * CH; i++) {
            if (x[i] == 0.0f)
                assert_true(y[i] == 0.0f);
            else
                assert_true(y[i] / x[i] >= 0.0f && y[i] / x[i] <= 1.0f);
        }
        segue_limiter_destroy(l);
    }
    segue_mem_free(NULL, x);
    segue_mem_free(NULL, y);
}

static void test_limiter_bad_arguments(void **state)
{
    (void)state;
    segue_limiter *l = NULL;
    segue_error err = {0};
    assert_int_equal(segue_limiter_create(&l, 0, 2, -1.0, NULL, &err), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_limiter_create(&l, 44100, 0, -1.0, NULL, &err), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_limiter_create(&l, 44100, 2, 3.0, NULL, &err), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_limiter_create(&l, 44100, 2, NAN, NULL, &err), SEGUE_ERR_INVALID_ARGUMENT);
    assert_null(l);
    segue_limiter_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mix_51_to_stereo),
        cmocka_unit_test(test_mix_50_quad_30_to_stereo),
        cmocka_unit_test(test_mix_mono_and_identity),
        cmocka_unit_test(test_mix_never_clips),
        cmocka_unit_test(test_mix_unsupported),
        cmocka_unit_test(test_fade_shape),
        cmocka_unit_test(test_dither_grid),
        cmocka_unit_test(test_dither_none_rounds),
        cmocka_unit_test(test_dither_clips_counted),
        cmocka_unit_test(test_dither_deterministic),
        cmocka_unit_test(test_dither_error_statistics),
        cmocka_unit_test(test_dither_bad_arguments),
        cmocka_unit_test(test_limiter_transparent_and_aligned),
        cmocka_unit_test(test_limiter_true_peak),
        cmocka_unit_test(test_limiter_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
