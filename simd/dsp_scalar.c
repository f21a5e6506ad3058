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

/* Complete unrolling of the short fixed-count loops below. The kernels are
 * written as loops with constant trip counts so that they read as the
 * algorithm; unrolled, their small arrays become registers and the loop
 * overhead disappears, which on a scalar in-order core (the PSP build, no
 * SIMD) is most of the cost. The arithmetic and its order are the same
 * either way. */
#if defined(__clang__)
#define MPA_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define MPA_UNROLL _Pragma("GCC unroll 32")
#else
#define MPA_UNROLL
#endif
/* The large straight-line kernels stay separate functions (inlined into
 * their loops, GCC hoists their table loads out of the loop and spills
 * them). With GCC's default first scheduling pass the unrolled code has all
 * its loads hoisted to the top and spills too: register-pressure-aware
 * scheduling saves 25-60 % of the instructions on the scalar MIPS build. */
#if defined(__clang__)
#define MPA_INLINE static inline __attribute__((always_inline))
#define MPA_NOINLINE static __attribute__((noinline))
#elif defined(__GNUC__)
#define MPA_INLINE static inline __attribute__((always_inline))
#define MPA_NOINLINE static __attribute__((noinline, optimize("sched-pressure")))
#else
#define MPA_INLINE static inline
#define MPA_NOINLINE static
#endif

/* One step of Lee's N-point DCT-II recursion, X[m] = sum_k x[k]
 * cos(pi m (2k + 1) / 2N): the even outputs are the N/2-point DCT-II of
 * x[k] + x[N-1-k]; the odd ones X[2m+1] = Y[m] + Y[m+1] with Y the
 * N/2-point DCT-II of (x[k] - x[N-1-k]) / (2 cos(pi (2k+1) / 2N)) (the
 * factors `lee`, N/2 of them, followed by those of the smaller sizes).
 * One function per size, each with constant trip counts, so that the whole
 * 32-point transform (ISO/IEC 11172-3 Annex A, Figure A.2 matrixing)
 * compiles to straight-line code on registers. */
static inline void mpa_dct2_split(const float *x, float *t, size_t n, const float *lee)
{
    size_t half = n / 2;
    MPA_UNROLL
    for (size_t k = 0; k < half; k++) {
        float a = x[k];
        float b = x[n - 1 - k];
        t[k] = a + b;
        t[half + k] = (a - b) * lee[k];
    }
}

static inline void mpa_dct2_merge(float *x, const float *t, size_t n)
{
    size_t half = n / 2;
    MPA_UNROLL
    for (size_t m = 0; m < half; m++) {
        x[2 * m] = t[m];
        x[2 * m + 1] = m + 1 < half ? t[half + m] + t[half + m + 1] : t[half + m];
    }
}

static inline void mpa_dct2_2(float *x, const float *lee)
{
    float t[2];
    mpa_dct2_split(x, t, 2, lee);
    mpa_dct2_merge(x, t, 2);
}

static inline void mpa_dct2_4(float *x, const float *lee)
{
    float t[4];
    mpa_dct2_split(x, t, 4, lee);
    mpa_dct2_2(t, lee + 2);
    mpa_dct2_2(t + 2, lee + 2);
    mpa_dct2_merge(x, t, 4);
}

static inline void mpa_dct2_8(float *x, const float *lee)
{
    float t[8];
    mpa_dct2_split(x, t, 8, lee);
    mpa_dct2_4(t, lee + 4);
    mpa_dct2_4(t + 4, lee + 4);
    mpa_dct2_merge(x, t, 8);
}

static inline void mpa_dct2_16(float *x, const float *lee)
{
    float t[16];
    mpa_dct2_split(x, t, 16, lee);
    mpa_dct2_8(t, lee + 8);
    mpa_dct2_8(t + 8, lee + 8);
    mpa_dct2_merge(x, t, 16);
}

