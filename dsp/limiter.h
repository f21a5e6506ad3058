/*
 * dsp/limiter.h - look-ahead true-peak limiter.
 *
 * Keeps inter-sample peaks (estimated with 4x oversampling, as ITU-R
 * BS.1770-4 Annex 2 measures true peak) at or below the ceiling. The gain
 * reacts within the look-ahead window, so the limiter delays the signal by
 * segue_limiter_latency() frames; process()/flush() hide the delay: over a
 * whole stream the output has exactly as many frames as the input, aligned
 * with it.
 */
#ifndef SEGUE_DSP_LIMITER_H
#define SEGUE_DSP_LIMITER_H

#include <segue/common.h>
#include <segue/status.h>
#include "core/error.h"

typedef struct segue_limiter segue_limiter;

segue_status segue_limiter_create(segue_limiter **out, uint32_t sample_rate, unsigned channels,
                                  double ceiling_dbtp, const segue_allocator *a, segue_error *err);
void segue_limiter_destroy(segue_limiter *l);
size_t segue_limiter_latency(const segue_limiter *l);
/* Takes `frames` frames from `in`, writes *produced (<= frames) frames to
 * `out` (capacity `frames`). in and out may be the same buffer. */
void segue_limiter_process(segue_limiter *l, const float *in, size_t frames, float *out,
                           size_t *produced);
/* End of stream: writes the held frames (at most latency()) to `out`. */
void segue_limiter_flush(segue_limiter *l, float *out, size_t *produced);
/* Largest gain reduction so far in dB (<= 0). */
double segue_limiter_max_reduction_db(const segue_limiter *l);

#endif
