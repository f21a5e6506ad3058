/*
 * container/flac.c - native FLAC stream demuxer and muxer.
 *
 * Reference: RFC 9639 "Free Lossless Audio Codec (FLAC)", cited [9639]:
 *   6     stream layout ("fLaC", metadata blocks, frames)
 *   7     the streamable subset
 *   8.1   metadata block header; 8.2 STREAMINFO; 8.3 PADDING; 8.5 SEEKTABLE;
 *   8.6   VORBIS_COMMENT (8.6.2 WAVEFORMATEXTENSIBLE_CHANNEL_MASK); 8.8 PICTURE
 *   9.1   frame header (9.1.1 block size, 9.1.2 sample rate, 9.1.3 channels,
 *         9.1.4 bit depth, 9.1.5 coded number, 9.1.8 CRC-8); 9.3 frame footer
 *         (CRC-16)
 *
 * Demuxer. Frames do not store their length, so the stream is split on frame
 * headers: a frame starts at a valid header (sync code, no reserved values,
 * CRC-8, parameters that agree with STREAMINFO) and ends where the next valid
 * header starts. Among the candidates for that next header, the first one at
 * which the frame's CRC-16 checks is taken (a sync pattern inside the coded
 * audio can pass the CRC-8 test 1 time in 256; it also has to pass the
 * CRC-16, 1 in 65536). A frame with no CRC-16 match ends at the first
 * candidate whose frame/sample number continues the sequence: in strict mode
 * that is reported here (damaged, or junk after it); otherwise it is passed
 * on and the codec decodes it (junk after a good frame is ignored) or
 * reports the damage (SEGUE_ERR_CORRUPT). A header with neither a clean end
 * nor a successor within the longest possible frame was junk; the search
 * goes on after it, within a budget of a few frames' worth of scanning per
 * packet (then SEGUE_ERR_CORRUPT "lost sync"), so crafted input cannot make
 * it quadratic. Each packet is one frame; its pts comes from the header's
 * number, counted from the first frame (a stream cut from a longer one
 * starts at 0 for us as well).
 *
 * Decisions:
 *   - An ID3v2 tag before "fLaC" is skipped, not read (RFC 9639 does not
 *     allow it; the tag formats of record are the comment and PICTURE
 *     blocks).
 *   - Metadata: at most FLAC_MAX_BLOCKS blocks (an endless chain of blocks is
 *     corrupt). A VORBIS_COMMENT, PICTURE or SEEKTABLE block larger than
 *     cfg->max_metadata_bytes is skipped and listed as unmapped, and at most
 *     FLAC_METADATA_BUDGET times that is kept in memory in total. A damaged
 *     comment or picture block is listed as unmapped (strict: an error).
 *     CUESHEET and APPLICATION blocks are listed as unmapped; PADDING and
 *     reserved types are skipped; type 127 is corrupt (8.1).
 *   - WAVEFORMATEXTENSIBLE_CHANNEL_MASK (8.6.2) sets the channel mask and is
 *     taken out of the tags; without it the mask is the default of 9.1.3.
 *   - source_format follows the bit depth: <= 8 bits S8 (FLAC samples are
 *     signed; a WAV writer maps S8 to U8), <= 16 S16, <= 24 S24, else S32.
 *   - End of stream: bytes after the last frame that are not a frame (an
 *     ID3v1 or APEv2 tag, zero padding) are ignored in either mode. A last
 *     frame whose CRC-16 fails (truncated or damaged) is dropped, so a cut
 *     file decodes to its last whole frame, unless cfg->strict, which
 *     reports it. Junk between frames is skipped unless cfg->strict.
 *   - Seeking: to the SEEKTABLE point at or before the target, else by
 *     bisection over the byte range on verified frame headers; then forward
 *     frame by frame (headers only, nothing decoded) to the frame that
 *     holds the target. Unseekable input reads forward only.
 *
 * Muxer. Writes "fLaC", STREAMINFO (the codec's, from params->extradata),
 * VORBIS_COMMENT (vendor "segue"), one PICTURE block per picture, a
 * SEEKTABLE, and FLAC_PADDING_BYTES of PADDING, then one frame per packet
 * (packets may hold several frames; each starts with a frame header). The
 * codec's final STREAMINFO (SEGUE_PACKET_HEADER_UPDATE) is patched in when
 * the sink can seek; on a pipe the STREAMINFO written up front stays, with
 * the total the caller announced and an MD5 of zeros (= not computed, 8.2).
 * The SEEKTABLE is written only when the sink can seek: one point per 10 s
 * when the length is announced; otherwise FLAC_SEEK_RESERVE points, filled
 * every 10 s and thinned to every 20, 40 s... when the stream outlasts them,
 * so any length gets evenly spread points. Points are frame starts (packet
 * starts), unused ones stay placeholders (8.5).
 */
#include <stdio.h>
#include <string.h>

#include "container/container.h"
#include "container/id3v2.h"
#include "core/speakers.h"
#include "container/vorbiscomment.h"
#include "core/alloc.h"

#define FLAC_MAX_BLOCKS 1024u        /* metadata blocks before the first frame */
#define FLAC_METADATA_BUDGET 4u      /* x max_metadata_bytes kept in total */
#define FLAC_MAX_HEADER 16u          /* longest frame header, 9.1 */
#define FLAC_STREAMINFO_BYTES 34u
#define FLAC_SEEKPOINT_BYTES 18u
#define FLAC_PLACEHOLDER UINT64_MAX  /* 8.5.1 placeholder sample number */
#define FLAC_READ_CHUNK 65536u
#define FLAC_PADDING_BYTES 4096u
#define FLAC_SEEK_SPACING_S 10u
#define FLAC_SEEK_RESERVE 360u       /* even: thinning keeps every other point */
#define FLAC_SEEK_MAX_POINTS 65536u
#define FLAC_MAX_RATE 655350u        /* highest rate a frame header can code, 9.1.2 */

enum {
    BLOCK_STREAMINFO = 0,
    BLOCK_PADDING = 1,
    BLOCK_APPLICATION = 2,
    BLOCK_SEEKTABLE = 3,
    BLOCK_VORBIS_COMMENT = 4,
    BLOCK_CUESHEET = 5,
    BLOCK_PICTURE = 6,
    BLOCK_INVALID = 127
};


static uint32_t rd_be16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t rd_be24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }
static uint64_t rd_be64(const uint8_t *p)
{
    return ((uint64_t)segue_rb32(p) << 32) | segue_rb32(p + 4);
}
static void wr_be24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16), p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)v;
}
static void wr_be64(uint8_t *p, uint64_t v)
{
    segue_wb32(p, (uint32_t)(v >> 32));
    segue_wb32(p + 4, (uint32_t)v);
}

/* CRC-8 of the frame header, 9.1.8: polynomial x^8 + x^2 + x + 1, initial
 * value 0, no reflection. Headers are at most 15 bytes: bitwise is enough. */
static uint8_t crc8(const uint8_t *p, size_t n)
{
    unsigned crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x80) ? ((crc << 1) ^ 0x07) & 0xFF : (crc << 1) & 0xFF;
    }
    return (uint8_t)crc;
}

/* CRC-16 of the frame footer, 9.3: polynomial x^16 + x^15 + x^2 + 1, initial
 * value 0, over the whole frame. Run over the frame including the stored CRC
 * it gives 0, which is how a frame end is recognised. */
