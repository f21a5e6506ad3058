/*
 * dsp/loudness.h - EBU R 128 / ITU-R BS.1770-4 measurement via libebur128.
 *
 * Integrated loudness (gated), loudness range (EBU Tech 3342), true peak
 * (4x oversampled) and sample peak of a stream fed in chunks. Channel
 * weights follow BS.1770 from the WAVE channel mask (surrounds +1.5 dB,
 * LFE excluded).
 */
#ifndef SEGUE_DSP_LOUDNESS_H
#define SEGUE_DSP_LOUDNESS_H

#include <segue/metadata.h>
#include "core/error.h"

typedef struct segue_loudness_meter segue_loudness_meter;

typedef struct segue_loudness_result {
    double integrated_lufs;   /* -HUGE_VAL for silence */
    double range_lu;
    double true_peak;         /* linear, max over channels */
    double sample_peak;       /* linear */
    double momentary_max_lufs, short_term_max_lufs;
} segue_loudness_result;

segue_status segue_loudness_meter_create(segue_loudness_meter **out, uint32_t sample_rate,
                                         unsigned channels, uint32_t channel_mask,
                                         const segue_allocator *a, segue_error *err);
void segue_loudness_meter_destroy(segue_loudness_meter *m);
segue_status segue_loudness_meter_add(segue_loudness_meter *m, const float *interleaved,
                                      size_t frames, segue_error *err);
segue_status segue_loudness_meter_result(segue_loudness_meter *m, segue_loudness_result *r,
                                         segue_error *err);

/* The tag values for a measurement: ReplayGain 2.0 track gain (-18 LUFS
 * reference) and peak (true peak), and the R128 track gain (-23 LUFS).
 * Sets the has_* flags of the fields it fills; leaves album fields. */
void segue_loudness_to_tags(const segue_loudness_result *r, segue_loudness *tags);

#endif
