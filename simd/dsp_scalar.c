/*
 * simd/dsp_scalar.c - the scalar kernels. These are the specification every
 * ISA variant is tested against, so they stay plain: no tricks that could make
 * "what the kernel means" depend on the compiler.
 */
#include <math.h>

#include "simd/dsp_impl.h"

/* The specification rounds the product and the sum of scale_add separately.
 * GCC in ISO C mode never contracts; clang contracts within an expression by
 * default (on FMA targets such as aarch64) unless told not to. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* Clamping in float before lrintf keeps the conversion in range (lrintf of an
 * out-of-range value is unspecified) and is what the vector code mirrors. */
static float clamp_f32(float v, float lo, float hi)
{
    if (v < lo) {
        return lo;
    }
    if (v > hi) {
        return hi;
    }
    return v;
}

void segue_f32_to_s16_scalar(int16_t *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = clamp_f32(src[i] * SEGUE_S16_SCALE_F, SEGUE_S16_MIN_F, SEGUE_S16_MAX_F);
        dst[i] = (int16_t)lrintf(v);
    }
}

void segue_f32_to_s24_scalar(int32_t *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = clamp_f32(src[i] * SEGUE_S24_SCALE_F, SEGUE_S24_MIN_F, SEGUE_S24_MAX_F);
        dst[i] = (int32_t)lrintf(v);
    }
}

void segue_f32_to_s32_scalar(int32_t *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = clamp_f32(src[i] * SEGUE_S32_SCALE_F, SEGUE_S32_MIN_F, SEGUE_S32_MAX_F);
        dst[i] = (int32_t)lrintf(v);
    }
}

void segue_s16_to_f32_scalar(float *dst, const int16_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = (float)src[i] * SEGUE_S16_INV_SCALE_F;
    }
}

void segue_s32_to_f32_scalar(float *dst, const int32_t *src, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = (float)src[i] * scale;
    }
}

void segue_interleave2_f32_scalar(float *dst, const float *l, const float *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = l[i];
        dst[2 * i + 1] = r[i];
    }
}

void segue_deinterleave2_f32_scalar(float *l, float *r, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        l[i] = src[2 * i];
        r[i] = src[2 * i + 1];
    }
}

void segue_interleave_f32_scalar(float *dst, const float *const *planes, unsigned channels,
                                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            dst[i * channels + c] = planes[c][i];
        }
    }
}

void segue_deinterleave_f32_scalar(float *const *planes, const float *src, unsigned channels,
                                   size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            planes[c][i] = src[i * channels + c];
        }
    }
}

void segue_scale_add_f32_scalar(float *dst, const float *src, float gain, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] += src[i] * gain;
    }
}

void segue_scale_f32_scalar(float *dst, const float *src, float gain, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i] * gain;
    }
}

/* ---- MPEG audio ---------------------------------------------------------- */

/* In-place N-point DCT-II, X[m] = sum_k x[k] cos(pi m (2k + 1) / 2N), by
 * Lee's recursion: the even outputs are the N/2-point DCT-II of
 * x[k] + x[N-1-k]; the odd ones X[2m+1] = Y[m] + Y[m+1] with Y the
 * N/2-point DCT-II of (x[k] - x[N-1-k]) / (2 cos(pi (2k+1) / 2N)) (the
 * factors `lee`, N/2 of them, followed by those of the smaller sizes). */
static void mpa_dct2(float *x, size_t n, const float *lee)
{
    if (n == 1) {
        return;
    }
    size_t half = n / 2;
    float t[32];
    for (size_t k = 0; k < half; k++) {
        float a = x[k];
        float b = x[n - 1 - k];
        t[k] = a + b;
        t[half + k] = (a - b) * lee[k];
    }
    mpa_dct2(t, half, lee + half);
    mpa_dct2(t + half, half, lee + half);
    for (size_t m = 0; m < half; m++) {
        x[2 * m] = t[m];
        x[2 * m + 1] = m + 1 < half ? t[half + m] + t[half + m + 1] : t[half + m];
    }
}

