/*
 * simd/dsp_impl.h - internal to simd/: the per-ISA table initialisers and the
 * scalar kernels, which the ISA files call for the tails their vector loops
 * leave, so a tail can never drift from the specification.
 */
#ifndef SEGUE_SIMD_DSP_IMPL_H
#define SEGUE_SIMD_DSP_IMPL_H

#include "simd/dsp.h"

/* Each overrides only the entries its ISA implements. The ISA ones must be
 * called only when the host can run that ISA (segue_dsp_init_level checks):
 * the whole translation unit is compiled for it, initialiser included. */
void segue_dsp_init_scalar(segue_dsp *dsp);
void segue_dsp_init_sse2(segue_dsp *dsp);
void segue_dsp_init_avx2(segue_dsp *dsp);
void segue_dsp_init_neon(segue_dsp *dsp);
/* The ATRAC3 kernels (simd/dsp_atrac_*.c), called by the initialisers
 * above for their ISA. */
void segue_dsp_init_atrac_scalar(segue_dsp *dsp);
void segue_dsp_init_atrac_sse2(segue_dsp *dsp);
void segue_dsp_init_atrac_avx2(segue_dsp *dsp);
void segue_dsp_init_atrac_neon(segue_dsp *dsp);
/* The AAC kernels (simd/dsp_aac_*.c), likewise. */
void segue_dsp_init_aac_scalar(segue_dsp *dsp);
void segue_dsp_init_aac_sse2(segue_dsp *dsp);
void segue_dsp_init_aac_avx2(segue_dsp *dsp);
void segue_dsp_init_aac_neon(segue_dsp *dsp);
/* The AAC encoder kernels (simd/dsp_aacenc_*.c), likewise. */
void segue_dsp_init_aacenc_scalar(segue_dsp *dsp);
void segue_dsp_init_aacenc_sse2(segue_dsp *dsp);
void segue_dsp_init_aacenc_avx2(segue_dsp *dsp);
void segue_dsp_init_aacenc_neon(segue_dsp *dsp);

void segue_f32_to_s16_scalar(int16_t *dst, const float *src, size_t n);
void segue_f32_to_s24_scalar(int32_t *dst, const float *src, size_t n);
void segue_f32_to_s32_scalar(int32_t *dst, const float *src, size_t n);
void segue_s16_to_f32_scalar(float *dst, const int16_t *src, size_t n);
void segue_s32_to_f32_scalar(float *dst, const int32_t *src, size_t n, float scale);
void segue_interleave2_f32_scalar(float *dst, const float *l, const float *r, size_t n);
void segue_deinterleave2_f32_scalar(float *l, float *r, const float *src, size_t n);
void segue_interleave_f32_scalar(float *dst, const float *const *planes, unsigned channels,
                                 size_t n);
void segue_deinterleave_f32_scalar(float *const *planes, const float *src, unsigned channels,
                                   size_t n);
void segue_scale_add_f32_scalar(float *dst, const float *src, float gain, size_t n);
void segue_scale_f32_scalar(float *dst, const float *src, float gain, size_t n);
void segue_mpa_synth_scalar(float *io, size_t nslots, unsigned nch, segue_mpa_synth_state *st);
void segue_mpa_alias_scalar(float *x, size_t stride, size_t nb);
void segue_mpa_imdct36_scalar(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0,
                              unsigned block_type);
void segue_mpa_imdct12_scalar(float *x, float *ovl, size_t stride, size_t nsb, size_t sb0);

/* Constant tables of the MPEG audio kernels (simd/dsp_mpa_tables.c, made
 * by tools/gen_mpa_dsp_tables.py; each commented there). */
extern const float segue_mpa_synth_window[512];
extern const float segue_mpa_synth_window4[8 * 4 * 16];
extern const float segue_mpa_dct32_lee[31];
extern const float segue_mpa_dct4_18_pre[18];
extern const float segue_mpa_dct2_18_odd[9];
extern const float segue_mpa_dct2_9[36];
extern const float segue_mpa_dct4_6[36];
extern const float segue_mpa_imdct_window[4 * 36];
extern const float segue_mpa_imdct_window_short[12];
extern const float segue_mpa_alias_cs[8];
extern const float segue_mpa_alias_ca[8];
/* The IMDCT tables with each value repeated 4 times, 16-byte aligned, so
 * SSE2 multiplies by a constant straight from memory. */
