/*
 * container/container.h - demuxer and muxer descriptors.
 *
 * Containers turn bytes into packets (and packets into bytes) and parse tags
 * into the metadata model; they never decode audio. A demuxer reads through
 * a segue_reader only, a muxer writes through a segue_writer only.
 */
#ifndef SEGUE_CONTAINER_CONTAINER_H
#define SEGUE_CONTAINER_CONTAINER_H

#include <segue/decoder.h>
#include <segue/encoder.h>
#include "codec/codec.h"
#include "core/reader.h"
#include "core/writer.h"

/* Bytes a demuxer's probe gets to look at (fewer at a short stream end). */
#define SEGUE_PROBE_BYTES 4096

typedef struct segue_demux_ctx {
    const char *name;                 /* the demuxer's name, prefix of its messages */
    segue_reader *reader;
    const segue_allocator *allocator;
    segue_error *err;
    segue_metadata *metadata;         /* tags go here */
    segue_stream_info *info;          /* demuxer fills container, frames, bitrate... */
    const segue_decoder_config *cfg;  /* strict, max_metadata_bytes */
} segue_demux_ctx;

typedef struct segue_demuxer_desc {
    const char *name;
    size_t priv_size;
    /* Score 0..100 for the first bytes of a stream (100: certain). */
    int (*probe)(const uint8_t *data, size_t size);
    /* Parses headers up to the first packet and fills `params`. */
    segue_status (*open)(void *priv, segue_demux_ctx *ctx, segue_codec_params *params);
    /* Next packet; data owned by the demuxer, valid until the next call.
     * SEGUE_END_OF_STREAM at the end. */
    segue_status (*read_packet)(void *priv, segue_demux_ctx *ctx, segue_packet *pkt);
    /* Positions so the next packet starts at or before `frame`; *landed gets
     * the first frame of that packet (the caller discards the rest).
     * NULL if the container cannot seek. */
    segue_status (*seek)(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed);
    /* Frees what open allocated; safe after a failed open. */
    void (*close)(void *priv, segue_demux_ctx *ctx);
} segue_demuxer_desc;

typedef struct segue_mux_ctx {
    segue_writer *writer;
    const segue_allocator *allocator;
    segue_error *err;
    const segue_metadata *metadata;   /* may be NULL */
    segue_metadata *unmapped;         /* add_unmapped() what cannot be written */
    const segue_encoder_config *cfg;
    uint64_t input_frames;            /* frames the caller has written so far;
                                         final when finish() is called */
} segue_mux_ctx;

typedef struct segue_muxer_desc {
    const char *name;
    const char *extensions;           /* space-separated, e.g. "wav wave" */
    const char *default_codec;
    size_t priv_size;
    /* Validates the config and fills codec params (codec name, sample format
     * default, big_endian...) before the codec's encoder_init. */
    segue_status (*setup)(const segue_encoder_config *cfg, segue_codec_params *params,
                          segue_error *err);
    /* Writes the header; params are final (after encoder_init). */
    segue_status (*open)(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params);
    segue_status (*write_packet)(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt);
    /* Writes trailers and back-patches when the writer can seek. */
    segue_status (*finish)(void *priv, segue_mux_ctx *ctx);
    /* Frees what open allocated; safe after a failed open. May be NULL. */
    void (*close)(void *priv, segue_mux_ctx *ctx);
    /* 1 when the muxer reserves room for the loudness tags at open and can
     * rewrite its tag block in place at finish (segue_encoder_config
     * .late_loudness); 0 when it cannot (wav, raw). */
    int late_loudness;
} segue_muxer_desc;

/* Checked reads for demuxers (container/demux_io.c). Errors are
 * SEGUE_ERR_CORRUPT with "<name>: <what> ..." and the offset. */
/* Reads exactly n bytes; a short read is a truncation of `what`. */
segue_status segue_demux_read_exact(segue_demux_ctx *ctx, void *dst, size_t n, const char *what);
/* Skips n bytes; on a seekable stream checked against the size first, so
 * the message names what ran past the end. */
segue_status segue_demux_skip_exact(segue_demux_ctx *ctx, uint64_t n, const char *what);
/* cfg->max_metadata_bytes, or its 16 MiB default without a config. */
uint32_t segue_demux_max_metadata(const segue_demux_ctx *ctx);
/* 1 when the caller asked for strict decoding. */
int segue_demux_strict(const segue_demux_ctx *ctx);

const segue_demuxer_desc *const *segue_demuxer_list(void);
const segue_demuxer_desc *segue_demuxer_find(const char *name);
const segue_muxer_desc *const *segue_muxer_list(void);
const segue_muxer_desc *segue_muxer_find(const char *name);
/* Muxer for a file name's extension, or NULL. */
const segue_muxer_desc *segue_muxer_for_path(const char *path);

#endif
