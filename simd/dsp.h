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

/* ---- MPEG audio (codec/mp3) -------------------------------------------------
 *
 * The Layer III "hybrid" buffer of one granule is laid out time-major and
 * channel-interleaved per subband block: for channel c (of nch) and
 * subband s (0..31), spectral line j (0..17) of that subband, and later
 * time slot j of that subband, lives at x[j * stride + c * 32 + s] with
 * stride = 32 * nch. The kernels below get `x` already offset by c * 32
 * (and by the first subband they work on) and the stride. The IMDCT works
 * in place, and the synthesis then turns each slot's 32 * nch subband
 * samples into 32 * nch interleaved PCM samples in place, so one granule
 * needs no buffer besides the codec's output.
 *
 * Float tolerance of these kernels (tests/simd): for inputs of magnitude at
 * most 1 (decoded subband or spectral values in full-scale units), every
 * output and every state value written must be within
 * SEGUE_DSP_MPA_TOLERANCE_ABS of the scalar kernel's; that is a quarter of an
 * LSB at 16 bits, far inside the 1-LSB conformance bound, and lets a
 * vector kernel reorder sums and use fused multiply-adds. */
#define SEGUE_DSP_MPA_TOLERANCE_ABS (1.0f / 131072.0f)

/* The synthesis filterbank state of up to two channels (ISO/IEC 11172-3
 * Annex A, Figure A.2). The 1024-value V vector of each channel is kept in
 * the compact form the kernel derives it from: V for one slot is the
 * 32-point DCT-II  A[n] = sum_k S[k] cos(n (2k + 1) pi / 64), n = 0..31,
 * of the 32 subband samples S: V[i] = A[i + 16] for i < 16, 0 at i = 16,
 * -A[48 - i] for 17..48 and -A[i - 48] for 49..63, from A[64 - n] =
 * A[n + 64] = -A[n]. Slot b's values are stored in the order the window
 * reads them: v[c][32 * b + n] = A[16 + n] for n < 16 and A[31 - n] for
 * n >= 16 (A[15] down to A[0]). `pos` (0..15) is the b the next slot goes
 * to, so the slot of age a is at (pos - 1 - a) mod 16. All zero (memset)
 * is the state after
 * silence, which is how a decoder starts and resets. */
typedef struct segue_mpa_synth_state {
    float v[2][16 * 32];
    unsigned pos;
} segue_mpa_synth_state;

/* ---- ATRAC3 (codec/atrac3) -------------------------------------------------
 *
 * The synthesis of one ATRAC3 sound unit: four 256-sample QMF bands, each an
 * IMLT (512-point IMDCT and window) of its 256 coefficients, gain
 * compensation with overlap-add, then three two-band QMF syntheses.
 *
 * Float tolerance (tests/simd): every output and every state value written
 * is within SEGUE_DSP_ATRAC3_TOLERANCE_REL times the largest magnitude among
 * the scalar kernel's inputs and outputs of that call (for the IMLT, its
 * outputs; for the QMF, its outputs, band inputs and delay). 2^-18 of the
 * peak is -108 dB, far below a 16-bit LSB at full scale; it lets a vector
 * kernel reorder sums and fuse multiply-adds. (The kernels in this tree
 * keep the scalar order and are in fact bit-exact up to the sign of zero.) */
#define SEGUE_DSP_ATRAC3_TOLERANCE_REL (1.0f / 262144.0f)

/* One band's gain control in one frame, decoded to numbers: before sample
 * start[0] the gain is gain[0]; point i holds gain[i] from the end of the
 * previous point's ramp (or sample 0) up to start[i], then ramps for 8
 * samples: sample start[i] + r (r = 0..7) gets gain[i] * step[i]^r,
 * computed as repeated products (g = gain[i]; use g; g *= step[i]).
 * After the last point's ramp the gain is 1. start[] is increasing by at
 * least 8 and start[num_points - 1] <= 248; num_points <= 7. */
typedef struct segue_atrac3_gain {
    unsigned num_points;
    unsigned start[7];
    float gain[7];
    float step[7];
} segue_atrac3_gain;

