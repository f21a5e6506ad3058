/*
 * tests/simd/checkdsp.c - checkasm-style equivalence test for simd/dsp.h.
 *
 * Standalone (no cmocka) so the same program cross-compiles for aarch64 and
 * runs under qemu. For every level the host can run, each kernel is compared
 * with the scalar table on fixed-seed random inputs at edge lengths, with
 * misaligned pointers and sentinel guards around every output. Inputs are
 * also placed flush against the end of their own static array so that an
 * over-read shows up under ASan. Then the dispatcher is checked against
 * SEGUE_CPU and an optional `--cap NAME` (passed to segue_dsp_set_cap).
 *
 * Exit status: 0 all passed, 1 a mismatch or dispatcher error, 2 usage.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/dsp.h"

#define MAX_N 1027u
#define MAX_CH 8u
#define GUARD 16u
#define MAX_OFF 3u
/* Placements 0..3 offset every pointer by that many elements; the last puts
 * each input at the very end of its array. */
#define N_PLACEMENTS 5u
#define PLACE_AT_END 4u
#define SENTINEL 0xA5
#define MAX_REPORTS 8
/* Fresh random inputs each round. */
#define ROUNDS 4u

#define IN_CAP (MAX_OFF + MAX_N * MAX_CH)
#define PLANE_IN_CAP (MAX_OFF + MAX_N)
#define OUT_CAP (GUARD + MAX_OFF + MAX_N * MAX_CH + GUARD)
#define PLANE_OUT_CAP (GUARD + MAX_OFF + MAX_N + GUARD)

static const size_t test_lengths[] = {0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 33, 1027};
#define N_LENGTHS (sizeof test_lengths / sizeof test_lengths[0])

/* Separate arrays (not rows of one 2-D array) so each has its own ASan
 * redzone after it. */
static float in_f32[IN_CAP];
static int16_t in_s16[IN_CAP];
static int32_t in_s32[IN_CAP];
static float in_plane0[PLANE_IN_CAP], in_plane1[PLANE_IN_CAP], in_plane2[PLANE_IN_CAP],
    in_plane3[PLANE_IN_CAP], in_plane4[PLANE_IN_CAP], in_plane5[PLANE_IN_CAP],
    in_plane6[PLANE_IN_CAP], in_plane7[PLANE_IN_CAP];
static float *const in_planes[MAX_CH] = {in_plane0, in_plane1, in_plane2, in_plane3,
                                         in_plane4, in_plane5, in_plane6, in_plane7};

/* Byte views so one set of buffers serves s16, s32 and f32 outputs; aligned
 * so that pointer misalignment comes only from the element offset. */
static _Alignas(64) unsigned char out_ref[OUT_CAP * sizeof(float)];
static _Alignas(64) unsigned char out_tst[OUT_CAP * sizeof(float)];
static _Alignas(64) unsigned char plane_ref[MAX_CH][PLANE_OUT_CAP * sizeof(float)];
static _Alignas(64) unsigned char plane_tst[MAX_CH][PLANE_OUT_CAP * sizeof(float)];

/* ---- fixed-seed PRNG (splitmix64) ---------------------------------------- */

static uint64_t rng_state = 0x5E6E5E6E12345678u;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint32_t rng_u32(void)
{
    return (uint32_t)(rng_next() >> 32);
}

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(((uint64_t)rng_u32() * n) >> 32);
}

/* Uniform in [lo, hi). */
static float rng_float(float lo, float hi)
{
    float unit = (float)(rng_u32() >> 8) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * unit;
}

/* A sample for a float->int kernel producing `bits`-bit integers: a mix of
 * in-range audio, overdriven audio, exact .5 ties (which only ties-to-even
 * resolves), exact integers, clip-edge values and IEEE specials. */
