/*
 * container/ogg.c - Ogg demuxer and muxer for Vorbis and Opus.
 *
 * Our own page parser and writer; libogg is not used (only codec/ext/ may
 * include it, and the codecs here never see pages).
 *
 * References:
 *   [3533]   RFC 3533 "The Ogg Encapsulation Format Version 0": 6 (page
 *            header, segment table lacing, CRC), 4 (logical bitstreams,
 *            BOS/EOS, grouping and chaining).
 *   [7845]   RFC 7845 "Ogg Encapsulation for the Opus Audio Codec": 3
 *            (packet organisation), 4 (granule position; 4.2 pre-skip, 4.4
 *            end trimming, 4.5 the initial granule position, 4.6 seeking
 *            and pre-roll), 5.1 (identification header), 5.2 (comment
 *            header).
 *   [6716]   RFC 6716 3.1 (the TOC byte: frame size and frame count).
 *   [VORBIS] Xiph "Vorbis I specification": 4.2.2 (identification
 *            header), 4.2.4 (setup header, with 3.2.1 codebooks, 7.2.2
 *            floor 1, 6.2.1 floor 0, 8.6.1 residues, 4.2.4.5 mappings,
 *            4.2.4.6 modes), 4.3.1 (audio packet type bit and mode
 *            number), 4.3.8 (the returned length: previous window centre
 *            to current centre), A.2 (Ogg encapsulation: granule positions,
 *            the first audio page, end-of-stream trimming) and the Xiph
 *            note vorbis-clip.txt (start and end trimming by granule).
 *
 * Demuxer decisions:
 *   - Pages are found by their capture pattern; anything else between pages
 *     is skipped ("garbage"). A page is accepted only when its CRC matches;
 *     a page with a bad CRC (or one claiming more bytes than the file has)
 *     is skipped and the search resumes one byte after its "OggS". Packets
 *     that lose a page are dropped whole. Damage is concealed and noted in
 *     the decoder's error detail with status OK (first note wins); with
 *     cfg->strict it is SEGUE_ERR_CORRUPT. Seeking resyncs quietly.
 *     Builds with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION accept pages with a
 *     bad CRC, so a fuzzer's mutations reach the layers behind it.
 *   - The first logical stream whose first packet is a Vorbis ("\x01vorbis")
 *     or Opus ("OpusHead") identification header is decoded; other streams
 *     are ignored.
 *   - Chains ([3533] 4): a new BOS page of the same codec after our stream
 *     continues the output when the channel count and rate match (the new
 *     link's headers are handed to the codec in-band: Vorbis
 *     identification, a minimal comment and setup header; the OpusHead).
 *     A link that changes codec, rate or channels ends the stream there,
 *     with a note. Each link is trimmed at its end by its EOS granule; start
 *     trimming of later links is not done. The total length of a chained
 *     file is not computed (frames -1) and seeking stays within the first
 *     link's timeline (later links are reached by decoding forward).
 *   - Positions: the "stream position" of the core is the count of decoded
 *     samples from the first decoded sample of the first link (codec delay
 *     included). A page's granule gives the position of the end of the last
 *     packet completed on it; every audio packet's duration comes from its
 *     first byte (Opus TOC [6716] 3.1; Vorbis mode -> block size, the
 *     setup header being parsed here for the mode block flags), so packets
 *     get exact pts and frame counts. The first link's base (granule of the
 *     first decoded sample) is its first granule minus the samples decoded
 *     up to it ([VORBIS] A.2, [7845] 4.5); a negative base is start trimming
 *     and becomes encoder delay. On a page with EOS the granule may be short
 *     ([7845] 4.4, vorbis-clip.txt): the trailing packets get smaller frame
 *     counts (segue_packet.frames), which the vorbis and opus codecs honour
 *     as an output cap, so end trimming works on pipes and chains too. A
 *     single audio page that has EOS and a granule smaller than its samples
 *     is read as end trimming (base 0), as the specifications ask.
 *   - Gapless metadata: encoder_delay = Opus pre-skip (+ start trim);
 *     total_frames from the last page's granule, found by scanning the last
 *     OGG_END_SCAN bytes of a seekable input (a window that widens up to
 *     OGG_END_SCAN_MAX when the tail has no page of our stream).
 *   - Seeking: bisection over byte offsets for the last page whose granule
 *     is at or before target - pre-roll, then a forward scan. Opus pre-roll
 *     is 3840 samples (80 ms, [7845] 4.6); Vorbis needs the one packet that
 *     primes the overlap, whose end is at most blocksize_1/2 after the page
 *     granule. The packet reader then back-computes positions from the
 *     first granule it meets, and `landed` is the position of the first
 *     sample the reset codec will output, so the core's skip is exact. If
 *     anything is inconsistent, the seek falls back to the first audio page.
 *   - Limits: a page body is at most 255*255 bytes; an audio or setup packet
 *     at most OGG_MAX_PACKET (1 MiB) and a comment packet at most
 *     max(cfg->max_metadata_bytes, 1 MiB) bytes. A larger audio packet is
 *     dropped (strict: SEGUE_ERR_TOO_LARGE); a larger comment header loses
 *     the tags (noted in the unmapped list); a larger setup header is
 *     SEGUE_ERR_TOO_LARGE.
 *   - extradata for the decoder. Vorbis: the identification, a minimal
 *     comment (vendor "", no fields: the tags are already in the metadata,
 *     and libvorbis would copy pictures again) and the setup header in Xiph
 *     lacing, as Matroska's CodecPrivate: one byte "packets - 1" (2), the
 *     sizes of the first two packets each as a run of 255s plus a final
 *     byte < 255, then the three packets back to back (the last one's size
 *     is what remains). Opus: the OpusHead packet. params.sample_rate is
 *     48000 for Opus (the decoder always runs at 48 kHz; the header's input
 *     rate is informational).
 *
 * Muxer decisions:
 *   - Codec "vorbis" (default) or "opus". Page 0 holds the identification
 *     header alone (BOS); the comment header (our own, built with
 *     segue_vorbiscomment_write; pictures inline as METADATA_BLOCK_PICTURE;
 *     R128_* gains for Opus) and, for Vorbis, the setup header follow on
 *     their own pages with granule 0, and audio starts on a fresh page
 *     ([7845] 3, [VORBIS] A.2). The Vorbis comment header keeps the vendor
 *     string libvorbis put in its own.
 *   - Audio pages are closed once they hold 4 KiB or one second of audio
 *     (or 255 segments); the last packets are always kept back for the last
 *     page, which carries EOS and the exact final granule: Vorbis the input
 *     length, Opus pre-skip + input length at 48 kHz ([7845] 4.4), so
 *     decoders trim the padding.
 *   - Granules of other pages come from the codec's packet pts + frames
 *     (Opus scaled to 48 kHz).
 *   - The serial number is a hash (FNV-1a) of the codec, rate, channels,
 *     the codec setup and the comment header: deterministic output, and
 *     different files almost always get different serials (so they can be
 *     chained by concatenation).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <segue/version.h>

#include "codec/common/xiph_lacing.h"
#include "container/container.h"
#include "container/vorbiscomment.h"
#include "core/alloc.h"

#define OGG_HEADER 27u
#define OGG_MAX_SEGMENTS 255u
#define OGG_MAX_BODY (255u * 255u)
#define OGG_MAX_PAGE (OGG_HEADER + OGG_MAX_SEGMENTS + OGG_MAX_BODY) /* 65307 */
#define OGG_MAX_PACKET (1u << 20)
#define OGG_END_SCAN (256u << 10)
#define OGG_END_SCAN_MAX (16u << 20)
#define OGG_QUEUE 264u              /* 255 packets of a page + injected headers */
#define OGG_MAX_BOS 32u
#define OGG_MAX_CHANNELS 8u
#define OPUS_PREROLL 3840           /* [7845] 4.6: 80 ms at 48 kHz */
#define OPUS_RATE 48000u

enum { OGG_CONTINUED = 1, OGG_BOS = 2, OGG_EOS = 4 };
enum { CODEC_NONE = 0, CODEC_VORBIS = 1, CODEC_OPUS = 2 };

/* The minimal Vorbis comment header given to decoders ([VORBIS] 5.2.1:
 * type 3, "vorbis", vendor length 0, no fields, framing bit). */
static const uint8_t minimal_vorbis_comment[16] = {3, 'v', 'o', 'r', 'b', 'i', 's', 0, 0, 0, 0,
                                                   0, 0, 0, 0, 1};

/* ---- shared helpers --------------------------------------------------------------- */

/* The speaker positions of the Vorbis channel orders ([VORBIS] 4.3.9, also
 * Opus family 1, [7845] 5.1.1.2) as WAVE_FORMAT_EXTENSIBLE masks; the codecs
 * output and take channels in that mask's (WAV) order. */
static const uint32_t ogg_channel_masks[9] = {0,     0x4,   0x3,   0x7,  0x33,
                                              0x37, 0x3F, 0x70F, 0x63F};

/* [3533] 6: CRC-32, generator 0x04C11DB7, initial value 0, no reflection,
 * no final XOR, computed over the page with the CRC field zeroed. */
static void crc_init(uint32_t table[256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i << 24;
        for (int k = 0; k < 8; k++)
            r = (r & 0x80000000u) ? (r << 1) ^ 0x04C11DB7u : r << 1;
        table[i] = r;
    }
}

static uint32_t crc_update(const uint32_t table[256], uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crc = (crc << 8) ^ table[((crc >> 24) ^ p[i]) & 0xFFu];
    return crc;
}

static int64_t rl64s(const uint8_t *p) { return (int64_t)segue_rl64(p); }

static int codec_of_packet(const uint8_t *p, size_t n)
{
    if (n >= 7 && p[0] == 1 && memcmp(p + 1, "vorbis", 6) == 0)
        return CODEC_VORBIS;
    if (n >= 8 && memcmp(p, "OpusHead", 8) == 0)
        return CODEC_OPUS;
    return CODEC_NONE;
}

