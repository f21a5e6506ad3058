/*
 * simd/x86/dsp_aac_sse2.c - the AAC kernels with SSE2 (4 floats).
 *
 * The scalar kernels' arithmetic (simd/dsp_aac_scalar.c) in the same order
 * per element, several elements at a time, so the results match them bit
 * for bit up to the sign of zero:
 *   dequant: 4 values a step, pow43 looked up per lane, the sign put back
 *            with an xor;
 *   IMDCT:   pre-twiddle 4 k at a time, radix-2 stages 1 and 2 across
 *            registers, a 4x4 transpose to the bit-reversed places (no
 *            scatter: imdct_pre_radix4_t), the others
 *            4 butterflies at a time, two stages per pass, post-twiddle
 *            in place, the output spread from A and B by unpacking;
 *   window:  the long halves 4 at a time (falling halves read reversed);
 *            EIGHT_SHORT_SEQUENCE is the scalar kernel.
 */
#include <emmintrin.h>
#include <string.h>

#include "simd/x86/dsp_aac_x86.h"

static void aac_dequant_sse2(float *dst, const int16_t *q, size_t n, float gain)
{
    const __m128 g = _mm_set1_ps(gain);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)(q + i));
        v = _mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16);
        __m128i s = _mm_srai_epi32(v, 31);
        __m128i a = _mm_sub_epi32(_mm_xor_si128(v, s), s);
        int32_t idx[4];
        _mm_storeu_si128((__m128i *)(void *)idx, a);
        __m128 m = _mm_setr_ps(segue_aac_pow43[idx[0]], segue_aac_pow43[idx[1]],
                               segue_aac_pow43[idx[2]], segue_aac_pow43[idx[3]]);
        m = _mm_mul_ps(m, g);
        __m128 sign = _mm_castsi128_ps(_mm_slli_epi32(s, 31));
        _mm_storeu_ps(dst + i, _mm_xor_ps(m, sign));
    }
    segue_aac_dequant_scalar(dst + i, q + i, n - i, gain);
}

/* a, b = a + b w, a - b w on register pairs (the scalar butterfly). */
#define BFLY4(ar, ai, br, bi, wr, wi)                                                             \
    do {                                                                                          \
        __m128 tr_ = AAC_CMUL_RE(br, bi, wr, wi), ti_ = AAC_CMUL_IM(br, bi, wr, wi);              \
        br = _mm_sub_ps(ar, tr_);                                                                 \
        bi = _mm_sub_ps(ai, ti_);                                                                 \
        ar = _mm_add_ps(ar, tr_);                                                                 \
        ai = _mm_add_ps(ai, ti_);                                                                 \
    } while (0)

/* Radix-2 stages of half-sizes h and 2h (h a multiple of 4) in one pass. */
static void fft_stages2_sse2(float *re, float *im, unsigned q, unsigned h)
{
    for (unsigned start = 0; start < q; start += 4 * h) {
        for (unsigned j = 0; j < h; j += 4) {
            float *pr = re + start + j, *pi = im + start + j;
            __m128 r0 = _mm_loadu_ps(pr), i0 = _mm_loadu_ps(pi);
            __m128 r1 = _mm_loadu_ps(pr + h), i1 = _mm_loadu_ps(pi + h);
            __m128 r2 = _mm_loadu_ps(pr + 2 * h), i2 = _mm_loadu_ps(pi + 2 * h);
            __m128 r3 = _mm_loadu_ps(pr + 3 * h), i3 = _mm_loadu_ps(pi + 3 * h);
            __m128 wr = _mm_loadu_ps(segue_aac_fft_cos + h + j);
            __m128 wi = _mm_loadu_ps(segue_aac_fft_sin + h + j);
            BFLY4(r0, i0, r1, i1, wr, wi);
            BFLY4(r2, i2, r3, i3, wr, wi);
            wr = _mm_loadu_ps(segue_aac_fft_cos + 2 * h + j);
            wi = _mm_loadu_ps(segue_aac_fft_sin + 2 * h + j);
            BFLY4(r0, i0, r2, i2, wr, wi);
            wr = _mm_loadu_ps(segue_aac_fft_cos + 3 * h + j);
            wi = _mm_loadu_ps(segue_aac_fft_sin + 3 * h + j);
            BFLY4(r1, i1, r3, i3, wr, wi);
            _mm_storeu_ps(pr, r0);
            _mm_storeu_ps(pi, i0);
            _mm_storeu_ps(pr + h, r1);
            _mm_storeu_ps(pi + h, i1);
            _mm_storeu_ps(pr + 2 * h, r2);
            _mm_storeu_ps(pi + 2 * h, i2);
            _mm_storeu_ps(pr + 3 * h, r3);
            _mm_storeu_ps(pi + 3 * h, i3);
        }
    }
}

