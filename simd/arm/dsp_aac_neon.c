/*
 * simd/arm/dsp_aac_neon.c - the AAC kernels with NEON (AArch64, 4 floats).
 * The algorithms of simd/x86/dsp_aac_sse2.c (described there): dequant 4
 * values a step with per-lane pow43 lookups; the IMDCT pre-twiddle
 * scattered to bit-reversed order, FFT stages 1 and 2 on transposed 4x4
 * blocks, the other stages 4 butterflies at a time, in-place post-twiddle
 * and an unpacking spread; the long window halves 4 at a time, the
 * EIGHT_SHORT_SEQUENCE by the scalar kernel. Same operations in the same
 * order per element as the scalar kernels, separate multiplies and adds
 * (vmulq/vaddq, no vfmaq; the build uses ISO C, so the compiler does not
 * contract them), so bit-exact up to the sign of zero.
 */
#include <arm_neon.h>
#include <string.h>

#include "simd/dsp_impl.h"

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
static inline void transpose4(float32x4_t *r0, float32x4_t *r1, float32x4_t *r2, float32x4_t *r3)
{
    float32x4x2_t a = vtrnq_f32(*r0, *r1), b = vtrnq_f32(*r2, *r3);
    *r0 = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
    *r1 = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
    *r2 = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
    *r3 = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
}

static void aac_dequant_neon(float *dst, const int16_t *q, size_t n, float gain)
{
    const float32x4_t g = vdupq_n_f32(gain);
    const uint32x4_t signbit = vdupq_n_u32(0x80000000u);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        int32x4_t v = vmovl_s16(vld1_s16(q + i));
        int32x4_t a = vabsq_s32(v);
        float m4[4] = {segue_aac_pow43[vgetq_lane_s32(a, 0)], segue_aac_pow43[vgetq_lane_s32(a, 1)],
                       segue_aac_pow43[vgetq_lane_s32(a, 2)], segue_aac_pow43[vgetq_lane_s32(a, 3)]};
        float32x4_t m = vmulq_f32(vld1q_f32(m4), g);
        uint32x4_t s = vandq_u32(vreinterpretq_u32_s32(v), signbit);
        vst1q_f32(dst + i, vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(m), s)));
    }
    segue_aac_dequant_scalar(dst + i, q + i, n - i, gain);
}

static void butterfly(float32x4_t *ar, float32x4_t *ai, float32x4_t *br_, float32x4_t *bi_,
                      float32x4_t c, float32x4_t s)
{
    float32x4_t br = cmul_re(*br_, *bi_, c, s), bi = cmul_im(*br_, *bi_, c, s);
    *br_ = vsubq_f32(*ar, br);
    *bi_ = vsubq_f32(*ai, bi);
    *ar = vaddq_f32(*ar, br);
    *ai = vaddq_f32(*ai, bi);
}

static inline void spread8(float *out, const float *f, const float *r_top, int neg)
{
    float32x4x2_t zz = vzipq_f32(vld1q_f32(f), reverse4(vld1q_f32(r_top - 3)));
    float32x4_t lo = zz.val[0], hi = zz.val[1];
    if (neg) {
        lo = vnegq_f32(lo);
        hi = vnegq_f32(hi);
    }
    vst1q_f32(out, lo);
    vst1q_f32(out + 4, hi);
}

