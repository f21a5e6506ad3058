/*
 * container/oma.c - OMA / AA3 (Sony OpenMG audio) demuxer: the optional
 * "ea3" tag block, the 96-byte EA3 header, DRM detection, and packets for
 * ATRAC3, ATRAC3plus, MP3 and LPCM.
 *
 * References (facts only; the layout is not publicly specified by Sony):
 *   [OMADEC] FFmpeg libavformat/omadec.c and oma.c/oma.h: the EA3 header
 *            fields, codec ids, the codec-parameter bit fields, the rate and
 *            channel tables, the unencrypted encryption ids.
 *   [ATRAC3] FFmpeg libavcodec/atrac3.c: how the 14-byte RIFF extradata is
 *            read (see build_atrac3_extradata).
 *   [ID3]    id3.org ID3v2.3.0 / ID3v2.4.0: the "ea3" block is an ID3v2 tag
 *            with the magic "ea3" in place of "ID3".
 *
 * File layout:
 *   [ "ea3" ID3v2-like tag: 10-byte header, synchsafe size, frames ]
 *   "EA3" version(1) header_size(u16 BE = 96) encryption_id(u16 BE)
 *        ... byte 32: codec id, bytes 33..35: codec parameters (u24 BE)
 *   audio frames to the end of the file
 *
 * Decisions:
 *   - DRM: an encryption id other than 0xFFFF or 0xFF80 (the two values
 *     [OMADEC] treats as "not encrypted"), or OpenMG key material in the tag
 *     (GEOB frames "OMG_LSI" / "OMG_BKLSI", what a decryptor needs), makes
 *     open fail with SEGUE_ERR_DRM. Nothing is decrypted, ever.
 *   - A damaged ea3 tag is listed as unmapped (strict: an error); the audio
 *     is still read. A tag above max_metadata_bytes is skipped unread.
 *   - Gapless (no field in OMA): the ATRAC rule in container/wav_internal.h,
 *     the usual delay and the frames' count as the length (what atracdenc
 *     states in the RIFF fact), so the same samples as the RIFF-AT3
 *     wrapper of the same stream; the core drains the decoder's tail.
 *   - A trailing partial frame is dropped (strict: an error).
 *   - Seeking lands one frame early so the decoder's overlap is primed; for
 *     MP3 it restarts at the first frame (exact, slow on long files).
 */
#include <string.h>

#include "codec/common/mpa_header.h"
#include "container/container.h"
#include "container/id3v2.h"
#include "container/wav_internal.h"
#include "core/alloc.h"

#define OMA_HEADER_BYTES 96u
#define OMA_TAG_HEADER_BYTES 10u
#define OMA_PCM_PACKET_FRAMES 4096u
#define OMA_MP3_RESYNC_LIMIT 65536u /* bytes searched for the next MP3 frame */

/* [OMADEC] codec ids (EA3 header byte 32). */
enum {
    OMA_CODEC_ATRAC3 = 0,
    OMA_CODEC_ATRAC3PLUS = 1,
    OMA_CODEC_MP3 = 3,
    OMA_CODEC_LPCM = 4,
    OMA_CODEC_WMA = 5,
    OMA_CODEC_ATRAC3PLUS_AL = 33,
    OMA_CODEC_ATRAC3_AL = 34
};

/* [OMADEC] sample rates in units of 100 Hz, indexed by params bits 13..15. */
static const uint16_t oma_rate_table[8] = {320, 441, 480, 882, 960, 0, 0, 0};
/* [OMADEC] ATRAC3plus channel counts, indexed by params bits 10..12. */
static const uint8_t oma_channel_table[8] = {0, 1, 2, 3, 4, 6, 7, 8};

typedef struct oma_demux {
    int codec_id;
    uint32_t frame_bytes;    /* fixed packet size (ATRAC, LPCM); 0 for MP3 */
    uint32_t frame_samples;  /* samples per channel per packet (fixed sizes) */
    uint32_t pcm_block;      /* LPCM: bytes per sample frame */
    int64_t data_start;
    int64_t next_sample;
    int finished;
    uint8_t extradata[14];
} oma_demux;