void segue_mpa_synth_scalar(float *io, size_t nslots, unsigned nch, segue_mpa_synth_state *st)
{
    const float *d = segue_mpa_synth_window;
    for (size_t t = 0; t < nslots; t++) {
        float *slot = io + t * 32u * nch;
        unsigned pos = st->pos & 15u;
        /* Matrixing: V of this slot in its compact DCT form (dsp.h), stored
         * as A[16..31] then A[15..0]. */
        for (unsigned c = 0; c < nch; c++) {
            float a[32];
            for (unsigned k = 0; k < 32; k++) {
                a[k] = slot[c * 32u + k];
            }
            mpa_dct2(a, 32, segue_mpa_dct32_lee);
            float *v = st->v[c] + 32u * pos;
            for (unsigned n = 0; n < 16; n++) {
                v[n] = a[16 + n];
                v[16 + n] = a[15 - n];
            }
        }
        /* Window: out[j] = sum_i D[64i + j] V_2i[j] + D[64i + 32 + j] V_2i+1[32 + j]
         * (Figure A.2's U and W), with V_b the slot of age b. Outputs j and
         * 32 - j read the same two DCT values of each slot: e[j] = A[16 + j]
         * of the even age, o[j] = A[16 - j] of the odd one. */
        for (unsigned c = 0; c < nch; c++) {
            const float *v = st->v[c];
            float s1[16] = {0};
            float s2[16] = {0};
            float s0 = 0.0f;
            float s16 = 0.0f;
            for (unsigned i = 0; i < 8; i++) {
                const float *e = v + 32u * ((pos - 2u * i) & 15u);
                const float *o = v + 32u * ((pos - 2u * i - 1u) & 15u) + 15;
                const float *w = segue_mpa_synth_window4 + 64u * i;
                s0 += d[64 * i] * e[0] - d[64 * i + 32] * o[-15];
                s16 -= d[64 * i + 48] * o[16];
                for (unsigned j = 1; j < 16; j++) {
                    s1[j] += w[j] * e[j] - w[16 + j] * o[j];
                    s2[j] -= w[32 + j] * e[j] + w[48 + j] * o[j];
                }
            }
            float out[32];
            out[0] = s0;
            out[16] = s16;
            for (unsigned j = 1; j < 16; j++) {
                out[j] = s1[j];
                out[32 - j] = s2[j];
            }
            for (unsigned j = 0; j < 32; j++) {
                slot[j * nch + c] = out[j];
            }
        }
        st->pos = (pos + 1u) & 15u;
    }
}

void segue_mpa_alias_scalar(float *x, size_t stride, size_t nb)
{
    for (size_t b = 1; b <= nb; b++) {
        for (size_t i = 0; i < 8; i++) {
            float *up = x + (17 - i) * stride + b - 1;
            float *dn = x + i * stride + b;
            float u = *up;
            float v = *dn;
            *up = u * segue_mpa_alias_cs[i] - v * segue_mpa_alias_ca[i];
            *dn = v * segue_mpa_alias_cs[i] + u * segue_mpa_alias_ca[i];
        }
    }
}

/* 9-point DCT-II, X[m] = sum_k x[k] cos(pi m (2k+1) / 18), pairing k with
 * 8 - k: cos(pi m (17 - 2k) / 18) = (-1)^m cos(pi m (2k+1) / 18), and the
 * middle term x[4] cos(pi m / 2). */
static void mpa_dct2_9(const float *x, float *out)
{
    float p[4];
    float q[4];
    for (unsigned k = 0; k < 4; k++) {
        p[k] = x[k] + x[8 - k];
        q[k] = x[k] - x[8 - k];
    }
    const float *c = segue_mpa_dct2_9;
    for (unsigned m = 0; m < 9; m++) {
        const float *cm = c + 4 * m;
        if (m & 1u) {
            out[m] = q[0] * cm[0] + q[1] * cm[1] + q[2] * cm[2] + q[3] * cm[3];
        } else {
            float mid = (m & 2u) ? -x[4] : x[4];
            out[m] = p[0] * cm[0] + p[1] * cm[1] + p[2] * cm[2] + p[3] * cm[3] + mid;
        }
    }
}

/* 18-point DCT-IV, z[m] = sum_k x[k] cos(pi (2m+1)(2k+1) / 72): with
 * u[k] = x[k] / (2 cos(pi (2k+1) / 72)) and C its DCT-II, z[m] = C[m] +
 * C[m+1] (C[18] = 0); the DCT-II(18) splits by Lee into two DCT-II(9). */
