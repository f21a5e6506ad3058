/*
 * simd/x86/dsp_sse2.c - SSE2 kernels (compiled with -msse2).
 *
 * Every load and store is unaligned: callers pass arbitrary sub-buffers.
 * Tails go to the scalar kernels so they are the specification by
 * construction. Float->int conversions clamp in float with the scalar bounds
 * before _mm_cvtps_epi32, whose MXCSR default rounding is the same
 * ties-to-even lrintf uses.
 */
#include <emmintrin.h>

#include "simd/dsp_impl.h"

/* The scalar parts of the MPEG audio kernels (the synthesis' two lone
 * outputs) must round like dsp_scalar.c, which forbids contraction; clang
 * would otherwise fuse a * b + c within an expression on FMA targets. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static void f32_to_s16_sse2(int16_t *dst, const float *src, size_t n)
{
    const __m128 scale = _mm_set1_ps(SEGUE_S16_SCALE_F);
    const __m128 lo = _mm_set1_ps(SEGUE_S16_MIN_F);
    const __m128 hi = _mm_set1_ps(SEGUE_S16_MAX_F);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), scale);
        __m128 b = _mm_mul_ps(_mm_loadu_ps(src + i + 4), scale);
        a = _mm_min_ps(_mm_max_ps(a, lo), hi);
        b = _mm_min_ps(_mm_max_ps(b, lo), hi);
        /* Already in range, so the saturating pack only narrows. */
        __m128i s = _mm_packs_epi32(_mm_cvtps_epi32(a), _mm_cvtps_epi32(b));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), s);
    }
    segue_f32_to_s16_scalar(dst + i, src + i, n - i);
}

static void f32_to_s32_clamped_sse2(int32_t *dst, const float *src, size_t n, float scale_f,
                                    float min_f, float max_f)
{
    const __m128 scale = _mm_set1_ps(scale_f);
    const __m128 lo = _mm_set1_ps(min_f);
    const __m128 hi = _mm_set1_ps(max_f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), scale);
        __m128 b = _mm_mul_ps(_mm_loadu_ps(src + i + 4), scale);
        a = _mm_min_ps(_mm_max_ps(a, lo), hi);
        b = _mm_min_ps(_mm_max_ps(b, lo), hi);
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_cvtps_epi32(a));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 4), _mm_cvtps_epi32(b));
    }
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), scale);
        a = _mm_min_ps(_mm_max_ps(a, lo), hi);
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_cvtps_epi32(a));
    }
}

static void f32_to_s24_sse2(int32_t *dst, const float *src, size_t n)
{
    size_t body = n & ~(size_t)3;
    f32_to_s32_clamped_sse2(dst, src, body, SEGUE_S24_SCALE_F, SEGUE_S24_MIN_F, SEGUE_S24_MAX_F);
    segue_f32_to_s24_scalar(dst + body, src + body, n - body);
}

static void f32_to_s32_sse2(int32_t *dst, const float *src, size_t n)
{
    size_t body = n & ~(size_t)3;
    f32_to_s32_clamped_sse2(dst, src, body, SEGUE_S32_SCALE_F, SEGUE_S32_MIN_F, SEGUE_S32_MAX_F);
    segue_f32_to_s32_scalar(dst + body, src + body, n - body);
}

static void s16_to_f32_sse2(float *dst, const int16_t *src, size_t n)
{
    const __m128 scale = _mm_set1_ps(SEGUE_S16_INV_SCALE_F);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i s = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        /* SSE2 has no pmovsxwd: interleave each sample with its sign mask. */
        __m128i sign = _mm_cmplt_epi16(s, _mm_setzero_si128());
        __m128i a = _mm_unpacklo_epi16(s, sign);
        __m128i b = _mm_unpackhi_epi16(s, sign);
        _mm_storeu_ps(dst + i, _mm_mul_ps(_mm_cvtepi32_ps(a), scale));
        _mm_storeu_ps(dst + i + 4, _mm_mul_ps(_mm_cvtepi32_ps(b), scale));
    }
    segue_s16_to_f32_scalar(dst + i, src + i, n - i);
}

