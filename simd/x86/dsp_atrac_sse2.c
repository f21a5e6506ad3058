/*
 * simd/x86/dsp_atrac_sse2.c - the ATRAC3 kernels with SSE2 (4 floats).
 *
 * Every kernel does the scalar kernel's arithmetic (simd/dsp_atrac_scalar.c)
 * in the same order per element, only several elements at a time, so its
 * results match the scalar ones bit for bit up to the sign of zero:
 *   IMLT: the FFT in split re/im form (work[0..127] = re, [128..255] = im).
 *         The pre-twiddle writes straight to bit-reversed positions, four
 *         4-point groups per block in transposed form, so the first two
 *         radix-2 stages (twiddles 1 and fft[32]) run across groups; then
 *         the remaining stages run four butterflies at a time on
 *         contiguous per-stage twiddles. The post-twiddle works in place
 *         (A[q] = v[2q] over re, B[q] = v[255 - 2q] over im) and the
 *         output is spread from A and B with the window.
 *   gain: vector runs between the ramps; each 8-sample ramp's gains are
 *         the scalar repeated products.
 *   QMF:  on the pair-swapped history xs[i] = x[i ^ 1], out[o + l] =
 *         sum_m xs[o + l + 2m] h[2m + 1 - (l & 1)] is a plain 4-lane
 *         dot product over m (simd/dsp_atrac_tables.c, qmf_pair8).
 */
#include <emmintrin.h>
#include <string.h>

#include "simd/x86/dsp_atrac_x86.h"

enum { BAND = ATRAC3_BAND, QMF_DELAY = ATRAC3_QMF_DELAY };

/* Radix-2 stages of half-size 4 .. 64. */
static void fft_stages(float *re, float *im)
{
    for (unsigned half = 4; half < 128; half *= 2) {
        for (unsigned start = 0; start < 128; start += 2 * half) {
            for (unsigned j = 0; j < half; j += 4) {
                float *ar = re + start + j, *ai = im + start + j;
                float *bpr = ar + half, *bpi = ai + half;
                __m128 wr = _mm_load_ps(segue_atrac3_fft_stage_cos + half + j);
                __m128 wi = _mm_load_ps(segue_atrac3_fft_stage_sin + half + j);
                __m128 xr = _mm_loadu_ps(bpr), xi = _mm_loadu_ps(bpi);
                __m128 br = CMUL_RE(xr, xi, wr, wi), bi = CMUL_IM(xr, xi, wr, wi);
                __m128 a_r = _mm_loadu_ps(ar), a_i = _mm_loadu_ps(ai);
                _mm_storeu_ps(bpr, _mm_sub_ps(a_r, br));
                _mm_storeu_ps(bpi, _mm_sub_ps(a_i, bi));
                _mm_storeu_ps(ar, _mm_add_ps(a_r, br));
                _mm_storeu_ps(ai, _mm_add_ps(a_i, bi));
            }
        }
    }
}

/* out[8k .. 8k+7] = sign * w * interleave(f[k..k+3], r[-k-3 .. -k] reversed)
 * for the run: even positions from f ascending, odd from r descending. */
static inline void spread8(float *out, const float *w, const float *f, const float *r_top,
                           __m128 sign)
{
    __m128 a = _mm_loadu_ps(f);
    __m128 b = reverse4(_mm_loadu_ps(r_top - 3));
    __m128 lo = _mm_unpacklo_ps(a, b), hi = _mm_unpackhi_ps(a, b);
    _mm_storeu_ps(out, _mm_mul_ps(_mm_xor_ps(lo, sign), _mm_load_ps(w)));
    _mm_storeu_ps(out + 4, _mm_mul_ps(_mm_xor_ps(hi, sign), _mm_load_ps(w + 4)));
}