/* The 32-point DCT-II of one channel's 32 subband samples, stored into the
 * synthesis state in the window's order (dsp.h): A[16..31], then A[15..0]. */
MPA_NOINLINE void mpa_dct32_to_v(const float *restrict in, float *restrict v)
{
    const float *lee = segue_mpa_dct32_lee;
    float a[32];
    float t[32];
    mpa_dct2_split(in, t, 32, lee);
    mpa_dct2_16(t, lee + 16);
    mpa_dct2_16(t + 16, lee + 16);
    mpa_dct2_merge(a, t, 32);
    MPA_UNROLL
    for (unsigned n = 0; n < 16; n++) {
        v[n] = a[16 + n];
        v[16 + n] = a[15 - n];
    }
}

/* Output pairs (j, 32 - j) for j = j0 .. j0 + MPA_WCHUNK - 1 of one channel
 * (ISO/IEC 11172-3 Annex A, Figure A.2: windowing by D and the sum over
 * the 16 slots of U). With e_i[j] = A[16 + j] of the slot of age 2i and
 * o_i[j] = A[16 - j] of the slot of age 2i + 1 (the two DCT values both
 * outputs read), w0[i][j] = D[64i + j] and w1[i][j] = D[64i + 32 + j]:
 *   out[j]      = sum_i w0[i][j] e_i[j] - w1[i][j] o_i[j],
 *   out[32 - j] = sum_i w0[i][j] o_{7-i}[j] + w1[i][j] e_{7-i}[j],
 * the second from D[512 - k] = -D[k] (k not a multiple of 64; Table
 * 3-B.3), which turns the coefficients D[64i + 32 - j] and D[64i + 64 - j]
 * of out[32 - j] into -w1[7-i][j] and -w0[7-i][j]. Taking ages i and 7 - i
 * together, every coefficient and every V value loaded serves two
 * products, and the accumulators stay in registers. */
#define MPA_WCHUNK 5u
MPA_INLINE void mpa_window_chunk(const float *const *ep, const float *const *op,
                                    unsigned j0, float *restrict out, unsigned nch)
{
    float s1[MPA_WCHUNK];
    float s2[MPA_WCHUNK];
    MPA_UNROLL
    for (unsigned i = 0; i < 4; i++) {
        const float *ea = ep[i] + j0;
        const float *oa = op[i] + j0;
        const float *eb = ep[7 - i] + j0;
        const float *ob = op[7 - i] + j0;
        const float *wa = segue_mpa_synth_window4 + 64u * i + j0;
        const float *wb = segue_mpa_synth_window4 + 64u * (7u - i) + j0;
        MPA_UNROLL
        for (unsigned j = 0; j < MPA_WCHUNK; j++) {
            float wa0 = wa[j];
            float wa1 = wa[16 + j];
            float wb0 = wb[j];
            float wb1 = wb[16 + j];
            float xea = ea[j];
            float xoa = oa[j];
            float xeb = eb[j];
            float xob = ob[j];
            if (i == 0) {
                s1[j] = wa0 * xea;
                s2[j] = wa0 * xob;
            } else {
                s1[j] += wa0 * xea;
                s2[j] += wa0 * xob;
            }
            s1[j] -= wa1 * xoa;
            s1[j] += wb0 * xeb;
            s1[j] -= wb1 * xob;
            s2[j] += wa1 * xeb;
            s2[j] += wb0 * xoa;
            s2[j] += wb1 * xea;
        }
    }
    MPA_UNROLL
    for (unsigned j = 0; j < MPA_WCHUNK; j++) {
        out[(j0 + j) * nch] = s1[j];
        out[(32u - j0 - j) * nch] = s2[j];
    }
}

/* The 32 outputs of one channel for the slot just stored at `pos`, to
 * out[j * nch]. */