static void s32_to_f32_sse2(float *dst, const int32_t *src, size_t n, float scale_f)
{
    const __m128 scale = _mm_set1_ps(scale_f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 4));
        _mm_storeu_ps(dst + i, _mm_mul_ps(_mm_cvtepi32_ps(a), scale));
        _mm_storeu_ps(dst + i + 4, _mm_mul_ps(_mm_cvtepi32_ps(b), scale));
    }
    segue_s32_to_f32_scalar(dst + i, src + i, n - i, scale_f);
}

static void interleave2_f32_sse2(float *dst, const float *l, const float *r, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_loadu_ps(l + i);
        __m128 b = _mm_loadu_ps(r + i);
        _mm_storeu_ps(dst + 2 * i, _mm_unpacklo_ps(a, b));
        _mm_storeu_ps(dst + 2 * i + 4, _mm_unpackhi_ps(a, b));
    }
    segue_interleave2_f32_scalar(dst + 2 * i, l + i, r + i, n - i);
}

static void deinterleave2_f32_sse2(float *l, float *r, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_loadu_ps(src + 2 * i);
        __m128 b = _mm_loadu_ps(src + 2 * i + 4);
        _mm_storeu_ps(l + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm_storeu_ps(r + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    segue_deinterleave2_f32_scalar(l + i, r + i, src + 2 * i, n - i);
}

/* A 4x4 transpose is its own inverse: it turns 4 planes x 4 frames into
 * 4 frames x 4 channels for interleaving, and back for deinterleaving. */
static void transpose4_sse2(__m128 *r0, __m128 *r1, __m128 *r2, __m128 *r3)
{
    __m128 t0 = _mm_unpacklo_ps(*r0, *r1);
    __m128 t1 = _mm_unpackhi_ps(*r0, *r1);
    __m128 t2 = _mm_unpacklo_ps(*r2, *r3);
    __m128 t3 = _mm_unpackhi_ps(*r2, *r3);
    *r0 = _mm_movelh_ps(t0, t2);
    *r1 = _mm_movehl_ps(t2, t0);
    *r2 = _mm_movelh_ps(t1, t3);
    *r3 = _mm_movehl_ps(t3, t1);
}

/* Any channel count: per block of 4 frames, channels go in groups of 4
 * (transpose, one 16-byte store per frame), then a pair (one 8-byte store
 * per frame), then a single channel. Frames outermost keeps each block of
 * the interleaved buffer in cache while all its channels are written. */
static void interleave_f32_sse2(float *dst, const float *const *planes, unsigned channels,
                                size_t n)
{
    if (channels == 2) {
        interleave2_f32_sse2(dst, planes[0], planes[1], n);
        return;
    }
    const size_t stride = channels;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float *out = dst + i * stride;
        unsigned c = 0;
        for (; c + 4 <= channels; c += 4) {
            __m128 a = _mm_loadu_ps(planes[c] + i);
            __m128 b = _mm_loadu_ps(planes[c + 1] + i);
            __m128 d = _mm_loadu_ps(planes[c + 2] + i);
            __m128 e = _mm_loadu_ps(planes[c + 3] + i);
            transpose4_sse2(&a, &b, &d, &e);
            _mm_storeu_ps(out + c, a);
            _mm_storeu_ps(out + stride + c, b);
            _mm_storeu_ps(out + 2 * stride + c, d);
            _mm_storeu_ps(out + 3 * stride + c, e);
        }
        if (c + 2 <= channels) {
            __m128 a = _mm_loadu_ps(planes[c] + i);
            __m128 b = _mm_loadu_ps(planes[c + 1] + i);
            __m128 lo = _mm_unpacklo_ps(a, b);
            __m128 hi = _mm_unpackhi_ps(a, b);
            _mm_storel_pi((__m64 *)(void *)(out + c), lo);
            _mm_storeh_pi((__m64 *)(void *)(out + stride + c), lo);
            _mm_storel_pi((__m64 *)(void *)(out + 2 * stride + c), hi);
            _mm_storeh_pi((__m64 *)(void *)(out + 3 * stride + c), hi);
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
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            dst[i * stride + c] = planes[c][i];
        }
    }
}

static void deinterleave_f32_sse2(float *const *planes, const float *src, unsigned channels,
                                  size_t n)
{
    if (channels == 2) {
        deinterleave2_f32_sse2(planes[0], planes[1], src, n);
        return;
    }
    const size_t stride = channels;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float *in = src + i * stride;
        unsigned c = 0;
        for (; c + 4 <= channels; c += 4) {
            __m128 a = _mm_loadu_ps(in + c);
            __m128 b = _mm_loadu_ps(in + stride + c);
            __m128 d = _mm_loadu_ps(in + 2 * stride + c);
            __m128 e = _mm_loadu_ps(in + 3 * stride + c);
            transpose4_sse2(&a, &b, &d, &e);
            _mm_storeu_ps(planes[c] + i, a);
            _mm_storeu_ps(planes[c + 1] + i, b);
            _mm_storeu_ps(planes[c + 2] + i, d);
            _mm_storeu_ps(planes[c + 3] + i, e);
        }
        if (c + 2 <= channels) {
            __m128 v0 = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(in + c));
            v0 = _mm_loadh_pi(v0, (const __m64 *)(const void *)(in + stride + c));
            __m128 v1 = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(in + 2 * stride + c));
            v1 = _mm_loadh_pi(v1, (const __m64 *)(const void *)(in + 3 * stride + c));
            _mm_storeu_ps(planes[c] + i, _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)));
            _mm_storeu_ps(planes[c + 1] + i, _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1)));
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
    for (; i < n; i++) {
        for (unsigned c = 0; c < channels; c++) {
            planes[c][i] = src[i * stride + c];
        }
    }
}

