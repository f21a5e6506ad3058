/*
 * tests/simd/check_aac_kernels.c - equivalence test of the AAC entries of
 * simd/dsp.h (aac_dequant, aac_imdct, aac_window_overlap).
 *
 * Standalone (no cmocka), so cross builds run it too (under qemu-aarch64).
 * For every level the host can run, each kernel is compared with the scalar
 * table on fixed-seed random inputs: misaligned pointers (0..3 elements),
 * inputs flush against the end of their array (an over-read trips ASan),
 * sentinel guards around every output, state and scratch buffer;
 * dequantisation at lengths 0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 33, 1027 with
 * values over the whole 0..8191 range (mostly small, as in a spectrum),
 * both IMDCT sizes on dense, sparse, all-zero and single-line spectra of
 * magnitudes 2^-30 .. 2^20, and the windowing for every window sequence
 * and random window halves over chained frames (the overlap carried from
 * call to call). Dequantisation must match bit for bit; the float kernels
 * within SEGUE_DSP_AAC_TOLERANCE_REL of the call's peak (the declared
 * tolerance), exact matches counted and reported. Every level is also
 * checked against the formulas of dsp.h evaluated in double
 * ("definitions"), and segue_dsp_get() must hand out the kernels of the
 * active level (run under each SEGUE_CPU by tests/simd/CMakeLists.txt).
 *
 * Exit status: 0 all passed, 1 a failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/dsp.h"

#define CHECK_RNG_SEED 0x5eed4aacu
/* Sparse inputs like a quantised spectrum: small integers times mag. */
#define CHECK_SPARSE_VALUE(mag) ((float)((int)(rnd() % 63u) - 31) * (mag))
#include "check_harness.h"

/* Bit-exact when `exact`, else within the AAC tolerance of the peak. */
static int compare(const char *level, const char *what, const float *want, const float *got,
                   size_t n, float pk, int exact)
{
    return compare_tol(level, what, want, got, n,
                       exact ? 0.0 : (double)SEGUE_DSP_AAC_TOLERANCE_REL * (double)pk, exact);
}

/* ---- dequantisation ---- */
static int16_t dq_in_end[MAX_LEN];

static int16_t random_q(void)
{
    unsigned r = rnd() % 16u;
    int mag = r < 6 ? 0 : r < 12 ? (int)(rnd() % 4u) : r < 15 ? (int)(rnd() % 64u) : (int)(rnd() % 8192u);
    return (int16_t)(rnd() & 1u ? -mag : mag);
}

static unsigned long test_dequant(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    static const float gains[] = {1.0f / 32768.0f, 1.0f, 3.0517578e-05f * 1.1892071f, 1e-9f, 4096.0f};
    gbuf in = gb_new(MAX_LEN, sizeof(int16_t)), o1 = gb_new(MAX_LEN, sizeof(float)),
         o2 = gb_new(MAX_LEN, sizeof(float));
    unsigned long calls = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        for (unsigned round = 0; round < 12; round++) {
            unsigned off = round % (MAX_OFF + 2);
            int16_t *q = off <= MAX_OFF ? gb_arm(&in, off) : dq_in_end + MAX_LEN - n;
            for (size_t i = 0; i < n; i++)
                q[i] = random_q();
            if (round == 0 && n)
                q[0] = 8191, q[n - 1] = -8191;
            float gain = gains[round % 5];
            unsigned oo = (round / 2) % (MAX_OFF + 1);
            float *a = gb_arm(&o1, oo), *b = gb_arm(&o2, oo);
            ref->aac_dequant(a, q, n, gain);
            tst->aac_dequant(b, q, n, gain);
            calls++;
            compare(level, "aac_dequant", a, b, n, 0.0f, 1);
            if (!gb_intact(&o2, b, n))
                FAIL("%s aac_dequant: wrote outside dst[%zu] (offset %u)", level, n, oo);
            if (off <= MAX_OFF && !gb_intact(&in, q, n))
                FAIL("%s aac_dequant: wrote to its input", level);
        }
    }
    free(in.base), free(o1.base), free(o2.base);
    return calls;
}

/* ---- IMDCT ---- */
static float imdct_in_end[1024];

