/*
 * simd/dsp.h - the table of DSP kernels codecs call through.
 *
 * segue_dsp_get() returns the table for the best ISA this CPU and OS support,
 * capped by the SEGUE_CPU environment variable (scalar|sse2|avx2|neon) or by
 * segue_dsp_set_cap(). The table is filled with the scalar kernels first,
 * then each ISA at or below the level overrides the kernels it implements,
 * in ascending order. The scalar kernel is the specification of each entry:
 * integer outputs must match it bit for bit; float outputs within the
 * tolerance stated beside the entry (tests/simd checks every level).
 *
 * Conversions: float -> integer scales by 2^(bits-1), rounds to nearest with
 * ties to even (the IEEE default mode; lrintf), and clips to the integer
 * range. Integer -> float multiplies by 2^-(bits-1), which is exact for
 * 8..24-bit sources.
 */
#ifndef SEGUE_SIMD_DSP_H
#define SEGUE_SIMD_DSP_H

#include <stddef.h>
#include <stdint.h>

typedef enum segue_cpu_level {
    SEGUE_CPU_SCALAR = 0,
    SEGUE_CPU_SSE2 = 1,
    SEGUE_CPU_AVX2 = 2,
    SEGUE_CPU_NEON = 3
} segue_cpu_level;

typedef struct segue_dsp {
    /* dst[i] = clip(round(src[i] * 32768)). Bit-exact. */
    void (*f32_to_s16)(int16_t *dst, const float *src, size_t n);
    /* dst[i] = clip(round(src[i] * 2^23)) in [-2^23, 2^23 - 1]. Bit-exact. */
    void (*f32_to_s24)(int32_t *dst, const float *src, size_t n);
    /* dst[i] = clip(round(src[i] * 2^31)); the float is clamped to
     * [-2^31, 2147483520] (the largest float below 2^31) before rounding.
     * Bit-exact. */
    void (*f32_to_s32)(int32_t *dst, const float *src, size_t n);
    /* dst[i] = src[i] / 32768. Exact, bit-exact. */
    void (*s16_to_f32)(float *dst, const int16_t *src, size_t n);
    /* dst[i] = (float)src[i] * scale, e.g. scale = 2^-23 for s24 in int32,
     * 2^-31 for s32. Bit-exact (one rounding in the int->float conversion,
     * the product by a power of two is exact). */
    void (*s32_to_f32)(float *dst, const int32_t *src, size_t n, float scale);

    /* dst[2i] = l[i], dst[2i+1] = r[i]. Bit-exact. */
    void (*interleave2_f32)(float *dst, const float *l, const float *r, size_t n);
    /* l[i] = src[2i], r[i] = src[2i+1]. Bit-exact. */
    void (*deinterleave2_f32)(float *l, float *r, const float *src, size_t n);
    /* dst[i*channels + c] = planes[c][i], channels >= 1. Bit-exact. */
    void (*interleave_f32)(float *dst, const float *const *planes, unsigned channels, size_t n);
    /* planes[c][i] = src[i*channels + c]. Bit-exact. */
    void (*deinterleave_f32)(float *const *planes, const float *src, unsigned channels, size_t n);

    /* dst[i] += src[i] * gain. Tolerance: 1 ulp of the result plus 2^-30
     * absolute (a fused multiply-add may round once where C rounds twice). */
#define SEGUE_DSP_SCALE_ADD_TOLERANCE_ABS (1.0f / 1073741824.0f)
    /* When dst[i] and src[i] * gain nearly cancel, a fused multiply-add can
     * differ from C's two roundings by up to half an ulp of the product,
     * which is many ulps of the small result; the bound tests/simd applies
     * is therefore ulp(result) + REL * |src[i] * gain| + ABS. */
#define SEGUE_DSP_SCALE_ADD_TOLERANCE_REL (1.0f / 16777216.0f)
    void (*scale_add_f32)(float *dst, const float *src, float gain, size_t n);
    /* dst[i] = src[i] * gain (dst may equal src). Bit-exact. */
    void (*scale_f32)(float *dst, const float *src, float gain, size_t n);
} segue_dsp;

/* The table for the active level; initialised once, thread-safe after the
 * first call returns. Never NULL. */
const segue_dsp *segue_dsp_get(void);

/* Fills `dsp` for exactly `level` (scalar, then each ISA up to `level` in
 * ascending order). Returns 0, or -1 if the host cannot run `level`. */
int segue_dsp_init_level(segue_dsp *dsp, segue_cpu_level level);

/* Highest level this CPU and OS support (no cap applied). */
segue_cpu_level segue_cpu_detect(void);
/* The active level: detect() capped by SEGUE_CPU / segue_dsp_set_cap().
 * Both caps apply. A cap is an upper bound in the order scalar < sse2 < avx2
 * and scalar < neon, so capping to the other architecture's ISA leaves
 * scalar; an unknown SEGUE_CPU value is ignored. Levels not compiled into
 * this build are never chosen. */
segue_cpu_level segue_cpu_active(void);
/* Caps the level before the first segue_dsp_get() (the CLI's --cpu).
 * Returns -1 if the table is already in use. */
int segue_dsp_set_cap(segue_cpu_level cap);
/* "scalar", "sse2", "avx2", "neon". */
const char *segue_cpu_level_name(segue_cpu_level level);
/* Parses a name; returns -1 if unknown. */
int segue_cpu_level_parse(const char *name);

#endif
