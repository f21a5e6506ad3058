/*
 * container/wav.c - WAV (RIFF/WAVE), RF64 and BW64 demuxer, WAV/RF64 muxer.
 *
 * References:
 *   [RIFF]  Microsoft/IBM "Multimedia Programming Interface and Data
 *           Specifications 1.0" (1991): chunk layout, word alignment, LIST/INFO.
 *   [WFX]   Microsoft docs, WAVEFORMATEX and WAVEFORMATEXTENSIBLE, and
 *           "Multiple channel audio data and WAVE files" (when to use
 *           WAVE_FORMAT_EXTENSIBLE, channel mask order).
 *   [3306]  EBU Tech 3306 v1.1 "MBWF/RF64": the RF64 header, the ds64 chunk,
 *           and the JUNK-reservation advice (section 3.5 / annex).
 *   [2088]  ITU-R BS.2088 (BW64): same layout as RF64 with id "BW64".
 *
 * Demuxer decisions:
 *   - Seekable input: every chunk is visited (tags may follow the audio),
 *     then the reader returns to the data chunk. Unseekable input: parsing
 *     stops at the data chunk, so LIST/id3 chunks placed after the audio are
 *     not read (they cannot be, without buffering the whole stream).
 *   - Damage after the audio on a seekable file (trailing garbage, a
 *     truncated last chunk) ends the chunk scan quietly unless cfg->strict;
 *     so does reaching the end the RIFF size gives (bytes appended after
 *     the RIFF, such as an ID3v1 tag, are not chunks).
 *   - A damaged id3 tag is recorded in the unmapped list (strict: an error);
 *     the audio is still decoded.
 *   - Unknown-length markers: a plain RIFF data size of 0xFFFFFFFF, or 0 with
 *     a RIFF size of 0 or 0xFFFFFFFF (ffmpeg/sox writing to a pipe), and an
 *     RF64 ds64 data size of 0 (ffmpeg's pipe output) or all ones mean "to
 *     the end of the stream".
 *   - A trailing partial frame is dropped.
 *   - RIFF-AT3 (Sony ATRAC in RIFF/WAVE): format tag 0x0270 is ATRAC3, its
 *     14 extra fmt bytes go to the decoder as extradata; WAVE_FORMAT_
 *     EXTENSIBLE with Sony's ATRAC3plus sub-format GUID is ATRAC3plus. A
 *     packet is one coded frame of nBlockAlign bytes. The `fact` chunk
 *     (total samples, then the encoder's skip) drives the ATRAC gapless rule
 *     of wav_internal.h; the first `smpl` loop becomes LOOPSTART and
 *     LOOPLENGTH tags (samples, the convention game-audio tools use in
 *     Vorbis comments).
 */
#include <stdio.h>
#include <string.h>

#include "container/container.h"
#include "container/id3v2.h"
#include "container/wav_internal.h"
#include "core/speakers.h"
#include "core/alloc.h"

#define WAV_MAX_CHANNELS 32u
#define WAV_MAX_RATE 768000u
#define WAV_PACKET_FRAMES 4096u
#define WAV_RIFF_LIMIT UINT64_C(0xFFFFFFFF)
#define WAV_DS64_BODY 28u      /* ds64 without table [3306] 2.2 */
#define WAV_DS64_TABLE_MAX 16u /* ds64 table entries kept; the rest are ignored */
#define WAV_FMT_MAX 4096u      /* largest believable fmt chunk */

/* Format tags [WFX] / mmreg.h. */
enum {
    WAVE_FORMAT_PCM = 0x0001,
    WAVE_FORMAT_IEEE_FLOAT = 0x0003,
    WAVE_FORMAT_SONY_ATRAC3 = 0x0270,
    WAVE_FORMAT_EXTENSIBLE = 0xFFFE
};

/* KSDATAFORMAT_SUBTYPE_* GUIDs are {tag-0000-0010-8000-00AA00389B71}; these
 * are bytes 4..15 in file order (Data2 and Data3 little-endian). */
static const uint8_t ks_guid_tail[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                                         0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
/* Sony's ATRAC3plus sub-format {E923AABF-CB58-4471-A119-FFFA01E4CE62}. */
static const uint8_t atrac3plus_guid[16] = {0xBF, 0xAA, 0x23, 0xE9, 0x58, 0xCB, 0x71, 0x44,
                                            0xA1, 0x19, 0xFF, 0xFA, 0x01, 0xE4, 0xCE, 0x62};


static const char *format_tag_name(unsigned tag)
{
    switch (tag) {
    case 0x0002: return "Microsoft ADPCM";
    case 0x0006: return "A-law";
    case 0x0007: return "mu-law";
    case 0x0011: return "IMA ADPCM";
    case 0x0031: return "GSM 6.10";
    case 0x0050: return "MPEG Layer I/II";
    case 0x0055: return "MPEG Layer III";
    case 0x0092: return "Dolby AC-3 SPDIF";
    case 0x00FF: return "AAC";
    case 0x0160: return "WMA v1";
    case 0x0161: return "WMA";
    case 0x0162: return "WMA Pro";
    case 0x0163: return "WMA Lossless";
    case 0x0270: return "Sony ATRAC3";
    case 0x1610: return "HE-AAC";
    case 0x2000: return "Dolby AC-3";
    case 0x2001: return "DTS";
    case 0xF1AC: return "FLAC";
    default: return "unknown";
    }
}

static int fourcc_is(const uint8_t *p, const char *id) { return memcmp(p, id, 4) == 0; }

/* Chunk ids are four printable ASCII characters [RIFF] 2. */
static int fourcc_printable(const uint8_t *p)
{
    for (int i = 0; i < 4; i++)
        if (p[i] < 0x20 || p[i] > 0x7E)
            return 0;
    return 1;
}

/* ---- fmt ------------------------------------------------------------------ */

typedef struct wav_format {
    uint16_t tag; /* effective: PCM or IEEE_FLOAT (sub-format of EXTENSIBLE) */
    uint16_t channels;
    uint32_t rate;
    uint16_t block_align;
    uint16_t container_bits;
    uint16_t valid_bits;
    uint32_t channel_mask;
    segue_sample_format sample_format;
    /* RIFF-AT3: the codec ("atrac3", "atrac3plus"), NULL for PCM/float. */
    const char *coded;
    uint8_t extradata[14]; /* ATRAC3: the fmt chunk's 14 extension bytes */
} wav_format;

/* ATRAC3 [WFX] 0x0270: WAVEFORMATEX with cbSize 14, the extension bytes
 * kept as the decoder's setup; ATRAC3plus: the EXTENSIBLE header with
 * Sony's GUID (Sony adds codec config bytes after it; unused here). */
static segue_status parse_coded_fmt(segue_error *err, const uint8_t *b, uint32_t chunk_size,
                                    int plus, wav_format *f)
{
    if (!plus) {
        if (chunk_size < 32 || segue_rl16(b + 16) < 14)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "wav: ATRAC3 'fmt ' chunk of %u bytes lacks the 14 extension bytes",
                                   chunk_size);
        memcpy(f->extradata, b + 18, 14);
    }
    f->coded = plus ? "atrac3plus" : "atrac3";
    f->tag = (uint16_t)(plus ? WAVE_FORMAT_EXTENSIBLE : WAVE_FORMAT_SONY_ATRAC3);
    if (plus)
        f->channel_mask = segue_rl32(b + 20);
    if (f->channels == 0 || f->channels > 8)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "wav: %s with %u channels", f->coded,
                               f->channels);
    if (f->rate == 0 || f->rate > WAV_MAX_RATE)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "wav: %s at %u Hz", f->coded, f->rate);
    /* nBlockAlign is 16-bit, so a frame always fits the reader's 64 KiB
     * buffer (one packet is one peek). */
    if (f->block_align == 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "wav: %s frame size (nBlockAlign) is %u",
                               f->coded, f->block_align);
    return SEGUE_OK;
}

