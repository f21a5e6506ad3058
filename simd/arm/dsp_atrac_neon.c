/*
 * simd/arm/dsp_atrac_neon.c - the ATRAC3 kernels with NEON (AArch64, 4
 * floats). The algorithms of simd/x86/dsp_atrac_sse2.c (described there):
 * split re/im FFT with the pre-twiddle writing bit-reversed 4-point groups
 * in transposed form, the first two stages across groups, then 4-wide
 * radix-2 stages; in-place post-twiddle and a windowed spread; vector gain
 * runs; the QMF as 4-lane dot products on the pair-swapped history. Same
 * operations in the same order per element as the scalar kernels, separate
 * multiplies and adds (vmulq/vaddq, no vfmaq; the build uses ISO C, so the
 * compiler does not contract them), so bit-exact up to the sign of zero.
 */
#include <arm_neon.h>
#include <string.h>

#include "simd/dsp_impl.h"

enum { BAND = 256, QMF_DELAY = 46 };

static inline float32x4_t cmul_re(float32x4_t ar, float32x4_t ai, float32x4_t c, float32x4_t s)
{
    return vsubq_f32(vmulq_f32(ar, c), vmulq_f32(ai, s));
}
static inline float32x4_t cmul_im(float32x4_t ar, float32x4_t ai, float32x4_t c, float32x4_t s)
{
    return vaddq_f32(vmulq_f32(ar, s), vmulq_f32(ai, c));
}
static inline float32x4_t reverse4(float32x4_t v)
{
    float32x4_t r = vrev64q_f32(v);
    return vcombine_f32(vget_high_f32(r), vget_low_f32(r));
}
/* 4x4 transpose of rows r0..r3. */
static inline void transpose4(float32x4_t *r0, float32x4_t *r1, float32x4_t *r2, float32x4_t *r3)
{
    float32x4x2_t a = vtrnq_f32(*r0, *r1), b = vtrnq_f32(*r2, *r3);
    *r0 = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
    *r1 = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
    *r2 = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
    *r3 = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
}

static void imlt_pre_radix4(const float *in, int reversed, float *re, float *im)
{
    const float *xe = reversed ? in + BAND - 1 : in;
    const float *xo = reversed ? in : in + BAND - 1;
    const int dir = reversed ? -1 : 1;
    const float32x4_t c2 = vdupq_n_f32(segue_atrac3_fft_stage_cos[3]);
    const float32x4_t s2 = vdupq_n_f32(segue_atrac3_fft_stage_sin[3]);
    for (unsigned b = 0; b < 8; b++) {
        float32x4_t vr[4], vi[4];
        for (unsigned e = 0; e < 4; e++) {
            const uint8_t *pi = segue_atrac3_pre_index + 16 * b + 4 * e;
            float a[4], o[4];
            for (unsigned g = 0; g < 4; g++) {
                ptrdiff_t off = (ptrdiff_t)(2 * pi[g]) * dir;
                a[g] = xe[off];
                o[g] = xo[-off];
            }
            float32x4_t x = vld1q_f32(a), y = vld1q_f32(o);
            float32x4_t c = vld1q_f32(segue_atrac3_pre_cos_perm + 16 * b + 4 * e);
            float32x4_t s = vld1q_f32(segue_atrac3_pre_sin_perm + 16 * b + 4 * e);
            vr[e] = vaddq_f32(vmulq_f32(x, c), vmulq_f32(y, s));
            vi[e] = vsubq_f32(vmulq_f32(x, s), vmulq_f32(y, c));
        }
        float32x4_t r0 = vaddq_f32(vr[0], vr[1]), i0 = vaddq_f32(vi[0], vi[1]);
        float32x4_t r1 = vsubq_f32(vr[0], vr[1]), i1 = vsubq_f32(vi[0], vi[1]);
        float32x4_t r2 = vaddq_f32(vr[2], vr[3]), i2 = vaddq_f32(vi[2], vi[3]);
        float32x4_t r3 = vsubq_f32(vr[2], vr[3]), i3 = vsubq_f32(vi[2], vi[3]);
        float32x4_t br = cmul_re(r3, i3, c2, s2), bi = cmul_im(r3, i3, c2, s2);
        float32x4_t o0r = vaddq_f32(r0, r2), o0i = vaddq_f32(i0, i2);
        float32x4_t o2r = vsubq_f32(r0, r2), o2i = vsubq_f32(i0, i2);
        float32x4_t o1r = vaddq_f32(r1, br), o1i = vaddq_f32(i1, bi);
        float32x4_t o3r = vsubq_f32(r1, br), o3i = vsubq_f32(i1, bi);
        transpose4(&o0r, &o1r, &o2r, &o3r);
        transpose4(&o0i, &o1i, &o2i, &o3i);
        float *dr = re + 16 * b, *di = im + 16 * b;
        vst1q_f32(dr, o0r);
        vst1q_f32(dr + 4, o1r);
        vst1q_f32(dr + 8, o2r);
        vst1q_f32(dr + 12, o3r);
        vst1q_f32(di, o0i);
        vst1q_f32(di + 4, o1i);
        vst1q_f32(di + 8, o2i);
        vst1q_f32(di + 12, o3i);
    }
}