/* A printable name for another stream's first packet, for error messages. */
static const char *other_codec_name(const uint8_t *p, size_t n)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *name;
    } known[] = {
        {"\x7f" "FLAC", 5, "FLAC"}, {"Speex   ", 8, "Speex"},   {"\x80theora", 7, "Theora"},
        {"fishead", 7, "Skeleton"}, {"CELT    ", 8, "CELT"},    {"\x80kate", 5, "Kate"},
        {"OVP80", 5, "VP8"},        {"BBCD", 4, "Dirac"},       {"PCM     ", 8, "PCM"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (n >= known[i].len && memcmp(p, known[i].magic, known[i].len) == 0)
            return known[i].name;
    return "unknown";
}

static unsigned ilog(uint32_t v)
{
    unsigned n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

/* [6716] 3.1: samples (48 kHz) in an Opus packet, from the TOC byte and, for
 * code 3, the frame count byte; 0 if the packet is invalid. In a multistream
 * packet the first stream's TOC gives the duration of all. */
static uint32_t opus_packet_samples(const uint8_t *p, size_t n)
{
    if (n < 1)
        return 0;
    unsigned config = p[0] >> 3;
    uint32_t size;
    if (config < 12)
        size = (uint32_t[]){480, 960, 1920, 2880}[config & 3u];
    else if (config < 16)
        size = (config & 1u) ? 960u : 480u;
    else
        size = (uint32_t[]){120, 240, 480, 960}[config & 3u];
    uint32_t count;
    switch (p[0] & 3u) {
    case 0: count = 1; break;
    case 1:
    case 2: count = 2; break;
    default:
        if (n < 2)
            return 0;
        count = p[1] & 0x3Fu;
        break;
    }
    uint32_t total = size * count;
    return total > 5760u ? 0 : total;
}

/* ---- Vorbis header parsing (for packet durations) --------------------------------- */

/* [VORBIS] 2.1.4: bits are packed starting at the least significant bit. */
typedef struct vbits {
    const uint8_t *p;
    uint64_t bits;
    uint64_t pos;
} vbits;

static uint32_t vb_get(vbits *b, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        if (b->pos < b->bits && (((unsigned)b->p[b->pos >> 3] >> (b->pos & 7u)) & 1u))
            v |= 1u << i;
        b->pos++;
    }
    return v;
}

static int vb_over(const vbits *b) { return b->pos > b->bits; }

static void vb_skip(vbits *b, uint64_t n)
{
    if (n > b->bits - (b->pos < b->bits ? b->pos : b->bits))
        b->pos = b->bits + 1;
    else
        b->pos += n;
}

/* [VORBIS] 9.2.3 lookup1_values: the largest r with r^dims <= entries. */
static uint64_t lookup1_values(uint32_t entries, uint32_t dims)
{
    uint64_t r = (uint64_t)floor(pow((double)entries, 1.0 / (double)dims));
    for (;;) { /* correct floating-point error in either direction */
        uint64_t prod = 1;
        int over = 0;
        for (uint32_t i = 0; i < dims && !over; i++) {
            prod *= r + 1;
            over = prod > entries;
        }
        if (over)
            break;
        r++;
    }
    while (r > 0) {
        uint64_t prod = 1;
        int over = 0;
        for (uint32_t i = 0; i < dims && !over; i++) {
            prod *= r;
            over = prod > entries;
        }
        if (!over)
            break;
        r--;
    }
    return r;
}

typedef struct vorbis_modes {
    unsigned count, bits;
    uint8_t blockflag[64];
} vorbis_modes;

/* Walks the setup header ([VORBIS] 4.2.4) to its mode list; only the block
 * flags are kept. Returns NULL on success or a description of the problem. */
static const char *parse_vorbis_setup(const uint8_t *pkt, size_t size, unsigned channels,
                                      vorbis_modes *out)
{
    if (size < 7 || pkt[0] != 5 || memcmp(pkt + 1, "vorbis", 6) != 0)
        return "not a setup header";
    vbits b = {pkt + 7, (uint64_t)(size - 7) * 8u, 0};
    unsigned books = vb_get(&b, 8) + 1;
    for (unsigned i = 0; i < books; i++) { /* 3.2.1 */
        if (vb_get(&b, 24) != 0x564342u)
            return "codebook sync pattern missing";
        uint32_t dims = vb_get(&b, 16);
        uint32_t entries = vb_get(&b, 24);
        if (vb_get(&b, 1)) { /* ordered */
            uint32_t cur = 0;
            vb_get(&b, 5);
            while (cur < entries) {
                uint32_t num = vb_get(&b, ilog(entries - cur));
                if (vb_over(&b) || num > entries - cur)
                    return "codebook lengths overrun";
                cur += num;
            }
        } else {
            int sparse = (int)vb_get(&b, 1);
            for (uint32_t e = 0; e < entries && !vb_over(&b); e++)
                if (!sparse || vb_get(&b, 1))
                    vb_get(&b, 5);
        }
        uint32_t lookup = vb_get(&b, 4);
        if (lookup == 1 || lookup == 2) {
            vb_skip(&b, 64); /* minimum and delta values */
            uint32_t value_bits = vb_get(&b, 4) + 1;
            vb_get(&b, 1);
            if (dims == 0)
                return "codebook with 0 dimensions";
            uint64_t values = lookup == 1 ? lookup1_values(entries, dims) : (uint64_t)entries * dims;
            vb_skip(&b, values * value_bits);
        } else if (lookup != 0) {
            return "codebook lookup type above 2";
        }
        if (vb_over(&b))
            return "codebooks run past the end";
    }
    unsigned times = vb_get(&b, 6) + 1;
    for (unsigned i = 0; i < times; i++)
        if (vb_get(&b, 16) != 0)
            return "time domain transform type is not 0";
    unsigned floors = vb_get(&b, 6) + 1;
    for (unsigned i = 0; i < floors && !vb_over(&b); i++) {
        uint32_t type = vb_get(&b, 16);
        if (type == 0) { /* 6.2.1 */
            vb_skip(&b, 8 + 16 + 16 + 6 + 8);
            unsigned nbooks = vb_get(&b, 4) + 1;
            vb_skip(&b, 8u * nbooks);
        } else if (type == 1) { /* 7.2.2 */
            unsigned parts = vb_get(&b, 5);
            uint8_t cls[32];
            int max_class = -1;
            for (unsigned p = 0; p < parts; p++) {
                cls[p] = (uint8_t)vb_get(&b, 4);
                if (cls[p] > max_class)
                    max_class = cls[p];
            }
            unsigned cdims[16];
            for (int c = 0; c <= max_class; c++) {
                cdims[c] = vb_get(&b, 3) + 1;
                unsigned sub = vb_get(&b, 2);
                if (sub)
                    vb_get(&b, 8);
                vb_skip(&b, 8u << sub);
            }
            vb_get(&b, 2);
            unsigned range = vb_get(&b, 4);
            for (unsigned p = 0; p < parts; p++)
                vb_skip(&b, (uint64_t)cdims[cls[p]] * range);
        } else {
            return "floor type above 1";
        }
    }
    unsigned residues = vb_get(&b, 6) + 1;
    for (unsigned i = 0; i < residues && !vb_over(&b); i++) { /* 8.6.1 */
        if (vb_get(&b, 16) > 2)
            return "residue type above 2";
        vb_skip(&b, 24 + 24 + 24);
        unsigned classes = vb_get(&b, 6) + 1;
        vb_get(&b, 8);
        unsigned bitsum = 0;
        for (unsigned c = 0; c < classes; c++) {
            unsigned cascade = vb_get(&b, 3);
            if (vb_get(&b, 1))
                cascade |= vb_get(&b, 5) << 3;
            for (; cascade; cascade &= cascade - 1)
                bitsum++;
        }
        vb_skip(&b, 8u * bitsum);
    }
    unsigned mappings = vb_get(&b, 6) + 1;
    unsigned chbits = ilog(channels - 1);
    for (unsigned i = 0; i < mappings && !vb_over(&b); i++) { /* 4.2.4.5 */
        if (vb_get(&b, 16) != 0)
            return "mapping type is not 0";
        unsigned submaps = vb_get(&b, 1) ? vb_get(&b, 4) + 1 : 1;
        if (vb_get(&b, 1)) {
            unsigned steps = vb_get(&b, 8) + 1;
            vb_skip(&b, (uint64_t)steps * 2u * chbits);
        }
        if (vb_get(&b, 2) != 0)
            return "mapping reserved bits are not 0";
        if (submaps > 1)
            vb_skip(&b, 4u * channels);
        vb_skip(&b, 24u * submaps);
    }
    unsigned modes = vb_get(&b, 6) + 1; /* 4.2.4.6 */
    for (unsigned i = 0; i < modes; i++) {
        out->blockflag[i] = (uint8_t)vb_get(&b, 1);
        vb_skip(&b, 16 + 16 + 8);
    }
    if (vb_get(&b, 1) != 1 || vb_over(&b))
        return "setup header ends early (no framing bit after the modes)";
    out->count = modes;
    out->bits = ilog(modes - 1);
    return NULL;
}

/* ---- demuxer ------------------------------------------------------------------------- */

typedef struct ogg_page {
    int64_t offset;
    uint8_t flags;
    int64_t granule;   /* -1: no packet completes on this page */
    uint32_t serial, seq;
    unsigned nseg;
    uint8_t lacing[255];
    size_t header_size, body_size;
    const uint8_t *body; /* into ogg_demux.page; NULL for scans */
} ogg_page;

/* One logical stream of the chain. */
typedef struct ogg_link {
    int codec;
    unsigned index;       /* 0 for the first link */
    uint32_t serial;
    uint32_t rate, channels;
    uint32_t preskip;     /* Opus, 48 kHz samples */
    unsigned nheaders;    /* 3 Vorbis, 2 Opus */
    unsigned bs[2];       /* Vorbis block sizes */
    vorbis_modes modes;
    int64_t base;         /* granule of the first decoded sample */
    int base_known;
    int64_t start_pos;    /* stream position of the link's first sample */
    uint64_t packetno;    /* packets completed in this link */
    int eos;
} ogg_link;

typedef struct ogg_qpkt {
    const uint8_t *data;
    size_t size;
    int64_t pts;
    uint32_t frames;
    int audio;
} ogg_qpkt;

typedef struct ogg_demux {
    uint32_t crc[256];
    uint8_t *page;
    ogg_page pg;
    int page_valid;
    ogg_link link, link1;
    unsigned links;        /* links started so far */
    unsigned codec_link;   /* index of the link whose headers the codec holds */
    /* packet assembly across pages */
    uint8_t *asm_buf;
    size_t asm_len, asm_cap;
    uint64_t asm_total;
    int asm_active, asm_discard;
    int64_t asm_start_offset;
    unsigned asm_start_skip;
    int tail_pending, tail_continues;
    size_t tail_off, tail_len;
    int64_t tail_start_offset;
    unsigned tail_start_skip;
    /* packets ready to hand out */
    ogg_qpkt q[OGG_QUEUE];
    unsigned q_count, q_next;
    /* timeline */
    int64_t next_pos;
    int next_pos_known;
    int prev_bs;           /* Vorbis: block size of the last packet, -1 unknown */
    uint32_t expected_seq;
    int seq_known;
    unsigned skip_packets;
    int ended;
    int quiet;             /* scanning for a seek: no notes */
    /* what open learned */
    int64_t audio_start;
    unsigned audio_start_skip;
    int audio_start_known;
    int chained;
    uint32_t bos_serials[OGG_MAX_BOS];
    unsigned bos_count;
    uint8_t *extradata;
    size_t extradata_size;
    const uint8_t *hdr[3];
    size_t hdr_len[3];
    uint8_t id_copy[276];      /* the first link's identification header */
    uint8_t *opus_noskip;      /* its OpusHead with pre-skip 0 (in extradata's block) */
    int gapless;
    int strict;
    uint32_t max_metadata;
    uint64_t damage;
    int noted;
    int64_t size;          /* input size, -1 unknown */
} ogg_demux;

static segue_status vnote(ogg_demux *d, segue_demux_ctx *ctx, segue_status strict_status,
                          const char *fmt, va_list ap) SEGUE_PRINTF(4, 0);
static segue_status vnote(ogg_demux *d, segue_demux_ctx *ctx, segue_status strict_status,
                          const char *fmt, va_list ap)
{
    char buf[SEGUE_ERROR_DETAIL_MAX];
    vsnprintf(buf, sizeof buf, fmt, ap);
    if (d->strict)
        return segue_error_set(ctx->err, strict_status, "%s", buf);
    if (!d->noted && ctx->err && ctx->err->status == SEGUE_OK && !ctx->err->detail[0]) {
        /* A note with status OK: the decode goes on; a later real error
         * still replaces it. */
        segue_error_set(ctx->err, SEGUE_OK, "%s", buf);
        d->noted = 1;
    }
    return SEGUE_OK;
}

/* Records concealed damage: a note (first one kept), or an error in strict
 * mode. Silent while scanning for a seek. */
static segue_status damage(ogg_demux *d, segue_demux_ctx *ctx, const char *fmt, ...)
    SEGUE_PRINTF(3, 4);
static segue_status damage(ogg_demux *d, segue_demux_ctx *ctx, const char *fmt, ...)
{
    if (d->quiet)
        return SEGUE_OK;
    d->damage++;
    va_list ap;
    va_start(ap, fmt);
    segue_status st = vnote(d, ctx, SEGUE_ERR_CORRUPT, fmt, ap);
    va_end(ap);
    return st;
}

/* Finds, verifies and consumes the next page at or after the reader's
 * position. copy: keep the body in d->page. END_OF_STREAM at the end. */
static segue_status read_page(ogg_demux *d, segue_demux_ctx *ctx, int copy, ogg_page *pg)
{
    segue_reader *r = ctx->reader;
    uint64_t garbage = 0;
    int64_t garbage_at = segue_reader_tell(r);
    segue_status st;
    for (;;) {
        const uint8_t *p;
        size_t avail;
        if ((st = segue_reader_peek(r, OGG_MAX_PAGE, &p, &avail)) < 0)
            return st;
        if (avail < OGG_HEADER) {
            if (avail && (st = segue_reader_skip(r, avail)) < 0)
                return st;
            garbage += avail;
            if (garbage && (st = damage(d, ctx, "ogg: %llu bytes at offset %lld are not Ogg pages",
                                        (unsigned long long)garbage, (long long)garbage_at)) < 0)
                return st;
            return SEGUE_END_OF_STREAM;
        }
        const uint8_t *hit = memchr(p, 'O', avail - 3);
        while (hit && memcmp(hit, "OggS", 4) != 0)
            hit = memchr(hit + 1, 'O', (size_t)(p + avail - 3 - (hit + 1)));
        if (!hit) {
            size_t n = avail - 3;
            if ((st = segue_reader_skip(r, n)) < 0)
                return st;
            garbage += n;
            continue;
        }
        if (hit > p) {
            size_t n = (size_t)(hit - p);
            if ((st = segue_reader_skip(r, n)) < 0)
                return st;
            garbage += n;
            continue;
        }
        int64_t at = segue_reader_tell(r);
        /* [3533] 6: version 0 only; the segment table and body must be
         * there in full and the CRC must match, else this "OggS" is not a
         * page (or a damaged one) and the search moves on by one byte. */
        int ok = p[4] == 0;
        size_t hs = OGG_HEADER + p[26], body = 0;
        if (ok && avail < hs) {
            ok = 0;
        } else if (ok) {
            for (size_t i = OGG_HEADER; i < hs; i++)
                body += p[i];
            if (avail < hs + body) {
                ok = 0;
                if ((st = damage(d, ctx, "ogg: page at offset %lld is truncated: %zu of %zu bytes",
                                 (long long)at, avail, hs + body)) < 0)
                    return st;
            } else {
                static const uint8_t zero[4] = {0, 0, 0, 0};
                uint32_t crc = crc_update(d->crc, 0, p, 22);
                crc = crc_update(d->crc, crc, zero, 4);
                crc = crc_update(d->crc, crc, p + 26, hs + body - 26);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
                /* Fuzzing builds take pages whatever their CRC, so mutated
                 * inputs reach the packet and codec layers. */
                crc = segue_rl32(p + 22);
#endif
                if (crc != segue_rl32(p + 22)) {
                    ok = 0;
                    if ((st = damage(d, ctx, "ogg: page at offset %lld has a bad CRC (0x%08X, computed 0x%08X); skipped",
                                     (long long)at, segue_rl32(p + 22), crc)) < 0)
                        return st;
                }
            }
        }
        if (!ok) {
            if ((st = segue_reader_skip(r, 1)) < 0)
                return st;
            garbage += 1;
            continue;
        }
        if (garbage && (st = damage(d, ctx, "ogg: %llu bytes of garbage before the page at offset %lld skipped",
                                    (unsigned long long)garbage, (long long)at)) < 0)
            return st;
        pg->offset = at;
        pg->flags = p[5];
        pg->granule = rl64s(p + 6);
        pg->serial = segue_rl32(p + 14);
        pg->seq = segue_rl32(p + 18);
        pg->nseg = p[26];
        memcpy(pg->lacing, p + OGG_HEADER, pg->nseg);
        pg->header_size = hs;
        pg->body_size = body;
        pg->body = NULL;
        if (copy) {
            memcpy(d->page, p, hs + body);
            pg->body = d->page + hs;
        }
        return segue_reader_skip(r, hs + body);
    }
}

/* Size of the first packet on a page if it is complete there. */
static int first_packet(const ogg_page *pg, size_t *len)
{
    size_t n = 0;
    for (unsigned i = 0; i < pg->nseg; i++) {
        n += pg->lacing[i];
        if (pg->lacing[i] < 255) {
            *len = n;
            return 1;
        }
    }
    return 0;
}

static void link_from_id(ogg_link *L, int codec, uint32_t serial)
{
    memset(L, 0, sizeof *L);
    L->codec = codec;
    L->serial = serial;
    L->nheaders = codec == CODEC_VORBIS ? 3 : 2;
}

/* [VORBIS] 4.2.2 and [7845] 5.1: the fields the demuxer needs. Returns NULL
 * or what is wrong. */
static const char *parse_id(ogg_link *L, const uint8_t *p, size_t n)
{
    if (L->codec == CODEC_VORBIS) {
        if (n < 30)
            return "Vorbis identification header shorter than 30 bytes";
        if (segue_rl32(p + 7) != 0)
            return "Vorbis version is not 0";
        L->channels = p[11];
        L->rate = segue_rl32(p + 12);
        unsigned e0 = p[28] & 15u, e1 = p[28] >> 4;
        if (!L->channels || !L->rate)
            return "Vorbis channels or sample rate is 0";
        if (e0 < 6 || e1 > 13 || e0 > e1)
            return "Vorbis block sizes out of range (64..8192, short <= long)";
        if (!(p[29] & 1u))
            return "Vorbis identification header framing bit is 0";
        L->bs[0] = 1u << e0;
        L->bs[1] = 1u << e1;
        return NULL;
    }
    if (n < 19)
        return "OpusHead shorter than 19 bytes";
    if (p[8] >> 4)
        return "OpusHead major version is not 0";
    L->channels = p[9];
    L->preskip = segue_rl16(p + 10);
    L->rate = OPUS_RATE;
    if (!L->channels)
        return "OpusHead channel count is 0";
    if (p[18] == 0 && L->channels > 2)
        return "OpusHead mapping family 0 with more than 2 channels";
    if (p[18] != 0 && n < 21u + L->channels)
        return "OpusHead channel mapping table is truncated";
    return NULL;
}

/* Appends packet bytes to the assembly buffer, within `limit` bytes. */
static segue_status asm_append(ogg_demux *d, segue_demux_ctx *ctx, const uint8_t *p, size_t n,
                               size_t limit)
{
    d->asm_total += n;
    if (d->asm_discard || n == 0)
        return SEGUE_OK;
    if (d->asm_len + n > limit) {
        d->asm_discard = 1;
        return SEGUE_OK;
    }
    if (d->asm_len + n > d->asm_cap) {
        size_t cap = d->asm_cap ? d->asm_cap : 65536;
        while (cap < d->asm_len + n)
            cap *= 2;
        if (cap > limit)
            cap = limit;
        uint8_t *b = segue_mem_realloc(ctx->allocator, d->asm_buf, d->asm_cap, cap);
        if (!b)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY,
                                   "ogg: cannot allocate %zu bytes for a packet", cap);
        d->asm_buf = b;
        d->asm_cap = cap;
    }
    memcpy(d->asm_buf + d->asm_len, p, n);
    d->asm_len += n;
    return SEGUE_OK;
}

