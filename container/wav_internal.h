/* container/wav_internal.h - WAV muxer internals exposed for unit tests, and
 * the ATRAC gapless rule shared by the RIFF-AT3 (wav.c) and OMA (oma.c)
 * demuxers. */
#ifndef SEGUE_CONTAINER_WAV_INTERNAL_H
#define SEGUE_CONTAINER_WAV_INTERNAL_H

#include <stdint.h>

#include <segue/metadata.h>

/* Whether the header must be RF64. `mode` is a segue_rf64_mode; `riff_size`
 * the RIFF payload size from "WAVE" on, UINT64_MAX if not known.
 *   at open:   ALWAYS -> RF64; AUTO -> RF64 only on an unseekable sink whose
 *              size is known to be too large (a seekable one is converted at
 *              finish); NEVER -> TOO_LARGE if the known size is too large.
 *   at finish: ALWAYS -> RF64; AUTO -> RF64 when too large; NEVER -> TOO_LARGE
 *              when too large.
 * Returns 1 (RF64), 0 (RIFF) or SEGUE_ERR_TOO_LARGE. */
int segue_wav_rf64_decision(int mode, int at_finish, int seekable, uint64_t riff_size);

/*
 * ATRAC gapless rule (docs/atrac.md "Gapless").
 *
 * Samples to drop at the start = the encoder's skip + the decoder's own
 * latency. RIFF-AT3 carries the skip as the second `fact` value (Sony and
 * atracdenc write 1024 for ATRAC3); OMA has no such field, so the value
 * those encoders write is assumed. The decoder latency is what an
 * FFmpeg-compatible decoder adds beyond that skip, measured on the atracdenc
 * fixtures by cross-correlation with the source clips: 1162 = 1024 + 138
 * samples (ATRAC3 LP2 and LP4), 4464 = 4096 + 368 samples (ATRAC3plus,
 * whose fact chunk gives no skip: atracdenc's two frames are assumed).
 * The output length is the fact total when given, as stated ([WFX]: the
 * length in samples; atracdenc writes its frames' count x 1024, 441 344
 * for a 441 000-sample clip: the source plus the encoder's zero padding
 * of the last frame). The frames of a whole file cover it, but the last `delay` samples are still inside the decoder when the
 * packets end (atracdenc writes no flushing frame); the core drains the
 * decoder to complete them and treats a stream that ends more than the
 * delay short as truncated (core/decoder.c, "End of stream"). OMA records
 * no length: the frames' count x samples per frame is taken, the value
 * atracdenc's fact gives for the same stream. A RIFF file without a fact
 * total gets what the whole frames decode to after the delay.
 */
#define SEGUE_ATRAC3_FRAME_SAMPLES 1024u
#define SEGUE_ATRAC3PLUS_FRAME_SAMPLES 2048u
#define SEGUE_ATRAC3_DEFAULT_SKIP 1024u
#define SEGUE_ATRAC3_DECODER_DELAY 138u
#define SEGUE_ATRAC3PLUS_DEFAULT_SKIP 4096u
#define SEGUE_ATRAC3PLUS_DECODER_DELAY 368u

/* Records the rule's result in `m`: `delay` samples dropped at the start,
 * `fact_total` the stated length (0: none), `coded_samples` what the
 * stream's whole frames decode to (-1: unknown, e.g. a pipe). A fact
 * total is kept as stated, also when the frames after the delay fall
 * short of it (the core decides at the end whether that is the decoder's
 * lag or a truncation); padding is what the frames hold beyond it. */
static inline void segue_atrac_set_gapless(segue_metadata *m, uint32_t delay, uint64_t fact_total,
                                           int64_t coded_samples)
{
    segue_gapless g = {0, 0, 0};
    g.encoder_delay = delay;
    if (coded_samples >= 0) {
        uint64_t coded = (uint64_t)coded_samples;
        uint64_t avail = coded > delay ? coded - delay : 0;
        g.total_frames = fact_total ? fact_total : avail;
        uint64_t pad = avail > g.total_frames ? avail - g.total_frames : 0;
        g.padding = pad <= UINT32_MAX ? (uint32_t)pad : 0;
    } else {
        g.total_frames = fact_total;
    }
    segue_metadata_set_gapless(m, &g);
}

#endif