static void fft_stages(float *re, float *im)
{
    for (unsigned half = 4; half < 128; half *= 2) {
        for (unsigned start = 0; start < 128; start += 2 * half) {
            for (unsigned j = 0; j < half; j += 4) {
                float *ar = re + start + j, *ai = im + start + j;
                float32x4_t wr = vld1q_f32(segue_atrac3_fft_stage_cos + half + j);
                float32x4_t wi = vld1q_f32(segue_atrac3_fft_stage_sin + half + j);
                float32x4_t xr = vld1q_f32(ar + half), xi = vld1q_f32(ai + half);
                float32x4_t br = cmul_re(xr, xi, wr, wi), bi = cmul_im(xr, xi, wr, wi);
                float32x4_t a_r = vld1q_f32(ar), a_i = vld1q_f32(ai);
                vst1q_f32(ar + half, vsubq_f32(a_r, br));
                vst1q_f32(ai + half, vsubq_f32(a_i, bi));
                vst1q_f32(ar, vaddq_f32(a_r, br));
                vst1q_f32(ai, vaddq_f32(a_i, bi));
            }
        }
    }
}

static inline void spread8(float *out, const float *w, const float *f, const float *r_top, int neg)
{
    float32x4x2_t z;
    z.val[0] = vld1q_f32(f);
    z.val[1] = reverse4(vld1q_f32(r_top - 3));
    float32x4x2_t zz = vzipq_f32(z.val[0], z.val[1]);
    float32x4_t lo = zz.val[0], hi = zz.val[1];
    if (neg) {
        lo = vnegq_f32(lo);
        hi = vnegq_f32(hi);
    }
    vst1q_f32(out, vmulq_f32(lo, vld1q_f32(w)));
    vst1q_f32(out + 4, vmulq_f32(hi, vld1q_f32(w + 4)));
}

static void atrac3_imlt_neon(const float *in, int reversed, float scale, float *out, float *work)
{
    float *re = work, *im = work + 128;
    imlt_pre_radix4(in, reversed, re, im);
    fft_stages(re, im);
    const float32x4_t vs = vdupq_n_f32(scale);
    for (unsigned q = 0; q < 128; q += 4) {
        float32x4_t c = vmulq_f32(vld1q_f32(segue_atrac3_post_cos + q), vs);
        float32x4_t s = vmulq_f32(vld1q_f32(segue_atrac3_post_sin + q), vs);
        float32x4_t r = vld1q_f32(re + q), i = vld1q_f32(im + q);
        vst1q_f32(re + q, cmul_re(r, i, c, s));
        vst1q_f32(im + q, cmul_im(r, i, c, s));
    }
    const float *A = re, *B = im, *w = segue_atrac3_window;
    for (unsigned k = 0; k < 64; k += 4)
        spread8(out + 2 * k, w + 2 * k, A + 64 + k, B + 63 - k, 0);
    for (unsigned k = 0; k < 128; k += 4)
        spread8(out + 128 + 2 * k, w + 128 + 2 * k, B + k, A + 127 - k, 1);
    for (unsigned k = 0; k < 64; k += 4)
        spread8(out + 384 + 2 * k, w + 384 + 2 * k, A + k, B + 127 - k, 1);
}