static size_t packet_limit(const ogg_demux *d)
{
    /* The comment header (link packet 1) may hold pictures. */
    if (d->link.packetno == 1 && d->max_metadata > OGG_MAX_PACKET)
        return d->max_metadata;
    return OGG_MAX_PACKET;
}

/* The partial packet at the end of the last page moves into the assembly
 * buffer before the page buffer is reused. */
static segue_status apply_tail(ogg_demux *d, segue_demux_ctx *ctx)
{
    if (!d->tail_pending)
        return SEGUE_OK;
    d->tail_pending = 0;
    if (!d->tail_continues) {
        d->asm_len = 0;
        d->asm_total = 0;
        d->asm_discard = 0;
        d->asm_active = 1;
        d->asm_start_offset = d->tail_start_offset;
        d->asm_start_skip = d->tail_start_skip;
    }
    return asm_append(d, ctx, d->pg.body + d->tail_off, d->tail_len, packet_limit(d));
}

static segue_status queue_push(ogg_demux *d, segue_demux_ctx *ctx, const uint8_t *data, size_t size,
                               int audio)
{
    if (d->q_count >= OGG_QUEUE)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "ogg: packet queue overflow");
    ogg_qpkt *q = &d->q[d->q_count++];
    q->data = data;
    q->size = size;
    q->pts = -1;
    q->frames = 0;
    q->audio = audio;
    return SEGUE_OK;
}

