/*
 * tests/simd/check_atrac_kernels.c - equivalence test of the ATRAC3 entries
 * of simd/dsp.h (atrac3_imlt, atrac3_gain_overlap, atrac3_qmf_synth).
 *
 * Standalone (no cmocka), so cross builds run it too (under qemu-aarch64).
 * For every level the host can run, each kernel is compared with the scalar
 * table on fixed-seed random inputs: misaligned pointers (0..3 floats),
 * inputs flush against the end of their array (an over-read trips ASan),
 * sentinel guards around every output, state and scratch buffer, the
 * aliasing the decoder uses, QMF lengths 0, 1, 3, 4, 5, 7, 8, 15, 16, 17,
 * 33, 256, 512, 1027 over chained calls, every gain point count 0..7 with
 * random locations (including the first and last ramp positions), inputs
 * from 2^-30 to 2^20 in magnitude, sparse and all-zero spectra. Every
 * output and state value must be within SEGUE_DSP_ATRAC3_TOLERANCE_REL of
 * the scalar one relative to the call's peak (the declared tolerance);
 * exact matches are counted and reported. Every level is also checked
 * against the formulas of dsp.h evaluated in double ("definition"), and
 * segue_dsp_get() must hand out the kernels of the active level (run under
 * each SEGUE_CPU by tests/simd/CMakeLists.txt).
 *
 * Exit status: 0 all passed, 1 a failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/dsp.h"
#include "simd/dsp_impl.h" /* the window tables, for the definition checks */

#define GUARD 16u
#define MAX_OFF 3u
#define SENTINEL 0xA5
#define MAX_QMF 1027u
#define MAX_REPORTS 10

static unsigned long failures, reports;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        failures++;                                                                                \
        if (reports++ < MAX_REPORTS) {                                                             \
            printf("  FAIL: ");                                                                    \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static uint32_t rng = 0x5eed1234u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}
/* Uniform in [-1, 1). */
static float unit(void)
{
    return (float)(rnd() >> 8) / 8388608.0f - 1.0f;
}
/* Random values of one random magnitude class per call. */
static void fill(float *x, size_t n, int style)
{
    static const float mags[] = {1.0f, 1.0f / 1073741824.0f, 1.0f / 32768.0f, 1024.0f, 1048576.0f};
    float mag = mags[rnd() % (sizeof mags / sizeof mags[0])];
    for (size_t i = 0; i < n; i++) {
        switch (style) {
        case 0:
            x[i] = unit() * mag;
            break;
        case 1: /* sparse, like a quantised spectrum */
            x[i] = (rnd() % 8u == 0) ? (float)((int)(rnd() % 63u) - 31) * mag : 0.0f;
            break;
        default:
            x[i] = 0.0f;
            break;
        }
    }
}

/* Buffers with guards: [GUARD | MAX_OFF + cap | GUARD] floats. */
typedef struct gbuf {
    float *base;
    size_t cap;
} gbuf;

static gbuf gb_new(size_t cap)
{
    gbuf g = {malloc((2 * GUARD + MAX_OFF + cap) * sizeof(float)), cap};
    if (!g.base) {
        printf("out of memory\n");
        exit(1);
    }
    return g;
}
static float *gb_arm(gbuf *g, unsigned off)
{
    memset(g->base, SENTINEL, (2 * GUARD + MAX_OFF + g->cap) * sizeof(float));
    return g->base + GUARD + off;
}
/* Bytes outside [p, p + n) untouched? */
static int gb_intact(const gbuf *g, const float *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)g->base;
    size_t lo = (size_t)(p - g->base) * sizeof(float), hi = lo + n * sizeof(float);
    size_t all = (2 * GUARD + MAX_OFF + g->cap) * sizeof(float);
    for (size_t i = 0; i < all; i++) {
        if ((i < lo || i >= hi) && b[i] != SENTINEL)
            return 0;
    }
    return 1;
}

/* Plain comparisons (not fmax): aarch64 GCC 12 crashes vectorising an
 * fmax reduction at -O2 -ftree-vectorize (internal compiler error in
 * vect_transform_reduction). */
static double dmax(double a, double b)
{
    return a > b ? a : b;
}

static float peak(const float *x, size_t n, float p)
{
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > p)
            p = fabsf(x[i]);
    return p;
}

