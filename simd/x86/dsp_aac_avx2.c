/*
 * simd/x86/dsp_aac_avx2.c - the AAC kernels with AVX2 (8 floats).
 *
 * IMDCT: the scalar kernel's FFT (simd/dsp_aac_scalar.c), reorganised: the
 * pre-twiddle, the bit-reversed placement and the radix-2 stages of
 * half-size 1, 2 and 4 run in registers on 8x8 blocks ending in a
 * transpose (imdct_pre_radix8: no scatter), then the other stages two at
 * a time (fft_stages2, one pass over the data per pair), then the
 * post-twiddle and the output spread 8 lanes wide. Every butterfly does
 * the scalar kernel's operations in the same order (no fused
 * multiply-adds; multiplies by the table's exact 1 and -i left out), so
 * the output is bit-exact up to the sign of zero. dequant reads pow43
 * with a gather; the window runs are 8 wide (EIGHT_SHORT is the scalar
 * kernel).
 */
#include <immintrin.h>
#include <string.h>

#include "simd/x86/dsp_aac_x86.h"

#define CMUL8_RE(ar, ai, c, s) _mm256_sub_ps(_mm256_mul_ps(ar, c), _mm256_mul_ps(ai, s))
#define CMUL8_IM(ar, ai, c, s) _mm256_add_ps(_mm256_mul_ps(ar, s), _mm256_mul_ps(ai, c))

static void aac_dequant_avx2(float *dst, const int16_t *q, size_t n, float gain)
{
    const __m256 g = _mm256_set1_ps(gain);
    const __m256i signbit = _mm256_set1_epi32((int)0x80000000u);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(q + i)));
        __m256 m = _mm256_i32gather_ps(segue_aac_pow43, _mm256_abs_epi32(v), 4);
        m = _mm256_mul_ps(m, g);
        _mm256_storeu_ps(dst + i, _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_and_si256(v, signbit))));
    }
    if (i + 4 <= n) { /* bands are multiples of 4 long */
        __m128i v = _mm_cvtepi16_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(q + i)));
        __m128 m = _mm_mul_ps(_mm_i32gather_ps(segue_aac_pow43, _mm_abs_epi32(v), 4),
                              _mm256_castps256_ps128(g));
        _mm_storeu_ps(dst + i, _mm_xor_ps(m, _mm_castsi128_ps(_mm_and_si128(
                                                 v, _mm256_castsi256_si128(signbit)))));
        i += 4;
    }
    segue_aac_dequant_scalar(dst + i, q + i, n - i, gain);
}

static inline __m256 reverse8(__m256 v)
{
    return _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0));
}

/* out[0..15] = sign * interleave(f[0..7], r_top[0], r_top[-1], ...). */
static inline void spread16(float *out, const float *f, const float *r_top, __m256 sign)
{
    __m256 a = _mm256_loadu_ps(f);
    __m256 b = reverse8(_mm256_loadu_ps(r_top - 7));
    __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
    _mm256_storeu_ps(out, _mm256_xor_ps(_mm256_permute2f128_ps(lo, hi, 0x20), sign));
    _mm256_storeu_ps(out + 8, _mm256_xor_ps(_mm256_permute2f128_ps(lo, hi, 0x31), sign));
}

/* 8x8 transpose of r[0..7] (rows) in place. */
static inline void transpose8(__m256 *r)
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* a, b = a + b w, a - b w on register pairs (the scalar butterfly). */
#define BFLY8(ar, ai, br, bi, wr, wi)                                                             \
    do {                                                                                          \
        __m256 tr_ = CMUL8_RE(br, bi, wr, wi), ti_ = CMUL8_IM(br, bi, wr, wi);                    \
        br = _mm256_sub_ps(ar, tr_);                                                              \
        bi = _mm256_sub_ps(ai, ti_);                                                              \
        ar = _mm256_add_ps(ar, tr_);                                                              \
        ai = _mm256_add_ps(ai, ti_);                                                              \
    } while (0)

/* The same with w = 1 and w = -i (the table's exact values), multiplies
 * left out. */
