/*
 * simd/x86/dsp_aac_sse2.c - the AAC kernels with SSE2 (4 floats).
 *
 * The scalar kernels' arithmetic (simd/dsp_aac_scalar.c) in the same order
 * per element, several elements at a time, so the results match them bit
 * for bit up to the sign of zero:
 *   dequant: 4 values a step, pow43 looked up per lane, the sign put back
 *            with an xor;
 *   IMDCT:   pre-twiddle 4 k at a time scattered to bit-reversed order,
 *            radix-2 stages 1 and 2 on transposed 4x4 blocks, the others
 *            4 butterflies at a time, post-twiddle in place, the output
 *            spread from A and B by unpacking;
 *   window:  the long halves 4 at a time (falling halves read reversed);
 *            EIGHT_SHORT_SEQUENCE is the scalar kernel.
 */
#include <emmintrin.h>
#include <string.h>

#include "simd/x86/dsp_aac_x86.h"

static void aac_dequant_sse2(float *dst, const int16_t *q, size_t n, float gain)
{
    const __m128 g = _mm_set1_ps(gain);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)(q + i));
        v = _mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16);
        __m128i s = _mm_srai_epi32(v, 31);
        __m128i a = _mm_sub_epi32(_mm_xor_si128(v, s), s);
        int32_t idx[4];
        _mm_storeu_si128((__m128i *)(void *)idx, a);
        __m128 m = _mm_setr_ps(segue_aac_pow43[idx[0]], segue_aac_pow43[idx[1]],
                               segue_aac_pow43[idx[2]], segue_aac_pow43[idx[3]]);
        m = _mm_mul_ps(m, g);
        __m128 sign = _mm_castsi128_ps(_mm_slli_epi32(s, 31));
        _mm_storeu_ps(dst + i, _mm_xor_ps(m, sign));
    }
    segue_aac_dequant_scalar(dst + i, q + i, n - i, gain);
}

static void aac_imdct_sse2(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned q = 1u << (log2n - 2), h2 = q >> 1;
    float *re = work, *im = work + q;
    aac_imdct_pre_radix4(in, log2n, re, im);
    for (unsigned h = 4; h < q; h *= 2)
        aac_fft_stage4(re, im, q, h);
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    for (unsigned p = 0; p < q; p += 4) {
        __m128 c = _mm_loadu_ps(tc + p), s = _mm_loadu_ps(ts + p);
        __m128 xr = _mm_loadu_ps(re + p), xi = _mm_loadu_ps(im + p);
        _mm_storeu_ps(re + p, _mm_add_ps(_mm_mul_ps(xr, c), _mm_mul_ps(xi, s)));
        _mm_storeu_ps(im + p, _mm_sub_ps(_mm_mul_ps(xr, s), _mm_mul_ps(xi, c)));
    }
    const __m128 pos = _mm_setzero_ps(), neg = _mm_set1_ps(-0.0f);
    const float *A = re, *B = im;
    for (unsigned k = 0; k < h2; k += 4)
        aac_spread8(out + 2 * k, A + h2 + k, B + h2 - 1 - k, pos);
    for (unsigned k = 0; k < q; k += 4)
        aac_spread8(out + q + 2 * k, B + k, A + q - 1 - k, neg);
    for (unsigned k = 0; k < h2; k += 4)
        aac_spread8(out + 3 * q + 2 * k, A + k, B + q - 1 - k, neg);
}

/* out[i] = ov[i] + t[i] * w[i - w0] for i in [from, to). */
static inline void rise_run(float *out, const float *ov, const float *t, const float *w,
                            unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i += 4)
        _mm_storeu_ps(out + i, _mm_add_ps(_mm_loadu_ps(ov + i),
                                          _mm_mul_ps(_mm_loadu_ps(t + i), _mm_loadu_ps(w + i - from))));
}

/* ov[i] = t[i] * w_top[-(i - from)] for i in [from, to) (a falling half). */
static inline void fall_run(float *ov, const float *t, const float *w_top, unsigned from,
                            unsigned to)
{
    for (unsigned i = from; i < to; i += 4)
        _mm_storeu_ps(ov + i, _mm_mul_ps(_mm_loadu_ps(t + i),
                                         aac_reverse4(_mm_loadu_ps(w_top - (i - from) - 3))));
}

static void aac_window_overlap_sse2(float *out, float *overlap, const float *t,
                                    unsigned window_sequence, const float *left,
                                    const float *right)
{
    if (window_sequence == 2) {
        segue_aac_window_overlap_scalar(out, overlap, t, window_sequence, left, right);
        return;
    }
    if (window_sequence == 3) {
        memcpy(out, overlap, 448 * sizeof(float));
        rise_run(out, overlap, t, left, 448, 576);
        for (unsigned i = 576; i < 1024; i += 4)
            _mm_storeu_ps(out + i, _mm_add_ps(_mm_loadu_ps(overlap + i), _mm_loadu_ps(t + i)));
    } else {
        rise_run(out, overlap, t, left, 0, 1024);
    }
    if (window_sequence == 1) {
        memcpy(overlap, t + 1024, 448 * sizeof(float));
        fall_run(overlap, t + 1024, right + 127, 448, 576);
        memset(overlap + 576, 0, 448 * sizeof(float));
    } else {
        fall_run(overlap, t + 1024, right + 1023, 0, 1024);
    }
}

void segue_dsp_init_aac_sse2(segue_dsp *dsp)
{
    dsp->aac_dequant = aac_dequant_sse2;
    dsp->aac_imdct = aac_imdct_sse2;
    dsp->aac_window_overlap = aac_window_overlap_sse2;
}