/* Pre-twiddle, bit reversal and the radix-2 stages of half-size 1 and 2
 * in one pass, without a scatter (the 4-lane form of dsp_aac_avx2.c's
 * imdct_pre_radix8): with q = 2^L and k = a q/4 + 4 b + c (a, c 2 bits),
 * the L-bit reversal of k is rev(c) q/4 + 4 rev(b) + rev(a); for one b the
 * four vectors of z[k] over c, put in register rev(a), hold 4 blocks of 4
 * consecutive outputs, one per lane; the two stages work across the
 * registers, then a 4x4 transpose makes each block a vector. */
static void imdct_pre_radix4_t(const float *in, unsigned log2n, float *re, float *im)
{
    static const unsigned rev2[4] = {0, 2, 1, 3};
    unsigned n = 1u << log2n, m = n >> 1, q = n >> 2, q4 = q >> 2, nb = q >> 4;
    unsigned bshift = 9u - (log2n - 6u); /* rev of b's L - 4 bits from the 9-bit table */
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    const __m128 scale = _mm_set1_ps(2.0f / (float)n), negz = _mm_set1_ps(-0.0f);
    for (unsigned b = 0; b < nb; b++) {
        __m128 r[4], i[4];
        for (unsigned a = 0; a < 4; a++) {
            unsigned k = a * q4 + 4 * b;
            __m128 e0 = _mm_loadu_ps(in + 2 * k), e1 = _mm_loadu_ps(in + 2 * k + 4);
            __m128 xr = _mm_shuffle_ps(e0, e1, _MM_SHUFFLE(2, 0, 2, 0));
            /* in[m-1-2k], in[m-3-2k], in[m-5-2k], in[m-7-2k]. */
            __m128 d = _mm_loadu_ps(in + m - 4 - 2 * k), c = _mm_loadu_ps(in + m - 8 - 2 * k);
            __m128 xi = _mm_shuffle_ps(d, c, _MM_SHUFFLE(1, 3, 1, 3));
            __m128 wc = _mm_loadu_ps(tc + k), ws = _mm_loadu_ps(ts + k);
            r[rev2[a]] = _mm_mul_ps(_mm_add_ps(_mm_mul_ps(xr, wc), _mm_mul_ps(xi, ws)), scale);
            i[rev2[a]] = _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(xi, wc), _mm_mul_ps(xr, ws)), scale);
        }
        /* Half-size 1, w[1] = 1: (0,1), (2,3); half-size 2: (0,2) w[2] = 1,
         * (1,3) w[3] = -i (b w = (b.im, -b.re)). */
        __m128 t;
        t = r[1], r[1] = _mm_sub_ps(r[0], t), r[0] = _mm_add_ps(r[0], t);
        t = i[1], i[1] = _mm_sub_ps(i[0], t), i[0] = _mm_add_ps(i[0], t);
        t = r[3], r[3] = _mm_sub_ps(r[2], t), r[2] = _mm_add_ps(r[2], t);
        t = i[3], i[3] = _mm_sub_ps(i[2], t), i[2] = _mm_add_ps(i[2], t);
        t = r[2], r[2] = _mm_sub_ps(r[0], t), r[0] = _mm_add_ps(r[0], t);
        t = i[2], i[2] = _mm_sub_ps(i[0], t), i[0] = _mm_add_ps(i[0], t);
        __m128 br = i[3], bi = _mm_xor_ps(r[3], negz);
        r[3] = _mm_sub_ps(r[1], br), r[1] = _mm_add_ps(r[1], br);
        i[3] = _mm_sub_ps(i[1], bi), i[1] = _mm_add_ps(i[1], bi);
        _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
        _MM_TRANSPOSE4_PS(i[0], i[1], i[2], i[3]);
        unsigned rb = 4u * ((unsigned)segue_aac_bitrev512[b] >> bshift);
        for (unsigned c = 0; c < 4; c++) {
            _mm_storeu_ps(re + rev2[c] * q4 + rb, r[c]);
            _mm_storeu_ps(im + rev2[c] * q4 + rb, i[c]);
        }
    }
}