#define BFLY8_ONE(ar, ai, br, bi)                                                                 \
    do {                                                                                          \
        __m256 tr_ = br, ti_ = bi;                                                                \
        br = _mm256_sub_ps(ar, tr_);                                                              \
        bi = _mm256_sub_ps(ai, ti_);                                                              \
        ar = _mm256_add_ps(ar, tr_);                                                              \
        ai = _mm256_add_ps(ai, ti_);                                                              \
    } while (0)
#define BFLY8_MINUS_I(ar, ai, br, bi)                                                             \
    do {                                                                                          \
        __m256 tr_ = bi, ti_ = _mm256_xor_ps(br, _mm256_set1_ps(-0.0f));                          \
        br = _mm256_sub_ps(ar, tr_);                                                              \
        bi = _mm256_sub_ps(ai, ti_);                                                              \
        ar = _mm256_add_ps(ar, tr_);                                                              \
        ai = _mm256_add_ps(ai, ti_);                                                              \
    } while (0)

static const unsigned rev3[8] = {0, 4, 2, 6, 1, 5, 3, 7};

/* Pre-twiddle, bit reversal and the radix-2 stages of half-size 1, 2, 4
 * (simd/dsp_aac_scalar.c) in one pass, without a scatter. With q = 2^L and
 * k = a q/8 + 8 b + c (a, c 3 bits, b the L - 6 between), the L-bit
 * reversal of k is rev(c) q/8 + 8 rev(b) + rev(a). For one b the eight
 * vectors of z[k] over c (a = 0..7), put in register rev(a), are the 64
 * points of 8 blocks of 8 consecutive outputs, one block per lane c: the
 * first three stages work within a block, so across the registers, with
 * each register's twiddle a constant; an 8x8 transpose then makes each
 * block a vector, stored at rev(c) q/8 + 8 rev(b). */
static void imdct_pre_radix8(const float *in, unsigned log2n, float *re, float *im)
{
    unsigned n = 1u << log2n, m = n >> 1, q = n >> 2, q8 = q >> 3, nb = q >> 6;
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    const __m256 scale = _mm256_set1_ps(2.0f / (float)n);
    const __m256i even = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    const __m256i odd_rev = _mm256_setr_epi32(5, 4, 1, 0, 7, 6, 3, 2);
    const __m256 w5c = _mm256_set1_ps(segue_aac_fft_cos[5]), w5s = _mm256_set1_ps(segue_aac_fft_sin[5]);
    const __m256 w7c = _mm256_set1_ps(segue_aac_fft_cos[7]), w7s = _mm256_set1_ps(segue_aac_fft_sin[7]);
    for (unsigned b = 0; b < nb; b++) {
        __m256 r[8], i[8];
        for (unsigned a = 0; a < 8; a++) {
            unsigned k = a * q8 + 8 * b;
            /* in[2k'] and in[m-1-2k'] for k' = k..k+7. */
            __m256 v0 = _mm256_loadu_ps(in + 2 * k), v1 = _mm256_loadu_ps(in + 2 * k + 8);
            __m256 xr = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)), even);
            __m256 d0 = _mm256_loadu_ps(in + m - 16 - 2 * k), d1 = _mm256_loadu_ps(in + m - 8 - 2 * k);
            __m256 xi = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(d1, d0, _MM_SHUFFLE(3, 1, 3, 1)), odd_rev);
            __m256 wc = _mm256_loadu_ps(tc + k), ws = _mm256_loadu_ps(ts + k);
            r[rev3[a]] = _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(xr, wc), _mm256_mul_ps(xi, ws)), scale);
            i[rev3[a]] = _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(xi, wc), _mm256_mul_ps(xr, ws)), scale);
        }
        /* Half-size 1: w[1] = 1. */
        BFLY8_ONE(r[0], i[0], r[1], i[1]);
        BFLY8_ONE(r[2], i[2], r[3], i[3]);
        BFLY8_ONE(r[4], i[4], r[5], i[5]);
        BFLY8_ONE(r[6], i[6], r[7], i[7]);
        /* Half-size 2: w[2] = 1, w[3] = -i. */
        BFLY8_ONE(r[0], i[0], r[2], i[2]);
        BFLY8_MINUS_I(r[1], i[1], r[3], i[3]);
        BFLY8_ONE(r[4], i[4], r[6], i[6]);
        BFLY8_MINUS_I(r[5], i[5], r[7], i[7]);
        /* Half-size 4: w[4] = 1, w[5], w[6] = -i, w[7]. */
        BFLY8_ONE(r[0], i[0], r[4], i[4]);
        BFLY8(r[1], i[1], r[5], i[5], w5c, w5s);
        BFLY8_MINUS_I(r[2], i[2], r[6], i[6]);
        BFLY8(r[3], i[3], r[7], i[7], w7c, w7s);
        transpose8(r);
        transpose8(i);
        for (unsigned c = 0; c < 8; c++) {
            unsigned dst = rev3[c] * q8 + 8 * (nb > 1 ? rev3[b] : 0u);
            _mm256_storeu_ps(re + dst, r[c]);
            _mm256_storeu_ps(im + dst, i[c]);
        }
    }
}

