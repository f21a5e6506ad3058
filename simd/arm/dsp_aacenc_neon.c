/*
 * simd/arm/dsp_aacenc_neon.c - the AAC encoder kernels with NEON (AArch64,
 * 4 floats), simd/dsp.h; scalar specification in simd/dsp_aacenc_scalar.c.
 *
 * The algorithms of simd/x86/dsp_aacenc_sse2.c (described there and in
 * dsp_aacenc_x86.h: the MDCT's pre-twiddle, bit reversal and first two FFT
 * stages fused on 4x4 blocks), with the
 * same operations in the same order per element as the scalar kernels:
 * vmulq/vaddq kept apart (no vfmaq; ISO C mode, so the compiler does not
 * contract them), vsqrtq correctly rounded. The quantiser's clip selects
 * 8191 unless v < 8191 (vminq would pass a NaN through, the scalar
 * comparison gives 8191). MDCT, pow34 and quantize are bit-exact,
 * quant_error sums in 4 float lanes (within the declared tolerance).
 */
#include <arm_neon.h>

#include "simd/dsp_impl.h"

static inline float32x4_t rev4(float32x4_t v)
{
    float32x4_t r = vrev64q_f32(v);
    return vcombine_f32(vget_high_f32(r), vget_low_f32(r));
}

/* p[0], p[2], p[4], p[6]. */
static inline float32x4_t even4(const float *p)
{
    return vld2q_f32(p).val[0];
}

/* p[0], p[-2], p[-4], p[-6] (reads p[-7] .. p[0] only). */
static inline float32x4_t down4(const float *p)
{
    return rev4(vld2q_f32(p - 7).val[1]);
}

/* Fold and pre-twiddle of z[k .. k+3] (formulas in
 * simd/x86/dsp_aacenc_x86.h, aacenc_pre4). */
static inline void pre4(const float *in, unsigned q, unsigned k, const float *tc, const float *ts,
                        float32x4_t *zr, float32x4_t *zi)
{
    float32x4_t xr, xi;
    float32x4_t b = down4(in + 3 * q - 1 - 2 * k), c = even4(in + q + 2 * k);
    if (k < q / 2) {
        xr = vsubq_f32(vnegq_f32(even4(in + 3 * q + 2 * k)), b);
        xi = vsubq_f32(down4(in + q - 1 - 2 * k), c);
    } else {
        xr = vsubq_f32(even4(in + 2 * k - q), b);
        xi = vsubq_f32(vnegq_f32(down4(in + 5 * q - 1 - 2 * k)), c);
    }
    xr = vaddq_f32(xr, xr); /* the factor 2 */
    xi = vaddq_f32(xi, xi);
    float32x4_t cs = vld1q_f32(tc + k), sn = vld1q_f32(ts + k);
    *zr = vaddq_f32(vmulq_f32(xr, cs), vmulq_f32(xi, sn));
    *zi = vsubq_f32(vmulq_f32(xi, cs), vmulq_f32(xr, sn));
}

static inline void transpose4(float32x4_t *r0, float32x4_t *r1, float32x4_t *r2, float32x4_t *r3)
{
    float32x4x2_t a = vtrnq_f32(*r0, *r1), b = vtrnq_f32(*r2, *r3);
    *r0 = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
    *r1 = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
    *r2 = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
    *r3 = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
}