/* The first link's headers again, for a codec that decoded a later link. */
static segue_status queue_link1_headers(ogg_demux *d, segue_demux_ctx *ctx)
{
    segue_status st = SEGUE_OK;
    if (d->codec_link == 0)
        return st;
    if (d->link1.codec == CODEC_VORBIS) {
        for (int i = 0; i < 3 && st >= 0; i++)
            st = queue_push(d, ctx, d->hdr[i], d->hdr_len[i], 0);
    } else {
        /* The core trims the first link's pre-skip itself: the in-band head
         * says 0 so the codec does not skip again. */
        st = queue_push(d, ctx, d->opus_noskip, d->extradata_size, 0);
    }
    d->codec_link = 0;
    return st;
}

/* Header packet `pno` of the current link. The first link's headers were
 * read by open; later links' go to the codec in-band. */
static segue_status header_packet(ogg_demux *d, segue_demux_ctx *ctx, uint64_t pno,
                                  const uint8_t *p, size_t n, int dropped)
{
    ogg_link *L = &d->link;
    segue_status st;
    if (dropped) {
        if (pno == 1) {
            if (L->index == 0)
                return segue_metadata_add_unmapped(
                    ctx->metadata, "TAGS",
                    "ogg: comment header larger than max_metadata_bytes; tags not read");
            return L->codec == CODEC_VORBIS
                       ? queue_push(d, ctx, minimal_vorbis_comment, sizeof minimal_vorbis_comment, 0)
                       : SEGUE_OK;
        }
        if (L->index > 0) {
            d->ended = 1;
            return damage(d, ctx, "ogg: chained stream: header packet larger than %u bytes; decoding stops there",
                          OGG_MAX_PACKET);
        }
        return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                               "ogg: header packet %llu is larger than %u bytes",
                               (unsigned long long)pno, OGG_MAX_PACKET);
    }
    if (pno == 0) {
        if (L->index > 0)
            return queue_push(d, ctx, p, n, 0);
        return SEGUE_OK; /* parsed from the BOS page by open */
    }
    if (pno == 1) {
        if (L->codec == CODEC_VORBIS && (n < 7 || p[0] != 3 || memcmp(p + 1, "vorbis", 6) != 0))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "ogg: second Vorbis header is not a comment header (type %u)",
                                   n ? p[0] : 0u);
        if (L->codec == CODEC_OPUS && (n < 8 || memcmp(p, "OpusTags", 8) != 0))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "ogg: second Opus packet is not OpusTags");
        if (L->index > 0)
            return L->codec == CODEC_VORBIS
                       ? queue_push(d, ctx, minimal_vorbis_comment, sizeof minimal_vorbis_comment, 0)
                       : SEGUE_OK;
        if (n - (L->codec == CODEC_VORBIS ? 7u : 8u) > d->max_metadata) {
            return segue_metadata_add_unmapped(ctx->metadata, "TAGS",
                                               "ogg: comment header larger than max_metadata_bytes; tags not read");
        }
        /* Strip the magic and (Vorbis) the framing bit byte. */
        const uint8_t *block = p + (L->codec == CODEC_VORBIS ? 7 : 8);
        size_t len = n - (L->codec == CODEC_VORBIS ? 7u : 8u);
        if (L->codec == CODEC_VORBIS && len > 0)
            len--;
        segue_error tag_err;
        segue_error_clear(&tag_err);
        st = segue_vorbiscomment_parse(block, len, ctx->metadata, ctx->allocator, &tag_err);
        if (st == SEGUE_ERR_NO_MEMORY)
            return segue_error_set(ctx->err, st, "%s", tag_err.detail);
        if (st < 0) {
            if (d->strict)
                return segue_error_set(ctx->err, st, "ogg: %s", tag_err.detail);
            return segue_metadata_add_unmapped(ctx->metadata, "TAGS", tag_err.detail);
        }
        return SEGUE_OK;
    }
    /* pno == 2: the Vorbis setup header. */
    const char *why = parse_vorbis_setup(p, n, L->channels, &L->modes);
    if (why && L->index > 0) {
        d->ended = 1; /* a later link we cannot follow: the output ends here */
        return damage(d, ctx, "ogg: chained stream: Vorbis setup header: %s; decoding stops there", why);
    }
    if (why)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "ogg: Vorbis setup header: %s", why);
    if (L->index > 0)
        return queue_push(d, ctx, p, n, 0);
    /* Extradata: Xiph lacing of identification, minimal comment, setup. */
    size_t id_len = d->hdr_len[0];
    size_t need = 1 + id_len / 255 + 1 + sizeof minimal_vorbis_comment / 255 + 1 + id_len +
                  sizeof minimal_vorbis_comment + n;
    uint8_t *x = segue_mem_alloc(ctx->allocator, need);
    if (!x)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "ogg: cannot allocate %zu bytes", need);
    size_t k = 0;
    x[k++] = 2;
    for (size_t v = id_len; ; v -= 255) {
        x[k++] = (uint8_t)(v >= 255 ? 255 : v);
        if (v < 255)
            break;
    }
    x[k++] = (uint8_t)sizeof minimal_vorbis_comment;
    memcpy(x + k, d->id_copy, id_len);
    d->hdr[0] = x + k;
    k += id_len;
    memcpy(x + k, minimal_vorbis_comment, sizeof minimal_vorbis_comment);
    d->hdr[1] = x + k;
    d->hdr_len[1] = sizeof minimal_vorbis_comment;
    k += sizeof minimal_vorbis_comment;
    memcpy(x + k, p, n);
    d->hdr[2] = x + k;
    d->hdr_len[2] = n;
    k += n;
    d->extradata = x;
    d->extradata_size = k;
    return SEGUE_OK;
}

/* Samples one audio packet adds to the output, as the codec will produce
 * them: Opus from the TOC; Vorbis from the previous and current block sizes
 * ([VORBIS] 4.3.8), 0 for the packet that primes a reset decoder. */
static uint32_t packet_duration(ogg_demux *d, const uint8_t *p, size_t n)
{
    ogg_link *L = &d->link;
    if (L->codec == CODEC_OPUS)
        return opus_packet_samples(p, n);
    if (n == 0 || (p[0] & 1u))
        return 0; /* empty or not audio: libvorbis skips it */
    unsigned mode = (p[0] >> 1) & ((1u << L->modes.bits) - 1u);
    if (mode >= L->modes.count)
        return 0;
    int bs = (int)L->bs[L->modes.blockflag[mode]];
    uint32_t dur = d->prev_bs < 0 ? 0 : (uint32_t)(d->prev_bs + bs) / 4u;
    d->prev_bs = bs;
    return dur;
}

/* Splits the current page into packets, handles headers, and queues the
 * audio packets with their positions. */
