/*
 * simd/x86/dsp_avx2.c - AVX2 kernels (compiled with -mavx2, deliberately
 * without -mfma so the compiler cannot fuse the multiply and add of
 * scale_add and every kernel stays bit-exact with scalar).
 *
 * Same rules as the SSE2 file: unaligned access, clamp in float before
 * _mm256_cvtps_epi32, tails through the scalar kernels. 256-bit shuffles
 * work within 128-bit lanes, hence the cross-lane permutes below.
 */
#include <immintrin.h>

#include "simd/dsp_impl.h"

/* The scalar parts of the MPEG audio kernels (the synthesis' two lone
 * outputs) must round like dsp_scalar.c, which forbids contraction; clang
 * would otherwise fuse a * b + c within an expression on FMA targets. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static void f32_to_s16_avx2(int16_t *dst, const float *src, size_t n)
{
    const __m256 scale = _mm256_set1_ps(SEGUE_S16_SCALE_F);
    const __m256 lo = _mm256_set1_ps(SEGUE_S16_MIN_F);
    const __m256 hi = _mm256_set1_ps(SEGUE_S16_MAX_F);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_mul_ps(_mm256_loadu_ps(src + i), scale);
        __m256 b = _mm256_mul_ps(_mm256_loadu_ps(src + i + 8), scale);
        a = _mm256_min_ps(_mm256_max_ps(a, lo), hi);
        b = _mm256_min_ps(_mm256_max_ps(b, lo), hi);
        /* packs works per lane: a0-3 b0-3 | a4-7 b4-7; reorder the 64-bit
         * quarters to a0-3 a4-7 b0-3 b4-7. */
        __m256i s = _mm256_packs_epi32(_mm256_cvtps_epi32(a), _mm256_cvtps_epi32(b));
        s = _mm256_permute4x64_epi64(s, _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), s);
    }
    segue_f32_to_s16_scalar(dst + i, src + i, n - i);
}

/* Converts whole groups of 8 and returns how many it did. */
static size_t f32_to_s32_clamped_avx2(int32_t *dst, const float *src, size_t n, float scale_f,
                                      float min_f, float max_f)
{
    const __m256 scale = _mm256_set1_ps(scale_f);
    const __m256 lo = _mm256_set1_ps(min_f);
    const __m256 hi = _mm256_set1_ps(max_f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_mul_ps(_mm256_loadu_ps(src + i), scale);
        a = _mm256_min_ps(_mm256_max_ps(a, lo), hi);
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_cvtps_epi32(a));
    }
    return i;
}

static void f32_to_s24_avx2(int32_t *dst, const float *src, size_t n)
{
    size_t i = f32_to_s32_clamped_avx2(dst, src, n, SEGUE_S24_SCALE_F, SEGUE_S24_MIN_F,
                                       SEGUE_S24_MAX_F);
    segue_f32_to_s24_scalar(dst + i, src + i, n - i);
}

static void f32_to_s32_avx2(int32_t *dst, const float *src, size_t n)
{
    size_t i = f32_to_s32_clamped_avx2(dst, src, n, SEGUE_S32_SCALE_F, SEGUE_S32_MIN_F,
                                       SEGUE_S32_MAX_F);
    segue_f32_to_s32_scalar(dst + i, src + i, n - i);
}

static void s16_to_f32_avx2(float *dst, const int16_t *src, size_t n)
{
    const __m256 scale = _mm256_set1_ps(SEGUE_S16_INV_SCALE_F);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i s0 = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 8));
        __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(s0));
        __m256 b = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(s1));
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(a, scale));
        _mm256_storeu_ps(dst + i + 8, _mm256_mul_ps(b, scale));
    }
    segue_s16_to_f32_scalar(dst + i, src + i, n - i);
}

static void s32_to_f32_avx2(float *dst, const int32_t *src, size_t n, float scale_f)
{
    const __m256 scale = _mm256_set1_ps(scale_f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_cvtepi32_ps(a), scale));
    }
    segue_s32_to_f32_scalar(dst + i, src + i, n - i, scale_f);
}

