/*
 * container/adtsmux.c - ADTS muxer: each "aac" encoder packet (one
 * raw_data_block()) behind a 7-byte ADTS header, ISO/IEC 14496-3 1.A.2.
 *
 * ADTS is a stream format: no index, so pipes work, and no tags and no
 * gapless field. The tags handed in are reported as unmapped; a decoder
 * plays the encoder's priming and padding (docs/m4a.md, "ADTS").
 */
#include <string.h>

#include "codec/codec.h"
#include "container.h"

/* 14496-3 Table 1.18, sampling_frequency_index 0..12. */
static const uint32_t adts_rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                        22050, 16000, 12000, 11025, 8000,  7350};

/* aac_frame_length is 13 bits, header included. */
#define ADTS_MAX_FRAME 8191u
#define ADTS_HEADER 7u

typedef struct adts_mux {
    uint8_t header[ADTS_HEADER]; /* the fixed part; the length is filled per packet */
} adts_mux;

static segue_status adts_setup(const segue_encoder_config *cfg, segue_codec_params *params,
                               segue_error *err)
{
    if (cfg->codec && strcmp(cfg->codec, "aac") != 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "adts: codec '%s' cannot be written; ADTS carries aac", cfg->codec);
    if (!segue_codec_find("aac", SEGUE_CODEC_ENCODE))
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "adts: no aac encoder in this build");
    if (cfg->channels < 1 || cfg->channels > 8 || cfg->channels == 7)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "adts: %u channels; ADTS channel configurations carry 1-6 or 8",
                               cfg->channels);
    int ok = 0;
    for (size_t i = 0; i < sizeof adts_rates / sizeof adts_rates[0]; i++)
        ok |= adts_rates[i] == cfg->sample_rate;
    if (!ok)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "adts: %u Hz is not an AAC sampling rate; resample first",
                               cfg->sample_rate);
    params->codec = "aac";
    params->sample_rate = cfg->sample_rate;
    params->channels = cfg->channels;
    params->sample_format = SEGUE_SAMPLE_F32;
    return SEGUE_OK;
}

/* Everything in the metadata is unmapped: ADTS has no tags. */
static segue_status report_tags(segue_mux_ctx *ctx)
{
    const segue_metadata *m = ctx->metadata;
    if (!m || !ctx->unmapped)
        return SEGUE_OK;
    segue_status st = SEGUE_OK;
    for (size_t i = 0; i < segue_metadata_field_count(m) && st >= 0; i++) {
        const char *key, *value;
        if (segue_metadata_field_at(m, i, &key, &value) == SEGUE_OK)
            st = segue_metadata_add_unmapped(ctx->unmapped, key, "adts: ADTS has no tags");
    }
    if (st >= 0 && segue_metadata_picture_count(m))
        st = segue_metadata_add_unmapped(ctx->unmapped, "PICTURE", "adts: ADTS has no tags");
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    if (st >= 0 && (l.has_track_gain || l.has_track_peak || l.has_album_gain || l.has_album_peak ||
                    l.has_r128_track || l.has_r128_album))
        st = segue_metadata_add_unmapped(ctx->unmapped, "REPLAYGAIN", "adts: ADTS has no tags");
    return st < 0 ? segue_error_set(ctx->err, st, "adts: out of memory") : SEGUE_OK;
}

static segue_status adts_open(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params)
{
    adts_mux *m = priv;
    if (!params->extradata || params->extradata_size < 2)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "adts: the encoder gave no AudioSpecificConfig");
    /* 14496-3 1.6.2.1: audioObjectType 5 bits, samplingFrequencyIndex 4,
     * channelConfiguration 4. */
    const uint8_t *a = params->extradata;
    unsigned aot = a[0] >> 3;
    unsigned sfi = (unsigned)((a[0] & 7) << 1 | a[1] >> 7);
    unsigned chan = (a[1] >> 3) & 15;
    /* profile_ObjectType is 2 bits: object types 1..4 (Main, LC, SSR, LTP). */
    if (aot < 1 || aot > 4)
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "adts: audio object type %u cannot be framed in ADTS (1-4 only)", aot);
    if (sfi >= 13 || adts_rates[sfi] != params->sample_rate)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "adts: AudioSpecificConfig rate index %u does not match %u Hz", sfi,
                               params->sample_rate);
    /* channel_configuration is 3 bits; 0 would need a PCE in the stream. */
    if (chan < 1 || chan > 7)
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "adts: channel configuration %u cannot be framed in ADTS", chan);
    /* 1.A.2.2.1 adts_fixed_header: syncword 0xFFF, ID 0 (MPEG-4), layer 00,
     * protection_absent 1; profile, rate index, private 0, channels,
     * original/copy 0, home 0. adts_variable_header: copyright bits 0,
     * aac_frame_length (per packet), adts_buffer_fullness 0x7FF (VBR),
     * number_of_raw_data_blocks_in_frame 0 (one block). */
    m->header[0] = 0xFF;
    m->header[1] = 0xF1;
    m->header[2] = (uint8_t)((aot - 1) << 6 | sfi << 2 | chan >> 2);
    m->header[3] = (uint8_t)((chan & 3) << 6);
    m->header[4] = 0;
    m->header[5] = 0x1F;
    m->header[6] = 0xFC;
    return report_tags(ctx);
}

static segue_status adts_write_packet(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt)
{
    adts_mux *m = priv;
    if (pkt->flags & SEGUE_PACKET_HEADER_UPDATE)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "adts: unexpected header packet");
    if (pkt->size == 0)
        return SEGUE_OK;
    if (pkt->size > ADTS_MAX_FRAME - ADTS_HEADER)
        return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                               "adts: %zu-byte packet does not fit an ADTS frame (at most %u)",
                               pkt->size, ADTS_MAX_FRAME - ADTS_HEADER);
    uint32_t len = (uint32_t)pkt->size + ADTS_HEADER;
    uint8_t h[ADTS_HEADER];
    memcpy(h, m->header, sizeof h);
    h[3] = (uint8_t)(h[3] | len >> 11);
    h[4] = (uint8_t)(len >> 3);
    h[5] = (uint8_t)((len & 7) << 5 | 0x1F);
    segue_status st = segue_writer_write(ctx->writer, h, sizeof h);
    return st < 0 ? st : segue_writer_write(ctx->writer, pkt->data, pkt->size);
}

static segue_status adts_finish(void *priv, segue_mux_ctx *ctx)
{
    (void)priv;
    (void)ctx;
    return SEGUE_OK;
}

const segue_muxer_desc segue_muxer_adts = {
    .name = "adts",
    .extensions = "aac adts",
    .default_codec = "aac",
    .priv_size = sizeof(adts_mux),
    .setup = adts_setup,
    .open = adts_open,
    .write_packet = adts_write_packet,
    .finish = adts_finish,
    .close = NULL,
    .late_loudness = 0,
};