static float gen_audio_f32(int bits)
{
    const float full = ldexpf(1.0f, bits - 1);
    switch (rng_below(8)) {
    case 0:
    case 1:
        return rng_float(-1.0f, 1.0f);
    case 2:
        return rng_float(-8.0f, 8.0f);
    case 3: {
        /* (m + 0.5) / full is exact while 2m+1 fits in 24 bits; for s16 the
         * range runs past the clip points on purpose. */
        int32_t span = bits == 16 ? 32800 : (1 << 22);
        int32_t m = (int32_t)rng_below((uint32_t)(2 * span)) - span;
        return ((float)m + 0.5f) / full;
    }
    case 4: {
        int32_t m = (int32_t)rng_below(1u << 24) - (1 << 23);
        return (float)m / full * (bits == 16 ? 1.0f / 256.0f : 1.0f);
    }
    case 5: {
        static const float edges[] = {-1.5f, -1.0f, -0.5f, 0.5f, 1.0f, 1.5f};
        float e = (full + edges[rng_below(6)]) / full;
        float s = rng_below(2) ? -e : e;
        return rng_below(2) ? nextafterf(s, 0.0f) : s;
    }
    case 6: {
        static const float specials[] = {0.0f,     -0.0f,     1.0f,     -1.0f,    0.5f,
                                         -0.5f,    2.0f,      -2.0f,    1e30f,    -1e30f,
                                         FLT_MAX,  -FLT_MAX,  INFINITY, -INFINITY, FLT_TRUE_MIN,
                                         -FLT_TRUE_MIN, FLT_MIN, 0.99999994f, -0.99999994f,
                                         1.0000001f, 2147483520.0f / 2147483648.0f};
        return specials[rng_below((uint32_t)(sizeof specials / sizeof specials[0]))];
    }
    default:
        return rng_float(-1e-4f, 1e-4f);
    }
}

static float gen_any_f32(void)
{
    switch (rng_below(4)) {
    case 0:
        return rng_float(-1.0f, 1.0f);
    case 1:
        return rng_float(-1000.0f, 1000.0f);
    case 2:
        return gen_audio_f32(16);
    default:
        return rng_float(-1e-20f, 1e-20f);
    }
}

static int16_t gen_s16(void)
{
    static const int16_t specials[] = {0, 1, -1, 32767, -32768, 16384, -16384};
    if (rng_below(8) == 0) {
        return specials[rng_below((uint32_t)(sizeof specials / sizeof specials[0]))];
    }
    return (int16_t)((int32_t)(rng_u32() >> 16) - 32768);
}

static int32_t gen_s32(void)
{
    static const int32_t specials[] = {0, 1, -1, INT32_MAX, INT32_MIN, 16777217, -16777217,
                                       16777219, 8388607, -8388608, 2147483520, 2147483584};
    switch (rng_below(4)) {
    case 0:
        return specials[rng_below((uint32_t)(sizeof specials / sizeof specials[0]))];
    case 1:
        /* s24 in int32, the common case */
        return (int32_t)rng_below(1u << 24) - (1 << 23);
    default:
        return (int32_t)((int64_t)rng_u32() - 2147483648);
    }
}

/* ---- placement, guards, comparison ---------------------------------------- */

static size_t in_start(size_t cap, size_t count, unsigned placement)
{
    return placement == PLACE_AT_END ? cap - count : placement;
}

static size_t out_offset(unsigned placement)
{
    /* Differ from the input offset so src and dst misalign differently. */
    return placement == PLACE_AT_END ? 0 : MAX_OFF - placement;
}

static void *out_prepare(unsigned char *base, size_t elem, size_t off, size_t count)
{
    memset(base, SENTINEL, (GUARD + off + count + GUARD) * elem);
    return base + (GUARD + off) * elem;
}

