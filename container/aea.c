/*
 * container/aea.c - AEA demuxer: ATRAC1 (MiniDisc) streams as written by
 * Sony's MD tools and atracdenc.
 *
 * References (facts only): FFmpeg libavformat/aea.c; the fixtures README
 * (../shared/fixtures/atrac). Layout:
 *   0     u32 LE  magic 0x00000800 (the header length, 2048)
 *   4     256     title, NUL-padded (ASCII in practice; read as UTF-8 or
 *                 else ISO-8859-1)
 *   260   u32 LE  frame count (informational: writers disagree on whether
 *                 it counts sound units or frames, so it is not trusted)
 *   264   u8      channel count, 1 or 2
 *   2048  sound units of 212 bytes, one per channel per frame, channel
 *         after channel; each decodes to 512 samples.
 *
 * Decisions: a packet is one frame (212 x channels bytes), as the atrac1
 * decoder expects; the stream length comes from the file size; a trailing
 * partial frame is dropped (strict: an error). AEA records no encoder delay,
 * so nothing is trimmed (docs/atrac.md: the atracdenc fixtures decode 266
 * samples late with an FFmpeg-compatible decoder, a codec property that is
 * not stated in the file).
 */
#include <string.h>

#include "container/container.h"
#include "container/id3v2.h"

#define AEA_HEADER_BYTES 2048u
#define AEA_TITLE_OFFSET 4u
#define AEA_TITLE_BYTES 256u
#define AEA_COUNT_OFFSET 260u
#define AEA_CHANNELS_OFFSET 264u
#define AEA_UNIT_BYTES 212u
#define AEA_FRAME_SAMPLES 512u

typedef struct aea_demux {
    uint32_t frame_bytes;
    int64_t data_start;
    int64_t next_sample;
    int finished;
} aea_demux;

static int aea_probe(const uint8_t *d, size_t size)
{
    if (size < AEA_CHANNELS_OFFSET + 1 || segue_rl32(d) != AEA_HEADER_BYTES)
        return 0;
    unsigned channels = d[AEA_CHANNELS_OFFSET];
    if (channels != 1 && channels != 2)
        return 0;
    /* The first sound unit repeats its block-size mode and info byte at its
     * end (ATRAC1 sound-unit layout: BSM at byte 0 and 211, the info word
     * at bytes 1 and 210), a cheap confirmation FFmpeg also uses. */
    if (size >= AEA_HEADER_BYTES + AEA_UNIT_BYTES) {
        const uint8_t *u = d + AEA_HEADER_BYTES;
        return u[0] == u[211] && u[1] == u[210] ? 90 : 10;
    }
    return 50;
}

static segue_status aea_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    aea_demux *a = priv;
    uint8_t h[AEA_CHANNELS_OFFSET + 1];
    segue_status st = segue_demux_read_exact(ctx, h, sizeof h, "header");
    if (st < 0)
        return st;
    if (segue_rl32(h) != AEA_HEADER_BYTES)
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT,
                               "aea: bad magic %02x %02x %02x %02x (expected 00 08 00 00)", h[0], h[1],
                               h[2], h[3]);
    unsigned channels = h[AEA_CHANNELS_OFFSET];
    if (channels != 1 && channels != 2)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aea: channel count %u (1 or 2 expected)",
                               channels);
    if ((st = segue_tag_add_text(ctx->metadata, "TITLE", h + AEA_TITLE_OFFSET, AEA_TITLE_BYTES,
                                 ctx->allocator)) < 0)
        return segue_error_set(ctx->err, st, "aea: cannot store the title");
    if ((st = segue_demux_skip_exact(ctx, AEA_HEADER_BYTES - sizeof h, "header")) < 0)
        return st;

    a->frame_bytes = AEA_UNIT_BYTES * channels;
    a->data_start = segue_reader_tell(ctx->reader);
    params->codec = "atrac1";
    params->sample_rate = 44100;
    params->channels = channels;
    params->block_align = a->frame_bytes;
    params->max_packet_frames = AEA_FRAME_SAMPLES;

    segue_stream_info *info = ctx->info;
    info->container = "aea";
    info->codec = "atrac1";
    info->sample_rate = 44100;
    info->channels = channels;
    info->bitrate = 44100u * a->frame_bytes * 8u / AEA_FRAME_SAMPLES;
    info->seekable = segue_reader_seekable(ctx->reader);
    info->frames = -1;
    if (info->seekable) {
        int64_t bytes = segue_reader_size(ctx->reader) - a->data_start;
        info->frames = bytes > 0 ? bytes / a->frame_bytes * (int64_t)AEA_FRAME_SAMPLES : 0;
    }
    return SEGUE_OK;
}

static segue_status aea_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    aea_demux *a = priv;
    if (a->finished)
        return SEGUE_END_OF_STREAM;
    const uint8_t *data = NULL;
    size_t got = 0;
    segue_status st = segue_reader_peek(ctx->reader, a->frame_bytes, &data, &got);
    if (st < 0)
        return st;
    if (got < a->frame_bytes) {
        a->finished = 1;
        if (got && segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "aea: stream ends with a partial frame of %zu of %u bytes", got,
                                   (unsigned)a->frame_bytes);
        return SEGUE_END_OF_STREAM;
    }
    if ((st = segue_reader_skip(ctx->reader, a->frame_bytes)) < 0)
        return st;
    pkt->data = data;
    pkt->size = a->frame_bytes;
    pkt->pts = a->next_sample;
    pkt->frames = 0;
    a->next_sample += AEA_FRAME_SAMPLES;
    return SEGUE_OK;
}

static segue_status aea_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    aea_demux *a = priv;
    if (!segue_reader_seekable(ctx->reader))
        return segue_error_set(ctx->err, SEGUE_ERR_NOT_SEEKABLE, "aea: input is not seekable");
    if (frame < 0)
        return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT, "aea: seek to frame %lld",
                               (long long)frame);
    int64_t count = (segue_reader_size(ctx->reader) - a->data_start) / a->frame_bytes;
    int64_t index = frame / AEA_FRAME_SAMPLES;
    if (index > 0)
        index--; /* one frame of pre-roll for the decoder's overlap */
    if (index > count)
        index = count;
    if (index < 0)
        index = 0;
    segue_status st = segue_reader_seek(ctx->reader, a->data_start + index * a->frame_bytes);
    if (st < 0)
        return st;
    a->next_sample = index * AEA_FRAME_SAMPLES;
    a->finished = 0;
    *landed = a->next_sample;
    return SEGUE_OK;
}

static void aea_close(void *priv, segue_demux_ctx *ctx)
{
    (void)priv;
    (void)ctx;
}

const segue_demuxer_desc segue_demuxer_aea = {
    .name = "aea",
    .priv_size = sizeof(aea_demux),
    .probe = aea_probe,
    .open = aea_open,
    .read_packet = aea_read_packet,
    .seek = aea_seek,
    .close = aea_close,
};