static void scale_add_f32_sse2(float *dst, const float *src, float gain, size_t n)
{
    const __m128 g = _mm_set1_ps(gain);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 a = _mm_add_ps(_mm_loadu_ps(dst + i), _mm_mul_ps(_mm_loadu_ps(src + i), g));
        __m128 b = _mm_add_ps(_mm_loadu_ps(dst + i + 4), _mm_mul_ps(_mm_loadu_ps(src + i + 4), g));
        _mm_storeu_ps(dst + i, a);
        _mm_storeu_ps(dst + i + 4, b);
    }
    segue_scale_add_f32_scalar(dst + i, src + i, gain, n - i);
}

static void scale_f32_sse2(float *dst, const float *src, float gain, size_t n)
{
    const __m128 g = _mm_set1_ps(gain);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        /* Both loads before the stores: dst may equal src. */
        __m128 a = _mm_mul_ps(_mm_loadu_ps(src + i), g);
        __m128 b = _mm_mul_ps(_mm_loadu_ps(src + i + 4), g);
        _mm_storeu_ps(dst + i, a);
        _mm_storeu_ps(dst + i + 4, b);
    }
    segue_scale_f32_scalar(dst + i, src + i, gain, n - i);
}

/* ---- MPEG audio -------------------------------------------------------------
 *
 * Every vector lane runs exactly the scalar kernel's sequence of roundings
 * (same operations, same order, no fused multiply-add), so these agree
 * with the specification bit for bit; the declared tolerance is headroom,
 * not a budget. The synthesis vectorises its DCT across four time slots
 * (lane = slot) and its window across outputs; the IMDCTs and the alias
 * butterflies across four subbands (lane = subband), which the hybrid
 * layout makes contiguous. */

/* Lee's DCT-II (simd/dsp_scalar.c mpa_dct2) on 4 independent columns, in
 * place in x; `lee` as there. Each size is its own function so the
 * compiler unrolls it. t is scratch of the same size: a level writes its
 * butterflies into t, its halves then run in place there with x (dead by
 * then) as their scratch, and the interleave writes x back, so the whole
 * transform needs 2 x 32 vectors of stack. */