static int guards_intact(const unsigned char *base, size_t elem, size_t off, size_t count)
{
    size_t before = (GUARD + off) * elem;
    size_t after = before + count * elem;
    for (size_t i = 0; i < before; i++) {
        if (base[i] != SENTINEL) {
            return 0;
        }
    }
    for (size_t i = after; i < after + GUARD * elem; i++) {
        if (base[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

typedef struct tally {
    const char *level;
    const char *kernel;
    unsigned long calls;
    unsigned long failures;
    unsigned long inexact; /* outputs accepted by tolerance, not bit-exact */
} tally;

typedef struct call_info {
    size_t n;
    unsigned placement;
    unsigned channels; /* 0 when not a channel kernel */
    double param;      /* scale or gain, 0 when none */
} call_info;

static void fail(tally *t, const call_info *ci, const char *what, size_t index, uint32_t want,
                 uint32_t got)
{
    if (t->failures < MAX_REPORTS) {
        printf("  MISMATCH %s %s: %s n=%zu placement=%u channels=%u param=%g index=%zu "
               "want=0x%08lx got=0x%08lx\n",
               t->level, t->kernel, what, ci->n, ci->placement, ci->channels, ci->param, index,
               (unsigned long)want, (unsigned long)got);
    }
    t->failures++;
}

static uint32_t elem_bits(const unsigned char *p, size_t elem)
{
    if (elem == 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Bit-exact comparison of one output (ref and test prepared alike), plus
 * both sets of guards: the scalar kernel must not scribble either. */
static int check_exact(tally *t, const call_info *ci, const char *what, const unsigned char *ref,
                       const unsigned char *tst, size_t elem, size_t off, size_t count)
{
    if (!guards_intact(ref, elem, off, count)) {
        fail(t, ci, "scalar wrote a guard", 0, 0, 0);
        return 0;
    }
    if (!guards_intact(tst, elem, off, count)) {
        fail(t, ci, "guard overwritten", 0, 0, 0);
        return 0;
    }
    const unsigned char *r = ref + (GUARD + off) * elem;
    const unsigned char *s = tst + (GUARD + off) * elem;
    for (size_t i = 0; i < count; i++) {
        if (memcmp(r + i * elem, s + i * elem, elem) != 0) {
            fail(t, ci, what, i, elem_bits(r + i * elem, elem), elem_bits(s + i * elem, elem));
            return 0;
        }
    }
    return 1;
}

static float ulp_of(float x)
{
    float a = fabsf(x);
    return nextafterf(a, INFINITY) - a;
}

/* scale_add comparison: |want - got| <= ulp(want) + rel * |src * gain| + abs
 * (dsp.h explains the product term). */
static int check_close(tally *t, const call_info *ci, const unsigned char *ref,
                       const unsigned char *tst, size_t off, size_t count, const float *src,
                       float gain)
{
    const size_t elem = sizeof(float);
    if (!guards_intact(ref, elem, off, count) || !guards_intact(tst, elem, off, count)) {
        fail(t, ci, "guard overwritten", 0, 0, 0);
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        float want;
        float got;
        memcpy(&want, ref + (GUARD + off + i) * elem, elem);
        memcpy(&got, tst + (GUARD + off + i) * elem, elem);
        if (memcmp(&want, &got, elem) == 0) {
            continue;
        }
        double bound = (double)ulp_of(want) +
                       (double)SEGUE_DSP_SCALE_ADD_TOLERANCE_REL * fabs((double)src[i] * gain) +
                       (double)SEGUE_DSP_SCALE_ADD_TOLERANCE_ABS;
        int ok = isfinite(want) && isfinite(got) && fabs((double)want - (double)got) <= bound;
        t->inexact++;
        if (!ok) {
            uint32_t wb;
            uint32_t gb;
            memcpy(&wb, &want, 4);
            memcpy(&gb, &got, 4);
            fail(t, ci, "beyond tolerance", i, wb, gb);
            return 0;
        }
    }
    return 1;
}

/* ---- per-kernel tests ----------------------------------------------------- */

typedef enum { K_S16, K_S24, K_S32 } int_kind;

static void test_f32_to_int(tally *t, const segue_dsp *ref, const segue_dsp *tst, int_kind kind)
{
    static const int bits_of[] = {16, 24, 32};
    const size_t elem = kind == K_S16 ? sizeof(int16_t) : sizeof(int32_t);
    for (size_t li = 0; li < N_LENGTHS; li++) {
        size_t n = test_lengths[li];
        for (unsigned p = 0; p < N_PLACEMENTS; p++) {
            size_t start = in_start(IN_CAP, n, p);
            const float *src = in_f32 + start;
            for (size_t i = 0; i < n; i++) {
                in_f32[start + i] = gen_audio_f32(bits_of[kind]);
            }
            size_t off = out_offset(p);
            void *r = out_prepare(out_ref, elem, off, n);
            void *s = out_prepare(out_tst, elem, off, n);
            if (kind == K_S16) {
                ref->f32_to_s16(r, src, n);
                tst->f32_to_s16(s, src, n);
            } else if (kind == K_S24) {
                ref->f32_to_s24(r, src, n);
                tst->f32_to_s24(s, src, n);
            } else {
                ref->f32_to_s32(r, src, n);
                tst->f32_to_s32(s, src, n);
            }
            call_info ci = {n, p, 0, 0.0};
            t->calls++;
            check_exact(t, &ci, "output differs", out_ref, out_tst, elem, off, n);
        }
    }
}

static void test_s16_to_f32(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        size_t n = test_lengths[li];
        for (unsigned p = 0; p < N_PLACEMENTS; p++) {
            size_t start = in_start(IN_CAP, n, p);
            for (size_t i = 0; i < n; i++) {
                in_s16[start + i] = gen_s16();
            }
            size_t off = out_offset(p);
            ref->s16_to_f32(out_prepare(out_ref, 4, off, n), in_s16 + start, n);
            tst->s16_to_f32(out_prepare(out_tst, 4, off, n), in_s16 + start, n);
            call_info ci = {n, p, 0, 0.0};
            t->calls++;
            check_exact(t, &ci, "output differs", out_ref, out_tst, 4, off, n);
        }
    }
}

static void test_s32_to_f32(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    static const float scales[] = {1.0f / 8388608.0f, 1.0f / 2147483648.0f, 1.0f / 32768.0f, 1.0f,
                                   0.7f, -3.25f};
    for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++) {
        for (size_t li = 0; li < N_LENGTHS; li++) {
            size_t n = test_lengths[li];
            for (unsigned p = 0; p < N_PLACEMENTS; p++) {
                size_t start = in_start(IN_CAP, n, p);
                for (size_t i = 0; i < n; i++) {
                    in_s32[start + i] = gen_s32();
                }
                size_t off = out_offset(p);
                ref->s32_to_f32(out_prepare(out_ref, 4, off, n), in_s32 + start, n, scales[si]);
                tst->s32_to_f32(out_prepare(out_tst, 4, off, n), in_s32 + start, n, scales[si]);
                call_info ci = {n, p, 0, (double)scales[si]};
                t->calls++;
                check_exact(t, &ci, "output differs", out_ref, out_tst, 4, off, n);
            }
        }
    }
}

static void fill_planes(unsigned channels, size_t n, unsigned p, const float **planes)
{
    for (unsigned c = 0; c < channels; c++) {
        size_t start = in_start(PLANE_IN_CAP, n, p);
        for (size_t i = 0; i < n; i++) {
            in_planes[c][start + i] = gen_any_f32();
        }
        planes[c] = in_planes[c] + start;
    }
}

static void test_interleave2(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        size_t n = test_lengths[li];
        for (unsigned p = 0; p < N_PLACEMENTS; p++) {
            const float *planes[2];
            fill_planes(2, n, p, planes);
            size_t off = out_offset(p);
            ref->interleave2_f32(out_prepare(out_ref, 4, off, 2 * n), planes[0], planes[1], n);
            tst->interleave2_f32(out_prepare(out_tst, 4, off, 2 * n), planes[0], planes[1], n);
            call_info ci = {n, p, 2, 0.0};
            t->calls++;
            check_exact(t, &ci, "output differs", out_ref, out_tst, 4, off, 2 * n);
        }
    }
}

static void test_interleave(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (unsigned ch = 1; ch <= MAX_CH; ch++) {
        for (size_t li = 0; li < N_LENGTHS; li++) {
            size_t n = test_lengths[li];
            for (unsigned p = 0; p < N_PLACEMENTS; p++) {
                const float *planes[MAX_CH];
                fill_planes(ch, n, p, planes);
                size_t off = out_offset(p);
                ref->interleave_f32(out_prepare(out_ref, 4, off, ch * n), planes, ch, n);
                tst->interleave_f32(out_prepare(out_tst, 4, off, ch * n), planes, ch, n);
                call_info ci = {n, p, ch, 0.0};
                t->calls++;
                check_exact(t, &ci, "output differs", out_ref, out_tst, 4, off, ch * n);
            }
        }
    }
}

static const float *fill_interleaved(unsigned channels, size_t n, unsigned p)
{
    size_t start = in_start(IN_CAP, channels * n, p);
    for (size_t i = 0; i < channels * n; i++) {
        in_f32[start + i] = gen_any_f32();
    }
    return in_f32 + start;
}

static void test_deinterleave2(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        size_t n = test_lengths[li];
        for (unsigned p = 0; p < N_PLACEMENTS; p++) {
            const float *src = fill_interleaved(2, n, p);
            size_t off = out_offset(p);
            ref->deinterleave2_f32(out_prepare(plane_ref[0], 4, off, n),
                                   out_prepare(plane_ref[1], 4, off, n), src, n);
            tst->deinterleave2_f32(out_prepare(plane_tst[0], 4, off, n),
                                   out_prepare(plane_tst[1], 4, off, n), src, n);
            call_info ci = {n, p, 2, 0.0};
            t->calls++;
            if (check_exact(t, &ci, "left differs", plane_ref[0], plane_tst[0], 4, off, n)) {
                check_exact(t, &ci, "right differs", plane_ref[1], plane_tst[1], 4, off, n);
            }
        }
    }
}

static void test_deinterleave(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (unsigned ch = 1; ch <= MAX_CH; ch++) {
        for (size_t li = 0; li < N_LENGTHS; li++) {
            size_t n = test_lengths[li];
            for (unsigned p = 0; p < N_PLACEMENTS; p++) {
                const float *src = fill_interleaved(ch, n, p);
                size_t off = out_offset(p);
                float *rp[MAX_CH];
                float *sp[MAX_CH];
                for (unsigned c = 0; c < ch; c++) {
                    rp[c] = out_prepare(plane_ref[c], 4, off, n);
                    sp[c] = out_prepare(plane_tst[c], 4, off, n);
                }
                ref->deinterleave_f32(rp, src, ch, n);
                tst->deinterleave_f32(sp, src, ch, n);
                call_info ci = {n, p, ch, 0.0};
                t->calls++;
                for (unsigned c = 0; c < ch; c++) {
                    if (!check_exact(t, &ci, "plane differs", plane_ref[c], plane_tst[c], 4, off, n)) {
                        break;
                    }
                }
            }
        }
    }
}

static const float test_gains[] = {0.0f, 1.0f, -1.0f, 0.5f, 0.70710677f, -1.7f, 3.0e-3f, 123.456f};
#define N_GAINS (sizeof test_gains / sizeof test_gains[0])

static void test_scale_add(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (size_t gi = 0; gi < N_GAINS; gi++) {
        for (size_t li = 0; li < N_LENGTHS; li++) {
            size_t n = test_lengths[li];
            for (unsigned p = 0; p < N_PLACEMENTS; p++) {
                const float *src = fill_interleaved(1, n, p);
                size_t off = out_offset(p);
                float *r = out_prepare(out_ref, 4, off, n);
                float *s = out_prepare(out_tst, 4, off, n);
                for (size_t i = 0; i < n; i++) {
                    r[i] = s[i] = gen_any_f32();
                }
                ref->scale_add_f32(r, src, test_gains[gi], n);
                tst->scale_add_f32(s, src, test_gains[gi], n);
                call_info ci = {n, p, 0, (double)test_gains[gi]};
                t->calls++;
                check_close(t, &ci, out_ref, out_tst, off, n, src, test_gains[gi]);
            }
        }
    }
}

static void test_scale(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (size_t gi = 0; gi < N_GAINS; gi++) {
        for (size_t li = 0; li < N_LENGTHS; li++) {
            size_t n = test_lengths[li];
            for (unsigned p = 0; p < N_PLACEMENTS; p++) {
                const float *src = fill_interleaved(1, n, p);
                size_t off = out_offset(p);
                float g = test_gains[gi];
                ref->scale_f32(out_prepare(out_ref, 4, off, n), src, g, n);
                tst->scale_f32(out_prepare(out_tst, 4, off, n), src, g, n);
                call_info ci = {n, p, 0, (double)g};
                t->calls++;
                if (!check_exact(t, &ci, "output differs", out_ref, out_tst, 4, off, n)) {
                    continue;
                }
                /* In place (dst == src) is part of the contract. */
                float *r = out_prepare(out_ref, 4, off, n);
                float *s = out_prepare(out_tst, 4, off, n);
                for (size_t i = 0; i < n; i++) {
                    r[i] = s[i] = src[i];
                }
                ref->scale_f32(r, r, g, n);
                tst->scale_f32(s, s, g, n);
                t->calls++;
                check_exact(t, &ci, "in-place output differs", out_ref, out_tst, 4, off, n);
            }
        }
    }
}

/* ---- known answers: the specification written out by hand ----------------- */

static int known_answers(const segue_dsp *d, const char *level)
{
    int bad = 0;
#define KNOWN(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("  KNOWN-ANSWER %s: %s failed (line %d)\n", level, #cond, __LINE__); \
            bad++;                                                               \
        }                                                                        \
    } while (0)
    /* 16 inputs so every vector path, not only the tails, sees them. */
    static const float f16_in[16] = {0.5f / 32768, 1.5f / 32768, 2.5f / 32768, -0.5f / 32768,
                                     -1.5f / 32768, 1.0f, -1.0f, 32767.5f / 32768,
                                     2.0f, -INFINITY, -0.0f, -32768.5f / 32768,
                                     0.25f, -0.75f, 1e30f, 3.5f / 32768};
    static const int16_t f16_want[16] = {0, 2, 2, 0, -2, 32767, -32768, 32767,
                                         32767, -32768, 0, -32768, 8192, -24576, 32767, 4};
    int16_t s16[16];
    d->f32_to_s16(s16, f16_in, 16);
    for (int i = 0; i < 16; i++) {
        KNOWN(s16[i] == f16_want[i]);
    }

    static const float f24_in[8] = {1.0f, -1.0f, 2.5f / 8388608, -2.5f / 8388608,
                                     8388606.5f / 8388608, 0.5f, 4.0f, -0.0f};
    static const int32_t f24_want[8] = {8388607, -8388608, 2, -2, 8388606, 4194304, 8388607, 0};
    int32_t s24[8];
    d->f32_to_s24(s24, f24_in, 8);
    for (int i = 0; i < 8; i++) {
        KNOWN(s24[i] == f24_want[i]);
    }

    /* 1.0 * 2^31 is clamped to the largest float below 2^31. */
    static const float f32_in[8] = {1.0f, -1.0f, 0.5f, 2.5f / 2147483648.0f,
                                    -3.5f / 2147483648.0f, INFINITY, -2.0f, 0.0f};
    static const int32_t f32_want[8] = {2147483520, INT32_MIN, 1073741824, 2, -4, 2147483520,
                                        INT32_MIN, 0};
    int32_t s32[8];
    d->f32_to_s32(s32, f32_in, 8);
    for (int i = 0; i < 8; i++) {
        KNOWN(s32[i] == f32_want[i]);
    }

    static const int16_t i16_in[8] = {-32768, 16384, 1, 0, -1, 32767, -16384, 2};
    float f[8];
    d->s16_to_f32(f, i16_in, 8);
    KNOWN(f[0] == -1.0f && f[1] == 0.5f && f[2] == 1.0f / 32768 && f[3] == 0.0f &&
          f[4] == -1.0f / 32768 && f[5] == 32767.0f / 32768);

    /* 2^24 + 1 and 2^24 + 3 are ties in int->float: to even. */
    static const int32_t i32_in[8] = {16777217, 16777219, INT32_MIN, -8388608, 8388607, 0, 1, -1};
    d->s32_to_f32(f, i32_in, 8, 1.0f);
    KNOWN(f[0] == 16777216.0f && f[1] == 16777220.0f && f[2] == -2147483648.0f);
    d->s32_to_f32(f, i32_in + 2, 2, 1.0f / 2147483648.0f);
    KNOWN(f[0] == -1.0f && f[1] == -1.0f / 256);
#undef KNOWN
    return bad;
}

