/*
 * simd/x86/dsp_sse2.c - SSE2 kernels (compiled with -msse2).
 *
 * Every load and store is unaligned: callers pass arbitrary sub-buffers.
 * Tails go to the scalar kernels so they are the specification by
 * construction. Float->int conversions clamp in float with the scalar bounds
 * before _mm_cvtps_epi32, whose MXCSR default rounding is the same
 * ties-to-even lrintf uses.
 */
#include <emmintrin.h>

#include "simd/dsp_impl.h"

static void f32_to_s16_sse2(int16_t *dst, const float *src, size_t n)
{
    const __m128 scale = _mm_set1_ps(SEGUE_S16_SCALE_F);
    const __m128 lo = _mm_set1_ps(SEGUE_S16_MIN_F);
    const __m128 hi = _mm_set1_ps(SEGUE_S16_MAX_F);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), scale);
        __m128 b = _mm_mul_ps(_mm_loadu_ps(src + i + 4), scale);
        a = _mm_min_ps(_mm_max_ps(a, lo), hi);
        b = _mm_min_ps(_mm_max_ps(b, lo), hi);
        /* Already in range, so the saturating pack only narrows. */
        __m128i s = _mm_packs_epi32(_mm_cvtps_epi32(a), _mm_cvtps_epi32(b));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), s);
    }
    segue_f32_to_s16_scalar(dst + i, src + i, n - i);
}

static void f32_to_s32_clamped_sse2(int32_t *dst, const float *src, size_t n, float scale_f,
                                    float min_f, float max_f)
{
    const __m128 scale = _mm_set1_ps(scale_f);
    const __m128 lo = _mm_set1_ps(min_f);
    const __m128 hi = _mm_set1_ps(max_f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), scale);
        __m128 b = _mm_mul_ps(_mm_loadu_ps(src + i + 4), scale);
        a = _mm_min_ps(_mm_max_ps(a, lo), hi);
        b = _mm_min_ps(_mm_max_ps(b, lo), hi);
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_cvtps_epi32(a));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 4), _mm_cvtps_epi32(b));
    }
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), scale);
        a = _mm_min_ps(_mm_max_ps(a, lo), hi);
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_cvtps_epi32(a));
    }
}

static void f32_to_s24_sse2(int32_t *dst, const float *src, size_t n)
{
    size_t body = n & ~(size_t)3;
    f32_to_s32_clamped_sse2(dst, src, body, SEGUE_S24_SCALE_F, SEGUE_S24_MIN_F, SEGUE_S24_MAX_F);
    segue_f32_to_s24_scalar(dst + body, src + body, n - body);
}

static void f32_to_s32_sse2(int32_t *dst, const float *src, size_t n)
{
    size_t body = n & ~(size_t)3;
    f32_to_s32_clamped_sse2(dst, src, body, SEGUE_S32_SCALE_F, SEGUE_S32_MIN_F, SEGUE_S32_MAX_F);
    segue_f32_to_s32_scalar(dst + body, src + body, n - body);
}

static void s16_to_f32_sse2(float *dst, const int16_t *src, size_t n)
{
    const __m128 scale = _mm_set1_ps(SEGUE_S16_INV_SCALE_F);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i s = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        /* SSE2 has no pmovsxwd: interleave each sample with its sign mask. */
        __m128i sign = _mm_cmplt_epi16(s, _mm_setzero_si128());
        __m128i a = _mm_unpacklo_epi16(s, sign);
        __m128i b = _mm_unpackhi_epi16(s, sign);
        _mm_storeu_ps(dst + i, _mm_mul_ps(_mm_cvtepi32_ps(a), scale));
        _mm_storeu_ps(dst + i + 4, _mm_mul_ps(_mm_cvtepi32_ps(b), scale));
    }
    segue_s16_to_f32_scalar(dst + i, src + i, n - i);
}