static segue_status process_page(ogg_demux *d, segue_demux_ctx *ctx)
{
    const ogg_page *pg = &d->pg;
    ogg_link *L = &d->link;
    segue_status st;
    if (d->seq_known && pg->seq != d->expected_seq) {
        if ((st = damage(d, ctx, "ogg: page sequence jumps from %u to %u at offset %lld: pages lost",
                         d->expected_seq, pg->seq, (long long)pg->offset)) < 0)
            return st;
        d->asm_active = 0;
        d->next_pos_known = 0;
    }
    d->expected_seq = pg->seq + 1u;
    d->seq_known = 1;
    int cont = (pg->flags & OGG_CONTINUED) != 0;
    if (!cont && d->asm_active) {
        if ((st = damage(d, ctx, "ogg: packet cut short before the page at offset %lld",
                         (long long)pg->offset)) < 0)
            return st;
        d->asm_active = 0;
        d->next_pos_known = 0;
    }
    int orphan = cont && !d->asm_active;

    struct {
        const uint8_t *data;
        size_t size;
        int dropped;
        int64_t start_offset;
        unsigned start_skip;
    } pk[255];
    unsigned npk = 0, fresh = 0;
    size_t off = 0;
    unsigned seg = 0;
    int first = 1;
    while (seg < pg->nseg) {
        size_t start = off, len = 0;
        int done = 0;
        while (seg < pg->nseg) {
            unsigned v = pg->lacing[seg++];
            len += v;
            if (v < 255) {
                done = 1;
                break;
            }
        }
        off += len;
        int continues = first && cont && d->asm_active;
        int was_first = first;
        first = 0;
        if (was_first && orphan)
            continue; /* the end of a packet whose start we never saw */
        if (!done) {
            d->tail_pending = 1;
            d->tail_continues = continues;
            d->tail_off = start;
            d->tail_len = len;
            d->tail_start_offset = pg->offset;
            d->tail_start_skip = fresh;
            break;
        }
        if (continues) {
            if ((st = asm_append(d, ctx, pg->body + start, len, packet_limit(d))) < 0)
                return st;
            d->asm_active = 0;
            pk[npk].data = d->asm_buf;
            pk[npk].size = d->asm_len;
            pk[npk].dropped = d->asm_discard;
            pk[npk].start_offset = d->asm_start_offset;
            pk[npk].start_skip = d->asm_start_skip;
        } else {
            if (d->skip_packets) {
                d->skip_packets--;
                fresh++;
                continue;
            }
            pk[npk].data = pg->body + start;
            pk[npk].size = len;
            pk[npk].dropped = 0;
            pk[npk].start_offset = pg->offset;
            pk[npk].start_skip = fresh;
            fresh++;
        }
        npk++;
    }

    unsigned first_q = d->q_count;
    int64_t sumd = 0;
    for (unsigned i = 0; i < npk; i++) {
        uint64_t pno = L->packetno++;
        if (pno < L->nheaders) {
            if ((st = header_packet(d, ctx, pno, pk[i].data, pk[i].size, pk[i].dropped)) < 0)
                return st;
            if (d->ended)
                return SEGUE_OK;
            continue;
        }
        if (L->index == 0 && pno == L->nheaders && !d->audio_start_known) {
            d->audio_start = pk[i].start_offset;
            d->audio_start_skip = pk[i].start_skip;
            d->audio_start_known = 1;
        }
        if (pk[i].dropped) {
            if (d->strict)
                return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                                       "ogg: packet of %llu bytes ending at offset %lld exceeds the %u-byte limit",
                                       (unsigned long long)d->asm_total, (long long)pg->offset,
                                       OGG_MAX_PACKET);
            if ((st = damage(d, ctx, "ogg: packet of %llu bytes ending at offset %lld exceeds the %u-byte limit; dropped",
                             (unsigned long long)d->asm_total, (long long)pg->offset,
                             OGG_MAX_PACKET)) < 0)
                return st;
            d->next_pos_known = 0;
            continue;
        }
        if (L->codec == CODEC_VORBIS && pk[i].size && (pk[i].data[0] & 1u))
            continue; /* a stray header packet: the codec must not see it */
        if ((st = queue_push(d, ctx, pk[i].data, pk[i].size, 1)) < 0)
            return st;
        uint32_t dur = packet_duration(d, pk[i].data, pk[i].size);
        d->q[d->q_count - 1].frames = dur;
        sumd += dur;
    }

    unsigned naudio = d->q_count - first_q;
    int eos = (pg->flags & OGG_EOS) != 0;
    if (naudio && pg->granule >= 0) {
        int64_t g = pg->granule;
        if (!L->base_known) {
            /* [VORBIS] A.2 / [7845] 4.5: the first granule minus what the
             * packets decode to is the granule of the first sample; on a
             * lone EOS page a short granule is end trimming instead. */
            L->base = (eos && g < sumd) ? 0 : g - sumd;
            L->base_known = 1;
            d->next_pos = L->start_pos;
            d->next_pos_known = 1;
        } else if (!d->next_pos_known) {
            /* Back-computed from the granule, unless it may be short. */
            if (eos)
                goto unknown;
            d->next_pos = L->start_pos + (g - L->base) - sumd;
            d->next_pos_known = 1;
        }
        int64_t end = L->start_pos + (g - L->base);
        int64_t p = d->next_pos;
        for (unsigned i = first_q; i < d->q_count; i++) {
            d->q[i].pts = p;
            p += d->q[i].frames;
        }
        if (eos && p > end) {
            /* [7845] 4.4, vorbis-clip.txt: a short last granule trims. */
            int64_t excess = p - end;
            if (excess > sumd)
                excess = sumd;
            if (d->gapless) {
                for (unsigned i = d->q_count; i-- > first_q && excess > 0;) {
                    int64_t take = excess < d->q[i].frames ? excess : d->q[i].frames;
                    d->q[i].frames -= (uint32_t)take;
                    excess -= take;
                    if (d->q[i].frames == 0 && take > 0 && i == d->q_count - 1)
                        d->q_count--; /* nothing left to output from it */
                }
            }
            p = end > p - sumd ? end : p - sumd;
        }
        d->next_pos = p;
    } else if (naudio && d->next_pos_known) {
        int64_t p = d->next_pos;
        for (unsigned i = first_q; i < d->q_count; i++) {
            d->q[i].pts = p;
            p += d->q[i].frames;
        }
        d->next_pos = p;
    }
unknown:
    if (eos)
        L->eos = 1;
    return SEGUE_OK;
}

static int serial_in_bos(const ogg_demux *d, uint32_t serial)
{
    for (unsigned i = 0; i < d->bos_count; i++)
        if (d->bos_serials[i] == serial)
            return 1;
    return 0;
}

/* A BOS page of another serial during playback: a new chain link. Returns
 * 1 if it starts a link we decode, 0 to ignore the page, or END_OF_STREAM
 * when the link changes format. */
static segue_status start_link(ogg_demux *d, segue_demux_ctx *ctx, int *started)
{
    *started = 0;
    size_t len;
    if (!first_packet(&d->pg, &len))
        return SEGUE_OK;
    int codec = codec_of_packet(d->pg.body, len);
    if (codec == CODEC_NONE)
        return SEGUE_OK;
    ogg_link nl;
    link_from_id(&nl, codec, d->pg.serial);
    const char *why = parse_id(&nl, d->pg.body, len);
    if (why) {
        d->ended = 1;
        return damage(d, ctx, "ogg: chained stream at offset %lld: %s; decoding stops there",
                      (long long)d->pg.offset, why);
    }
    if (codec != d->link.codec || nl.rate != d->link.rate || nl.channels != d->link.channels) {
        d->ended = 1;
        /* A format change mid-stream cannot continue one PCM stream; this
         * is a decision, not damage, so strict mode does not fail on it. */
        int strict = d->strict;
        d->strict = 0;
        segue_status st = damage(d, ctx,
                                 "ogg: chained stream at offset %lld changes to %s %u Hz %u ch (from %s %u Hz %u ch); decoding stops there",
                                 (long long)d->pg.offset, codec == CODEC_VORBIS ? "Vorbis" : "Opus",
                                 nl.rate, nl.channels,
                                 d->link.codec == CODEC_VORBIS ? "Vorbis" : "Opus", d->link.rate,
                                 d->link.channels);
        d->strict = strict;
        return st;
    }
    nl.index = d->links++;
    nl.start_pos = d->next_pos_known ? d->next_pos : 0;
    d->link = nl;
    d->codec_link = nl.index;
    d->prev_bs = -1;
    d->seq_known = 0;
    d->asm_active = 0;
    if (!d->next_pos_known) {
        d->next_pos = nl.start_pos;
        d->next_pos_known = 1;
    }
    *started = 1;
    return SEGUE_OK;
}

/* Reads pages until one of our stream has been processed. */
static segue_status load_next_page(ogg_demux *d, segue_demux_ctx *ctx)
{
    segue_status st;
    if (d->q_next >= d->q_count)
        d->q_next = d->q_count = 0;
    if ((st = apply_tail(d, ctx)) < 0)
        return st;
    for (;;) {
        st = read_page(d, ctx, 1, &d->pg);
        if (st != SEGUE_OK)
            return st;
        if (d->pg.serial == d->link.serial && !((d->pg.flags & OGG_BOS) && d->link.packetno > 0)) {
            if (d->link.eos)
                continue; /* pages after EOS of a finished link */
            return process_page(d, ctx);
        }
        if (d->pg.flags & OGG_BOS) {
            int started;
            if ((st = start_link(d, ctx, &started)) < 0)
                return st;
            if (d->ended)
                return SEGUE_END_OF_STREAM;
            if (started)
                return process_page(d, ctx);
        }
    }
}

static int probe_ogg(const uint8_t *p, size_t size)
{
    if (size < OGG_HEADER || memcmp(p, "OggS", 4) != 0 || p[4] != 0)
        return 0;
    size_t hs = OGG_HEADER + p[26];
    if (size >= hs + 8 && p[26] >= 1) {
        size_t len = p[OGG_HEADER];
        if (len <= size - hs && codec_of_packet(p + hs, len) != CODEC_NONE)
            return 100;
    }
    return 60;
}

static void ogg_demux_close(void *priv, segue_demux_ctx *ctx)
{
    ogg_demux *d = priv;
    if (!d)
        return;
    segue_mem_free(ctx->allocator, d->page);
    segue_mem_free(ctx->allocator, d->asm_buf);
    segue_mem_free(ctx->allocator, d->extradata);
    d->page = d->asm_buf = d->extradata = NULL;
}

/* Resets the packet reader for reading from a new byte position. */
static void reset_reader_state(ogg_demux *d)
{
    d->q_count = d->q_next = 0;
    d->asm_active = 0;
    d->asm_discard = 0;
    d->asm_len = 0;
    d->tail_pending = 0;
    d->next_pos_known = 0;
    d->prev_bs = -1;
    d->seq_known = 0;
    d->skip_packets = 0;
    d->ended = 0;
    d->link = d->link1;
    d->link.packetno = d->link.nheaders;
    d->link.eos = 0;
}

/* Scans the end of a seekable input for the last page of the first link;
 * sets *granule (-1 if none) and d->chained. */
static segue_status scan_end(ogg_demux *d, segue_demux_ctx *ctx, int64_t *granule)
{
    segue_reader *r = ctx->reader;
    int64_t size = d->size;
    *granule = -1;
    uint64_t window = OGG_END_SCAN;
    int64_t scanned_from = size;
    d->quiet = 1;
    for (;;) {
        int64_t from = size - (int64_t)window;
        if (from < d->audio_start)
            from = d->audio_start;
        segue_status st = segue_reader_seek(r, from);
        if (st < 0)
            break;
        ogg_page pg;
        int found = 0;
        while ((st = read_page(d, ctx, 0, &pg)) == SEGUE_OK) {
            if (pg.offset >= scanned_from && found)
                break;
            if ((pg.flags & OGG_BOS) || !serial_in_bos(d, pg.serial))
                d->chained = 1;
            if (pg.serial == d->link1.serial && pg.granule >= 0) {
                *granule = pg.granule;
                found = 1;
            }
        }
        if (st < 0)
            break;
        if (found || d->chained || from <= d->audio_start || window >= OGG_END_SCAN_MAX)
            break;
        scanned_from = from;
        window *= 4;
    }
    d->quiet = 0;
    return SEGUE_OK;
}

