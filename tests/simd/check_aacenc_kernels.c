/*
 * tests/simd/check_aacenc_kernels.c - equivalence test of the AAC encoder
 * entries of simd/dsp.h (aacenc_mdct, aacenc_pow34, aacenc_quantize,
 * aacenc_quant_error), and perfect reconstruction of the forward MDCT
 * through segue's decoder filterbank.
 *
 * Standalone (no cmocka), so cross builds run it too (under qemu-aarch64).
 * For every level the host can run, each kernel is compared with the scalar
 * table on fixed-seed random inputs: lengths 0, 1, 3, 4, 5, 7, 8, 15, 16,
 * 17, 33, 1027, misaligned pointers (0..3 elements), inputs flush against
 * the end of their array (an over-read trips ASan), sentinel guards around
 * every output and scratch buffer. pow34 and quantize (values and the
 * returned maximum, every step size from fine to coarse, both dead zones,
 * values that clip at 8191) must match bit for bit; the MDCT (both sizes,
 * dense, sparse, single-line and silent blocks of magnitudes 2^-30..2^20)
 * within SEGUE_DSP_AACENC_TOLERANCE_REL of the call's peak, the
 * quantisation error within SEGUE_DSP_AACENC_ERROR_TOLERANCE_REL of the
 * scalar result. Every level is also checked against the formulas of dsp.h
 * in double ("definitions"), and aac_imdct + aac_window_overlap (the
 * decoder's kernels) must give back the signal the MDCT analysed, through
 * ONLY_LONG, LONG_START, EIGHT_SHORT, LONG_STOP frames with sine and KBD
 * windows. segue_dsp_get() must hand out the kernels of the active level
 * (run under each SEGUE_CPU by tests/simd/CMakeLists.txt).
 *
 * Exit status: 0 all passed, 1 a failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/dsp.h"
#if SEGUE_CODEC_AAC
#include "codec/aac/aac_tables.h"
#endif

#define PI 3.14159265358979323846
#define CHECK_RNG_SEED 0x5eedaac5u
#include "check_harness.h"

/* Within `tol` (absolute). */
static int compare(const char *level, const char *what, const float *want, const float *got,
                   size_t n, double tol)
{
    return compare_tol(level, what, want, got, n, tol, 0);
}

/* ---- pow34 ---- */
static float f_in_end[MAX_LEN], f_in2_end[MAX_LEN];
static int16_t q_in_end[MAX_LEN];

static unsigned long test_pow34(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf in = gb_new(MAX_LEN, sizeof(float)), o1 = gb_new(MAX_LEN, sizeof(float)),
         o2 = gb_new(MAX_LEN, sizeof(float));
    unsigned long calls = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        for (unsigned round = 0; round < 12; round++) {
            unsigned off = round % (MAX_OFF + 2);
            float *x = off <= MAX_OFF ? gb_arm(&in, off) : f_in_end + MAX_LEN - n;
            fill(x, n, (int)(round % 4));
            if (n && round == 1)
                x[0] = -0.0f, x[n - 1] = 3.0e38f;
            unsigned oo = (round / 2) % (MAX_OFF + 1);
            float *a = gb_arm(&o1, oo), *b = gb_arm(&o2, oo);
            ref->aacenc_pow34(a, x, n);
            tst->aacenc_pow34(b, x, n);
            calls++;
            compare(level, "aacenc_pow34", a, b, n, 0.0);
            if (!gb_intact(&o2, b, n))
                FAIL("%s aacenc_pow34: wrote outside dst[%zu] (offset %u)", level, n, oo);
            if (off <= MAX_OFF && !gb_intact(&in, x, n))
                FAIL("%s aacenc_pow34: wrote to its input", level);
        }
    }
    free(in.base), free(o1.base), free(o2.base);
    return calls;
}