static void crc16_table(uint16_t t[256])
{
    for (unsigned i = 0; i < 256; i++) {
        unsigned c = i << 8;
        for (int b = 0; b < 8; b++)
            c = (c & 0x8000) ? ((c << 1) ^ 0x8005) & 0xFFFF : (c << 1) & 0xFFFF;
        t[i] = (uint16_t)c;
    }
}

static uint16_t crc16_byte(const uint16_t t[256], uint16_t crc, uint8_t b)
{
    return (uint16_t)((crc << 8) ^ t[(crc >> 8) ^ b]);
}

/* ---- frame headers (9.1) ---------------------------------------------------- */

typedef struct flac_hdr {
    int variable;       /* blocking strategy bit: 1 = number is a sample number */
    uint32_t blocksize;
    uint32_t rate;      /* 0: "from STREAMINFO" */
    uint32_t channels;
    uint32_t bits;      /* 0: "from STREAMINFO" */
    uint64_t number;    /* frame number (fixed) or sample number (variable) */
    size_t len;         /* header bytes including the CRC-8 */
} flac_hdr;

/* Parses a frame header from `n` bytes at `p`. Returns 1 if it is a
 * well-formed header whose CRC-8 matches, 0 otherwise (too few bytes
 * included: callers give FLAC_MAX_HEADER bytes unless the stream ends). */
static int parse_frame_header(const uint8_t *p, size_t n, flac_hdr *h)
{
    if (n < 6 || p[0] != 0xFF || (p[1] & 0xFE) != 0xF8)
        return 0;
    memset(h, 0, sizeof *h);
    h->variable = p[1] & 1;
    unsigned bs_code = p[2] >> 4, sr_code = p[2] & 15u;
    unsigned ch_code = p[3] >> 4, bits_code = (p[3] >> 1) & 7u;
    /* Reserved or forbidden values: block size 0b0000 (9.1.1), sample rate
     * 0b1111 (9.1.2), channels 0b1011.. (9.1.3), bit depth 0b011 (9.1.4),
     * and the reserved bit after the bit depth. */
    if (bs_code == 0 || sr_code == 15 || ch_code > 10 || bits_code == 3 || (p[3] & 1))
        return 0;
    /* 9.1.5: the number is coded like UTF-8, extended to 7 bytes (36 bits)
     * for sample numbers; frame numbers take at most 6 bytes (31 bits). */
    size_t i = 4;
    uint8_t b = p[i];
    size_t len;
    uint64_t v;
    if (b < 0x80)
        len = 1, v = b;
    else if ((b & 0xE0) == 0xC0)
        len = 2, v = b & 0x1Fu;
    else if ((b & 0xF0) == 0xE0)
        len = 3, v = b & 0x0Fu;
    else if ((b & 0xF8) == 0xF0)
        len = 4, v = b & 0x07u;
    else if ((b & 0xFC) == 0xF8)
        len = 5, v = b & 0x03u;
    else if ((b & 0xFE) == 0xFC)
        len = 6, v = b & 0x01u;
    else if (b == 0xFE)
        len = 7, v = 0;
    else
        return 0;
    if ((!h->variable && len > 6) || n - i < len + 1)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[i + k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i + k] & 0x3Fu);
    }
    h->number = v;
    i += len;
    /* 9.1.1 block size; 0b0110 / 0b0111: 8- / 16-bit value minus one follows. */
    if (bs_code == 1) {
        h->blocksize = 192;
    } else if (bs_code <= 5) {
        h->blocksize = 576u << (bs_code - 2);
    } else if (bs_code == 6) {
        if (n - i < 2)
            return 0;
        h->blocksize = (uint32_t)p[i] + 1;
        i += 1;
    } else if (bs_code == 7) {
        if (n - i < 3)
            return 0;
        h->blocksize = rd_be16(p + i) + 1;
        i += 2;
        if (h->blocksize > 65535) /* 65536 is not a valid block size */
            return 0;
    } else {
        h->blocksize = 256u << (bs_code - 8);
    }
    /* 9.1.2 sample rate. */
    static const uint32_t rates[12] = {0,     88200, 176400, 192000, 8000,  16000,
                                       22050, 24000, 32000,  44100,  48000, 96000};
    if (sr_code < 12) {
        h->rate = rates[sr_code];
    } else if (sr_code == 12) {
        if (n - i < 2)
            return 0;
        h->rate = (uint32_t)p[i] * 1000u;
        i += 1;
    } else {
        if (n - i < 3)
            return 0;
        h->rate = rd_be16(p + i) * (sr_code == 14 ? 10u : 1u);
        i += 2;
    }
    if (sr_code >= 12 && h->rate == 0)
        return 0;
    /* 9.1.3 channels: 0..7 independent, 8..10 stereo decorrelation. */
    h->channels = ch_code <= 7 ? ch_code + 1 : 2;
    /* 9.1.4 bit depth. */
    static const uint8_t depths[8] = {0, 8, 12, 0, 16, 20, 24, 32};
    h->bits = depths[bits_code];
    /* 9.1.8 CRC-8 over everything before it. */
    if (n - i < 1 || crc8(p, i) != p[i])
        return 0;
    h->len = i + 1;
    return 1;
}

/* ---- demuxer ------------------------------------------------------------------ */

typedef struct flac_point {
    uint64_t sample;
    uint64_t offset; /* from the first frame */
} flac_point;

typedef struct flac_demux {
    uint8_t streaminfo[FLAC_STREAMINFO_BYTES];
    uint32_t rate, channels, bits, min_block, max_block, max_frame;
    uint64_t total;         /* 0: unknown */
    int variable;           /* blocking strategy, -1 before the first frame */
    uint32_t fixed_bs;      /* samples per frame number (fixed blocking) */
    uint64_t first_sample;  /* sample number of the first frame */
    int have_first;
    int64_t audio_start;    /* offset of the first frame header */
    flac_point *points;
    size_t npoints;

    /* The frame window: bytes [base, len) of win start at stream offset
     * win_off + base. Frames are found and handed out in place. */
    uint8_t *win;
    size_t cap, base, len;
    int64_t win_off;
    int eof;
    size_t frame_limit;     /* longest frame accepted */
    size_t drop;            /* bytes of the packet handed out last */
    int ready;              /* a frame found by seek waits at base */
    flac_hdr ready_hdr;
    size_t ready_len;
    int at_end;             /* seek went to the end */
    uint16_t crc16[256];
} flac_demux;

static segue_status note_unmapped(segue_demux_ctx *ctx, const char *what, const char *reason)
{
    if (segue_metadata_add_unmapped(ctx->metadata, what, reason) == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "flac: out of memory");
    return SEGUE_OK;
}

/* 8.2 STREAMINFO. */
static segue_status parse_streaminfo(flac_demux *d, segue_demux_ctx *ctx, const uint8_t *b)
{
    memcpy(d->streaminfo, b, FLAC_STREAMINFO_BYTES);
    d->min_block = rd_be16(b);
    d->max_block = rd_be16(b + 2);
    d->max_frame = rd_be24(b + 7);
    d->rate = ((uint32_t)b[10] << 12) | ((uint32_t)b[11] << 4) | (b[12] >> 4);
    d->channels = ((b[12] >> 1) & 7u) + 1;
    d->bits = ((((uint32_t)b[12] & 1u) << 4) | (b[13] >> 4)) + 1;
    d->total = ((uint64_t)(b[13] & 15u) << 32) | segue_rb32(b + 14);
    if (d->max_block < 16)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "flac: STREAMINFO maximum block size %u is below 16", d->max_block);
    if (d->min_block > d->max_block)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "flac: STREAMINFO minimum block size %u exceeds the maximum %u",
                               d->min_block, d->max_block);
    if (d->rate == 0)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "flac: STREAMINFO sample rate is 0");
    if (d->bits < 4)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "flac: STREAMINFO bit depth %u is below 4", d->bits);
    return SEGUE_OK;
}

