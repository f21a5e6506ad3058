/*
 * simd/x86/dsp_aacenc_sse2.c - the AAC encoder kernels with SSE2 (4 floats),
 * simd/dsp.h; scalar specification in simd/dsp_aacenc_scalar.c.
 *
 * Per element the same operations in the same order as the scalar kernels:
 *   mdct:        dsp_aacenc_x86.h (fold and pre-twiddle 4 k at a time, the
 *                first two FFT stages scalar, the others 4 butterflies at a
 *                time, post-twiddle and interleaved output) - bit-exact;
 *   pow34:       sqrt(|x| sqrt(|x|)) with correctly rounded sqrtps - exact;
 *   quantize:    x34 * istep + rounding, min with 8191 (minps returns its
 *                second operand for NaN, as the scalar comparison does),
 *                truncation, the sign from x < 0 - exact;
 *   quant_error: pow43 looked up per lane, squares summed in 4 float lanes
 *                (not the scalar's double): within the declared tolerance.
 * The quantiser takes 8 values a step, then 4; shorter tails (bands are
 * multiples of 4, so only odd calls) and other kernels' tails go to the
 * scalar kernels.
 */
#include <emmintrin.h>

#include "simd/x86/dsp_aacenc_x86.h"

static void aacenc_mdct_sse2(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned q = 1u << (log2n - 2);
    float *re = work, *im = work + q;
    aacenc_mdct_pre_radix4(in, log2n, re, im);
    for (unsigned h = 4; h < q; h *= 2)
        aacenc_fft_stage4(re, im, q, h);
    aacenc_mdct_post(out, re, im, log2n);
}

static void aacenc_pow34_sse2(float *dst, const float *x, size_t n)
{
    const __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7FFFFFFF));
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_and_ps(_mm_loadu_ps(x + i), absmask);
        _mm_storeu_ps(dst + i, _mm_sqrt_ps(_mm_mul_ps(a, _mm_sqrt_ps(a))));
    }
    segue_aacenc_pow34_scalar(dst + i, x + i, n - i);
}

static int aacenc_quantize_sse2(int16_t *q, const float *x, const float *x34, size_t n,
                                float istep, float rounding)
{
    const __m128 is = _mm_set1_ps(istep), rd = _mm_set1_ps(rounding), lim = _mm_set1_ps(8191.0f);
    const __m128 zero = _mm_setzero_ps();
    __m128i mx = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 v0 = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(x34 + i), is), rd);
        __m128 v1 = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(x34 + i + 4), is), rd);
        __m128i a0 = _mm_cvttps_epi32(_mm_min_ps(v0, lim));
        __m128i a1 = _mm_cvttps_epi32(_mm_min_ps(v1, lim));
        __m128i s0 = _mm_castps_si128(_mm_cmplt_ps(_mm_loadu_ps(x + i), zero));
        __m128i s1 = _mm_castps_si128(_mm_cmplt_ps(_mm_loadu_ps(x + i + 4), zero));
        __m128i a = _mm_packs_epi32(a0, a1), s = _mm_packs_epi32(s0, s1);
        mx = _mm_max_epi16(mx, a);
        _mm_storeu_si128((__m128i *)(void *)(q + i), _mm_sub_epi16(_mm_xor_si128(a, s), s));
    }
    if (i + 4 <= n) {
        mx = aacenc_quant4(q + i, x + i, x34 + i, is, rd, mx);
        i += 4;
    }
    int m = aacenc_hmax_epi16(mx);
    int t = segue_aacenc_quantize_scalar(q + i, x + i, x34 + i, n - i, istep, rounding);
    return t > m ? t : m;
}

static float aacenc_quant_error_sse2(const float *x, const int16_t *q, size_t n, float step)
{
    const __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7FFFFFFF));
    const __m128 st = _mm_set1_ps(step);
    __m128 acc = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        unsigned a[4];
        for (unsigned j = 0; j < 4; j++) {
            int v = q[i + j];
            unsigned u = v < 0 ? (unsigned)-v : (unsigned)v;
            a[j] = u < 8191u ? u : 8191u;
        }
        __m128 p = _mm_setr_ps(segue_aac_pow43[a[0]], segue_aac_pow43[a[1]],
                               segue_aac_pow43[a[2]], segue_aac_pow43[a[3]]);
        __m128 d = _mm_sub_ps(_mm_and_ps(_mm_loadu_ps(x + i), absmask), _mm_mul_ps(p, st));
        acc = _mm_add_ps(acc, _mm_mul_ps(d, d));
    }
    float l[4];
    _mm_storeu_ps(l, acc);
    float tail = segue_aacenc_quant_error_scalar(x + i, q + i, n - i, step);
    return ((l[0] + l[1]) + (l[2] + l[3])) + tail;
}

void segue_dsp_init_aacenc_sse2(segue_dsp *dsp)
{
    dsp->aacenc_mdct = aacenc_mdct_sse2;
    dsp->aacenc_pow34 = aacenc_pow34_sse2;
    dsp->aacenc_quantize = aacenc_quantize_sse2;
    dsp->aacenc_quant_error = aacenc_quant_error_sse2;
}