/* Validates a fmt chunk: `b` holds its first min(chunk_size, 40) bytes. */
static segue_status parse_fmt(segue_error *err, const uint8_t *b, uint32_t chunk_size,
                              wav_format *f)
{
    /* [WFX] WAVEFORMAT: wFormatTag, nChannels, nSamplesPerSec,
     * nAvgBytesPerSec, nBlockAlign, then wBitsPerSample (PCMWAVEFORMAT). */
    if (chunk_size < 16)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "wav: 'fmt ' chunk is %u bytes, need 16",
                               chunk_size);
    memset(f, 0, sizeof *f);
    unsigned tag = segue_rl16(b);
    f->channels = segue_rl16(b + 2);
    f->rate = segue_rl32(b + 4);
    f->block_align = segue_rl16(b + 12);
    f->container_bits = segue_rl16(b + 14);
    f->valid_bits = f->container_bits;
    if (tag == WAVE_FORMAT_EXTENSIBLE) {
        /* [WFX] WAVEFORMATEXTENSIBLE: cbSize >= 22, wValidBitsPerSample,
         * dwChannelMask, SubFormat GUID. */
        if (chunk_size < 40)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "wav: WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is %u bytes, need 40",
                                   chunk_size);
        unsigned cb_size = segue_rl16(b + 16);
        if (cb_size < 22)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "wav: WAVE_FORMAT_EXTENSIBLE cbSize is %u, need 22", cb_size);
        const uint8_t *guid = b + 24;
        if (memcmp(guid, atrac3plus_guid, 16) == 0)
            return parse_coded_fmt(err, b, chunk_size, 1, f);
        if (memcmp(guid + 4, ks_guid_tail, 12) != 0 || segue_rl16(guid + 2) != 0)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "wav: WAVE_FORMAT_EXTENSIBLE sub-format {%08X-%04X-%04X-...} not supported",
                                   segue_rl32(guid), segue_rl16(guid + 4), segue_rl16(guid + 6));
        tag = segue_rl16(guid);
        unsigned valid = segue_rl16(b + 18);
        /* 0 is written by some tools for "all bits valid". */
        f->valid_bits = (uint16_t)(valid ? valid : f->container_bits);
        f->channel_mask = segue_rl32(b + 20);
        if (tag != WAVE_FORMAT_PCM && tag != WAVE_FORMAT_IEEE_FLOAT)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "wav: WAVE_FORMAT_EXTENSIBLE sub-format 0x%04X (%s) not supported yet",
                                   tag, format_tag_name(tag));
    } else if (tag == WAVE_FORMAT_SONY_ATRAC3) {
        return parse_coded_fmt(err, b, chunk_size, 0, f);
    } else if (tag != WAVE_FORMAT_PCM && tag != WAVE_FORMAT_IEEE_FLOAT) {
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "wav: format tag 0x%04X (%s) not supported yet",
                               tag, format_tag_name(tag));
    }
    f->tag = (uint16_t)tag;
    if (f->channels == 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "wav: nChannels is 0");
    if (f->channels > WAV_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "wav: %u channels, at most %u supported",
                               f->channels, WAV_MAX_CHANNELS);
    if (f->rate == 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "wav: sample rate is 0");
    if (f->rate > WAV_MAX_RATE)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "wav: sample rate %u Hz above the %u Hz limit",
                               f->rate, WAV_MAX_RATE);
    if (f->container_bits == 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "wav: wBitsPerSample is 0");
    /* Integer samples narrower than their container are stored in the next
     * whole byte, left-justified ([WFX]: "wBitsPerSample should be a multiple
     * of 8"; 12- and 20-bit WAVEFORMATEX files round up the same way). */
    unsigned bytes = (f->container_bits + 7u) / 8u;
    if (tag == WAVE_FORMAT_PCM) {
        if (bytes > 4)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "wav: %u-bit integer PCM not supported (at most 32)", f->container_bits);
        static const segue_sample_format by_bytes[5] = {SEGUE_SAMPLE_NONE, SEGUE_SAMPLE_U8, SEGUE_SAMPLE_S16,
                                                        SEGUE_SAMPLE_S24, SEGUE_SAMPLE_S32};
        f->sample_format = by_bytes[bytes];
    } else {
        if (f->container_bits != 32 && f->container_bits != 64)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "wav: %u-bit IEEE float not supported (32 or 64)", f->container_bits);
        f->sample_format = f->container_bits == 32 ? SEGUE_SAMPLE_F32 : SEGUE_SAMPLE_F64;
    }
    if (f->valid_bits > bytes * 8u)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "wav: wValidBitsPerSample %u exceeds the %u-bit container",
                               f->valid_bits, bytes * 8u);
    if (f->valid_bits > f->container_bits)
        f->valid_bits = f->container_bits;
    uint32_t expected = (uint32_t)f->channels * bytes;
    if (f->block_align != expected)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "wav: nBlockAlign is %u, expected %u (%u channels x %u bytes)",
                               f->block_align, expected, f->channels, bytes);
    return SEGUE_OK;
}

/* ---- demuxer ---------------------------------------------------------------- */

typedef struct wav_demux {
    uint32_t block_align;
    uint32_t coded_frame_samples; /* RIFF-AT3: samples per packet; 0 for PCM */
    uint8_t extradata[14];        /* ATRAC3 setup handed to the decoder */
    int64_t data_start;     /* absolute offset of the first sample byte */
    uint64_t data_bytes;    /* whole frames only; valid unless unbounded */
    int unbounded;          /* read to the end of the stream (pipe, unknown size) */
    uint64_t consumed;      /* bytes of the data chunk delivered or skipped */
    int64_t next_frame;
    int finished;           /* the stream ended (short data on a pipe) */
} wav_demux;

/* State of the chunk walk in open. */
typedef struct wav_scan {
    int rf64;               /* RF64 or BW64 header */
    int have_ds64;
    uint64_t ds64_riff;
    uint64_t ds64_data;
    struct {
        uint8_t id[4];
        uint64_t size;
    } table[WAV_DS64_TABLE_MAX];
    uint32_t table_len;
    uint32_t riff_size32;
    int have_fmt;
    wav_format fmt;
    int have_data;
    int64_t data_start;
    uint64_t data_size;
    int data_unbounded;
    int have_fact;
    uint32_t fact_total;    /* fact: total samples per channel */
    int have_fact_skip;
    uint32_t fact_skip;     /* fact (RIFF-AT3): samples the encoder put first */
} wav_scan;

/* Skips the pad byte after an odd-sized chunk [RIFF] 2. A file whose last
 * chunk lacks it is common (and harmless): a missing pad at the end is fine. */
static segue_status skip_pad(segue_demux_ctx *ctx, uint64_t chunk_size)
{
    if (!(chunk_size & 1))
        return SEGUE_OK;
    uint8_t pad;
    size_t got;
    return segue_reader_read_some(ctx->reader, &pad, 1, &got);
}

/* RIFF INFO list ([RIFF] 2-14 "INFO list chunk"): subchunks of
 * NUL-terminated strings. */
