/*
 * simd/arm/dsp_neon.c - AArch64 Advanced SIMD kernels.
 *
 * vcvtnq_s32_f32 rounds to nearest, ties to even, whatever FPCR says; the
 * scalar lrintf follows FPCR, which is round-to-nearest unless someone
 * changed it, and nothing in segue does. Clamping in float first keeps the
 * saturating conversion out of the picture, as in the x86 files.
 * scale_add uses separate multiply and add (no vfmaq) to round twice like
 * the scalar C; a compiler allowed to contract (GNU modes, or clang's
 * default) may still fuse either side, which the declared tolerance covers.
 */
#include <arm_neon.h>

#include "simd/dsp_impl.h"

static int32x4_t f32_to_s32_clamped_neon(float32x4_t v, float32x4_t lo, float32x4_t hi)
{
    return vcvtnq_s32_f32(vminq_f32(vmaxq_f32(v, lo), hi));
}

static void f32_to_s16_neon(int16_t *dst, const float *src, size_t n)
{
    const float32x4_t lo = vdupq_n_f32(SEGUE_S16_MIN_F);
    const float32x4_t hi = vdupq_n_f32(SEGUE_S16_MAX_F);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t a = vmulq_n_f32(vld1q_f32(src + i), SEGUE_S16_SCALE_F);
        float32x4_t b = vmulq_n_f32(vld1q_f32(src + i + 4), SEGUE_S16_SCALE_F);
        int16x4_t sa = vqmovn_s32(f32_to_s32_clamped_neon(a, lo, hi));
        int16x4_t sb = vqmovn_s32(f32_to_s32_clamped_neon(b, lo, hi));
        vst1q_s16(dst + i, vcombine_s16(sa, sb));
    }
    segue_f32_to_s16_scalar(dst + i, src + i, n - i);
}

static size_t f32_to_s32_body_neon(int32_t *dst, const float *src, size_t n, float scale,
                                   float min_f, float max_f)
{
    const float32x4_t lo = vdupq_n_f32(min_f);
    const float32x4_t hi = vdupq_n_f32(max_f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t a = vmulq_n_f32(vld1q_f32(src + i), scale);
        float32x4_t b = vmulq_n_f32(vld1q_f32(src + i + 4), scale);
        vst1q_s32(dst + i, f32_to_s32_clamped_neon(a, lo, hi));
        vst1q_s32(dst + i + 4, f32_to_s32_clamped_neon(b, lo, hi));
    }
    for (; i + 4 <= n; i += 4) {
        float32x4_t a = vmulq_n_f32(vld1q_f32(src + i), scale);
        vst1q_s32(dst + i, f32_to_s32_clamped_neon(a, lo, hi));
    }
    return i;
}

static void f32_to_s24_neon(int32_t *dst, const float *src, size_t n)
{
    size_t i = f32_to_s32_body_neon(dst, src, n, SEGUE_S24_SCALE_F, SEGUE_S24_MIN_F, SEGUE_S24_MAX_F);
    segue_f32_to_s24_scalar(dst + i, src + i, n - i);
}

static void f32_to_s32_neon(int32_t *dst, const float *src, size_t n)
{
    size_t i = f32_to_s32_body_neon(dst, src, n, SEGUE_S32_SCALE_F, SEGUE_S32_MIN_F, SEGUE_S32_MAX_F);
    segue_f32_to_s32_scalar(dst + i, src + i, n - i);
}

static void s16_to_f32_neon(float *dst, const int16_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        int16x8_t s = vld1q_s16(src + i);
        float32x4_t a = vcvtq_f32_s32(vmovl_s16(vget_low_s16(s)));
        float32x4_t b = vcvtq_f32_s32(vmovl_s16(vget_high_s16(s)));
        vst1q_f32(dst + i, vmulq_n_f32(a, SEGUE_S16_INV_SCALE_F));
        vst1q_f32(dst + i + 4, vmulq_n_f32(b, SEGUE_S16_INV_SCALE_F));
    }
    segue_s16_to_f32_scalar(dst + i, src + i, n - i);
}

static void s32_to_f32_neon(float *dst, const int32_t *src, size_t n, float scale)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t a = vcvtq_f32_s32(vld1q_s32(src + i));
        float32x4_t b = vcvtq_f32_s32(vld1q_s32(src + i + 4));
        vst1q_f32(dst + i, vmulq_n_f32(a, scale));
        vst1q_f32(dst + i + 4, vmulq_n_f32(b, scale));
    }
    segue_s32_to_f32_scalar(dst + i, src + i, n - i, scale);
}

