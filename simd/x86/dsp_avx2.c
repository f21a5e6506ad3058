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
}