static void mpa_dct4_18(const float *x, float *z)
{
    float e[9];
    float o[9];
    float ce[9];
    float co[9];
    float c[19];
    for (unsigned k = 0; k < 9; k++) {
        float a = x[k] * segue_mpa_dct4_18_pre[k];
        float b = x[17 - k] * segue_mpa_dct4_18_pre[17 - k];
        e[k] = a + b;
        o[k] = (a - b) * segue_mpa_dct2_18_odd[k];
    }
    mpa_dct2_9(e, ce);
    mpa_dct2_9(o, co);
    for (unsigned m = 0; m < 9; m++) {
        c[2 * m] = ce[m];
        c[2 * m + 1] = m < 8 ? co[m] + co[m + 1] : co[m];
    }
    c[18] = 0.0f;
    for (unsigned m = 0; m < 18; m++) {
        z[m] = c[m] + c[m + 1];
    }
}

/* Adds the overlap, applies the frequency inversion and stores one
 * subband's 18 outputs, keeping the second half as the next overlap. */
static void mpa_overlap_store(float *x, float *ovl, size_t stride, int odd_subband,
                              const float *z)
{
    for (size_t n = 0; n < 18; n++) {
        float v = z[n] + ovl[n * stride];
        x[n * stride] = (odd_subband && (n & 1u)) ? -v : v;
        ovl[n * stride] = z[18 + n];
    }
}

void segue_mpa_imdct36_scalar(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0,
                              unsigned block_type)
{
    const float *w = segue_mpa_imdct_window + 36u * (block_type & 3u);
    for (size_t s = 0; s < nsb; s++) {
        float in[18];
        float z[18];
        float y[36];
        for (size_t k = 0; k < 18; k++) {
            in[k] = x[k * stride + s];
        }
        mpa_dct4_18(in, z);
        /* y[n] = c(2n + 19) with c(p) = sum X[k] cos(pi p (2k+1) / 72),
         * z[m] = c(2m + 1), c(72 - p) = c(p + 72) = -c(p). */
        for (size_t n = 0; n < 9; n++) {
            y[n] = z[n + 9] * w[n];
            y[27 + n] = -z[n] * w[27 + n];
        }
        for (size_t n = 9; n < 27; n++) {
            y[n] = -z[26 - n] * w[n];
        }
        mpa_overlap_store(x + s, ovl + s, stride, (int)((sb0 + s) & 1u), y);
    }
}

void segue_mpa_imdct12_scalar(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0)
{
    const float *ws = segue_mpa_imdct_window_short;
    for (size_t s = 0; s < nsb; s++) {
        float r[36] = {0};
        for (unsigned win = 0; win < 3; win++) {
            float in[6];
            float z[6];
            for (unsigned k = 0; k < 6; k++) {
                in[k] = x[(3u * k + win) * stride + s];
            }
            for (unsigned m = 0; m < 6; m++) {
                const float *c = segue_mpa_dct4_6 + 6 * m;
                z[m] = in[0] * c[0] + in[1] * c[1] + in[2] * c[2] + in[3] * c[3] + in[4] * c[4] +
                       in[5] * c[5];
            }
            /* y[n] = c(2n + 7) as for the long IMDCT, with period 48. */
            float *dst = r + 6 + 6 * win;
            for (unsigned n = 0; n < 3; n++) {
                dst[n] += z[n + 3] * ws[n];
                dst[9 + n] -= z[n] * ws[9 + n];
            }
            for (unsigned n = 3; n < 9; n++) {
                dst[n] -= z[8 - n] * ws[n];
            }
        }
        mpa_overlap_store(x + s, ovl + s, stride, (int)((sb0 + s) & 1u), r);
    }
}

void segue_dsp_init_scalar(segue_dsp *dsp)
{
    dsp->f32_to_s16 = segue_f32_to_s16_scalar;
    dsp->f32_to_s24 = segue_f32_to_s24_scalar;
    dsp->f32_to_s32 = segue_f32_to_s32_scalar;
    dsp->s16_to_f32 = segue_s16_to_f32_scalar;
    dsp->s32_to_f32 = segue_s32_to_f32_scalar;
    dsp->interleave2_f32 = segue_interleave2_f32_scalar;
    dsp->deinterleave2_f32 = segue_deinterleave2_f32_scalar;
    dsp->interleave_f32 = segue_interleave_f32_scalar;
    dsp->deinterleave_f32 = segue_deinterleave_f32_scalar;
    dsp->scale_add_f32 = segue_scale_add_f32_scalar;
    dsp->scale_f32 = segue_scale_f32_scalar;
    dsp->mpa_synth = segue_mpa_synth_scalar;
    dsp->mpa_alias = segue_mpa_alias_scalar;
    dsp->mpa_imdct36 = segue_mpa_imdct36_scalar;
    dsp->mpa_imdct12 = segue_mpa_imdct12_scalar;
}