static uint32_t synchsafe28(const uint8_t *p)
{
    return ((uint32_t)p[0] << 21) | ((uint32_t)p[1] << 14) | ((uint32_t)p[2] << 7) | p[3];
}

/* [ID3] header: magic, major version 2..4, revision, flags, 4 synchsafe
 * size bytes (high bits clear). */
static int is_ea3_tag_header(const uint8_t *p)
{
    return memcmp(p, "ea3", 3) == 0 && p[3] >= 2 && p[3] <= 4 && p[4] != 0xFF &&
           !((p[6] | p[7] | p[8] | p[9]) & 0x80);
}

/* Tag length including its header (and the v2.4 footer, flag 0x10). */
static uint64_t ea3_tag_bytes(const uint8_t *p)
{
    uint64_t n = OMA_TAG_HEADER_BYTES + (uint64_t)synchsafe28(p + 6);
    if (p[3] == 4 && (p[5] & 0x10))
        n += OMA_TAG_HEADER_BYTES;
    return n;
}

static int is_ea3_header(const uint8_t *p)
{
    return memcmp(p, "EA3", 3) == 0 && segue_rb16(p + 4) == OMA_HEADER_BYTES;
}

static int oma_probe(const uint8_t *d, size_t size)
{
    if (size >= OMA_HEADER_BYTES && is_ea3_header(d))
        return 100;
    if (size >= 6 && memcmp(d, "EA3", 3) == 0)
        return 40;
    if (size >= OMA_TAG_HEADER_BYTES && is_ea3_tag_header(d)) {
        uint64_t at = ea3_tag_bytes(d);
        if (at + 6 <= size)
            return is_ea3_header(d + at) ? 100 : 30;
        return 90; /* the EA3 header lies beyond the probe window */
    }
    return 0;
}

/* Whether `text` (ASCII) occurs in b[0..n) as 8-bit text, or as UTF-16 in
 * either byte order (GEOB descriptions may be either): with stride 2 only
 * the character bytes are compared, which matches both orders. */
static int contains_text(const uint8_t *b, size_t n, const char *text)
{
    size_t len = strlen(text);
    for (size_t stride = 1; stride <= 2; stride++) {
        size_t span = (len - 1) * stride + 1;
        for (size_t i = 0; span <= n && i <= n - span; i++) {
            size_t k = 0;
            while (k < len && b[i + k * stride] == (uint8_t)text[k])
                k++;
            if (k == len)
                return 1;
        }
    }
    return 0;
}

/* Walks the ID3v2.3/2.4 frames of the tag in `t` (with its header) looking
 * for OpenMG key material: GEOB frames described "OMG_LSI"/"OMG_BKLSI".
 * Frame sizes are checked against the tag; a walk that runs into damage or
 * padding stops. */
static int has_openmg_key_frames(const uint8_t *t, size_t n)
{
    unsigned major = t[3];
    if (major < 3 || (t[5] & 0x40)) /* v2.2 ids are 3 bytes; no extended-header walk */
        return 0;
    size_t end = OMA_TAG_HEADER_BYTES + synchsafe28(t + 6);
    if (end > n)
        end = n;
    size_t at = OMA_TAG_HEADER_BYTES;
    while (end - at >= 10 && t[at] != 0) {
        uint32_t fsize = major == 4 ? synchsafe28(t + at + 4) : segue_rb32(t + at + 4);
        if (fsize > end - at - 10)
            return 0;
        const uint8_t *body = t + at + 10;
        if (memcmp(t + at, "GEOB", 4) == 0 &&
            (contains_text(body, fsize, "OMG_LSI") || contains_text(body, fsize, "OMG_BKLSI")))
            return 1;
        at += 10 + (size_t)fsize;
    }
    return 0;
}

static segue_status drm_error(segue_demux_ctx *ctx)
{
    return segue_error_set(ctx->err, SEGUE_ERR_DRM, "DRM-protected (OpenMG): cannot be converted");
}

/* Reads the ea3 tag whose 10-byte header is `h` (already consumed) into the
 * metadata; sets *drm when it holds OpenMG key frames. */