static void s32_to_f32_sse2(float *dst, const int32_t *src, size_t n, float scale_f)
{
    const __m128 scale = _mm_set1_ps(scale_f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 4));
        _mm_storeu_ps(dst + i, _mm_mul_ps(_mm_cvtepi32_ps(a), scale));
        _mm_storeu_ps(dst + i + 4, _mm_mul_ps(_mm_cvtepi32_ps(b), scale));
    }
    segue_s32_to_f32_scalar(dst + i, src + i, n - i, scale_f);
}

static void interleave2_f32_sse2(float *dst, const float *l, const float *r, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_loadu_ps(l + i);
        __m128 b = _mm_loadu_ps(r + i);
        _mm_storeu_ps(dst + 2 * i, _mm_unpacklo_ps(a, b));
        _mm_storeu_ps(dst + 2 * i + 4, _mm_unpackhi_ps(a, b));
    }
    segue_interleave2_f32_scalar(dst + 2 * i, l + i, r + i, n - i);
}

static void deinterleave2_f32_sse2(float *l, float *r, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_loadu_ps(src + 2 * i);
        __m128 b = _mm_loadu_ps(src + 2 * i + 4);
        _mm_storeu_ps(l + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm_storeu_ps(r + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    segue_deinterleave2_f32_scalar(l + i, r + i, src + 2 * i, n - i);
}

/* A 4x4 transpose is its own inverse: it turns 4 planes x 4 frames into
 * 4 frames x 4 channels for interleaving, and back for deinterleaving. */
static void transpose4_sse2(__m128 *r0, __m128 *r1, __m128 *r2, __m128 *r3)
{
    __m128 t0 = _mm_unpacklo_ps(*r0, *r1);
    __m128 t1 = _mm_unpackhi_ps(*r0, *r1);
    __m128 t2 = _mm_unpacklo_ps(*r2, *r3);
    __m128 t3 = _mm_unpackhi_ps(*r2, *r3);
    *r0 = _mm_movelh_ps(t0, t2);
    *r1 = _mm_movehl_ps(t2, t0);
    *r2 = _mm_movelh_ps(t1, t3);
    *r3 = _mm_movehl_ps(t3, t1);
}

/* Any channel count: per block of 4 frames, channels go in groups of 4
 * (transpose, one 16-byte store per frame), then a pair (one 8-byte store
 * per frame), then a single channel. Frames outermost keeps each block of
 * the interleaved buffer in cache while all its channels are written. */
static void interleave_f32_sse2(float *dst, const float *const *planes, unsigned channels,
                                size_t n)
{
    if (channels == 2) {
        interleave2_f32_sse2(dst, planes[0], planes[1], n);
        return;
    }
    const size_t stride = channels;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float *out = dst + i * stride;
        unsigned c = 0;
        for (; c + 4 <= channels; c += 4) {
            __m128 a = _mm_loadu_ps(planes[c] + i);
            __m128 b = _mm_loadu_ps(planes[c + 1] + i);
            __m128 d = _mm_loadu_ps(planes[c + 2] + i);
            __m128 e = _mm_loadu_ps(planes[c + 3] + i);
            transpose4_sse2(&a, &b, &d, &e);
            _mm_storeu_ps(out + c, a);
            _mm_storeu_ps(out + stride + c, b);
            _mm_storeu_ps(out + 2 * stride + c, d);
            _mm_storeu_ps(out + 3 * stride + c, e);
        }
        if (c + 2 <= channels) {
            __m128 a = _mm_loadu_ps(planes[c] + i);
            __m128 b = _mm_loadu_ps(planes[c + 1] + i);
            __m128 lo = _mm_unpacklo_ps(a, b);
            __m128 hi = _mm_unpackhi_ps(a, b);
            _mm_storel_pi((__m64 *)(void *)(out + c), lo);
            _mm_storeh_pi((__m64 *)(void *)(out + stride + c), lo);
            _mm_storel_pi((__m64 *)(void *)(out + 2 * stride + c), hi);
            _mm_storeh_pi((__m64 *)(void *)(out + 3 * stride + c), hi);
            c += 2;
        }
        if (c < channels) {
            const float *p = planes[c] + i;
            out[c] = p[0];
            out[stride + c] = p[1];
            out[2 * stride + c] = p[2];
            out[3 * stride + c] = p[3];
        }
    }
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            dst[i * stride + c] = planes[c][i];
        }
    }
}

