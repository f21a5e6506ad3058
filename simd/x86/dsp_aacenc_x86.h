/*
 * simd/x86/dsp_aacenc_x86.h - 128-bit parts of the AAC encoder kernels
 * shared by dsp_aacenc_sse2.c and dsp_aacenc_avx2.c (static inline: each file
 * compiles them with its own ISA flags). Included only by those files.
 *
 * The forward MDCT's fold, pre-twiddle, radix-2 FFT stages and
 * post-twiddle, four elements at a time, with the operations of
 * simd/dsp_aacenc_scalar.c in the same order per element (separate
 * multiplies and adds: neither file is built with -mfma), so the results
 * equal the scalar kernel's bit for bit up to the sign of zero.
 */
#ifndef SEGUE_SIMD_X86_DSP_AACENC_X86_H
#define SEGUE_SIMD_X86_DSP_AACENC_X86_H

#include <emmintrin.h>
#include <stddef.h>

#include "simd/dsp_impl.h"

static inline __m128 aacenc_rev4(__m128 v)
{
    return _mm_shuffle_ps(v, v, _MM_SHUFFLE(0, 1, 2, 3));
}

/* p[0], p[2], p[4], p[6]. */
static inline __m128 aacenc_even4(const float *p)
{
    return _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _MM_SHUFFLE(2, 0, 2, 0));
}

/* p[0], p[-2], p[-4], p[-6] (p points at the first, highest element). */
static inline __m128 aacenc_down4(const float *p)
{
    return _mm_shuffle_ps(_mm_loadu_ps(p - 3), _mm_loadu_ps(p - 7), _MM_SHUFFLE(1, 3, 1, 3));
}

/* Fold and pre-twiddle of z[k .. k+3] (dsp_aacenc_scalar.c, with Q = N/4,
 * M = 2Q):
 *   u[2k]     = -in[3Q+2k] - in[3Q-1-2k]    k < Q/2,
 *             =  in[2k-Q]  - in[3Q-1-2k]    k >= Q/2;
 *   u[M-1-2k] =  in[Q-1-2k] - in[Q+2k]      k < Q/2,
 *             = -in[5Q-1-2k] - in[Q+2k]     k >= Q/2;
 * z[k] = (2 u[2k] + i 2 u[M-1-2k]) e^(-i theta_k). k is a multiple of 4
 * and Q/2 of 8, so no group of four straddles Q/2. */
static inline void aacenc_pre4(const float *in, unsigned q, unsigned k, const float *tc,
                               const float *ts, __m128 *zr, __m128 *zi)
{
    const __m128 neg = _mm_set1_ps(-0.0f);
    __m128 xr, xi;
    __m128 b = aacenc_down4(in + 3 * q - 1 - 2 * k), c = aacenc_even4(in + q + 2 * k);
    if (k < q / 2) {
        xr = _mm_sub_ps(_mm_xor_ps(aacenc_even4(in + 3 * q + 2 * k), neg), b);
        xi = _mm_sub_ps(aacenc_down4(in + q - 1 - 2 * k), c);
    } else {
        xr = _mm_sub_ps(aacenc_even4(in + 2 * k - q), b);
        xi = _mm_sub_ps(_mm_xor_ps(aacenc_down4(in + 5 * q - 1 - 2 * k), neg), c);
    }
    xr = _mm_add_ps(xr, xr); /* the factor 2 (dsp_aacenc_scalar.c) */
    xi = _mm_add_ps(xi, xi);
    __m128 cs = _mm_loadu_ps(tc + k), sn = _mm_loadu_ps(ts + k);
    *zr = _mm_add_ps(_mm_mul_ps(xr, cs), _mm_mul_ps(xi, sn));
    *zi = _mm_sub_ps(_mm_mul_ps(xi, cs), _mm_mul_ps(xr, sn));
}

/* Pre-twiddle, bit reversal and the radix-2 stages of half-size 1 and 2.
 * Point P = 4t + j of the bit-reversed array holds z[rev(P)], and rev(4t +
 * j) = rev(4t) + (0, Q/2, Q/4, 3Q/4)[j] with rev(4t) < Q/4: so for four
 * consecutive r = rev(4t) the four points of their blocks are z at r, r +
 * Q/2, r + Q/4, r + 3Q/4, four contiguous groups of k. Both stages run on
 * those vectors (lane = block), then a 4x4 transpose stores each block.
 * The stages' twiddles are 1 (h = 1; h = 2, j = 0) and -i (h = 2, j = 1):
 * the scalar butterfly's products by 0 and 1 are exact, so the adds and
 * subtracts here give its results up to the sign of zero. */