/* 8.5 SEEKTABLE: keeps the points that are usable (no placeholders,
 * ascending sample numbers and offsets). */
static segue_status parse_seektable(flac_demux *d, segue_demux_ctx *ctx, const uint8_t *b, size_t n)
{
    if (n % FLAC_SEEKPOINT_BYTES) {
        if (segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "flac: SEEKTABLE of %zu bytes is not a whole number of 18-byte points", n);
        return note_unmapped(ctx, "SEEKTABLE", "flac: SEEKTABLE length is not a multiple of 18; ignored");
    }
    size_t count = n / FLAC_SEEKPOINT_BYTES;
    if (!count || d->points)
        return SEGUE_OK; /* 8.5: more than one table is undefined; keep the first */
    d->points = segue_mem_calloc(ctx->allocator, count, sizeof *d->points);
    if (!d->points)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "flac: cannot allocate %zu seek points", count);
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = b + i * FLAC_SEEKPOINT_BYTES;
        uint64_t sample = rd_be64(p), offset = rd_be64(p + 8);
        if (sample == FLAC_PLACEHOLDER)
            continue;
        if (d->npoints && (sample <= d->points[d->npoints - 1].sample ||
                           offset < d->points[d->npoints - 1].offset))
            continue; /* out of order: not trusted */
        d->points[d->npoints].sample = sample;
        d->points[d->npoints].offset = offset;
        d->npoints++;
    }
    return SEGUE_OK;
}

/* Reads one metadata block body kept in memory (comment, picture, seek
 * table), honouring the per-block and total limits. `*buf` is NULL when the
 * block was skipped. */
static segue_status load_block(segue_demux_ctx *ctx, uint32_t len, const char *name,
                               uint64_t *budget, uint8_t **buf)
{
    *buf = NULL;
    if (len > segue_demux_max_metadata(ctx) || len > *budget) {
        char reason[128];
        snprintf(reason, sizeof reason,
                 "flac: %s block of %u bytes exceeds max_metadata_bytes (%u); skipped", name, len,
                 segue_demux_max_metadata(ctx));
        segue_status st = note_unmapped(ctx, name, reason);
        if (st < 0)
            return st;
        return segue_demux_skip_exact(ctx, len, name);
    }
    if (len == 0)
        return SEGUE_OK;
    *buf = segue_mem_alloc(ctx->allocator, len);
    if (!*buf)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "flac: cannot allocate %u bytes for %s",
                               len, name);
    segue_status st = segue_demux_read_exact(ctx, *buf, len, name);
    if (st < 0) {
        segue_mem_free(ctx->allocator, *buf);
        *buf = NULL;
        return st;
    }
    *budget -= len;
    return SEGUE_OK;
}

/* A tag parser's CORRUPT result: strict fails, otherwise unmapped. */
static segue_status tag_damage(segue_demux_ctx *ctx, segue_status st, const char *name,
                               const segue_error *tag_err)
{
    if (st >= 0)
        return SEGUE_OK;
    if (st == SEGUE_ERR_NO_MEMORY || segue_demux_strict(ctx))
        return segue_error_set(ctx->err, st, "flac: %s block: %s", name, tag_err->detail);
    return note_unmapped(ctx, name, tag_err->detail);
}

static segue_status read_metadata(flac_demux *d, segue_demux_ctx *ctx)
{
    uint64_t budget = (uint64_t)segue_demux_max_metadata(ctx) * FLAC_METADATA_BUDGET;
    int have_streaminfo = 0;
    for (unsigned n = 0;; n++) {
        if (n == FLAC_MAX_BLOCKS)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "flac: more than %u metadata blocks and no last-block flag",
                                   FLAC_MAX_BLOCKS);
        uint8_t h[4];
        segue_status st = segue_demux_read_exact(ctx, h, 4, "metadata block header");
        if (st < 0)
            return st;
        int last = h[0] >> 7;
        unsigned type = h[0] & 0x7Fu;
        uint32_t len = rd_be24(h + 1);
        if (n == 0 && type != BLOCK_STREAMINFO)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "flac: first metadata block is type %u, STREAMINFO (0) required", type);
        if (type == BLOCK_INVALID)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "flac: metadata block %u has the forbidden type 127", n);
        uint8_t *buf = NULL;
        segue_error tag_err;
        segue_error_clear(&tag_err);
        switch (type) {
        case BLOCK_STREAMINFO:
            if (have_streaminfo) {
                st = segue_demux_skip_exact(ctx, len, "second STREAMINFO");
                break;
            }
            if (len != FLAC_STREAMINFO_BYTES)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "flac: STREAMINFO is %u bytes, must be 34", len);
            uint8_t si[FLAC_STREAMINFO_BYTES];
            if ((st = segue_demux_read_exact(ctx, si, sizeof si, "STREAMINFO")) < 0 ||
                (st = parse_streaminfo(d, ctx, si)) < 0)
                return st;
            have_streaminfo = 1;
            break;
        case BLOCK_VORBIS_COMMENT:
            if ((st = load_block(ctx, len, "VORBIS_COMMENT", &budget, &buf)) < 0 || !buf)
                break;
            st = segue_vorbiscomment_parse(buf, len, ctx->metadata, ctx->allocator, &tag_err);
            st = tag_damage(ctx, st, "VORBIS_COMMENT", &tag_err);
            break;
        case BLOCK_PICTURE:
            if ((st = load_block(ctx, len, "PICTURE", &budget, &buf)) < 0 || !buf)
                break;
            st = segue_flac_picture_parse(buf, len, ctx->metadata, ctx->allocator, &tag_err);
            st = tag_damage(ctx, st, "PICTURE", &tag_err);
            break;
        case BLOCK_SEEKTABLE:
            if ((st = load_block(ctx, len, "SEEKTABLE", &budget, &buf)) < 0 || !buf)
                break;
            st = parse_seektable(d, ctx, buf, len);
            break;
        case BLOCK_CUESHEET:
        case BLOCK_APPLICATION: {
            const char *name = type == BLOCK_CUESHEET ? "CUESHEET" : "APPLICATION";
            char reason[96];
            snprintf(reason, sizeof reason, "flac: %s block of %u bytes is not carried", name, len);
            if ((st = note_unmapped(ctx, name, reason)) >= 0)
                st = segue_demux_skip_exact(ctx, len, name);
            break;
        }
        default: /* PADDING and reserved types 7..126 */
            st = segue_demux_skip_exact(ctx, len, "metadata block");
            break;
        }
        segue_mem_free(ctx->allocator, buf);
        if (st < 0)
            return st;
        if (last)
            return SEGUE_OK;
    }
}

/* ---- the frame window ------------------------------------------------------------ */

static size_t win_avail(const flac_demux *d) { return d->len - d->base; }
static const uint8_t *win_ptr(const flac_demux *d) { return d->win + d->base; }
static int64_t win_pos(const flac_demux *d) { return d->win_off + (int64_t)d->base; }

