/*
 * simd/x86/dsp_atrac_x86.h - 128-bit parts shared by dsp_atrac_sse2.c and
 * dsp_atrac_avx2.c (static inline: each file compiles them with its own
 * ISA flags). Included only by those files.
 */
#ifndef SEGUE_SIMD_X86_DSP_ATRAC_X86_H
#define SEGUE_SIMD_X86_DSP_ATRAC_X86_H

#include <emmintrin.h>
#include <stddef.h>

#include "simd/dsp_impl.h"

enum { ATRAC3_BAND = 256, ATRAC3_QMF_DELAY = 46 };

/* a*c - b*s and a*s + b*c, as the scalar kernel rounds them. */
#define CMUL_RE(ar, ai, c, s) _mm_sub_ps(_mm_mul_ps(ar, c), _mm_mul_ps(ai, s))
#define CMUL_IM(ar, ai, c, s) _mm_add_ps(_mm_mul_ps(ar, s), _mm_mul_ps(ai, c))

static inline __m128 reverse4(__m128 v)
{
    return _mm_shuffle_ps(v, v, _MM_SHUFFLE(0, 1, 2, 3));
}

/* Pre-twiddle to bit-reversed order fused with the radix-2 stages of
 * half-size 1 and 2. */
static inline void atrac3_imlt_pre_radix4(const float *in, int reversed, float *re, float *im)
{
    /* z[p] = (X[2p], -X[255-2p]) rotated; X[k] = in[k] or in[255 - k]. */
    const float *xe = reversed ? in + ATRAC3_BAND - 1 : in;  /* X[2p] at xe[+-2p] */
    const float *xo = reversed ? in : in + ATRAC3_BAND - 1;  /* X[255-2p] at xo[-+2p] */
    const int dir = reversed ? -1 : 1;
    const __m128 c2 = _mm_set1_ps(segue_atrac3_fft_stage_cos[3]);
    const __m128 s2 = _mm_set1_ps(segue_atrac3_fft_stage_sin[3]);
    for (unsigned b = 0; b < 8; b++) {
        __m128 vr[4], vi[4];
        for (unsigned e = 0; e < 4; e++) {
            const uint8_t *pi = segue_atrac3_pre_index + 16 * b + 4 * e;
            float a[4], o[4];
            for (unsigned g = 0; g < 4; g++) {
                ptrdiff_t off = (ptrdiff_t)(2 * pi[g]) * dir;
                a[g] = xe[off];
                o[g] = xo[-off];
            }
            __m128 x = _mm_loadu_ps(a), y = _mm_loadu_ps(o);
            __m128 c = _mm_load_ps(segue_atrac3_pre_cos_perm + 16 * b + 4 * e);
            __m128 s = _mm_load_ps(segue_atrac3_pre_sin_perm + 16 * b + 4 * e);
            /* re*c - (-y)*s == re*c + y*s, re*s + (-y)*c == re*s - y*c
             * exactly (IEEE subtraction is addition of the negation). */
            vr[e] = _mm_add_ps(_mm_mul_ps(x, c), _mm_mul_ps(y, s));
            vi[e] = _mm_sub_ps(_mm_mul_ps(x, s), _mm_mul_ps(y, c));
        }
        /* Half-size 1: (0,1), (2,3) with twiddle 1. */
        __m128 r0 = _mm_add_ps(vr[0], vr[1]), i0 = _mm_add_ps(vi[0], vi[1]);
        __m128 r1 = _mm_sub_ps(vr[0], vr[1]), i1 = _mm_sub_ps(vi[0], vi[1]);
        __m128 r2 = _mm_add_ps(vr[2], vr[3]), i2 = _mm_add_ps(vi[2], vi[3]);
        __m128 r3 = _mm_sub_ps(vr[2], vr[3]), i3 = _mm_sub_ps(vi[2], vi[3]);
        /* Half-size 2: (0,2) with twiddle 1, (1,3) with fft[32]. */
        __m128 br = CMUL_RE(r3, i3, c2, s2), bi = CMUL_IM(r3, i3, c2, s2);
        __m128 o0r = _mm_add_ps(r0, r2), o0i = _mm_add_ps(i0, i2);
        __m128 o2r = _mm_sub_ps(r0, r2), o2i = _mm_sub_ps(i0, i2);
        __m128 o1r = _mm_add_ps(r1, br), o1i = _mm_add_ps(i1, bi);
        __m128 o3r = _mm_sub_ps(r1, br), o3i = _mm_sub_ps(i1, bi);
        _MM_TRANSPOSE4_PS(o0r, o1r, o2r, o3r);
        _MM_TRANSPOSE4_PS(o0i, o1i, o2i, o3i);
        float *dr = re + 16 * b, *di = im + 16 * b;
        _mm_storeu_ps(dr, o0r);
        _mm_storeu_ps(dr + 4, o1r);
        _mm_storeu_ps(dr + 8, o2r);
        _mm_storeu_ps(dr + 12, o3r);
        _mm_storeu_ps(di, o0i);
        _mm_storeu_ps(di + 4, o1i);
        _mm_storeu_ps(di + 8, o2i);
        _mm_storeu_ps(di + 12, o3i);
    }
}

/* xs[0..45] = delay pair-swapped: xs[i] = delay[i ^ 1]. */
static inline void atrac3_qmf_swap_in(const float *delay, float *xs)
{
    for (unsigned i = 0; i < ATRAC3_QMF_DELAY; i += 2) {
        xs[i] = delay[i + 1];
        xs[i + 1] = delay[i];
    }
}

/* Outputs o .. 2n - 1 one at a time in the scalar order, then the delay
 * from the swapped history. */
static inline void atrac3_qmf_finish(const float *xs, size_t n, float *out, size_t o, float *delay)
{
    for (; o < 2 * n; o++) {
        float acc = 0.0f;
        for (unsigned m = 0; m < 24; m++)
            acc += xs[o + 2 * m] * segue_atrac3_qmf_pair8[8 * m + (o & 1u)];
        out[o] = acc;
    }
    for (unsigned i = 0; i < ATRAC3_QMF_DELAY; i += 2) {
        delay[i] = xs[2 * n + i + 1];
        delay[i + 1] = xs[2 * n + i];
    }
}

#endif