static segue_status parse_info(segue_demux_ctx *ctx, const uint8_t *b, size_t len)
{
    static const struct {
        char id[5];
        const char *key;
    } map[] = {
        {"INAM", "TITLE"},   {"IART", "ARTIST"},      {"IPRD", "ALBUM"},
        {"ICMT", "COMMENT"}, {"ICRD", "DATE"},        {"IGNR", "GENRE"},
        {"ITRK", "TRACKNUMBER"}, {"IPRT", "TRACKNUMBER"}, {"ICOP", "COPYRIGHT"},
        {"ISFT", "ENCODER"},
    };
    size_t off = 0;
    while (len - off >= 8) {
        const uint8_t *sub = b + off;
        uint32_t size = segue_rl32(sub + 4);
        if (size > len - off - 8) {
            if (segue_demux_strict(ctx))
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "wav: INFO entry '%.4s' declares %u bytes, %zu left in the LIST",
                                       fourcc_printable(sub) ? (const char *)sub : "????", size,
                                       len - off - 8);
            break;
        }
        if (fourcc_printable(sub) && !memchr(sub, '=', 4)) {
            char id[5] = {0};
            memcpy(id, sub, 4);
            const char *key = id;
            for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
                if (strcmp(map[i].id, id) == 0)
                    key = map[i].key;
            /* ITRK and IPRT both mean the track number; keep one. */
            if (!(strcmp(key, "TRACKNUMBER") == 0 &&
                  segue_metadata_count(ctx->metadata, "TRACKNUMBER") > 0)) {
                segue_status st = segue_tag_add_text(ctx->metadata, key, sub + 8, size, ctx->allocator);
                if (st == SEGUE_ERR_NO_MEMORY)
                    return segue_error_set(ctx->err, st, "wav: out of memory reading INFO");
            }
        }
        off += 8 + (size_t)size;
        if ((size & 1) && off < len)
            off++;
    }
    return SEGUE_OK;
}

/* Reads a tag chunk body of `size` bytes into a temporary buffer and parses
 * it; chunks above max_metadata_bytes are skipped and noted. */
static segue_status read_tag_chunk(segue_demux_ctx *ctx, const uint8_t *id, uint64_t size,
                                   int is_info)
{
    char name[5] = {0};
    memcpy(name, id, 4);
    if (size > segue_demux_max_metadata(ctx)) {
        char reason[96];
        snprintf(reason, sizeof reason, "wav: '%s' chunk of %llu bytes exceeds max_metadata_bytes; skipped",
                 name, (unsigned long long)size);
        if (segue_metadata_add_unmapped(ctx->metadata, is_info ? "INFO" : "ID3V2", reason) ==
            SEGUE_ERR_NO_MEMORY)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "wav: out of memory");
        return segue_demux_skip_exact(ctx, size, is_info ? "'LIST' chunk" : "id3 chunk");
    }
    if (size == 0)
        return SEGUE_OK;
    uint8_t *buf = segue_mem_alloc(ctx->allocator, (size_t)size);
    if (!buf)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "wav: cannot allocate %llu bytes for '%s'",
                               (unsigned long long)size, name);
    segue_status st = segue_demux_read_exact(ctx, buf, (size_t)size, is_info ? "'LIST' chunk" : "id3 chunk");
    if (st >= 0) {
        if (is_info) {
            st = parse_info(ctx, buf, (size_t)size);
        } else {
            segue_error tag_err;
            segue_error_clear(&tag_err);
            st = segue_id3v2_parse(buf, (size_t)size, ctx->metadata, ctx->allocator, &tag_err);
            if (st == SEGUE_ERR_NO_MEMORY || (st < 0 && segue_demux_strict(ctx))) {
                st = segue_error_set(ctx->err, st, "wav: '%s' chunk: %s", name, tag_err.detail);
            } else if (st < 0) {
                st = segue_metadata_add_unmapped(ctx->metadata, "ID3V2", tag_err.detail);
                if (st == SEGUE_ERR_NO_MEMORY)
                    st = segue_error_set(ctx->err, st, "wav: out of memory");
                else
                    st = SEGUE_OK;
            }
        }
    }
    segue_mem_free(ctx->allocator, buf);
    return st;
}

/* ds64 ([3306] 2.2): RIFF size, data size, sample count (all 64-bit), table
 * length, then {chunk id, 64-bit size} entries for other big chunks. */
static segue_status parse_ds64(segue_demux_ctx *ctx, wav_scan *s, uint64_t size)
{
    if (size < WAV_DS64_BODY)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "wav: 'ds64' chunk is %llu bytes, need %u",
                               (unsigned long long)size, WAV_DS64_BODY);
    uint8_t b[WAV_DS64_BODY];
    segue_status st = segue_demux_read_exact(ctx, b, sizeof b, "'ds64' chunk");
    if (st < 0)
        return st;
    s->have_ds64 = 1;
    s->ds64_riff = segue_rl64(b);
    s->ds64_data = segue_rl64(b + 8);
    uint64_t table_len = segue_rl32(b + 24);
    uint64_t left = size - WAV_DS64_BODY;
    if (table_len > left / 12)
        table_len = left / 12; /* a lying count is bounded by the chunk */
    for (uint64_t i = 0; i < table_len; i++) {
        uint8_t e[12];
        if ((st = segue_demux_read_exact(ctx, e, sizeof e, "'ds64' table")) < 0)
            return st;
        left -= 12;
        if (s->table_len < WAV_DS64_TABLE_MAX) {
            memcpy(s->table[s->table_len].id, e, 4);
            s->table[s->table_len].size = segue_rl64(e + 4);
            s->table_len++;
        }
    }
    if ((st = segue_demux_skip_exact(ctx, left, "'ds64' chunk")) < 0)
        return st;
    return skip_pad(ctx, size);
}

static int probe_wav(const uint8_t *d, size_t size)
{
    if (size < 12 || !fourcc_is(d + 8, "WAVE") ||
        !(fourcc_is(d, "RIFF") || fourcc_is(d, "RF64") || fourcc_is(d, "BW64")))
        return 0;
    /* Look for fmt in the probe window: RIFF/WAVE also carries codecs other
     * containers (riff-at3) handle better, so claim PCM/float for certain and
     * leave the rest a low score (we still give a clear "not supported"). */
    size_t off = 12;
    for (int i = 0; i < 64 && off <= size && size - off >= 8 + 16; i++) {
        uint32_t csize = segue_rl32(d + off + 4);
        if (fourcc_is(d + off, "fmt ")) {
            unsigned tag = segue_rl16(d + off + 8);
            if (tag == WAVE_FORMAT_EXTENSIBLE && size - off >= 8 + 26)
                tag = segue_rl16(d + off + 8 + 24);
            if (tag == WAVE_FORMAT_EXTENSIBLE + 0u || tag == 0xAABFu) /* ATRAC3plus GUID's first bytes */
                return size - off >= 8 + 40 && memcmp(d + off + 8 + 24, atrac3plus_guid, 16) == 0 ? 100 : 25;
            return tag == WAVE_FORMAT_PCM || tag == WAVE_FORMAT_IEEE_FLOAT ||
                           tag == WAVE_FORMAT_SONY_ATRAC3
                       ? 100
                       : 25;
        }
        if (csize > size - off - 8)
            break;
        off += 8 + (size_t)csize + (csize & 1);
    }
    return 80;
}

/* [smpl] (the sampler chunk of the RIFF MIDI/sampler additions):
 * 36 bytes of sampler fields, cSampleLoops at 28, then 24-byte loops
 * (cue id, type, start, end, fraction, play count), start/end inclusive
 * sample offsets. The first loop is kept as LOOPSTART / LOOPLENGTH. */
static segue_status read_smpl(segue_demux_ctx *ctx, uint64_t size)
{
    uint8_t b[36 + 24];
    segue_status st = segue_demux_read_exact(ctx, b, sizeof b, "'smpl' chunk");
    if (st < 0)
        return st;
    if ((st = segue_demux_skip_exact(ctx, size - sizeof b, "'smpl' chunk")) < 0)
        return st;
    uint32_t loops = segue_rl32(b + 28);
    uint32_t start = segue_rl32(b + 36 + 8), end = segue_rl32(b + 36 + 12);
    if (loops == 0)
        return SEGUE_OK;
    if (end < start) {
        if (segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "wav: 'smpl' loop ends (%u) before it starts (%u)",
                                   end, start);
        return segue_metadata_add_unmapped(ctx->metadata, "LOOP", "wav: 'smpl' loop ends before it starts");
    }
    char text[16];
    int n = snprintf(text, sizeof text, "%u", start);
    if ((st = segue_tag_add_text(ctx->metadata, "LOOPSTART", (const uint8_t *)text, (size_t)n,
                                 ctx->allocator)) < 0)
        return st;
    n = snprintf(text, sizeof text, "%llu", (unsigned long long)end - start + 1);
    return segue_tag_add_text(ctx->metadata, "LOOPLENGTH", (const uint8_t *)text, (size_t)n,
                              ctx->allocator);
}

