/*
 * simd/dsp_aacenc_scalar.c - the AAC-LC encoder kernels, scalar: the
 * specification of the aacenc_* entries of segue_dsp (simd/dsp.h).
 *
 * Forward MDCT. With M = N/2 and Q = N/4, the MDCT of 14496-3 4.6.11.3.1
 * (the transform whose inverse the decoder's IMDCT is),
 *   X[k] = sum_{n<N} in[n] cos(2 pi / N (n + n0)(k + 1/2)), n0 = M/2 + 1/2,
 * is the DCT-IV X[k] = sum_{m<M} u[m] cos(pi / M (m + 1/2)(k + 1/2)) of the
 * folded input (m = n + M/2; the DCT-IV basis is odd about m = M - 1/2 and
 * antiperiodic in 2M):
 *   u[m] = -in[3M/2 + m] - in[3M/2 - 1 - m]    m < M/2,
 *   u[m] =  in[m - M/2]  - in[3M/2 - 1 - m]    M/2 <= m < M.
 * The DCT-IV runs as the decoder's IMDCT does (simd/dsp_aac_scalar.c): with
 * z[k] = (u[2k] + i u[M-1-2k]) e^(-i 2 pi (k + 1/8)/N), T = FFT_Q(z)
 * (exponent -) and v[p] = T[p] e^(-i 2 pi (p + 1/8)/N), X[2p] = Re v[p] and
 * X[M-1-2p] = -Im v[p]; it uses the same twiddle, FFT stage and bit
 * reversal tables and the same radix-2 butterflies (reimplemented here:
 * the decoder's kernel file is its own).
 *
 * Scaling: the kernel returns 2 X (the factor 2 of the analysis in
 * 14496-3's informative encoder description). The decoder's IMDCT scales by
 * 2/N, and sum_k cos(.)cos(.) over the M = N/2 lines is N/4 per term, so
 * IMDCT(2 X) is the windowed block plus its time-domain alias, and the
 * windowing and overlap-add of aac_window_overlap (Princen-Bradley windows)
 * give back x exactly: the encoder feeds samples on the scale it wants the
 * decoder's output on. tests/simd/check_aacenc_kernels.c checks the
 * reconstruction for long and short blocks, sine and KBD windows. The
 * factor is applied to the folded input (a power of two: exact).
 *
 * Tolerances (declared in simd/dsp.h): MDCT outputs within
 * SEGUE_DSP_AACENC_TOLERANCE_REL of the call's peak |out|; pow34 and the
 * quantiser are exact (sqrt is correctly rounded in IEEE arithmetic, and
 * the quantiser's products are computed in this order without contraction:
 * C11 mode leaves -ffp-contract off); the quantisation error within
 * SEGUE_DSP_AACENC_ERROR_TOLERANCE_REL of the result (vector kernels sum in
 * a different order; this one sums in double).
 */
#include <math.h>

#include "simd/dsp_impl.h"

static void fft_radix2(float *re, float *im, unsigned q)
{
    for (unsigned h = 1; h < q; h *= 2) {
        for (unsigned start = 0; start < q; start += 2 * h) {
            for (unsigned j = 0; j < h; j++) {
                float wr = segue_aac_fft_cos[h + j], wi = segue_aac_fft_sin[h + j];
                unsigned a = start + j, b = a + h;
                float br = re[b] * wr - im[b] * wi;
                float bi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - br;
                im[b] = im[a] - bi;
                re[a] += br;
                im[a] += bi;
            }
        }
    }
}

/* u[m] of the fold above. */
static float fold(const float *in, unsigned m, unsigned mm)
{
    unsigned h = mm / 2;
    if (m < h) {
        return -in[3 * h + m] - in[3 * h - 1 - m];
    }
    return in[m - h] - in[3 * h - 1 - m];
}

void segue_aacenc_mdct_scalar(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned n = 1u << log2n, m = n >> 1, q = n >> 2, shift = log2n == 11 ? 0u : 3u;
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    float *re = work, *im = work + q;
    for (unsigned k = 0; k < q; k++) {
        float xr = 2.0f * fold(in, 2 * k, m), xi = 2.0f * fold(in, m - 1 - 2 * k, m);
        unsigned r = (unsigned)segue_aac_bitrev512[k] >> shift;
        re[r] = xr * tc[k] + xi * ts[k];
        im[r] = xi * tc[k] - xr * ts[k];
    }
    fft_radix2(re, im, q);
    for (unsigned p = 0; p < q; p++) {
        float xr = re[p], xi = im[p];
        out[2 * p] = xr * tc[p] + xi * ts[p];
        out[m - 1 - 2 * p] = xr * ts[p] - xi * tc[p];
    }
}

void segue_aacenc_pow34_scalar(float *dst, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        dst[i] = sqrtf(a * sqrtf(a));
    }
}

int segue_aacenc_quantize_scalar(int16_t *q, const float *x, const float *x34, size_t n,
                                 float istep, float rounding)
{
    int mx = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x34[i] * istep;
        v = v + rounding;
        /* The comparison sends NaN to 8191 too, as the vector min does. */
        int a = v < 8191.0f ? (int)v : 8191;
        mx = a > mx ? a : mx;
        q[i] = (int16_t)(x[i] < 0.0f ? -a : a);
    }
    return mx;
}

float segue_aacenc_quant_error_scalar(const float *x, const int16_t *q, size_t n, float step)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++) {
        int v = q[i];
        unsigned a = v < 0 ? (unsigned)-v : (unsigned)v;
        float d = fabsf(x[i]) - segue_aac_pow43[a < 8191u ? a : 8191u] * step;
        e += (double)(d * d);
    }
    return (float)e;
}

void segue_dsp_init_aacenc_scalar(segue_dsp *dsp)
{
    dsp->aacenc_mdct = segue_aacenc_mdct_scalar;
    dsp->aacenc_pow34 = segue_aacenc_pow34_scalar;
    dsp->aacenc_quantize = segue_aacenc_quantize_scalar;
    dsp->aacenc_quant_error = segue_aacenc_quant_error_scalar;
}