#define MPA_DCT_STEP_SSE2(N, HALF_FN)                                                  \
    static inline void mpa_dct2_##N##_sse2(__m128 *x, __m128 *t, const float *lee)     \
    {                                                                                  \
        enum { H = N / 2 };                                                            \
        for (unsigned k = 0; k < H; k++) {                                             \
            __m128 a = x[k];                                                           \
            __m128 b = x[N - 1 - k];                                                   \
            t[k] = _mm_add_ps(a, b);                                                   \
            t[H + k] = _mm_mul_ps(_mm_sub_ps(a, b), _mm_set1_ps(lee[k]));              \
        }                                                                              \
        HALF_FN(t, x, lee + H);                                                        \
        HALF_FN(t + H, x + H, lee + H);                                                \
        for (unsigned m = 0; m < H; m++) {                                             \
            x[2 * m] = t[m];                                                           \
            x[2 * m + 1] = m + 1 < H ? _mm_add_ps(t[H + m], t[H + m + 1]) : t[H + m]; \
        }                                                                              \
    }

static inline void mpa_dct2_1_sse2(__m128 *x, __m128 *t, const float *lee)
{
    (void)x;
    (void)t;
    (void)lee;
}
MPA_DCT_STEP_SSE2(2, mpa_dct2_1_sse2)
MPA_DCT_STEP_SSE2(4, mpa_dct2_2_sse2)
MPA_DCT_STEP_SSE2(8, mpa_dct2_4_sse2)
MPA_DCT_STEP_SSE2(16, mpa_dct2_8_sse2)
MPA_DCT_STEP_SSE2(32, mpa_dct2_16_sse2)

/* A zero slot for the lanes past the last one of a batch. */
static const float mpa_zero_slot[32];

/* The window of scalar segue_mpa_synth_scalar for one channel of one slot
 * (its V already stored at ring position `pos`): 32 PCM values into out[]
 * as 8 vectors in output order. */
static inline void mpa_window_sse2(const float *v, unsigned pos, __m128 out[8])
{
    const float *d = segue_mpa_synth_window;
    __m128 s1[4];
    __m128 s2[4];
    for (unsigned q = 0; q < 4; q++) {
        s1[q] = _mm_setzero_ps();
        s2[q] = _mm_setzero_ps();
    }
    float s0 = 0.0f;
    float s16 = 0.0f;
    for (unsigned i = 0; i < 8; i++) {
        const float *e = v + 32u * ((pos - 2u * i) & 15u);
        const float *o = v + 32u * ((pos - 2u * i - 1u) & 15u) + 15;
        const float *w = segue_mpa_synth_window4 + 64u * i;
        s0 += d[64 * i] * e[0] - d[64 * i + 32] * o[-15];
        s16 -= d[64 * i + 48] * o[16];
        /* Lane j = 0 has zero weights (window4's unused column), so it
         * stays 0; out[0] comes from s0. */
        for (unsigned q = 0; q < 4; q++) {
            __m128 ev = _mm_loadu_ps(e + 4 * q);
            __m128 ov = _mm_loadu_ps(o + 4 * q);
            __m128 a = _mm_sub_ps(_mm_mul_ps(_mm_loadu_ps(w + 4 * q), ev),
                                  _mm_mul_ps(_mm_loadu_ps(w + 16 + 4 * q), ov));
            __m128 b = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(w + 32 + 4 * q), ev),
                                  _mm_mul_ps(_mm_loadu_ps(w + 48 + 4 * q), ov));
            s1[q] = _mm_add_ps(s1[q], a);
            s2[q] = _mm_sub_ps(s2[q], b);
        }
    }
    /* out[j] = s1[j] (j < 16, s0 at 0), out[16] = s16, out[32 - j] = s2[j]:
     * the upper half is s2 reversed and shifted by one lane. [a0 a3 a2 a1]
     * with lane 0 then taken from the next vector up. */
    out[0] = _mm_move_ss(s1[0], _mm_set_ss(s0));
    out[1] = s1[1];
    out[2] = s1[2];
    out[3] = s1[3];
    out[4] = _mm_move_ss(_mm_shuffle_ps(s2[3], s2[3], _MM_SHUFFLE(1, 2, 3, 0)), _mm_set_ss(s16));
    out[5] = _mm_move_ss(_mm_shuffle_ps(s2[2], s2[2], _MM_SHUFFLE(1, 2, 3, 0)), s2[3]);
    out[6] = _mm_move_ss(_mm_shuffle_ps(s2[1], s2[1], _MM_SHUFFLE(1, 2, 3, 0)), s2[2]);
    out[7] = _mm_move_ss(_mm_shuffle_ps(s2[0], s2[0], _MM_SHUFFLE(1, 2, 3, 0)), s2[1]);
}