static void wav_demux_close(void *priv, segue_demux_ctx *ctx)
{
    (void)priv;
    (void)ctx;
}

/* Records the data chunk in the scan state and decides whether its size is
 * real or an "unknown length" marker. */
static void note_data_chunk(segue_demux_ctx *ctx, wav_scan *s, int64_t body_start, uint32_t size32)
{
    s->have_data = 1;
    s->data_start = body_start;
    s->data_size = size32;
    s->data_unbounded = 0;
    if (s->rf64 && size32 == 0xFFFFFFFFu) {
        /* [3306] 2.3: the real size is in ds64. */
        if (s->have_ds64 && s->ds64_data != 0 && s->ds64_data <= (uint64_t)INT64_MAX / 2)
            s->data_size = s->ds64_data;
        else
            s->data_unbounded = 1; /* no ds64, 0 (ffmpeg's "unknown" on a pipe), all ones, absurd */
    } else if (!s->rf64 && (size32 == 0xFFFFFFFFu ||
                            (size32 == 0 && (s->riff_size32 == 0 || s->riff_size32 == 0xFFFFFFFFu)))) {
        s->data_unbounded = 1;
    } else if (!s->rf64 && size32 == 0 && !segue_reader_seekable(ctx->reader)) {
        s->data_unbounded = 1;
    }
}

/* The RIFF-AT3 half of open: one ATRAC frame per packet, fact gapless. */
static segue_status open_coded(wav_demux *w, segue_demux_ctx *ctx, const wav_scan *s,
                               segue_codec_params *params)
{
    const wav_format *f = &s->fmt;
    int plus = strcmp(f->coded, "atrac3plus") == 0;
    w->coded_frame_samples = plus ? SEGUE_ATRAC3PLUS_FRAME_SAMPLES : SEGUE_ATRAC3_FRAME_SAMPLES;
    params->codec = f->coded;
    params->sample_rate = f->rate;
    params->channels = f->channels;
    params->channel_mask = f->channel_mask;
    params->block_align = f->block_align;
    params->max_packet_frames = w->coded_frame_samples;
    if (!plus) {
        memcpy(w->extradata, f->extradata, sizeof w->extradata);
        params->extradata = w->extradata;
        params->extradata_size = sizeof w->extradata;
    }

    segue_stream_info *info = ctx->info;
    info->container = "at3";
    info->codec = f->coded;
    info->sample_rate = f->rate;
    info->channels = f->channels;
    info->channel_mask = f->channel_mask;
    int64_t coded = w->unbounded ? -1
                                 : (int64_t)(w->data_bytes / f->block_align) * w->coded_frame_samples;
    info->frames = coded;
    uint64_t bitrate = (uint64_t)f->rate * f->block_align * 8u / w->coded_frame_samples;
    info->bitrate = bitrate > UINT32_MAX ? UINT32_MAX : (uint32_t)bitrate;
    info->seekable = segue_reader_seekable(ctx->reader);

    /* Gapless (wav_internal.h): the fact skip, or the usual value when the
     * chunk gives none, plus the decoder's latency; the fact total. */
    uint32_t skip = s->have_fact_skip ? s->fact_skip
                    : plus           ? SEGUE_ATRAC3PLUS_DEFAULT_SKIP
                                     : SEGUE_ATRAC3_DEFAULT_SKIP;
    uint64_t delay = (uint64_t)skip + (plus ? SEGUE_ATRAC3PLUS_DECODER_DELAY : SEGUE_ATRAC3_DECODER_DELAY);
    if (delay > UINT32_MAX / 2)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "wav: 'fact' skip of %u samples", skip);
    segue_atrac_set_gapless(ctx->metadata, (uint32_t)delay, s->have_fact ? s->fact_total : 0, coded);
    /* The fact total is stated, not derived: the core may complete a
     * stream that covers it but ends inside the decoder's delay. */
    if (s->have_fact && s->fact_total)
        params->total_frames = s->fact_total;
    return SEGUE_OK;
}

