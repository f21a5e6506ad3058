/*
 * dsp/dither.h - requantisation of float samples to a shorter integer word.
 *
 * The output of process() is float, but every sample is an exact multiple
 * of 2^-(bits-1) inside [-1, 1 - 2^-(bits-1)], so the encoder's own
 * float -> integer conversion afterwards is lossless. TPDF: two uniform
 * random values summed, +-1 LSB peak, added before rounding (Lipshitz,
 * Wannamaker, Vanderkooy, "Quantization and Dither: A Theoretical Survey",
 * JAES 1992). Shaped: the same TPDF plus error feedback through a fixed
 * high-pass filter that moves the noise above ~15 kHz (44.1/48 kHz rates;
 * other rates fall back to TPDF). Deterministic for a given seed.
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
 * that clipped at the word's limits. */
uint64_t segue_ditherer_process(segue_ditherer *d, float *inout, size_t frames);

#endif