extern const float segue_mpa_dct4_18_pre_x4[18 * 4];
extern const float segue_mpa_dct2_18_odd_x4[9 * 4];
extern const float segue_mpa_dct2_9_x4[36 * 4];
extern const float segue_mpa_dct4_6_x4[36 * 4];
extern const float segue_mpa_imdct_window_x4[4 * 36 * 4];
extern const float segue_mpa_imdct_window_short_x4[12 * 4];

void segue_atrac3_imlt_scalar(const float *in, int reversed, float scale, float *out,
                              float *work);
void segue_atrac3_gain_overlap_scalar(float *out, const float *in, float *prev, float g_next,
                                      const segue_atrac3_gain *g);
void segue_atrac3_qmf_synth_scalar(const float *low, const float *high, size_t n, float *out,
                                   float *delay, float *work);

/* Constant tables of the ATRAC3 kernels (simd/dsp_atrac_tables.c, made by
 * tools/gen_atrac_dsp_tables.py from codec/atrac3/atrac3_tables.c; each
 * commented there). */
extern const float segue_atrac3_window[512];
extern const float segue_atrac3_pre_cos[128];
extern const float segue_atrac3_pre_sin[128];
extern const float segue_atrac3_post_cos[128];
extern const float segue_atrac3_post_sin[128];
extern const float segue_atrac3_fft_cos[64];
extern const float segue_atrac3_fft_sin[64];
extern const float segue_atrac3_qmf_window[48];
extern const float segue_atrac3_fft_stage_cos[128];
extern const float segue_atrac3_fft_stage_sin[128];
extern const float segue_atrac3_pre_cos_perm[128];
extern const float segue_atrac3_pre_sin_perm[128];
extern const uint8_t segue_atrac3_pre_index[128];
extern const float segue_atrac3_qmf_pair8[24 * 8];

void segue_aac_dequant_scalar(float *dst, const int16_t *q, size_t n, float gain);
void segue_aac_imdct_scalar(float *out, const float *in, unsigned log2n, float *work);
void segue_aac_window_overlap_scalar(float *out, float *overlap, const float *t,
                                     unsigned window_sequence, const float *left,
                                     const float *right);
void segue_aacenc_mdct_scalar(float *out, const float *in, unsigned log2n, float *work);
void segue_aacenc_pow34_scalar(float *dst, const float *x, size_t n);
int segue_aacenc_quantize_scalar(int16_t *q, const float *x, const float *x34, size_t n,
                                 float istep, float rounding);
float segue_aacenc_quant_error_scalar(const float *x, const int16_t *q, size_t n, float step);

/* Constant tables of the AAC kernels (simd/dsp_aac_tables.c, made by
 * tools/gen_aac_tables.py dsp; each commented there), and pow43[v] =
 * v^(4/3), v < 8192 (simd/dsp_aac_pow43.c, same script). */
extern const float segue_aac_imdct_cos_long[512];
extern const float segue_aac_imdct_sin_long[512];
extern const float segue_aac_imdct_cos_short[64];
extern const float segue_aac_imdct_sin_short[64];
extern const float segue_aac_fft_cos[512];
extern const float segue_aac_fft_sin[512];
extern const uint16_t segue_aac_bitrev512[512];
extern const float segue_aac_pow43[8192];

/* Clip limits shared by every ISA: the vector code clamps in float with
 * exactly these bounds before converting, as the scalar code does, so the
 * conversion never sees an out-of-range value (SSE would return 0x80000000,
 * NEON would saturate) and both paths agree bit for bit. */
#define SEGUE_S16_MIN_F (-32768.0f)
#define SEGUE_S16_MAX_F 32767.0f
#define SEGUE_S16_SCALE_F 32768.0f
#define SEGUE_S24_MIN_F (-8388608.0f)
#define SEGUE_S24_MAX_F 8388607.0f
#define SEGUE_S24_SCALE_F 8388608.0f
#define SEGUE_S32_MIN_F (-2147483648.0f)
#define SEGUE_S32_MAX_F 2147483520.0f
#define SEGUE_S32_SCALE_F 2147483648.0f
#define SEGUE_S16_INV_SCALE_F (1.0f / 32768.0f)

#endif
