/*
 * dsp/mix.h - channel mapping and downmix by a fixed matrix.
 *
 * out[o] = sum_i matrix[o][i] * in[i] per frame. The matrices: identity
 * (same layout), mono -> N (the mono signal to front left and right at
 * -3 dB, ITU-R BS.775 inverse, other channels silent), N -> mono, and
 * ITU-R BS.775-3 Table 2 for 5.1/5.0/quad/3.0 -> 2.0 (Lo = L + 0.7071 C +
 * 0.7071 Ls, LFE dropped). Each downmix row is scaled so its coefficients
 * sum to at most 1: a downmix never clips. Layouts come from WAVE channel
 * masks (0: the default mask for the count).
 */
#ifndef SEGUE_DSP_MIX_H
#define SEGUE_DSP_MIX_H

#include <segue/common.h>
#include <segue/status.h>
#include "core/error.h"

typedef struct segue_mixer segue_mixer;

/* SEGUE_ERR_UNSUPPORTED (with a message naming both layouts) when no
 * matrix is defined for the pair. */
segue_status segue_mixer_create(segue_mixer **out, unsigned in_channels, uint32_t in_mask,
                                unsigned out_channels, uint32_t out_mask,
                                const segue_allocator *a, segue_error *err);
/* NULL-safe. */
void segue_mixer_destroy(segue_mixer *m);
/* `in` holds frames * in_channels interleaved floats, `out` frames *
 * out_channels; they must not overlap. */
void segue_mixer_process(const segue_mixer *m, const float *in, size_t frames, float *out);
/* The coefficient for output `o` from input `i` (tests and docs). */
float segue_mixer_coefficient(const segue_mixer *m, unsigned o, unsigned i);

#endif
