/*
 * tests/simd/checkdsp.c - checkasm-style equivalence test for simd/dsp.h.
 *
 * Standalone (no cmocka) so the same program cross-compiles for aarch64 and
 * runs under qemu. For every level the host can run, each kernel is compared
 * with the scalar table on fixed-seed random inputs at edge lengths, with
 * misaligned pointers and sentinel guards around every output. Inputs are
 * also placed flush against the end of their own static array so that an
 * over-read shows up under ASan. The MPEG audio kernels (in place on the
 * Layer III hybrid layout) get their own edge cases: slot counts 0..36,
 * every subband count from starting subbands 0-5, 7, 8, 16, 30 and 31,
 * mono and both stereo channel positions, block types 0, 1, 3 (and 2 for
 * the short IMDCT), a random earlier synthesis state at each of four
 * misalignments; and every level is also checked against the plain
 * formulas of dsp.h evaluated in double (the "definition" lines). Then
 * the dispatcher is checked against SEGUE_CPU and an optional `--cap
 * NAME` (passed to segue_dsp_set_cap).
 *
 * Exit status: 0 all passed, 1 a mismatch or dispatcher error, 2 usage.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/dsp.h"
#include "simd/dsp_impl.h" /* the MPEG audio synthesis window, for the definition check */

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

/* ---- MPEG audio kernels ----------------------------------------------------
 *
 * In-place kernels on the Layer III hybrid layout (dsp.h): a channel block
 * is 18 rows of stride = 32 * nch floats, the kernel gets it offset by the
 * channel (c * 32) and the first subband (sb0). Each call sees identical
 * inputs in the reference and the tested buffer; afterwards the whole
 * buffer (not only the elements the kernel owns, so a stray write shows)
 * and the synthesis state must agree within SEGUE_DSP_MPA_TOLERANCE_ABS,
 * and the guard bytes on both sides must be intact. The last placement
 * puts the block flush against the end of its array, so an over-read or
 * over-write past it trips ASan. */

#define MPA_MAX_SLOTS 36u /* Layer II: 36 slots per frame */
#define MPA_CAP (GUARD + MAX_OFF + MPA_MAX_SLOTS * 64u + GUARD)

static _Alignas(64) float mpa_x_ref[MPA_CAP];
static _Alignas(64) float mpa_x_tst[MPA_CAP];
static _Alignas(64) float mpa_o_ref[MPA_CAP];
static _Alignas(64) float mpa_o_tst[MPA_CAP];
/* Four states back to back: sizeof is 4100, so element k sits 4k bytes off
 * 16-byte alignment, and the kernels see every misalignment. */
static segue_mpa_synth_state mpa_st_ref[4];
static segue_mpa_synth_state mpa_st_tst[4];

static const size_t mpa_slot_counts[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 18, 19, 36};
static const size_t mpa_sb0s[] = {0, 1, 2, 3, 4, 5, 7, 8, 16, 30, 31};
static const unsigned mpa_block_types[] = {0, 1, 3};

/* A decoded value in full-scale units: |v| <= 1 at a random level, with
 * exact zeros (silent bands) mixed in. */
static float gen_mpa(float level)
{
    if (rng_below(12) == 0) {
        return 0.0f;
    }
    return rng_float(-1.0f, 1.0f) * level;
}

static float gen_mpa_level(void)
{
    static const float levels[] = {1.0f, 0.5f, 0.125f, 1.0f / 64.0f, 1e-4f};
    return levels[rng_below((uint32_t)(sizeof levels / sizeof levels[0]))];
}

/* Where a block of `count` floats starts in an MPA_CAP array. */
static size_t mpa_start(size_t count, unsigned placement)
{
    return placement == PLACE_AT_END ? MPA_CAP - count : GUARD + placement;
}

/* Sentinel bytes everywhere, then `count` identical values in both
 * arrays from `start`. */
static void mpa_prepare(float *ref, float *tst, size_t start, size_t count, float level)
{
    memset(ref, SENTINEL, MPA_CAP * sizeof(float));
    memset(tst, SENTINEL, MPA_CAP * sizeof(float));
    for (size_t i = 0; i < count; i++) {
        ref[start + i] = tst[start + i] = gen_mpa(level);
    }
}

static int mpa_close(float want, float got)
{
    if (memcmp(&want, &got, sizeof want) == 0) {
        return 1;
    }
    return isfinite(want) && isfinite(got) &&
           fabs((double)want - (double)got) <= (double)SEGUE_DSP_MPA_TOLERANCE_ABS;
}