/* ---- the dispatcher -------------------------------------------------------- */

/* The documented cap rule: scalar < sse2 < avx2, scalar < neon. */
static int within_cap(segue_cpu_level level, int cap)
{
    return cap < 0 || level == SEGUE_CPU_SCALAR || (int)level == cap ||
           (level == SEGUE_CPU_SSE2 && cap == (int)SEGUE_CPU_AVX2);
}

static int check_dispatcher(int api_cap)
{
    int bad = 0;
    segue_dsp probe;

    for (int l = SEGUE_CPU_SCALAR; l <= SEGUE_CPU_NEON; l++) {
        const char *name = segue_cpu_level_name((segue_cpu_level)l);
        if (segue_cpu_level_parse(name) != l) {
            printf("  DISPATCH: name/parse round trip failed for %d\n", l);
            bad++;
        }
    }
    if (segue_cpu_level_parse("bogus") != -1 || segue_cpu_level_parse(NULL) != -1 ||
        segue_cpu_level_parse("") != -1 || segue_cpu_level_parse("AVX2") != SEGUE_CPU_AVX2) {
        printf("  DISPATCH: segue_cpu_level_parse edge cases wrong\n");
        bad++;
    }
    if (segue_dsp_init_level(&probe, SEGUE_CPU_SCALAR) != 0) {
        printf("  DISPATCH: scalar level must always initialise\n");
        bad++;
    }
    if (segue_dsp_init_level(&probe, (segue_cpu_level)17) != -1) {
        printf("  DISPATCH: an invalid level must be refused\n");
        bad++;
    }

    const char *env = getenv("SEGUE_CPU");
    int env_cap = (env && *env) ? segue_cpu_level_parse(env) : -1;

    if (segue_dsp_set_cap((segue_cpu_level)42) != -1) {
        printf("  DISPATCH: set_cap accepted an invalid level\n");
        bad++;
    }
    if (api_cap >= 0 && segue_dsp_set_cap((segue_cpu_level)api_cap) != 0) {
        printf("  DISPATCH: set_cap before first use returned an error\n");
        bad++;
    }

    static const segue_cpu_level best_first[] = {SEGUE_CPU_AVX2, SEGUE_CPU_SSE2, SEGUE_CPU_NEON};
    segue_cpu_level want = SEGUE_CPU_SCALAR;
    for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++) {
        segue_cpu_level l = best_first[i];
        if (segue_dsp_init_level(&probe, l) == 0 && within_cap(l, env_cap) && within_cap(l, api_cap)) {
            want = l;
            break;
        }
    }
    segue_cpu_level active = segue_cpu_active();
    printf("dispatch: detect=%s SEGUE_CPU=%s cap=%s active=%s\n",
           segue_cpu_level_name(segue_cpu_detect()), env ? env : "(unset)",
           api_cap >= 0 ? segue_cpu_level_name((segue_cpu_level)api_cap) : "(none)",
           segue_cpu_level_name(active));
    if (active != want) {
        printf("  DISPATCH: active level %s, expected %s\n", segue_cpu_level_name(active),
               segue_cpu_level_name(want));
        bad++;
    }
    if (env_cap == SEGUE_CPU_SCALAR && active != SEGUE_CPU_SCALAR) {
        printf("  DISPATCH: SEGUE_CPU=scalar did not force the scalar table\n");
        bad++;
    }

    const segue_dsp *table = segue_dsp_get();
    if (!table || segue_dsp_get() != table) {
        printf("  DISPATCH: segue_dsp_get is not one stable table\n");
        return bad + 1;
    }
    if (segue_dsp_init_level(&probe, active) != 0 || memcmp(&probe, table, sizeof probe) != 0) {
        printf("  DISPATCH: segue_dsp_get table is not the %s table\n", segue_cpu_level_name(active));
        bad++;
    }
    if (segue_dsp_set_cap(SEGUE_CPU_SCALAR) != -1 || segue_cpu_active() != active) {
        printf("  DISPATCH: set_cap after first use must fail and change nothing\n");
        bad++;
    }
    printf("dispatch: %s\n", bad ? "FAIL" : "ok");
    return bad;
}