static void atrac3_imlt_sse2(const float *in, int reversed, float scale, float *out, float *work)
{
    float *re = work, *im = work + 128;
    atrac3_imlt_pre_radix4(in, reversed, re, im);
    fft_stages(re, im);
    /* Post-twiddle in place: A[q] = v[2q] over re[q], B[q] = v[255-2q]
     * over im[q]. */
    const __m128 vs = _mm_set1_ps(scale);
    for (unsigned q = 0; q < 128; q += 4) {
        __m128 c = _mm_mul_ps(_mm_load_ps(segue_atrac3_post_cos + q), vs);
        __m128 s = _mm_mul_ps(_mm_load_ps(segue_atrac3_post_sin + q), vs);
        __m128 r = _mm_loadu_ps(re + q), i = _mm_loadu_ps(im + q);
        _mm_storeu_ps(re + q, CMUL_RE(r, i, c, s));
        _mm_storeu_ps(im + q, CMUL_IM(r, i, c, s));
    }
    /* y[2k] = A[64 + k], y[2k+1] = B[63 - k] (k < 64); y[128 + 2k] = -B[k],
     * y[129 + 2k] = -A[127 - k] (k < 128); y[384 + 2k] = -A[k],
     * y[385 + 2k] = -B[127 - k] (k < 64); times the window. */
    const __m128 pos = _mm_setzero_ps(), neg = _mm_set1_ps(-0.0f);
    const float *A = re, *B = im, *w = segue_atrac3_window;
    for (unsigned k = 0; k < 64; k += 4)
        spread8(out + 2 * k, w + 2 * k, A + 64 + k, B + 63 - k, pos);
    for (unsigned k = 0; k < 128; k += 4)
        spread8(out + 128 + 2 * k, w + 128 + 2 * k, B + k, A + 127 - k, neg);
    for (unsigned k = 0; k < 64; k += 4)
        spread8(out + 384 + 2 * k, w + 384 + 2 * k, A + k, B + 127 - k, neg);
}

/* out[i] = (in[i] * gn + prev[i]) * g for i in [from, to), multiples of 4. */
static inline void gain_run(float *out, const float *in, const float *prev, __m128 gn, __m128 g,
                            unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i += 4) {
        __m128 v = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(in + i), gn), _mm_loadu_ps(prev + i));
        _mm_storeu_ps(out + i, _mm_mul_ps(v, g));
    }
}

static void atrac3_gain_overlap_sse2(float *out, const float *in, float *prev, float g_next,
                                     const segue_atrac3_gain *g)
{
    const __m128 gn = _mm_set1_ps(g_next);
    unsigned pos = 0;
    for (unsigned i = 0; i < g->num_points; i++) {
        unsigned start = g->start[i];
        gain_run(out, in, prev, gn, _mm_set1_ps(g->gain[i]), pos, start);
        float ramp[8];
        float gain = g->gain[i];
        for (unsigned r = 0; r < 8; r++) {
            ramp[r] = gain;
            gain *= g->step[i];
        }
        for (unsigned h = 0; h < 8; h += 4) {
            __m128 v = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(in + start + h), gn),
                                  _mm_loadu_ps(prev + start + h));
            _mm_storeu_ps(out + start + h, _mm_mul_ps(v, _mm_loadu_ps(ramp + h)));
        }
        pos = start + 8;
    }
    for (; pos < BAND; pos += 4)
        _mm_storeu_ps(out + pos,
                      _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(in + pos), gn), _mm_loadu_ps(prev + pos)));
    memcpy(prev, in + BAND, BAND * sizeof(float));
}

/* xs[0..45] = delay pair-swapped, then for i < n xs[46 + 2i] = low - high,
 * xs[47 + 2i] = low + high. */
static void qmf_fill_swapped(const float *low, const float *high, size_t n, const float *delay,
                             float *xs)
{
    atrac3_qmf_swap_in(delay, xs);
    float *x = xs + QMF_DELAY;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 l = _mm_loadu_ps(low + i), h = _mm_loadu_ps(high + i);
        __m128 s = _mm_add_ps(l, h), d = _mm_sub_ps(l, h);
        _mm_storeu_ps(x + 2 * i, _mm_unpacklo_ps(d, s));
        _mm_storeu_ps(x + 2 * i + 4, _mm_unpackhi_ps(d, s));
    }
    for (; i < n; i++) {
        x[2 * i] = low[i] - high[i];
        x[2 * i + 1] = low[i] + high[i];
    }
}

static void atrac3_qmf_synth_sse2(const float *low, const float *high, size_t n, float *out,
                                  float *delay, float *work)
{
    qmf_fill_swapped(low, high, n, delay, work);
    size_t o = 0;
    for (; o + 8 <= 2 * n; o += 8) {
        const float *p = work + o;
        __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps();
        for (unsigned m = 0; m < 24; m++) {
            __m128 h = _mm_load_ps(segue_atrac3_qmf_pair8 + 8 * m);
            a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(p + 2 * m), h));
            a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_loadu_ps(p + 2 * m + 4), h));
        }
        _mm_storeu_ps(out + o, a0);
        _mm_storeu_ps(out + o + 4, a1);
    }
    atrac3_qmf_finish(work, n, out, o, delay);
}

void segue_dsp_init_atrac_sse2(segue_dsp *dsp)
{
    dsp->atrac3_imlt = atrac3_imlt_sse2;
    dsp->atrac3_gain_overlap = atrac3_gain_overlap_sse2;
    dsp->atrac3_qmf_synth = atrac3_qmf_synth_sse2;
}