/* Compares n values against the scalar ones; returns the number out of
 * tolerance, counts inexact ones. */
static unsigned long inexact;
static int compare(const char *level, const char *what, const float *want, const float *got,
                   size_t n, float pk)
{
    int bad = 0;
    double tol = (double)SEGUE_DSP_ATRAC3_TOLERANCE_REL * (double)pk;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&want[i], &got[i], sizeof(float)) == 0 || (want[i] == 0.0f && got[i] == 0.0f))
            continue;
        double d = fabs((double)want[i] - (double)got[i]);
        if (!(d <= tol)) {
            if (!bad)
                FAIL("%s %s: [%zu] scalar %.9g got %.9g (tolerance %.3g)", level, what, i,
                     (double)want[i], (double)got[i], tol);
            bad++;
        } else {
            inexact++;
        }
    }
    return bad;
}

/* ---- IMLT ---- */
static float imlt_in_end[256]; /* input flush against the end of its array */

static unsigned long test_imlt(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    static const float scales[] = {-1.0f / 32768.0f, 0.5f, 1.0f, -3.0f};
    gbuf in = gb_new(256), o1 = gb_new(512), o2 = gb_new(512), w1 = gb_new(256), w2 = gb_new(256);
    unsigned long calls = 0;
    for (unsigned round = 0; round < 40; round++) {
        for (unsigned off = 0; off <= MAX_OFF + 1; off++) {
            int reversed = (int)(round & 1u);
            float scale = scales[(round >> 1) % 4];
            float *src = off <= MAX_OFF ? gb_arm(&in, off) : imlt_in_end;
            fill(src, 256, round % 7 == 6 ? 2 : (int)(round % 3 == 2));
            unsigned oo = (off + round) % (MAX_OFF + 1), wo = (off + 3 * round) % (MAX_OFF + 1);
            float *a = gb_arm(&o1, oo), *b = gb_arm(&o2, oo);
            float *wa = gb_arm(&w1, wo), *wb = gb_arm(&w2, wo);
            ref->atrac3_imlt(src, reversed, scale, a, wa);
            tst->atrac3_imlt(src, reversed, scale, b, wb);
            calls++;
            compare(level, "atrac3_imlt out", a, b, 512, peak(a, 512, 0.0f));
            if (!gb_intact(&o2, b, 512) || !gb_intact(&w2, wb, 256))
                FAIL("%s atrac3_imlt: wrote outside out[512] / work[256] (offset %u)", level, oo);
            if (off <= MAX_OFF && !gb_intact(&in, src, 256))
                FAIL("%s atrac3_imlt: wrote to its input", level);
        }
    }
    free(in.base), free(o1.base), free(o2.base), free(w1.base), free(w2.base);
    return calls;
}

/* ---- gain compensation and overlap ---- */
static void random_gain(segue_atrac3_gain *g, unsigned points)
{
    /* Distinct sorted locations 0..31 (ramp starts 0..248). */
    unsigned char used[32] = {0};
    g->num_points = points;
    for (unsigned i = 0; i < points; i++) {
        unsigned loc;
        do {
            loc = rnd() % 32u;
        } while (used[loc]);
        used[loc] = 1;
    }
    if (points && rnd() % 3u == 0) { /* force the extremes */
        memset(used, 0, sizeof used);
        for (unsigned i = 0; i < points; i++)
            used[i == 0 ? 0 : 32 - points + i] = 1;
    }
    unsigned level[8];
    for (unsigned i = 0; i < points; i++)
        level[i] = rnd() % 16u;
    level[points] = 4;
    for (unsigned i = 0, k = 0; i < 32; i++) {
        if (!used[i])
            continue;
        g->start[k] = i * 8u;
        g->gain[k] = ldexpf(1.0f, 4 - (int)level[k]);
        g->step[k] = powf(2.0f, ((float)level[k] - (float)level[k + 1]) / 8.0f);
        k++;
    }
}

static float gain_in_end[512];