static void mpa_synth_sse2(float *io, size_t nslots, unsigned nch, segue_mpa_synth_state *st)
{
    const size_t slot_len = 32u * nch;
    for (size_t t = 0; t < nslots; t += 4) {
        size_t nb = nslots - t < 4 ? nslots - t : 4;
        /* Matrixing of up to 4 slots at once: transpose them so each lane
         * is one slot, run the DCT, transpose back into the ring order of
         * dsp.h (A[16..31], then A[15..0]). Each slot's V goes back over
         * its own (consumed) input until the window below moves it into
         * the ring: io is the only buffer, the kernel needs no other. A
         * channel's inputs of the whole batch are read before its V is
         * written, and the other channel's live elsewhere in the slot. */
        float spare[32]; /* V of the lanes past the batch, discarded */
        for (unsigned c = 0; c < nch; c++) {
            const float *row[4];
            float *vrow[4];
            for (size_t s = 0; s < 4; s++) {
                row[s] = s < nb ? io + (t + s) * slot_len + c * 32u : mpa_zero_slot;
                vrow[s] = s < nb ? io + (t + s) * slot_len + c * 32u : spare;
            }
            __m128 a[32];
            __m128 scratch[32];
            for (unsigned g = 0; g < 8; g++) {
                __m128 r0 = _mm_loadu_ps(row[0] + 4 * g);
                __m128 r1 = _mm_loadu_ps(row[1] + 4 * g);
                __m128 r2 = _mm_loadu_ps(row[2] + 4 * g);
                __m128 r3 = _mm_loadu_ps(row[3] + 4 * g);
                transpose4_sse2(&r0, &r1, &r2, &r3);
                a[4 * g] = r0;
                a[4 * g + 1] = r1;
                a[4 * g + 2] = r2;
                a[4 * g + 3] = r3;
            }
            mpa_dct2_32_sse2(a, scratch, segue_mpa_dct32_lee);
            for (unsigned g = 0; g < 8; g++) {
                __m128 r0, r1, r2, r3;
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
                transpose4_sse2(&r0, &r1, &r2, &r3);
                _mm_storeu_ps(vrow[0] + 4 * g, r0);
                _mm_storeu_ps(vrow[1] + 4 * g, r1);
                _mm_storeu_ps(vrow[2] + 4 * g, r2);
                _mm_storeu_ps(vrow[3] + 4 * g, r3);
            }
        }
        /* Window slot by slot: each slot's V enters the ring only now, as
         * the ring holds exactly the 16 slots the window reads. */
        for (size_t s = 0; s < nb; s++) {
            unsigned pos = st->pos & 15u;
            float *out = io + (t + s) * slot_len;
            __m128 pcm[2][8];
            for (unsigned c = 0; c < nch; c++) {
                float *v = st->v[c] + 32u * pos;
                for (unsigned q = 0; q < 8; q++)
                    _mm_storeu_ps(v + 4 * q, _mm_loadu_ps(out + c * 32u + 4 * q));
                mpa_window_sse2(st->v[c], pos, pcm[c]);
            }
            if (nch == 2) {
                for (unsigned q = 0; q < 8; q++) {
                    _mm_storeu_ps(out + 8 * q, _mm_unpacklo_ps(pcm[0][q], pcm[1][q]));
                    _mm_storeu_ps(out + 8 * q + 4, _mm_unpackhi_ps(pcm[0][q], pcm[1][q]));
                }
            } else {
                for (unsigned q = 0; q < 8; q++)
                    _mm_storeu_ps(out + 4 * q, pcm[0][q]);
            }
            st->pos = (pos + 1u) & 15u;
        }
    }
}

