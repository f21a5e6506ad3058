/*
 * simd/x86/dsp_atrac_avx2.c - the ATRAC3 kernels with AVX2 (8 floats).
 *
 * The same algorithms as dsp_atrac_sse2.c (see there), with the FFT stages
 * of half-size 8 and up, the post-twiddle, the output spread, the gain runs
 * and the QMF dot products 8 lanes wide; the pre-twiddle and first two FFT
 * stages are the shared 128-bit code. Same arithmetic in the same order per
 * element as the scalar kernels (no fused multiply-adds), so bit-exact up
 * to the sign of zero.
 */
#include <immintrin.h>
#include <string.h>

#include "simd/x86/dsp_atrac_x86.h"

enum { BAND = ATRAC3_BAND };

#define CMUL8_RE(ar, ai, c, s) _mm256_sub_ps(_mm256_mul_ps(ar, c), _mm256_mul_ps(ai, s))
#define CMUL8_IM(ar, ai, c, s) _mm256_add_ps(_mm256_mul_ps(ar, s), _mm256_mul_ps(ai, c))

static void fft_stages_avx2(float *re, float *im)
{
    /* Half-size 4: 4-lane butterflies (both halves of a 256-bit vector
     * would straddle a and b). */
    for (unsigned start = 0; start < 128; start += 8) {
        float *ar = re + start, *ai = im + start;
        __m128 wr = _mm_load_ps(segue_atrac3_fft_stage_cos + 4);
        __m128 wi = _mm_load_ps(segue_atrac3_fft_stage_sin + 4);
        __m128 xr = _mm_loadu_ps(ar + 4), xi = _mm_loadu_ps(ai + 4);
        __m128 br = CMUL_RE(xr, xi, wr, wi), bi = CMUL_IM(xr, xi, wr, wi);
        __m128 a_r = _mm_loadu_ps(ar), a_i = _mm_loadu_ps(ai);
        _mm_storeu_ps(ar + 4, _mm_sub_ps(a_r, br));
        _mm_storeu_ps(ai + 4, _mm_sub_ps(a_i, bi));
        _mm_storeu_ps(ar, _mm_add_ps(a_r, br));
        _mm_storeu_ps(ai, _mm_add_ps(a_i, bi));
    }
    for (unsigned half = 8; half < 128; half *= 2) {
        for (unsigned start = 0; start < 128; start += 2 * half) {
            for (unsigned j = 0; j < half; j += 8) {
                float *ar = re + start + j, *ai = im + start + j;
                __m256 wr = _mm256_load_ps(segue_atrac3_fft_stage_cos + half + j);
                __m256 wi = _mm256_load_ps(segue_atrac3_fft_stage_sin + half + j);
                __m256 xr = _mm256_loadu_ps(ar + half), xi = _mm256_loadu_ps(ai + half);
                __m256 br = CMUL8_RE(xr, xi, wr, wi), bi = CMUL8_IM(xr, xi, wr, wi);
                __m256 a_r = _mm256_loadu_ps(ar), a_i = _mm256_loadu_ps(ai);
                _mm256_storeu_ps(ar + half, _mm256_sub_ps(a_r, br));
                _mm256_storeu_ps(ai + half, _mm256_sub_ps(a_i, bi));
                _mm256_storeu_ps(ar, _mm256_add_ps(a_r, br));
                _mm256_storeu_ps(ai, _mm256_add_ps(a_i, bi));
            }
        }
    }
}

static inline __m256 reverse8(__m256 v)
{
    return _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0));
}

/* out[0..15] = sign * w * interleave(f[0..7], r_top[0], r_top[-1], ...). */
static inline void spread16(float *out, const float *w, const float *f, const float *r_top,
                            __m256 sign)
{
    __m256 a = _mm256_loadu_ps(f);
    __m256 b = reverse8(_mm256_loadu_ps(r_top - 7));
    /* unpack works per 128-bit lane: lo = a0 b0 a1 b1 | a4 b4 a5 b5. */
    __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
    __m256 first = _mm256_permute2f128_ps(lo, hi, 0x20);
    __m256 second = _mm256_permute2f128_ps(lo, hi, 0x31);
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_xor_ps(first, sign), _mm256_load_ps(w)));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_xor_ps(second, sign), _mm256_load_ps(w + 8)));
}