/* ---- AAC-LC (codec/aac) ----------------------------------------------------
 *
 * The filterbank of ISO/IEC 14496-3 4.6.11 and the inverse quantisation of
 * 4.6.1.3. The IMDCT runs on our own FFT (a DCT-IV of N/2 points through a
 * complex FFT of N/4 points, simd/dsp_aac_scalar.c derives it).
 *
 * Float tolerance (tests/simd): every output and every overlap value
 * written is within SEGUE_DSP_AAC_TOLERANCE_REL times the largest magnitude
 * among the scalar kernel's inputs and outputs of that call (for the IMDCT
 * its outputs, for the windowing its outputs, `t` and the overlap read).
 * 2^-18 of the peak is -108 dB, far below a 16-bit LSB at full scale and
 * below the 1-LSB / 90 dB comparison with libavcodec; it lets a vector
 * kernel reorder sums and fuse multiply-adds. (The kernels in this tree
 * keep the scalar order without fused multiply-adds and are bit-exact up
 * to the sign of zero.) Dequantisation is a table lookup and one product
 * per value: bit-exact. */
#define SEGUE_DSP_AAC_TOLERANCE_REL (1.0f / 262144.0f)

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

    /* MPEG audio polyphase synthesis, ISO/IEC 11172-3 2.4.3.2.2 / Annex A
     * Figure A.2 (matrixing, then the 512-tap window D of Table 3-B.3),
     * for `nslots` (>= 0) time slots of `nch` (1 or 2) channels, in place:
     * slot t's input is io[t * 32 * nch + c * 32 + k] (subband k of
     * channel c) and its output, PCM sample j of channel c, is
     * io[(t * 32 + j) * nch + c]. Every input of a slot is read before any
     * output of that slot is written. Output 1.0 is full scale (the ISO
     * value before its 16-bit scaling). Tolerance:
     * SEGUE_DSP_MPA_TOLERANCE_ABS, outputs and state. */
    void (*mpa_synth)(float *io, size_t nslots, unsigned nch, segue_mpa_synth_state *st);
    /* Layer III alias reduction butterflies (ISO/IEC 11172-3 2.4.3.4,
     * "alias reduction", coefficients c[i] of Table 3-B.9), on the
     * hybrid layout: for each subband boundary b in [1, nb] (nb <= 31) and
     * i in 0..7, with u = x[(17 - i) * stride + b - 1] and
     * d = x[i * stride + b]:  u' = u cs[i] - d ca[i],  d' = d cs[i] + u ca[i],
     * cs[i] = 1 / sqrt(1 + c[i]^2), ca[i] = c[i] / sqrt(1 + c[i]^2). Every
     * element is touched by one butterfly, so the order is free.
     * Tolerance: SEGUE_DSP_MPA_TOLERANCE_ABS. */
    void (*mpa_alias)(float *x, size_t stride, size_t nb);
    /* Layer III IMDCT of the long blocks (ISO/IEC 11172-3 2.4.3.4
     * "IMDCT", n = 36), windowing for block_type 0, 1 or 3, overlap-add and
     * the frequency inversion ahead of the polyphase filterbank, in place, for `nsb`
     * subbands s = 0..nsb-1 at x[j * stride + s] and overlap
     * ovl[j * stride + s] (j = 0..17). Per subband, with X[k] = x[k*stride+s]:
     *   y[n] = sum_{k=0}^{17} X[k] cos(pi / 72 (2n + 1 + 18)(2k + 1)), n < 36,
     *   z[n] = y[n] * w_blocktype[n],
     *   x[n * stride + s] = sign * (z[n] + ovl[n * stride + s]),   n < 18,
     *   ovl[n * stride + s] = z[n + 18],
     * where sign = -1 when subband sb0 + s and time n are both odd (the
     * frequency inversion before synthesis), else +1. Windows: type 0
     * sin(pi/36 (n + 1/2)); type 1 that for n < 18, 1 for 18..23,
     * sin(pi/12 (n - 18 + 1/2)) for 24..29, 0 for 30..35; type 3 the mirror
     * image of type 1. block_type 2 is not valid here. Tolerance:
     * SEGUE_DSP_MPA_TOLERANCE_ABS, outputs and overlap. */
    void (*mpa_imdct36)(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0,
                        unsigned block_type);
    /* Layer III short blocks (block_type 2): three 12-point IMDCTs per
     * subband (n = 12), each windowed by sin(pi/12 (n + 1/2)) and
     * overlapped at offsets 6, 12 and 18 of a 36-sample block
     * (2.4.3.4 "windowing", block_type 2), then the same overlap-add and frequency inversion as
     * mpa_imdct36. The input is the reordered spectrum: window w's
     * coefficient k (k = 0..5) is x[(3k + w) * stride + s]. Per window:
     *   y_w[n] = sum_{k=0}^{5} X_w[k] cos(pi / 24 (2n + 1 + 6)(2k + 1)), n < 12,
     * z[n] = 0 for n < 6 and n >= 30, else the sum of y_w[n - 6 - 6w] *
     * sin(pi/12 (n - 6 - 6w + 1/2)) over the windows that cover n.
     * Tolerance: SEGUE_DSP_MPA_TOLERANCE_ABS. */
    void (*mpa_imdct12)(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0);

    /* ATRAC3 IMLT of one band: with X[k] = in[k] (or in[255 - k] when
     * `reversed`, the mirrored spectrum of odd QMF bands), k < 256,
     *   out[n] = scale * w[n] * sum_k X[k] cos(pi/256 (n + 1/2 + 128)(k + 1/2)),
     * n < 512, w the ATRAC3 synthesis window (codec/atrac3/atrac3_tables.c),
     * computed through a 128-point complex FFT. `work` holds 256 floats of
     * scratch; `in`, `out` and `work` do not overlap. Tolerance:
     * SEGUE_DSP_ATRAC3_TOLERANCE_REL of the peak |out|. */
    void (*atrac3_imlt)(const float *in, int reversed, float scale, float *out, float *work);
    /* ATRAC3 gain compensation and overlap-add of one band (256 samples):
     *   out[i] = (in[i] * g_next + prev[i]) * g(i),   i < 256,
     * g(i) the gain curve `g` describes (1 where it has no points; the
     * product in that order, and with g(i) = 1 no multiply), then
     * prev[i] = in[256 + i]. `out` may equal `in` (each in[i] is read before
     * out[i] is written, and in[256..511] is not written); `prev` overlaps
     * neither. Tolerance: SEGUE_DSP_ATRAC3_TOLERANCE_REL of the peak of the
     * call's |out|, |in| and |prev|. */
    void (*atrac3_gain_overlap)(float *out, const float *in, float *prev, float g_next,
                                const segue_atrac3_gain *g);
    /* ATRAC3 two-band QMF synthesis: with x[0..45] = delay and, for i < n,
     * x[46 + 2i] = low[i] + high[i], x[47 + 2i] = low[i] - high[i]:
     *   out[2j]     = sum_{m<24} x[2j + 2m + 1] h[2m + 1],
     *   out[2j + 1] = sum_{m<24} x[2j + 2m] h[2m],   j < n,
     * each sum accumulated from 0 in increasing m, h the 48-tap ATRAC3 QMF
     * window; then delay = x[2n .. 2n + 45]. `work` holds 2n + 46 floats of
     * scratch. `out` may overlap `low` and `high` (all inputs are read
     * before any output is written); `delay` and `work` overlap nothing.
     * n >= 0.
     * Tolerance: SEGUE_DSP_ATRAC3_TOLERANCE_REL of the peak of the call's
     * |out|, |low|, |high| and |delay|, outputs and delay. */
    void (*atrac3_qmf_synth)(const float *low, const float *high, size_t n, float *out,
                             float *delay, float *work);

    /* AAC inverse quantisation (14496-3 4.6.1.3, 4.6.2.3):
     *   dst[i] = sign(q[i]) * (pow43[|q[i]|] * gain),
     * pow43[v] = v^(4/3) as the float nearest (segue_aac_pow43), |q[i]| <=
     * 8191, n >= 0 (any n; bands are multiples of 4 long). Bit-exact. */
    void (*aac_dequant)(float *dst, const int16_t *q, size_t n, float gain);
    /* AAC IMDCT (14496-3 4.6.11.3.1) of N/2 coefficients to N samples,
     *   out[n] = 2/N sum_k in[k] cos(2 pi / N (n + n0)(k + 1/2)),
     *   n0 = (N/2 + 1) / 2, N = 2^log2n, log2n 11 (long) or 8 (short).
     * `work` holds N/2 floats of scratch; `in`, `out` and `work` do not
     * overlap. Tolerance: SEGUE_DSP_AAC_TOLERANCE_REL of the peak |out|. */
    void (*aac_imdct)(float *out, const float *in, unsigned log2n, float *work);
    /* AAC windowing and overlap-add of one channel's frame (4.6.11.3.2):
     * `t` is the frame's IMDCT output (2048 samples; for EIGHT_SHORT_SEQUENCE
     * 8 IMDCTs of 256 at t + 256 w), window_sequence 0..3 (ONLY_LONG,
     * LONG_START, EIGHT_SHORT, LONG_STOP). `left` is the rising window half
     * of the previous frame's shape and `right` the rising half of this
     * frame's (falling halves are them reversed): 1024 values where the
     * sequence's left (right) side is long, 128 where it is short (for
     * EIGHT_SHORT `left` rises window 0 only; windows 1..7 rise and all fall
     * with `right`). Then, with z the windowed frame (short windows at
     * 448 + 128 w, zero outside the windows of a start/stop sequence, 1
     * between), out[i] = overlap[i] + z[i] and overlap[i] = z[1024 + i],
     * i < 1024; for the long halves each product t[i] * w is rounded, then
     * added to the overlap; short windows add in increasing w. `out`
     * overlaps nothing. Tolerance: SEGUE_DSP_AAC_TOLERANCE_REL of the peak
     * of |out|, |t| and the |overlap| read, outputs and overlap. */
    void (*aac_window_overlap)(float *out, float *overlap, const float *t,
                               unsigned window_sequence, const float *left, const float *right);

    /* ---- AAC-LC encoder (codec/aac/enc) -----------------------------------
     * Kernels of the encoder's hot paths. Scalar versions in
     * simd/dsp_aacenc_scalar.c are the specification; x86/arm versions
     * override them and tests/simd checks them against it. Tolerances:
     * SEGUE_DSP_AACENC_TOLERANCE_REL and SEGUE_DSP_AACENC_ERROR_TOLERANCE_REL
     * (after this struct; dsp_aacenc_scalar.c's header comment explains
     * them); integer outputs are exact. */
    /* Forward MDCT (14496-3 4.6.11.3.1, the transform the IMDCT inverts) of
     * N windowed time samples to N/2 coefficients,
     *   out[k] = sum_n in[n] cos(2 pi / N (n + n0)(k + 1/2)),
     *   n0 = (N/2 + 1) / 2, N = 2^log2n, log2n 11 (long) or 8 (short),
     * scaled so that aac_imdct(aacenc_mdct(x)) windowed and overlap-added
     * reconstructs x: the kernel returns twice this sum
     * (dsp_aacenc_scalar.c derives the factor). `work` holds N floats of
     * scratch; the pointers do not overlap. */
    void (*aacenc_mdct)(float *out, const float *in, unsigned log2n, float *work);
    /* dst[i] = |x[i]|^(3/4), n >= 0 (the quantiser's input, 4.6.1.3
     * inverted). */
    void (*aacenc_pow34)(float *dst, const float *x, size_t n);
    /* Quantises one band: q[i] = sign(x[i]) * min(8191, (int)(x34[i] * istep
     * + rounding)), where x34 = aacenc_pow34(x), istep = 2^(-3/16 (sf - 100))
     * and rounding in [0, 0.5] (0.4054 is the usual dead zone). Returns
     * max |q[i]|. Exact (integer output of float products computed in the
     * scalar order). */
    int (*aacenc_quantize)(int16_t *q, const float *x, const float *x34, size_t n,
                           float istep, float rounding);
    /* Squared error of the band after dequantisation:
     *   sum (|x[i]| - |q[i]|^(4/3) * step)^2, step = 2^(1/4 (sf - 100)).
     * Tolerance: relative 2^-16 of the result. */
    float (*aacenc_quant_error)(const float *x, const int16_t *q, size_t n, float step);
} segue_dsp;

/* AAC encoder kernels: aacenc_mdct outputs within this times the call's
 * peak |out| (2^-18, as the decoder's filterbank: vector kernels may
 * reorder the FFT's sums); aacenc_quant_error within ..._ERROR_... times
 * its result (2^-16: sums of up to a few thousand positive terms kept in
 * float lanes). pow34 and quantize are bit-exact. */
#define SEGUE_DSP_AACENC_TOLERANCE_REL (1.0f / 262144.0f)
#define SEGUE_DSP_AACENC_ERROR_TOLERANCE_REL (1.0f / 65536.0f)

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