static unsigned long test_imdct(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf in = gb_new(1024, sizeof(float)), o1 = gb_new(2048, sizeof(float)),
         o2 = gb_new(2048, sizeof(float)), w1 = gb_new(1024, sizeof(float)),
         w2 = gb_new(1024, sizeof(float));
    unsigned long calls = 0;
    for (unsigned round = 0; round < 48; round++) {
        unsigned log2n = round & 1u ? 8u : 11u, n = 1u << log2n;
        unsigned off = (round / 2) % (MAX_OFF + 2);
        float *src = off <= MAX_OFF ? gb_arm(&in, off) : imdct_in_end + 1024 - n / 2;
        fill(src, n / 2, (int)((round / 2) % 4));
        unsigned oo = (off + round) % (MAX_OFF + 1), wo = (off + 3 * round) % (MAX_OFF + 1);
        float *a = gb_arm(&o1, oo), *b = gb_arm(&o2, oo);
        float *wa = gb_arm(&w1, wo), *wb = gb_arm(&w2, wo);
        ref->aac_imdct(a, src, log2n, wa);
        tst->aac_imdct(b, src, log2n, wb);
        calls++;
        compare(level, log2n == 11 ? "aac_imdct 2048" : "aac_imdct 256", a, b, n, peak(a, n, 0.0f), 0);
        if (!gb_intact(&o2, b, n) || !gb_intact(&w2, wb, n / 2))
            FAIL("%s aac_imdct %u: wrote outside out[%u] / work[%u]", level, n, n, n / 2);
        if (off <= MAX_OFF && !gb_intact(&in, src, n / 2))
            FAIL("%s aac_imdct: wrote to its input", level);
    }
    free(in.base), free(o1.base), free(o2.base), free(w1.base), free(w2.base);
    return calls;
}

/* ---- windowing and overlap-add ---- */
static float win_t_end[2048], win_right_end[1024];

static unsigned long test_window(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf tb = gb_new(2048, sizeof(float)), lb = gb_new(1024, sizeof(float)),
         rb = gb_new(1024, sizeof(float)), o1 = gb_new(1024, sizeof(float)),
         o2 = gb_new(1024, sizeof(float)), v1 = gb_new(1024, sizeof(float)),
         v2 = gb_new(1024, sizeof(float));
    static float ov_ref[1024], ov_tst[1024];
    unsigned long calls = 0;
    for (unsigned chain = 0; chain < 6; chain++) {
        fill(ov_ref, 1024, (int)(chain % 4));
        memcpy(ov_tst, ov_ref, sizeof ov_ref);
        for (unsigned frame = 0; frame < 16; frame++) {
            unsigned seq = frame < 4 ? frame : rnd() % 4u;
            unsigned off = (chain + frame) % (MAX_OFF + 2);
            size_t llen = seq == 2 || seq == 3 ? 128 : 1024, rlen = seq == 1 || seq == 2 ? 128 : 1024;
            float *t = off <= MAX_OFF ? gb_arm(&tb, off) : win_t_end;
            fill(t, 2048, (int)(frame % 3));
            float *left = gb_arm(&lb, (off + 1) % (MAX_OFF + 1));
            float *right = off <= MAX_OFF ? gb_arm(&rb, off) : win_right_end + 1024 - rlen;
            for (size_t i = 0; i < llen; i++)
                left[i] = (float)(rnd() >> 8) / 16777216.0f;
            for (size_t i = 0; i < rlen; i++)
                right[i] = (float)(rnd() >> 8) / 16777216.0f;
            unsigned oo = frame % (MAX_OFF + 1);
            float *a = gb_arm(&o1, oo), *b = gb_arm(&o2, oo);
            float *va = gb_arm(&v1, (oo + 2) % (MAX_OFF + 1)), *vb = gb_arm(&v2, (oo + 2) % (MAX_OFF + 1));
            memcpy(va, ov_ref, sizeof ov_ref);
            memcpy(vb, ov_tst, sizeof ov_tst);
            float pk = peak(t, 2048, peak(va, 1024, 0.0f));
            ref->aac_window_overlap(a, va, t, seq, left, right);
            tst->aac_window_overlap(b, vb, t, seq, left, right);
            calls++;
            pk = peak(a, 1024, pk);
            compare(level, "aac_window_overlap out", a, b, 1024, pk, 0);
            compare(level, "aac_window_overlap overlap", va, vb, 1024, pk, 0);
            if (!gb_intact(&o2, b, 1024) || !gb_intact(&v2, vb, 1024))
                FAIL("%s aac_window_overlap seq %u: wrote outside out / overlap", level, seq);
            if ((off <= MAX_OFF && !gb_intact(&tb, t, 2048)) || !gb_intact(&lb, left, llen))
                FAIL("%s aac_window_overlap: wrote to an input", level);
            memcpy(ov_ref, va, sizeof ov_ref);
            memcpy(ov_tst, vb, sizeof ov_tst);
        }
    }
    free(tb.base), free(lb.base), free(rb.base), free(o1.base), free(o2.base), free(v1.base),
        free(v2.base);
    return calls;
}