/* Whole-array check: guard bytes (everything outside [start, start +
 * count)) untouched in both, the block within tolerance. */
static int mpa_check(tally *t, const call_info *ci, const char *what, const float *ref,
                     const float *tst, size_t start, size_t count)
{
    const unsigned char *rb = (const unsigned char *)ref;
    const unsigned char *tb = (const unsigned char *)tst;
    for (size_t i = 0; i < MPA_CAP * sizeof(float); i++) {
        if (i >= start * sizeof(float) && i < (start + count) * sizeof(float)) {
            continue;
        }
        if (rb[i] != SENTINEL || tb[i] != SENTINEL) {
            fail(t, ci, rb[i] != SENTINEL ? "scalar wrote a guard" : "guard overwritten",
                 i / sizeof(float), SENTINEL, rb[i] != SENTINEL ? rb[i] : tb[i]);
            return 0;
        }
    }
    for (size_t i = 0; i < count; i++) {
        float want = ref[start + i];
        float got = tst[start + i];
        if (memcmp(&want, &got, sizeof want) == 0) {
            continue;
        }
        t->inexact++;
        if (!mpa_close(want, got)) {
            uint32_t wb;
            uint32_t gb;
            memcpy(&wb, &want, 4);
            memcpy(&gb, &got, 4);
            fail(t, ci, what, i, wb, gb);
            return 0;
        }
    }
    return 1;
}

static int mpa_check_state(tally *t, const call_info *ci, const segue_mpa_synth_state *r,
                           const segue_mpa_synth_state *s)
{
    if (r->pos != s->pos) {
        fail(t, ci, "state position differs", 0, r->pos, s->pos);
        return 0;
    }
    for (size_t c = 0; c < 2; c++) {
        for (size_t i = 0; i < 16 * 32; i++) {
            if (memcmp(&r->v[c][i], &s->v[c][i], sizeof(float)) == 0) {
                continue;
            }
            t->inexact++;
            if (!mpa_close(r->v[c][i], s->v[c][i])) {
                uint32_t wb;
                uint32_t gb;
                memcpy(&wb, &r->v[c][i], 4);
                memcpy(&gb, &s->v[c][i], 4);
                fail(t, ci, "state differs", c * 512 + i, wb, gb);
                return 0;
            }
        }
    }
    return 1;
}

/* A state as a decoder would have it: the DCT values of earlier slots
 * (magnitudes up to a few units for full-scale input), any position. */
static void mpa_random_state(segue_mpa_synth_state *a, segue_mpa_synth_state *b)
{
    float level = gen_mpa_level() * 4.0f;
    for (size_t c = 0; c < 2; c++) {
        for (size_t i = 0; i < 16 * 32; i++) {
            a->v[c][i] = b->v[c][i] = gen_mpa(level);
        }
    }
    a->pos = b->pos = rng_below(16);
}

static void test_mpa_synth(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (size_t li = 0; li < sizeof mpa_slot_counts / sizeof mpa_slot_counts[0]; li++) {
        size_t nslots = mpa_slot_counts[li];
        for (unsigned nch = 1; nch <= 2; nch++) {
            for (unsigned p = 0; p < N_PLACEMENTS; p++) {
                size_t count = nslots * 32u * nch;
                size_t start = mpa_start(count, p);
                mpa_prepare(mpa_x_ref, mpa_x_tst, start, count, gen_mpa_level());
                unsigned si = rng_below(4);
                mpa_random_state(&mpa_st_ref[si], &mpa_st_tst[si]);
                ref->mpa_synth(mpa_x_ref + start, nslots, nch, &mpa_st_ref[si]);
                tst->mpa_synth(mpa_x_tst + start, nslots, nch, &mpa_st_tst[si]);
                call_info ci = {nslots, p, nch, (double)si};
                t->calls++;
                if (mpa_check(t, &ci, "output differs", mpa_x_ref, mpa_x_tst, start, count)) {
                    mpa_check_state(t, &ci, &mpa_st_ref[si], &mpa_st_tst[si]);
                }
            }
        }
    }
    /* A long run from silence through both tables, as a decoder runs:
     * errors, if any, must not grow with the history. */
    memset(&mpa_st_ref[1], 0, sizeof mpa_st_ref[1]);
    memset(&mpa_st_tst[1], 0, sizeof mpa_st_tst[1]);
    for (unsigned frame = 0; frame < 40; frame++) {
        size_t count = 18u * 64u;
        size_t start = mpa_start(count, frame % N_PLACEMENTS);
        mpa_prepare(mpa_x_ref, mpa_x_tst, start, count, gen_mpa_level());
        ref->mpa_synth(mpa_x_ref + start, 18, 2, &mpa_st_ref[1]);
        tst->mpa_synth(mpa_x_tst + start, 18, 2, &mpa_st_tst[1]);
        call_info ci = {18, frame % N_PLACEMENTS, 2, (double)frame};
        t->calls++;
        if (!mpa_check(t, &ci, "continued output differs", mpa_x_ref, mpa_x_tst, start, count) ||
            !mpa_check_state(t, &ci, &mpa_st_ref[1], &mpa_st_tst[1])) {
            break;
        }
    }
}

