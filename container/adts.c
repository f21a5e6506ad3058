/*
 * container/adts.c - raw AAC in ADTS framing (ISO/IEC 14496-3 1.A.2.2,
 * adts_frame), with and without CRC. LOAS/LATM (14496-3 1.7.2) is
 * recognised and refused by name.
 *
 * Each packet is one raw_data_block with the ADTS header and CRC removed;
 * the codec gets a synthesised 2-byte AudioSpecificConfig (object type =
 * profile + 1, sampling frequency index, channel configuration). On a
 * seekable input open scans the frame headers once for the length and a
 * bounded seek index (every stride-th frame; the stride doubles when the
 * index fills). See docs/mp4.md.
 */
#include <string.h>

#include "core/alloc.h"
#include "container.h"

#define ADTS_INDEX 1024
#define ADTS_MAX_FRAME 8191 /* 13-bit frame_length */

typedef struct adts_header {
    unsigned crc_absent, profile, sfi, channel_config, frame_length, blocks;
} adts_header;

typedef struct adts_demux {
    uint8_t frame[ADTS_MAX_FRAME];
    adts_header cur;         /* header of the frame in `frame` */
    size_t block, nblocks;   /* next raw_data_block of the current frame */
    size_t block_pos[4], block_end[4];
    int64_t pts;             /* first frame (sample) of the next packet */
    int64_t index[ADTS_INDEX];     /* offsets of every stride-th frame */
    int64_t index_pts[ADTS_INDEX]; /* and their first sample */
    size_t index_count;
    uint32_t stride;         /* ADTS frames per index entry */
    int64_t first_offset;
    uint8_t asc[2];
} adts_demux;

static const uint32_t adts_rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                        22050, 16000, 12000, 11025, 8000,  7350};

/* adts_fixed_header + adts_variable_header (14496-3 1.A.2.2.1, Table 1.A.5):
 * syncword 12, ID 1, layer 2, protection_absent 1, profile 2,
 * sampling_frequency_index 4, private_bit 1, channel_configuration 3,
 * original_copy 1, home 1; copyright bits 2, aac_frame_length 13,
 * adts_buffer_fullness 11, number_of_raw_data_blocks_in_frame 2. */
static int parse_header(const uint8_t *p, adts_header *h)
{
    if (p[0] != 0xFF || (p[1] & 0xF6) != 0xF0) /* sync, layer 0 */
        return 0;
    h->crc_absent = p[1] & 1;
    h->profile = p[2] >> 6;
    h->sfi = (p[2] >> 2) & 15;
    h->channel_config = (unsigned)((p[2] & 1) << 2 | p[3] >> 6);
    h->frame_length = (unsigned)((p[3] & 3) << 11 | p[4] << 3 | p[5] >> 5);
    h->blocks = (p[6] & 3) + 1u;
    unsigned min = 7 + (h->crc_absent ? 0 : 2 * h->blocks);
    return h->sfi < 13 && h->frame_length >= min + 1;
}

/* LOAS AudioSyncStream (14496-3 1.7.2): 11-bit sync 0x2B7, 13-bit length. */
static int loas_frame(const uint8_t *p, size_t n, size_t *len)
{
    if (n < 3 || p[0] != 0x56 || (p[1] & 0xE0) != 0xE0)
        return 0;
    *len = 3 + (size_t)((p[1] & 0x1F) << 8 | p[2]);
    return 1;
}

/* How many frames of the same kind follow each other from the start. */
static int run_length(const uint8_t *data, size_t size, int loas)
{
    size_t pos = 0;
    int n = 0;
    adts_header first = {0, 0, 0, 0, 0, 0}, h;
    while (pos + 7 <= size && n < 8) {
        size_t len;
        if (loas) {
            if (!loas_frame(data + pos, size - pos, &len))
                break;
        } else {
            if (!parse_header(data + pos, &h))
                break;
            if (n == 0)
                first = h;
            else if (h.sfi != first.sfi || h.profile != first.profile ||
                     h.channel_config != first.channel_config)
                break;
            len = h.frame_length;
        }
        n++;
        pos += len;
        if (pos == size)
            return n + 8; /* the window ends on a frame boundary: a short file */
    }
    return n;
}

static int adts_probe(const uint8_t *data, size_t size)
{
    /* Several consecutive frames: one ADTS-like sync pair alone is common
     * in MP3 data (layer bits 00 are reserved for MP3, but noise is not). */
    int n = run_length(data, size, 0);
    if (n >= 4)
        return 90;
    if (run_length(data, size, 1) >= 4)
        return 60;
    return 0;
}