static segue_status wav_demux_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    wav_demux *w = priv;
    segue_reader *r = ctx->reader;
    wav_scan s;
    memset(&s, 0, sizeof s);
    const int seekable = segue_reader_seekable(r);
    const int64_t file_size = segue_reader_size(r);
    const int strict = segue_demux_strict(ctx);
    const int64_t start = segue_reader_tell(r); /* offsets are absolute */

    uint8_t h[12];
    size_t got = 0;
    segue_status st = segue_reader_read_some(r, h, sizeof h, &got);
    if (st < 0)
        return st;
    if (got == 0)
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT, "wav: input is empty");
    int known_id = got >= 4 && (fourcc_is(h, "RIFF") || fourcc_is(h, "RF64") || fourcc_is(h, "BW64"));
    if (got < 12) {
        if (known_id)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "wav: RIFF header truncated: %zu of 12 bytes", got);
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT,
                               "wav: input of %zu bytes is not a RIFF/WAVE file", got);
    }
    if (!known_id)
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT,
                               "wav: not a RIFF/WAVE file (starts with %02x %02x %02x %02x)", h[0],
                               h[1], h[2], h[3]);
    if (!fourcc_is(h + 8, "WAVE"))
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT,
                               "wav: RIFF form type '%.4s' is not WAVE",
                               fourcc_printable(h + 8) ? (const char *)h + 8 : "????");
    s.rf64 = !fourcc_is(h, "RIFF");
    s.riff_size32 = segue_rl32(h + 4);
    /* Where the RIFF ends, when its size is a real one: bytes after it
     * (an appended ID3v1 tag, padding from a copy tool) are not chunks. */
    uint64_t riff_end = UINT64_MAX;
    if (!s.rf64 && s.riff_size32 != 0 && s.riff_size32 != 0xFFFFFFFFu)
        riff_end = (uint64_t)start + 8 + s.riff_size32;

    /* Chunk walk. Each pass consumes at least 8 bytes of input. */
    for (;;) {
        int64_t at = segue_reader_tell(r);
        if (s.have_data && s.have_fmt && (uint64_t)at >= riff_end)
            break;
        uint8_t ch[8];
        got = 0;
        if ((st = segue_reader_read_some(r, ch, sizeof ch, &got)) < 0)
            return st;
        if (got == 0)
            break; /* end of file */
        int ok_header = got == 8 && fourcc_printable(ch);
        if (!ok_header) {
            /* Trailing bytes after the audio: junk some writers leave. */
            if (s.have_data && s.have_fmt && !strict)
                break;
            if (got < 8)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "wav: chunk header truncated at offset %lld: %zu of 8 bytes",
                                       (long long)at, got);
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "wav: invalid chunk id %02x %02x %02x %02x at offset %lld", ch[0],
                                   ch[1], ch[2], ch[3], (long long)at);
        }
        uint32_t size32 = segue_rl32(ch + 4);
        uint64_t size = size32;
        int64_t body = at + 8;
        if (s.rf64 && size32 == 0xFFFFFFFFu && !fourcc_is(ch, "data")) {
            /* [3306] 2.2: other chunks over 4 GiB are listed in the table. */
            int found = 0;
            for (uint32_t i = 0; i < s.table_len && !found; i++)
                if (memcmp(s.table[i].id, ch, 4) == 0)
                    size = s.table[i].size, found = 1;
            if (!found && !(s.have_data && s.have_fmt && !strict))
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "wav: chunk '%.4s' has size 0xFFFFFFFF and no ds64 table entry",
                                       (const char *)ch);
            if (!found)
                break;
        }
        /* On a seekable file a chunk past the end is damage; after the audio
         * it ends the walk quietly (non-strict), before it is an error
         * except for the data chunk, which is clamped below. */
        int past_end = seekable && size > (uint64_t)(file_size - body);
        if (past_end && !fourcc_is(ch, "data")) {
            if (s.have_data && s.have_fmt && !strict)
                break;
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "wav: chunk '%.4s' at offset %lld declares %llu bytes, past the end of the %lld-byte file",
                                   (const char *)ch, (long long)at, (unsigned long long)size,
                                   (long long)file_size);
        }

        if (fourcc_is(ch, "ds64")) {
            if (s.rf64 && !s.have_ds64 && !s.have_fmt && !s.have_data) {
                if ((st = parse_ds64(ctx, &s, size)) < 0)
                    return st;
                if (s.ds64_riff >= 4 && s.ds64_riff <= (uint64_t)INT64_MAX / 2)
                    riff_end = (uint64_t)start + 8 + s.ds64_riff;
                continue;
            }
        } else if (fourcc_is(ch, "fmt ") && !s.have_fmt) {
            if (size < 16)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "wav: 'fmt ' chunk is %llu bytes, need 16", (unsigned long long)size);
            /* A format block is tens of bytes; a huge one is a wrong size
             * (caught here on pipes too, before its bytes are trusted). */
            if (size > WAV_FMT_MAX)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "wav: 'fmt ' chunk of %llu bytes is implausibly large",
                                       (unsigned long long)size);
            uint8_t fb[40];
            size_t take = size < sizeof fb ? (size_t)size : sizeof fb;
            if ((st = segue_demux_read_exact(ctx, fb, take, "'fmt ' chunk")) < 0)
                return st;
            if ((st = parse_fmt(ctx->err, fb, (uint32_t)size, &s.fmt)) < 0) /* <= WAV_FMT_MAX */
                return st;
            s.have_fmt = 1;
            if ((st = segue_demux_skip_exact(ctx, size - take, "'fmt ' chunk")) < 0 ||
                (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        } else if (fourcc_is(ch, "data") && !s.have_data) {
            note_data_chunk(ctx, &s, body, size32);
            if (!seekable) {
                if (!s.have_fmt)
                    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                           "wav: 'data' chunk before 'fmt ' on an unseekable stream");
                break; /* tags after the audio are not reachable on a pipe */
            }
            uint64_t left = (uint64_t)(file_size - body);
            if (s.data_unbounded) {
                s.data_unbounded = 0;
                s.data_size = left;
                break; /* the audio runs to the end of the file */
            }
            if (s.data_size > left) {
                if (strict)
                    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                           "wav: 'data' chunk declares %llu bytes but only %llu remain in the file",
                                           (unsigned long long)s.data_size, (unsigned long long)left);
                s.data_size = left;
                break;
            }
            if ((st = segue_reader_seek(r, body + (int64_t)s.data_size)) < 0 ||
                (st = skip_pad(ctx, s.data_size)) < 0)
                return st;
            continue;
        } else if (fourcc_is(ch, "LIST") && size >= 4) {
            uint8_t type[4];
            if ((st = segue_demux_read_exact(ctx, type, 4, "'LIST' chunk")) < 0)
                return st;
            if (fourcc_is(type, "INFO")) {
                if ((st = read_tag_chunk(ctx, (const uint8_t *)"LIST", size - 4, 1)) < 0)
                    return st;
            } else if ((st = segue_demux_skip_exact(ctx, size - 4, "'LIST' chunk")) < 0) {
                return st;
            }
            if ((st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        } else if (fourcc_is(ch, "id3 ") || fourcc_is(ch, "ID3 ")) {
            if ((st = read_tag_chunk(ctx, ch, size, 0)) < 0 || (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        } else if (fourcc_is(ch, "fact") && !s.have_fact && size >= 4 && size <= 64) {
            /* [WFX] fact: dwSampleLength; RIFF-AT3 adds the encoder's skip. */
            uint8_t fb[8];
            size_t take = size < 8 ? 4 : 8;
            if ((st = segue_demux_read_exact(ctx, fb, take, "'fact' chunk")) < 0)
                return st;
            s.have_fact = 1;
            s.fact_total = segue_rl32(fb);
            s.have_fact_skip = take == 8;
            s.fact_skip = take == 8 ? segue_rl32(fb + 4) : 0;
            if ((st = segue_demux_skip_exact(ctx, size - take, "'fact' chunk")) < 0 ||
                (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        } else if (fourcc_is(ch, "smpl") && size >= 36 + 24 && size <= WAV_FMT_MAX) {
            if ((st = read_smpl(ctx, size)) < 0 || (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        }
        /* Anything else (cue, bext, JUNK, a second fmt/ds64, ...). */
        if ((st = segue_demux_skip_exact(ctx, size, "chunk")) < 0 || (st = skip_pad(ctx, size)) < 0)
            return st;
    }

    if (!s.have_fmt)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "wav: no 'fmt ' chunk");
    if (!s.have_data)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "wav: no 'data' chunk");
    if (seekable && (st = segue_reader_seek(r, s.data_start)) < 0)
        return st;

    const wav_format *f = &s.fmt;
    w->block_align = f->block_align;
    w->data_start = s.data_start;
    w->unbounded = s.data_unbounded;
    w->data_bytes = s.data_size - s.data_size % f->block_align;
    if (f->coded)
        return open_coded(w, ctx, &s, params);

    params->codec = "pcm";
    params->sample_rate = f->rate;
    params->channels = f->channels;
    params->channel_mask = f->channel_mask;
    params->sample_format = f->sample_format;
    params->big_endian = 0;
    params->bits_per_sample = f->valid_bits;
    params->block_align = f->block_align;
    params->max_packet_frames = WAV_PACKET_FRAMES;

    segue_stream_info *info = ctx->info;
    info->container = s.rf64 ? "rf64" : "wav";
    info->codec = "pcm";
    info->sample_rate = f->rate;
    info->channels = f->channels;
    info->channel_mask = f->channel_mask;
    info->source_format = f->sample_format;
    info->bits_per_sample = f->valid_bits;
    info->frames = w->unbounded ? -1 : (int64_t)(w->data_bytes / f->block_align);
    uint64_t bitrate = (uint64_t)f->rate * f->block_align * 8u;
    info->bitrate = bitrate > UINT32_MAX ? UINT32_MAX : (uint32_t)bitrate;
    info->seekable = seekable;
    info->big_endian = 0;
    return SEGUE_OK;
}

/* RIFF-AT3: exactly one coded frame per packet; the decoder says how many
 * samples it holds (frames 0). */
static segue_status read_coded_packet(wav_demux *w, segue_demux_ctx *ctx, segue_packet *pkt)
{
    if (!w->unbounded && w->data_bytes - w->consumed < w->block_align)
        return SEGUE_END_OF_STREAM;
    const uint8_t *data = NULL;
    size_t got = 0;
    segue_status st = segue_reader_peek(ctx->reader, w->block_align, &data, &got);
    if (st < 0)
        return st;
    if (got < w->block_align) {
        w->finished = 1;
        if ((got || !w->unbounded) && segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "wav: audio data ends after %llu of %llu bytes",
                                   (unsigned long long)(w->consumed + got),
                                   (unsigned long long)w->data_bytes);
        return SEGUE_END_OF_STREAM;
    }
    if ((st = segue_reader_skip(ctx->reader, w->block_align)) < 0)
        return st;
    w->consumed += w->block_align;
    pkt->data = data;
    pkt->size = w->block_align;
    pkt->pts = w->next_frame;
    pkt->frames = 0;
    w->next_frame += w->coded_frame_samples;
    return SEGUE_OK;
}

static segue_status wav_demux_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    wav_demux *w = priv;
    if (w->finished)
        return SEGUE_END_OF_STREAM;
    if (w->coded_frame_samples)
        return read_coded_packet(w, ctx, pkt);
    size_t want = (size_t)WAV_PACKET_FRAMES * w->block_align;
    if (!w->unbounded) {
        uint64_t left = w->data_bytes - w->consumed;
        if (left < want)
            want = (size_t)left;
    }
    if (want == 0)
        return SEGUE_END_OF_STREAM;
    /* Packets point into the reader's buffer (valid until the next call):
     * PCM needs no copy of its own. peek() gives fewer bytes than asked
     * only at the end of the stream, or when asked for more than its
     * buffer holds. */
    const uint8_t *data = NULL;
    size_t got = 0;
    segue_status st = segue_reader_peek(ctx->reader, want, &data, &got);
    if (st < 0)
        return st;
    int at_end = got < want && got < SEGUE_READER_BUFFER;
    size_t frames = got / w->block_align; /* a partial last frame is dropped */
    size_t bytes = frames * w->block_align;
    if ((st = segue_reader_skip(ctx->reader, bytes)) < 0)
        return st;
    w->consumed += bytes;
    if (at_end) {
        w->finished = 1;
        if (!w->unbounded && segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "wav: audio data ends after %llu of %llu bytes",
                                   (unsigned long long)w->consumed, (unsigned long long)w->data_bytes);
    }
    if (frames == 0)
        return SEGUE_END_OF_STREAM;
    pkt->data = data;
    pkt->size = bytes;
    pkt->pts = w->next_frame;
    pkt->frames = (uint32_t)frames;
    w->next_frame += (int64_t)frames;
    return SEGUE_OK;
}

static segue_status wav_demux_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    wav_demux *w = priv;
    if (!segue_reader_seekable(ctx->reader))
        return segue_error_set(ctx->err, SEGUE_ERR_NOT_SEEKABLE, "wav: input is not seekable");
    uint64_t total = w->data_bytes / w->block_align;
    if (w->coded_frame_samples && frame >= 0) {
        /* RIFF-AT3: land on a frame boundary, one frame early so the
         * decoder's overlap is primed (the core discards the difference). */
        uint64_t index = (uint64_t)frame / w->coded_frame_samples;
        if (index > 0)
            index--;
        /* A target past the last frame (inside the drained tail of a fact
         * length) still lands on the last frame, so the decoder holds its
         * tail when the core drains it. */
        if (index >= total)
            index = total > 0 ? total - 1 : 0;
        segue_status st = segue_reader_seek(ctx->reader, w->data_start + (int64_t)(index * w->block_align));
        if (st < 0)
            return st;
        w->consumed = index * w->block_align;
        w->next_frame = (int64_t)(index * w->coded_frame_samples);
        w->finished = 0;
        *landed = w->next_frame;
        return SEGUE_OK;
    }
    if (frame < 0 || (uint64_t)frame > total)
        return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "wav: seek to frame %lld outside 0..%llu", (long long)frame,
                               (unsigned long long)total);
    uint64_t offset = (uint64_t)frame * w->block_align;
    segue_status st = segue_reader_seek(ctx->reader, w->data_start + (int64_t)offset);
    if (st < 0)
        return st;
    w->consumed = offset;
    w->next_frame = frame;
    w->finished = 0;
    *landed = frame;
    return SEGUE_OK;
}

const segue_demuxer_desc segue_demuxer_wav = {
    .name = "wav",
    .priv_size = sizeof(wav_demux),
    .probe = probe_wav,
    .open = wav_demux_open,
    .read_packet = wav_demux_read_packet,
    .seek = wav_demux_seek,
    .close = wav_demux_close,
};

/* ---- muxer -------------------------------------------------------------------- */

/*
 * Output layout:
 *   RIFF|RF64 size WAVE
 *   JUNK(28) or ds64(28)   only with rf64 AUTO on a seekable sink (JUNK, the
 *                          room [3306] recommends so finish can turn the file
 *                          into RF64 in place) or when RF64 is decided at open
 *   fmt                    16 bytes (PCM), 18 (float), 40 (extensible)
 *   fact                   float only: [WFX] requires it for non-PCM tags
 *   LIST/INFO              the text tags INFO can carry
 *   data size ...          then a pad byte if the data size is odd
 * Sizes not known at open are written as 0xFFFFFFFF ("to end of stream", as
 * ffmpeg and sox write to pipes; in an RF64 ds64 they are 0, as ffmpeg
 * writes, since its reader rejects all-ones) and back-patched at finish when
 * the sink can seek. An odd data size gets its pad byte, except on a pipe
 * with unknown length, where readers would take the pad for audio.
 */

typedef struct wav_mux {
    int64_t header_start;  /* writer position of "RIFF" */
    int64_t data_size_at;  /* offset of the data chunk's size field */
    int64_t fact_at;       /* offset of the fact sample count, -1 if none */
    int64_t data_start;
    int reserved;          /* JUNK at header_start + 12 may become ds64 */
    int rf64;              /* the header written is RF64 */
    uint64_t expected_bytes; /* from total_frames, UINT64_MAX if not given */
    uint64_t data_bytes;
    uint32_t block_align;
} wav_mux;

int segue_wav_rf64_decision(int mode, int at_finish, int seekable, uint64_t riff_size)
{
    int known = riff_size != UINT64_MAX;
    int too_large = known && riff_size > WAV_RIFF_LIMIT;
    switch (mode) {
    case SEGUE_RF64_ALWAYS: return 1;
    case SEGUE_RF64_NEVER: return too_large ? SEGUE_ERR_TOO_LARGE : 0;
    default:
        if (at_finish)
            return too_large;
        return !seekable && too_large;
    }
}

static segue_status wav_mux_setup(const segue_encoder_config *cfg, segue_codec_params *params,
                                  segue_error *err)
{
    if (cfg->codec && strcmp(cfg->codec, "pcm") != 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "wav: codec '%s' cannot be written; the wav muxer stores pcm", cfg->codec);
    if (cfg->channels < 1 || cfg->channels > WAV_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "wav: %u channels; 1..%u supported",
                               cfg->channels, WAV_MAX_CHANNELS);
    if (cfg->sample_rate < 1 || cfg->sample_rate > WAV_MAX_RATE)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "wav: sample rate %u Hz; 1..%u supported", cfg->sample_rate, WAV_MAX_RATE);
    segue_sample_format fmt = cfg->sample_format == SEGUE_SAMPLE_NONE ? SEGUE_SAMPLE_S16 : cfg->sample_format;
    switch (fmt) {
    case SEGUE_SAMPLE_U8: case SEGUE_SAMPLE_S16: case SEGUE_SAMPLE_S24: case SEGUE_SAMPLE_S32:
    case SEGUE_SAMPLE_F32: case SEGUE_SAMPLE_F64:
        break;
    case SEGUE_SAMPLE_S8:
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "wav: 8-bit WAV samples are unsigned; use u8, not s8");
    default:
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "wav: sample format %d not supported",
                               (int)fmt);
    }
    if (cfg->rf64 != SEGUE_RF64_AUTO && cfg->rf64 != SEGUE_RF64_NEVER && cfg->rf64 != SEGUE_RF64_ALWAYS)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "wav: rf64 mode %d unknown", (int)cfg->rf64);
    uint32_t mask = cfg->channel_mask ? cfg->channel_mask : segue_default_channel_mask(cfg->channels);
    unsigned bits_set = 0;
    for (uint32_t m = mask; m; m &= m - 1)
        bits_set++;
    if (bits_set > cfg->channels)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "wav: channel mask 0x%X names %u speakers for %u channels", mask, bits_set,
                               cfg->channels);
    unsigned bits = segue_sample_format_bits(fmt);
    params->codec = "pcm";
    params->sample_rate = cfg->sample_rate;
    params->channels = cfg->channels;
    params->channel_mask = mask;
    params->sample_format = fmt;
    params->big_endian = 0;
    params->bits_per_sample = bits;
    params->block_align = cfg->channels * (bits / 8u);
    params->max_packet_frames = WAV_PACKET_FRAMES;
    return SEGUE_OK;
}