/* The hybrid block of one granule: 18 rows of 32 * nch; the kernel gets
 * channel c's subband sb0. */
typedef struct mpa_block {
    size_t stride;
    size_t start;  /* first float of the block in the arrays */
    size_t count;  /* 18 * stride */
    size_t offset; /* of the kernel's x within the block: c * 32 + sb0 */
} mpa_block;

static mpa_block mpa_make_block(unsigned nch, size_t sb0, unsigned placement)
{
    mpa_block b;
    b.stride = 32u * nch;
    b.count = 18u * b.stride;
    b.start = mpa_start(b.count, placement);
    b.offset = rng_below(nch) * 32u + sb0;
    return b;
}

static void test_mpa_alias(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    for (unsigned nch = 1; nch <= 2; nch++) {
        for (size_t nb = 0; nb <= 31; nb++) {
            for (unsigned p = 0; p < N_PLACEMENTS; p++) {
                mpa_block b = mpa_make_block(nch, 0, p);
                mpa_prepare(mpa_x_ref, mpa_x_tst, b.start, b.count, gen_mpa_level());
                ref->mpa_alias(mpa_x_ref + b.start + b.offset, b.stride, nb);
                tst->mpa_alias(mpa_x_tst + b.start + b.offset, b.stride, nb);
                call_info ci = {nb, p, nch, (double)b.offset};
                t->calls++;
                mpa_check(t, &ci, "output differs", mpa_x_ref, mpa_x_tst, b.start, b.count);
            }
        }
    }
}

static void test_mpa_imdct(tally *t, const segue_dsp *ref, const segue_dsp *tst, int is_short)
{
    size_t nbt = is_short ? 1 : sizeof mpa_block_types / sizeof mpa_block_types[0];
    for (size_t bi = 0; bi < nbt; bi++) {
        unsigned bt = is_short ? 2u : mpa_block_types[bi];
        for (size_t si = 0; si < sizeof mpa_sb0s / sizeof mpa_sb0s[0]; si++) {
            size_t sb0 = mpa_sb0s[si];
            for (size_t nsb = 0; sb0 + nsb <= 32; nsb++) {
                for (unsigned nch = 1; nch <= 2; nch++) {
                    unsigned p = rng_below(N_PLACEMENTS);
                    mpa_block b = mpa_make_block(nch, sb0, p);
                    mpa_prepare(mpa_x_ref, mpa_x_tst, b.start, b.count, gen_mpa_level());
                    /* The overlap: earlier IMDCT output, up to ~2. */
                    mpa_prepare(mpa_o_ref, mpa_o_tst, b.start, b.count, 2.0f * gen_mpa_level());
                    float *xr = mpa_x_ref + b.start + b.offset;
                    float *xt = mpa_x_tst + b.start + b.offset;
                    float *orf = mpa_o_ref + b.start + b.offset;
                    float *ot = mpa_o_tst + b.start + b.offset;
                    if (is_short) {
                        ref->mpa_imdct12(xr, orf, b.stride, nsb, sb0);
                        tst->mpa_imdct12(xt, ot, b.stride, nsb, sb0);
                    } else {
                        ref->mpa_imdct36(xr, orf, b.stride, nsb, sb0, bt);
                        tst->mpa_imdct36(xt, ot, b.stride, nsb, sb0, bt);
                    }
                    call_info ci = {nsb, p, nch, (double)(sb0 * 10 + bt)};
                    t->calls++;
                    if (mpa_check(t, &ci, "output differs", mpa_x_ref, mpa_x_tst, b.start,
                                  b.count)) {
                        mpa_check(t, &ci, "overlap differs", mpa_o_ref, mpa_o_tst, b.start,
                                  b.count);
                    }
                }
            }
        }
    }
}