MPA_NOINLINE void mpa_window(const float *v, unsigned pos, float *out, unsigned nch)
{
    const float *d = segue_mpa_synth_window;
    const float *ep[8];
    const float *op[8];
    float s0 = 0.0f;
    float s16 = 0.0f;
    for (unsigned i = 0; i < 8; i++) {
        ep[i] = v + 32u * ((pos - 2u * i) & 15u);
        op[i] = v + 32u * ((pos - 2u * i - 1u) & 15u) + 15;
        s0 += d[64 * i] * ep[i][0] - d[64 * i + 32] * op[i][-15];
        s16 -= d[64 * i + 48] * op[i][16];
    }
    mpa_window_chunk(ep, op, 1, out, nch);
    mpa_window_chunk(ep, op, 1 + MPA_WCHUNK, out, nch);
    mpa_window_chunk(ep, op, 1 + 2 * MPA_WCHUNK, out, nch);
    out[0] = s0;
    out[16 * nch] = s16;
}

void segue_mpa_synth_scalar(float *io, size_t nslots, unsigned nch, segue_mpa_synth_state *st)
{
    for (size_t t = 0; t < nslots; t++) {
        float *slot = io + t * 32u * nch;
        unsigned pos = st->pos & 15u;
        /* Matrixing: V of this slot in its compact DCT form (dsp.h), stored
         * as A[16..31] then A[15..0]; both channels before any output is
         * written, since the outputs overwrite the inputs. */
        for (unsigned c = 0; c < nch; c++) {
            mpa_dct32_to_v(slot + c * 32u, st->v[c] + 32u * pos);
        }
        /* Window: out[j] = sum_i D[64i + j] V_2i[j] + D[64i + 32 + j] V_2i+1[32 + j]
         * (Figure A.2's U and W), with V_b the slot of age b. Outputs j and
         * 32 - j read the same two DCT values of each slot: e[j] = A[16 + j]
         * of the even age, o[j] = A[16 - j] of the odd one. */
        for (unsigned c = 0; c < nch; c++) {
            mpa_window(st->v[c], pos, slot + c, nch);
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

/* Tables only the scalar IMDCT-36 reads (simd/dsp_mpa_tables.c, made by
 * tools/gen_mpa_dsp_tables.py). Declared here rather than in dsp_impl.h
 * because no ISA file uses them. */
extern const float segue_mpa_imdct_window_signed[4 * 36];
extern const float segue_mpa_dct9_c[7];

/* 9-point DCT-II, X[m] = sum_k x[k] cos(pi m (2k+1) / 18). Pairing k with
 * 8 - k (cos(pi m (17 - 2k) / 18) = (-1)^m cos(pi m (2k+1) / 18)) leaves
 * p[k] = x[k] + x[8-k] for even m (plus x[4] cos(pi m / 2)) and
 * q[k] = x[k] - x[8-k] for odd m. With c_a = cos(pi a / 18) the
 * coefficients reduce to c_1, c_5, c_7 (m = 1, 5, 7), c_2, c_4, c_8
 * (m = 2, 4, 8), c_3 = sqrt(3)/2 and 1/2 (k = 1, the third of the circle)
 * and 1 (m = 0): 22 multiplications instead of 36. */
MPA_INLINE void mpa_dct9(const float *x, float *out)
{
    const float *c = segue_mpa_dct9_c;
    float p0 = x[0] + x[8];
    float p1 = x[1] + x[7];
    float p2 = x[2] + x[6];
    float p3 = x[3] + x[5];
    float q0 = x[0] - x[8];
    float q1 = x[1] - x[7];
    float q2 = x[2] - x[6];
    float q3 = x[3] - x[5];
    float x4 = x[4];
    out[0] = p0 + p1 + p2 + p3 + x4;
    out[6] = (p0 + p2 + p3) * 0.5f - p1 - x4;
    out[3] = (q0 - q2 - q3) * c[3];
    float t = q1 * c[3];
    out[1] = q0 * c[0] + q2 * c[1] + q3 * c[2] + t;
    out[5] = q0 * c[1] - q2 * c[2] + q3 * c[0] - t;
    out[7] = q0 * c[2] + q2 * c[0] - q3 * c[1] - t;
    float h = p1 * 0.5f - x4;
    out[2] = p0 * c[4] - p2 * c[6] - p3 * c[5] + h;
    out[4] = p0 * c[5] - p2 * c[4] + p3 * c[6] - h;
    out[8] = p0 * c[6] + p2 * c[5] - p3 * c[4] - h;
}

/* 18-point DCT-IV, z[m] = sum_k x[k] cos(pi (2m+1)(2k+1) / 72): with
 * u[k] = x[k] / (2 cos(pi (2k+1) / 72)) and C its DCT-II, z[m] = C[m] +
 * C[m+1] (C[18] = 0); the DCT-II(18) splits by Lee into two DCT-II(9). */
MPA_INLINE void mpa_dct4_18(const float *x, float *z)
{
    float e[9];
    float o[9];
    float ce[9];
    float co[9];
    float c[18];
    MPA_UNROLL
    for (unsigned k = 0; k < 9; k++) {
        float a = x[k] * segue_mpa_dct4_18_pre[k];
        float b = x[17 - k] * segue_mpa_dct4_18_pre[17 - k];
        e[k] = a + b;
        o[k] = (a - b) * segue_mpa_dct2_18_odd[k];
    }
    mpa_dct9(e, ce);
    mpa_dct9(o, co);
    MPA_UNROLL
    for (unsigned m = 0; m < 9; m++) {
        c[2 * m] = ce[m];
        c[2 * m + 1] = m < 8 ? co[m] + co[m + 1] : co[m];
    }
    MPA_UNROLL
    for (unsigned m = 0; m < 17; m++) {
        z[m] = c[m] + c[m + 1];
    }
    z[17] = c[17];
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

/* One subband of the long-block IMDCT (ISO/IEC 11172-3 2.4.3.4 "IMDCT" and
 * "windowing", then the overlap-add and, with sg = -1 on an odd subband,
 * the frequency inversion of its odd samples). Straight-line code: the
 * gather of the 18 strided inputs, the DCT-IV, and the windowed outputs
 * y[n] = c(2n + 19) with c(p) = sum X[k] cos(pi p (2k+1) / 72), z[m] =
 * c(2m + 1), c(72 - p) = c(p + 72) = -c(p): y[n] = z[9 + n] w[n] for
 * n < 9, -z[26 - n] w[n] for 9..26, -z[n - 27] w[n] for 27..35 (the signs
 * are in `w`). */
MPA_NOINLINE void mpa_imdct36_one(float *restrict x, float *restrict ovl, size_t stride,
                                  const float *restrict w, float sg)
{
    float in[18];
    float z[18];
    MPA_UNROLL
    for (size_t k = 0; k < 18; k++) {
        in[k] = x[k * stride];
    }
    mpa_dct4_18(in, z);
    MPA_UNROLL
    for (size_t n = 0; n < 9; n++) {
        float v = z[9 + n] * w[n] + ovl[n * stride];
        x[n * stride] = (n & 1u) ? v * sg : v;
    }
    MPA_UNROLL
    for (size_t n = 9; n < 18; n++) {
        float v = z[26 - n] * w[n] + ovl[n * stride];
        x[n * stride] = (n & 1u) ? v * sg : v;
    }
    MPA_UNROLL
    for (size_t n = 18; n < 27; n++) {
        ovl[(n - 18) * stride] = z[26 - n] * w[n];
    }
    MPA_UNROLL
    for (size_t n = 27; n < 36; n++) {
        ovl[(n - 18) * stride] = z[n - 27] * w[n];
    }
}

void segue_mpa_imdct36_scalar(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0,
                              unsigned block_type)
{
    const float *w = segue_mpa_imdct_window_signed + 36u * (block_type & 3u);
    for (size_t s = 0; s < nsb; s++) {
        mpa_imdct36_one(x + s, ovl + s, stride, w, ((sb0 + s) & 1u) ? -1.0f : 1.0f);
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