static void win_consume(flac_demux *d, size_t n)
{
    d->base += n;
    if (d->base == d->len) {
        d->win_off += (int64_t)d->len;
        d->base = d->len = 0;
    }
}

/* Makes at least `n` (<= cap) bytes available from base on, unless the
 * stream ends first. Moves the window contents down when needed; callers
 * keep positions relative to base. */
static segue_status win_ensure(flac_demux *d, segue_demux_ctx *ctx, size_t n)
{
    if (n > d->cap)
        n = d->cap;
    if (win_avail(d) >= n || d->eof)
        return SEGUE_OK;
    if (d->base + n > d->cap) {
        memmove(d->win, d->win + d->base, d->len - d->base);
        d->len -= d->base;
        d->win_off += (int64_t)d->base;
        d->base = 0;
    }
    while (win_avail(d) < n && !d->eof) {
        size_t want = n - win_avail(d);
        if (want < FLAC_READ_CHUNK)
            want = FLAC_READ_CHUNK;
        if (want > d->cap - d->len)
            want = d->cap - d->len;
        size_t got = 0;
        segue_status st = segue_reader_read_some(ctx->reader, d->win + d->len, want, &got);
        if (st < 0)
            return st;
        d->len += got;
        if (got < want)
            d->eof = 1;
    }
    return SEGUE_OK;
}

/* Restarts the window at absolute offset `off` (seekable input). */
static segue_status win_reposition(flac_demux *d, segue_demux_ctx *ctx, int64_t off)
{
    segue_status st = segue_reader_seek(ctx->reader, off);
    if (st < 0)
        return st;
    d->win_off = off;
    d->base = d->len = 0;
    d->eof = 0;
    d->drop = 0;
    d->ready = 0;
    d->at_end = 0;
    return SEGUE_OK;
}

/* Header agrees with the stream: what STREAMINFO fixes must match. */
static int hdr_matches(const flac_demux *d, const flac_hdr *h)
{
    return h->channels == d->channels && (h->bits == 0 || h->bits == d->bits) &&
           (h->rate == 0 || h->rate == d->rate) && h->blocksize <= d->max_block &&
           (d->variable < 0 || h->variable == d->variable);
}

/* `next` is the frame after `h` by its number. */
static int hdr_follows(const flac_hdr *h, const flac_hdr *next)
{
    if (h->variable)
        return next->number == h->number + h->blocksize;
    return next->number == h->number + 1;
}

static uint64_t hdr_sample(const flac_demux *d, const flac_hdr *h)
{
    return h->variable ? h->number : h->number * d->fixed_bs;
}

/* Frame position in output frames (from the first frame). */
static int64_t hdr_pts(const flac_demux *d, const flac_hdr *h)
{
    uint64_t s = hdr_sample(d, h);
    return s >= d->first_sample ? (int64_t)(s - d->first_sample) : 0;
}

enum { FIND_QUIET = 1 };          /* junk before the frame is expected (after a seek) */
enum { FOUND = 0, FOUND_UNVERIFIED = 1, FOUND_NONE = 2 };

/* CRC-16 of n bytes. */
static uint16_t crc16_of(const uint16_t t[256], const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++)
        crc = crc16_byte(t, crc, p[i]);
    return crc;
}

/* The frame at base runs into the end of the stream; `crc` is the CRC-16
 * of all the bytes left. It is whole when that is 0 (zero padding after it
 * keeps the CRC at 0, and the codec ignores bytes after a frame), or when it
 * ends cleanly before a trailing ID3v1 tag or APEv2 tag. Otherwise it is
 * truncated or damaged: an error in strict mode, dropped otherwise. */
static segue_status last_frame(flac_demux *d, segue_demux_ctx *ctx, const flac_hdr *h, uint16_t crc,
                               int strict, size_t *flen, int *kind)
{
    size_t n = win_avail(d);
    const uint8_t *p = win_ptr(d);
    *kind = FOUND;
    *flen = n;
    if (crc == 0)
        return SEGUE_OK;
    /* ID3v1: "TAG" and 125 more bytes at the very end. */
    if (n >= h->len + 128 && memcmp(p + n - 128, "TAG", 3) == 0 &&
        crc16_of(d->crc16, p, n - 128) == 0) {
        *flen = n - 128;
        return SEGUE_OK;
    }
    /* APEv2 footer: "APETAGEX", version, size (footer and items), ... in
     * the last 32 bytes; a header of 32 more bytes may precede the items. */
    if (n >= h->len + 32 && memcmp(p + n - 32, "APETAGEX", 8) == 0) {
        uint32_t size = segue_rl32(p + n - 32 + 12);
        for (uint32_t extra = 0; extra <= 32; extra += 32)
            if (size <= n - h->len && extra <= n - h->len - size &&
                crc16_of(d->crc16, p, n - size - extra) == 0) {
                *flen = n - size - extra;
                return SEGUE_OK;
            }
    }
    if (strict)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "flac: last frame at offset %lld (sample %llu) is truncated or "
                               "damaged: CRC-16 mismatch",
                               (long long)win_pos(d), (unsigned long long)hdr_sample(d, h));
    win_consume(d, n);
    *kind = FOUND_NONE;
    return SEGUE_OK;
}

/* Finds the frame that starts at or after base. On FOUND/FOUND_UNVERIFIED the
 * frame is at base (junk before it consumed), `h` is its header and *flen
 * its length; FOUND_UNVERIFIED means its CRC-16 did not check (it is
 * damaged, or the scan gave up on finding its end). FOUND_NONE: the stream
 * ended. Returns the kind via *kind. */
