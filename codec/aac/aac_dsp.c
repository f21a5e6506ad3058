/*
 * codec/aac/aac_dsp.c - inverse quantisation, IMDCT and windowing of the
 * AAC-LC decoder (ISO/IEC 14496-3 4.6.1.3, 4.6.11). See aac_dsp.h.
 *
 * The IMDCT runs on a DCT-IV of M = N/2 points computed with one complex
 * FFT of M/2 points: with z[k] = in[2k] + i in[M-1-2k], the pre-twiddle
 * t[k] = z[k] e^(-i 2 pi (k + 1/8) / N), T = FFT(t) and the post-twiddle
 * u[p] = T[p] e^(-i 2 pi (p + 1/8) / N) give the DCT-IV
 * c[m] = sum_k in[k] cos(pi / M (m + 1/2)(k + 1/2)) as c[2p] = Re u[p],
 * c[M-1-2p] = -Im u[p]. The IMDCT is c shifted by n0 - 1/2 = M/2 and
 * extended with c[2M-1-m] = -c[m], c[m+2M] = -c[m].
 */
#include "codec/aac/aac_dsp.h"

#include "codec/aac/aac_tables.h"

void aac_dequant(float *dst, const int16_t *q, size_t n, float gain)
{
    for (size_t i = 0; i < n; i++) {
        int v = q[i];
        float m = aac_pow43[v < 0 ? -v : v] * gain;
        dst[i] = v < 0 ? -m : m;
    }
}

void aac_fft(float *z, unsigned n)
{
    /* Bit-reversal permutation. */
    for (unsigned i = 1, j = 0; i < n; i++) {
        unsigned bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            float re = z[2 * i], im = z[2 * i + 1];
            z[2 * i] = z[2 * j];
            z[2 * i + 1] = z[2 * j + 1];
            z[2 * j] = re;
            z[2 * j + 1] = im;
        }
    }
    /* Radix-2 butterflies; twiddles of the 512-point table at a stride. */
    for (unsigned len = 2; len <= n; len <<= 1) {
        unsigned half = len >> 1, stride = 512u / len;
        for (unsigned base = 0; base < n; base += len) {
            for (unsigned k = 0; k < half; k++) {
                float wr = aac_fft_twiddle512[2 * k * stride];
                float wi = aac_fft_twiddle512[2 * k * stride + 1];
                float *a = z + 2 * (base + k), *b = z + 2 * (base + k + half);
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

void aac_imdct(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned n = 1u << log2n, m = n >> 1, q = n >> 2;
    const float *tw = log2n == 11 ? aac_imdct_twiddle_long : aac_imdct_twiddle_short;
    float scale = 2.0f / (float)n;
    for (unsigned k = 0; k < q; k++) {
        float re = in[2 * k], im = in[m - 1 - 2 * k];
        float c = tw[2 * k], s = tw[2 * k + 1];
        work[2 * k] = (re * c + im * s) * scale;
        work[2 * k + 1] = (im * c - re * s) * scale;
    }
    aac_fft(work, q);
    for (unsigned p = 0; p < q; p++) {
        float re = work[2 * p], im = work[2 * p + 1];
        float c = tw[2 * p], s = tw[2 * p + 1];
        work[2 * p] = re * c + im * s;
        work[2 * p + 1] = -(im * c - re * s);
    }
    /* work[2p] = c[2p], work[2p + 1] = c[M-1-2p]: c[j] at dct_at(j). */
#define DCT_AT(j) ((j) & 1u ? work[(m - 1u - (j)) | 1u] : work[(j)])
    unsigned h = m >> 1;
    for (unsigned i = 0; i < h; i++)
        out[i] = DCT_AT(i + h);
    for (unsigned i = h; i < 3 * h; i++)
        out[i] = -DCT_AT(3 * h - 1 - i);
    for (unsigned i = 3 * h; i < n; i++)
        out[i] = -DCT_AT(i - 3 * h);
#undef DCT_AT
}

static const float *long_window(unsigned shape)
{
    return shape ? aac_kbd_long : aac_sine_long;
}

static const float *short_window(unsigned shape)
{
    return shape ? aac_kbd_short : aac_sine_short;
}

void aac_window_overlap(float *out, float *overlap, const float *t, unsigned window_sequence,
                        unsigned shape, unsigned prev_shape)
{
    const float *ls = short_window(prev_shape), *cs = short_window(shape);
    if (window_sequence == 2) {
        /* EIGHT_SHORT_SEQUENCE: windows w at 448 + 128 w of the 2048. */
        for (unsigned i = 0; i < 1024; i++) {
            out[i] = overlap[i];
            overlap[i] = 0.0f;
        }
        for (unsigned w = 0; w < 8; w++) {
            const float *rise = w ? cs : ls;
            const float *x = t + 256 * w;
            unsigned pos = 448 + 128 * w;
            for (unsigned i = 0; i < 256; i++) {
                float v = x[i] * (i < 128 ? rise[i] : cs[255 - i]);
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
            out[i] = overlap[i] + t[i] * ls[i - 448];
        for (unsigned i = 576; i < 1024; i++)
            out[i] = overlap[i] + t[i];
    } else {
        const float *lw = long_window(prev_shape);
        for (unsigned i = 0; i < 1024; i++)
            out[i] = overlap[i] + t[i] * lw[i];
    }
    /* Second half: LONG_START is 1, a short fall at 448..575, then 0. */
    if (window_sequence == 1) {
        for (unsigned i = 0; i < 448; i++)
            overlap[i] = t[1024 + i];
        for (unsigned i = 448; i < 576; i++)
            overlap[i] = t[1024 + i] * cs[575 - i];
        for (unsigned i = 576; i < 1024; i++)
            overlap[i] = 0.0f;
    } else {
        const float *cw = long_window(shape);
        for (unsigned i = 0; i < 1024; i++)
            overlap[i] = t[1024 + i] * cw[1023 - i];
    }
}