static void atrac3_gain_overlap_neon(float *out, const float *in, float *prev, float g_next,
                                     const segue_atrac3_gain *g)
{
    const float32x4_t gn = vdupq_n_f32(g_next);
    unsigned pos = 0;
    for (unsigned i = 0; i < g->num_points; i++) {
        unsigned start = g->start[i];
        float32x4_t gv = vdupq_n_f32(g->gain[i]);
        for (; pos < start; pos += 4) {
            float32x4_t v = vaddq_f32(vmulq_f32(vld1q_f32(in + pos), gn), vld1q_f32(prev + pos));
            vst1q_f32(out + pos, vmulq_f32(v, gv));
        }
        float ramp[8];
        float gain = g->gain[i];
        for (unsigned r = 0; r < 8; r++) {
            ramp[r] = gain;
            gain *= g->step[i];
        }
        for (unsigned h = 0; h < 8; h += 4) {
            float32x4_t v = vaddq_f32(vmulq_f32(vld1q_f32(in + start + h), gn),
                                      vld1q_f32(prev + start + h));
            vst1q_f32(out + start + h, vmulq_f32(v, vld1q_f32(ramp + h)));
        }
        pos = start + 8;
    }
    for (; pos < BAND; pos += 4)
        vst1q_f32(out + pos, vaddq_f32(vmulq_f32(vld1q_f32(in + pos), gn), vld1q_f32(prev + pos)));
    memcpy(prev, in + BAND, BAND * sizeof(float));
}

static void atrac3_qmf_synth_neon(const float *low, const float *high, size_t n, float *out,
                                  float *delay, float *work)
{
    float *xs = work;
    for (unsigned i = 0; i < QMF_DELAY; i += 2) {
        xs[i] = delay[i + 1];
        xs[i + 1] = delay[i];
    }
    float *x = xs + QMF_DELAY;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t l = vld1q_f32(low + i), h = vld1q_f32(high + i);
        float32x4x2_t ds;
        ds.val[0] = vsubq_f32(l, h);
        ds.val[1] = vaddq_f32(l, h);
        vst2q_f32(x + 2 * i, ds);
    }
    for (; i < n; i++) {
        x[2 * i] = low[i] - high[i];
        x[2 * i + 1] = low[i] + high[i];
    }
    size_t o = 0;
    for (; o + 8 <= 2 * n; o += 8) {
        const float *p = xs + o;
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
        for (unsigned m = 0; m < 24; m++) {
            float32x4_t h = vld1q_f32(segue_atrac3_qmf_pair8 + 8 * m);
            a0 = vaddq_f32(a0, vmulq_f32(vld1q_f32(p + 2 * m), h));
            a1 = vaddq_f32(a1, vmulq_f32(vld1q_f32(p + 2 * m + 4), h));
        }
        vst1q_f32(out + o, a0);
        vst1q_f32(out + o + 4, a1);
    }
    for (; o < 2 * n; o++) {
        float acc = 0.0f;
        for (unsigned m = 0; m < 24; m++)
            acc += xs[o + 2 * m] * segue_atrac3_qmf_pair8[8 * m + (o & 1u)];
        out[o] = acc;
    }
    for (unsigned k = 0; k < QMF_DELAY; k += 2) {
        delay[k] = xs[2 * n + k + 1];
        delay[k + 1] = xs[2 * n + k];
    }
}

void segue_dsp_init_atrac_neon(segue_dsp *dsp)
{
    dsp->atrac3_imlt = atrac3_imlt_neon;
    dsp->atrac3_gain_overlap = atrac3_gain_overlap_neon;
    dsp->atrac3_qmf_synth = atrac3_qmf_synth_neon;
}