/* The INFO id for a metadata field, or 0 if the field is not written.
 * INFO holds one value per id: a repeated key keeps its first value. Keys
 * that are INFO ids already (IENG, ISBJ, ... as the demuxer keeps them)
 * round-trip unchanged. `why` gets the reason when 0 is returned. */
static int info_id_for(const segue_metadata *m, size_t index, char id[5], const char **why)
{
    static const struct {
        const char *key;
        char id[5];
    } map[] = {
        {"TITLE", "INAM"},   {"ARTIST", "IART"}, {"ALBUM", "IPRD"},     {"COMMENT", "ICMT"},
        {"DATE", "ICRD"},    {"GENRE", "IGNR"},  {"TRACKNUMBER", "ITRK"}, {"COPYRIGHT", "ICOP"},
        {"ENCODER", "ISFT"},
    };
    const char *key, *value;
    segue_metadata_field_at(m, index, &key, &value);
    id[0] = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].key, key) == 0)
            memcpy(id, map[i].id, 5);
    if (!id[0] && strlen(key) == 4 && key[0] == 'I') {
        int ok = 1;
        for (int i = 1; i < 4; i++)
            ok &= (key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9');
        if (ok)
            memcpy(id, key, 5);
    }
    if (!id[0]) {
        *why = "wav: LIST/INFO has no field for this key";
        return 0;
    }
    for (size_t j = 0; j < index; j++) {
        const char *k2;
        segue_metadata_field_at(m, j, &k2, NULL);
        if (strcmp(k2, key) == 0) {
            *why = "wav: LIST/INFO holds one value per field; extra value dropped";
            return 0;
        }
    }
    if (!*value || strlen(value) > 0xFFFFu) {
        *why = "wav: value empty or longer than 64 KiB; not written";
        return 0;
    }
    return 1;
}

