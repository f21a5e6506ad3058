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

/* libsoxr quality levels for sample-rate conversion. The figures are
 * libsoxr's design targets; docs/dsp.md gives the measured ones. */
typedef enum segue_resample_quality {
    SEGUE_RESAMPLE_HIGH = 0,      /* SOXR_HQ, 20-bit precision (default) */
    SEGUE_RESAMPLE_VERY_HIGH = 1, /* SOXR_VHQ, 28-bit precision */
    SEGUE_RESAMPLE_MEDIUM = 2,    /* SOXR_MQ, 16-bit */
    SEGUE_RESAMPLE_LOW = 3,       /* SOXR_LQ, 16-bit, wider transition band */
    SEGUE_RESAMPLE_QUICK = 4      /* SOXR_QQ, cubic interpolation */
} segue_resample_quality;

/* Dither before an integer output with fewer bits than the signal carries. */
typedef enum segue_dither_mode {
    SEGUE_DITHER_AUTO = 0,   /* TPDF when the bit depth is reduced (default) */
    SEGUE_DITHER_NONE = 1,   /* round to nearest */
    SEGUE_DITHER_TPDF = 2,   /* triangular PDF, +-1 LSB, white */
    SEGUE_DITHER_SHAPED = 3  /* TPDF with error-feedback noise shaping */
} segue_dither_mode;

/* Loudness normalisation (EBU R 128 measurement through libebur128). */
typedef enum segue_normalize_mode {
    SEGUE_NORMALIZE_OFF = 0,
    SEGUE_NORMALIZE_R128 = 1,       /* target -23 LUFS; Opus: R128_TRACK_GAIN */
    SEGUE_NORMALIZE_REPLAYGAIN = 2  /* ReplayGain 2.0: reference -18 LUFS */
} segue_normalize_mode;

typedef struct segue_transcode_config {
    size_t struct_size;               /* sizeof(segue_transcode_config) */
    const segue_allocator *allocator; /* NULL: malloc/free; used for all parts */
    segue_decoder_config decoder;     /* input options */
    /* Output options. sample_rate and channels 0 mean "as the input";
     * sample_format NONE means "as the input" for PCM outputs; metadata NULL
     * means "the input's tags". total_frames is filled in from the input. */
    segue_encoder_config encoder;
    size_t chunk_frames;              /* frames per step; default 4096 */

    /* ---- DSP stages, applied in this order: trim, channel mix, gain,
     * fades, limiter, resample, dither. Defaults leave the signal alone. */
    segue_resample_quality resample_quality;
    /* Trims in input frames (samples per channel at the input rate).
     * start_frame 0 and duration_frames -1 (defaults): the whole input. */
    int64_t start_frame;
    int64_t duration_frames;
    /* Fades in input frames at the start and end of the (trimmed) output;
     * 0: none. A fade-out needs the length: known from the input or
     * duration_frames, else open fails with SEGUE_ERR_UNSUPPORTED. */
    int64_t fade_in_frames;
    int64_t fade_out_frames;
    double gain_db;                   /* fixed gain; default 0 */
    /* True-peak limiter: 0 off (default), 1 on with `limiter_ceiling_dbtp`
     * (default -1.0 dBTP). Turned on by apply_gain. */
    int limiter;
    double limiter_ceiling_dbtp;
    segue_dither_mode dither;
    uint32_t dither_seed;             /* PRNG seed; same seed, same output */
    /* Loudness: measure in the decode pass and write tags for the output
     * format (REPLAYGAIN_* or R128_*) when the output can be completed
     * afterwards; otherwise measure in a first pass over a seekable input.
     * apply_gain != 0 applies the gain (with the limiter) instead of tagging;
     * it always needs the first pass. Open fails with SEGUE_ERR_UNSUPPORTED
     * when neither the output nor the input allows it. */
    segue_normalize_mode normalize;
    int apply_gain;
    /* Cover art limits: pictures larger than this (pixels or bytes), or not
     * JPEG when picture_jpeg_only is set, are scaled to fit and re-encoded
     * as baseline JPEG. 0: no limit. */
    uint32_t picture_max_width, picture_max_height;
    uint32_t picture_max_bytes;
    int picture_jpeg_only;
} segue_transcode_config;

/* What a finished (or running) conversion measured. */
typedef struct segue_transcode_stats {
    uint64_t input_frames;            /* decoded input frames used (after trims) */
    uint64_t output_frames;           /* frames handed to the encoder */
    uint64_t clipped_samples;         /* samples at or beyond full scale before
                                         the output's integer conversion */
    double peak;                      /* largest |sample| handed to the encoder */
    int has_loudness;                 /* the fields below are set */
    double integrated_lufs;           /* of the signal before normalisation */
    double loudness_range_lu;
    double true_peak;                 /* linear, 4x oversampled (libebur128) */
    double applied_gain_db;           /* gain applied (gain_db + normalisation) */
    int passes;                       /* 1, or 2 when a first analysis pass ran */
    uint64_t concealed_packets;       /* damaged input packets the decoder
                                         concealed (segue_decoder_concealed) */
    const char *concealed_last;       /* detail of the last one, "" if none;
                                         owned by the transcoder, valid until
                                         its next step or run call */
} segue_transcode_stats;

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
/* Fills *stats; NULL-safe (zeroes). Loudness fields are final once run()
 * or step() has returned SEGUE_OK. */
SEGUE_API void segue_transcoder_stats(const segue_transcoder *t, segue_transcode_stats *stats);
/* Names for the enums above ("high", "tpdf", "r128"...), and parsers that
 * return -1 for an unknown name. */
SEGUE_API const char *segue_resample_quality_name(segue_resample_quality q);
SEGUE_API int segue_resample_quality_parse(const char *name);
SEGUE_API const char *segue_dither_mode_name(segue_dither_mode d);
SEGUE_API int segue_dither_mode_parse(const char *name);
SEGUE_API const char *segue_normalize_mode_name(segue_normalize_mode n);
SEGUE_API int segue_normalize_mode_parse(const char *name);
SEGUE_API const segue_metadata *segue_transcoder_unmapped(const segue_transcoder *t);
SEGUE_API const char *segue_transcoder_last_error(const segue_transcoder *t);

#ifdef __cplusplus
}
#endif
#endif