/* ---- quantize ---- */
static unsigned long test_quantize(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf in = gb_new(MAX_LEN, sizeof(float)), in34 = gb_new(MAX_LEN, sizeof(float)),
         o1 = gb_new(MAX_LEN, sizeof(int16_t)), o2 = gb_new(MAX_LEN, sizeof(int16_t));
    unsigned long calls = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        for (unsigned round = 0; round < 24; round++) {
            unsigned off = round % (MAX_OFF + 2);
            float *x = off <= MAX_OFF ? gb_arm(&in, off) : f_in_end + MAX_LEN - n;
            float *x34 = off <= MAX_OFF ? gb_arm(&in34, (off + 1) % (MAX_OFF + 1))
                                        : f_in2_end + MAX_LEN - n;
            fill(x, n, (int)(round % 4));
            ref->aacenc_pow34(x34, x, n);
            /* Scalefactors from very fine (values clip at 8191) to coarse. */
            int sf = (int)(rnd() % 256u);
            float istep = (float)pow(2.0, -0.1875 * (sf - 100));
            float rounding = round & 1u ? 0.5f : 0.4054f;
            unsigned oo = (round / 2) % (MAX_OFF + 1);
            int16_t *a = gb_arm(&o1, oo), *b = gb_arm(&o2, oo);
            int ma = ref->aacenc_quantize(a, x, x34, n, istep, rounding);
            int mb = tst->aacenc_quantize(b, x, x34, n, istep, rounding);
            calls++;
            if (ma != mb)
                FAIL("%s aacenc_quantize n %zu: max %d, scalar %d", level, n, mb, ma);
            for (size_t i = 0; i < n; i++)
                if (a[i] != b[i]) {
                    FAIL("%s aacenc_quantize n %zu [%zu]: %d, scalar %d", level, n, i, b[i], a[i]);
                    break;
                }
            if (!gb_intact(&o2, b, n))
                FAIL("%s aacenc_quantize: wrote outside q[%zu] (offset %u)", level, n, oo);
            if (off <= MAX_OFF && (!gb_intact(&in, x, n) || !gb_intact(&in34, x34, n)))
                FAIL("%s aacenc_quantize: wrote to an input", level);
        }
    }
    free(in.base), free(in34.base), free(o1.base), free(o2.base);
    return calls;
}

/* ---- quant_error ---- */
static unsigned long test_quant_error(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf in = gb_new(MAX_LEN, sizeof(float)), qb = gb_new(MAX_LEN, sizeof(int16_t));
    static float x34[MAX_LEN];
    unsigned long calls = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        for (unsigned round = 0; round < 24; round++) {
            unsigned off = round % (MAX_OFF + 2);
            float *x = off <= MAX_OFF ? gb_arm(&in, off) : f_in_end + MAX_LEN - n;
            int16_t *q = off <= MAX_OFF ? gb_arm(&qb, (off + 2) % (MAX_OFF + 1))
                                        : q_in_end + MAX_LEN - n;
            fill(x, n, (int)(round % 4));
            ref->aacenc_pow34(x34, x, n);
            int sf = (int)(rnd() % 256u);
            float istep = (float)pow(2.0, -0.1875 * (sf - 100));
            float step = (float)pow(2.0, 0.25 * (sf - 100));
            ref->aacenc_quantize(q, x, x34, n, istep, 0.4054f);
            if (round % 5 == 4)
                for (size_t i = 0; i < n; i++)
                    q[i] = (int16_t)((int)(rnd() % 16383u) - 8191); /* any legal value */
            float ea = ref->aacenc_quant_error(x, q, n, step);
            float eb = tst->aacenc_quant_error(x, q, n, step);
            calls++;
            double tol = (double)SEGUE_DSP_AACENC_ERROR_TOLERANCE_REL * fabs((double)ea);
            if (!(fabs((double)ea - (double)eb) <= tol))
                FAIL("%s aacenc_quant_error n %zu: %.9g, scalar %.9g", level, n, (double)eb, (double)ea);
            else if (ea != eb)
                inexact++;
            if (off <= MAX_OFF && (!gb_intact(&in, x, n) || !gb_intact(&qb, q, n)))
                FAIL("%s aacenc_quant_error: wrote to an input", level);
        }
    }
    free(in.base), free(qb.base);
    return calls;
}

/* ---- MDCT ---- */
static float mdct_in_end[2048];

static unsigned long test_mdct(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf in = gb_new(2048, sizeof(float)), o1 = gb_new(1024, sizeof(float)),
         o2 = gb_new(1024, sizeof(float)), w1 = gb_new(2048, sizeof(float)),
         w2 = gb_new(2048, sizeof(float));
    unsigned long calls = 0;
    for (unsigned round = 0; round < 48; round++) {
        unsigned log2n = round & 1u ? 8u : 11u, n = 1u << log2n;
        unsigned off = (round / 2) % (MAX_OFF + 2);
        float *x = off <= MAX_OFF ? gb_arm(&in, off) : mdct_in_end + 2048 - n;
        fill(x, n, (int)((round / 2) % 4));
        unsigned oo = (round / 3) % (MAX_OFF + 1);
        float *a = gb_arm(&o1, oo), *b = gb_arm(&o2, oo);
        float *wa = gb_arm(&w1, (oo + 1) % (MAX_OFF + 1)), *wb = gb_arm(&w2, (oo + 1) % (MAX_OFF + 1));
        ref->aacenc_mdct(a, x, log2n, wa);
        tst->aacenc_mdct(b, x, log2n, wb);
        calls++;
        float pk = peak(a, n / 2, 0.0f);
        compare(level, log2n == 11 ? "aacenc_mdct 2048" : "aacenc_mdct 256", a, b, n / 2,
                (double)SEGUE_DSP_AACENC_TOLERANCE_REL * (double)pk);
        if (!gb_intact(&o2, b, n / 2))
            FAIL("%s aacenc_mdct %u: wrote outside out", level, n);
        if (!gb_intact(&w2, wb, n))
            FAIL("%s aacenc_mdct %u: wrote outside its N floats of work", level, n);
        if (off <= MAX_OFF && !gb_intact(&in, x, n))
            FAIL("%s aacenc_mdct %u: wrote to its input", level, n);
    }
    free(in.base), free(o1.base), free(o2.base), free(w1.base), free(w2.base);
    return calls;
}