static void mpa_alias_sse2(float *x, size_t stride, size_t nb)
{
    /* Boundaries 1..nb in groups of 4: the up and down rows of one i are
     * different rows, so a group's loads never see its own stores. */
    size_t b = 1;
    for (; b + 3 <= nb; b += 4) {
        for (size_t i = 0; i < 8; i++) {
            float *up = x + (17 - i) * stride + b - 1;
            float *dn = x + i * stride + b;
            __m128 cs = _mm_set1_ps(segue_mpa_alias_cs[i]);
            __m128 ca = _mm_set1_ps(segue_mpa_alias_ca[i]);
            __m128 u = _mm_loadu_ps(up);
            __m128 d = _mm_loadu_ps(dn);
            _mm_storeu_ps(up, _mm_sub_ps(_mm_mul_ps(u, cs), _mm_mul_ps(d, ca)));
            _mm_storeu_ps(dn, _mm_add_ps(_mm_mul_ps(d, cs), _mm_mul_ps(u, ca)));
        }
    }
    /* Boundaries b..nb: the scalar kernel on x shifted so its boundary 1 is b. */
    if (b <= nb)
        segue_mpa_alias_scalar(x + b - 1, stride, nb - b + 1);
}

static inline __m128 mpa_neg_sse2(__m128 v)
{
    return _mm_xor_ps(v, _mm_set1_ps(-0.0f));
}

/* The constant c of a _x4 table (dsp_impl.h) as a vector: an aligned
 * load the compiler folds into the multiply. */
#define MPA_K4(table, i) _mm_load_ps((table) + 4 * (i))

/* dsp_scalar.c mpa_dct2_9 on 4 columns. */
static inline void mpa_dct2_9_sse2(const __m128 *x, __m128 *out)
{
    __m128 p[4];
    __m128 q[4];
    for (unsigned k = 0; k < 4; k++) {
        p[k] = _mm_add_ps(x[k], x[8 - k]);
        q[k] = _mm_sub_ps(x[k], x[8 - k]);
    }
    const float *c = segue_mpa_dct2_9_x4;
    for (unsigned m = 0; m < 9; m++) {
        const __m128 *src = (m & 1u) ? q : p;
        __m128 acc = _mm_mul_ps(src[0], MPA_K4(c, 4 * m));
        acc = _mm_add_ps(acc, _mm_mul_ps(src[1], MPA_K4(c, 4 * m + 1)));
        acc = _mm_add_ps(acc, _mm_mul_ps(src[2], MPA_K4(c, 4 * m + 2)));
        acc = _mm_add_ps(acc, _mm_mul_ps(src[3], MPA_K4(c, 4 * m + 3)));
        if (!(m & 1u))
            acc = _mm_add_ps(acc, (m & 2u) ? mpa_neg_sse2(x[4]) : x[4]);
        out[m] = acc;
    }
}

/* dsp_scalar.c mpa_dct4_18 on 4 columns. */
static inline void mpa_dct4_18_sse2(const __m128 *x, __m128 *z)
{
    __m128 e[9];
    __m128 o[9];
    __m128 ce[9];
    __m128 co[9];
    __m128 c[19];
    for (unsigned k = 0; k < 9; k++) {
        __m128 a = _mm_mul_ps(x[k], MPA_K4(segue_mpa_dct4_18_pre_x4, k));
        __m128 b = _mm_mul_ps(x[17 - k], MPA_K4(segue_mpa_dct4_18_pre_x4, 17 - k));
        e[k] = _mm_add_ps(a, b);
        o[k] = _mm_mul_ps(_mm_sub_ps(a, b), MPA_K4(segue_mpa_dct2_18_odd_x4, k));
    }
    mpa_dct2_9_sse2(e, ce);
    mpa_dct2_9_sse2(o, co);
    for (unsigned m = 0; m < 9; m++) {
        c[2 * m] = ce[m];
        c[2 * m + 1] = m < 8 ? _mm_add_ps(co[m], co[m + 1]) : co[m];
    }
    c[18] = _mm_setzero_ps();
    for (unsigned m = 0; m < 18; m++)
        z[m] = _mm_add_ps(c[m], c[m + 1]);
}

