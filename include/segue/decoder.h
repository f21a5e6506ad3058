/*
 * segue/decoder.h - pull decoding: bytes in through a segue_io, PCM out.
 *
 *     segue_decoder *d = NULL;
 *     segue_status st = segue_decoder_open(&d, &io, NULL);
 *     if (st < 0) { fprintf(stderr, "%s\n", segue_decoder_last_error(d)); }
 *     ...
 *     segue_decoder_destroy(d);
 *
 * Open follows the sqlite3_open convention: whatever it returns, *out is
 * either NULL (the handle itself could not be allocated) or a handle the
 * caller must destroy; after a failed open that handle answers only
 * segue_decoder_last_error() and segue_decoder_destroy().
 *
 * The decoder owns the segue_io from the call to open on (see io.h).
 * Handles are not thread-safe; distinct handles are independent.
 *
 * Memory. Everything is allocated in open; reading and seeking allocate
 * nothing. Every handle has a 64 KiB read buffer. The own MPEG audio
 * decoder (MP1/MP2/MP3) keeps 18,568 bytes of state for stereo and uses at
 * most about 5 KiB of stack per read call (measured: tests/mp3dec
 * mp3dec_memory and -fstack-usage); its demuxer adds an 8 KiB frame
 * buffer, plus a 4 KiB seek index and a 2.5 KiB pre-roll ring on seekable
 * input.
 */
#ifndef SEGUE_DECODER_H
#define SEGUE_DECODER_H

#include "io.h"
#include "metadata.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segue_decoder segue_decoder;

typedef struct segue_decoder_config {
    size_t struct_size;                 /* sizeof(segue_decoder_config) */
    const segue_allocator *allocator;   /* NULL: malloc/free */
    const char *container;              /* force a demuxer ("wav", "aiff"); NULL: probe */
    int gapless;                        /* 1 (default): trim encoder delay and padding */
    int strict;                         /* 1: reject recoverable damage instead of concealing */
    uint32_t max_metadata_bytes;        /* largest tag/picture payload kept; default 16 MiB */
} segue_decoder_config;

/* Fills `cfg` with the defaults. */
SEGUE_API void segue_decoder_config_default(segue_decoder_config *cfg);

typedef struct segue_stream_info {
    const char *container;       /* "wav", "rf64", "aiff", "aifc" (static) */
    const char *codec;           /* "pcm" (static) */
    uint32_t sample_rate;        /* Hz */
    uint32_t channels;
    uint32_t channel_mask;       /* WAVE_FORMAT_EXTENSIBLE speaker bits; 0 if none */
    segue_sample_format source_format; /* sample format in the file (PCM codecs) */
    uint32_t bits_per_sample;    /* valid bits in the source, e.g. 20 in a 24-bit container */
    int64_t frames;              /* total output frames, -1 if unknown */
    uint32_t bitrate;            /* average bits per second, 0 if unknown */
    int seekable;                /* 1 if segue_decoder_seek() works */
    int big_endian;              /* 1 if the file stores samples big-endian */
    /* How a lossy stream spends bits, when the file says or a scan shows:
     * "cbr", "abr" or "vbr" (static); NULL if unknown or not applicable. */
    const char *rate_control;
} segue_stream_info;

/* Opens and probes `io`. `cfg` may be NULL (defaults).
 * Returns SEGUE_OK, or SEGUE_ERR_UNKNOWN_FORMAT, SEGUE_ERR_CORRUPT,
 * SEGUE_ERR_UNSUPPORTED, SEGUE_ERR_DRM, SEGUE_ERR_TOO_LARGE, SEGUE_ERR_IO,
 * SEGUE_ERR_NO_MEMORY, SEGUE_ERR_INVALID_ARGUMENT. */
SEGUE_API segue_status segue_decoder_open(segue_decoder **out, const segue_io *io,
                                          const segue_decoder_config *cfg);
/* NULL-safe; closes the io. */
SEGUE_API void segue_decoder_destroy(segue_decoder *d);

/* Stream properties; valid while the handle lives. */
SEGUE_API const segue_stream_info *segue_decoder_info(const segue_decoder *d);
/* Tags, pictures, gapless and loudness values read from the input. Owned by
 * the decoder. */
SEGUE_API const segue_metadata *segue_decoder_metadata(const segue_decoder *d);

/* Reads up to `capacity` frames of interleaved float samples (nominal range
 * [-1, 1); integer sources are scaled by 2^-(bits-1), so s16 and s24 round-trip
 * exactly). Sets *frames to the count written.
 * Returns SEGUE_OK (*frames > 0), SEGUE_END_OF_STREAM (*frames == 0), or an
 * error; after an error the decoder stays usable only for destroy. */
SEGUE_API segue_status segue_decoder_read_f32(segue_decoder *d, float *interleaved,
                                              size_t capacity, size_t *frames);
/* Same, into one array per channel (`planes` has `channels` entries). */
SEGUE_API segue_status segue_decoder_read_f32_planar(segue_decoder *d, float *const *planes,
                                                     size_t capacity, size_t *frames);

/* Moves so the next read returns frame `frame` (0-based, in output frames).
 * Returns SEGUE_ERR_NOT_SEEKABLE on pipes, SEGUE_ERR_INVALID_ARGUMENT past
 * the end. */
SEGUE_API segue_status segue_decoder_seek(segue_decoder *d, int64_t frame);

/* Packets of damaged input concealed so far: decoded as silence or as the
 * previous frame faded out, instead of failing (segue_decoder_config.strict
 * = 0, the default). When `last` is not NULL it gets the detail of the most
 * recent one, e.g. "aac: bad section_data in packet 812", or "" if none;
 * the text is owned by the decoder and valid until the next read or seek.
 * NULL-safe (returns 0). */
SEGUE_API uint64_t segue_decoder_concealed(const segue_decoder *d, const char **last);

/* Detail of the last error, e.g. "wav: 'fmt ' chunk is 12 bytes, need 16".
 * Never NULL; "" if none. NULL-safe (returns a static text). */
SEGUE_API const char *segue_decoder_last_error(const segue_decoder *d);

#ifdef __cplusplus
}
#endif
#endif