static unsigned long test_gain(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf in = gb_new(512), o1 = gb_new(512), o2 = gb_new(512), p1 = gb_new(256), p2 = gb_new(256);
    unsigned long calls = 0;
    for (unsigned round = 0; round < 64; round++) {
        for (unsigned off = 0; off <= MAX_OFF + 1; off++) {
            segue_atrac3_gain g;
            random_gain(&g, round % 8u);
            float g_next = round % 5u == 0 ? 1.0f : ldexpf(1.0f, (int)(rnd() % 16u) - 11);
            int in_place = round % 4u == 3;
            unsigned po = (off + round) % (MAX_OFF + 1);
            float *pa = gb_arm(&p1, po), *pb = gb_arm(&p2, po);
            fill(pa, 256, 0);
            memcpy(pb, pa, 256 * sizeof(float));
            float *src, *a, *b;
            float in_copy[512];
            if (in_place) {
                /* out == in: each kernel on its own copy. */
                a = gb_arm(&o1, off % (MAX_OFF + 1));
                b = gb_arm(&o2, off % (MAX_OFF + 1));
                fill(a, 512, 0);
                memcpy(b, a, 512 * sizeof(float));
                memcpy(in_copy, a, sizeof in_copy);
                src = NULL;
            } else {
                src = off <= MAX_OFF ? gb_arm(&in, off) : gain_in_end;
                fill(src, 512, 0);
                memcpy(in_copy, src, sizeof in_copy);
                a = gb_arm(&o1, (off + 1) % (MAX_OFF + 1));
                b = gb_arm(&o2, (off + 1) % (MAX_OFF + 1));
            }
            float pk = peak(pa, 256, peak(in_copy, 512, 0.0f));
            ref->atrac3_gain_overlap(a, src ? src : a, pa, g_next, &g);
            tst->atrac3_gain_overlap(b, src ? src : b, pb, g_next, &g);
            calls++;
            pk = peak(a, 256, pk);
            compare(level, "atrac3_gain_overlap out", a, b, 256, pk);
            compare(level, "atrac3_gain_overlap prev", pa, pb, 256, pk);
            if (!gb_intact(&o2, b, in_place ? 512 : 256) || !gb_intact(&p2, pb, 256))
                FAIL("%s atrac3_gain_overlap: wrote outside out[256] / prev[256]", level);
            if (in_place && memcmp(b + 256, in_copy + 256, 256 * sizeof(float)) != 0)
                FAIL("%s atrac3_gain_overlap: wrote to in[256..511]", level);
            if (src && off <= MAX_OFF && !gb_intact(&in, src, 512))
                FAIL("%s atrac3_gain_overlap: wrote to its input", level);
        }
    }
    free(in.base), free(o1.base), free(o2.base), free(p1.base), free(p2.base);
    return calls;
}

/* ---- QMF synthesis ---- */
static const size_t qmf_lengths[] = {0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 33, 256, 512, 1027};
static float qmf_lo_end[MAX_QMF], qmf_hi_end[MAX_QMF];