static void interleave2_f32_avx2(float *dst, const float *l, const float *r, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_loadu_ps(l + i);
        __m256 b = _mm256_loadu_ps(r + i);
        __m256 lo = _mm256_unpacklo_ps(a, b); /* frames 0 1 | 4 5 */
        __m256 hi = _mm256_unpackhi_ps(a, b); /* frames 2 3 | 6 7 */
        _mm256_storeu_ps(dst + 2 * i, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(dst + 2 * i + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    segue_interleave2_f32_scalar(dst + 2 * i, l + i, r + i, n - i);
}

static void deinterleave2_f32_avx2(float *l, float *r, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_loadu_ps(src + 2 * i);
        __m256 b = _mm256_loadu_ps(src + 2 * i + 8);
        /* Per lane this gives channel samples 0 1 4 5 | 2 3 6 7; the 64-bit
         * permute restores 0..7. */
        __m256 even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        __m256 odd = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
        even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
        odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(odd), _MM_SHUFFLE(3, 1, 2, 0)));
        _mm256_storeu_ps(l + i, even);
        _mm256_storeu_ps(r + i, odd);
    }
    segue_deinterleave2_f32_scalar(l + i, r + i, src + 2 * i, n - i);
}

/* (_mm256_loadu2_m128 does this but older GCCs lack it.) */
static __m256 load_two_halves_avx2(const float *high, const float *low)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(low)), _mm_loadu_ps(high), 1);
}

/* 4x4 transposes in both lanes at once. */
static void transpose4_lanes_avx2(__m256 *r0, __m256 *r1, __m256 *r2, __m256 *r3)
{
    __m256 t0 = _mm256_unpacklo_ps(*r0, *r1);
    __m256 t1 = _mm256_unpackhi_ps(*r0, *r1);
    __m256 t2 = _mm256_unpacklo_ps(*r2, *r3);
    __m256 t3 = _mm256_unpackhi_ps(*r2, *r3);
    *r0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    *r1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    *r2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    *r3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
}

/* Blocks of 8 frames; 4-channel groups transpose per lane, so vector k holds
 * frame k in its low lane and frame k+4 in its high lane, each stored as 16
 * bytes at that frame's slot. Pairs and a last single channel as in SSE2. */
static void interleave_f32_avx2(float *dst, const float *const *planes, unsigned channels,
                                size_t n)
{
    if (channels == 2) {
        interleave2_f32_avx2(dst, planes[0], planes[1], n);
        return;
    }
    const size_t stride = channels;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float *out = dst + i * stride;
        unsigned c = 0;
        for (; c + 4 <= channels; c += 4) {
            /* Named registers, not an array: GCC keeps a __m256 array in
             * memory and the store-reload costs more than the shuffles. */
            __m256 f0 = _mm256_loadu_ps(planes[c] + i);
            __m256 f1 = _mm256_loadu_ps(planes[c + 1] + i);
            __m256 f2 = _mm256_loadu_ps(planes[c + 2] + i);
            __m256 f3 = _mm256_loadu_ps(planes[c + 3] + i);
            transpose4_lanes_avx2(&f0, &f1, &f2, &f3);
            float *o = out + c;
            _mm_storeu_ps(o, _mm256_castps256_ps128(f0));
            _mm_storeu_ps(o + stride, _mm256_castps256_ps128(f1));
            _mm_storeu_ps(o + 2 * stride, _mm256_castps256_ps128(f2));
            _mm_storeu_ps(o + 3 * stride, _mm256_castps256_ps128(f3));
            _mm_storeu_ps(o + 4 * stride, _mm256_extractf128_ps(f0, 1));
            _mm_storeu_ps(o + 5 * stride, _mm256_extractf128_ps(f1, 1));
            _mm_storeu_ps(o + 6 * stride, _mm256_extractf128_ps(f2, 1));
            _mm_storeu_ps(o + 7 * stride, _mm256_extractf128_ps(f3, 1));
        }
        if (c + 2 <= channels) {
            for (size_t h = 0; h < 8; h += 4) {
                __m128 a = _mm_loadu_ps(planes[c] + i + h);
                __m128 b = _mm_loadu_ps(planes[c + 1] + i + h);
                __m128 lo = _mm_unpacklo_ps(a, b);
                __m128 hi = _mm_unpackhi_ps(a, b);
                float *o = out + h * stride + c;
                _mm_storel_pi((__m64 *)(void *)o, lo);
                _mm_storeh_pi((__m64 *)(void *)(o + stride), lo);
                _mm_storel_pi((__m64 *)(void *)(o + 2 * stride), hi);
                _mm_storeh_pi((__m64 *)(void *)(o + 3 * stride), hi);
            }
            c += 2;
        }
        if (c < channels) {
            const float *p = planes[c] + i;
            for (size_t k = 0; k < 8; k++) {
                out[k * stride + c] = p[k];
            }
        }
    }
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            dst[i * stride + c] = planes[c][i];
        }
    }
}