static void test_mpa_imdct36(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    test_mpa_imdct(t, ref, tst, 0);
}

static void test_mpa_imdct12(tally *t, const segue_dsp *ref, const segue_dsp *tst)
{
    test_mpa_imdct(t, ref, tst, 1);
}

/* ---- MPEG audio kernels against their definitions ---------------------------
 *
 * The scalar kernels are the specification of the table, and they are
 * fast algorithms (Lee's DCT, a DCT-IV through two 9-point DCTs); here
 * every level is also checked against the plain formulas of dsp.h (and
 * ISO/IEC 11172-3 Annex A for the synthesis), evaluated in double. */

#define MPA_PI 3.14159265358979323846

static double mpa_window_def(unsigned bt, unsigned n)
{
    double s36 = sin(MPA_PI / 36.0 * (n + 0.5));
    switch (bt) {
    case 1:
        return n < 18 ? s36 : n < 24 ? 1.0 : n < 30 ? sin(MPA_PI / 12.0 * (n - 18 + 0.5)) : 0.0;
    case 3:
        return n < 6 ? 0.0 : n < 12 ? sin(MPA_PI / 12.0 * (n - 6 + 0.5)) : n < 18 ? 1.0 : s36;
    default:
        return s36;
    }
}

/* Accumulates the largest error seen and says whether this one is within
 * `bound`. (Not fmax in the loops: the aarch64 GCC 12 vectoriser fails
 * with an internal error on those reductions.) */
static int mpa_near(double want, float got, double bound, double *worst)
{
    double e = fabs(want - (double)got);
    if (!(e <= *worst)) {
        *worst = e;
    }
    return isfinite(got) && e <= bound;
}