/* -0.0 in the lanes whose subband first + lane is odd. */
static inline __m128 mpa_odd_sign_sse2(size_t first)
{
    return (first & 1u) ? _mm_setr_ps(-0.0f, 0.0f, -0.0f, 0.0f)
                        : _mm_setr_ps(0.0f, -0.0f, 0.0f, -0.0f);
}

/* One group of 4 subbands at x (lanes = subbands first .. first + 3).
 * The windowed output y[0..35] of the scalar kernel is formed in the
 * order it is stored (y[n] into x with the overlap, y[18 + n] as the new
 * overlap), so no 36-vector array lives across the loop. */
static inline void mpa_imdct36_4_sse2(float *x, float *ovl, size_t stride, size_t first,
                                      const float *w4)
{
    __m128 in[18];
    __m128 z[18];
    for (size_t k = 0; k < 18; k++)
        in[k] = _mm_loadu_ps(x + k * stride);
    mpa_dct4_18_sse2(in, z);
    __m128 sign = mpa_odd_sign_sse2(first);
    for (size_t n = 0; n < 18; n++) {
        /* y[n] = z[n + 9] w[n] (n < 9), -z[26 - n] w[n] (9 <= n < 27),
         * -z[n - 27] w[n] (n >= 27). */
        __m128 y0 = n < 9 ? _mm_mul_ps(z[n + 9], MPA_K4(w4, n))
                          : _mm_mul_ps(mpa_neg_sse2(z[26 - n]), MPA_K4(w4, n));
        __m128 y1 = n < 9 ? _mm_mul_ps(mpa_neg_sse2(z[8 - n]), MPA_K4(w4, 18 + n))
                          : _mm_mul_ps(mpa_neg_sse2(z[n - 9]), MPA_K4(w4, 18 + n));
        __m128 v = _mm_add_ps(y0, _mm_loadu_ps(ovl + n * stride));
        _mm_storeu_ps(x + n * stride, (n & 1u) ? _mm_xor_ps(v, sign) : v);
        _mm_storeu_ps(ovl + n * stride, y1);
    }
}

/* The last 1..3 subbands through the same vector code: copied into a
 * zero-padded 4-wide block, transformed, the real lanes copied back (the
 * lanes are independent, so the padding changes nothing). Much cheaper
 * than the scalar kernel per subband. */
static inline void mpa_tail_in_sse2(float *tx, float *to, const float *x, const float *ovl,
                                    size_t stride, size_t r)
{
    for (size_t k = 0; k < 18; k++) {
        for (size_t l = 0; l < 4; l++) {
            tx[4 * k + l] = l < r ? x[k * stride + l] : 0.0f;
            to[4 * k + l] = l < r ? ovl[k * stride + l] : 0.0f;
        }
    }
}

static inline void mpa_tail_out_sse2(float *x, float *ovl, const float *tx, const float *to,
                                     size_t stride, size_t r)
{
    for (size_t k = 0; k < 18; k++) {
        for (size_t l = 0; l < r; l++) {
            x[k * stride + l] = tx[4 * k + l];
            ovl[k * stride + l] = to[4 * k + l];
        }
    }
}

static void mpa_imdct36_sse2(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0,
                             unsigned block_type)
{
    const float *w = segue_mpa_imdct_window_x4 + 4u * 36u * (block_type & 3u);
    size_t s = 0;
    for (; s + 4 <= nsb; s += 4)
        mpa_imdct36_4_sse2(x + s, ovl + s, stride, sb0 + s, w);
    if (s < nsb) {
        float tx[18 * 4];
        float to[18 * 4];
        mpa_tail_in_sse2(tx, to, x + s, ovl + s, stride, nsb - s);
        mpa_imdct36_4_sse2(tx, to, 4, sb0 + s, w);
        mpa_tail_out_sse2(x + s, ovl + s, tx, to, stride, nsb - s);
    }
}

