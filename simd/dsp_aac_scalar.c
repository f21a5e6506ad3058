/*
 * simd/dsp_aac_scalar.c - the AAC-LC filterbank and inverse quantisation,
 * scalar: the specification of the aac_* entries of segue_dsp (simd/dsp.h).
 *
 * IMDCT derivation (N outputs, M = N/2 coefficients, Q = N/4). The IMDCT of
 * 14496-3 4.6.11.3.1 is the DCT-IV c[m] = sum_k in[k] cos(pi/M (m + 1/2)
 * (k + 1/2)) scaled by 2/N and shifted by n0 - 1/2 = M/2, extended with
 * c[2M-1-m] = -c[m] and c[m+2M] = -c[m]. The DCT-IV takes one complex FFT
 * of Q points: with z[k] = (in[2k] + i in[M-1-2k]) e^(-i 2 pi (k + 1/8)/N),
 * T = FFT(z) (exponent -) and u[p] = T[p] e^(-i 2 pi (p + 1/8)/N),
 * c[2p] = Re u[p] and c[M-1-2p] = -Im u[p]. tests/aac/aac_unit.c checks it
 * against the direct O(N^2) sum.
 *
 * The FFT is radix-2 decimation in time in split form (re[] and im[] each
 * Q floats of `work`): the pre-twiddle writes z[k] to the bit-reversed
 * position, then stages of half-size h = 1, 2, 4 .. Q/2 do, for each block
 * of 2h and j < h, with w = segue_aac_fft_cos/sin[h + j] (e^(-i pi j/h)):
 *   b' = b w (br = b.re wr - b.im wi, bi = b.re wi + b.im wr),
 *   b = a - b', a = a + b'.
 * The vector kernels do exactly these operations per element.
 */
#include <string.h>

#include "simd/dsp_impl.h"

void segue_aac_dequant_scalar(float *dst, const int16_t *q, size_t n, float gain)
{
    for (size_t i = 0; i < n; i++) {
        int v = q[i];
        float m = segue_aac_pow43[v < 0 ? -v : v] * gain;
        dst[i] = v < 0 ? -m : m;
    }
}

/* The butterfly of the stage description above on points a and b. */
#define AAC_BFLY(ar, ai, br, bi, wr, wi)                                                          \
    do {                                                                                          \
        float tr_ = (br) * (wr) - (bi) * (wi), ti_ = (br) * (wi) + (bi) * (wr);                  \
        (br) = (ar) - tr_;                                                                        \
        (bi) = (ai) - ti_;                                                                        \
        (ar) += tr_;                                                                              \
        (ai) += ti_;                                                                              \
    } while (0)

/* The stages, in registers two at a time (half-sizes h and 2h over 4
 * points: (0,1) and (2,3) with w[h + j], then (0,2) with w[2h + j] and
 * (1,3) with w[3h + j]), which halves the passes over the data; the first
 * pair (h = 1, 2: w = 1, 1 and -i) without multiplies. Each butterfly is
 * the one above, so the order of operations per element is that of one
 * stage at a time (up to the sign of zero where w is 1 or -i). */
static void fft_stages(float *re, float *im, unsigned q)
{
    for (unsigned a = 0; a < q; a += 4) {
        float r0 = re[a], i0 = im[a], r1 = re[a + 1], i1 = im[a + 1];
        float r2 = re[a + 2], i2 = im[a + 2], r3 = re[a + 3], i3 = im[a + 3];
        float t;
        /* h = 1, w = 1: (0,1), (2,3). */
        t = r1, r1 = r0 - t, r0 += t;
        t = i1, i1 = i0 - t, i0 += t;
        t = r3, r3 = r2 - t, r2 += t;
        t = i3, i3 = i2 - t, i2 += t;
        /* h = 2: (0,2) w = 1; (1,3) w = -i: b w = (b.im, -b.re). */
        t = r2, r2 = r0 - t, r0 += t;
        t = i2, i2 = i0 - t, i0 += t;
        float br = i3, bi = -r3;
        r3 = r1 - br, r1 += br;
        i3 = i1 - bi, i1 += bi;
        re[a] = r0, im[a] = i0, re[a + 1] = r1, im[a + 1] = i1;
        re[a + 2] = r2, im[a + 2] = i2, re[a + 3] = r3, im[a + 3] = i3;
    }
    unsigned h = 4;
    for (; 4 * h <= q; h *= 4) {
        for (unsigned start = 0; start < q; start += 4 * h) {
            for (unsigned j = 0; j < h; j++) {
                unsigned a = start + j;
                float r0 = re[a], i0 = im[a], r1 = re[a + h], i1 = im[a + h];
                float r2 = re[a + 2 * h], i2 = im[a + 2 * h], r3 = re[a + 3 * h], i3 = im[a + 3 * h];
                float wr = segue_aac_fft_cos[h + j], wi = segue_aac_fft_sin[h + j];
                AAC_BFLY(r0, i0, r1, i1, wr, wi);
                AAC_BFLY(r2, i2, r3, i3, wr, wi);
                AAC_BFLY(r0, i0, r2, i2, segue_aac_fft_cos[2 * h + j], segue_aac_fft_sin[2 * h + j]);
                AAC_BFLY(r1, i1, r3, i3, segue_aac_fft_cos[3 * h + j], segue_aac_fft_sin[3 * h + j]);
                re[a] = r0, im[a] = i0, re[a + h] = r1, im[a + h] = i1;
                re[a + 2 * h] = r2, im[a + 2 * h] = i2, re[a + 3 * h] = r3, im[a + 3 * h] = i3;
            }
        }
    }
    for (; h < q; h *= 2) { /* one stage left (q = 512: h = 256) */
        for (unsigned start = 0; start < q; start += 2 * h) {
            for (unsigned j = 0; j < h; j++) {
                unsigned a = start + j, b = a + h;
                AAC_BFLY(re[a], im[a], re[b], im[b], segue_aac_fft_cos[h + j], segue_aac_fft_sin[h + j]);
            }
        }
    }
}