static segue_status read_ea3_tag(segue_demux_ctx *ctx, const uint8_t h[OMA_TAG_HEADER_BYTES],
                                 int *drm)
{
    uint64_t total = ea3_tag_bytes(h);
    uint64_t body = total - OMA_TAG_HEADER_BYTES;
    segue_status st;
    if (total > segue_demux_max_metadata(ctx)) {
        if ((st = segue_metadata_add_unmapped(ctx->metadata, "EA3TAG",
                                              "oma: ea3 tag larger than max_metadata_bytes, skipped")) < 0)
            return st;
        return segue_demux_skip_exact(ctx, body, "ea3 tag");
    }
    /* On a seekable stream a size past the end is caught before allocating. */
    if (segue_reader_seekable(ctx->reader)) {
        int64_t left = segue_reader_size(ctx->reader) - segue_reader_tell(ctx->reader);
        if (left < 0 || body > (uint64_t)left)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "oma: ea3 tag declares %llu bytes, only %lld remain",
                                   (unsigned long long)body, (long long)left);
    }
    uint8_t *buf = segue_mem_alloc(ctx->allocator, (size_t)total);
    if (!buf)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "oma: cannot allocate the ea3 tag");
    memcpy(buf, h, OMA_TAG_HEADER_BYTES);
    st = segue_demux_read_exact(ctx, buf + OMA_TAG_HEADER_BYTES, (size_t)body, "ea3 tag");
    if (st >= 0) {
        *drm = has_openmg_key_frames(buf, (size_t)total);
        /* The block is an ID3v2 tag under another magic [ID3]. */
        memcpy(buf, "ID3", 3);
        segue_error tag_err;
        memset(&tag_err, 0, sizeof tag_err);
        segue_status ts = segue_id3v2_parse(buf, (size_t)total, ctx->metadata, ctx->allocator, &tag_err);
        if (ts == SEGUE_ERR_NO_MEMORY)
            st = segue_error_set(ctx->err, ts, "oma: out of memory in the ea3 tag");
        else if (ts < 0 && segue_demux_strict(ctx))
            st = segue_error_set(ctx->err, ts, "oma: ea3 tag: %s", tag_err.detail);
        else if (ts < 0)
            st = segue_metadata_add_unmapped(ctx->metadata, "EA3TAG", tag_err.detail);
    }
    segue_mem_free(ctx->allocator, buf);
    return st < 0 ? st : SEGUE_OK;
}

/* [ATRAC3] The 14 bytes of WAVEFORMATEX extension of format tag 0x0270,
 * which the ATRAC3 decoder takes as its setup (all little-endian):
 *   0  u16  1            (unknown, always 1)
 *   2  u32  sample rate  ([OMADEC] writes the rate here; RIFF files from
 *                         atracdenc and Sony carry 0x1000; no decoder reads it)
 *   6  u16  coding mode  (1 joint stereo, 0 independent channels)
 *   8  u16  coding mode  (repeated)
 *   10 u16  1            (frame factor)
 *   12 u16  0 */
static void build_atrac3_extradata(uint8_t e[14], uint32_t rate, int joint_stereo)
{
    segue_wl16(e + 0, 1);
    segue_wl32(e + 2, rate);
    segue_wl16(e + 6, (uint16_t)(joint_stereo ? 1 : 0));
    segue_wl16(e + 8, (uint16_t)(joint_stereo ? 1 : 0));
    segue_wl16(e + 10, 1);
    segue_wl16(e + 12, 0);
}

static const char *codec_id_name(int id)
{
    switch (id) {
    case OMA_CODEC_WMA: return "WMA";
    case OMA_CODEC_ATRAC3PLUS_AL: return "ATRAC Advanced Lossless (ATRAC3plus core)";
    case OMA_CODEC_ATRAC3_AL: return "ATRAC Advanced Lossless (ATRAC3 core)";
    default: return NULL;
    }
}

/* Bytes of audio after the header, or -1 if the stream size is unknown. */
static int64_t data_bytes(segue_demux_ctx *ctx, int64_t data_start)
{
    if (!segue_reader_seekable(ctx->reader))
        return -1;
    int64_t size = segue_reader_size(ctx->reader);
    return size >= data_start ? size - data_start : 0;
}