/* Sizes the LIST/INFO chunk (0 if nothing maps) and reports what INFO
 * cannot carry to ctx->unmapped. */
static segue_status plan_info(segue_mux_ctx *ctx, uint64_t *list_bytes)
{
    const segue_metadata *m = ctx->metadata;
    *list_bytes = 0;
    if (!m)
        return SEGUE_OK;
    segue_status st;
    size_t n = segue_metadata_field_count(m);
    uint64_t body = 4; /* "INFO" */
    for (size_t i = 0; i < n; i++) {
        char id[5];
        const char *why = NULL, *key, *value;
        segue_metadata_field_at(m, i, &key, &value);
        if (info_id_for(m, i, id, &why)) {
            size_t len = strlen(value) + 1;
            body += 8 + len + (len & 1);
        } else if (ctx->unmapped && (st = segue_metadata_add_unmapped(ctx->unmapped, key, why)) < 0) {
            return segue_error_set(ctx->err, st, "wav: out of memory");
        }
    }
    for (size_t i = 0; ctx->unmapped && i < segue_metadata_picture_count(m); i++)
        if ((st = segue_metadata_add_unmapped(ctx->unmapped, "PICTURE",
                                              "wav: LIST/INFO cannot carry pictures")) < 0)
            return segue_error_set(ctx->err, st, "wav: out of memory");
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    if (ctx->unmapped && (l.has_track_gain || l.has_track_peak || l.has_album_gain ||
                          l.has_album_peak || l.has_r128_track || l.has_r128_album) &&
        (st = segue_metadata_add_unmapped(ctx->unmapped, "REPLAYGAIN",
                                          "wav: LIST/INFO has no loudness fields")) < 0)
        return segue_error_set(ctx->err, st, "wav: out of memory");
    if (body > 4)
        *list_bytes = 8 + body;
    return SEGUE_OK;
}

/* Writes the LIST/INFO chunk sized by plan_info ([RIFF] 2-14: ZSTR values,
 * word-aligned subchunks). */
static segue_status write_info(segue_mux_ctx *ctx, uint64_t list_bytes)
{
    const segue_metadata *m = ctx->metadata;
    if (!list_bytes)
        return SEGUE_OK;
    segue_status st;
    uint8_t h[12];
    memcpy(h, "LIST", 4);
    segue_wl32(h + 4, (uint32_t)(list_bytes - 8));
    memcpy(h + 8, "INFO", 4);
    if ((st = segue_writer_write(ctx->writer, h, 12)) < 0)
        return st;
    size_t n = segue_metadata_field_count(m);
    for (size_t i = 0; i < n; i++) {
        char id[5];
        const char *why, *value;
        if (!info_id_for(m, i, id, &why))
            continue;
        segue_metadata_field_at(m, i, NULL, &value);
        size_t len = strlen(value) + 1;
        uint8_t sub[8];
        memcpy(sub, id, 4);
        segue_wl32(sub + 4, (uint32_t)len);
        static const uint8_t zero[2] = {0, 0};
        if ((st = segue_writer_write(ctx->writer, sub, 8)) < 0 ||
            (st = segue_writer_write(ctx->writer, value, len - 1)) < 0 ||
            (st = segue_writer_write(ctx->writer, zero, 1 + (len & 1))) < 0)
            return st;
    }
    return SEGUE_OK;
}

static void put_ds64(uint8_t *p, uint64_t riff_size, uint64_t data_size, uint64_t frames)
{
    memcpy(p, "ds64", 4);
    segue_wl32(p + 4, WAV_DS64_BODY);
    segue_wl64(p + 8, riff_size);
    segue_wl64(p + 16, data_size);
    segue_wl64(p + 24, frames);
    segue_wl32(p + 32, 0); /* no table: no other chunk exceeds 4 GiB */
}

