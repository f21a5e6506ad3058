/*
 * simd/arm/dsp_neon.c - AArch64 Advanced SIMD kernels.
 *
 * vcvtnq_s32_f32 rounds to nearest, ties to even, whatever FPCR says; the
 * scalar lrintf follows FPCR, which is round-to-nearest unless someone
 * changed it, and nothing in segue does. Clamping in float first keeps the
 * saturating conversion out of the picture, as in the x86 files.
 * scale_add uses separate multiply and add (no vfmaq) to round twice like
 * the scalar C; a compiler allowed to contract (GCC in GNU modes; clang
 * is told not to below) may still fuse either side, which the declared
 * tolerance covers.
 */
#include <arm_neon.h>

#include "simd/dsp_impl.h"

/* The scalar parts of the MPEG audio kernels (the synthesis' two lone
 * outputs) must round like dsp_scalar.c, which forbids contraction; clang
 * would otherwise fuse a * b + c within an expression on FMA targets. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

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

/* ---- MPEG audio -------------------------------------------------------------
 *
 * Same structure as simd/x86/dsp_sse2.c: four lanes, each running the
 * scalar kernel's exact sequence of roundings with separate multiplies and
 * adds (vmulq/vaddq, never vfmaq/vmlaq, which fuse), so a GCC build in ISO
 * mode matches the specification bit for bit; a compiler allowed to
 * contract may fuse, which the declared tolerance covers. The synthesis
 * DCT runs on four time slots at once, the IMDCTs and alias butterflies on
 * four subbands. */

/* Lee's DCT-II (dsp_scalar.c mpa_dct2) on 4 columns, in place in x, with
 * t as scratch of the same size (see simd/x86/dsp_sse2.c). */
#define MPA_DCT_STEP_NEON(N, HALF_FN)                                                    \
    static inline void mpa_dct2_##N##_neon(float32x4_t *x, float32x4_t *t, const float *lee) \
    {                                                                                    \
        enum { H = N / 2 };                                                              \
        for (unsigned k = 0; k < H; k++) {                                               \
            float32x4_t a = x[k];                                                        \
            float32x4_t b = x[N - 1 - k];                                                \
            t[k] = vaddq_f32(a, b);                                                      \
            t[H + k] = vmulq_n_f32(vsubq_f32(a, b), lee[k]);                             \
        }                                                                                \
        HALF_FN(t, x, lee + H);                                                          \
        HALF_FN(t + H, x + H, lee + H);                                                  \
        for (unsigned m = 0; m < H; m++) {                                               \
            x[2 * m] = t[m];                                                             \
            x[2 * m + 1] = m + 1 < H ? vaddq_f32(t[H + m], t[H + m + 1]) : t[H + m];     \
        }                                                                                \
    }

static inline void mpa_dct2_1_neon(float32x4_t *x, float32x4_t *t, const float *lee)
{
    (void)x;
    (void)t;
    (void)lee;
}
MPA_DCT_STEP_NEON(2, mpa_dct2_1_neon)
MPA_DCT_STEP_NEON(4, mpa_dct2_2_neon)
MPA_DCT_STEP_NEON(8, mpa_dct2_4_neon)
MPA_DCT_STEP_NEON(16, mpa_dct2_8_neon)
MPA_DCT_STEP_NEON(32, mpa_dct2_16_neon)

/* A zero slot for the lanes past the last one of a batch. */
static const float mpa_zero_slot[32];

/* [a3 a2 a1 a0] */
static inline float32x4_t mpa_reverse_neon(float32x4_t v)
{
    float32x4_t r = vrev64q_f32(v);
    return vextq_f32(r, r, 2);
}

/* The window of segue_mpa_synth_scalar for one channel of one slot (its V
 * already in the ring at `pos`): 32 PCM values as 8 vectors. */
