/*
 * tests/simd/check_harness.h - the checkasm-style harness shared by the
 * AAC decoder and encoder kernel tests: failure reports, a seeded xorshift
 * generator, input fills (dense, sparse, one line, zeros at magnitudes from
 * 2^-30 to 2^20), guarded buffers at misaligned offsets, the float
 * comparison and the edge lengths of DESIGN.md.
 *
 * The includer defines CHECK_RNG_SEED (a per-test seed, so tests draw
 * different inputs) and may define CHECK_SPARSE_VALUE(mag), the value of a
 * non-zero entry of a sparse fill (default: a random value times mag).
 */
#ifndef SEGUE_TESTS_SIMD_CHECK_HARNESS_H
#define SEGUE_TESTS_SIMD_CHECK_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/dsp.h"

#ifndef CHECK_RNG_SEED
#error "define CHECK_RNG_SEED before including check_harness.h"
#endif
#ifndef CHECK_SPARSE_VALUE
#define CHECK_SPARSE_VALUE(mag) (unit() * (mag))
#endif

#define GUARD 64u /* bytes */
#define MAX_OFF 3u
#define SENTINEL 0xA5
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

static uint32_t rng = CHECK_RNG_SEED;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}
static float unit(void)
{
    return (float)(rnd() >> 8) / 8388608.0f - 1.0f;
}
static void fill(float *x, size_t n, int style)
{
    static const float mags[] = {1.0f, 1.0f / 1073741824.0f, 1.0f / 32768.0f, 1024.0f, 1048576.0f};
    float mag = mags[rnd() % (sizeof mags / sizeof mags[0])];
    size_t one = n ? rnd() % n : 0;
    for (size_t i = 0; i < n; i++) {
        switch (style) {
        case 0:
            x[i] = unit() * mag;
            break;
        case 1: /* sparse: one value in eight */
            x[i] = (rnd() % 8u == 0) ? CHECK_SPARSE_VALUE(mag) : 0.0f;
            break;
        case 2: /* one line */
            x[i] = i == one ? mag : 0.0f;
            break;
        default:
            x[i] = 0.0f;
            break;
        }
    }
}

/* Guarded buffers: [GUARD | MAX_OFF elements + cap | GUARD] bytes. */
typedef struct gbuf {
    unsigned char *base;
    size_t bytes, elem;
} gbuf;

static gbuf gb_new(size_t cap, size_t elem)
{
    gbuf g;
    g.elem = elem;
    g.bytes = 2 * GUARD + (MAX_OFF + cap) * elem;
    g.base = malloc(g.bytes);
    if (!g.base) {
        printf("out of memory\n");
        exit(1);
    }
    return g;
}
static void *gb_arm(gbuf *g, unsigned off)
{
    memset(g->base, SENTINEL, g->bytes);
    return g->base + GUARD + off * g->elem;
}
static int gb_intact(const gbuf *g, const void *p, size_t n)
{
    size_t lo = (size_t)((const unsigned char *)p - g->base), hi = lo + n * g->elem;
    for (size_t i = 0; i < g->bytes; i++)
        if ((i < lo || i >= hi) && g->base[i] != SENTINEL)
            return 0;
    return 1;
}

static float peak(const float *x, size_t n, float p)
{
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > p)
            p = fabsf(x[i]);
    return p;
}

static unsigned long inexact;
/* Compares n outputs: bit-exact (up to the sign of zero) when `exact`,
 * else within `tol`; reports the first difference of the call. */
static int compare_tol(const char *level, const char *what, const float *want, const float *got,
                       size_t n, double tol, int exact)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&want[i], &got[i], sizeof(float)) == 0 || (want[i] == 0.0f && got[i] == 0.0f))
            continue;
        double d = fabs((double)want[i] - (double)got[i]);
        if (exact || !(d <= tol)) {
            if (!bad)
                FAIL("%s %s: [%zu] scalar %.9g got %.9g (tolerance %.3g)", level, what, i,
                     (double)want[i], (double)got[i], exact ? 0.0 : tol);
            bad++;
        } else {
            inexact++;
        }
    }
    return bad;
}

static const size_t lengths[] = {0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 33, 1027};
#define MAX_LEN 1027u

/* One kernel's equivalence test: runs `tst` against the scalar `ref` at the
 * level named `level`; returns the number of calls made. */
typedef struct check_kernel {
    const char *name;
    unsigned long (*run)(const segue_dsp *ref, const segue_dsp *tst, const char *level);
} check_kernel;

/* Fills *ref with the scalar table and runs every kernel, then
 * `definitions`, at each level this host supports, printing a line per
 * kernel. Returns 0, or 1 when the scalar table is unavailable. */
static int check_levels(segue_dsp *ref, const check_kernel *kernels, size_t n,
                        int (*definitions)(const segue_dsp *tst, const char *level))
{
    if (segue_dsp_init_level(ref, SEGUE_CPU_SCALAR) != 0) {
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
        for (size_t k = 0; k < n; k++) {
            unsigned long before = failures;
            inexact = 0;
            unsigned long calls = kernels[k].run(ref, &tst, level);
            printf("%-7s %-20s %-4s %lu calls, %s\n", level, kernels[k].name,
                   failures > before ? "FAIL" : "ok", calls,
                   inexact ? "some values within tolerance" : "bit-exact (zeros of either sign)");
            if (inexact)
                printf("%-7s %-20s %lu values differed within the declared tolerance\n", level,
                       kernels[k].name, inexact);
        }
        int d = definitions(&tst, level);
        printf("%-7s %-20s %s\n", level, "definitions", d ? "FAIL" : "ok");
    }
    return 0;
}

#endif