static int mpa_definitions(const segue_dsp *d, const char *level)
{
    int bad = 0;
    const double tol = (double)SEGUE_DSP_MPA_TOLERANCE_ABS;
    /* IMDCT-36 and -12 of 3 subbands starting at odd sb0 = 5 (so both
     * signs of the frequency inversion show), mono layout. */
    static float x[18 * 32];
    static float ovl[18 * 32];
    static float x0[18 * 32];
    static float o0[18 * 32];
    for (unsigned bt = 0; bt < 5; bt++) {
        for (size_t i = 0; i < 18 * 32; i++) {
            x[i] = x0[i] = rng_float(-1.0f, 1.0f);
            ovl[i] = o0[i] = rng_float(-1.0f, 1.0f);
        }
        const size_t sb0 = 5;
        if (bt == 2) {
            d->mpa_imdct12(x, ovl, 32, 3, sb0);
        } else if (bt == 4) {
            d->mpa_alias(x, 32, 31);
        } else {
            d->mpa_imdct36(x, ovl, 32, 3, sb0, bt);
        }
        double worst = 0.0;
        for (size_t s = 0; s < 3 && bt != 4; s++) {
            double z[36] = {0};
            if (bt == 2) {
                for (unsigned w = 0; w < 3; w++) {
                    for (unsigned n = 0; n < 12; n++) {
                        double y = 0.0;
                        for (unsigned k = 0; k < 6; k++) {
                            y += (double)x0[(3 * k + w) * 32 + s] *
                                 cos(MPA_PI / 24.0 * (2 * n + 1 + 6) * (2 * k + 1));
                        }
                        z[6 + 6 * w + n] += y * sin(MPA_PI / 12.0 * (n + 0.5));
                    }
                }
            } else {
                for (unsigned n = 0; n < 36; n++) {
                    double y = 0.0;
                    for (unsigned k = 0; k < 18; k++) {
                        y += (double)x0[k * 32 + s] *
                             cos(MPA_PI / 72.0 * (2 * n + 1 + 18) * (2 * k + 1));
                    }
                    z[n] = y * mpa_window_def(bt, n);
                }
            }
            for (unsigned n = 0; n < 18; n++) {
                double sign = ((sb0 + s) & 1u) && (n & 1u) ? -1.0 : 1.0;
                double want = sign * (z[n] + (double)o0[n * 32 + s]);
                int ok1 = mpa_near(want, x[n * 32 + s], tol, &worst);
                int ok2 = mpa_near(z[18 + n], ovl[n * 32 + s], tol, &worst);
                if (!ok1 || !ok2) {
                    bad++;
                }
            }
        }
        if (bt == 4) {
            /* Alias butterflies from Table 3-B.9's c[i]. */
            static const double c[8] = {-0.6, -0.535, -0.33, -0.185, -0.095, -0.041, -0.0142, -0.0037};
            double want[18 * 32];
            for (size_t i = 0; i < 18 * 32; i++) {
                want[i] = x0[i];
            }
            for (size_t b = 1; b <= 31; b++) {
                for (size_t i = 0; i < 8; i++) {
                    double cs = 1.0 / sqrt(1.0 + c[i] * c[i]);
                    double ca = c[i] * cs;
                    double u = x0[(17 - i) * 32 + b - 1];
                    double v = x0[i * 32 + b];
                    want[(17 - i) * 32 + b - 1] = u * cs - v * ca;
                    want[i * 32 + b] = v * cs + u * ca;
                }
            }
            for (size_t i = 0; i < 18 * 32; i++) {
                if (!mpa_near(want[i], x[i], tol, &worst)) {
                    bad++;
                }
            }
        }
        static const char *const names[5] = {"imdct36 type 0", "imdct36 type 1", "imdct12",
                                              "imdct36 type 3", "alias"};
        printf("%-7s %-18s max |error| vs definition %.3g\n", level, names[bt], worst);
    }

    /* Synthesis: ISO/IEC 11172-3 Figure A.2 in double (V as a 1024 FIFO,
     * N[i][k] = cos((16 + i)(2k + 1) pi / 64), U, W = U D, sums of 16),
     * against the kernel over 40 slots of stereo from silence. */
    static double vfifo[2][1024];
    memset(vfifo, 0, sizeof vfifo);
    segue_mpa_synth_state st;
    memset(&st, 0, sizeof st);
    static float io[40 * 64];
    static float in[40 * 64];
    for (size_t i = 0; i < 40 * 64; i++) {
        io[i] = in[i] = rng_float(-1.0f, 1.0f) * 0.25f;
    }
    d->mpa_synth(io, 40, 2, &st);
    /* D is the generated table (tools/gen_mpa_dsp_tables.py types Table
     * 3-B.3 as D * 65536); what this checks is everything the kernel does
     * with it: the DCT, the compact V ring and the regrouped window. The
     * table itself must be multiples of 2^-16 with the standard's
     * symmetry. */
    const float *mpa_dwin = segue_mpa_synth_window;
    for (unsigned i = 1; i < 512; i++) {
        double q = (double)mpa_dwin[i] * 65536.0;
        double mirror = (i % 64 == 0) ? mpa_dwin[512 - i] : -mpa_dwin[512 - i];
        if (q != floor(q) || (double)mpa_dwin[i] != mirror) {
            printf("  DEFINITION %s: synthesis window D[%u] is off\n", level, i);
            bad++;
            break;
        }
    }
    double worst = 0.0;
    for (size_t t = 0; t < 40; t++) {
        for (unsigned c = 0; c < 2; c++) {
            double *v = vfifo[c];
            memmove(v + 64, v, 960 * sizeof *v);
            for (unsigned i = 0; i < 64; i++) {
                double sum = 0.0;
                for (unsigned k = 0; k < 32; k++) {
                    sum += cos((16.0 + i) * (2.0 * k + 1.0) * MPA_PI / 64.0) * in[t * 64 + c * 32 + k];
                }
                v[i] = sum;
            }
            for (unsigned j = 0; j < 32; j++) {
                double out = 0.0;
                for (unsigned i = 0; i < 8; i++) {
                    out += v[128 * i + j] * mpa_dwin[64 * i + j];
                    out += v[128 * i + 96 + j] * mpa_dwin[64 * i + 32 + j];
                }
                if (!mpa_near(out, io[(t * 32 + j) * 2 + c], tol, &worst)) {
                    bad++;
                }
            }
        }
    }
    printf("%-7s %-18s max |error| vs definition %.3g\n", level, "synth", worst);
    return bad;
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
    {"mpa_synth", test_mpa_synth},
    {"mpa_alias", test_mpa_alias},
    {"mpa_imdct36", test_mpa_imdct36},
    {"mpa_imdct12", test_mpa_imdct12},
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
        int kb = known_answers(&tst, level) + mpa_definitions(&tst, level);
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