static void aac_imdct_sse2(float *out, const float *in, unsigned log2n, float *work)
{
    unsigned q = 1u << (log2n - 2), h2 = q >> 1;
    float *re = work, *im = work + q;
    imdct_pre_radix4_t(in, log2n, re, im);
    unsigned h = 4;
    for (; 4 * h <= q; h *= 4)
        fft_stages2_sse2(re, im, q, h);
    if (h < q) /* one stage left (q = 512: h = 256) */
        aac_fft_stage4(re, im, q, h);
    const float *tc = log2n == 11 ? segue_aac_imdct_cos_long : segue_aac_imdct_cos_short;
    const float *ts = log2n == 11 ? segue_aac_imdct_sin_long : segue_aac_imdct_sin_short;
    for (unsigned p = 0; p < q; p += 4) {
        __m128 c = _mm_loadu_ps(tc + p), s = _mm_loadu_ps(ts + p);
        __m128 xr = _mm_loadu_ps(re + p), xi = _mm_loadu_ps(im + p);
        _mm_storeu_ps(re + p, _mm_add_ps(_mm_mul_ps(xr, c), _mm_mul_ps(xi, s)));
        _mm_storeu_ps(im + p, _mm_sub_ps(_mm_mul_ps(xr, s), _mm_mul_ps(xi, c)));
    }
    const __m128 pos = _mm_setzero_ps(), neg = _mm_set1_ps(-0.0f);
    const float *A = re, *B = im;
    for (unsigned k = 0; k < h2; k += 4)
        aac_spread8(out + 2 * k, A + h2 + k, B + h2 - 1 - k, pos);
    for (unsigned k = 0; k < q; k += 4)
        aac_spread8(out + q + 2 * k, B + k, A + q - 1 - k, neg);
    for (unsigned k = 0; k < h2; k += 4)
        aac_spread8(out + 3 * q + 2 * k, A + k, B + q - 1 - k, neg);
}

/* out[i] = ov[i] + t[i] * w[i - w0] for i in [from, to). */
static inline void rise_run(float *out, const float *ov, const float *t, const float *w,
                            unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i += 4)
        _mm_storeu_ps(out + i, _mm_add_ps(_mm_loadu_ps(ov + i),
                                          _mm_mul_ps(_mm_loadu_ps(t + i), _mm_loadu_ps(w + i - from))));
}

/* ov[i] = t[i] * w_top[-(i - from)] for i in [from, to) (a falling half). */
static inline void fall_run(float *ov, const float *t, const float *w_top, unsigned from,
                            unsigned to)
{
    for (unsigned i = from; i < to; i += 4)
        _mm_storeu_ps(ov + i, _mm_mul_ps(_mm_loadu_ps(t + i),
                                         aac_reverse4(_mm_loadu_ps(w_top - (i - from) - 3))));
}

static void aac_window_overlap_sse2(float *out, float *overlap, const float *t,
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
            _mm_storeu_ps(out + i, _mm_add_ps(_mm_loadu_ps(overlap + i), _mm_loadu_ps(t + i)));
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

void segue_dsp_init_aac_sse2(segue_dsp *dsp)
{
    dsp->aac_dequant = aac_dequant_sse2;
    dsp->aac_imdct = aac_imdct_sse2;
    dsp->aac_window_overlap = aac_window_overlap_sse2;
}