static unsigned long test_qmf(const segue_dsp *ref, const segue_dsp *tst, const char *level)
{
    gbuf lo = gb_new(MAX_QMF), hi = gb_new(MAX_QMF), o1 = gb_new(2 * MAX_QMF),
         o2 = gb_new(2 * MAX_QMF), d1 = gb_new(46), d2 = gb_new(46), w1 = gb_new(2 * MAX_QMF + 46),
         w2 = gb_new(2 * MAX_QMF + 46);
    unsigned long calls = 0;
    for (size_t li = 0; li < sizeof qmf_lengths / sizeof qmf_lengths[0]; li++) {
        size_t n = qmf_lengths[li];
        for (unsigned off = 0; off <= MAX_OFF + 1; off++) {
            unsigned dof = (off + (unsigned)li) % (MAX_OFF + 1);
            float *da = gb_arm(&d1, dof), *db = gb_arm(&d2, dof);
            fill(da, 46, 0);
            memcpy(db, da, 46 * sizeof(float));
            /* Three chained calls carry the delay line. */
            for (unsigned rep = 0; rep < 3; rep++) {
                int alias = (off + rep) % 3u == 2; /* the decoder's out = low, high = low + n */
                unsigned wo = (off + rep) % (MAX_OFF + 1);
                float *wa = gb_arm(&w1, wo), *wb = gb_arm(&w2, wo);
                float *a = gb_arm(&o1, (off + 2 * rep) % (MAX_OFF + 1));
                float *b = gb_arm(&o2, (off + 2 * rep) % (MAX_OFF + 1));
                float pk;
                if (alias) {
                    fill(a, 2 * n, (int)(rep % 2u));
                    memcpy(b, a, 2 * n * sizeof(float));
                    pk = peak(da, 46, peak(a, 2 * n, 0.0f));
                    ref->atrac3_qmf_synth(a, a + n, n, a, da, wa);
                    tst->atrac3_qmf_synth(b, b + n, n, b, db, wb);
                } else {
                    float *l = off <= MAX_OFF ? gb_arm(&lo, off) : qmf_lo_end + MAX_QMF - n;
                    float *h = off <= MAX_OFF ? gb_arm(&hi, (off + 1) % (MAX_OFF + 1))
                                              : qmf_hi_end + MAX_QMF - n;
                    fill(l, n, (int)(rep % 2u));
                    fill(h, n, 0);
                    pk = peak(da, 46, peak(l, n, peak(h, n, 0.0f)));
                    ref->atrac3_qmf_synth(l, h, n, a, da, wa);
                    tst->atrac3_qmf_synth(l, h, n, b, db, wb);
                    if (off <= MAX_OFF && (!gb_intact(&lo, l, n) || !gb_intact(&hi, h, n)))
                        FAIL("%s atrac3_qmf_synth n=%zu: wrote to its input", level, n);
                }
                calls++;
                pk = peak(a, 2 * n, pk);
                char what[64];
                snprintf(what, sizeof what, "atrac3_qmf_synth n=%zu out", n);
                compare(level, what, a, b, 2 * n, pk);
                snprintf(what, sizeof what, "atrac3_qmf_synth n=%zu delay", n);
                compare(level, what, da, db, 46, pk);
                if (!gb_intact(&o2, b, 2 * n) || !gb_intact(&d2, db, 46) ||
                    !gb_intact(&w2, wb, 2 * n + 46))
                    FAIL("%s atrac3_qmf_synth n=%zu: wrote outside out / delay / work", level, n);
                /* Continue both from the scalar state. */
                memcpy(db, da, 46 * sizeof(float));
            }
        }
    }
    free(lo.base), free(hi.base), free(o1.base), free(o2.base), free(d1.base), free(d2.base);
    free(w1.base), free(w2.base);
    return calls;
}

/* ---- the formulas of dsp.h in double ---- */
static int definitions(const segue_dsp *tst, const char *level)
{
    int bad = 0;
    static float in[256], out[512], work[256 + 2 * 512 + 46];
    for (int reversed = 0; reversed < 2; reversed++) {
        for (int k = 0; k < 256; k++)
            in[k] = unit();
        tst->atrac3_imlt(in, reversed, 0.5f, out, work);
        double max_err = 0.0, max_ref = 0.0;
        for (int n = 0; n < 512; n++) {
            double sum = 0.0;
            for (int k = 0; k < 256; k++) {
                double x = reversed ? in[255 - k] : in[k];
                sum += x * cos(3.14159265358979323846 / 256.0 * (n + 0.5 + 128.0) * (k + 0.5));
            }
            double want = 0.5 * sum * segue_atrac3_window[n];
            max_err = dmax(max_err, fabs(want - out[n]));
            max_ref = dmax(max_ref, fabs(want));
        }
        if (!(max_err <= 1e-5 * max_ref)) {
            FAIL("%s atrac3_imlt definition: error %g of peak %g", level, max_err, max_ref);
            bad++;
        }
    }
    /* QMF: two calls of 256 against one convolution over 512 inputs. */
    {
        enum { N = 512 };
        static float lo[N], hi[N], q[2 * N], x[2 * N + 46];
        float delay[46] = {0};
        memset(x, 0, sizeof x);
        for (int i = 0; i < N; i++) {
            lo[i] = unit();
            hi[i] = unit();
            x[46 + 2 * i] = lo[i] + hi[i];
            x[47 + 2 * i] = lo[i] - hi[i];
        }
        tst->atrac3_qmf_synth(lo, hi, 256, q, delay, work);
        tst->atrac3_qmf_synth(lo + 256, hi + 256, 256, q + 512, delay, work);
        double max_err = 0.0;
        for (int j = 0; j < N; j++) {
            double even = 0.0, odd = 0.0;
            for (int m = 0; m < 24; m++) {
                even += (double)x[2 * j + 2 * m] * segue_atrac3_qmf_window[2 * m];
                odd += (double)x[2 * j + 2 * m + 1] * segue_atrac3_qmf_window[2 * m + 1];
            }
            max_err = dmax(max_err, dmax(fabs(odd - q[2 * j]), fabs(even - q[2 * j + 1])));
        }
        for (int i = 0; i < 46; i++)
            max_err = dmax(max_err, fabs((double)x[2 * N + i] - delay[i]));
        if (!(max_err <= 1e-6)) {
            FAIL("%s atrac3_qmf_synth definition: error %g", level, max_err);
            bad++;
        }
    }
    /* Gain: one point at 40 from 4x down to 1x, g_next 0.5. */
    {
        static float gin[512], prev[256], gout[256];
        segue_atrac3_gain g = {1, {40}, {4.0f}, {0.0f}};
        g.step[0] = powf(2.0f, -2.0f / 8.0f);
        for (int i = 0; i < 512; i++)
            gin[i] = unit();
        for (int i = 0; i < 256; i++)
            prev[i] = unit();
        float prev0[256];
        memcpy(prev0, prev, sizeof prev0);
        tst->atrac3_gain_overlap(gout, gin, prev, 0.5f, &g);
        double max_err = 0.0;
        for (int i = 0; i < 256; i++) {
            double gi = i < 40 ? 4.0 : i < 48 ? 4.0 * pow(2.0, -2.0 * (i - 40) / 8.0) : 1.0;
            double want = ((double)gin[i] * 0.5 + prev0[i]) * gi;
            max_err = dmax(max_err, fabs(want - gout[i]));
            max_err = dmax(max_err, fabs((double)gin[256 + i] - prev[i]));
        }
        if (!(max_err <= 1e-5)) {
            FAIL("%s atrac3_gain_overlap definition: error %g", level, max_err);
            bad++;
        }
    }
    return bad;
}