static segue_status wav_mux_open(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params)
{
    wav_mux *w = priv;
    const segue_encoder_config *cfg = ctx->cfg;
    segue_writer *wr = ctx->writer;
    const int seekable = segue_writer_seekable(wr);
    const int is_float = params->sample_format == SEGUE_SAMPLE_F32 ||
                         params->sample_format == SEGUE_SAMPLE_F64;
    const unsigned bits = segue_sample_format_bits(params->sample_format);
    w->block_align = params->block_align;
    w->header_start = segue_writer_tell(wr);
    w->fact_at = -1;
    if (w->block_align == 0 || bits == 0 || params->channels == 0 ||
        w->block_align != params->channels * (bits / 8u))
        return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "wav: block_align %u does not match %u channels of %u bits",
                               w->block_align, params->channels, bits);

    /* Expected sizes when the caller announced the length. */
    uint64_t frames = UINT64_MAX, expected = UINT64_MAX;
    if (cfg->total_frames >= 0) {
        frames = (uint64_t)cfg->total_frames;
        if (frames > (UINT64_MAX / 4) / w->block_align)
            return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE, "wav: total_frames %lld is too large",
                                   (long long)cfg->total_frames);
        expected = frames * w->block_align;
    }
    w->expected_bytes = expected;

    /* [WFX] "Multiple channel audio data and WAVE files": use
     * WAVE_FORMAT_EXTENSIBLE for more than two channels, for integer samples
     * over 16 bits, when fewer bits are valid than stored, or when the
     * channel mask is not the default one. IEEE float with <= 2 channels
     * keeps tag 3 (WAVEFORMATEX, cbSize 0), which every reader accepts. */
    uint32_t mask = params->channel_mask;
    int extensible = params->channels > 2 || (!is_float && bits > 16) ||
                     params->bits_per_sample != bits ||
                     (mask != 0 && mask != segue_default_channel_mask(params->channels));
    size_t fmt_size = extensible ? 40 : is_float ? 18 : 16;

    uint64_t list_bytes;
    segue_status st = plan_info(ctx, &list_bytes);
    if (st < 0)
        return st;

    /* Decide RIFF or RF64 on the RIFF layout's size (JUNK counted when it is
     * reserved; it has the ds64's size, so the switch keeps every offset). */
    int reserve = cfg->rf64 == SEGUE_RF64_AUTO && seekable;
    uint64_t before_data = 12 + (reserve ? 36u : 0u) + 8 + fmt_size + (is_float ? 12u : 0u) +
                           list_bytes + 8;
    uint64_t riff_known = UINT64_MAX;
    if (expected != UINT64_MAX)
        riff_known = before_data - 8 + expected + (expected & 1);
    int rf64_now = segue_wav_rf64_decision((int)cfg->rf64, 0, seekable, riff_known);
    if (rf64_now < 0)
        return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                               "wav: %llu bytes of audio exceed RIFF's 4 GiB limit (rf64 mode is never)",
                               (unsigned long long)expected);
    w->rf64 = rf64_now;
    w->reserved = reserve && !rf64_now;
    if (rf64_now && !reserve) {
        before_data += 36;
        if (riff_known != UINT64_MAX)
            riff_known += 36;
    }
    w->data_start = w->header_start + (int64_t)before_data;
    w->data_size_at = w->data_start - 4;

    uint8_t hdr[128];
    memcpy(hdr, rf64_now ? "RF64" : "RIFF", 4);
    /* RF64 puts -1 in every 32-bit size that has a ds64 value [3306] 2.1. */
    segue_wl32(hdr + 4, rf64_now || riff_known == UINT64_MAX ? 0xFFFFFFFFu : (uint32_t)riff_known);
    memcpy(hdr + 8, "WAVE", 4);
    size_t n = 12;
    if (rf64_now) {
        if (riff_known == UINT64_MAX)
            put_ds64(hdr + n, 0, 0, 0); /* length unknown: zeros, as ffmpeg writes to pipes */
        else
            put_ds64(hdr + n, riff_known, expected, frames);
        n += 36;
    } else if (w->reserved) {
        memcpy(hdr + n, "JUNK", 4);
        segue_wl32(hdr + n + 4, WAV_DS64_BODY);
        memset(hdr + n + 8, 0, WAV_DS64_BODY);
        n += 36;
    }
    memcpy(hdr + n, "fmt ", 4);
    segue_wl32(hdr + n + 4, (uint32_t)fmt_size);
    uint8_t *f = hdr + n + 8;
    segue_wl16(f, extensible ? WAVE_FORMAT_EXTENSIBLE : is_float ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM);
    segue_wl16(f + 2, (uint16_t)params->channels);
    segue_wl32(f + 4, params->sample_rate);
    segue_wl32(f + 8, params->sample_rate * w->block_align); /* <= 768000 * 256 */
    segue_wl16(f + 12, (uint16_t)w->block_align);
    segue_wl16(f + 14, (uint16_t)bits);
    if (extensible) {
        segue_wl16(f + 16, 22);
        segue_wl16(f + 18, (uint16_t)params->bits_per_sample);
        segue_wl32(f + 20, mask);
        segue_wl16(f + 24, is_float ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM);
        segue_wl16(f + 26, 0);
        memcpy(f + 28, ks_guid_tail, 12);
    } else if (is_float) {
        segue_wl16(f + 16, 0); /* cbSize */
    }
    n += 8 + fmt_size;
    if (is_float) {
        memcpy(hdr + n, "fact", 4);
        segue_wl32(hdr + n + 4, 4);
        w->fact_at = w->header_start + (int64_t)n + 8;
        segue_wl32(hdr + n + 8, rf64_now || frames > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)frames);
        n += 12;
    }
    if ((st = segue_writer_write(wr, hdr, n)) < 0 || (st = write_info(ctx, list_bytes)) < 0)
        return st;
    uint8_t dh[8];
    memcpy(dh, "data", 4);
    segue_wl32(dh + 4, rf64_now || expected == UINT64_MAX ? 0xFFFFFFFFu : (uint32_t)expected);
    if ((st = segue_writer_write(wr, dh, 8)) < 0)
        return st;
    if (segue_writer_tell(wr) != w->data_start)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "wav: header is %lld bytes, planned %llu",
                               (long long)(segue_writer_tell(wr) - w->header_start),
                               (unsigned long long)before_data);
    return SEGUE_OK;
}

static segue_status wav_mux_write_packet(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt)
{
    wav_mux *w = priv;
    if (!pkt->size)
        return SEGUE_OK;
    segue_status st = segue_writer_write(ctx->writer, pkt->data, pkt->size);
    if (st < 0)
        return st;
    w->data_bytes += pkt->size;
    return SEGUE_OK;
}

static segue_status wav_mux_finish(void *priv, segue_mux_ctx *ctx)
{
    wav_mux *w = priv;
    segue_writer *wr = ctx->writer;
    segue_status st;
    /* The pad byte of an odd data chunk [RIFF] 2. Not on a pipe whose header
     * says "to end of stream": there the pad would be read as audio (a
     * whole extra frame of mono u8). */
    int unknown_length = !segue_writer_seekable(wr) && w->expected_bytes == UINT64_MAX;
    if ((w->data_bytes & 1) && !unknown_length) {
        static const uint8_t pad = 0;
        if ((st = segue_writer_write(wr, &pad, 1)) < 0)
            return st;
    }
    uint64_t frames = w->data_bytes / w->block_align;
    uint64_t riff_size = (uint64_t)(w->data_start - w->header_start - 8) + w->data_bytes + (w->data_bytes & 1);
    int decision = segue_wav_rf64_decision((int)ctx->cfg->rf64, 1, segue_writer_seekable(wr), riff_size);
    if (decision < 0)
        return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                               "wav: %llu bytes of audio exceed RIFF's 4 GiB limit (rf64 mode is never)",
                               (unsigned long long)w->data_bytes);
    if (segue_writer_seekable(wr)) {
        uint8_t b[36];
        if (decision && !w->rf64 && !w->reserved)
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "wav: no room reserved for ds64");
        if (decision) {
            /* [3306] 3: RIFF -> RF64, size fields -1, JUNK -> ds64. */
            memcpy(b, "RF64", 4);
            segue_wl32(b + 4, 0xFFFFFFFFu);
            if ((st = segue_writer_patch(wr, w->header_start, b, 8)) < 0)
                return st;
            put_ds64(b, riff_size, w->data_bytes, frames);
            if ((st = segue_writer_patch(wr, w->header_start + 12, b, 36)) < 0)
                return st;
            segue_wl32(b, 0xFFFFFFFFu);
            if ((st = segue_writer_patch(wr, w->data_size_at, b, 4)) < 0)
                return st;
            if (w->fact_at >= 0 && (st = segue_writer_patch(wr, w->fact_at, b, 4)) < 0)
                return st;
        } else {
            segue_wl32(b, (uint32_t)riff_size);
            if ((st = segue_writer_patch(wr, w->header_start + 4, b, 4)) < 0)
                return st;
            segue_wl32(b, (uint32_t)w->data_bytes);
            if ((st = segue_writer_patch(wr, w->data_size_at, b, 4)) < 0)
                return st;
            if (w->fact_at >= 0) {
                segue_wl32(b, (uint32_t)frames);
                if ((st = segue_writer_patch(wr, w->fact_at, b, 4)) < 0)
                    return st;
            }
        }
    }
    if (w->expected_bytes != UINT64_MAX && w->expected_bytes != w->data_bytes)
        return segue_error_set(ctx->err, SEGUE_ERR_STATE,
                               "wav: total_frames announced %llu frames but %llu were written",
                               (unsigned long long)(w->expected_bytes / w->block_align),
                               (unsigned long long)frames);
    return SEGUE_OK;
}

const segue_muxer_desc segue_muxer_wav = {
    .name = "wav",
    .extensions = "wav wave rf64 bw64",
    .default_codec = "pcm",
    .priv_size = sizeof(wav_mux),
    .setup = wav_mux_setup,
    .open = wav_mux_open,
    .write_packet = wav_mux_write_packet,
    .finish = wav_mux_finish,
    .close = NULL,
};
