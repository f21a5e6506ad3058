/*
 * simd/x86/dsp_aacenc_avx2.c - the AAC encoder kernels with AVX2 (8 floats),
 * simd/dsp.h; scalar specification in simd/dsp_aacenc_scalar.c.
 *
 * Per element the same operations in the same order as the scalar kernels
 * (no -mfma: multiplies and adds stay separate):
 *   mdct:        fold, twiddles and the first FFT stages as the SSE2 kernel
 *                (dsp_aacenc_x86.h), the stages of half-size >= 8 eight
 *                butterflies at a time - bit-exact;
 *   pow34:       sqrt(|x| sqrt(|x|)) - exact;
 *   quantize:    16 values a step, then 4, min with 8191 (NaN gives 8191, as the
 *                scalar comparison), truncation, signs from x < 0 - exact;
 *   quant_error: pow43 gathered, squares summed in 8 float lanes - within
 *                the declared tolerance.
 * Tails shorter than a vector go to the scalar kernels.
 */
#include <immintrin.h>

#include "simd/x86/dsp_aacenc_x86.h"

static void fft_stage8(float *re, float *im, unsigned q, unsigned h)
{
    for (unsigned start = 0; start < q; start += 2 * h)
        for (unsigned j = 0; j < h; j += 8) {
            __m256 wr = _mm256_loadu_ps(segue_aac_fft_cos + h + j);
            __m256 wi = _mm256_loadu_ps(segue_aac_fft_sin + h + j);
            float *ra = re + start + j, *ia = im + start + j;
            __m256 xr = _mm256_loadu_ps(ra + h), xi = _mm256_loadu_ps(ia + h);
            __m256 br = _mm256_sub_ps(_mm256_mul_ps(xr, wr), _mm256_mul_ps(xi, wi));
            __m256 bi = _mm256_add_ps(_mm256_mul_ps(xr, wi), _mm256_mul_ps(xi, wr));
            __m256 ar = _mm256_loadu_ps(ra), ai = _mm256_loadu_ps(ia);
            _mm256_storeu_ps(ra + h, _mm256_sub_ps(ar, br));
            _mm256_storeu_ps(ia + h, _mm256_sub_ps(ai, bi));
            _mm256_storeu_ps(ra, _mm256_add_ps(ar, br));
            _mm256_storeu_ps(ia, _mm256_add_ps(ai, bi));
        }
}

static void aacenc_mdct_avx2(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned q = 1u << (log2n - 2);
    float *re = work, *im = work + q;
    aacenc_mdct_pre_radix4(in, log2n, re, im);
    aacenc_fft_stage4(re, im, q, 4);
    for (unsigned h = 8; h < q; h *= 2)
        fft_stage8(re, im, q, h);
    aacenc_mdct_post(out, re, im, log2n);
}

static void aacenc_pow34_avx2(float *dst, const float *x, size_t n)
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + i), absmask);
        _mm256_storeu_ps(dst + i, _mm256_sqrt_ps(_mm256_mul_ps(a, _mm256_sqrt_ps(a))));
    }
    segue_aacenc_pow34_scalar(dst + i, x + i, n - i);
}

static int aacenc_quantize_avx2(int16_t *q, const float *x, const float *x34, size_t n,
                                float istep, float rounding)
{
    const __m256 is = _mm256_set1_ps(istep), rd = _mm256_set1_ps(rounding);
    const __m256 lim = _mm256_set1_ps(8191.0f), zero = _mm256_setzero_ps();
    __m256i mx = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 v0 = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x34 + i), is), rd);
        __m256 v1 = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x34 + i + 8), is), rd);
        /* min(v, 8191): the second operand when v is NaN. */
        __m256i a0 = _mm256_cvttps_epi32(_mm256_min_ps(v0, lim));
        __m256i a1 = _mm256_cvttps_epi32(_mm256_min_ps(v1, lim));
        __m256i s0 = _mm256_castps_si256(_mm256_cmp_ps(_mm256_loadu_ps(x + i), zero, _CMP_LT_OQ));
        __m256i s1 = _mm256_castps_si256(_mm256_cmp_ps(_mm256_loadu_ps(x + i + 8), zero, _CMP_LT_OQ));
        /* packs works per 128-bit lane: reorder the quadwords after it. */
        __m256i a = _mm256_permute4x64_epi64(_mm256_packs_epi32(a0, a1), _MM_SHUFFLE(3, 1, 2, 0));
        __m256i s = _mm256_permute4x64_epi64(_mm256_packs_epi32(s0, s1), _MM_SHUFFLE(3, 1, 2, 0));
        mx = _mm256_max_epi16(mx, a);
        _mm256_storeu_si256((__m256i *)(void *)(q + i), _mm256_sub_epi16(_mm256_xor_si256(a, s), s));
    }
    __m128i m = _mm_max_epi16(_mm256_castsi256_si128(mx), _mm256_extracti128_si256(mx, 1));
    const __m128 is4 = _mm_set1_ps(istep), rd4 = _mm_set1_ps(rounding);
    for (; i + 4 <= n; i += 4)
        m = aacenc_quant4(q + i, x + i, x34 + i, is4, rd4, m);
    int mv = aacenc_hmax_epi16(m);
    int t = segue_aacenc_quantize_scalar(q + i, x + i, x34 + i, n - i, istep, rounding);
    return t > mv ? t : mv;
}

static float aacenc_quant_error_avx2(const float *x, const int16_t *q, size_t n, float step)
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 st = _mm256_set1_ps(step);
    const __m256i top = _mm256_set1_epi32(8191);
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + i));
        __m256i a = _mm256_min_epi32(_mm256_abs_epi32(_mm256_cvtepi16_epi32(v)), top);
        __m256 p = _mm256_i32gather_ps(segue_aac_pow43, a, 4);
        __m256 d = _mm256_sub_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), absmask), _mm256_mul_ps(p, st));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(d, d));
    }
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    float tail = segue_aacenc_quant_error_scalar(x + i, q + i, n - i, step);
    return _mm_cvtss_f32(s) + tail;
}

void segue_dsp_init_aacenc_avx2(segue_dsp *dsp)
{
    dsp->aacenc_mdct = aacenc_mdct_avx2;
    dsp->aacenc_pow34 = aacenc_pow34_avx2;
    dsp->aacenc_quantize = aacenc_quantize_avx2;
    dsp->aacenc_quant_error = aacenc_quant_error_avx2;
}