static inline void mpa_window_neon(const float *v, unsigned pos, float32x4_t out[8])
{
    const float *d = segue_mpa_synth_window;
    float32x4_t s1[4];
    float32x4_t s2[4];
    for (unsigned q = 0; q < 4; q++) {
        s1[q] = vdupq_n_f32(0.0f);
        s2[q] = vdupq_n_f32(0.0f);
    }
    float s0 = 0.0f;
    float s16 = 0.0f;
    for (unsigned i = 0; i < 8; i++) {
        const float *e = v + 32u * ((pos - 2u * i) & 15u);
        const float *o = v + 32u * ((pos - 2u * i - 1u) & 15u) + 15;
        const float *w = segue_mpa_synth_window4 + 64u * i;
        s0 += d[64 * i] * e[0] - d[64 * i + 32] * o[-15];
        s16 -= d[64 * i + 48] * o[16];
        /* Lane j = 0 has zero weights, so it stays 0; out[0] is s0. */
        for (unsigned q = 0; q < 4; q++) {
            float32x4_t ev = vld1q_f32(e + 4 * q);
            float32x4_t ov = vld1q_f32(o + 4 * q);
            float32x4_t a = vsubq_f32(vmulq_f32(vld1q_f32(w + 4 * q), ev),
                                      vmulq_f32(vld1q_f32(w + 16 + 4 * q), ov));
            float32x4_t b = vaddq_f32(vmulq_f32(vld1q_f32(w + 32 + 4 * q), ev),
                                      vmulq_f32(vld1q_f32(w + 48 + 4 * q), ov));
            s1[q] = vaddq_f32(s1[q], a);
            s2[q] = vsubq_f32(s2[q], b);
        }
    }
    /* out[j] = s1[j] (s0 at 0), out[16] = s16, out[32 - j] = s2[j]: the
     * upper half is s2 reversed and shifted by one lane. */
    out[0] = vsetq_lane_f32(s0, s1[0], 0);
    out[1] = s1[1];
    out[2] = s1[2];
    out[3] = s1[3];
    float32x4_t r3 = mpa_reverse_neon(s2[3]);
    float32x4_t r2 = mpa_reverse_neon(s2[2]);
    float32x4_t r1 = mpa_reverse_neon(s2[1]);
    float32x4_t r0 = mpa_reverse_neon(s2[0]);
    out[4] = vextq_f32(vdupq_n_f32(s16), r3, 3);
    out[5] = vextq_f32(r3, r2, 3);
    out[6] = vextq_f32(r2, r1, 3);
    out[7] = vextq_f32(r1, r0, 3);
}