static segue_status open_mp3(segue_demux_ctx *ctx, segue_codec_params *params)
{
    const uint8_t *p = NULL;
    size_t got = 0;
    segue_status st = segue_reader_peek(ctx->reader, 4, &p, &got);
    if (st < 0)
        return st;
    segue_mpa_header h;
    if (got < 4 || segue_mpa_header_parse(p, &h) != 0)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "oma: MP3 stream does not start with an MPEG audio frame header");
    if (h.frame_bytes == 0)
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "oma: free-format MP3 in OMA is not supported");
    params->codec = "mp3";
    params->sample_rate = h.sample_rate;
    params->channels = h.channels;
    params->max_packet_frames = 1152;
    ctx->info->codec = h.layer == 3 ? "mp3" : h.layer == 2 ? "mp2" : "mp1";
    ctx->info->bitrate = h.bitrate;
    ctx->info->frames = -1;
    return SEGUE_OK;
}

static segue_status oma_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    oma_demux *o = priv;
    uint8_t h[OMA_HEADER_BYTES];
    segue_status st = segue_demux_read_exact(ctx, h, OMA_TAG_HEADER_BYTES, "header");
    if (st < 0)
        return st;
    int drm = 0;
    if (memcmp(h, "ea3", 3) == 0) {
        if (!is_ea3_tag_header(h))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "oma: malformed ea3 tag header (version %u, size bytes %02x %02x %02x %02x)",
                                   h[3], h[6], h[7], h[8], h[9]);
        if ((st = read_ea3_tag(ctx, h, &drm)) < 0)
            return st;
        if ((st = segue_demux_read_exact(ctx, h, OMA_TAG_HEADER_BYTES, "EA3 header")) < 0)
            return st;
    }
    if (memcmp(h, "EA3", 3) != 0)
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT,
                               "oma: no EA3 header (found %02x %02x %02x)", h[0], h[1], h[2]);
    if ((st = segue_demux_read_exact(ctx, h + OMA_TAG_HEADER_BYTES,
                                     OMA_HEADER_BYTES - OMA_TAG_HEADER_BYTES, "EA3 header")) < 0)
        return st;
    unsigned header_size = segue_rb16(h + 4);
    if (header_size != OMA_HEADER_BYTES)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "oma: EA3 header size is %u, expected %u",
                               header_size, OMA_HEADER_BYTES);
    /* [OMADEC] encryption id: 0xFFFF and 0xFF80 mean "not encrypted". The
     * check comes before the codec so a protected file of any codec is
     * reported as DRM, which is what the user must know. */
    unsigned encryption_id = segue_rb16(h + 6);
    if ((encryption_id != 0xFFFF && encryption_id != 0xFF80) || drm)
        return drm_error(ctx);

    o->codec_id = h[32];
    uint32_t cp = ((uint32_t)h[33] << 16) | ((uint32_t)h[34] << 8) | h[35];
    o->data_start = segue_reader_tell(ctx->reader);
    int64_t bytes = data_bytes(ctx, o->data_start);
    segue_stream_info *info = ctx->info;
    info->container = "oma";
    info->frames = -1;
    info->seekable = segue_reader_seekable(ctx->reader);

    switch (o->codec_id) {
    case OMA_CODEC_ATRAC3:
    case OMA_CODEC_ATRAC3PLUS: {
        /* [OMADEC] params: bits 13..15 rate index, ATRAC3: bit 17 joint
         * stereo, bits 0..9 frame size / 8; ATRAC3plus: bits 10..12 channel
         * id, bits 0..9 (frame size - 8) / 8. */
        uint32_t rate = oma_rate_table[(cp >> 13) & 7] * 100u;
        if (rate == 0)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "oma: reserved sample rate index %u in codec parameters 0x%06x",
                                   (unsigned)((cp >> 13) & 7), (unsigned)cp);
        int plus = o->codec_id == OMA_CODEC_ATRAC3PLUS;
        uint32_t channels = plus ? oma_channel_table[(cp >> 10) & 7] : 2; /* [OMADEC]: ATRAC3 is stereo */
        if (channels == 0)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "oma: reserved ATRAC3plus channel id 0 in codec parameters 0x%06x",
                                   (unsigned)cp);
        o->frame_bytes = plus ? (cp & 0x3FF) * 8u + 8u : (cp & 0x3FF) * 8u;
        if (o->frame_bytes == 0)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "oma: ATRAC3 frame size is 0");
        o->frame_samples = plus ? SEGUE_ATRAC3PLUS_FRAME_SAMPLES : SEGUE_ATRAC3_FRAME_SAMPLES;
        params->codec = plus ? "atrac3plus" : "atrac3";
        params->sample_rate = rate;
        params->channels = channels;
        params->block_align = o->frame_bytes;
        params->max_packet_frames = o->frame_samples;
        if (!plus) {
            build_atrac3_extradata(o->extradata, rate, (int)((cp >> 17) & 1));
            params->extradata = o->extradata;
            params->extradata_size = sizeof o->extradata;
        }
        info->codec = params->codec;
        uint64_t bitrate = (uint64_t)rate * o->frame_bytes * 8u / o->frame_samples;
        info->bitrate = bitrate > UINT32_MAX ? UINT32_MAX : (uint32_t)bitrate;
        int64_t coded = -1;
        if (bytes >= 0) {
            coded = bytes / o->frame_bytes * (int64_t)o->frame_samples;
            info->frames = coded;
        }
        uint32_t delay = plus ? SEGUE_ATRAC3PLUS_DEFAULT_SKIP + SEGUE_ATRAC3PLUS_DECODER_DELAY
                              : SEGUE_ATRAC3_DEFAULT_SKIP + SEGUE_ATRAC3_DECODER_DELAY;
        /* Length: OMA records none, so the frames' own count is taken,
         * the value atracdenc writes as the RIFF fact total of the same
         * stream (frames x samples per frame): the .oma and .at3 wrappers
         * decode alike, and no coded sample is cut. Unknown on a pipe. */
        segue_atrac_set_gapless(ctx->metadata, delay, coded > 0 ? (uint64_t)coded : 0, coded);
        return SEGUE_OK;
    }
    case OMA_CODEC_MP3:
        return open_mp3(ctx, params);
    case OMA_CODEC_LPCM:
        /* [OMADEC]: 44.1 kHz 16-bit stereo, big-endian. */
        o->pcm_block = 4;
        params->codec = "pcm";
        params->sample_rate = 44100;
        params->channels = 2;
        params->sample_format = SEGUE_SAMPLE_S16;
        params->big_endian = 1;
        params->bits_per_sample = 16;
        params->block_align = o->pcm_block;
        params->max_packet_frames = OMA_PCM_PACKET_FRAMES;
        info->codec = "pcm";
        info->source_format = SEGUE_SAMPLE_S16;
        info->bits_per_sample = 16;
        info->big_endian = 1;
        info->bitrate = 44100u * 32u;
        if (bytes >= 0)
            info->frames = bytes / o->pcm_block;
        return SEGUE_OK;
    default: {
        const char *name = codec_id_name(o->codec_id);
        if (name)
            return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                                   "oma: %s in OMA is not supported (codec id %d)", name, o->codec_id);
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED, "oma: unknown codec id %d",
                               o->codec_id);
    }
    }
}