static inline void aacenc_mdct_pre_radix4(const float *in, unsigned log2n, float *re, float *im)
{
    unsigned q = 1u << (log2n - 2), shift = log2n == 11 ? 0u : 3u;
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    for (unsigned r = 0; r < q / 4; r += 4) {
        __m128 r0, i0, r1, i1, r2, i2, r3, i3;
        aacenc_pre4(in, q, r, tc, ts, &r0, &i0);
        aacenc_pre4(in, q, r + q / 2, tc, ts, &r1, &i1);
        aacenc_pre4(in, q, r + q / 4, tc, ts, &r2, &i2);
        aacenc_pre4(in, q, r + 3 * q / 4, tc, ts, &r3, &i3);
        /* h = 1: (0, 1) and (2, 3), twiddle 1. */
        __m128 sr0 = _mm_add_ps(r0, r1), si0 = _mm_add_ps(i0, i1);
        __m128 sr1 = _mm_sub_ps(r0, r1), si1 = _mm_sub_ps(i0, i1);
        __m128 sr2 = _mm_add_ps(r2, r3), si2 = _mm_add_ps(i2, i3);
        __m128 sr3 = _mm_sub_ps(r2, r3), si3 = _mm_sub_ps(i2, i3);
        /* h = 2: (0, 2) twiddle 1; (1, 3) twiddle -i: b w = (im b, -re b). */
        r0 = _mm_add_ps(sr0, sr2), i0 = _mm_add_ps(si0, si2);
        r2 = _mm_sub_ps(sr0, sr2), i2 = _mm_sub_ps(si0, si2);
        r1 = _mm_add_ps(sr1, si3), i1 = _mm_sub_ps(si1, sr3);
        r3 = _mm_sub_ps(sr1, si3), i3 = _mm_add_ps(si1, sr3);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _MM_TRANSPOSE4_PS(i0, i1, i2, i3);
        unsigned p0 = (unsigned)segue_aac_bitrev512[r] >> shift;
        unsigned p1 = (unsigned)segue_aac_bitrev512[r + 1] >> shift;
        unsigned p2 = (unsigned)segue_aac_bitrev512[r + 2] >> shift;
        unsigned p3 = (unsigned)segue_aac_bitrev512[r + 3] >> shift;
        _mm_storeu_ps(re + p0, r0), _mm_storeu_ps(im + p0, i0);
        _mm_storeu_ps(re + p1, r1), _mm_storeu_ps(im + p1, i1);
        _mm_storeu_ps(re + p2, r2), _mm_storeu_ps(im + p2, i2);
        _mm_storeu_ps(re + p3, r3), _mm_storeu_ps(im + p3, i3);
    }
}

/* One radix-2 stage of half-size h >= 4, four butterflies at a time. */
static inline void aacenc_fft_stage4(float *re, float *im, unsigned q, unsigned h)
{
    for (unsigned start = 0; start < q; start += 2 * h)
        for (unsigned j = 0; j < h; j += 4) {
            __m128 wr = _mm_loadu_ps(segue_aac_fft_cos + h + j);
            __m128 wi = _mm_loadu_ps(segue_aac_fft_sin + h + j);
            float *ra = re + start + j, *ia = im + start + j;
            __m128 xr = _mm_loadu_ps(ra + h), xi = _mm_loadu_ps(ia + h);
            __m128 br = _mm_sub_ps(_mm_mul_ps(xr, wr), _mm_mul_ps(xi, wi));
            __m128 bi = _mm_add_ps(_mm_mul_ps(xr, wi), _mm_mul_ps(xi, wr));
            __m128 ar = _mm_loadu_ps(ra), ai = _mm_loadu_ps(ia);
            _mm_storeu_ps(ra + h, _mm_sub_ps(ar, br));
            _mm_storeu_ps(ia + h, _mm_sub_ps(ai, bi));
            _mm_storeu_ps(ra, _mm_add_ps(ar, br));
            _mm_storeu_ps(ia, _mm_add_ps(ai, bi));
        }
}

/* Quantises 4 values (the scalar kernel's operations; min returns its
 * second operand, 8191, for NaN as the scalar comparison does), stores
 * them as int16 and returns max(mx, their magnitudes) in int16 lanes. */
static inline __m128i aacenc_quant4(int16_t *q, const float *x, const float *x34, __m128 is,
                                    __m128 rd, __m128i mx)
{
    __m128 v = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(x34), is), rd);
    __m128i a = _mm_cvttps_epi32(_mm_min_ps(v, _mm_set1_ps(8191.0f)));
    __m128i s = _mm_castps_si128(_mm_cmplt_ps(_mm_loadu_ps(x), _mm_setzero_ps()));
    a = _mm_packs_epi32(a, a);
    s = _mm_packs_epi32(s, s);
    _mm_storel_epi64((__m128i *)(void *)q, _mm_sub_epi16(_mm_xor_si128(a, s), s));
    return _mm_max_epi16(mx, a);
}

static inline int aacenc_hmax_epi16(__m128i m)
{
    m = _mm_max_epi16(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_max_epi16(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    m = _mm_max_epi16(m, _mm_shufflelo_epi16(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return (int16_t)_mm_cvtsi128_si32(m);
}

/* Post-twiddle and output: A[p] = Re v[p] to out[2p], B[p] = -Im v[p] to
 * out[M-1-2p]; out[2p .. 2p+7] interleaves A[p..p+3] with B[Q-1-p ..
 * Q-4-p]. A and B are formed in place over re and im first. */
static inline void aacenc_mdct_post(float *out, float *re, float *im, unsigned log2n)
{
    unsigned q = 1u << (log2n - 2);
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    for (unsigned p = 0; p < q; p += 4) {
        __m128 cs = _mm_loadu_ps(tc + p), sn = _mm_loadu_ps(ts + p);
        __m128 xr = _mm_loadu_ps(re + p), xi = _mm_loadu_ps(im + p);
        _mm_storeu_ps(re + p, _mm_add_ps(_mm_mul_ps(xr, cs), _mm_mul_ps(xi, sn)));
        _mm_storeu_ps(im + p, _mm_sub_ps(_mm_mul_ps(xr, sn), _mm_mul_ps(xi, cs)));
    }
    for (unsigned p = 0; p < q; p += 4) {
        __m128 a = _mm_loadu_ps(re + p), b = aacenc_rev4(_mm_loadu_ps(im + q - 4 - p));
        _mm_storeu_ps(out + 2 * p, _mm_unpacklo_ps(a, b));
        _mm_storeu_ps(out + 2 * p + 4, _mm_unpackhi_ps(a, b));
    }
}

#endif