int main(void)
{
    segue_dsp ref;
    if (segue_dsp_init_level(&ref, SEGUE_CPU_SCALAR) != 0) {
        printf("scalar table unavailable\n");
        return 1;
    }
    for (int l = SEGUE_CPU_SCALAR; l <= SEGUE_CPU_NEON; l++) {
        segue_dsp tst;
        const char *level = segue_cpu_level_name((segue_cpu_level)l);
        if (segue_dsp_init_level(&tst, (segue_cpu_level)l) != 0) {
            printf("%-7s skipped (not supported by this host/build)\n", level);
            continue;
        }
        struct {
            const char *name;
            unsigned long (*run)(const segue_dsp *, const segue_dsp *, const char *);
        } kernels[] = {{"atrac3_imlt", test_imlt},
                       {"atrac3_gain_overlap", test_gain},
                       {"atrac3_qmf_synth", test_qmf}};
        unsigned long before_all = failures;
        for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
            unsigned long before = failures;
            inexact = 0;
            unsigned long calls = kernels[k].run(&ref, &tst, level);
            printf("%-7s %-20s %-4s %lu calls, %s\n", level, kernels[k].name,
                   failures > before ? "FAIL" : "ok", calls,
                   inexact ? "some values within tolerance" : "bit-exact (zeros of either sign)");
            if (inexact)
                printf("%-7s %-20s %lu values differed within the declared tolerance\n", level,
                       kernels[k].name, inexact);
        }
        int d = definitions(&tst, level);
        printf("%-7s %-20s %s\n", level, "definitions", d ? "FAIL" : "ok");
        (void)before_all;
    }
    /* The dispatcher hands out the active level's kernels. */
    segue_dsp want;
    segue_cpu_level active = segue_cpu_active();
    const segue_dsp *got = segue_dsp_get();
    const char *env = getenv("SEGUE_CPU");
    printf("dispatch: SEGUE_CPU=%s active=%s\n", env ? env : "(unset)",
           segue_cpu_level_name(active));
    if (segue_dsp_init_level(&want, active) != 0 || got->atrac3_imlt != want.atrac3_imlt ||
        got->atrac3_gain_overlap != want.atrac3_gain_overlap ||
        got->atrac3_qmf_synth != want.atrac3_qmf_synth)
        FAIL("segue_dsp_get() does not hold the ATRAC3 kernels of level %s",
             segue_cpu_level_name(active));
    if (env && strcmp(env, "scalar") == 0 && got->atrac3_imlt != ref.atrac3_imlt)
        FAIL("SEGUE_CPU=scalar did not give the scalar ATRAC3 kernels");
    printf("%s: %lu failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