/* ---- perfect reconstruction through the decoder's filterbank ---- */
#if SEGUE_CODEC_AAC
/* The window of 14496-3 4.6.11.3.2 for a sequence, as aac_window_overlap
 * applies it: rising half from `left`, falling half from `right` (long
 * or short halves as the sequence uses them). */
static float window_at(unsigned seq, unsigned i, const float *ll, const float *ls,
                       const float *rl, const float *rs)
{
    if (i < 1024) {
        if (seq == 3)
            return i < 448 ? 0.0f : i < 576 ? ls[i - 448] : 1.0f;
        return ll[i];
    }
    unsigned j = i - 1024;
    if (seq == 1)
        return j < 448 ? 1.0f : j < 576 ? rs[575 - j] : 0.0f;
    return rl[1023 - j];
}

static int reconstruction(const segue_dsp *tst, const char *level)
{
    enum { FRAMES = 8, LEN = 1024 * (FRAMES + 1) };
    static const unsigned seqs[FRAMES] = {0, 1, 2, 2, 3, 0, 1, 2};
    static float x[LEN], y[LEN], blk[2048], spec[1024], t[2048], work[2048], overlap[1024];
    unsigned long before = failures;
    for (unsigned shape = 0; shape < 2; shape++) {
        const float *wl = shape ? aac_kbd_long : aac_sine_long;
        const float *ws = shape ? aac_kbd_short : aac_sine_short;
        for (unsigned i = 0; i < LEN; i++)
            x[i] = 0.5f * (float)sin(0.013 * i) + 0.25f * unit();
        memset(overlap, 0, sizeof overlap);
        double err = 0.0, pk = 0.0;
        for (unsigned f = 0; f < FRAMES; f++) {
            const float *src = x + 1024 * f; /* the frame's 2048-sample span */
            unsigned seq = seqs[f];
            if (seq == 2) {
                /* Eight short windows at 448 + 128 w, each MDCT'd alone. */
                for (unsigned w = 0; w < 8; w++) {
                    for (unsigned i = 0; i < 256; i++)
                        blk[i] = src[448 + 128 * w + i] * (i < 128 ? ws[i] : ws[255 - i]);
                    tst->aacenc_mdct(spec, blk, 8, work);
                    tst->aac_imdct(t + 256 * w, spec, 8, work);
                }
            } else {
                for (unsigned i = 0; i < 2048; i++)
                    blk[i] = src[i] * window_at(seq, i, wl, ws, wl, ws);
                tst->aacenc_mdct(spec, blk, 11, work);
                tst->aac_imdct(t, spec, 11, work);
            }
            const float *left = seq == 2 || seq == 3 ? ws : wl;
            const float *right = seq == 1 || seq == 2 ? ws : wl;
            tst->aac_window_overlap(y + 1024 * f, overlap, t, seq, left, right);
        }
        /* Frame f outputs samples [1024 (f - 1), 1024 f) of x: the first
         * frame's output is the start-up half, compare from frame 1. */
        for (unsigned f = 1; f < FRAMES; f++)
            for (unsigned i = 0; i < 1024; i++) {
                double want = x[1024 * f + i], got = y[1024 * f + i];
                double e = fabs(want - got);
                err = e > err ? e : err;
                pk = fabs(want) > pk ? fabs(want) : pk;
            }
        printf("%-7s %-20s %s windows: max error %.3g of peak %.3g\n", level, "reconstruction",
               shape ? "KBD" : "sine", err, pk);
        if (!(err <= (double)SEGUE_DSP_AACENC_TOLERANCE_REL * pk))
            FAIL("%s aacenc_mdct -> aac_imdct -> aac_window_overlap (%s): error %.3g", level,
                 shape ? "KBD" : "sine", err);
    }
    return failures > before;
}
#endif