static void atrac3_imlt_avx2(const float *in, int reversed, float scale, float *out, float *work)
{
    float *re = work, *im = work + 128;
    atrac3_imlt_pre_radix4(in, reversed, re, im);
    fft_stages_avx2(re, im);
    const __m256 vs = _mm256_set1_ps(scale);
    for (unsigned q = 0; q < 128; q += 8) {
        __m256 c = _mm256_mul_ps(_mm256_load_ps(segue_atrac3_post_cos + q), vs);
        __m256 s = _mm256_mul_ps(_mm256_load_ps(segue_atrac3_post_sin + q), vs);
        __m256 r = _mm256_loadu_ps(re + q), i = _mm256_loadu_ps(im + q);
        _mm256_storeu_ps(re + q, CMUL8_RE(r, i, c, s));
        _mm256_storeu_ps(im + q, CMUL8_IM(r, i, c, s));
    }
    const __m256 pos = _mm256_setzero_ps(), neg = _mm256_set1_ps(-0.0f);
    const float *A = re, *B = im, *w = segue_atrac3_window;
    for (unsigned k = 0; k < 64; k += 8)
        spread16(out + 2 * k, w + 2 * k, A + 64 + k, B + 63 - k, pos);
    for (unsigned k = 0; k < 128; k += 8)
        spread16(out + 128 + 2 * k, w + 128 + 2 * k, B + k, A + 127 - k, neg);
    for (unsigned k = 0; k < 64; k += 8)
        spread16(out + 384 + 2 * k, w + 384 + 2 * k, A + k, B + 127 - k, neg);
}

static inline void gain_run8(float *out, const float *in, const float *prev, __m256 gn, __m256 g,
                             unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i += 8) {
        __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(in + i), gn),
                                 _mm256_loadu_ps(prev + i));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(v, g));
    }
}

static void atrac3_gain_overlap_avx2(float *out, const float *in, float *prev, float g_next,
                                     const segue_atrac3_gain *g)
{
    const __m256 gn = _mm256_set1_ps(g_next);
    unsigned pos = 0;
    for (unsigned i = 0; i < g->num_points; i++) {
        unsigned start = g->start[i];
        gain_run8(out, in, prev, gn, _mm256_set1_ps(g->gain[i]), pos, start);
        float ramp[8];
        float gain = g->gain[i];
        for (unsigned r = 0; r < 8; r++) {
            ramp[r] = gain;
            gain *= g->step[i];
        }
        gain_run8(out + start, in + start, prev + start, gn, _mm256_loadu_ps(ramp), 0, 8);
        pos = start + 8;
    }
    for (; pos < BAND; pos += 8)
        _mm256_storeu_ps(out + pos, _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(in + pos), gn),
                                                  _mm256_loadu_ps(prev + pos)));
    memcpy(prev, in + BAND, BAND * sizeof(float));
}

static void atrac3_qmf_synth_avx2(const float *low, const float *high, size_t n, float *out,
                                  float *delay, float *work)
{
    atrac3_qmf_swap_in(delay, work);
    float *x = work + ATRAC3_QMF_DELAY;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 l = _mm256_loadu_ps(low + i), h = _mm256_loadu_ps(high + i);
        __m256 s = _mm256_add_ps(l, h), d = _mm256_sub_ps(l, h);
        __m256 lo = _mm256_unpacklo_ps(d, s), hi = _mm256_unpackhi_ps(d, s);
        _mm256_storeu_ps(x + 2 * i, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(x + 2 * i + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    for (; i < n; i++) {
        x[2 * i] = low[i] - high[i];
        x[2 * i + 1] = low[i] + high[i];
    }
    size_t o = 0;
    for (; o + 16 <= 2 * n; o += 16) {
        const float *p = work + o;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (unsigned m = 0; m < 24; m++) {
            __m256 h = _mm256_load_ps(segue_atrac3_qmf_pair8 + 8 * m);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(p + 2 * m), h));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(p + 2 * m + 8), h));
        }
        _mm256_storeu_ps(out + o, a0);
        _mm256_storeu_ps(out + o + 8, a1);
    }
    atrac3_qmf_finish(work, n, out, o, delay);
}

void segue_dsp_init_atrac_avx2(segue_dsp *dsp)
{
    dsp->atrac3_imlt = atrac3_imlt_avx2;
    dsp->atrac3_gain_overlap = atrac3_gain_overlap_avx2;
    dsp->atrac3_qmf_synth = atrac3_qmf_synth_avx2;
}