/* ---- the formulas of dsp.h in double ---- */
static int definitions(const segue_dsp *tst, const char *level)
{
    unsigned long before = failures;
    static float in[1024], out[2048], work[1024];
    for (unsigned log2n = 8; log2n <= 11; log2n += 3) {
        unsigned n = 1u << log2n, half = n / 2;
        fill(in, half, 0);
        for (unsigned k = 0; k < half; k++)
            in[k] = unit();
        tst->aac_imdct(out, in, log2n, work);
        double n0 = (n / 2.0 + 1.0) / 2.0, max_err = 0.0, max_ref = 0.0;
        for (unsigned i = 0; i < n; i++) {
            double sum = 0.0;
            for (unsigned k = 0; k < half; k++)
                sum += in[k] * cos(2.0 * 3.14159265358979323846 / n * (i + n0) * (k + 0.5));
            sum *= 2.0 / n;
            double e = fabs(sum - out[i]);
            max_err = e > max_err ? e : max_err;
            max_ref = fabs(sum) > max_ref ? fabs(sum) : max_ref;
        }
        if (!(max_err <= (double)SEGUE_DSP_AAC_TOLERANCE_REL * max_ref))
            FAIL("%s aac_imdct %u: %.3g from the direct sum (peak %.3g)", level, n, max_err, max_ref);
    }
    int16_t q[8] = {0, 1, -1, 8, -27, 1000, -8191, 8191};
    float d[8];
    tst->aac_dequant(d, q, 8, 0.5f);
    for (unsigned i = 0; i < 8; i++) {
        double want = (q[i] < 0 ? -0.5 : 0.5) * pow(fabs((double)q[i]), 4.0 / 3.0);
        if (!(fabs(want - d[i]) <= 1e-6 * fabs(want)))
            FAIL("%s aac_dequant(%d) = %.9g, want %.9g", level, q[i], (double)d[i], want);
    }
    /* ONLY_LONG with windows of 1: out = overlap + t, overlap = t[1024..]. */
    static float t[2048], ov[1024], w[1024], o[1024];
    for (unsigned i = 0; i < 2048; i++)
        t[i] = unit();
    for (unsigned i = 0; i < 1024; i++)
        ov[i] = unit(), w[i] = 1.0f;
    float keep0 = ov[0];
    tst->aac_window_overlap(o, ov, t, 0, w, w);
    if (o[0] != keep0 + t[0] || ov[1023] != t[2047] || ov[0] != t[1024])
        FAIL("%s aac_window_overlap: unit windows do not add", level);
    return failures > before;
}

int main(void)
{
    static const check_kernel kernels[] = {{"aac_dequant", test_dequant},
                                           {"aac_imdct", test_imdct},
                                           {"aac_window_overlap", test_window}};
    segue_dsp ref;
    if (check_levels(&ref, kernels, sizeof kernels / sizeof kernels[0], definitions))
        return 1;
    segue_dsp want;
    segue_cpu_level active = segue_cpu_active();
    const segue_dsp *got = segue_dsp_get();
    const char *env = getenv("SEGUE_CPU");
    printf("dispatch: SEGUE_CPU=%s active=%s\n", env ? env : "(unset)",
           segue_cpu_level_name(active));
    if (segue_dsp_init_level(&want, active) != 0 || got->aac_dequant != want.aac_dequant ||
        got->aac_imdct != want.aac_imdct || got->aac_window_overlap != want.aac_window_overlap)
        FAIL("segue_dsp_get() does not hold the AAC kernels of level %s",
             segue_cpu_level_name(active));
    if (env && strcmp(env, "scalar") == 0 && got->aac_imdct != ref.aac_imdct)
        FAIL("SEGUE_CPU=scalar did not give the scalar AAC kernels");
    printf("%s: %lu failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