static segue_status find_frame(flac_demux *d, segue_demux_ctx *ctx, unsigned flags, flac_hdr *h,
                               size_t *flen, int *kind)
{
    segue_status st;
    const int strict = segue_demux_strict(ctx) && !(flags & FIND_QUIET);
    uint64_t skipped = 0, scanned = 0;
    /* Bytes the end search may cover in one call: a few frames' worth. A
     * stream full of header-like junk would otherwise be rescanned from
     * every false header (quadratic). */
    const uint64_t budget = 8 * (uint64_t)d->frame_limit + (1u << 20);
    int64_t junk_at = win_pos(d);
    *kind = FOUND_NONE;

    for (;;) {
        /* 1. A valid header at base. Each pass consumes at least one byte. */
        for (;;) {
            if ((st = win_ensure(d, ctx, FLAC_MAX_HEADER)) < 0)
                return st;
            size_t n = win_avail(d);
            const uint8_t *p = win_ptr(d);
            if (n < 6) {
                /* Bytes after the last frame that hold no frame (a tag,
                 * junk) end the stream in either mode. */
                win_consume(d, n);
                return SEGUE_OK;
            }
            if (parse_frame_header(p, n, h) && hdr_matches(d, h))
                break;
            const uint8_t *ff = memchr(p + 1, 0xFF, n - 1);
            size_t step = ff ? (size_t)(ff - p) : n;
            skipped += step;
            win_consume(d, step);
        }
        if (skipped && strict)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "flac: lost sync: %llu bytes of junk at offset %lld before the next frame",
                                   (unsigned long long)skipped, (long long)junk_at);

        /* 2. Its end: the next valid header at which the CRC-16 of the bytes
         * before it is 0. Scans at most frame_limit bytes. */
        size_t follow = 0; /* first successor by number whose CRC-16 did not match */
        uint16_t crc = 0;
        for (size_t i = 0; i < h->len; i++)
            crc = crc16_byte(d->crc16, crc, win_ptr(d)[i]);
        size_t j = h->len;
        for (;;) {
            if (j + FLAC_MAX_HEADER > win_avail(d) && !d->eof) {
                if ((st = win_ensure(d, ctx, j + FLAC_MAX_HEADER + FLAC_READ_CHUNK)) < 0)
                    return st;
            }
            size_t n = win_avail(d);
            const uint8_t *p = win_ptr(d);
            if (j >= n)
                return last_frame(d, ctx, h, crc, strict, flen, kind);
            if (j > d->frame_limit || (follow && j > follow + FLAC_READ_CHUNK))
                break;
            if (p[j] == 0xFF && j + 1 < n && (p[j + 1] & 0xFE) == 0xF8) {
                flac_hdr nh;
                if (parse_frame_header(p + j, n - j, &nh) && hdr_matches(d, &nh) &&
                    nh.variable == h->variable) {
                    if (crc == 0) {
                        *flen = j;
                        *kind = FOUND;
                        return SEGUE_OK;
                    }
                    if (!follow && hdr_follows(h, &nh))
                        follow = j;
                }
            }
            crc = crc16_byte(d->crc16, crc, p[j]);
            j++;
        }
        if (follow) {
            /* No clean end before the frame's numbered successor: the frame
             * is damaged, or junk follows it. The codec decides (a frame
             * with junk after it decodes); strict mode reports it here. */
            if (strict)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "flac: frame at offset %lld (sample %llu) fails its CRC-16: "
                                       "damaged, or junk follows it",
                                       (long long)win_pos(d), (unsigned long long)hdr_sample(d, h));
            *flen = follow;
            *kind = FOUND_UNVERIFIED;
            return SEGUE_OK;
        }
        /* No end and no successor: this header was junk after all. */
        scanned += j;
        if (scanned > budget)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "flac: lost sync: no decodable frame in %llu bytes from offset %lld",
                                   (unsigned long long)scanned, (long long)junk_at);
        skipped++;
        win_consume(d, 1);
    }
}

/* Sets the blocking strategy, the fixed block size and the first sample
 * from the first frame of the stream. */
static void note_first_frame(flac_demux *d, const flac_hdr *h)
{
    if (d->have_first)
        return;
    d->variable = h->variable;
    d->fixed_bs = d->min_block == d->max_block ? d->max_block : h->blocksize;
    d->first_sample = hdr_sample(d, h);
    d->have_first = 1;
}

static int probe_flac(const uint8_t *data, size_t size)
{
    if (size >= 4 && memcmp(data, "fLaC", 4) == 0)
        return 100;
    uint64_t tag = size >= SEGUE_ID3V2_HEADER_BYTES ? segue_id3v2_tag_size(data, size) : 0;
    if (tag) {
        if (tag <= size - 4 && memcmp(data + tag, "fLaC", 4) == 0)
            return 100;
        /* The tag runs past the probe window: maybe FLAC, maybe MP3. */
        return tag > size - 4 ? 5 : 0;
    }
    return 0;
}

static void flac_demux_close(void *priv, segue_demux_ctx *ctx)
{
    flac_demux *d = priv;
    segue_mem_free(ctx->allocator, d->win);
    segue_mem_free(ctx->allocator, d->points);
    d->win = NULL;
    d->points = NULL;
}

/* Takes WAVEFORMATEXTENSIBLE_CHANNEL_MASK out of the tags (8.6.2). */
static uint32_t take_channel_mask(segue_demux_ctx *ctx, uint32_t channels)
{
    static const char key[] = "WAVEFORMATEXTENSIBLE_CHANNEL_MASK";
    const char *v = segue_metadata_get(ctx->metadata, key, 0);
    uint32_t mask = segue_default_channel_mask(channels);
    if (!v)
        return mask;
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        uint32_t m = 0;
        int ok = v[2] != 0;
        for (const char *s = v + 2; *s && ok; s++) {
            int digit = *s >= '0' && *s <= '9'   ? *s - '0'
                        : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                        : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                                 : -1;
            ok = digit >= 0 && m <= 0x0FFFFFFFu;
            m = (m << 4) | (uint32_t)(digit < 0 ? 0 : digit);
        }
        if (ok)
            mask = m;
    }
    segue_metadata_set(ctx->metadata, key, NULL);
    return mask;
}

static segue_status flac_demux_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    flac_demux *d = priv;
    segue_reader *r = ctx->reader;
    segue_status st;
    d->variable = -1;

    /* An ID3v2 tag some taggers put in front (not part of [9639]). */
    const uint8_t *head;
    size_t avail;
    if ((st = segue_reader_peek(r, SEGUE_ID3V2_HEADER_BYTES, &head, &avail)) < 0)
        return st;
    if (avail == 0)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "flac: input is empty (0 bytes)");
    uint64_t tag = segue_id3v2_tag_size(head, avail);
    if (tag && (st = segue_demux_skip_exact(ctx, tag, "ID3v2 tag before 'fLaC'")) < 0)
        return st;
    uint8_t magic[4];
    size_t got = 0;
    int64_t magic_at = segue_reader_tell(r);
    if ((st = segue_reader_read_some(r, magic, 4, &got)) < 0)
        return st;
    if (got < 4 || memcmp(magic, "fLaC", 4) != 0) {
        if (got == 4)
            return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT,
                                   "flac: no 'fLaC' marker at offset %lld (found %02x %02x %02x %02x)",
                                   (long long)magic_at, magic[0], magic[1], magic[2], magic[3]);
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "flac: stream ends at offset %lld, before the 'fLaC' marker",
                               (long long)(magic_at + (int64_t)got));
    }
    if ((st = read_metadata(d, ctx)) < 0)
        return st;
    d->audio_start = segue_reader_tell(r);

    /* The longest frame a valid encoder writes: every channel verbatim
     * (side channels one bit wider), plus header, subframe headers with
     * wasted-bit counts, and footer; or what STREAMINFO says, if larger. */
    uint64_t limit = (uint64_t)FLAC_MAX_HEADER + 2 +
                     (uint64_t)d->channels * (6 + ((uint64_t)d->max_block * (d->bits + 1) + 7) / 8) + 64;
    if (d->max_frame > limit)
        limit = d->max_frame;
    d->frame_limit = (size_t)limit;
    d->cap = d->frame_limit + 2 * FLAC_MAX_HEADER + 2 * FLAC_READ_CHUNK;
    d->win = segue_mem_alloc(ctx->allocator, d->cap);
    if (!d->win)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "flac: cannot allocate a %zu-byte frame buffer",
                               d->cap);
    d->win_off = d->audio_start;
    crc16_table(d->crc16);

    /* The first frame fixes the blocking strategy and the first sample. */
    flac_hdr h;
    size_t flen;
    int kind;
    if ((st = find_frame(d, ctx, 0, &h, &flen, &kind)) < 0)
        return st;
    if (kind != FOUND_NONE) {
        note_first_frame(d, &h);
        d->ready = 1;
        d->ready_hdr = h;
        d->ready_len = flen;
        if (win_pos(d) != d->audio_start)
            d->audio_start = win_pos(d); /* junk before the first frame (non-strict) */
    }

    uint32_t mask = take_channel_mask(ctx, d->channels);
    params->codec = "flac";
    params->sample_rate = d->rate;
    params->channels = d->channels;
    params->channel_mask = mask;
    params->bits_per_sample = d->bits;
    params->sample_format = d->bits <= 8    ? SEGUE_SAMPLE_S8
                            : d->bits <= 16 ? SEGUE_SAMPLE_S16
                            : d->bits <= 24 ? SEGUE_SAMPLE_S24
                                            : SEGUE_SAMPLE_S32;
    params->max_packet_frames = d->max_block;
    params->extradata = d->streaminfo;
    params->extradata_size = FLAC_STREAMINFO_BYTES;

    segue_stream_info *info = ctx->info;
    info->container = "flac";
    info->codec = "flac";
    info->sample_rate = d->rate;
    info->channels = d->channels;
    info->channel_mask = mask;
    info->source_format = params->sample_format;
    info->bits_per_sample = d->bits;
    info->frames = d->total ? (int64_t)d->total : -1;
    info->bitrate = 0;
    int64_t size = segue_reader_size(r);
    if (d->total && size > d->audio_start) {
        uint64_t bytes = (uint64_t)(size - d->audio_start);
        double bps = (double)bytes * 8.0 * d->rate / (double)d->total;
        info->bitrate = bps > 4294967295.0 ? UINT32_MAX : (uint32_t)bps;
    }
    info->seekable = segue_reader_seekable(r);
    info->big_endian = 0;
    return SEGUE_OK;
}