static segue_status ogg_demux_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    ogg_demux *d = priv;
    segue_status st;
    crc_init(d->crc);
    d->gapless = ctx->cfg ? ctx->cfg->gapless : 1;
    d->strict = ctx->cfg ? ctx->cfg->strict : 0;
    d->max_metadata = ctx->cfg ? ctx->cfg->max_metadata_bytes : 16u << 20;
    d->prev_bs = -1;
    d->size = segue_reader_seekable(ctx->reader) ? segue_reader_size(ctx->reader) : -1;
    d->page = segue_mem_alloc(ctx->allocator, OGG_MAX_PAGE);
    if (!d->page)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "ogg: cannot allocate the page buffer");

    /* The BOS group ([3533] 4): pick the first Vorbis or Opus stream. */
    const char *other = NULL;
    int chosen = 0;
    unsigned pages = 0;
    for (;;) {
        if ((st = apply_tail(d, ctx)) < 0)
            return st;
        st = read_page(d, ctx, 1, &d->pg);
        if (st < 0)
            return st;
        if (st == SEGUE_END_OF_STREAM) {
            if (!chosen) {
                if (other)
                    return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                                           "ogg: no Vorbis or Opus stream (found %s)", other);
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "ogg: no Vorbis or Opus identification header found");
            }
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "ogg: stream ends after %llu of %u header packets",
                                   (unsigned long long)d->link.packetno, d->link.nheaders);
        }
        pages++;
        if (d->pg.flags & OGG_BOS) {
            if (d->bos_count < OGG_MAX_BOS)
                d->bos_serials[d->bos_count++] = d->pg.serial;
            size_t len;
            int codec = first_packet(&d->pg, &len) ? codec_of_packet(d->pg.body, len) : CODEC_NONE;
            if (!chosen && codec != CODEC_NONE) {
                link_from_id(&d->link, codec, d->pg.serial);
                const char *why = parse_id(&d->link, d->pg.body, len);
                if (why)
                    return segue_error_set(ctx->err, strstr(why, "version") ? SEGUE_ERR_UNSUPPORTED
                                                                            : SEGUE_ERR_CORRUPT,
                                           "ogg: %s", why);
                if (len > sizeof d->id_copy)
                    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                           "ogg: identification header of %zu bytes is too long", len);
                /* Kept for the extradata (and the Opus in-band copy). */
                memcpy(d->id_copy, d->pg.body, len);
                d->hdr_len[0] = len;
                d->links = 1;
                chosen = 1;
            } else if (!chosen && !other) {
                other = first_packet(&d->pg, &len) ? other_codec_name(d->pg.body, len) : "unknown";
            }
        } else if (!chosen && pages > 4096) {
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "ogg: no identification header in the first %u pages", pages);
        }
        if (chosen && d->pg.serial == d->link.serial) {
            if ((st = process_page(d, ctx)) < 0)
                return st;
            if (d->link.packetno >= d->link.nheaders)
                break;
            if (d->link.eos)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "ogg: stream ends after %llu of %u header packets",
                                       (unsigned long long)d->link.packetno, d->link.nheaders);
        }
    }
    ogg_link *L = &d->link;
    if (L->codec == CODEC_OPUS) {
        d->extradata = segue_mem_alloc(ctx->allocator, 2 * d->hdr_len[0]);
        if (!d->extradata)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "ogg: cannot allocate the OpusHead");
        memcpy(d->extradata, d->id_copy, d->hdr_len[0]);
        d->extradata_size = d->hdr_len[0];
        d->opus_noskip = d->extradata + d->hdr_len[0];
        memcpy(d->opus_noskip, d->id_copy, d->hdr_len[0]);
        d->opus_noskip[10] = 0;
        d->opus_noskip[11] = 0;
    } else if (!d->extradata) {
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "ogg: Vorbis setup header missing");
    }

    /* Read on to the first page that completes audio: it fixes the base. */
    while (!L->base_known && !L->eos) {
        if (d->q_count) /* audio packets without a granule yet: keep them */
            break;
        st = load_next_page(d, ctx);
        if (st < 0)
            return st;
        if (st == SEGUE_END_OF_STREAM) {
            d->ended = 1;
            break;
        }
    }
    if (!L->base_known) {
        L->base = 0;
        L->base_known = 1;
    }
    if (!d->audio_start_known) {
        d->audio_start = segue_reader_tell(ctx->reader);
        d->audio_start_known = 1;
    }
    d->link1 = *L;

    int64_t start_trim = L->base < 0 ? -L->base : 0;
    segue_gapless g = {0, 0, 0};
    g.encoder_delay = (uint32_t)((L->codec == CODEC_OPUS ? L->preskip : 0) + start_trim);
    int64_t total = -1;
    if (d->size >= 0) {
        int64_t here = segue_reader_tell(ctx->reader);
        int64_t last = -1;
        if ((st = scan_end(d, ctx, &last)) < 0)
            return st;
        if ((st = segue_reader_seek(ctx->reader, here)) < 0)
            return st;
        if (!d->chained && last >= 0) {
            total = last - L->base - (int64_t)g.encoder_delay;
            if (total < 0)
                total = 0;
        }
    }
    if (total >= 0)
        g.total_frames = (uint64_t)total;
    segue_metadata_set_gapless(ctx->metadata, &g);

    params->codec = L->codec == CODEC_VORBIS ? "vorbis" : "opus";
    params->sample_rate = L->rate;
    params->channels = L->channels;
    params->extradata = d->extradata;
    params->extradata_size = d->extradata_size;
    params->max_packet_frames = L->codec == CODEC_VORBIS ? L->bs[1] : 5760u;
    params->channel_mask = L->channels <= 8 ? ogg_channel_masks[L->channels] : 0;
    ctx->info->container = "ogg";
    if (d->gapless && total >= 0)
        ctx->info->frames = total;
    if (total > 0 && d->size > d->audio_start) {
        double seconds = (double)total / (double)L->rate;
        double bps = (double)(d->size - d->audio_start) * 8.0 / seconds;
        ctx->info->bitrate = bps > 4e9 ? 4000000000u : (uint32_t)bps;
    }
    return SEGUE_OK;
}

static segue_status ogg_demux_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    ogg_demux *d = priv;
    while (d->q_next >= d->q_count) {
        if (d->ended)
            return SEGUE_END_OF_STREAM;
        segue_status st = load_next_page(d, ctx);
        if (st < 0)
            return st;
        if (st == SEGUE_END_OF_STREAM) {
            d->ended = 1;
            if (d->asm_active || d->tail_pending) {
                d->tail_pending = 0;
                d->asm_active = 0;
                if ((st = damage(d, ctx, "ogg: stream ends inside a packet")) < 0)
                    return st;
            }
        }
    }
    const ogg_qpkt *q = &d->q[d->q_next++];
    pkt->data = q->data;
    pkt->size = q->size;
    pkt->pts = q->pts;
    pkt->frames = q->frames;
    pkt->flags = 0;
    return SEGUE_OK;
}

/* Positions at the first audio page, where the stream position is 0. */
static segue_status rewind_to_start(ogg_demux *d, segue_demux_ctx *ctx)
{
    reset_reader_state(d);
    d->skip_packets = d->audio_start_skip;
    d->next_pos = 0;
    d->next_pos_known = 1;
    segue_status st = queue_link1_headers(d, ctx);
    if (st < 0)
        return st;
    return segue_reader_seek(ctx->reader, d->audio_start);
}

/* The first page of the first link at or after `from` whose granule is
 * set; *found 0 if none before `limit` (or before another link starts). */
static segue_status granule_page_after(ogg_demux *d, segue_demux_ctx *ctx, int64_t from,
                                       int64_t limit, ogg_page *pg, int *found)
{
    *found = 0;
    segue_status st = segue_reader_seek(ctx->reader, from);
    if (st < 0)
        return st;
    while ((st = read_page(d, ctx, 0, pg)) == SEGUE_OK) {
        if (pg->offset >= limit)
            break;
        if (pg->serial != d->link1.serial) {
            if (pg->flags & OGG_BOS)
                break; /* a later link: the first one is over */
            continue;
        }
        if (pg->granule >= 0) {
            *found = 1;
            break;
        }
    }
    return st < 0 ? st : SEGUE_OK;
}

static segue_status ogg_demux_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    ogg_demux *d = priv;
    segue_status st;
    if (!segue_reader_seekable(ctx->reader) || d->size < 0)
        return segue_error_set(ctx->err, SEGUE_ERR_NOT_SEEKABLE, "ogg: input is not seekable");
    if (frame < 0)
        return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT, "ogg: seek to frame %lld",
                               (long long)frame);
    const ogg_link *L1 = &d->link1;
    int64_t preroll = L1->codec == CODEC_OPUS ? OPUS_PREROLL : (int64_t)L1->bs[1] / 2;
    int64_t goal = frame - preroll; /* stream position the chosen page may end at */
    if (goal <= 0) {
        *landed = 0;
        return rewind_to_start(d, ctx);
    }
    int64_t goal_granule = goal - L1->start_pos + L1->base;

    /* Bisection ([7845] 4.6 / the classic Ogg seek): lo always starts a
     * region whose first granule page is at or before the goal. */
    d->quiet = 1;
    int64_t lo = d->audio_start, hi = d->size, best = -1;
    ogg_page pg;
    int found;
    for (int iter = 0; iter < 64 && hi - lo > 2 * (int64_t)OGG_MAX_PAGE; iter++) {
        int64_t mid = lo + (hi - lo) / 2;
        if ((st = granule_page_after(d, ctx, mid, hi, &pg, &found)) < 0)
            break;
        if (!found || (pg.flags & OGG_EOS)) {
            hi = mid; /* an EOS granule may be short: land before it */
        } else if (pg.granule <= goal_granule) {
            lo = pg.offset;
            best = pg.offset;
        } else {
            hi = mid;
        }
    }
    /* Forward scan from lo for the last page at or before the goal. */
    st = segue_reader_seek(ctx->reader, lo);
    while (st >= 0 && (st = read_page(d, ctx, 0, &pg)) == SEGUE_OK) {
        if (pg.serial != L1->serial) {
            if (pg.flags & OGG_BOS)
                break;
            continue;
        }
        if (pg.granule < 0)
            continue;
        if (pg.granule > goal_granule || (pg.flags & OGG_EOS))
            break;
        best = pg.offset;
        if (pg.offset > hi + 4 * (int64_t)OGG_MAX_PAGE)
            break;
    }
    d->quiet = 0;
    if (st < 0)
        return st;
    if (best < 0) {
        *landed = 0;
        return rewind_to_start(d, ctx);
    }

    /* Read from that page up to the first audio packet with a position. */
    reset_reader_state(d);
    if ((st = queue_link1_headers(d, ctx)) < 0)
        return st;
    unsigned injected = d->q_count;
    if ((st = segue_reader_seek(ctx->reader, best)) < 0)
        return st;
    d->quiet = 1;
    int64_t pos = -1;
    for (int pages = 0; pages < 64 && pos < 0; pages++) {
        unsigned before = d->q_count;
        st = apply_tail(d, ctx);
        if (st >= 0)
            st = read_page(d, ctx, 1, &d->pg);
        if (st != SEGUE_OK)
            break;
        if (d->pg.serial != L1->serial)
            continue;
        if ((st = process_page(d, ctx)) < 0)
            break;
        for (unsigned i = before; i < d->q_count && pos < 0; i++) {
            if (!d->q[i].audio)
                continue;
            if (d->q[i].pts >= 0)
                pos = d->q[i].pts;
            else
                break;
        }
        if (pos < 0 && d->q_count > injected)
            break; /* packets without a position: give up on this spot */
    }
    d->quiet = 0;
    if (st < 0 && st != SEGUE_END_OF_STREAM)
        return st;
    if (pos < 0 || pos > frame) {
        *landed = 0;
        return rewind_to_start(d, ctx);
    }
    *landed = pos;
    return SEGUE_OK;
}