static void deinterleave_f32_avx2(float *const *planes, const float *src, unsigned channels,
                                  size_t n)
{
    if (channels == 2) {
        deinterleave2_f32_avx2(planes[0], planes[1], src, n);
        return;
    }
    const size_t stride = channels;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float *in = src + i * stride;
        unsigned c = 0;
        for (; c + 4 <= channels; c += 4) {
            const float *s = in + c;
            __m256 f0 = load_two_halves_avx2(s + 4 * stride, s);
            __m256 f1 = load_two_halves_avx2(s + 5 * stride, s + stride);
            __m256 f2 = load_two_halves_avx2(s + 6 * stride, s + 2 * stride);
            __m256 f3 = load_two_halves_avx2(s + 7 * stride, s + 3 * stride);
            transpose4_lanes_avx2(&f0, &f1, &f2, &f3);
            _mm256_storeu_ps(planes[c] + i, f0);
            _mm256_storeu_ps(planes[c + 1] + i, f1);
            _mm256_storeu_ps(planes[c + 2] + i, f2);
            _mm256_storeu_ps(planes[c + 3] + i, f3);
        }
        if (c + 2 <= channels) {
            for (size_t h = 0; h < 8; h += 4) {
                const float *s = in + h * stride + c;
                __m128 v0 = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)s);
                v0 = _mm_loadh_pi(v0, (const __m64 *)(const void *)(s + stride));
                __m128 v1 = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(s + 2 * stride));
                v1 = _mm_loadh_pi(v1, (const __m64 *)(const void *)(s + 3 * stride));
                _mm_storeu_ps(planes[c] + i + h, _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)));
                _mm_storeu_ps(planes[c + 1] + i + h, _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1)));
            }
            c += 2;
        }
        if (c < channels) {
            float *p = planes[c] + i;
            for (size_t k = 0; k < 8; k++) {
                p[k] = in[k * stride + c];
            }
        }
    }
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            planes[c][i] = src[i * stride + c];
        }
    }
}

static void scale_add_f32_avx2(float *dst, const float *src, float gain, size_t n)
{
    const __m256 g = _mm256_set1_ps(gain);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_add_ps(_mm256_loadu_ps(dst + i), _mm256_mul_ps(_mm256_loadu_ps(src + i), g));
        __m256 b = _mm256_add_ps(_mm256_loadu_ps(dst + i + 8),
                                 _mm256_mul_ps(_mm256_loadu_ps(src + i + 8), g));
        _mm256_storeu_ps(dst + i, a);
        _mm256_storeu_ps(dst + i + 8, b);
    }
    segue_scale_add_f32_scalar(dst + i, src + i, gain, n - i);
}

static void scale_f32_avx2(float *dst, const float *src, float gain, size_t n)
{
    const __m256 g = _mm256_set1_ps(gain);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        /* Both loads before the stores: dst may equal src. */
        __m256 a = _mm256_mul_ps(_mm256_loadu_ps(src + i), g);
        __m256 b = _mm256_mul_ps(_mm256_loadu_ps(src + i + 8), g);
        _mm256_storeu_ps(dst + i, a);
        _mm256_storeu_ps(dst + i + 8, b);
    }
    segue_scale_f32_scalar(dst + i, src + i, gain, n - i);
}

/* ---- MPEG audio -------------------------------------------------------------
 *
 * As in the SSE2 file, every lane runs the scalar kernel's exact sequence
 * of roundings (no FMA: this file is built without -mfma), so the results
 * match the specification bit for bit. Eight lanes: the synthesis DCT
 * runs on 8 time slots at once, the IMDCTs and alias butterflies on 8
 * subbands; a short last group of subbands uses masked loads and stores
 * (lanes past the end are neither read nor written). */