/* Radix-2 stages of half-sizes h and 2h in one pass (each butterfly as in
 * the scalar stages, so the same arithmetic). */
static void fft_stages2(float *re, float *im, unsigned q, unsigned h)
{
    for (unsigned start = 0; start < q; start += 4 * h) {
        for (unsigned j = 0; j < h; j += 8) {
            float *pr = re + start + j, *pi = im + start + j;
            __m256 r0 = _mm256_loadu_ps(pr), i0 = _mm256_loadu_ps(pi);
            __m256 r1 = _mm256_loadu_ps(pr + h), i1 = _mm256_loadu_ps(pi + h);
            __m256 r2 = _mm256_loadu_ps(pr + 2 * h), i2 = _mm256_loadu_ps(pi + 2 * h);
            __m256 r3 = _mm256_loadu_ps(pr + 3 * h), i3 = _mm256_loadu_ps(pi + 3 * h);
            __m256 wr = _mm256_loadu_ps(segue_aac_fft_cos + h + j);
            __m256 wi = _mm256_loadu_ps(segue_aac_fft_sin + h + j);
            BFLY8(r0, i0, r1, i1, wr, wi);
            BFLY8(r2, i2, r3, i3, wr, wi);
            wr = _mm256_loadu_ps(segue_aac_fft_cos + 2 * h + j);
            wi = _mm256_loadu_ps(segue_aac_fft_sin + 2 * h + j);
            BFLY8(r0, i0, r2, i2, wr, wi);
            wr = _mm256_loadu_ps(segue_aac_fft_cos + 3 * h + j);
            wi = _mm256_loadu_ps(segue_aac_fft_sin + 3 * h + j);
            BFLY8(r1, i1, r3, i3, wr, wi);
            _mm256_storeu_ps(pr, r0);
            _mm256_storeu_ps(pi, i0);
            _mm256_storeu_ps(pr + h, r1);
            _mm256_storeu_ps(pi + h, i1);
            _mm256_storeu_ps(pr + 2 * h, r2);
            _mm256_storeu_ps(pi + 2 * h, i2);
            _mm256_storeu_ps(pr + 3 * h, r3);
            _mm256_storeu_ps(pi + 3 * h, i3);
        }
    }
}