static segue_status read_frame(adts_demux *a, segue_demux_ctx *ctx, int *eof)
{
    *eof = 0;
    uint8_t *f = a->frame;
    size_t got = 0;
    segue_status st = segue_reader_read_some(ctx->reader, f, 7, &got);
    if (st < 0)
        return st;
    if (got == 0) {
        *eof = 1;
        return SEGUE_OK;
    }
    int64_t at = segue_reader_tell(ctx->reader) - (int64_t)got;
    if (got < 7) {
        if (segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "adts: truncated header at offset %lld",
                                   (long long)at);
        *eof = 1;
        return SEGUE_OK;
    }
    adts_header h;
    if (!parse_header(f, &h))
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "adts: lost sync at offset %lld", (long long)at);
    if (h.sfi != a->cur.sfi || h.profile != a->cur.profile || h.channel_config != a->cur.channel_config)
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "adts: stream parameters change at offset %lld", (long long)at);
    got = 0;
    st = segue_reader_read_some(ctx->reader, f + 7, h.frame_length - 7, &got);
    if (st < 0)
        return st;
    if (got < h.frame_length - 7) {
        if (segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "adts: frame at offset %lld truncated",
                                   (long long)at);
        *eof = 1;
        return SEGUE_OK;
    }
    a->cur = h;
    /* Raw data blocks (14496-3 1.A.2.2): with CRC, a single block follows
     * header + crc; several blocks carry raw_data_block_position[] and a
     * CRC after each block. Without CRC only one block is separable. */
    size_t hdr = 7;
    if (h.blocks == 1) {
        if (!h.crc_absent)
            hdr += 2;
        a->nblocks = 1;
        a->block_pos[0] = hdr;
        a->block_end[0] = h.frame_length;
    } else {
        if (h.crc_absent)
            return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                                   "adts: frame at offset %lld has %u raw data blocks and no CRC",
                                   (long long)at, h.blocks);
        /* positions of blocks 1..n-1 (from the end of the header), then crc */
        size_t start = 7 + 2 * (h.blocks - 1) + 2;
        a->nblocks = h.blocks;
        a->block_pos[0] = start;
        for (unsigned i = 1; i < h.blocks; i++) {
            size_t p = start + segue_rb16(f + 7 + 2 * (i - 1));
            if (p <= a->block_pos[i - 1] + 2 || p > h.frame_length)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "adts: bad raw_data_block_position at offset %lld", (long long)at);
            a->block_end[i - 1] = p - 2; /* each block ends with its CRC */
            a->block_pos[i] = p;
        }
        if (h.frame_length < a->block_pos[h.blocks - 1] + 3)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "adts: bad raw_data_block_position at offset %lld", (long long)at);
        a->block_end[h.blocks - 1] = h.frame_length - 2;
    }
    a->block = 0;
    return SEGUE_OK;
}

/* Scans every header from the first frame: the frame count and the index. */
static segue_status scan(adts_demux *a, segue_demux_ctx *ctx, int64_t *frames)
{
    segue_reader *r = ctx->reader;
    int64_t off = a->first_offset, size = segue_reader_size(r);
    uint64_t blocks = 0, nframes = 0;
    a->stride = 1;
    a->index_count = 0;
    while (off + 7 <= size) {
        segue_status st = segue_reader_seek(r, off);
        if (st < 0)
            return st;
        uint8_t h7[7];
        if ((st = segue_reader_read(r, h7, 7)) < 0)
            return st;
        adts_header h;
        if (!parse_header(h7, &h) || off + h.frame_length > size)
            break; /* trailing junk or a truncated last frame ends the stream */
        if (nframes % a->stride == 0) {
            if (a->index_count == ADTS_INDEX) {
                for (size_t i = 0; i < ADTS_INDEX / 2; i++) {
                    a->index[i] = a->index[2 * i];
                    a->index_pts[i] = a->index_pts[2 * i];
                }
                a->index_count = ADTS_INDEX / 2;
                a->stride *= 2;
            }
            if (nframes % a->stride == 0) {
                a->index[a->index_count] = off;
                a->index_pts[a->index_count++] = (int64_t)blocks * 1024;
            }
        }
        nframes++;
        blocks += h.blocks;
        off += h.frame_length;
    }
    *frames = (int64_t)blocks * 1024;
    return segue_reader_seek(r, a->first_offset);
}

