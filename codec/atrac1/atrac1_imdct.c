/*
 * codec/atrac1/atrac1_imdct.c - the half IMDCT of the ATRAC1 decoder
 * (block lengths M = 32, 128, 256), computed through a DCT-IV and an
 * M/2-point complex FFT.
 *
 * Definition: with u = DCT-IV(X),
 *     u[m] = sum_{k<M} X[k] cos(pi/M (m + 1/2)(k + 1/2)),
 * the middle M outputs of a 2M-point IMDCT are u in reverse order, up to
 * sign (the cosine's periodicity folds the IMDCT phase
 * (n + 1/2 + M/2)(k + 1/2) onto the DCT-IV's). The reference decoder
 * (FFmpeg's ff_imdct_half with scale -1/32768, its spectrum being in
 * 16-bit units) gives y[j] = -u[M-1-j] / 32768: matching that sign is what
 * makes the decode come out in FFmpeg's polarity (tests/atrac1 compares).
 *
 * DCT-IV through the FFT: with t[n] = X[2n] + i X[M-1-2n] (n < M/2),
 *     Z[k] = e^{-i pi (4k+1)/(4M)} * FFT_{M/2}(t[n] e^{-i pi n/M})[k]
 * gives u[2k] = Re Z[k] and u[M-1-2k] = -Im Z[k] (expand the DCT-IV phase
 * (2k+1/2)(2n+1/2) pi/M for even and odd k). tests/atrac1 checks this
 * against the direct sum.
 */
#include <math.h>

#include "codec/atrac1/atrac1_internal.h"

/* y[j] = AT1_IMDCT_GAIN * u[M-1-j]: 16-bit units to full scale, in the
 * reference decoder's polarity. */
#define AT1_IMDCT_GAIN (-1.0f / 32768.0f)

static const double at1_pi = 3.14159265358979323846;

void at1_transform_init(at1_state *s)
{
    /* FFT twiddles for the largest FFT (128 points); smaller sizes stride. */
    for (unsigned k = 0; k < 64; k++) {
        double a = -2.0 * at1_pi * (double)k / 128.0;
        s->fft_twiddle[k].re = (float)cos(a);
        s->fft_twiddle[k].im = (float)sin(a);
    }
    static const unsigned sizes[3] = {32, 128, 256};
    static const unsigned log2_halves[3] = {4, 6, 7};
    unsigned offset = 0;
    for (unsigned p = 0; p < 3; p++) {
        unsigned m = sizes[p];
        at1_complex *pre = s->twiddle_pre + offset;
        at1_complex *post = s->twiddle_post + offset;
        for (unsigned n = 0; n < m / 2; n++) {
            double a = -at1_pi * (double)n / (double)m;
            pre[n].re = (float)cos(a);
            pre[n].im = (float)sin(a);
            double b = -at1_pi * (4.0 * (double)n + 1.0) / (4.0 * (double)m);
            post[n].re = (float)cos(b);
            post[n].im = (float)sin(b);
        }
        s->plan[p].m = m;
        s->plan[p].log2_half = log2_halves[p];
        s->plan[p].pre = pre;
        s->plan[p].post = post;
        offset += m / 2;
    }
}

/* In-place forward complex FFT (e^{-i...}) of 2^log2n <= 128 points:
 * radix-2, decimation in time after a bit-reversal permutation. */
static void at1_fft(at1_complex *x, unsigned log2n, const at1_complex *twiddle)
{
    unsigned n = 1u << log2n;
    for (unsigned i = 1, j = 0; i < n; i++) {
        unsigned bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            at1_complex t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
    for (unsigned len = 2; len <= n; len <<= 1) {
        unsigned half = len >> 1;
        unsigned stride = 128u / len; /* twiddle table is for 128 points */
        for (unsigned base = 0; base < n; base += len) {
            for (unsigned k = 0; k < half; k++) {
                at1_complex w = twiddle[k * stride];
                at1_complex *a = &x[base + k];
                at1_complex *b = &x[base + k + half];
                float tr = b->re * w.re - b->im * w.im;
                float ti = b->re * w.im + b->im * w.re;
                b->re = a->re - tr;
                b->im = a->im - ti;
                a->re += tr;
                a->im += ti;
            }
        }
    }
}

void at1_imdct_half(at1_state *s, const at1_dct4_plan *plan, const float *in, float *out)
{
    unsigned m = plan->m;
    unsigned half = m / 2;
    at1_complex *z = s->fft;
    for (unsigned n = 0; n < half; n++) {
        float re = in[2 * n];
        float im = in[m - 1 - 2 * n];
        at1_complex w = plan->pre[n];
        z[n].re = re * w.re - im * w.im;
        z[n].im = re * w.im + im * w.re;
    }
    at1_fft(z, plan->log2_half, s->fft_twiddle);
    for (unsigned k = 0; k < half; k++) {
        at1_complex w = plan->post[k];
        float re = z[k].re * w.re - z[k].im * w.im;
        float im = z[k].re * w.im + z[k].im * w.re;
        /* u[2k] = re, u[M-1-2k] = -im; y[j] = gain * u[M-1-j]. */
        out[m - 1 - 2 * k] = AT1_IMDCT_GAIN * re;
        out[2 * k] = -AT1_IMDCT_GAIN * im;
    }
}