void segue_aac_imdct_scalar(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned n = 1u << log2n, m = n >> 1, q = n >> 2, shift = log2n == 11 ? 0u : 3u;
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    float scale = 2.0f / (float)n;
    float *re = work, *im = work + q;
    for (unsigned k = 0; k < q; k++) {
        float xr = in[2 * k], xi = in[m - 1 - 2 * k];
        unsigned r = (unsigned)segue_aac_bitrev512[k] >> shift;
        re[r] = (xr * tc[k] + xi * ts[k]) * scale;
        im[r] = (xi * tc[k] - xr * ts[k]) * scale;
    }
    fft_stages(re, im, q);
    /* Post-twiddle in place: A[p] = c[2p] over re, B[p] = c[M-1-2p] over im. */
    for (unsigned p = 0; p < q; p++) {
        float xr = re[p], xi = im[p];
        re[p] = xr * tc[p] + xi * ts[p];
        im[p] = xr * ts[p] - xi * tc[p];
    }
    /* out[i] = c[i + Q] (i < Q), -c[3Q-1-i] (Q <= i < 3Q), -c[i-3Q]; in A, B:
     * out[2k] = A[Q/2 + k], out[2k+1] = B[Q/2-1-k] (k < Q/2);
     * out[Q+2k] = -B[k], out[Q+2k+1] = -A[Q-1-k] (k < Q);
     * out[3Q+2k] = -A[k], out[3Q+2k+1] = -B[Q-1-k] (k < Q/2). */
    const float *A = re, *B = im;
    unsigned h = q >> 1;
    for (unsigned k = 0; k < h; k++) {
        out[2 * k] = A[h + k];
        out[2 * k + 1] = B[h - 1 - k];
    }
    for (unsigned k = 0; k < q; k++) {
        out[q + 2 * k] = -B[k];
        out[q + 2 * k + 1] = -A[q - 1 - k];
    }
    for (unsigned k = 0; k < h; k++) {
        out[3 * q + 2 * k] = -A[k];
        out[3 * q + 2 * k + 1] = -B[q - 1 - k];
    }
}

void segue_aac_window_overlap_scalar(float *out, float *overlap, const float *t,
                                     unsigned window_sequence, const float *left,
                                     const float *right)
{
    if (window_sequence == 2) {
        /* EIGHT_SHORT_SEQUENCE: window w at 448 + 128 w of the 2048. */
        for (unsigned i = 0; i < 1024; i++) {
            out[i] = overlap[i];
            overlap[i] = 0.0f;
        }
        for (unsigned w = 0; w < 8; w++) {
            const float *rise = w ? right : left;
            const float *x = t + 256 * w;
            unsigned pos = 448 + 128 * w;
            for (unsigned i = 0; i < 256; i++) {
                float v = x[i] * (i < 128 ? rise[i] : right[255 - i]);
                unsigned p = pos + i;
                if (p < 1024)
                    out[p] += v;
                else
                    overlap[p - 1024] += v;
            }
        }
        return;
    }
    /* First half: ONLY_LONG and LONG_START rise with the long window,
     * LONG_STOP is 0, a short rise at 448..575, then 1. */
    if (window_sequence == 3) {
        for (unsigned i = 0; i < 448; i++)
            out[i] = overlap[i];
        for (unsigned i = 448; i < 576; i++)
            out[i] = overlap[i] + t[i] * left[i - 448];
        for (unsigned i = 576; i < 1024; i++)
            out[i] = overlap[i] + t[i];
    } else {
        for (unsigned i = 0; i < 1024; i++)
            out[i] = overlap[i] + t[i] * left[i];
    }
    /* Second half: LONG_START is 1, a short fall at 448..575, then 0. */
    if (window_sequence == 1) {
        for (unsigned i = 0; i < 448; i++)
            overlap[i] = t[1024 + i];
        for (unsigned i = 448; i < 576; i++)
            overlap[i] = t[1024 + i] * right[575 - i];
        for (unsigned i = 576; i < 1024; i++)
            overlap[i] = 0.0f;
    } else {
        for (unsigned i = 0; i < 1024; i++)
            overlap[i] = t[1024 + i] * right[1023 - i];
    }
}

void segue_dsp_init_aac_scalar(segue_dsp *dsp)
{
    dsp->aac_dequant = segue_aac_dequant_scalar;
    dsp->aac_imdct = segue_aac_imdct_scalar;
    dsp->aac_window_overlap = segue_aac_window_overlap_scalar;
}