static void mpa_synth_neon(float *io, size_t nslots, unsigned nch, segue_mpa_synth_state *st)
{
    const size_t slot_len = 32u * nch;
    for (size_t t = 0; t < nslots; t += 4) {
        size_t nb = nslots - t < 4 ? nslots - t : 4;
        /* Matrixing of up to 4 slots at once (lane = slot). Each slot's V
         * goes back over its own consumed input until the window moves it
         * into the ring (see simd/x86/dsp_sse2.c). */
        float spare[32]; /* V of the lanes past the batch, discarded */
        for (unsigned c = 0; c < nch; c++) {
            const float *row[4];
            float *vrow[4];
            for (size_t s = 0; s < 4; s++) {
                row[s] = s < nb ? io + (t + s) * slot_len + c * 32u : mpa_zero_slot;
                vrow[s] = s < nb ? io + (t + s) * slot_len + c * 32u : spare;
            }
            float32x4_t a[32];
            float32x4_t scratch[32];
            for (unsigned g = 0; g < 8; g++) {
                float32x4_t r0 = vld1q_f32(row[0] + 4 * g);
                float32x4_t r1 = vld1q_f32(row[1] + 4 * g);
                float32x4_t r2 = vld1q_f32(row[2] + 4 * g);
                float32x4_t r3 = vld1q_f32(row[3] + 4 * g);
                transpose4_neon(&r0, &r1, &r2, &r3);
                a[4 * g] = r0;
                a[4 * g + 1] = r1;
                a[4 * g + 2] = r2;
                a[4 * g + 3] = r3;
            }
            mpa_dct2_32_neon(a, scratch, segue_mpa_dct32_lee);
            /* Back to one row per slot in ring order: A[16..31], A[15..0]. */
            for (unsigned g = 0; g < 8; g++) {
                float32x4_t r0, r1, r2, r3;
                if (g < 4) {
                    r0 = a[16 + 4 * g];
                    r1 = a[17 + 4 * g];
                    r2 = a[18 + 4 * g];
                    r3 = a[19 + 4 * g];
                } else {
                    r0 = a[31 - 4 * g];
                    r1 = a[30 - 4 * g];
                    r2 = a[29 - 4 * g];
                    r3 = a[28 - 4 * g];
                }
                transpose4_neon(&r0, &r1, &r2, &r3);
                vst1q_f32(vrow[0] + 4 * g, r0);
                vst1q_f32(vrow[1] + 4 * g, r1);
                vst1q_f32(vrow[2] + 4 * g, r2);
                vst1q_f32(vrow[3] + 4 * g, r3);
            }
        }
        /* Window slot by slot: a slot's V enters the ring only now, as the
         * ring holds exactly the 16 slots the window reads. */
        for (size_t s = 0; s < nb; s++) {
            unsigned pos = st->pos & 15u;
            float *out = io + (t + s) * slot_len;
            float32x4_t pcm[2][8];
            for (unsigned c = 0; c < nch; c++) {
                float *v = st->v[c] + 32u * pos;
                for (unsigned q = 0; q < 8; q++)
                    vst1q_f32(v + 4 * q, vld1q_f32(out + c * 32u + 4 * q));
                mpa_window_neon(st->v[c], pos, pcm[c]);
            }
            if (nch == 2) {
                for (unsigned q = 0; q < 8; q++) {
                    float32x4x2_t lr = {{pcm[0][q], pcm[1][q]}};
                    vst2q_f32(out + 8 * q, lr);
                }
            } else {
                for (unsigned q = 0; q < 8; q++)
                    vst1q_f32(out + 4 * q, pcm[0][q]);
            }
            st->pos = (pos + 1u) & 15u;
        }
    }
}

static void mpa_alias_neon(float *x, size_t stride, size_t nb)
{
    /* The up and down rows of one i are different rows, so a group's
     * loads never see its own stores. */
    size_t b = 1;
    for (; b + 3 <= nb; b += 4) {
        for (size_t i = 0; i < 8; i++) {
            float *up = x + (17 - i) * stride + b - 1;
            float *dn = x + i * stride + b;
            float cs = segue_mpa_alias_cs[i];
            float ca = segue_mpa_alias_ca[i];
            float32x4_t u = vld1q_f32(up);
            float32x4_t d = vld1q_f32(dn);
            vst1q_f32(up, vsubq_f32(vmulq_n_f32(u, cs), vmulq_n_f32(d, ca)));
            vst1q_f32(dn, vaddq_f32(vmulq_n_f32(d, cs), vmulq_n_f32(u, ca)));
        }
    }
    /* Boundaries b..nb: the scalar kernel on x shifted so its boundary 1 is b. */
    if (b <= nb)
        segue_mpa_alias_scalar(x + b - 1, stride, nb - b + 1);
}

/* dsp_scalar.c mpa_dct2_9 on 4 columns. */
static inline void mpa_dct2_9_neon(const float32x4_t *x, float32x4_t *out)
{
    float32x4_t p[4];
    float32x4_t q[4];
    for (unsigned k = 0; k < 4; k++) {
        p[k] = vaddq_f32(x[k], x[8 - k]);
        q[k] = vsubq_f32(x[k], x[8 - k]);
    }
    const float *c = segue_mpa_dct2_9;
    for (unsigned m = 0; m < 9; m++) {
        const float *cm = c + 4 * m;
        const float32x4_t *src = (m & 1u) ? q : p;
        float32x4_t acc = vmulq_n_f32(src[0], cm[0]);
        acc = vaddq_f32(acc, vmulq_n_f32(src[1], cm[1]));
        acc = vaddq_f32(acc, vmulq_n_f32(src[2], cm[2]));
        acc = vaddq_f32(acc, vmulq_n_f32(src[3], cm[3]));
        if (!(m & 1u))
            acc = vaddq_f32(acc, (m & 2u) ? vnegq_f32(x[4]) : x[4]);
        out[m] = acc;
    }
}

