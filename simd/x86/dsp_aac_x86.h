/*
 * simd/x86/dsp_aac_x86.h - 128-bit IMDCT parts of dsp_aac_sse2.c (static
 * inline, compiled with the including file's ISA flags; dsp_aac_avx2.c
 * includes it for the common headers and has its own 8-wide IMDCT).
 * Included only by those files.
 *
 * Same operations in the same order per element as simd/dsp_aac_scalar.c,
 * separate multiplies and adds (no -mfma in either file), so the results
 * match the scalar kernels bit for bit up to the sign of zero.
 */
#ifndef SEGUE_SIMD_X86_DSP_AAC_X86_H
#define SEGUE_SIMD_X86_DSP_AAC_X86_H

#include <emmintrin.h>
#include <stddef.h>

#include "simd/dsp_impl.h"

#define AAC_CMUL_RE(ar, ai, c, s) _mm_sub_ps(_mm_mul_ps(ar, c), _mm_mul_ps(ai, s))
#define AAC_CMUL_IM(ar, ai, c, s) _mm_add_ps(_mm_mul_ps(ar, s), _mm_mul_ps(ai, c))

static inline __m128 aac_reverse4(__m128 v)
{
    return _mm_shuffle_ps(v, v, _MM_SHUFFLE(0, 1, 2, 3));
}

/* The pre-twiddle, four k at a time, scattered to the bit-reversed
 * positions, then the radix-2 stages of half-size 1 and 2 on 4x4
 * transposed blocks (groups of 4 consecutive points, 4 groups a block). */
static inline void aac_imdct_pre_radix4(const float *in, unsigned log2n, float *re, float *im)
{
    unsigned n = 1u << log2n, m = n >> 1, q = n >> 2, shift = log2n == 11 ? 0u : 3u;
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    const __m128 scale = _mm_set1_ps(2.0f / (float)n);
    for (unsigned k = 0; k < q; k += 4) {
        __m128 e0 = _mm_loadu_ps(in + 2 * k), e1 = _mm_loadu_ps(in + 2 * k + 4);
        __m128 xr = _mm_shuffle_ps(e0, e1, _MM_SHUFFLE(2, 0, 2, 0));
        /* in[m-1-2k], in[m-3-2k], in[m-5-2k], in[m-7-2k]. */
        __m128 d = _mm_loadu_ps(in + m - 4 - 2 * k), c = _mm_loadu_ps(in + m - 8 - 2 * k);
        __m128 xi = _mm_shuffle_ps(d, c, _MM_SHUFFLE(1, 3, 1, 3));
        __m128 wc = _mm_loadu_ps(tc + k), ws = _mm_loadu_ps(ts + k);
        __m128 zr = _mm_mul_ps(_mm_add_ps(_mm_mul_ps(xr, wc), _mm_mul_ps(xi, ws)), scale);
        __m128 zi = _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(xi, wc), _mm_mul_ps(xr, ws)), scale);
        float fr[4], fi[4];
        _mm_storeu_ps(fr, zr);
        _mm_storeu_ps(fi, zi);
        for (unsigned j = 0; j < 4; j++) {
            unsigned r = (unsigned)segue_aac_bitrev512[k + j] >> shift;
            re[r] = fr[j];
            im[r] = fi[j];
        }
    }
    const __m128 w1c = _mm_set1_ps(segue_aac_fft_cos[1]), w1s = _mm_set1_ps(segue_aac_fft_sin[1]);
    const __m128 w2c = _mm_set1_ps(segue_aac_fft_cos[2]), w2s = _mm_set1_ps(segue_aac_fft_sin[2]);
    const __m128 w3c = _mm_set1_ps(segue_aac_fft_cos[3]), w3s = _mm_set1_ps(segue_aac_fft_sin[3]);
    for (unsigned b = 0; b < q; b += 16) {
        __m128 r0 = _mm_loadu_ps(re + b), r1 = _mm_loadu_ps(re + b + 4);
        __m128 r2 = _mm_loadu_ps(re + b + 8), r3 = _mm_loadu_ps(re + b + 12);
        __m128 i0 = _mm_loadu_ps(im + b), i1 = _mm_loadu_ps(im + b + 4);
        __m128 i2 = _mm_loadu_ps(im + b + 8), i3 = _mm_loadu_ps(im + b + 12);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _MM_TRANSPOSE4_PS(i0, i1, i2, i3);
        /* Half-size 1: (0, 1) and (2, 3) with w[1]. */
        __m128 br = AAC_CMUL_RE(r1, i1, w1c, w1s), bi = AAC_CMUL_IM(r1, i1, w1c, w1s);
        r1 = _mm_sub_ps(r0, br);
        i1 = _mm_sub_ps(i0, bi);
        r0 = _mm_add_ps(r0, br);
        i0 = _mm_add_ps(i0, bi);
        br = AAC_CMUL_RE(r3, i3, w1c, w1s);
        bi = AAC_CMUL_IM(r3, i3, w1c, w1s);
        r3 = _mm_sub_ps(r2, br);
        i3 = _mm_sub_ps(i2, bi);
        r2 = _mm_add_ps(r2, br);
        i2 = _mm_add_ps(i2, bi);
        /* Half-size 2: (0, 2) with w[2], (1, 3) with w[3]. */
        br = AAC_CMUL_RE(r2, i2, w2c, w2s);
        bi = AAC_CMUL_IM(r2, i2, w2c, w2s);
        r2 = _mm_sub_ps(r0, br);
        i2 = _mm_sub_ps(i0, bi);
        r0 = _mm_add_ps(r0, br);
        i0 = _mm_add_ps(i0, bi);
        br = AAC_CMUL_RE(r3, i3, w3c, w3s);
        bi = AAC_CMUL_IM(r3, i3, w3c, w3s);
        r3 = _mm_sub_ps(r1, br);
        i3 = _mm_sub_ps(i1, bi);
        r1 = _mm_add_ps(r1, br);
        i1 = _mm_add_ps(i1, bi);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _MM_TRANSPOSE4_PS(i0, i1, i2, i3);
        _mm_storeu_ps(re + b, r0);
        _mm_storeu_ps(re + b + 4, r1);
        _mm_storeu_ps(re + b + 8, r2);
        _mm_storeu_ps(re + b + 12, r3);
        _mm_storeu_ps(im + b, i0);
        _mm_storeu_ps(im + b + 4, i1);
        _mm_storeu_ps(im + b + 8, i2);
        _mm_storeu_ps(im + b + 12, i3);
    }
}