static void aacenc_mdct_neon(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned q = 1u << (log2n - 2), shift = log2n == 11 ? 0u : 3u;
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    float *re = work, *im = work + q;
    /* Pre-twiddle, bit reversal and the stages of half-size 1 and 2 on
     * four blocks at once (derivation: aacenc_mdct_pre_radix4 in
     * simd/x86/dsp_aacenc_x86.h). */
    for (unsigned r = 0; r < q / 4; r += 4) {
        float32x4_t r0, i0, r1, i1, r2, i2, r3, i3;
        pre4(in, q, r, tc, ts, &r0, &i0);
        pre4(in, q, r + q / 2, tc, ts, &r1, &i1);
        pre4(in, q, r + q / 4, tc, ts, &r2, &i2);
        pre4(in, q, r + 3 * q / 4, tc, ts, &r3, &i3);
        float32x4_t sr0 = vaddq_f32(r0, r1), si0 = vaddq_f32(i0, i1);
        float32x4_t sr1 = vsubq_f32(r0, r1), si1 = vsubq_f32(i0, i1);
        float32x4_t sr2 = vaddq_f32(r2, r3), si2 = vaddq_f32(i2, i3);
        float32x4_t sr3 = vsubq_f32(r2, r3), si3 = vsubq_f32(i2, i3);
        r0 = vaddq_f32(sr0, sr2), i0 = vaddq_f32(si0, si2);
        r2 = vsubq_f32(sr0, sr2), i2 = vsubq_f32(si0, si2);
        r1 = vaddq_f32(sr1, si3), i1 = vsubq_f32(si1, sr3);
        r3 = vsubq_f32(sr1, si3), i3 = vaddq_f32(si1, sr3);
        transpose4(&r0, &r1, &r2, &r3);
        transpose4(&i0, &i1, &i2, &i3);
        unsigned p0 = (unsigned)segue_aac_bitrev512[r] >> shift;
        unsigned p1 = (unsigned)segue_aac_bitrev512[r + 1] >> shift;
        unsigned p2 = (unsigned)segue_aac_bitrev512[r + 2] >> shift;
        unsigned p3 = (unsigned)segue_aac_bitrev512[r + 3] >> shift;
        vst1q_f32(re + p0, r0), vst1q_f32(im + p0, i0);
        vst1q_f32(re + p1, r1), vst1q_f32(im + p1, i1);
        vst1q_f32(re + p2, r2), vst1q_f32(im + p2, i2);
        vst1q_f32(re + p3, r3), vst1q_f32(im + p3, i3);
    }
    for (unsigned h = 4; h < q; h *= 2)
        for (unsigned start = 0; start < q; start += 2 * h)
            for (unsigned j = 0; j < h; j += 4) {
                float32x4_t wr = vld1q_f32(segue_aac_fft_cos + h + j);
                float32x4_t wi = vld1q_f32(segue_aac_fft_sin + h + j);
                float *ra = re + start + j, *ia = im + start + j;
                float32x4_t xr = vld1q_f32(ra + h), xi = vld1q_f32(ia + h);
                float32x4_t br = vsubq_f32(vmulq_f32(xr, wr), vmulq_f32(xi, wi));
                float32x4_t bi = vaddq_f32(vmulq_f32(xr, wi), vmulq_f32(xi, wr));
                float32x4_t ar = vld1q_f32(ra), ai = vld1q_f32(ia);
                vst1q_f32(ra + h, vsubq_f32(ar, br));
                vst1q_f32(ia + h, vsubq_f32(ai, bi));
                vst1q_f32(ra, vaddq_f32(ar, br));
                vst1q_f32(ia, vaddq_f32(ai, bi));
            }
    for (unsigned p = 0; p < q; p += 4) {
        float32x4_t cs = vld1q_f32(tc + p), sn = vld1q_f32(ts + p);
        float32x4_t xr = vld1q_f32(re + p), xi = vld1q_f32(im + p);
        vst1q_f32(re + p, vaddq_f32(vmulq_f32(xr, cs), vmulq_f32(xi, sn)));
        vst1q_f32(im + p, vsubq_f32(vmulq_f32(xr, sn), vmulq_f32(xi, cs)));
    }
    for (unsigned p = 0; p < q; p += 4) {
        float32x4x2_t z = vzipq_f32(vld1q_f32(re + p), rev4(vld1q_f32(im + q - 4 - p)));
        vst1q_f32(out + 2 * p, z.val[0]);
        vst1q_f32(out + 2 * p + 4, z.val[1]);
    }
}

static void aacenc_pow34_neon(float *dst, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t a = vabsq_f32(vld1q_f32(x + i));
        vst1q_f32(dst + i, vsqrtq_f32(vmulq_f32(a, vsqrtq_f32(a))));
    }
    segue_aacenc_pow34_scalar(dst + i, x + i, n - i);
}

static int aacenc_quantize_neon(int16_t *q, const float *x, const float *x34, size_t n,
                                float istep, float rounding)
{
    const float32x4_t is = vdupq_n_f32(istep), rd = vdupq_n_f32(rounding);
    const float32x4_t lim = vdupq_n_f32(8191.0f), zero = vdupq_n_f32(0.0f);
    int16x8_t mx = vdupq_n_s16(0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t v0 = vaddq_f32(vmulq_f32(vld1q_f32(x34 + i), is), rd);
        float32x4_t v1 = vaddq_f32(vmulq_f32(vld1q_f32(x34 + i + 4), is), rd);
        v0 = vbslq_f32(vcltq_f32(v0, lim), v0, lim);
        v1 = vbslq_f32(vcltq_f32(v1, lim), v1, lim);
        int16x8_t a = vcombine_s16(vmovn_s32(vcvtq_s32_f32(v0)), vmovn_s32(vcvtq_s32_f32(v1)));
        int16x8_t s = vcombine_s16(vmovn_s32(vreinterpretq_s32_u32(vcltq_f32(vld1q_f32(x + i), zero))),
                                   vmovn_s32(vreinterpretq_s32_u32(vcltq_f32(vld1q_f32(x + i + 4), zero))));
        mx = vmaxq_s16(mx, a);
        vst1q_s16(q + i, vsubq_s16(veorq_s16(a, s), s));
    }
    int m = vmaxvq_s16(mx);
    int t = segue_aacenc_quantize_scalar(q + i, x + i, x34 + i, n - i, istep, rounding);
    return t > m ? t : m;
}

static float aacenc_quant_error_neon(const float *x, const int16_t *q, size_t n, float step)
{
    const float32x4_t st = vdupq_n_f32(step);
    float32x4_t acc = vdupq_n_f32(0.0f);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float p4[4];
        for (unsigned j = 0; j < 4; j++) {
            int v = q[i + j];
            unsigned u = v < 0 ? (unsigned)-v : (unsigned)v;
            p4[j] = segue_aac_pow43[u < 8191u ? u : 8191u];
        }
        float32x4_t d = vsubq_f32(vabsq_f32(vld1q_f32(x + i)), vmulq_f32(vld1q_f32(p4), st));
        acc = vaddq_f32(acc, vmulq_f32(d, d));
    }
    float tail = segue_aacenc_quant_error_scalar(x + i, q + i, n - i, step);
    return vaddvq_f32(acc) + tail;
}

void segue_dsp_init_aacenc_neon(segue_dsp *dsp)
{
    dsp->aacenc_mdct = aacenc_mdct_neon;
    dsp->aacenc_pow34 = aacenc_pow34_neon;
    dsp->aacenc_quantize = aacenc_quantize_neon;
    dsp->aacenc_quant_error = aacenc_quant_error_neon;
}