/* ---- driver ---------------------------------------------------------------- */

typedef void (*kernel_test)(tally *, const segue_dsp *, const segue_dsp *);

static void test_f32_to_s16(tally *t, const segue_dsp *r, const segue_dsp *s)
{
    test_f32_to_int(t, r, s, K_S16);
}
static void test_f32_to_s24(tally *t, const segue_dsp *r, const segue_dsp *s)
{
    test_f32_to_int(t, r, s, K_S24);
}
static void test_f32_to_s32(tally *t, const segue_dsp *r, const segue_dsp *s)
{
    test_f32_to_int(t, r, s, K_S32);
}

static const struct {
    const char *name;
    kernel_test run;
} kernel_tests[] = {
    {"f32_to_s16", test_f32_to_s16},
    {"f32_to_s24", test_f32_to_s24},
    {"f32_to_s32", test_f32_to_s32},
    {"s16_to_f32", test_s16_to_f32},
    {"s32_to_f32", test_s32_to_f32},
    {"interleave2_f32", test_interleave2},
    {"deinterleave2_f32", test_deinterleave2},
    {"interleave_f32", test_interleave},
    {"deinterleave_f32", test_deinterleave},
    {"scale_add_f32", test_scale_add},
    {"scale_f32", test_scale},
};

int main(int argc, char **argv)
{
    int api_cap = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cap") == 0 && i + 1 < argc) {
            api_cap = segue_cpu_level_parse(argv[++i]);
            if (api_cap < 0) {
                fprintf(stderr, "checkdsp: unknown level '%s'\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: checkdsp [--cap scalar|sse2|avx2|neon]\n");
            return 2;
        }
    }

    unsigned long failures = 0;
    segue_dsp ref;
    if (segue_dsp_init_level(&ref, SEGUE_CPU_SCALAR) != 0) {
        printf("scalar table unavailable\n");
        return 1;
    }
    for (int l = SEGUE_CPU_SCALAR; l <= SEGUE_CPU_NEON; l++) {
        segue_dsp tst;
        const char *level = segue_cpu_level_name((segue_cpu_level)l);
        if (segue_dsp_init_level(&tst, (segue_cpu_level)l) != 0) {
            printf("%-7s %-18s skipped (not supported by this host/build)\n", level, "*");
            continue;
        }
        int kb = known_answers(&tst, level);
        printf("%-7s %-18s %s\n", level, "known-answers", kb ? "FAIL" : "ok");
        failures += (unsigned long)kb;
        for (size_t k = 0; k < sizeof kernel_tests / sizeof kernel_tests[0]; k++) {
            tally t = {level, kernel_tests[k].name, 0, 0, 0};
            for (unsigned round = 0; round < ROUNDS; round++) {
                kernel_tests[k].run(&t, &ref, &tst);
            }
            printf("%-7s %-18s %-4s %lu calls, %s%s\n", level, t.kernel,
                   t.failures ? "FAIL" : "ok", t.calls,
                   t.inexact ? "some outputs within tolerance" : "bit-exact",
                   l == SEGUE_CPU_SCALAR ? " (reference vs itself: guards only)" : "");
            if (t.inexact) {
                printf("%-7s %-18s %lu outputs differed within the declared tolerance\n", level,
                       t.kernel, t.inexact);
            }
            failures += t.failures;
        }
    }
    failures += (unsigned long)check_dispatcher(api_cap);
    printf("%s: %lu failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