/* Overlap-add, frequency inversion (sign: -0.0 in the lanes of odd
 * subbands, applied at odd n) and the new overlap, for 4 subbands. */
static inline void mpa_overlap_store_sse2(float *x, float *ovl, size_t stride, __m128 sign,
                                          const __m128 *y)
{
    for (size_t n = 0; n < 18; n++) {
        __m128 v = _mm_add_ps(y[n], _mm_loadu_ps(ovl + n * stride));
        _mm_storeu_ps(x + n * stride, (n & 1u) ? _mm_xor_ps(v, sign) : v);
        _mm_storeu_ps(ovl + n * stride, y[18 + n]);
    }
}

/* The scalar kernel's three 6-point IMDCTs and their overlapped windows
 * on 4 subbands. */
static inline void mpa_imdct12_4_sse2(float *x, float *ovl, size_t stride, size_t first)
{
    const float *ws = segue_mpa_imdct_window_short_x4;
    const float *c = segue_mpa_dct4_6_x4;
    __m128 r[36];
    for (unsigned n = 0; n < 36; n++)
        r[n] = _mm_setzero_ps();
    for (unsigned win = 0; win < 3; win++) {
        __m128 in[6];
        __m128 z[6];
        for (unsigned k = 0; k < 6; k++)
            in[k] = _mm_loadu_ps(x + (3u * k + win) * stride);
        for (unsigned m = 0; m < 6; m++) {
            __m128 acc = _mm_mul_ps(in[0], MPA_K4(c, 6 * m));
            for (unsigned k = 1; k < 6; k++)
                acc = _mm_add_ps(acc, _mm_mul_ps(in[k], MPA_K4(c, 6 * m + k)));
            z[m] = acc;
        }
        __m128 *dst = r + 6 + 6 * win;
        for (unsigned n = 0; n < 3; n++) {
            dst[n] = _mm_add_ps(dst[n], _mm_mul_ps(z[n + 3], MPA_K4(ws, n)));
            dst[9 + n] = _mm_sub_ps(dst[9 + n], _mm_mul_ps(z[n], MPA_K4(ws, 9 + n)));
        }
        for (unsigned n = 3; n < 9; n++)
            dst[n] = _mm_sub_ps(dst[n], _mm_mul_ps(z[8 - n], MPA_K4(ws, n)));
    }
    mpa_overlap_store_sse2(x, ovl, stride, mpa_odd_sign_sse2(first), r);
}

static void mpa_imdct12_sse2(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0)
{
    size_t s = 0;
    for (; s + 4 <= nsb; s += 4)
        mpa_imdct12_4_sse2(x + s, ovl + s, stride, sb0 + s);
    if (s < nsb) {
        float tx[18 * 4];
        float to[18 * 4];
        mpa_tail_in_sse2(tx, to, x + s, ovl + s, stride, nsb - s);
        mpa_imdct12_4_sse2(tx, to, 4, sb0 + s);
        mpa_tail_out_sse2(x + s, ovl + s, tx, to, stride, nsb - s);
    }
}

void segue_dsp_init_sse2(segue_dsp *dsp)
{
    dsp->f32_to_s16 = f32_to_s16_sse2;
    dsp->f32_to_s24 = f32_to_s24_sse2;
    dsp->f32_to_s32 = f32_to_s32_sse2;
    dsp->s16_to_f32 = s16_to_f32_sse2;
    dsp->s32_to_f32 = s32_to_f32_sse2;
    dsp->interleave2_f32 = interleave2_f32_sse2;
    dsp->deinterleave2_f32 = deinterleave2_f32_sse2;
    dsp->interleave_f32 = interleave_f32_sse2;
    dsp->deinterleave_f32 = deinterleave_f32_sse2;
    dsp->scale_add_f32 = scale_add_f32_sse2;
    dsp->scale_f32 = scale_f32_sse2;
    dsp->mpa_synth = mpa_synth_sse2;
    dsp->mpa_alias = mpa_alias_sse2;
    dsp->mpa_imdct36 = mpa_imdct36_sse2;
    dsp->mpa_imdct12 = mpa_imdct12_sse2;
}