static void aac_imdct_avx2(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned q = 1u << (log2n - 2), h2 = q >> 1;
    float *re = work, *im = work + q;
    imdct_pre_radix8(in, log2n, re, im);
    unsigned h = 8;
    for (; 4 * h <= q; h *= 4)
        fft_stages2(re, im, q, h);
    if (h < q) { /* one radix-2 stage left (q = 64: h = 32) */
        for (unsigned start = 0; start < q; start += 2 * h) {
            for (unsigned j = 0; j < h; j += 8) {
                float *pr = re + start + j, *pi = im + start + j;
                __m256 r0 = _mm256_loadu_ps(pr), i0 = _mm256_loadu_ps(pi);
                __m256 r1 = _mm256_loadu_ps(pr + h), i1 = _mm256_loadu_ps(pi + h);
                __m256 wr = _mm256_loadu_ps(segue_aac_fft_cos + h + j);
                __m256 wi = _mm256_loadu_ps(segue_aac_fft_sin + h + j);
                BFLY8(r0, i0, r1, i1, wr, wi);
                _mm256_storeu_ps(pr, r0);
                _mm256_storeu_ps(pi, i0);
                _mm256_storeu_ps(pr + h, r1);
                _mm256_storeu_ps(pi + h, i1);
            }
        }
    }
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    for (unsigned p = 0; p < q; p += 8) {
        __m256 c = _mm256_loadu_ps(tc + p), s = _mm256_loadu_ps(ts + p);
        __m256 xr = _mm256_loadu_ps(re + p), xi = _mm256_loadu_ps(im + p);
        _mm256_storeu_ps(re + p, _mm256_add_ps(_mm256_mul_ps(xr, c), _mm256_mul_ps(xi, s)));
        _mm256_storeu_ps(im + p, _mm256_sub_ps(_mm256_mul_ps(xr, s), _mm256_mul_ps(xi, c)));
    }
    const __m256 pos = _mm256_setzero_ps(), neg = _mm256_set1_ps(-0.0f);
    const float *A = re, *B = im;
    for (unsigned k = 0; k < h2; k += 8)
        spread16(out + 2 * k, A + h2 + k, B + h2 - 1 - k, pos);
    for (unsigned k = 0; k < q; k += 8)
        spread16(out + q + 2 * k, B + k, A + q - 1 - k, neg);
    for (unsigned k = 0; k < h2; k += 8)
        spread16(out + 3 * q + 2 * k, A + k, B + q - 1 - k, neg);
}

static inline void rise_run8(float *out, const float *ov, const float *t, const float *w,
                             unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i += 8)
        _mm256_storeu_ps(out + i,
                         _mm256_add_ps(_mm256_loadu_ps(ov + i),
                                       _mm256_mul_ps(_mm256_loadu_ps(t + i),
                                                     _mm256_loadu_ps(w + i - from))));
}

static inline void fall_run8(float *ov, const float *t, const float *w_top, unsigned from,
                             unsigned to)
{
    for (unsigned i = from; i < to; i += 8)
        _mm256_storeu_ps(ov + i, _mm256_mul_ps(_mm256_loadu_ps(t + i),
                                               reverse8(_mm256_loadu_ps(w_top - (i - from) - 7))));
}

static void aac_window_overlap_avx2(float *out, float *overlap, const float *t,
                                    unsigned window_sequence, const float *left,
                                    const float *right)
{
    if (window_sequence == 2) {
        segue_aac_window_overlap_scalar(out, overlap, t, window_sequence, left, right);
        return;
    }
    if (window_sequence == 3) {
        memcpy(out, overlap, 448 * sizeof(float));
        rise_run8(out, overlap, t, left, 448, 576);
        for (unsigned i = 576; i < 1024; i += 8)
            _mm256_storeu_ps(out + i,
                             _mm256_add_ps(_mm256_loadu_ps(overlap + i), _mm256_loadu_ps(t + i)));
    } else {
        rise_run8(out, overlap, t, left, 0, 1024);
    }
    if (window_sequence == 1) {
        memcpy(overlap, t + 1024, 448 * sizeof(float));
        fall_run8(overlap, t + 1024, right + 127, 448, 576);
        memset(overlap + 576, 0, 448 * sizeof(float));
    } else {
        fall_run8(overlap, t + 1024, right + 1023, 0, 1024);
    }
}

void segue_dsp_init_aac_avx2(segue_dsp *dsp)
{
    dsp->aac_dequant = aac_dequant_avx2;
    dsp->aac_imdct = aac_imdct_avx2;
    dsp->aac_window_overlap = aac_window_overlap_avx2;
}
