/*
 * container/raw.c - headerless PCM output (`segue decode --raw`): the codec's
 * packets are written as they are, interleaved, little-endian. There is no
 * raw demuxer: a headerless stream cannot be probed.
 */
#include <string.h>

#include "container.h"

static segue_status raw_setup(const segue_encoder_config *cfg, segue_codec_params *params,
                              segue_error *err)
{
    if (segue_sample_format_bits(cfg->sample_format) == 0)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "raw: no sample format given");
    params->codec = "pcm";
    params->big_endian = 0;
    return SEGUE_OK;
}

static segue_status raw_open(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params)
{
    (void)priv;
    (void)params;
    const segue_metadata *m = ctx->metadata;
    if (m && (segue_metadata_field_count(m) || segue_metadata_picture_count(m)))
        segue_metadata_add_unmapped(ctx->unmapped, "TAGS", "raw: headerless PCM carries no tags");
    return SEGUE_OK;
}

static segue_status raw_write_packet(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt)
{
    (void)priv;
    return segue_writer_write(ctx->writer, pkt->data, pkt->size);
}

static segue_status raw_finish(void *priv, segue_mux_ctx *ctx)
{
    (void)priv;
    return segue_writer_flush(ctx->writer);
}

const segue_muxer_desc segue_muxer_raw = {
    .name = "raw",
    .extensions = "raw pcm",
    .default_codec = "pcm",
    .priv_size = 0,
    .setup = raw_setup,
    .open = raw_open,
    .write_packet = raw_write_packet,
    .finish = raw_finish,
    .close = NULL,
};
