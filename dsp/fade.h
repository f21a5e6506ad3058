/*
 * dsp/fade.h - gain and fades, stateless: the caller passes the position.
 */
#ifndef SEGUE_DSP_FADE_H
#define SEGUE_DSP_FADE_H

#include <segue/common.h>

typedef struct segue_fade {
    uint64_t in_frames;   /* fade-in length from frame 0; 0: none */
    uint64_t out_start;   /* first frame of the fade-out */
    uint64_t out_frames;  /* fade-out length; 0: none */
} segue_fade;

/* Applies the fades to `frames` interleaved frames whose first frame is
 * frame `pos` of the stream. The curve is a quarter sine in amplitude
 * (equal-power crossfade shape); the first fade-in sample and the last
 * fade-out sample are 0. */
void segue_fade_apply(const segue_fade *f, float *inout, size_t frames, unsigned channels,
                      uint64_t pos);
/* dB -> linear amplitude. */
double segue_db_to_linear(double db);

#endif