static segue_status flac_demux_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    flac_demux *d = priv;
    if (d->at_end)
        return SEGUE_END_OF_STREAM;
    win_consume(d, d->drop);
    d->drop = 0;
    flac_hdr h;
    size_t flen;
    if (d->ready) {
        h = d->ready_hdr;
        flen = d->ready_len;
        d->ready = 0;
    } else {
        int kind;
        segue_status st = find_frame(d, ctx, 0, &h, &flen, &kind);
        if (st < 0)
            return st;
        if (kind == FOUND_NONE)
            return SEGUE_END_OF_STREAM;
        note_first_frame(d, &h);
    }
    pkt->data = win_ptr(d);
    pkt->size = flen;
    pkt->pts = hdr_pts(d, &h);
    pkt->frames = h.blocksize;
    pkt->flags = 0;
    d->drop = flen;
    return SEGUE_OK;
}

/* The first verified frame at or after `off` and before `limit`: its
 * offset, pts and block size. Returns 0 if there is none. */
static segue_status probe_frame_at(flac_demux *d, segue_demux_ctx *ctx, int64_t off, int64_t limit,
                                   int64_t *frame_off, int64_t *pts, uint32_t *bs, int *found)
{
    *found = 0;
    segue_status st = win_reposition(d, ctx, off);
    if (st < 0)
        return st;
    for (;;) {
        flac_hdr h;
        size_t flen;
        int kind;
        if ((st = find_frame(d, ctx, FIND_QUIET, &h, &flen, &kind)) < 0)
            return st;
        if (kind == FOUND_NONE || win_pos(d) >= limit)
            return SEGUE_OK;
        if (kind == FOUND) {
            *frame_off = win_pos(d);
            *pts = hdr_pts(d, &h);
            *bs = h.blocksize;
            *found = 1;
            return SEGUE_OK;
        }
        win_consume(d, 1); /* not trusted: look further */
    }
}

static segue_status flac_demux_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    flac_demux *d = priv;
    segue_status st;
    if (!segue_reader_seekable(ctx->reader))
        return segue_error_set(ctx->err, SEGUE_ERR_NOT_SEEKABLE, "flac: input is not seekable");
    if (frame < 0)
        return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT, "flac: seek to frame %lld",
                               (long long)frame);
    if (!d->have_first || (d->total && (uint64_t)frame >= d->total)) {
        /* Nothing to decode from there. */
        if ((st = win_reposition(d, ctx, d->audio_start)) < 0)
            return st;
        d->at_end = 1;
        *landed = frame;
        return SEGUE_OK;
    }
    const int64_t size = segue_reader_size(ctx->reader);
    int64_t start = d->audio_start;

    /* A seek point at or before the target (8.5.1 sample numbers count from
     * the stream start, like our pts plus the first sample). */
    uint64_t target_sample = (uint64_t)frame + d->first_sample;
    int from_table = 0;
    for (size_t i = d->npoints; i-- > 0;) {
        if (d->points[i].sample > target_sample)
            continue;
        if (d->points[i].offset < (uint64_t)(size - d->audio_start)) {
            start = d->audio_start + (int64_t)d->points[i].offset;
            from_table = 1;
        }
        break;
    }
    if (!from_table) {
        /* Bisection on verified frames, down to a span a forward scan
         * handles quickly. */
        int64_t lo = d->audio_start, hi = size;
        int64_t span = 2 * (int64_t)(d->max_frame ? d->max_frame : 32768u);
        if (span < 65536)
            span = 65536;
        while (hi - lo > span) {
            int64_t mid = lo + (hi - lo) / 2, off, pts;
            uint32_t bs;
            int found;
            if ((st = probe_frame_at(d, ctx, mid, hi, &off, &pts, &bs, &found)) < 0)
                return st;
            if (!found || pts > frame) {
                hi = mid;
            } else {
                lo = off;
                if (pts + (int64_t)bs > frame)
                    break;
            }
        }
        start = lo;
    }

    /* Forward, frame by frame, to the one that holds the target. */
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((st = win_reposition(d, ctx, start)) < 0)
            return st;
        unsigned flags = FIND_QUIET;
        for (;;) {
            flac_hdr h;
            size_t flen;
            int kind;
            if ((st = find_frame(d, ctx, flags, &h, &flen, &kind)) < 0)
                return st;
            if (kind == FOUND_NONE) {
                d->at_end = 1;
                *landed = frame;
                return SEGUE_OK;
            }
            int64_t pts = hdr_pts(d, &h);
            if (pts > frame && flags == FIND_QUIET)
                break; /* started past the target (a bad seek point): from the top */
            if (pts > frame)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "flac: frames missing before sample %lld (next frame starts at %lld)",
                                       (long long)frame, (long long)pts);
            flags = 0;
            if (pts + (int64_t)h.blocksize > frame) {
                d->ready = 1;
                d->ready_hdr = h;
                d->ready_len = flen;
                *landed = pts;
                return SEGUE_OK;
            }
            win_consume(d, flen);
        }
        start = d->audio_start;
    }
    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                           "flac: no frame at or before sample %lld could be found", (long long)frame);
}

const segue_demuxer_desc segue_demuxer_flac = {
    .name = "flac",
    .priv_size = sizeof(flac_demux),
    .probe = probe_flac,
    .open = flac_demux_open,
    .read_packet = flac_demux_read_packet,
    .seek = flac_demux_seek,
    .close = flac_demux_close,
};

/* ---- muxer ------------------------------------------------------------------------ */

typedef struct flac_mux {
    int64_t streaminfo_at;  /* offset of the STREAMINFO body */
    int64_t seektable_at;   /* offset of the SEEKTABLE body, -1 if none */
    int64_t audio_start;    /* offset of the first frame */
    uint8_t *table;         /* SEEKTABLE body, cap points */
    uint32_t cap, used;     /* points reserved, points filled */
    uint64_t spacing;       /* samples between point targets */
    uint64_t next_target;   /* sample of the next target */
    int thin;               /* length unknown: halve the points when full */
    int64_t comments_at;    /* late loudness: the VORBIS_COMMENT block header */
    size_t tail_size;       /* late loudness: VORBIS_COMMENT + PADDING blocks, headers included */
    uint32_t channel_mask, channels;
} flac_mux;