static segue_status read_fixed(oma_demux *o, segue_demux_ctx *ctx, segue_packet *pkt)
{
    /* ATRAC: one frame per packet; LPCM: up to OMA_PCM_PACKET_FRAMES. */
    size_t unit = o->frame_bytes ? o->frame_bytes : o->pcm_block;
    size_t want = o->frame_bytes ? unit : (size_t)OMA_PCM_PACKET_FRAMES * unit;
    const uint8_t *data = NULL;
    size_t got = 0;
    segue_status st = segue_reader_peek(ctx->reader, want, &data, &got);
    if (st < 0)
        return st;
    size_t bytes = got - got % unit;
    if (bytes == 0) {
        o->finished = 1;
        if (got && segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "oma: stream ends with a partial frame of %zu of %zu bytes", got,
                                   unit);
        return SEGUE_END_OF_STREAM;
    }
    if ((st = segue_reader_skip(ctx->reader, bytes)) < 0)
        return st;
    pkt->data = data;
    pkt->size = bytes;
    pkt->pts = o->next_sample;
    /* ATRAC: the decoder says how many samples (0); PCM: bytes / block. */
    pkt->frames = o->frame_bytes ? 0 : (uint32_t)(bytes / unit);
    o->next_sample += o->frame_bytes ? (int64_t)o->frame_samples : (int64_t)(bytes / unit);
    return SEGUE_OK;
}