/* One radix-2 stage of half-size h (a multiple of 4), 4 lanes. */
static inline void aac_fft_stage4(float *re, float *im, unsigned q, unsigned h)
{
    for (unsigned start = 0; start < q; start += 2 * h) {
        for (unsigned j = 0; j < h; j += 4) {
            float *ar = re + start + j, *ai = im + start + j;
            __m128 wr = _mm_loadu_ps(segue_aac_fft_cos + h + j);
            __m128 wi = _mm_loadu_ps(segue_aac_fft_sin + h + j);
            __m128 xr = _mm_loadu_ps(ar + h), xi = _mm_loadu_ps(ai + h);
            __m128 br = AAC_CMUL_RE(xr, xi, wr, wi), bi = AAC_CMUL_IM(xr, xi, wr, wi);
            __m128 a_r = _mm_loadu_ps(ar), a_i = _mm_loadu_ps(ai);
            _mm_storeu_ps(ar + h, _mm_sub_ps(a_r, br));
            _mm_storeu_ps(ai + h, _mm_sub_ps(a_i, bi));
            _mm_storeu_ps(ar, _mm_add_ps(a_r, br));
            _mm_storeu_ps(ai, _mm_add_ps(a_i, bi));
        }
    }
}

/* out[0..7] = sign * interleave(f[0..3], r_top[0], r_top[-1], ...). */
static inline void aac_spread8(float *out, const float *f, const float *r_top, __m128 sign)
{
    __m128 a = _mm_loadu_ps(f);
    __m128 b = aac_reverse4(_mm_loadu_ps(r_top - 3));
    _mm_storeu_ps(out, _mm_xor_ps(_mm_unpacklo_ps(a, b), sign));
    _mm_storeu_ps(out + 4, _mm_xor_ps(_mm_unpackhi_ps(a, b), sign));
}

#endif