/* Lee's DCT-II (dsp_scalar.c mpa_dct2) on 8 columns, in place in x, with
 * t as scratch of the same size (see simd/x86/dsp_sse2.c). */
#define MPA_DCT_STEP_AVX2(N, HALF_FN)                                                     \
    static inline void mpa_dct2_##N##_avx2(__m256 *x, __m256 *t, const float *lee)        \
    {                                                                                     \
        enum { H = N / 2 };                                                               \
        for (unsigned k = 0; k < H; k++) {                                                \
            __m256 a = x[k];                                                              \
            __m256 b = x[N - 1 - k];                                                      \
            t[k] = _mm256_add_ps(a, b);                                                   \
            t[H + k] = _mm256_mul_ps(_mm256_sub_ps(a, b), _mm256_broadcast_ss(lee + k));  \
        }                                                                                 \
        HALF_FN(t, x, lee + H);                                                           \
        HALF_FN(t + H, x + H, lee + H);                                                   \
        for (unsigned m = 0; m < H; m++) {                                                \
            x[2 * m] = t[m];                                                              \
            x[2 * m + 1] = m + 1 < H ? _mm256_add_ps(t[H + m], t[H + m + 1]) : t[H + m];  \
        }                                                                                 \
    }

static inline void mpa_dct2_1_avx2(__m256 *x, __m256 *t, const float *lee)
{
    (void)x;
    (void)t;
    (void)lee;
}
MPA_DCT_STEP_AVX2(2, mpa_dct2_1_avx2)
MPA_DCT_STEP_AVX2(4, mpa_dct2_2_avx2)
MPA_DCT_STEP_AVX2(8, mpa_dct2_4_avx2)
MPA_DCT_STEP_AVX2(16, mpa_dct2_8_avx2)
MPA_DCT_STEP_AVX2(32, mpa_dct2_16_avx2)

/* A zero slot for the lanes past the last one of a batch. */
static const float mpa_zero_slot[32];

/* The window of segue_mpa_synth_scalar for one channel of one slot (its V
 * already in the ring at `pos`): 32 PCM values as 4 vectors in output
 * order. */
static inline void mpa_window_step_avx2(const float *v, unsigned pos, unsigned i, __m256 s1[2],
                                        __m256 s2[2], float *s0, float *s16)
{
    const float *d = segue_mpa_synth_window;
    const float *e = v + 32u * ((pos - 2u * i) & 15u);
    const float *o = v + 32u * ((pos - 2u * i - 1u) & 15u) + 15;
    const float *w = segue_mpa_synth_window4 + 64u * i;
    *s0 += d[64 * i] * e[0] - d[64 * i + 32] * o[-15];
    *s16 -= d[64 * i + 48] * o[16];
    /* Lane j = 0 has zero weights, so it stays 0; out[0] is s0. */
    for (unsigned q = 0; q < 2; q++) {
        __m256 ev = _mm256_loadu_ps(e + 8 * q);
        __m256 ov = _mm256_loadu_ps(o + 8 * q);
        __m256 a = _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(w + 8 * q), ev),
                                 _mm256_mul_ps(_mm256_loadu_ps(w + 16 + 8 * q), ov));
        __m256 b = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(w + 32 + 8 * q), ev),
                                 _mm256_mul_ps(_mm256_loadu_ps(w + 48 + 8 * q), ov));
        s1[q] = _mm256_add_ps(s1[q], a);
        s2[q] = _mm256_sub_ps(s2[q], b);
    }
}

