/*
 * simd/x86/dsp_aac_avx2.c - the AAC kernels with AVX2 (8 floats).
 *
 * The algorithms of dsp_aac_sse2.c (see there) with the FFT stages of
 * half-size 8 and up, the post-twiddle, the output spread and the window
 * runs 8 lanes wide, and pow43 read with a gather; the pre-twiddle and the
 * first three FFT stages are the shared 128-bit code. Same arithmetic in
 * the same order per element as the scalar kernels (no fused
 * multiply-adds), so bit-exact up to the sign of zero.
 */
#include <immintrin.h>
#include <string.h>

#include "simd/x86/dsp_aac_x86.h"

#define CMUL8_RE(ar, ai, c, s) _mm256_sub_ps(_mm256_mul_ps(ar, c), _mm256_mul_ps(ai, s))
#define CMUL8_IM(ar, ai, c, s) _mm256_add_ps(_mm256_mul_ps(ar, s), _mm256_mul_ps(ai, c))

static void aac_dequant_avx2(float *dst, const int16_t *q, size_t n, float gain)
{
    const __m256 g = _mm256_set1_ps(gain);
    const __m256i signbit = _mm256_set1_epi32((int)0x80000000u);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(q + i)));
        __m256 m = _mm256_i32gather_ps(segue_aac_pow43, _mm256_abs_epi32(v), 4);
        m = _mm256_mul_ps(m, g);
        _mm256_storeu_ps(dst + i, _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_and_si256(v, signbit))));
    }
    if (i + 4 <= n) { /* bands are multiples of 4 long */
        __m128i v = _mm_cvtepi16_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(q + i)));
        __m128 m = _mm_mul_ps(_mm_i32gather_ps(segue_aac_pow43, _mm_abs_epi32(v), 4),
                              _mm256_castps256_ps128(g));
        _mm_storeu_ps(dst + i, _mm_xor_ps(m, _mm_castsi128_ps(_mm_and_si128(
                                                 v, _mm256_castsi256_si128(signbit)))));
        i += 4;
    }
    segue_aac_dequant_scalar(dst + i, q + i, n - i, gain);
}

static inline __m256 reverse8(__m256 v)
{
    return _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0));
}

/* out[0..15] = sign * interleave(f[0..7], r_top[0], r_top[-1], ...). */
static inline void spread16(float *out, const float *f, const float *r_top, __m256 sign)
{
    __m256 a = _mm256_loadu_ps(f);
    __m256 b = reverse8(_mm256_loadu_ps(r_top - 7));
    __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
    _mm256_storeu_ps(out, _mm256_xor_ps(_mm256_permute2f128_ps(lo, hi, 0x20), sign));
    _mm256_storeu_ps(out + 8, _mm256_xor_ps(_mm256_permute2f128_ps(lo, hi, 0x31), sign));
}

static void aac_imdct_avx2(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned q = 1u << (log2n - 2), h2 = q >> 1;
    float *re = work, *im = work + q;
    aac_imdct_pre_radix4(in, log2n, re, im);
    aac_fft_stage4(re, im, q, 4);
    for (unsigned h = 8; h < q; h *= 2) {
        for (unsigned start = 0; start < q; start += 2 * h) {
            for (unsigned j = 0; j < h; j += 8) {
                float *ar = re + start + j, *ai = im + start + j;
                __m256 wr = _mm256_loadu_ps(segue_aac_fft_cos + h + j);
                __m256 wi = _mm256_loadu_ps(segue_aac_fft_sin + h + j);
                __m256 xr = _mm256_loadu_ps(ar + h), xi = _mm256_loadu_ps(ai + h);
                __m256 br = CMUL8_RE(xr, xi, wr, wi), bi = CMUL8_IM(xr, xi, wr, wi);
                __m256 a_r = _mm256_loadu_ps(ar), a_i = _mm256_loadu_ps(ai);
                _mm256_storeu_ps(ar + h, _mm256_sub_ps(a_r, br));
                _mm256_storeu_ps(ai + h, _mm256_sub_ps(a_i, bi));
                _mm256_storeu_ps(ar, _mm256_add_ps(a_r, br));
                _mm256_storeu_ps(ai, _mm256_add_ps(a_i, bi));
            }
        }
    }
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    for (unsigned p = 0; p < q; p += 8) {
        __m256 c = _mm256_loadu_ps(tc + p), s = _mm256_loadu_ps(ts + p);
        __m256 xr = _mm256_loadu_ps(re + p), xi = _mm256_loadu_ps(im + p);
        _mm256_storeu_ps(re + p, _mm256_add_ps(_mm256_mul_ps(xr, c), _mm256_mul_ps(xi, s)));
        _mm256_storeu_ps(im + p, _mm256_sub_ps(_mm256_mul_ps(xr, s), _mm256_mul_ps(xi, c)));
    }
    const __m256 pos = _mm256_setzero_ps(), neg = _mm256_set1_ps(-0.0f);
    const float *A = re, *B = im;
    for (unsigned k = 0; k < h2; k += 8)
        spread16(out + 2 * k, A + h2 + k, B + h2 - 1 - k, pos);
    for (unsigned k = 0; k < q; k += 8)
        spread16(out + q + 2 * k, B + k, A + q - 1 - k, neg);
    for (unsigned k = 0; k < h2; k += 8)
        spread16(out + 3 * q + 2 * k, A + k, B + q - 1 - k, neg);
}

static inline void rise_run8(float *out, const float *ov, const float *t, const float *w,
                             unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i += 8)
        _mm256_storeu_ps(out + i,
                         _mm256_add_ps(_mm256_loadu_ps(ov + i),
                                       _mm256_mul_ps(_mm256_loadu_ps(t + i),
                                                     _mm256_loadu_ps(w + i - from))));
}

static inline void fall_run8(float *ov, const float *t, const float *w_top, unsigned from,
                             unsigned to)
{
    for (unsigned i = from; i < to; i += 8)
        _mm256_storeu_ps(ov + i, _mm256_mul_ps(_mm256_loadu_ps(t + i),
                                               reverse8(_mm256_loadu_ps(w_top - (i - from) - 7))));
}

static void aac_window_overlap_avx2(float *out, float *overlap, const float *t,
                                    unsigned window_sequence, const float *left,
                                    const float *right)
{
    if (window_sequence == 2) {
        segue_aac_window_overlap_scalar(out, overlap, t, window_sequence, left, right);
        return;
    }
    if (window_sequence == 3) {
        memcpy(out, overlap, 448 * sizeof(float));
        rise_run8(out, overlap, t, left, 448, 576);
        for (unsigned i = 576; i < 1024; i += 8)
            _mm256_storeu_ps(out + i,
                             _mm256_add_ps(_mm256_loadu_ps(overlap + i), _mm256_loadu_ps(t + i)));
    } else {
        rise_run8(out, overlap, t, left, 0, 1024);
    }
    if (window_sequence == 1) {
        memcpy(overlap, t + 1024, 448 * sizeof(float));
        fall_run8(overlap, t + 1024, right + 127, 448, 576);
        memset(overlap + 576, 0, 448 * sizeof(float));
    } else {
        fall_run8(overlap, t + 1024, right + 1023, 0, 1024);
    }
}

void segue_dsp_init_aac_avx2(segue_dsp *dsp)
{
    dsp->aac_dequant = aac_dequant_avx2;
    dsp->aac_imdct = aac_imdct_avx2;
    dsp->aac_window_overlap = aac_window_overlap_avx2;
}