/* dsp_scalar.c mpa_dct4_18 on 4 columns. */
static inline void mpa_dct4_18_neon(const float32x4_t *x, float32x4_t *z)
{
    float32x4_t e[9];
    float32x4_t o[9];
    float32x4_t ce[9];
    float32x4_t co[9];
    float32x4_t c[19];
    for (unsigned k = 0; k < 9; k++) {
        float32x4_t a = vmulq_n_f32(x[k], segue_mpa_dct4_18_pre[k]);
        float32x4_t b = vmulq_n_f32(x[17 - k], segue_mpa_dct4_18_pre[17 - k]);
        e[k] = vaddq_f32(a, b);
        o[k] = vmulq_n_f32(vsubq_f32(a, b), segue_mpa_dct2_18_odd[k]);
    }
    mpa_dct2_9_neon(e, ce);
    mpa_dct2_9_neon(o, co);
    for (unsigned m = 0; m < 9; m++) {
        c[2 * m] = ce[m];
        c[2 * m + 1] = m < 8 ? vaddq_f32(co[m], co[m + 1]) : co[m];
    }
    c[18] = vdupq_n_f32(0.0f);
    for (unsigned m = 0; m < 18; m++)
        z[m] = vaddq_f32(c[m], c[m + 1]);
}

/* Sign bits in the lanes whose subband first + lane is odd. */
static inline uint32x4_t mpa_odd_sign_neon(size_t first)
{
    static const uint32_t odd_lanes[8] = {0, 0x80000000u, 0, 0x80000000u,
                                          0x80000000u, 0, 0x80000000u, 0};
    return vld1q_u32(odd_lanes + ((first & 1u) ? 4 : 0));
}

/* Overlap-add, frequency inversion at odd n and the new overlap. */
static inline void mpa_overlap_store_neon(float *x, float *ovl, size_t stride, uint32x4_t sign,
                                          const float32x4_t *y)
{
    for (size_t n = 0; n < 18; n++) {
        float32x4_t v = vaddq_f32(y[n], vld1q_f32(ovl + n * stride));
        if (n & 1u)
            v = vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(v), sign));
        vst1q_f32(x + n * stride, v);
        vst1q_f32(ovl + n * stride, y[18 + n]);
    }
}

/* One group of 4 subbands at x (lanes = subbands first .. first + 3).
 * The windowed output y[0..35] of the scalar kernel is formed in the
 * order it is stored (y[n] into x with the overlap, y[18 + n] as the new
 * overlap), so no 36-vector array lives across the loop. */
static inline void mpa_imdct36_4_neon(float *x, float *ovl, size_t stride, size_t first,
                                      const float *w)
{
    float32x4_t in[18];
    float32x4_t z[18];
    for (size_t k = 0; k < 18; k++)
        in[k] = vld1q_f32(x + k * stride);
    mpa_dct4_18_neon(in, z);
    uint32x4_t sign = mpa_odd_sign_neon(first);
    for (size_t n = 0; n < 18; n++) {
        /* y[n] = z[n + 9] w[n] (n < 9), -z[26 - n] w[n] (9 <= n < 27),
         * -z[n - 27] w[n] (n >= 27). */
        float32x4_t y0 = n < 9 ? vmulq_n_f32(z[n + 9], w[n]) : vmulq_n_f32(vnegq_f32(z[26 - n]), w[n]);
        float32x4_t y1 = n < 9 ? vmulq_n_f32(vnegq_f32(z[8 - n]), w[18 + n])
                               : vmulq_n_f32(vnegq_f32(z[n - 9]), w[18 + n]);
        float32x4_t v = vaddq_f32(y0, vld1q_f32(ovl + n * stride));
        if (n & 1u)
            v = vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(v), sign));
        vst1q_f32(x + n * stride, v);
        vst1q_f32(ovl + n * stride, y1);
    }
}