static segue_status adts_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    adts_demux *a = priv;
    const uint8_t *p;
    size_t avail;
    segue_status st = segue_reader_peek(ctx->reader, 7, &p, &avail);
    if (st < 0)
        return st;
    size_t len;
    if (avail >= 3 && loas_frame(p, avail, &len))
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "adts: LOAS/LATM-framed AAC is not supported");
    adts_header h;
    if (avail < 7 || !parse_header(p, &h))
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "adts: no ADTS frame header at the start");
    if (h.profile == 3)
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED, "adts: reserved profile 3");
    a->cur = h;
    a->first_offset = segue_reader_tell(ctx->reader);
    unsigned aot = h.profile + 1; /* 14496-3 1.A.2.2.2: profile_ObjectType */
    a->asc[0] = (uint8_t)(aot << 3 | h.sfi >> 1);
    a->asc[1] = (uint8_t)((h.sfi & 1) << 7 | h.channel_config << 3);
    params->codec = "aac";
    params->sample_rate = adts_rates[h.sfi];
    params->channels = h.channel_config == 7 ? 8 : h.channel_config;
    if (!params->channels)
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "adts: channel configuration 0 (program_config_element) is not supported");
    params->max_packet_frames = 1024;
    params->extradata = a->asc;
    params->extradata_size = 2;
    segue_stream_info *info = ctx->info;
    info->container = "adts";
    info->codec = "aac";
    if (segue_reader_seekable(ctx->reader)) {
        int64_t frames = 0;
        if ((st = scan(a, ctx, &frames)) < 0)
            return st;
        info->frames = frames;
        int64_t bytes = segue_reader_size(ctx->reader) - a->first_offset;
        if (frames > 0) {
            /* bytes counts trailing junk after the last frame too: bounded
             * before the conversion, an out-of-range double-to-integer
             * cast being undefined (C11 6.3.1.4). */
            double rate = (double)bytes * 8.0 * params->sample_rate / (double)frames + 0.5;
            info->bitrate = rate < 4294967295.0 ? (uint32_t)rate : UINT32_MAX;
        }
        info->seekable = 1;
    }
    return SEGUE_OK;
}

static segue_status adts_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    adts_demux *a = priv;
    if (a->block >= a->nblocks) {
        int eof = 0;
        segue_status st = read_frame(a, ctx, &eof);
        if (st < 0)
            return st;
        if (eof)
            return SEGUE_END_OF_STREAM;
    }
    pkt->data = a->frame + a->block_pos[a->block];
    pkt->size = a->block_end[a->block] - a->block_pos[a->block];
    pkt->pts = a->pts;
    pkt->frames = 0;
    pkt->flags = 0;
    a->block++;
    a->pts += 1024;
    return SEGUE_OK;
}

static segue_status adts_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    adts_demux *a = priv;
    if (!a->index_count) {
        *landed = 0;
        a->pts = 0;
        a->block = a->nblocks = 0;
        return segue_reader_seek(ctx->reader, a->first_offset);
    }
    /* The index entry at or before the target, then forward by headers. */
    size_t i = 0;
    while (i + 1 < a->index_count && a->index_pts[i + 1] <= frame)
        i++;
    int64_t off = a->index[i], pts = a->index_pts[i];
    segue_status st;
    for (;;) {
        if ((st = segue_reader_seek(ctx->reader, off)) < 0)
            return st;
        uint8_t h7[7];
        size_t got = 0;
        if ((st = segue_reader_read_some(ctx->reader, h7, 7, &got)) < 0)
            return st;
        adts_header h;
        if (got < 7 || !parse_header(h7, &h) || pts + (int64_t)h.blocks * 1024 > frame)
            break;
        off += h.frame_length;
        pts += (int64_t)h.blocks * 1024;
    }
    if ((st = segue_reader_seek(ctx->reader, off)) < 0)
        return st;
    a->pts = pts;
    a->block = a->nblocks = 0;
    *landed = pts;
    return SEGUE_OK;
}

static void adts_close(void *priv, segue_demux_ctx *ctx)
{
    (void)priv;
    (void)ctx;
}

const segue_demuxer_desc segue_demuxer_adts = {
    .name = "adts",
    .priv_size = sizeof(adts_demux),
    .probe = adts_probe,
    .open = adts_open,
    .read_packet = adts_read_packet,
    .seek = adts_seek,
    .close = adts_close,
};