static inline void mpa_window_avx2(const float *v, unsigned pos, __m256 out[4])
{
    __m256 s1[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    __m256 s2[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    float s0 = 0.0f;
    float s16 = 0.0f;
    /* The 8 steps written out: constant window offsets, no loop. */
    mpa_window_step_avx2(v, pos, 0, s1, s2, &s0, &s16);
    mpa_window_step_avx2(v, pos, 1, s1, s2, &s0, &s16);
    mpa_window_step_avx2(v, pos, 2, s1, s2, &s0, &s16);
    mpa_window_step_avx2(v, pos, 3, s1, s2, &s0, &s16);
    mpa_window_step_avx2(v, pos, 4, s1, s2, &s0, &s16);
    mpa_window_step_avx2(v, pos, 5, s1, s2, &s0, &s16);
    mpa_window_step_avx2(v, pos, 6, s1, s2, &s0, &s16);
    mpa_window_step_avx2(v, pos, 7, s1, s2, &s0, &s16);
    /* out[j] = s1[j] (s0 at 0), out[16] = s16, out[32 - j] = s2[j]: the
     * upper half is s2 reversed and shifted by one lane, lane 0 of each
     * vector coming from the next one up (s16 for the first). */
    const __m256i rev = _mm256_setr_epi32(0, 7, 6, 5, 4, 3, 2, 1);
    out[0] = _mm256_blend_ps(s1[0], _mm256_set1_ps(s0), 0x01);
    out[1] = s1[1];
    out[2] = _mm256_blend_ps(_mm256_permutevar8x32_ps(s2[1], rev), _mm256_set1_ps(s16), 0x01);
    out[3] = _mm256_blend_ps(_mm256_permutevar8x32_ps(s2[0], rev), s2[1], 0x01);
}

static void mpa_synth_avx2(float *io, size_t nslots, unsigned nch, segue_mpa_synth_state *st)
{
    const size_t slot_len = 32u * nch;
    for (size_t t = 0; t < nslots; t += 8) {
        size_t nb = nslots - t < 8 ? nslots - t : 8;
        /* Matrixing of up to 8 slots at once (lane = slot; lanes past the
         * batch see a zero slot). Each slot's V goes back over its own
         * consumed input until the window moves it into the ring (see
         * simd/x86/dsp_sse2.c). */
        float spare[32]; /* V of the lanes past the batch, discarded */
        for (unsigned c = 0; c < nch; c++) {
            const float *row[8];
            float *vrow[8];
            for (size_t s = 0; s < 8; s++) {
                row[s] = s < nb ? io + (t + s) * slot_len + c * 32u : mpa_zero_slot;
                vrow[s] = s < nb ? io + (t + s) * slot_len + c * 32u : spare;
            }
            __m256 a[32];
            __m256 scratch[32];
            for (unsigned g = 0; g < 8; g++) {
                /* Slots 0-3 in the low lane, 4-7 in the high one; a 4x4
                 * transpose per lane leaves vector k = subband 4g + k. */
                __m256 r0 = load_two_halves_avx2(row[4] + 4 * g, row[0] + 4 * g);
                __m256 r1 = load_two_halves_avx2(row[5] + 4 * g, row[1] + 4 * g);
                __m256 r2 = load_two_halves_avx2(row[6] + 4 * g, row[2] + 4 * g);
                __m256 r3 = load_two_halves_avx2(row[7] + 4 * g, row[3] + 4 * g);
                transpose4_lanes_avx2(&r0, &r1, &r2, &r3);
                a[4 * g] = r0;
                a[4 * g + 1] = r1;
                a[4 * g + 2] = r2;
                a[4 * g + 3] = r3;
            }
            mpa_dct2_32_avx2(a, scratch, segue_mpa_dct32_lee);
            /* Back to one row per slot, in ring order: A[16..31], A[15..0]. */
            for (unsigned g = 0; g < 8; g++) {
                __m256 r0, r1, r2, r3;
                if (g < 4) {
                    r0 = a[16 + 4 * g];
                    r1 = a[17 + 4 * g];
                    r2 = a[18 + 4 * g];
                    r3 = a[19 + 4 * g];
                } else {
                    r0 = a[31 - 4 * g];
                    r1 = a[30 - 4 * g];
                    r2 = a[29 - 4 * g];
                    r3 = a[28 - 4 * g];
                }
                transpose4_lanes_avx2(&r0, &r1, &r2, &r3);
                __m256 r[4] = {r0, r1, r2, r3};
                for (unsigned s = 0; s < 4; s++) {
                    _mm_storeu_ps(vrow[s] + 4 * g, _mm256_castps256_ps128(r[s]));
                    _mm_storeu_ps(vrow[s + 4] + 4 * g, _mm256_extractf128_ps(r[s], 1));
                }
            }
        }
        /* Window slot by slot: a slot's V enters the ring only now, as the
         * ring holds exactly the 16 slots the window reads. */
        for (size_t s = 0; s < nb; s++) {
            unsigned pos = st->pos & 15u;
            float *out = io + (t + s) * slot_len;
            __m256 pcm[2][4];
            for (unsigned c = 0; c < nch; c++) {
                float *v = st->v[c] + 32u * pos;
                for (unsigned q = 0; q < 4; q++)
                    _mm256_storeu_ps(v + 8 * q, _mm256_loadu_ps(out + c * 32u + 8 * q));
                mpa_window_avx2(st->v[c], pos, pcm[c]);
            }
            if (nch == 2) {
                for (unsigned q = 0; q < 4; q++) {
                    __m256 lo = _mm256_unpacklo_ps(pcm[0][q], pcm[1][q]);
                    __m256 hi = _mm256_unpackhi_ps(pcm[0][q], pcm[1][q]);
                    _mm256_storeu_ps(out + 16 * q, _mm256_permute2f128_ps(lo, hi, 0x20));
                    _mm256_storeu_ps(out + 16 * q + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
                }
            } else {
                for (unsigned q = 0; q < 4; q++)
                    _mm256_storeu_ps(out + 8 * q, pcm[0][q]);
            }
            st->pos = (pos + 1u) & 15u;
        }
    }
}

/* Lane mask of the first n (0..8) lanes, for maskload/maskstore. */
static inline __m256i mpa_first_lanes_avx2(size_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

static inline __m256 mpa_load_avx2(const float *p, int masked, __m256i m)
{
    return masked ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p);
}

static inline void mpa_store_avx2(float *p, __m256 v, int masked, __m256i m)
{
    if (masked)
        _mm256_maskstore_ps(p, m, v);
    else
        _mm256_storeu_ps(p, v);
}

/* Butterflies of 8 boundaries starting at b (or the first n of them). */
static inline void mpa_alias8_avx2(float *x, size_t stride, size_t b, int masked, __m256i m)
{
    for (size_t i = 0; i < 8; i++) {
        float *up = x + (17 - i) * stride + b - 1;
        float *dn = x + i * stride + b;
        __m256 cs = _mm256_broadcast_ss(segue_mpa_alias_cs + i);
        __m256 ca = _mm256_broadcast_ss(segue_mpa_alias_ca + i);
        __m256 u = mpa_load_avx2(up, masked, m);
        __m256 d = mpa_load_avx2(dn, masked, m);
        mpa_store_avx2(up, _mm256_sub_ps(_mm256_mul_ps(u, cs), _mm256_mul_ps(d, ca)), masked, m);
        mpa_store_avx2(dn, _mm256_add_ps(_mm256_mul_ps(d, cs), _mm256_mul_ps(u, ca)), masked, m);
    }
}

static void mpa_alias_avx2(float *x, size_t stride, size_t nb)
{
    /* The up and down rows of one i are different rows, so a group's
     * loads never see its own stores. */
    size_t b = 1;
    for (; b + 7 <= nb; b += 8)
        mpa_alias8_avx2(x, stride, b, 0, _mm256_setzero_si256());
    if (b <= nb)
        mpa_alias8_avx2(x, stride, b, 1, mpa_first_lanes_avx2(nb - b + 1));
}

static inline __m256 mpa_neg_avx2(__m256 v)
{
    return _mm256_xor_ps(v, _mm256_set1_ps(-0.0f));
}

/* dsp_scalar.c mpa_dct2_9 on 8 columns. */
static inline void mpa_dct2_9_avx2(const __m256 *x, __m256 *out)
{
    __m256 p[4];
    __m256 q[4];
    for (unsigned k = 0; k < 4; k++) {
        p[k] = _mm256_add_ps(x[k], x[8 - k]);
        q[k] = _mm256_sub_ps(x[k], x[8 - k]);
    }
    const float *c = segue_mpa_dct2_9;
    for (unsigned m = 0; m < 9; m++) {
        const float *cm = c + 4 * m;
        const __m256 *src = (m & 1u) ? q : p;
        __m256 acc = _mm256_mul_ps(src[0], _mm256_broadcast_ss(cm));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(src[1], _mm256_broadcast_ss(cm + 1)));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(src[2], _mm256_broadcast_ss(cm + 2)));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(src[3], _mm256_broadcast_ss(cm + 3)));
        if (!(m & 1u))
            acc = _mm256_add_ps(acc, (m & 2u) ? mpa_neg_avx2(x[4]) : x[4]);
        out[m] = acc;
    }
}