/* The last 1..3 subbands through the same vector code: copied into a
 * zero-padded 4-wide block, transformed, the real lanes copied back (the
 * lanes are independent, so the padding changes nothing). Much cheaper
 * than the scalar kernel per subband. */
static inline void mpa_tail_in_neon(float *tx, float *to, const float *x, const float *ovl,
                                    size_t stride, size_t r)
{
    for (size_t k = 0; k < 18; k++) {
        for (size_t l = 0; l < 4; l++) {
            tx[4 * k + l] = l < r ? x[k * stride + l] : 0.0f;
            to[4 * k + l] = l < r ? ovl[k * stride + l] : 0.0f;
        }
    }
}

static inline void mpa_tail_out_neon(float *x, float *ovl, const float *tx, const float *to,
                                     size_t stride, size_t r)
{
    for (size_t k = 0; k < 18; k++) {
        for (size_t l = 0; l < r; l++) {
            x[k * stride + l] = tx[4 * k + l];
            ovl[k * stride + l] = to[4 * k + l];
        }
    }
}

static void mpa_imdct36_neon(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0,
                             unsigned block_type)
{
    const float *w = segue_mpa_imdct_window + 36u * (block_type & 3u);
    size_t s = 0;
    for (; s + 4 <= nsb; s += 4)
        mpa_imdct36_4_neon(x + s, ovl + s, stride, sb0 + s, w);
    if (s < nsb) {
        float tx[18 * 4];
        float to[18 * 4];
        mpa_tail_in_neon(tx, to, x + s, ovl + s, stride, nsb - s);
        mpa_imdct36_4_neon(tx, to, 4, sb0 + s, w);
        mpa_tail_out_neon(x + s, ovl + s, tx, to, stride, nsb - s);
    }
}

static inline void mpa_imdct12_4_neon(float *x, float *ovl, size_t stride, size_t first)
{
    const float *ws = segue_mpa_imdct_window_short;
    float32x4_t r[36];
    for (unsigned n = 0; n < 36; n++)
        r[n] = vdupq_n_f32(0.0f);
    for (unsigned win = 0; win < 3; win++) {
        float32x4_t in[6];
        float32x4_t z[6];
        for (unsigned k = 0; k < 6; k++)
            in[k] = vld1q_f32(x + (3u * k + win) * stride);
        for (unsigned m = 0; m < 6; m++) {
            const float *c = segue_mpa_dct4_6 + 6 * m;
            float32x4_t acc = vmulq_n_f32(in[0], c[0]);
            for (unsigned k = 1; k < 6; k++)
                acc = vaddq_f32(acc, vmulq_n_f32(in[k], c[k]));
            z[m] = acc;
        }
        float32x4_t *dst = r + 6 + 6 * win;
        for (unsigned n = 0; n < 3; n++) {
            dst[n] = vaddq_f32(dst[n], vmulq_n_f32(z[n + 3], ws[n]));
            dst[9 + n] = vsubq_f32(dst[9 + n], vmulq_n_f32(z[n], ws[9 + n]));
        }
        for (unsigned n = 3; n < 9; n++)
            dst[n] = vsubq_f32(dst[n], vmulq_n_f32(z[8 - n], ws[n]));
    }
    mpa_overlap_store_neon(x, ovl, stride, mpa_odd_sign_neon(first), r);
}

static void mpa_imdct12_neon(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0)
{
    size_t s = 0;
    for (; s + 4 <= nsb; s += 4)
        mpa_imdct12_4_neon(x + s, ovl + s, stride, sb0 + s);
    if (s < nsb) {
        float tx[18 * 4];
        float to[18 * 4];
        mpa_tail_in_neon(tx, to, x + s, ovl + s, stride, nsb - s);
        mpa_imdct12_4_neon(tx, to, 4, sb0 + s);
        mpa_tail_out_neon(x + s, ovl + s, tx, to, stride, nsb - s);
    }
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
    dsp->mpa_synth = mpa_synth_neon;
    dsp->mpa_alias = mpa_alias_neon;
    dsp->mpa_imdct36 = mpa_imdct36_neon;
    dsp->mpa_imdct12 = mpa_imdct12_neon;
}