static segue_status flac_mux_setup(const segue_encoder_config *cfg, segue_codec_params *params,
                                   segue_error *err)
{
    if (cfg->codec && strcmp(cfg->codec, "flac") != 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "flac: codec '%s' cannot be stored; the flac muxer stores flac", cfg->codec);
    if (cfg->channels < 1 || cfg->channels > 8)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "flac: %u channels; FLAC carries 1..8",
                               cfg->channels);
    if (cfg->sample_rate < 1 || cfg->sample_rate > FLAC_MAX_RATE)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "flac: sample rate %u Hz; 1..%u Hz supported", cfg->sample_rate,
                               FLAC_MAX_RATE);
    segue_sample_format fmt = cfg->sample_format == SEGUE_SAMPLE_NONE ? SEGUE_SAMPLE_S16 : cfg->sample_format;
    unsigned bits;
    switch (fmt) {
    case SEGUE_SAMPLE_U8:
    case SEGUE_SAMPLE_S8: bits = 8; break;
    case SEGUE_SAMPLE_S16: bits = 16; break;
    case SEGUE_SAMPLE_S24: bits = 24; break;
    case SEGUE_SAMPLE_S32: bits = 32; break;
    case SEGUE_SAMPLE_F32:
    case SEGUE_SAMPLE_F64:
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "flac: sample format %s cannot be stored; FLAC holds integers "
                               "(use s16, s24 or s32)",
                               segue_sample_format_name(fmt));
    default:
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "flac: sample format %d unknown", (int)fmt);
    }
    params->codec = "flac";
    params->sample_rate = cfg->sample_rate;
    params->channels = cfg->channels;
    params->channel_mask = cfg->channel_mask ? cfg->channel_mask : segue_default_channel_mask(cfg->channels);
    params->sample_format = fmt;
    params->big_endian = 0;
    params->bits_per_sample = bits;
    return SEGUE_OK;
}

/* 8.1 metadata block header. */
static segue_status write_block_header(segue_writer *w, int last, unsigned type, uint32_t len)
{
    uint8_t h[4];
    h[0] = (uint8_t)((last ? 0x80u : 0u) | type);
    wr_be24(h + 1, len);
    return segue_writer_write(w, h, 4);
}

/* Serialises the VORBIS_COMMENT block body into *block / *size. */
static segue_status render_comments(segue_mux_ctx *ctx, uint32_t mask, uint32_t channels,
                                    uint8_t **block, size_t *size)
{
    const segue_metadata *m = ctx->metadata;
    segue_metadata *copy = NULL;
    segue_status st;
    /* A non-default speaker layout travels as 8.6.2's field. */
    if (mask && mask != segue_default_channel_mask(channels)) {
        if ((st = segue_metadata_create(&copy, ctx->allocator)) < 0 ||
            (m && (st = segue_metadata_copy(copy, m)) < 0)) {
            segue_metadata_destroy(copy);
            return segue_error_set(ctx->err, st, "flac: out of memory copying tags");
        }
        char v[16];
        snprintf(v, sizeof v, "0x%04X", mask);
        if ((st = segue_metadata_set(copy, "WAVEFORMATEXTENSIBLE_CHANNEL_MASK", v)) < 0) {
            segue_metadata_destroy(copy);
            return segue_error_set(ctx->err, st, "flac: out of memory copying tags");
        }
        m = copy;
    }
    *block = NULL;
    *size = 0;
    st = segue_vorbiscomment_write(m, "segue", SEGUE_VC_PICTURES_NONE, 0, ctx->allocator, block,
                                   size, ctx->err);
    segue_metadata_destroy(copy);
    if (st < 0)
        return st;
    if (*size > 0xFFFFFFu) {
        segue_mem_free(ctx->allocator, *block);
        *block = NULL;
        return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                               "flac: tags take %zu bytes, a VORBIS_COMMENT block holds at most 16 MiB", *size);
    }
    return SEGUE_OK;
}

static segue_status write_comments(segue_mux_ctx *ctx, const segue_codec_params *params,
                                   size_t *written)
{
    uint8_t *block = NULL;
    size_t size = 0;
    segue_status st = render_comments(ctx, params->channel_mask, params->channels, &block, &size);
    if (st < 0)
        return st;
    if (written)
        *written = size;
    if ((st = write_block_header(ctx->writer, 0, BLOCK_VORBIS_COMMENT, (uint32_t)size)) >= 0)
        st = segue_writer_write(ctx->writer, block, size);
    segue_mem_free(ctx->allocator, block);
    return st;
}

static segue_status write_pictures(segue_mux_ctx *ctx)
{
    const segue_metadata *m = ctx->metadata;
    size_t n = segue_metadata_picture_count(m);
    for (size_t i = 0; i < n; i++) {
        segue_picture pic;
        segue_metadata_picture_at(m, i, &pic);
        uint8_t *block = NULL;
        size_t size = 0;
        segue_status st = segue_flac_picture_write(&pic, ctx->allocator, &block, &size, ctx->err);
        if (st == SEGUE_ERR_TOO_LARGE || (st >= 0 && size > 0xFFFFFFu)) {
            segue_mem_free(ctx->allocator, block);
            char reason[128];
            snprintf(reason, sizeof reason,
                     "flac: picture %zu of %zu bytes exceeds the 16 MiB a PICTURE block holds", i,
                     pic.size);
            if (ctx->unmapped && segue_metadata_add_unmapped(ctx->unmapped, "PICTURE", reason) < 0)
                return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "flac: out of memory");
            continue;
        }
        if (st < 0)
            return st;
        if ((st = write_block_header(ctx->writer, 0, BLOCK_PICTURE, (uint32_t)size)) >= 0)
            st = segue_writer_write(ctx->writer, block, size);
        segue_mem_free(ctx->allocator, block);
        if (st < 0)
            return st;
    }
    return SEGUE_OK;
}

static void put_placeholder(uint8_t *p)
{
    wr_be64(p, FLAC_PLACEHOLDER);
    wr_be64(p + 8, 0);
    segue_wb16(p + 16, 0);
}

