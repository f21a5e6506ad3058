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