static void interleave2_f32_neon(float *dst, const float *l, const float *r, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4x2_t v;
        v.val[0] = vld1q_f32(l + i);
        v.val[1] = vld1q_f32(r + i);
        vst2q_f32(dst + 2 * i, v);
    }
    segue_interleave2_f32_scalar(dst + 2 * i, l + i, r + i, n - i);
}

static void deinterleave2_f32_neon(float *l, float *r, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4x2_t v = vld2q_f32(src + 2 * i);
        vst1q_f32(l + i, v.val[0]);
        vst1q_f32(r + i, v.val[1]);
    }
    segue_deinterleave2_f32_scalar(l + i, r + i, src + 2 * i, n - i);
}

/* 4x4 transpose, its own inverse (planes x frames <-> frames x channels). */
static void transpose4_neon(float32x4_t *r0, float32x4_t *r1, float32x4_t *r2, float32x4_t *r3)
{
    float32x4x2_t ac = vzipq_f32(*r0, *r2);
    float32x4x2_t bd = vzipq_f32(*r1, *r3);
    float32x4x2_t lo = vzipq_f32(ac.val[0], bd.val[0]);
    float32x4x2_t hi = vzipq_f32(ac.val[1], bd.val[1]);
    *r0 = lo.val[0];
    *r1 = lo.val[1];
    *r2 = hi.val[0];
    *r3 = hi.val[1];
}

/* 2, 3 and 4 channels map onto the structure stores; other counts go by
 * blocks of 4 frames with channel groups of 4 (transpose), 2 (zip) and 1,
 * frames outermost so each block of the output stays in cache. */
static void interleave_f32_neon(float *dst, const float *const *planes, unsigned channels, size_t n)
{
    size_t i = 0;
    if (channels == 2) {
        interleave2_f32_neon(dst, planes[0], planes[1], n);
        return;
    }
    if (channels == 3) {
        for (; i + 4 <= n; i += 4) {
            float32x4x3_t v;
            v.val[0] = vld1q_f32(planes[0] + i);
            v.val[1] = vld1q_f32(planes[1] + i);
            v.val[2] = vld1q_f32(planes[2] + i);
            vst3q_f32(dst + 3 * i, v);
        }
    } else if (channels == 4) {
        for (; i + 4 <= n; i += 4) {
            float32x4x4_t v;
            v.val[0] = vld1q_f32(planes[0] + i);
            v.val[1] = vld1q_f32(planes[1] + i);
            v.val[2] = vld1q_f32(planes[2] + i);
            v.val[3] = vld1q_f32(planes[3] + i);
            vst4q_f32(dst + 4 * i, v);
        }
    } else {
        const size_t stride = channels;
        for (; i + 4 <= n; i += 4) {
            float *out = dst + i * stride;
            unsigned c = 0;
            for (; c + 4 <= channels; c += 4) {
                float32x4_t a = vld1q_f32(planes[c] + i);
                float32x4_t b = vld1q_f32(planes[c + 1] + i);
                float32x4_t d = vld1q_f32(planes[c + 2] + i);
                float32x4_t e = vld1q_f32(planes[c + 3] + i);
                transpose4_neon(&a, &b, &d, &e);
                vst1q_f32(out + c, a);
                vst1q_f32(out + stride + c, b);
                vst1q_f32(out + 2 * stride + c, d);
                vst1q_f32(out + 3 * stride + c, e);
            }
            if (c + 2 <= channels) {
                float32x4x2_t z = vzipq_f32(vld1q_f32(planes[c] + i), vld1q_f32(planes[c + 1] + i));
                vst1_f32(out + c, vget_low_f32(z.val[0]));
                vst1_f32(out + stride + c, vget_high_f32(z.val[0]));
                vst1_f32(out + 2 * stride + c, vget_low_f32(z.val[1]));
                vst1_f32(out + 3 * stride + c, vget_high_f32(z.val[1]));
                c += 2;
            }
            if (c < channels) {
                const float *p = planes[c] + i;
                out[c] = p[0];
                out[stride + c] = p[1];
                out[2 * stride + c] = p[2];
                out[3 * stride + c] = p[3];
            }
        }
    }
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            dst[i * channels + c] = planes[c][i];
        }
    }
}