static segue_status read_mp3(oma_demux *o, segue_demux_ctx *ctx, segue_packet *pkt)
{
    /* Frames follow each other; damage is skipped by searching for the next
     * valid header within OMA_MP3_RESYNC_LIMIT bytes. */
    for (uint32_t skipped = 0; skipped < OMA_MP3_RESYNC_LIMIT;) {
        const uint8_t *p = NULL;
        size_t got = 0;
        segue_status st = segue_reader_peek(ctx->reader, 4, &p, &got);
        if (st < 0)
            return st;
        if (got < 4) {
            o->finished = 1;
            return SEGUE_END_OF_STREAM;
        }
        segue_mpa_header h;
        if (segue_mpa_header_parse(p, &h) == 0 && h.frame_bytes != 0) {
            if ((st = segue_reader_peek(ctx->reader, h.frame_bytes, &p, &got)) < 0)
                return st;
            if (got < h.frame_bytes) {
                o->finished = 1;
                if (segue_demux_strict(ctx))
                    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                           "oma: last MP3 frame truncated: %zu of %u bytes", got,
                                           (unsigned)h.frame_bytes);
                return SEGUE_END_OF_STREAM;
            }
            if ((st = segue_reader_skip(ctx->reader, h.frame_bytes)) < 0)
                return st;
            pkt->data = p;
            pkt->size = h.frame_bytes;
            pkt->pts = o->next_sample;
            pkt->frames = 0;
            o->next_sample += h.samples;
            return SEGUE_OK;
        }
        if (segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "oma: no MP3 frame header at offset %lld",
                                   (long long)segue_reader_tell(ctx->reader));
        if ((st = segue_reader_skip(ctx->reader, 1)) < 0)
            return st;
        skipped++;
    }
    o->finished = 1;
    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "oma: no MP3 frame in %u bytes",
                           OMA_MP3_RESYNC_LIMIT);
}

static segue_status oma_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    oma_demux *o = priv;
    if (o->finished)
        return SEGUE_END_OF_STREAM;
    return o->codec_id == OMA_CODEC_MP3 ? read_mp3(o, ctx, pkt) : read_fixed(o, ctx, pkt);
}

static segue_status oma_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    oma_demux *o = priv;
    if (!segue_reader_seekable(ctx->reader))
        return segue_error_set(ctx->err, SEGUE_ERR_NOT_SEEKABLE, "oma: input is not seekable");
    if (frame < 0)
        return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT, "oma: seek to frame %lld",
                               (long long)frame);
    int64_t index = 0, offset = 0, first = 0;
    if (o->codec_id != OMA_CODEC_MP3) {
        int64_t bytes = data_bytes(ctx, o->data_start);
        if (o->frame_bytes) {
            index = frame / o->frame_samples;
            if (index > 0)
                index--; /* one frame of pre-roll: the decoder's overlap */
            int64_t count = bytes / o->frame_bytes;
            if (index > count)
                index = count;
            offset = index * o->frame_bytes;
            first = index * o->frame_samples;
        } else {
            int64_t count = bytes / o->pcm_block;
            index = frame < count ? frame : count;
            offset = index * o->pcm_block;
            first = index;
        }
    }
    segue_status st = segue_reader_seek(ctx->reader, o->data_start + offset);
    if (st < 0)
        return st;
    o->next_sample = first;
    o->finished = 0;
    *landed = first;
    return SEGUE_OK;
}

static void oma_close(void *priv, segue_demux_ctx *ctx)
{
    (void)priv;
    (void)ctx;
}

const segue_demuxer_desc segue_demuxer_oma = {
    .name = "oma",
    .priv_size = sizeof(oma_demux),
    .probe = oma_probe,
    .open = oma_open,
    .read_packet = oma_read_packet,
    .seek = oma_seek,
    .close = oma_close,
};
