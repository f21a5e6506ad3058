/*
 * simd/dsp_atrac_scalar.c - the ATRAC3 synthesis kernels, scalar: the
 * specification of the atrac3_* entries of segue_dsp (simd/dsp.h).
 *
 * IMDCT derivation (M = 256 coefficients, N = 512 outputs). Let
 *   v[m] = sum_k X[k] cos(pi/M (m + 1/2)(k + 1/2))      (a DCT-IV)
 * so that y[n] = v[n + M/2], with v's symmetries v[2M-1-m] = -v[m] and
 * v[m + 2M] = -v[m] giving every y[n] from v[0..M-1]. Splitting X into
 * even and mirrored-odd halves, z[p] = (X[2p] - i X[M-1-2p]) e^{i pi p/M},
 * U = the unnormalised inverse DFT of z over M/2 points, and
 * U[q] *= e^{i pi (q + 1/4)/M}, then v[2q] = Re U[q] and
 * v[M-1-2q] = Im U[q] (expand cos(pi/M (2q+1/2)(2p+1/2)) into
 * 2 pi qp/(M/2) + pi p/M + pi (q + 1/4)/M). tests/atrac3/atrac3_unit.c
 * checks this against the direct sum.
 */
#include <string.h>

#include "simd/dsp_impl.h"

enum { FFT_POINTS = 128, FFT_LOG2 = 7, BAND = 256, QMF_DELAY = 46, QMF_TAPS = 48 };

/* In-place unnormalised inverse complex FFT of 128 points (exponent +),
 * interleaved re/im: radix-2, decimation in time after a bit reversal. */
static void fft128_inverse(float *z)
{
    for (unsigned i = 0; i < FFT_POINTS; i++) {
        unsigned r = 0;
        for (unsigned b = 0; b < FFT_LOG2; b++)
            r |= ((i >> b) & 1u) << (FFT_LOG2 - 1 - b);
        if (r > i) {
            float t = z[2 * i];
            z[2 * i] = z[2 * r];
            z[2 * r] = t;
            t = z[2 * i + 1];
            z[2 * i + 1] = z[2 * r + 1];
            z[2 * r + 1] = t;
        }
    }
    for (unsigned half = 1; half < FFT_POINTS; half *= 2) {
        unsigned stride = FFT_POINTS / (2 * half); /* twiddle index step */
        for (unsigned start = 0; start < FFT_POINTS; start += 2 * half) {
            for (unsigned j = 0; j < half; j++) {
                float wr = segue_atrac3_fft_cos[j * stride];
                float wi = segue_atrac3_fft_sin[j * stride];
                float *a = z + 2 * (start + j);
                float *b = z + 2 * (start + j + half);
                float br = b[0] * wr - b[1] * wi;
                float bi = b[0] * wi + b[1] * wr;
                b[0] = a[0] - br;
                b[1] = a[1] - bi;
                a[0] += br;
                a[1] += bi;
            }
        }
    }
}

void segue_atrac3_imlt_scalar(const float *in, int reversed, float scale, float *out, float *work)
{
    /* X[k] is in[k], or in[255 - k] for a mirrored (odd) band. */
    for (unsigned p = 0; p < FFT_POINTS; p++) {
        unsigned ke = 2 * p, ko = BAND - 1 - 2 * p;
        float re = reversed ? in[BAND - 1 - ke] : in[ke];
        float im = -(reversed ? in[BAND - 1 - ko] : in[ko]);
        float c = segue_atrac3_pre_cos[p], s = segue_atrac3_pre_sin[p];
        work[2 * p] = re * c - im * s;
        work[2 * p + 1] = re * s + im * c;
    }
    fft128_inverse(work);
    /* v[2q] and v[M-1-2q] land in out[256..511] (a free half, used as v[]
     * scratch), then y is spread from v by the symmetries above. */
    float *v = out + BAND;
    for (unsigned q = 0; q < FFT_POINTS; q++) {
        float c = segue_atrac3_post_cos[q] * scale, s = segue_atrac3_post_sin[q] * scale;
        float re = work[2 * q], im = work[2 * q + 1];
        v[2 * q] = re * c - im * s;
        v[BAND - 1 - 2 * q] = re * s + im * c;
    }
    /* y[n]: n < 128: v[n + 128]; 128 <= n < 384: -v[383 - n];
     * n >= 384: -v[n - 384]. Fill y[0..255] first (reads only v), keeping
     * v[0..127] for the top quarter in work. */
    memcpy(work, v, 128 * sizeof(float));
    for (unsigned n = 0; n < 128; n++)
        out[n] = v[n + 128];
    for (unsigned n = 128; n < 256; n++)
        out[n] = -v[383 - n];
    /* y[256..383] = -v[127..0] needs v[0..127] (kept in work); y[384..511]
     * = -v[0..127]. */
    for (unsigned n = 256; n < 384; n++)
        out[n] = -work[383 - n];
    for (unsigned n = 384; n < 512; n++)
        out[n] = -work[n - 384];
    for (unsigned n = 0; n < 512; n++)
        out[n] *= segue_atrac3_window[n];
}

void segue_atrac3_gain_overlap_scalar(float *out, const float *in, float *prev, float g_next,
                                      const segue_atrac3_gain *g)
{
    unsigned pos = 0;
    for (unsigned i = 0; i < g->num_points; i++) {
        unsigned start = g->start[i];
        float gain = g->gain[i], step = g->step[i];
        for (; pos < start; pos++)
            out[pos] = (in[pos] * g_next + prev[pos]) * gain;
        for (; pos < start + 8; pos++) {
            out[pos] = (in[pos] * g_next + prev[pos]) * gain;
            gain *= step;
        }
    }
    for (; pos < BAND; pos++)
        out[pos] = in[pos] * g_next + prev[pos];
    memcpy(prev, in + BAND, BAND * sizeof(float));
}

void segue_atrac3_qmf_synth_scalar(const float *low, const float *high, size_t n, float *out,
                                   float *delay, float *work)
{
    /* The sum and difference of the bands interleave into the filter
     * history, then each output pair is a 24-tap dot product on each
     * phase of the 48-tap window. */
    memcpy(work, delay, QMF_DELAY * sizeof(float));
    float *x = work + QMF_DELAY;
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = low[i] + high[i];
        x[2 * i + 1] = low[i] - high[i];
    }
    for (size_t j = 0; j < n; j++) {
        const float *p = work + 2 * j;
        float even = 0.0f, odd = 0.0f;
        for (unsigned t = 0; t < QMF_TAPS; t += 2) {
            even += p[t] * segue_atrac3_qmf_window[t];
            odd += p[t + 1] * segue_atrac3_qmf_window[t + 1];
        }
        out[2 * j] = odd;
        out[2 * j + 1] = even;
    }
    memcpy(delay, work + 2 * n, QMF_DELAY * sizeof(float));
}

void segue_dsp_init_atrac_scalar(segue_dsp *dsp)
{
    dsp->atrac3_imlt = segue_atrac3_imlt_scalar;
    dsp->atrac3_gain_overlap = segue_atrac3_gain_overlap_scalar;
    dsp->atrac3_qmf_synth = segue_atrac3_qmf_synth_scalar;
}