const segue_demuxer_desc segue_demuxer_ogg = {
    .name = "ogg",
    .priv_size = sizeof(ogg_demux),
    .probe = probe_ogg,
    .open = ogg_demux_open,
    .read_packet = ogg_demux_read_packet,
    .seek = ogg_demux_seek,
    .close = ogg_demux_close,
};

/* ---- muxer ---------------------------------------------------------------------------- */

#define MUX_PAGE_BYTES 4096u

typedef struct mux_packet {
    size_t size;
    int64_t granule;
} mux_packet;

typedef struct ogg_mux {
    uint32_t crc[256];
    int codec;
    uint32_t serial, seq;
    uint32_t rate, scale, preskip48;
    uint8_t *data;          /* bytes of the buffered packets, back to back */
    size_t data_len, data_cap;
    mux_packet *pk;
    size_t npk, pk_cap;
    size_t head_written;    /* bytes of pk[0] already on earlier pages */
    uint64_t buffered_frames;
    int64_t granule;        /* end position of the last packet written */
    uint64_t pages;
    int opened;
    /* Late loudness: the comment header's pages, rewritten at finish. */
    char vendor[128];
    int64_t comment_at;     /* file offset of its first page */
    uint32_t comment_seq;   /* sequence number of that page */
    size_t comment_size;    /* the packet's fixed size */
    size_t comment_pages_size; /* bytes of its pages */
} ogg_mux;

/* Late loudness: zero bytes added to the comment packet beyond the
 * placeholder values (core/encoder.c) so that the final values always fit. */
#define OGG_LATE_PADDING 256u

static segue_status ogg_mux_setup(const segue_encoder_config *cfg, segue_codec_params *params,
                                  segue_error *err)
{
    const char *codec = cfg->codec ? cfg->codec : "vorbis";
    if (strcmp(codec, "vorbis") != 0 && strcmp(codec, "opus") != 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "ogg: codec '%s' cannot be written; the ogg muxer stores vorbis or opus",
                               codec);
    if (cfg->channels < 1 || cfg->channels > OGG_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "ogg: %u channels; 1..%u supported (Vorbis/Opus channel orders)",
                               cfg->channels, OGG_MAX_CHANNELS);
    params->codec = codec[0] == 'v' ? "vorbis" : "opus";
    params->sample_rate = cfg->sample_rate;
    params->channels = cfg->channels;
    params->channel_mask = ogg_channel_masks[cfg->channels];
    params->sample_format = SEGUE_SAMPLE_F32;
    return SEGUE_OK;
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

/* Writes one page holding as much of the buffered packets as fits. */
static segue_status write_one_page(ogg_mux *m, segue_mux_ctx *ctx, int final, int64_t final_granule)
{
    uint8_t hdr[OGG_HEADER + OGG_MAX_SEGMENTS];
    unsigned nseg = 0;
    size_t body = 0;
    size_t done = 0;           /* packets completed on this page */
    size_t partial = 0;        /* bytes of the next packet that continue */
    int64_t granule = -1;
    int cont = m->head_written > 0;
    for (size_t j = 0; j < m->npk; j++) {
        size_t left = m->pk[j].size - (j == 0 ? m->head_written : 0);
        size_t used = 0;
        while (nseg < OGG_MAX_SEGMENTS && left - used >= 255) {
            hdr[OGG_HEADER + nseg++] = 255;
            used += 255;
        }
        if (nseg == OGG_MAX_SEGMENTS) {
            partial = used;
            break;
        }
        hdr[OGG_HEADER + nseg++] = (uint8_t)(left - used);
        body += left;
        granule = m->pk[j].granule;
        done++;
        if (nseg == OGG_MAX_SEGMENTS)
            break;
    }
    body += partial;
    int last = final && done == m->npk;
    if (last)
        granule = final_granule;
    memcpy(hdr, "OggS", 4);
    hdr[4] = 0;
    hdr[5] = (uint8_t)((cont ? OGG_CONTINUED : 0) | (m->pages == 0 ? OGG_BOS : 0) | (last ? OGG_EOS : 0));
    segue_wl64(hdr + 6, (uint64_t)granule);
    segue_wl32(hdr + 14, m->serial);
    segue_wl32(hdr + 18, m->seq);
    segue_wl32(hdr + 22, 0);
    hdr[26] = (uint8_t)nseg;
    uint32_t crc = crc_update(m->crc, 0, hdr, OGG_HEADER + nseg);
    crc = crc_update(m->crc, crc, m->data, body);
    segue_wl32(hdr + 22, crc);
    segue_status st = segue_writer_write(ctx->writer, hdr, OGG_HEADER + nseg);
    if (st >= 0)
        st = segue_writer_write(ctx->writer, m->data, body);
    if (st < 0)
        return st;
    m->seq++;
    m->pages++;
    memmove(m->data, m->data + body, m->data_len - body);
    m->data_len -= body;
    if (done) {
        memmove(m->pk, m->pk + done, (m->npk - done) * sizeof *m->pk);
        m->npk -= done;
        m->head_written = 0;
    }
    m->head_written += partial;
    return SEGUE_OK;
}

/* Writes all buffered packets; with `final`, the last page gets EOS and
 * `final_granule`. */
static segue_status flush_pages(ogg_mux *m, segue_mux_ctx *ctx, int final, int64_t final_granule)
{
    segue_status st = SEGUE_OK;
    while (m->npk && st >= 0)
        st = write_one_page(m, ctx, final, final_granule);
    m->buffered_frames = 0;
    return st;
}

static segue_status buffer_packet(ogg_mux *m, segue_mux_ctx *ctx, const uint8_t *p, size_t n,
                                  int64_t granule)
{
    if (m->npk == m->pk_cap) {
        size_t cap = m->pk_cap ? m->pk_cap * 2 : 64;
        mux_packet *b = segue_mem_realloc(ctx->allocator, m->pk, m->pk_cap * sizeof *m->pk,
                                          cap * sizeof *m->pk);
        if (!b)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "ogg: cannot allocate packet list");
        m->pk = b;
        m->pk_cap = cap;
    }
    if (m->data_len + n > m->data_cap) {
        size_t cap = m->data_cap ? m->data_cap : 16384;
        while (cap < m->data_len + n)
            cap *= 2;
        uint8_t *b = segue_mem_realloc(ctx->allocator, m->data, m->data_cap, cap);
        if (!b)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY,
                                   "ogg: cannot allocate %zu bytes of page data", cap);
        m->data = b;
        m->data_cap = cap;
    }
    if (n)
        memcpy(m->data + m->data_len, p, n);
    m->data_len += n;
    m->pk[m->npk].size = n;
    m->pk[m->npk].granule = granule;
    m->npk++;
    return SEGUE_OK;
}

/* The comment header packet: magic, comment block, the Vorbis framing bit,
 * then with `fixed` > 0 zero bytes up to `fixed` bytes (late loudness).
 * Padding is what both formats allow after the comments:
 *   Opus: [7845] 5.2 lets the packet continue after the comment list;
 *   data whose first byte has its least significant bit clear is padding
 *   that readers skip and editors may drop.
 *   Vorbis: [VORBIS] 5.2.1 ends the packet with the framing bit and says
 *   nothing about bytes after it; libvorbis (_vorbis_unpack_comment, 1.3.7)
 *   checks the framing bit and stops reading there, ffmpeg's
 *   ff_vorbis_comment() parses only the counted fields, and mutagen pads
 *   Vorbis comment packets with zeros after the framing bit itself when it
 *   saves tags, so zero padding after it is read everywhere we checked. */
static segue_status build_comment(ogg_mux *m, segue_mux_ctx *ctx, size_t fixed, uint8_t **out,
                                  size_t *out_len)
{
    uint8_t *block = NULL;
    size_t block_size = 0;
    *out = NULL;
    segue_status st = segue_vorbiscomment_write(ctx->metadata, m->vendor, SEGUE_VC_PICTURES_INLINE,
                                                m->codec == CODEC_OPUS, ctx->allocator, &block,
                                                &block_size, ctx->err);
    if (st < 0)
        return st;
    size_t magic = m->codec == CODEC_OPUS ? 8 : 7;
    size_t clen = magic + block_size + (m->codec == CODEC_VORBIS ? 1 : 0);
    if (fixed && clen > fixed) {
        segue_mem_free(ctx->allocator, block);
        return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                               "ogg: the final comment header takes %zu bytes, %zu were reserved",
                               clen, fixed);
    }
    size_t total = fixed ? fixed : clen;
    uint8_t *comment = segue_mem_calloc(ctx->allocator, 1, total);
    if (!comment) {
        segue_mem_free(ctx->allocator, block);
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "ogg: cannot allocate the comment header");
    }
    memcpy(comment, m->codec == CODEC_OPUS ? "OpusTags" : "\x03vorbis", magic);
    if (block_size)
        memcpy(comment + magic, block, block_size);
    if (m->codec == CODEC_VORBIS)
        comment[clen - 1] = 1;
    segue_mem_free(ctx->allocator, block);
    *out = comment;
    *out_len = total;
    return SEGUE_OK;
}

/* Late loudness: the pages of one packet that starts on a fresh page and
 * is alone on its pages (the comment header, [7845] 3 / [VORBIS] A.2), laced
 * exactly as write_one_page() would: 255 segments a page, granule -1 on
 * pages where the packet does not end ([3533] 6: -1 when no packet ends on
 * the page), 0 on the last. The layout depends only on the packet's size, so a packet of the
 * same size gives the same pages. *out is allocated; *out_len its bytes;
 * *npages the page count. */
