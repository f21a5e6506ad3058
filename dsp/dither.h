/*
 * dsp/dither.h - requantisation of float samples to a shorter integer word.
 *
 * The output of process() is float, but every sample is an exact multiple
 * of 2^-(bits-1) inside [-1, 1 - 2^-(bits-1)], so the encoder's own
 * float -> integer conversion afterwards is lossless. TPDF: two uniform
 * random values summed, +-1 LSB peak, added before rounding (Lipshitz,
 * Wannamaker, Vanderkooy, "Quantization and Dither: A Theoretical Survey",
 * JAES 1992). Shaped: the same TPDF plus error feedback through a fixed
 * 3rd-order filter that lowers the noise 22-35 dB below 4 kHz and raises
 * it above ~8 kHz (+17 dB at 22 kHz); 44.1/48 kHz only, other rates fall
 * back to TPDF (docs/dsp.md). Deterministic for a given seed.
 */
#ifndef SEGUE_DSP_DITHER_H
#define SEGUE_DSP_DITHER_H

#include <segue/transcode.h>
#include "core/error.h"

typedef struct segue_ditherer segue_ditherer;

/* `bits` 8..24 is the target word length; `mode` NONE just rounds to it,
 * AUTO is treated as TPDF. */
segue_status segue_ditherer_create(segue_ditherer **out, unsigned channels, uint32_t sample_rate,
                                   unsigned bits, segue_dither_mode mode, uint32_t seed,
                                   const segue_allocator *a, segue_error *err);
void segue_ditherer_destroy(segue_ditherer *d);
/* In place, `frames` interleaved frames. Returns the number of samples
 * whose rounded value fell outside the word and was clamped to its limits
 * (+1.0 counts: the top code is 1 - 2^-(bits-1)); NaN becomes 0. */
uint64_t segue_ditherer_process(segue_ditherer *d, float *inout, size_t frames);

#endif
