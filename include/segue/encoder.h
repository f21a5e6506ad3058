/*
 * segue/encoder.h - push encoding: PCM in, bytes out through a segue_io.
 *
 * Open, write any number of times, then finish. Finish drains, writes
 * trailers and back-patches headers when the sink can seek. Destroying an
 * encoder that was not finished closes the sink without trailers: the
 * caller owns the file and should delete it.
 *
 * Open follows the same convention as segue_decoder_open(): *out is NULL or
 * a handle to destroy. The encoder owns the segue_io from the call to open
 * on, and copies `cfg` and the metadata it points to.
 */
#ifndef SEGUE_ENCODER_H
#define SEGUE_ENCODER_H

#include "io.h"
#include "metadata.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segue_encoder segue_encoder;

typedef enum segue_rf64_mode {
    SEGUE_RF64_AUTO = 0,  /* RIFF, switched to RF64 at finish when over 4 GiB
                             (seekable sinks; pipes: RF64 when the hint says so) */
    SEGUE_RF64_NEVER = 1, /* plain RIFF; finish fails with TOO_LARGE past 4 GiB */
    SEGUE_RF64_ALWAYS = 2 /* always write RF64 with a ds64 chunk */
} segue_rf64_mode;

/* How a lossy encoder spends bits. */
typedef enum segue_rate_control {
    SEGUE_RC_DEFAULT = 0, /* the codec's recommended mode */
    SEGUE_RC_CBR = 1,     /* constant bitrate: `bitrate` */
    SEGUE_RC_ABR = 2,     /* average bitrate: `bitrate` (MP3 ABR, Vorbis managed) */
    SEGUE_RC_VBR = 3      /* variable: `quality` (MP3, Vorbis) or `bitrate` target (Opus) */
} segue_rate_control;

/* Channel coding of stereo encoders (MP3). */
typedef enum segue_stereo_mode {
    SEGUE_STEREO_DEFAULT = 0, /* joint stereo for 2 channels */
    SEGUE_STEREO_JOINT = 1,
    SEGUE_STEREO_PLAIN = 2,   /* independent left/right */
    SEGUE_STEREO_MONO = 3     /* downmix to one channel */
} segue_stereo_mode;

typedef struct segue_encoder_config {
    size_t struct_size;               /* sizeof(segue_encoder_config) */
    const segue_allocator *allocator; /* NULL: malloc/free */
    const char *container;            /* "wav" (default); see segue_encoder_containers() */
    const char *codec;                /* NULL: the container's default ("pcm" for wav) */
    uint32_t sample_rate;             /* Hz, required */
    uint32_t channels;                /* 1..8 (PCM: up to 32), required */
    uint32_t channel_mask;            /* speaker bits; 0: the default for `channels` */
    segue_sample_format sample_format;/* PCM codecs: stored format; default S16 */
    int64_t total_frames;             /* -1 (default) if unknown; lets a pipe get exact sizes */
    segue_rf64_mode rf64;             /* wav only */
    const segue_metadata *metadata;   /* tags to write; NULL: none. Copied. */
    /* Lossy and lossless codec settings; each codec documents its ranges and
     * rejects values outside them with SEGUE_ERR_INVALID_ARGUMENT. */
    segue_rate_control rate_control;  /* default SEGUE_RC_DEFAULT */
    uint32_t bitrate;                 /* bits per second; 0: codec default */
    float quality;                    /* VBR quality (MP3: V0..V9, 0 best; Vorbis: -1..10);
                                         NaN (the default): codec default */
    int compression_level;            /* FLAC 0..8; -1 (default): codec default */
    segue_stereo_mode stereo_mode;
    int id3v2_version;                /* MP3 tags: 3 (default) or 4 */
    /* 1: the loudness record will be set at the end with
     * segue_encoder_set_loudness(); the muxer reserves room in its tag block
     * and rewrites it at finish. Needs a seekable sink and a muxer that can
     * (mp3, flac, ogg, m4a); open fails with SEGUE_ERR_UNSUPPORTED otherwise. */
    int late_loudness;
    /* The output length in frames when the caller expects one (a decoded
     * input's stated length), -1 (default) if not. Unlike total_frames it
     * is a hint, never checked: a muxer that writes its index up front
     * sizes it from this (M4A reserves room for the moov before the audio,
     * "faststart"); a stream that turns out shorter still finishes, one
     * that turns out longer gets its index after the audio instead. */
    int64_t length_hint;
} segue_encoder_config;

/* Fills `cfg` with the defaults. */
SEGUE_API void segue_encoder_config_default(segue_encoder_config *cfg);

SEGUE_API segue_status segue_encoder_open(segue_encoder **out, const segue_io *io,
                                          const segue_encoder_config *cfg);
/* NULL-safe; closes the io. */
SEGUE_API void segue_encoder_destroy(segue_encoder *e);

/* Writes `frames` interleaved float frames. Values outside [-1, 1) clip when
 * the stored format is an integer one (round to nearest, ties to even). */
SEGUE_API segue_status segue_encoder_write_f32(segue_encoder *e, const float *interleaved,
                                               size_t frames);
/* Same, one array per channel. */
SEGUE_API segue_status segue_encoder_write_f32_planar(segue_encoder *e,
                                                      const float *const *planes,
                                                      size_t frames);
/* Finishes the stream: flushes, writes trailers and back-patches sizes when
 * the sink can seek. On a pipe the header written at open stays: exact when
 * total_frames was given and matched, otherwise with the "unknown length"
 * size markers (0xFFFFFFFF) that ffmpeg and sox read to end of stream.
 * Returns SEGUE_ERR_STATE if total_frames was given and not matched. */
SEGUE_API segue_status segue_encoder_finish(segue_encoder *e);
/* Replaces the loudness record of the tags (ReplayGain/R128 values) before
 * finish; only for an encoder opened with late_loudness = 1, else
 * SEGUE_ERR_STATE. The values are written by segue_encoder_finish(). */
SEGUE_API segue_status segue_encoder_set_loudness(segue_encoder *e, const segue_loudness *l);
/* Frames written so far. */
SEGUE_API uint64_t segue_encoder_frames_written(const segue_encoder *e);
/* Fields the output format could not carry, from the metadata passed in. */
SEGUE_API const segue_metadata *segue_encoder_unmapped(const segue_encoder *e);

SEGUE_API const char *segue_encoder_last_error(const segue_encoder *e);

/* NULL-terminated list of container names the encoder can write. Static. */
SEGUE_API const char *const *segue_encoder_containers(void);

#ifdef __cplusplus
}
#endif
#endif
