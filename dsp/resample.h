/*
 * dsp/resample.h - sample-rate conversion through libsoxr.
 *
 * Streaming and sample-exact: after all input and a flush, the output holds
 * exactly round(in_frames * out_rate / in_rate) frames (round half up),
 * time-aligned with the input (libsoxr compensates its filter delay).
 */
#ifndef SEGUE_DSP_RESAMPLE_H
#define SEGUE_DSP_RESAMPLE_H

#include <segue/common.h>
#include <segue/status.h>
#include "core/error.h"

typedef struct segue_resampler segue_resampler;

/* segue_resample_quality is public (segue/transcode.h). */
#include <segue/transcode.h>

segue_status segue_resampler_create(segue_resampler **out, uint32_t in_rate, uint32_t out_rate,
                                    unsigned channels, segue_resample_quality quality,
                                    const segue_allocator *a, segue_error *err);
/* NULL-safe. */
void segue_resampler_destroy(segue_resampler *r);

/* Largest output `in_frames` of input can produce in one call (buffer size). */
size_t segue_resampler_max_output(const segue_resampler *r, size_t in_frames);

/* Converts all `in_frames` interleaved frames; with in == NULL and
 * in_frames == 0 flushes the tail. Writes at most `out_capacity` frames
 * (size it with segue_resampler_max_output) and sets *produced. */
segue_status segue_resampler_process(segue_resampler *r, const float *in, size_t in_frames,
                                     float *out, size_t out_capacity, size_t *produced,
                                     segue_error *err);

#endif
