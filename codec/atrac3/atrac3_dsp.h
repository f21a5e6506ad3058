/* codec/atrac3/atrac3_dsp.h - the ATRAC3 synthesis steps: IMLT (IMDCT +
 * window), gain compensation with overlap-add, and the two-band QMF
 * synthesis. The arithmetic lives in simd/ (the atrac3_* entries of
 * segue_dsp, simd/dsp.h, whose scalar versions in simd/dsp_atrac_scalar.c
 * are the specification); these functions call through the table the
 * caller passes, the gain step after decoding the frame's gain codes. */
#ifndef SEGUE_CODEC_ATRAC3_DSP_H
#define SEGUE_CODEC_ATRAC3_DSP_H

#include <stddef.h>
#include <stdint.h>

#include "simd/dsp.h"

/* Gain control points of one band in one frame (ATRAC3 gain_control):
 * up to 7 points, each a level code (gain 2^(4 - level)) and a location
 * (in units of 8 samples) where an 8-sample ramp to the next level starts. */
typedef struct atrac3_gain_info {
    uint8_t num_points;
    uint8_t level[7];
    uint8_t location[7];
} atrac3_gain_info;

/* IMLT of one 256-coefficient band: the 512-point IMDCT
 *   y[n] = scale * sum_k X[k] cos(pi/256 (n + 1/2 + 128)(k + 1/2)),
 * times the synthesis window. `reversed` reads X backwards (odd QMF bands
 * carry a mirrored spectrum). `work` holds 256 floats; `out` 512. `in` may
 * alias neither. Uses segue_dsp_get()'s table. */
void atrac3_imlt(const float *in, int reversed, float scale, float *out, float *work);

/* Gain compensation and overlap-add of one band (256 samples):
 * out[i] = (in[i] * g_next + prev[i]) * g_now(i), where g_next is the first
 * level of the next frame's gain info (it scales the current half that the
 * next frame overlaps) and g_now interpolates this frame's points; then
 * prev = in[256..511]. Locations must be increasing (the decoder rejects
 * others). */
void atrac3_gain_overlap(const segue_dsp *dsp, const float *in, float *prev,
                         const atrac3_gain_info *now, const atrac3_gain_info *next, float *out);

/* Two-band QMF synthesis: `n` samples of each band in, 2n out. `delay`
 * holds the 46 samples of filter history; `work` 2n + 46 floats. `out`
 * may alias `low` (it is read into `work` first). Uses segue_dsp_get()'s
 * table. */
void atrac3_qmf_synth(const float *low, const float *high, size_t n, float *out, float *delay,
                      float *work);

#endif