static void aac_imdct_neon(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned n = 1u << log2n, m = n >> 1, q = n >> 2, h2 = q >> 1, shift = log2n == 11 ? 0u : 3u;
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    const float32x4_t scale = vdupq_n_f32(2.0f / (float)n);
    float *re = work, *im = work + q;
    for (unsigned k = 0; k < q; k += 4) {
        float32x4_t xr = vld2q_f32(in + 2 * k).val[0];
        /* in[m-1-2k], in[m-3-2k], ...: the odd lanes of in[m-8-2k ..], reversed. */
        float32x4_t xi = reverse4(vld2q_f32(in + m - 8 - 2 * k).val[1]);
        float32x4_t wc = vld1q_f32(tc + k), ws = vld1q_f32(ts + k);
        float32x4_t zr = vmulq_f32(vaddq_f32(vmulq_f32(xr, wc), vmulq_f32(xi, ws)), scale);
        float32x4_t zi = vmulq_f32(vsubq_f32(vmulq_f32(xi, wc), vmulq_f32(xr, ws)), scale);
        float fr[4], fi[4];
        vst1q_f32(fr, zr);
        vst1q_f32(fi, zi);
        for (unsigned j = 0; j < 4; j++) {
            unsigned r = (unsigned)segue_aac_bitrev512[k + j] >> shift;
            re[r] = fr[j];
            im[r] = fi[j];
        }
    }
    const float32x4_t w1c = vdupq_n_f32(segue_aac_fft_cos[1]), w1s = vdupq_n_f32(segue_aac_fft_sin[1]);
    const float32x4_t w2c = vdupq_n_f32(segue_aac_fft_cos[2]), w2s = vdupq_n_f32(segue_aac_fft_sin[2]);
    const float32x4_t w3c = vdupq_n_f32(segue_aac_fft_cos[3]), w3s = vdupq_n_f32(segue_aac_fft_sin[3]);
    for (unsigned b = 0; b < q; b += 16) {
        float32x4_t r0 = vld1q_f32(re + b), r1 = vld1q_f32(re + b + 4);
        float32x4_t r2 = vld1q_f32(re + b + 8), r3 = vld1q_f32(re + b + 12);
        float32x4_t i0 = vld1q_f32(im + b), i1 = vld1q_f32(im + b + 4);
        float32x4_t i2 = vld1q_f32(im + b + 8), i3 = vld1q_f32(im + b + 12);
        transpose4(&r0, &r1, &r2, &r3);
        transpose4(&i0, &i1, &i2, &i3);
        butterfly(&r0, &i0, &r1, &i1, w1c, w1s);
        butterfly(&r2, &i2, &r3, &i3, w1c, w1s);
        butterfly(&r0, &i0, &r2, &i2, w2c, w2s);
        butterfly(&r1, &i1, &r3, &i3, w3c, w3s);
        transpose4(&r0, &r1, &r2, &r3);
        transpose4(&i0, &i1, &i2, &i3);
        vst1q_f32(re + b, r0);
        vst1q_f32(re + b + 4, r1);
        vst1q_f32(re + b + 8, r2);
        vst1q_f32(re + b + 12, r3);
        vst1q_f32(im + b, i0);
        vst1q_f32(im + b + 4, i1);
        vst1q_f32(im + b + 8, i2);
        vst1q_f32(im + b + 12, i3);
    }
    for (unsigned h = 4; h < q; h *= 2) {
        for (unsigned start = 0; start < q; start += 2 * h) {
            for (unsigned j = 0; j < h; j += 4) {
                float *ar = re + start + j, *ai = im + start + j;
                float32x4_t a_r = vld1q_f32(ar), a_i = vld1q_f32(ai);
                float32x4_t b_r = vld1q_f32(ar + h), b_i = vld1q_f32(ai + h);
                butterfly(&a_r, &a_i, &b_r, &b_i, vld1q_f32(segue_aac_fft_cos + h + j),
                          vld1q_f32(segue_aac_fft_sin + h + j));
                vst1q_f32(ar, a_r);
                vst1q_f32(ai, a_i);
                vst1q_f32(ar + h, b_r);
                vst1q_f32(ai + h, b_i);
            }
        }
    }
    for (unsigned p = 0; p < q; p += 4) {
        float32x4_t c = vld1q_f32(tc + p), s = vld1q_f32(ts + p);
        float32x4_t xr = vld1q_f32(re + p), xi = vld1q_f32(im + p);
        vst1q_f32(re + p, vaddq_f32(vmulq_f32(xr, c), vmulq_f32(xi, s)));
        vst1q_f32(im + p, vsubq_f32(vmulq_f32(xr, s), vmulq_f32(xi, c)));
    }
    const float *A = re, *B = im;
    for (unsigned k = 0; k < h2; k += 4)
        spread8(out + 2 * k, A + h2 + k, B + h2 - 1 - k, 0);
    for (unsigned k = 0; k < q; k += 4)
        spread8(out + q + 2 * k, B + k, A + q - 1 - k, 1);
    for (unsigned k = 0; k < h2; k += 4)
        spread8(out + 3 * q + 2 * k, A + k, B + q - 1 - k, 1);
}

static inline void rise_run(float *out, const float *ov, const float *t, const float *w,
                            unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i += 4)
        vst1q_f32(out + i,
                  vaddq_f32(vld1q_f32(ov + i), vmulq_f32(vld1q_f32(t + i), vld1q_f32(w + i - from))));
}

static inline void fall_run(float *ov, const float *t, const float *w_top, unsigned from,
                            unsigned to)
{
    for (unsigned i = from; i < to; i += 4)
        vst1q_f32(ov + i,
                  vmulq_f32(vld1q_f32(t + i), reverse4(vld1q_f32(w_top - (i - from) - 3))));
}

static void aac_window_overlap_neon(float *out, float *overlap, const float *t,
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
            vst1q_f32(out + i, vaddq_f32(vld1q_f32(overlap + i), vld1q_f32(t + i)));
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

void segue_dsp_init_aac_neon(segue_dsp *dsp)
{
    dsp->aac_dequant = aac_dequant_neon;
    dsp->aac_imdct = aac_imdct_neon;
    dsp->aac_window_overlap = aac_window_overlap_neon;
}