/* dsp_scalar.c mpa_dct4_18 on 8 columns. */
static inline void mpa_dct4_18_avx2(const __m256 *x, __m256 *z)
{
    __m256 e[9];
    __m256 o[9];
    __m256 ce[9];
    __m256 co[9];
    __m256 c[19];
    for (unsigned k = 0; k < 9; k++) {
        __m256 a = _mm256_mul_ps(x[k], _mm256_broadcast_ss(segue_mpa_dct4_18_pre + k));
        __m256 b = _mm256_mul_ps(x[17 - k], _mm256_broadcast_ss(segue_mpa_dct4_18_pre + 17 - k));
        e[k] = _mm256_add_ps(a, b);
        o[k] = _mm256_mul_ps(_mm256_sub_ps(a, b), _mm256_broadcast_ss(segue_mpa_dct2_18_odd + k));
    }
    mpa_dct2_9_avx2(e, ce);
    mpa_dct2_9_avx2(o, co);
    for (unsigned m = 0; m < 9; m++) {
        c[2 * m] = ce[m];
        c[2 * m + 1] = m < 8 ? _mm256_add_ps(co[m], co[m + 1]) : co[m];
    }
    c[18] = _mm256_setzero_ps();
    for (unsigned m = 0; m < 18; m++)
        z[m] = _mm256_add_ps(c[m], c[m + 1]);
}