static segue_status flac_mux_open(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params)
{
    flac_mux *x = priv;
    segue_writer *w = ctx->writer;
    segue_status st;
    x->seektable_at = -1;
    if (!params->extradata || params->extradata_size != FLAC_STREAMINFO_BYTES)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "flac: the codec gave a %zu-byte STREAMINFO, need 34", params->extradata_size);

    /* Seek points: only a seekable sink gets them filled in. */
    if (segue_writer_seekable(w)) {
        uint64_t spacing = (uint64_t)params->sample_rate * FLAC_SEEK_SPACING_S;
        uint64_t points = FLAC_SEEK_RESERVE;
        x->thin = 1;
        if (ctx->cfg->total_frames >= 0) {
            uint64_t total = (uint64_t)ctx->cfg->total_frames;
            points = (total + spacing - 1) / spacing;
            if (points > FLAC_SEEK_MAX_POINTS) {
                spacing = (total + FLAC_SEEK_MAX_POINTS - 1) / FLAC_SEEK_MAX_POINTS;
                points = (total + spacing - 1) / spacing;
            }
            x->thin = 0;
        }
        if (points) {
            x->cap = (uint32_t)points;
            x->spacing = spacing;
            x->table = segue_mem_calloc(ctx->allocator, x->cap, FLAC_SEEKPOINT_BYTES);
            if (!x->table)
                return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY,
                                       "flac: cannot allocate %llu seek points", (unsigned long long)points);
            for (uint32_t i = 0; i < x->cap; i++)
                put_placeholder(x->table + (size_t)i * FLAC_SEEKPOINT_BYTES);
        }
    }

    if ((st = segue_writer_write(w, "fLaC", 4)) < 0 ||
        (st = write_block_header(w, 0, BLOCK_STREAMINFO, FLAC_STREAMINFO_BYTES)) < 0)
        return st;
    x->streaminfo_at = segue_writer_tell(w);
    /* Late loudness: the VORBIS_COMMENT block goes last, right before the
     * PADDING block, so that finish can rewrite the two as one region of
     * the same size (8.3: PADDING may have any length). */
    int late = ctx->cfg->late_loudness;
    x->channel_mask = params->channel_mask;
    x->channels = params->channels;
    if ((st = segue_writer_write(w, params->extradata, FLAC_STREAMINFO_BYTES)) < 0 ||
        (!late && (st = write_comments(ctx, params, NULL)) < 0) || (st = write_pictures(ctx)) < 0)
        return st;
    if (x->table) {
        uint32_t len = x->cap * FLAC_SEEKPOINT_BYTES;
        if ((st = write_block_header(w, 0, BLOCK_SEEKTABLE, len)) < 0)
            return st;
        x->seektable_at = segue_writer_tell(w);
        if ((st = segue_writer_write(w, x->table, len)) < 0)
            return st;
    }
    static const uint8_t zeros[256];
    if (late) {
        size_t size = 0;
        x->comments_at = segue_writer_tell(w);
        if ((st = write_comments(ctx, params, &size)) < 0)
            return st;
        x->tail_size = 4 + size + 4 + FLAC_PADDING_BYTES;
    }
    if ((st = write_block_header(w, 1, BLOCK_PADDING, FLAC_PADDING_BYTES)) < 0)
        return st;
    for (uint32_t left = FLAC_PADDING_BYTES; left;) {
        uint32_t n = left < sizeof zeros ? left : (uint32_t)sizeof zeros;
        if ((st = segue_writer_write(w, zeros, n)) < 0)
            return st;
        left -= n;
    }
    x->audio_start = segue_writer_tell(w);
    return SEGUE_OK;
}

/* Records a seek point for a packet that covers the next target. */
static void note_seek_point(flac_mux *x, const segue_packet *pkt, uint64_t offset)
{
    if (!x->table || pkt->pts < 0)
        return;
    uint64_t start = (uint64_t)pkt->pts;
    flac_hdr h;
    int parsed = parse_frame_header(pkt->data, pkt->size, &h);
    uint64_t end = start + (pkt->frames ? pkt->frames : parsed ? h.blocksize : 0);
    if (x->next_target >= end)
        return;
    if (x->used == x->cap) {
        if (!x->thin)
            return;
        /* Keep points 0, 2, 4...: they sit on the targets of twice the spacing. */
        for (uint32_t i = 0; 2 * i < x->used; i++)
            memmove(x->table + (size_t)i * FLAC_SEEKPOINT_BYTES,
                    x->table + (size_t)(2 * i) * FLAC_SEEKPOINT_BYTES, FLAC_SEEKPOINT_BYTES);
        uint32_t kept = (x->used + 1) / 2;
        for (uint32_t i = kept; i < x->used; i++)
            put_placeholder(x->table + (size_t)i * FLAC_SEEKPOINT_BYTES);
        x->used = kept;
        x->spacing *= 2;
        x->next_target = (uint64_t)kept * x->spacing;
        if (x->next_target >= end)
            return;
    }
    uint8_t *p = x->table + (size_t)x->used * FLAC_SEEKPOINT_BYTES;
    uint32_t first_frame = parsed ? h.blocksize : pkt->frames;
    wr_be64(p, start);
    wr_be64(p + 8, offset);
    segue_wb16(p + 16, (uint16_t)(first_frame > 65535 ? 65535 : first_frame));
    x->used++;
    while (x->next_target < end)
        x->next_target += x->spacing;
}

static segue_status flac_mux_write_packet(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt)
{
    flac_mux *x = priv;
    if (pkt->flags & SEGUE_PACKET_HEADER_UPDATE) {
        if (pkt->size != FLAC_STREAMINFO_BYTES)
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                                   "flac: header update of %zu bytes, need a 34-byte STREAMINFO", pkt->size);
        if (!segue_writer_seekable(ctx->writer))
            return SEGUE_OK; /* a pipe keeps the STREAMINFO written up front */
        return segue_writer_patch(ctx->writer, x->streaminfo_at, pkt->data, pkt->size);
    }
    if (!pkt->size)
        return SEGUE_OK;
    note_seek_point(x, pkt, (uint64_t)(segue_writer_tell(ctx->writer) - x->audio_start));
    return segue_writer_write(ctx->writer, pkt->data, pkt->size);
}

/* Late loudness: VORBIS_COMMENT from the final record, then a PADDING block
 * (last-metadata-block flag set) taking up what is left of the region
 * written at open, written over it in one piece. */
static segue_status rewrite_comments(flac_mux *x, segue_mux_ctx *ctx)
{
    uint8_t *block = NULL;
    size_t size = 0;
    segue_status st = render_comments(ctx, x->channel_mask, x->channels, &block, &size);
    if (st < 0)
        return st;
    if (size + 8 > x->tail_size) {
        segue_mem_free(ctx->allocator, block);
        return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                               "flac: the final tags take %zu bytes, %zu were reserved", size + 8,
                               x->tail_size);
    }
    uint8_t *region = segue_mem_calloc(ctx->allocator, 1, x->tail_size);
    if (!region) {
        segue_mem_free(ctx->allocator, block);
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "flac: out of memory");
    }
    size_t pad = x->tail_size - size - 8;
    region[0] = BLOCK_VORBIS_COMMENT;
    wr_be24(region + 1, (uint32_t)size);
    memcpy(region + 4, block, size);
    region[4 + size] = (uint8_t)(0x80u | BLOCK_PADDING);
    wr_be24(region + 5 + size, (uint32_t)pad);
    segue_mem_free(ctx->allocator, block);
    st = segue_writer_patch(ctx->writer, x->comments_at, region, x->tail_size);
    segue_mem_free(ctx->allocator, region);
    return st;
}

static segue_status flac_mux_finish(void *priv, segue_mux_ctx *ctx)
{
    flac_mux *x = priv;
    segue_status st;
    if (ctx->cfg->late_loudness && x->tail_size && (st = rewrite_comments(x, ctx)) < 0)
        return st;
    if (x->table && x->seektable_at >= 0 && x->used)
        return segue_writer_patch(ctx->writer, x->seektable_at, x->table,
                                  (size_t)x->cap * FLAC_SEEKPOINT_BYTES);
    return SEGUE_OK;
}

static void flac_mux_close(void *priv, segue_mux_ctx *ctx)
{
    flac_mux *x = priv;
    segue_mem_free(ctx->allocator, x->table);
    x->table = NULL;
}

const segue_muxer_desc segue_muxer_flac = {
    .name = "flac",
    .extensions = "flac fla",
    .default_codec = "flac",
    .priv_size = sizeof(flac_mux),
    .setup = flac_mux_setup,
    .open = flac_mux_open,
    .write_packet = flac_mux_write_packet,
    .finish = flac_mux_finish,
    .close = flac_mux_close,
    .late_loudness = 1,
};