static void deinterleave_f32_sse2(float *const *planes, const float *src, unsigned channels,
                                  size_t n)
{
    if (channels == 2) {
        deinterleave2_f32_sse2(planes[0], planes[1], src, n);
        return;
    }
    const size_t stride = channels;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float *in = src + i * stride;
        unsigned c = 0;
        for (; c + 4 <= channels; c += 4) {
            __m128 a = _mm_loadu_ps(in + c);
            __m128 b = _mm_loadu_ps(in + stride + c);
            __m128 d = _mm_loadu_ps(in + 2 * stride + c);
            __m128 e = _mm_loadu_ps(in + 3 * stride + c);
            transpose4_sse2(&a, &b, &d, &e);
            _mm_storeu_ps(planes[c] + i, a);
            _mm_storeu_ps(planes[c + 1] + i, b);
            _mm_storeu_ps(planes[c + 2] + i, d);
            _mm_storeu_ps(planes[c + 3] + i, e);
        }
        if (c + 2 <= channels) {
            __m128 v0 = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(in + c));
            v0 = _mm_loadh_pi(v0, (const __m64 *)(const void *)(in + stride + c));
            __m128 v1 = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(in + 2 * stride + c));
            v1 = _mm_loadh_pi(v1, (const __m64 *)(const void *)(in + 3 * stride + c));
            _mm_storeu_ps(planes[c] + i, _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)));
            _mm_storeu_ps(planes[c + 1] + i, _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1)));
            c += 2;
        }
        if (c < channels) {
            float *p = planes[c] + i;
            p[0] = in[c];
            p[1] = in[stride + c];
            p[2] = in[2 * stride + c];
            p[3] = in[3 * stride + c];
        }
    }
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            planes[c][i] = src[i * stride + c];
        }
    }
}

static void scale_add_f32_sse2(float *dst, const float *src, float gain, size_t n)
{
    const __m128 g = _mm_set1_ps(gain);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 a = _mm_add_ps(_mm_loadu_ps(dst + i), _mm_mul_ps(_mm_loadu_ps(src + i), g));
        __m128 b = _mm_add_ps(_mm_loadu_ps(dst + i + 4), _mm_mul_ps(_mm_loadu_ps(src + i + 4), g));
        _mm_storeu_ps(dst + i, a);
        _mm_storeu_ps(dst + i + 4, b);
    }
    segue_scale_add_f32_scalar(dst + i, src + i, gain, n - i);
}

static void scale_f32_sse2(float *dst, const float *src, float gain, size_t n)
{
    const __m128 g = _mm_set1_ps(gain);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        /* Both loads before the stores: dst may equal src. */
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), g);
        __m128 b = _mm_mul_ps(_mm_loadu_ps(src + i + 4), g);
        _mm_storeu_ps(dst + i, a);
        _mm_storeu_ps(dst + i + 4, b);
    }
    segue_scale_f32_scalar(dst + i, src + i, gain, n - i);
}

void segue_dsp_init_sse2(segue_dsp *dsp)
{
    dsp->f32_to_s16 = f32_to_s16_sse2;
    dsp->f32_to_s24 = f32_to_s24_sse2;
    dsp->f32_to_s32 = f32_to_s32_sse2;
    dsp->s16_to_f32 = s16_to_f32_sse2;
    dsp->s32_to_f32 = s32_to_f32_sse2;
    dsp->interleave2_f32 = interleave2_f32_sse2;
    dsp->deinterleave2_f32 = deinterleave2_f32_sse2;
    dsp->interleave_f32 = interleave_f32_sse2;
    dsp->deinterleave_f32 = deinterleave_f32_sse2;
    dsp->scale_add_f32 = scale_add_f32_sse2;
    dsp->scale_f32 = scale_f32_sse2;
}