static void deinterleave_f32_neon(float *const *planes, const float *src, unsigned channels,
                                  size_t n)
{
    size_t i = 0;
    if (channels == 2) {
        deinterleave2_f32_neon(planes[0], planes[1], src, n);
        return;
    }
    if (channels == 3) {
        for (; i + 4 <= n; i += 4) {
            float32x4x3_t v = vld3q_f32(src + 3 * i);
            vst1q_f32(planes[0] + i, v.val[0]);
            vst1q_f32(planes[1] + i, v.val[1]);
            vst1q_f32(planes[2] + i, v.val[2]);
        }
    } else if (channels == 4) {
        for (; i + 4 <= n; i += 4) {
            float32x4x4_t v = vld4q_f32(src + 4 * i);
            vst1q_f32(planes[0] + i, v.val[0]);
            vst1q_f32(planes[1] + i, v.val[1]);
            vst1q_f32(planes[2] + i, v.val[2]);
            vst1q_f32(planes[3] + i, v.val[3]);
        }
    } else {
        const size_t stride = channels;
        for (; i + 4 <= n; i += 4) {
            const float *in = src + i * stride;
            unsigned c = 0;
            for (; c + 4 <= channels; c += 4) {
                float32x4_t a = vld1q_f32(in + c);
                float32x4_t b = vld1q_f32(in + stride + c);
                float32x4_t d = vld1q_f32(in + 2 * stride + c);
                float32x4_t e = vld1q_f32(in + 3 * stride + c);
                transpose4_neon(&a, &b, &d, &e);
                vst1q_f32(planes[c] + i, a);
                vst1q_f32(planes[c + 1] + i, b);
                vst1q_f32(planes[c + 2] + i, d);
                vst1q_f32(planes[c + 3] + i, e);
            }
            if (c + 2 <= channels) {
                float32x4_t v0 = vcombine_f32(vld1_f32(in + c), vld1_f32(in + stride + c));
                float32x4_t v1 = vcombine_f32(vld1_f32(in + 2 * stride + c), vld1_f32(in + 3 * stride + c));
                float32x4x2_t u = vuzpq_f32(v0, v1);
                vst1q_f32(planes[c] + i, u.val[0]);
                vst1q_f32(planes[c + 1] + i, u.val[1]);
                c += 2;
            }
            if (c < channels) {
                float *p = planes[c] + i;
                p[0] = in[c];
                p[1] = in[stride + c];
                p[2] = in[2 * stride + c];
                p[3] = in[3 * stride + c];
            }
        }
    }
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            planes[c][i] = src[i * channels + c];
        }
    }
}

static void scale_add_f32_neon(float *dst, const float *src, float gain, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t a = vaddq_f32(vld1q_f32(dst + i), vmulq_n_f32(vld1q_f32(src + i), gain));
        float32x4_t b = vaddq_f32(vld1q_f32(dst + i + 4), vmulq_n_f32(vld1q_f32(src + i + 4), gain));
        vst1q_f32(dst + i, a);
        vst1q_f32(dst + i + 4, b);
    }
    segue_scale_add_f32_scalar(dst + i, src + i, gain, n - i);
}

static void scale_f32_neon(float *dst, const float *src, float gain, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        /* Both loads before the stores: dst may equal src. */
        float32x4_t a = vmulq_n_f32(vld1q_f32(src + i), gain);
        float32x4_t b = vmulq_n_f32(vld1q_f32(src + i + 4), gain);
        vst1q_f32(dst + i, a);
        vst1q_f32(dst + i + 4, b);
    }
    segue_scale_f32_scalar(dst + i, src + i, gain, n - i);
}

void segue_dsp_init_neon(segue_dsp *dsp)
{
    dsp->f32_to_s16 = f32_to_s16_neon;
    dsp->f32_to_s24 = f32_to_s24_neon;
    dsp->f32_to_s32 = f32_to_s32_neon;
    dsp->s16_to_f32 = s16_to_f32_neon;
    dsp->s32_to_f32 = s32_to_f32_neon;
    dsp->interleave2_f32 = interleave2_f32_neon;
    dsp->deinterleave2_f32 = deinterleave2_f32_neon;
    dsp->interleave_f32 = interleave_f32_neon;
    dsp->deinterleave_f32 = deinterleave_f32_neon;
    dsp->scale_add_f32 = scale_add_f32_neon;
    dsp->scale_f32 = scale_f32_neon;
}