/* -0.0 in the lanes whose subband first + lane is odd. */
static inline __m256 mpa_odd_sign_avx2(size_t first)
{
    const __m256 odd_lanes = _mm256_setr_ps(0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f);
    const __m256 even_lanes = _mm256_setr_ps(-0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f);
    return (first & 1u) ? even_lanes : odd_lanes;
}

/* Overlap-add, frequency inversion at odd n and the new overlap. */
static inline void mpa_overlap_store_avx2(float *x, float *ovl, size_t stride, __m256 sign,
                                          const __m256 *y, int masked, __m256i m)
{
    for (size_t n = 0; n < 18; n++) {
        __m256 v = _mm256_add_ps(y[n], mpa_load_avx2(ovl + n * stride, masked, m));
        mpa_store_avx2(x + n * stride, (n & 1u) ? _mm256_xor_ps(v, sign) : v, masked, m);
        mpa_store_avx2(ovl + n * stride, y[18 + n], masked, m);
    }
}

/* 8 subbands (or the first of them, masked). The windowed output
 * y[0..35] of the scalar kernel is formed in the order it is stored
 * (y[n] into x with the overlap, y[18 + n] as the new overlap), so no
 * 36-vector array lives across the loop. */
static inline void mpa_imdct36_8_avx2(float *x, float *ovl, size_t stride, size_t first,
                                      const float *w, int masked, __m256i m)
{
    __m256 in[18];
    __m256 z[18];
    for (size_t k = 0; k < 18; k++)
        in[k] = mpa_load_avx2(x + k * stride, masked, m);
    mpa_dct4_18_avx2(in, z);
    __m256 sign = mpa_odd_sign_avx2(first);
    for (size_t n = 0; n < 18; n++) {
        /* y[n] = z[n + 9] w[n] (n < 9), -z[26 - n] w[n] (9 <= n < 27),
         * -z[n - 27] w[n] (n >= 27). */
        __m256 y0 = n < 9 ? _mm256_mul_ps(z[n + 9], _mm256_broadcast_ss(w + n))
                          : _mm256_mul_ps(mpa_neg_avx2(z[26 - n]), _mm256_broadcast_ss(w + n));
        __m256 y1 = n < 9
                        ? _mm256_mul_ps(mpa_neg_avx2(z[8 - n]), _mm256_broadcast_ss(w + 18 + n))
                        : _mm256_mul_ps(mpa_neg_avx2(z[n - 9]), _mm256_broadcast_ss(w + 18 + n));
        __m256 v = _mm256_add_ps(y0, mpa_load_avx2(ovl + n * stride, masked, m));
        mpa_store_avx2(x + n * stride, (n & 1u) ? _mm256_xor_ps(v, sign) : v, masked, m);
        mpa_store_avx2(ovl + n * stride, y1, masked, m);
    }
}