static segue_status lone_packet_pages(ogg_mux *m, segue_mux_ctx *ctx, const uint8_t *pkt,
                                      size_t len, uint32_t seq, uint8_t **out, size_t *out_len,
                                      uint32_t *npages)
{
    size_t max_pages = len / (OGG_MAX_SEGMENTS * 255u) + 2;
    uint8_t *buf = segue_mem_alloc(ctx->allocator, len + max_pages * (OGG_HEADER + OGG_MAX_SEGMENTS));
    if (!buf)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "ogg: cannot allocate comment pages");
    size_t o = 0, offset = 0;
    uint32_t pages = 0;
    for (int done = 0; !done; pages++) {
        uint8_t *hdr = buf + o;
        unsigned nseg = 0;
        size_t left = len - offset, used = 0;
        while (nseg < OGG_MAX_SEGMENTS && left - used >= 255) {
            hdr[OGG_HEADER + nseg++] = 255;
            used += 255;
        }
        int64_t granule = -1;
        if (nseg < OGG_MAX_SEGMENTS) {
            hdr[OGG_HEADER + nseg++] = (uint8_t)(left - used);
            used = left;
            granule = 0;
            done = 1;
        }
        memcpy(hdr, "OggS", 4);
        hdr[4] = 0;
        hdr[5] = (uint8_t)(offset ? OGG_CONTINUED : 0);
        segue_wl64(hdr + 6, (uint64_t)granule);
        segue_wl32(hdr + 14, m->serial);
        segue_wl32(hdr + 18, seq + pages);
        segue_wl32(hdr + 22, 0);
        hdr[26] = (uint8_t)nseg;
        memcpy(hdr + OGG_HEADER + nseg, pkt + offset, used);
        segue_wl32(hdr + 22, crc_update(m->crc, 0, hdr, OGG_HEADER + nseg + used));
        o += OGG_HEADER + nseg + used;
        offset += used;
    }
    *out = buf;
    *out_len = o;
    *npages = pages;
    return SEGUE_OK;
}

static segue_status ogg_mux_open(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params)
{
    ogg_mux *m = priv;
    crc_init(m->crc);
    m->codec = strcmp(params->codec, "opus") == 0 ? CODEC_OPUS : CODEC_VORBIS;
    m->rate = params->sample_rate;
    m->scale = 1;
    const uint8_t *hp[3] = {NULL, NULL, NULL};
    size_t hl[3] = {0, 0, 0};
    char *vendor = m->vendor;
    const size_t vendor_cap = sizeof m->vendor;
    if (m->codec == CODEC_OPUS) {
        if (!params->extradata || params->extradata_size < 19 ||
            memcmp(params->extradata, "OpusHead", 8) != 0)
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "ogg: opus encoder gave no OpusHead");
        if (m->rate == 0 || OPUS_RATE % m->rate)
            return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "ogg: Opus input rate %u Hz does not divide 48000", m->rate);
        m->scale = OPUS_RATE / m->rate;
        m->preskip48 = segue_rl16(params->extradata + 10);
        hp[0] = params->extradata;
        hl[0] = params->extradata_size;
        snprintf(vendor, vendor_cap, "segue %s", segue_version_string());
    } else {
        if (!params->extradata || !segue_xiph_unlace3(params->extradata, params->extradata_size, hp, hl) ||
            codec_of_packet(hp[0], hl[0]) != CODEC_VORBIS || hl[2] < 7 || hp[2][0] != 5)
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                                   "ogg: vorbis encoder gave no header packets");
        /* Keep libvorbis's vendor string ([VORBIS] 5.2.1). */
        snprintf(vendor, vendor_cap, "segue %s", segue_version_string());
        if (hl[1] >= 11 && hp[1][0] == 3) {
            uint32_t vl = segue_rl32(hp[1] + 7);
            if (vl <= hl[1] - 11 && vl < vendor_cap)
                snprintf(vendor, vendor_cap, "%.*s", (int)vl, (const char *)hp[1] + 11);
        }
    }
    if (ctx->cfg && ctx->cfg->channel_mask &&
        ctx->cfg->channel_mask != ogg_channel_masks[params->channels] && ctx->unmapped) {
        segue_status mst = segue_metadata_add_unmapped(
            ctx->unmapped, "CHANNEL_MASK",
            "ogg: Vorbis and Opus fix the speaker layout by channel count; the mask is not stored");
        if (mst < 0)
            return segue_error_set(ctx->err, mst, "ogg: cannot record an unmapped field");
    }
    /* The comment packet: magic + block (+ the Vorbis framing bit); with
     * late loudness padded so the final values fit in the same pages. */
    uint8_t *comment = NULL;
    size_t clen = 0;
    segue_status st = build_comment(m, ctx, 0, &comment, &clen);
    if (st < 0)
        return st;
    int late = ctx->cfg && ctx->cfg->late_loudness;
    if (late) {
        segue_mem_free(ctx->allocator, comment);
        m->comment_size = clen + OGG_LATE_PADDING;
        if ((st = build_comment(m, ctx, m->comment_size, &comment, &clen)) < 0)
            return st;
    }

    uint32_t h = 2166136261u;
    h = fnv1a(h, params->codec, strlen(params->codec));
    h = fnv1a(h, &params->sample_rate, sizeof params->sample_rate);
    h = fnv1a(h, &params->channels, sizeof params->channels);
    h = fnv1a(h, params->extradata, params->extradata_size);
    h = fnv1a(h, comment, clen);
    m->serial = h;

    /* [7845] 3 / [VORBIS] A.2: ID header alone on the BOS page, then the
     * comment (and setup) headers, audio on fresh pages; granule 0. */
    st = buffer_packet(m, ctx, hp[0], hl[0], 0);
    if (st >= 0)
        st = flush_pages(m, ctx, 0, 0);
    if (st >= 0 && late) {
        /* Paged here rather than buffered so finish can page the final
         * packet the same way (lone_packet_pages). */
        uint8_t *pages = NULL;
        uint32_t npages = 0;
        m->comment_at = segue_writer_tell(ctx->writer);
        m->comment_seq = m->seq;
        st = lone_packet_pages(m, ctx, comment, clen, m->seq, &pages, &m->comment_pages_size, &npages);
        if (st >= 0)
            st = segue_writer_write(ctx->writer, pages, m->comment_pages_size);
        segue_mem_free(ctx->allocator, pages);
        m->seq += npages;
        m->pages += npages;
    } else if (st >= 0) {
        st = buffer_packet(m, ctx, comment, clen, 0);
    }
    segue_mem_free(ctx->allocator, comment);
    if (st >= 0 && m->codec == CODEC_VORBIS) {
        st = flush_pages(m, ctx, 0, 0);
        if (st >= 0)
            st = buffer_packet(m, ctx, hp[2], hl[2], 0);
    }
    if (st >= 0)
        st = flush_pages(m, ctx, 0, 0);
    m->opened = st >= 0;
    return st;
}

static segue_status ogg_mux_write_packet(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt)
{
    ogg_mux *m = priv;
    if (pkt->flags & SEGUE_PACKET_HEADER_UPDATE)
        return SEGUE_OK;
    /* Close the buffered page before this packet once it is full: the
     * newest packet is always kept back for a possible last page. */
    if (m->npk && (m->data_len >= MUX_PAGE_BYTES || m->buffered_frames >= m->rate ||
                   m->npk >= OGG_MAX_SEGMENTS - 8)) {
        segue_status st = flush_pages(m, ctx, 0, 0);
        if (st < 0)
            return st;
    }
    if (pkt->pts >= 0)
        m->granule = pkt->pts + (int64_t)pkt->frames;
    else
        m->granule += pkt->frames;
    m->buffered_frames += pkt->frames;
    return buffer_packet(m, ctx, pkt->data, pkt->size, m->granule * (int64_t)m->scale);
}

/* Late loudness: the comment header from the final record, at the size
 * reserved at open, paged as before and written over the old pages (same
 * page boundaries and sequence numbers; new CRCs). */
static segue_status rewrite_comment(ogg_mux *m, segue_mux_ctx *ctx)
{
    uint8_t *comment = NULL, *pages = NULL;
    size_t clen = 0, plen = 0;
    uint32_t npages = 0;
    segue_status st = build_comment(m, ctx, m->comment_size, &comment, &clen);
    if (st < 0)
        return st;
    st = lone_packet_pages(m, ctx, comment, clen, m->comment_seq, &pages, &plen, &npages);
    segue_mem_free(ctx->allocator, comment);
    if (st >= 0 && plen != m->comment_pages_size)
        st = segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                             "ogg: comment pages changed size (%zu, %zu bytes)", plen,
                             m->comment_pages_size);
    if (st >= 0)
        st = segue_writer_patch(ctx->writer, m->comment_at, pages, plen);
    segue_mem_free(ctx->allocator, pages);
    return st;
}

static segue_status ogg_mux_finish(void *priv, segue_mux_ctx *ctx)
{
    ogg_mux *m = priv;
    if (ctx->cfg && ctx->cfg->late_loudness && m->comment_size) {
        segue_status st = rewrite_comment(m, ctx);
        if (st < 0)
            return st;
    }
    /* [7845] 4.4: the last granule is pre-skip + the input length (48 kHz);
     * [VORBIS] A.2: the input length. Decoders trim what lies beyond. */
    int64_t final_granule = (int64_t)m->preskip48 + (int64_t)ctx->input_frames * (int64_t)m->scale;
    if (m->npk)
        return flush_pages(m, ctx, 1, final_granule);
    /* No audio packet at all: an empty EOS page ends the stream. */
    uint8_t hdr[OGG_HEADER];
    memcpy(hdr, "OggS", 4);
    hdr[4] = 0;
    hdr[5] = OGG_EOS;
    segue_wl64(hdr + 6, (uint64_t)final_granule);
    segue_wl32(hdr + 14, m->serial);
    segue_wl32(hdr + 18, m->seq++);
    segue_wl32(hdr + 22, 0);
    hdr[26] = 0;
    segue_wl32(hdr + 22, crc_update(m->crc, 0, hdr, OGG_HEADER));
    return segue_writer_write(ctx->writer, hdr, OGG_HEADER);
}

static void ogg_mux_close(void *priv, segue_mux_ctx *ctx)
{
    ogg_mux *m = priv;
    if (!m)
        return;
    segue_mem_free(ctx->allocator, m->data);
    segue_mem_free(ctx->allocator, m->pk);
    m->data = NULL;
    m->pk = NULL;
}

const segue_muxer_desc segue_muxer_ogg = {
    .name = "ogg",
    .extensions = "ogg oga opus",
    .default_codec = "vorbis",
    .priv_size = sizeof(ogg_mux),
    .setup = ogg_mux_setup,
    .open = ogg_mux_open,
    .write_packet = ogg_mux_write_packet,
    .finish = ogg_mux_finish,
    .close = ogg_mux_close,
    .late_loudness = 1,
};
