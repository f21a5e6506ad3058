/*
 * segue/transcode.h - decode one stream and encode it into another.
 *
 * The transcoder owns both segue_io from the call to open on. Open follows
 * the segue_decoder_open() convention (*out is NULL or a handle to destroy).
 */
#ifndef SEGUE_TRANSCODE_H
#define SEGUE_TRANSCODE_H

#include "decoder.h"
#include "encoder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segue_transcoder segue_transcoder;

typedef struct segue_transcode_config {
    size_t struct_size;               /* sizeof(segue_transcode_config) */
    const segue_allocator *allocator; /* NULL: malloc/free; used for all parts */
    segue_decoder_config decoder;     /* input options */
    /* Output options. sample_rate and channels 0 mean "as the input";
     * sample_format NONE means "as the input" for PCM outputs; metadata NULL
     * means "the input's tags". total_frames is filled in from the input. */
    segue_encoder_config encoder;
    size_t chunk_frames;              /* frames per step; default 4096 */
} segue_transcode_config;

/* Fills `cfg` (and its nested configs) with the defaults. */
SEGUE_API void segue_transcode_config_default(segue_transcode_config *cfg);

SEGUE_API segue_status segue_transcoder_open(segue_transcoder **out, const segue_io *src,
                                             const segue_io *dst,
                                             const segue_transcode_config *cfg);
/* The same from a decoder already opened (e.g. to inspect its stream info
 * before choosing output settings). Takes ownership of `decoder` whatever
 * the result; cfg->decoder is ignored. */
SEGUE_API segue_status segue_transcoder_open_decoder(segue_transcoder **out, segue_decoder *decoder,
                                                     const segue_io *dst,
                                                     const segue_transcode_config *cfg);
/* NULL-safe; closes both io. An unfinished output is left incomplete. */
SEGUE_API void segue_transcoder_destroy(segue_transcoder *t);

/* Converts one chunk. Returns SEGUE_AGAIN while there is more,
 * SEGUE_OK once the output has been finished, or an error. */
SEGUE_API segue_status segue_transcoder_step(segue_transcoder *t);

/* Progress callback: return non-zero to cancel. `total` is -1 if unknown. */
typedef int (*segue_progress_fn)(void *user, uint64_t done_frames, int64_t total_frames);

/* Steps to the end. `progress` may be NULL. Returns SEGUE_OK,
 * SEGUE_ERR_CANCELLED, or the first error. */
SEGUE_API segue_status segue_transcoder_run(segue_transcoder *t, segue_progress_fn progress,
                                            void *user);

SEGUE_API const segue_stream_info *segue_transcoder_input_info(const segue_transcoder *t);
SEGUE_API const segue_metadata *segue_transcoder_unmapped(const segue_transcoder *t);
SEGUE_API const char *segue_transcoder_last_error(const segue_transcoder *t);

#ifdef __cplusplus
}
#endif
#endif