static void mpa_imdct36_avx2(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0,
                             unsigned block_type)
{
    const float *w = segue_mpa_imdct_window + 36u * (block_type & 3u);
    size_t s = 0;
    for (; s + 8 <= nsb; s += 8)
        mpa_imdct36_8_avx2(x + s, ovl + s, stride, sb0 + s, w, 0, _mm256_setzero_si256());
    if (s < nsb)
        mpa_imdct36_8_avx2(x + s, ovl + s, stride, sb0 + s, w, 1, mpa_first_lanes_avx2(nsb - s));
}

static inline void mpa_imdct12_8_avx2(float *x, float *ovl, size_t stride, size_t first,
                                      int masked, __m256i mk)
{
    const float *ws = segue_mpa_imdct_window_short;
    __m256 r[36];
    for (unsigned n = 0; n < 36; n++)
        r[n] = _mm256_setzero_ps();
    for (unsigned win = 0; win < 3; win++) {
        __m256 in[6];
        __m256 z[6];
        for (unsigned k = 0; k < 6; k++)
            in[k] = mpa_load_avx2(x + (3u * k + win) * stride, masked, mk);
        for (unsigned m = 0; m < 6; m++) {
            const float *c = segue_mpa_dct4_6 + 6 * m;
            __m256 acc = _mm256_mul_ps(in[0], _mm256_broadcast_ss(c));
            for (unsigned k = 1; k < 6; k++)
                acc = _mm256_add_ps(acc, _mm256_mul_ps(in[k], _mm256_broadcast_ss(c + k)));
            z[m] = acc;
        }
        __m256 *dst = r + 6 + 6 * win;
        for (unsigned n = 0; n < 3; n++) {
            dst[n] = _mm256_add_ps(dst[n], _mm256_mul_ps(z[n + 3], _mm256_broadcast_ss(ws + n)));
            dst[9 + n] =
                _mm256_sub_ps(dst[9 + n], _mm256_mul_ps(z[n], _mm256_broadcast_ss(ws + 9 + n)));
        }
        for (unsigned n = 3; n < 9; n++)
            dst[n] = _mm256_sub_ps(dst[n], _mm256_mul_ps(z[8 - n], _mm256_broadcast_ss(ws + n)));
    }
    mpa_overlap_store_avx2(x, ovl, stride, mpa_odd_sign_avx2(first), r, masked, mk);
}

static void mpa_imdct12_avx2(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0)
{
    size_t s = 0;
    for (; s + 8 <= nsb; s += 8)
        mpa_imdct12_8_avx2(x + s, ovl + s, stride, sb0 + s, 0, _mm256_setzero_si256());
    if (s < nsb)
        mpa_imdct12_8_avx2(x + s, ovl + s, stride, sb0 + s, 1, mpa_first_lanes_avx2(nsb - s));
}

void segue_dsp_init_avx2(segue_dsp *dsp)
{
    dsp->f32_to_s16 = f32_to_s16_avx2;
    dsp->f32_to_s24 = f32_to_s24_avx2;
    dsp->f32_to_s32 = f32_to_s32_avx2;
    dsp->s16_to_f32 = s16_to_f32_avx2;
    dsp->s32_to_f32 = s32_to_f32_avx2;
    dsp->interleave2_f32 = interleave2_f32_avx2;
    dsp->deinterleave2_f32 = deinterleave2_f32_avx2;
    dsp->interleave_f32 = interleave_f32_avx2;
    dsp->deinterleave_f32 = deinterleave_f32_avx2;
    dsp->scale_add_f32 = scale_add_f32_avx2;
    dsp->scale_f32 = scale_f32_avx2;
    dsp->mpa_synth = mpa_synth_avx2;
    dsp->mpa_alias = mpa_alias_avx2;
    dsp->mpa_imdct36 = mpa_imdct36_avx2;
    dsp->mpa_imdct12 = mpa_imdct12_avx2;
}
