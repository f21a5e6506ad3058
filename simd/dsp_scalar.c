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
}