/* ---- the formulas of dsp.h in double ---- */
static int definitions(const segue_dsp *tst, const char *level)
{
    unsigned long before = failures;
    static float in[2048], out[1024], work[2048];
    for (unsigned log2n = 8; log2n <= 11; log2n += 3) {
        unsigned n = 1u << log2n, half = n / 2;
        for (unsigned i = 0; i < n; i++)
            in[i] = unit();
        tst->aacenc_mdct(out, in, log2n, work);
        double n0 = (n / 2.0 + 1.0) / 2.0, max_err = 0.0, max_ref = 0.0;
        for (unsigned k = 0; k < half; k++) {
            double sum = 0.0;
            for (unsigned i = 0; i < n; i++)
                sum += in[i] * cos(2.0 * PI / n * (i + n0) * (k + 0.5));
            sum *= 2.0; /* the kernel's declared factor */
            double e = fabs(sum - out[k]);
            max_err = e > max_err ? e : max_err;
            max_ref = fabs(sum) > max_ref ? fabs(sum) : max_ref;
        }
        if (!(max_err <= (double)SEGUE_DSP_AACENC_TOLERANCE_REL * max_ref))
            FAIL("%s aacenc_mdct %u: %.3g from the direct sum (peak %.3g)", level, n, max_err,
                 max_ref);
    }
    float x[8] = {0.0f, 1.0f, -1.0f, 16.0f, -0.25f, 1e-20f, 8.0f, -1e10f}, p[8];
    tst->aacenc_pow34(p, x, 8);
    for (unsigned i = 0; i < 8; i++) {
        double want = pow(fabs((double)x[i]), 0.75);
        if (!(fabs(want - p[i]) <= 1e-6 * want))
            FAIL("%s aacenc_pow34(%g) = %.9g, want %.9g", level, (double)x[i], (double)p[i], want);
    }
    /* 8 -> 8^(3/4) = 4.757; with istep 1: 4.757 + 0.4054 -> 5, + 0 -> 4. */
    int16_t q[8];
    int m = tst->aacenc_quantize(q, x, p, 8, 1.0f, 0.4054f);
    static const int16_t want_q[8] = {0, 1, -1, 8, 0, 0, 5, -8191};
    if (m != 8191 || memcmp(q, want_q, sizeof q) != 0)
        FAIL("%s aacenc_quantize: %d %d %d %d %d %d %d %d max %d", level, q[0], q[1], q[2], q[3],
             q[4], q[5], q[6], q[7], m);
    tst->aacenc_quantize(q, x, p, 8, 1.0f, 0.0f);
    if (q[6] != 4 || q[4] != 0)
        FAIL("%s aacenc_quantize without rounding: %d %d", level, q[6], q[4]);
    /* Error of q = {1, 8} for x = {1.5, -20} with step 0.5: (1.5 - 0.5)^2 +
     * (20 - 8^(4/3) 0.5)^2 = 1 + 144. */
    float xe[2] = {1.5f, -20.0f};
    int16_t qe[2] = {1, 8};
    float e = tst->aacenc_quant_error(xe, qe, 2, 0.5f);
    if (!(fabs(e - 145.0) <= 145.0 * 1e-6))
        FAIL("%s aacenc_quant_error = %.9g, want 145", level, (double)e);
#if SEGUE_CODEC_AAC
    reconstruction(tst, level);
#endif
    return failures > before;
}

int main(void)
{
    static const check_kernel kernels[] = {{"aacenc_mdct", test_mdct},
                                           {"aacenc_pow34", test_pow34},
                                           {"aacenc_quantize", test_quantize},
                                           {"aacenc_quant_error", test_quant_error}};
    segue_dsp ref;
    if (check_levels(&ref, kernels, sizeof kernels / sizeof kernels[0], definitions))
        return 1;
    segue_dsp want;
    segue_cpu_level active = segue_cpu_active();
    const segue_dsp *got = segue_dsp_get();
    const char *env = getenv("SEGUE_CPU");
    printf("dispatch: SEGUE_CPU=%s active=%s\n", env ? env : "(unset)",
           segue_cpu_level_name(active));
    if (segue_dsp_init_level(&want, active) != 0 || got->aacenc_mdct != want.aacenc_mdct ||
        got->aacenc_pow34 != want.aacenc_pow34 || got->aacenc_quantize != want.aacenc_quantize ||
        got->aacenc_quant_error != want.aacenc_quant_error)
        FAIL("segue_dsp_get() does not hold the AAC encoder kernels of level %s",
             segue_cpu_level_name(active));
    if (env && strcmp(env, "scalar") == 0 && got->aacenc_quantize != ref.aacenc_quantize)
        FAIL("SEGUE_CPU=scalar did not give the scalar AAC encoder kernels");
    printf("%s: %lu failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
