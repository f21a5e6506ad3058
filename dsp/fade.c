/* dsp/fade.c - fades and dB conversion (see fade.h). */
#include "fade.h"

#include <math.h>

double segue_db_to_linear(double db)
{
    return pow(10.0, db / 20.0);
}

/* Quarter-sine fade gain for `k` frames into a fade of `len` frames:
 * sin(pi/2 * k/len), 0 at k = 0 and approaching 1 at k = len. Paired with
 * its mirror image (a cosine) it gives sin^2 + cos^2 = 1, the equal-power
 * crossfade law. */
static double quarter_sine(uint64_t k, uint64_t len)
{
    return sin(1.57079632679489661923 * ((double)k / (double)len));
}

void segue_fade_apply(const segue_fade *f, float *inout, size_t frames, unsigned channels,
                      uint64_t pos)
{
    if (!f || !inout || !channels)
        return;
    for (size_t n = 0; n < frames; n++) {
        uint64_t p = pos + n;
        double gain = 1.0;
        if (f->in_frames && p < f->in_frames)
            gain *= quarter_sine(p, f->in_frames);
        if (f->out_frames && p >= f->out_start) {
            uint64_t into = p - f->out_start;
            /* The last fade-out frame (into == out_frames - 1) is 0; frames
             * past the end of the fade stay silent. */
            gain *= into < f->out_frames ? quarter_sine(f->out_frames - 1 - into, f->out_frames) : 0.0;
        }
        if (gain == 1.0)
            continue;
        float g = (float)gain;
        float *frame = inout + n * channels;
        for (unsigned c = 0; c < channels; c++)
            frame[c] *= g;
    }
}
