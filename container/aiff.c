/*
 * container/aiff.c - AIFF and AIFF-C demuxer.
 *
 * References:
 *   [AIFF]  Apple "Audio Interchange File Format: AIFF", version 1.3 (1989).
 *   [AIFC]  Apple "AIFF-C" draft (1991): FORM/AIFC, the extended COMM chunk
 *           with compressionType, FVER.
 *   [QT]    Apple QuickTime File Format, "Sound sample description": the
 *           compression ids sowt, fl32, fl64, in24, in32, raw and the
 *           little-endian 42ni/23ni variants that AIFF-C files reuse.
 *
 * Decisions:
 *   - Samples narrower than a byte multiple (e.g. 12-bit) are stored
 *     left-justified in the next whole byte [AIFF] "Sample points": they are
 *     decoded at the container width and bits_per_sample reports the width.
 *   - The frame count is COMM numSampleFrames; a SSND chunk holding less is
 *     clamped (strict: error), extra bytes in it are ignored.
 *   - Seekable input: all chunks are visited (text and ID3 chunks may follow
 *     SSND). Unseekable input: parsing stops at SSND, which must follow COMM.
 *   - Text chunks (NAME, AUTH, ANNO, "(c) ", COMT) are ASCII by the spec but
 *     Mac Roman, Latin-1 or UTF-8 in practice: UTF-8 is kept, anything else
 *     is read as Latin-1 (Mac Roman is not worth a table here).
 */
#include <string.h>

#include "container/container.h"
#include "container/id3v2.h"
#include "core/alloc.h"

#define AIFF_MAX_CHANNELS 32u
#define AIFF_MAX_RATE 768000u
#define AIFF_PACKET_FRAMES 4096u
#define AIFF_COMM_MAX 4096u

static int fourcc_is(const uint8_t *p, const char *id) { return memcmp(p, id, 4) == 0; }

static int fourcc_printable(const uint8_t *p)
{
    for (int i = 0; i < 4; i++)
        if (p[i] < 0x20 || p[i] > 0x7E)
            return 0;
    return 1;
}

/* Formats a four-character code for messages: printable, else hex. */
static const char *fourcc_text(const uint8_t *p, char out[12])
{
    if (fourcc_printable(p))
        snprintf(out, 12, "'%c%c%c%c'", p[0], p[1], p[2], p[3]);
    else
        snprintf(out, 12, "%02x%02x%02x%02x", p[0], p[1], p[2], p[3]);
    return out;
}

/*
 * Converts the 80-bit IEEE 754 extended sampleRate of COMM ([AIFF] "Common
 * Chunk": sign bit, 15-bit exponent biased by 16383, 64-bit mantissa with an
 * explicit integer bit) to whole Hz, rounding to nearest. Done in integers,
 * so no libm and no precision loss. Returns 0 for negative, zero, infinite,
 * NaN, below 0.5 Hz or above `limit` Hz (the caller reports).
 */
static uint32_t extended_to_hz(const uint8_t b[10], uint32_t limit)
{
    unsigned exponent = ((unsigned)(b[0] & 0x7F) << 8) | b[1];
    uint64_t mantissa = ((uint64_t)segue_rb32(b + 2) << 32) | segue_rb32(b + 6);
    if ((b[0] & 0x80) || exponent == 0x7FFF || mantissa == 0)
        return 0;
    int e = (int)exponent - 16383; /* value = mantissa * 2^(e - 63) */
    if (e < -1 || e > 40)
        return 0; /* below 0.5 or far above any audio rate */
    unsigned shift = (unsigned)(63 - e); /* 23..64 */
    uint64_t whole;
    if (shift == 64) {
        whole = mantissa >> 63; /* value in [0, 1): rounds to 1 when >= 0.5 */
    } else {
        whole = mantissa >> shift;
        uint64_t rest = mantissa & ((UINT64_C(1) << shift) - 1);
        if (rest >= (UINT64_C(1) << (shift - 1)))
            whole++;
    }
    if (whole == 0 || whole > limit)
        return 0;
    return (uint32_t)whole;
}

/* ---- compression types ---------------------------------------------------- */

typedef struct aiff_codec {
    char id[5];
    int big_endian;
    segue_sample_format fixed; /* NONE: from sampleSize, signed integer */
} aiff_codec;

/* [AIFC] NONE, and the QuickTime ids [QT] that AIFF-C files use for PCM.
 * "twos" is big-endian two's complement; "raw " is offset-binary 8-bit. */
static const aiff_codec pcm_codecs[] = {
    {"NONE", 1, SEGUE_SAMPLE_NONE}, {"twos", 1, SEGUE_SAMPLE_NONE}, {"sowt", 0, SEGUE_SAMPLE_NONE},
    {"fl32", 1, SEGUE_SAMPLE_F32},  {"FL32", 1, SEGUE_SAMPLE_F32},  {"fl64", 1, SEGUE_SAMPLE_F64},
    {"FL64", 1, SEGUE_SAMPLE_F64},  {"in24", 1, SEGUE_SAMPLE_S24},  {"in32", 1, SEGUE_SAMPLE_S32},
    {"42ni", 0, SEGUE_SAMPLE_S24},  {"23ni", 0, SEGUE_SAMPLE_S32},  {"raw ", 1, SEGUE_SAMPLE_U8},
};

static const char *compression_name(const uint8_t *id)
{
    static const struct {
        char id[5];
        const char *name;
    } names[] = {
        {"ulaw", "mu-law"},  {"ULAW", "mu-law"},      {"alaw", "A-law"},       {"ALAW", "A-law"},
        {"ima4", "IMA 4:1 ADPCM"}, {"MAC3", "MACE 3:1"}, {"MAC6", "MACE 6:1"}, {"GSM ", "GSM 6.10"},
        {"Qclp", "Qualcomm PureVoice"}, {"QDMC", "QDesign Music"}, {"QDM2", "QDesign Music 2"},
        {"alac", "Apple Lossless"}, {"sdx2", "3DO SDX2"}, {"G722", "G.722"}, {"G726", "G.726"},
        {"G728", "G.728"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (memcmp(names[i].id, id, 4) == 0)
            return names[i].name;
    return "unknown";
}

/* ---- demuxer ------------------------------------------------------------------ */

typedef struct aiff_demux {
    uint8_t *packet;
    uint32_t block_align;
    int64_t data_start;
    uint64_t data_bytes;   /* whole frames; valid unless unbounded */
    int unbounded;
    uint64_t consumed;
    int64_t next_frame;
    int finished;
} aiff_demux;

typedef struct aiff_comm {
    uint32_t channels;
    uint32_t frames;       /* numSampleFrames */
    uint32_t sample_size;  /* bits */
    uint32_t rate;
    segue_sample_format format;
    int big_endian;
    uint32_t block_align;
} aiff_comm;

/* [AIFF] "Chunks": odd-length chunks are followed by a pad byte; a missing
 * pad on the last chunk is tolerated. */
static segue_status skip_pad(segue_demux_ctx *ctx, uint64_t chunk_size)
{
    if (!(chunk_size & 1))
        return SEGUE_OK;
    uint8_t pad;
    size_t got;
    return segue_reader_read_some(ctx->reader, &pad, 1, &got);
}

static segue_status parse_comm(segue_demux_ctx *ctx, const uint8_t *b, uint64_t size, int aifc,
                               aiff_comm *c)
{
    /* [AIFF] Common Chunk: short numChannels; unsigned long numSampleFrames;
     * short sampleSize; extended sampleRate. [AIFC] adds ID compressionType
     * and pstring compressionName. An AIFC COMM of 18 bytes (seen from old
     * writers) is read as uncompressed. */
    memset(c, 0, sizeof *c);
    int16_t channels = (int16_t)segue_rb16(b);
    c->frames = segue_rb32(b + 2);
    int16_t sample_size = (int16_t)segue_rb16(b + 6);
    const uint8_t *codec_id = (const uint8_t *)"NONE";
    if (aifc && size >= 22)
        codec_id = b + 18;

    if (channels <= 0)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: numChannels is %d", channels);
    if ((unsigned)channels > AIFF_MAX_CHANNELS)
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED, "aiff: %d channels, at most %u supported",
                               channels, AIFF_MAX_CHANNELS);
    c->channels = (uint32_t)channels;
    c->rate = extended_to_hz(b + 8, AIFF_MAX_RATE);
    if (c->rate == 0)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "aiff: sample rate %02x%02x %02x%02x%02x%02x%02x%02x%02x%02x is not in 1..%u Hz",
                               b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17],
                               AIFF_MAX_RATE);

    const aiff_codec *codec = NULL;
    for (size_t i = 0; i < sizeof pcm_codecs / sizeof pcm_codecs[0]; i++)
        if (memcmp(pcm_codecs[i].id, codec_id, 4) == 0)
            codec = &pcm_codecs[i];
    if (!codec) {
        char t[12];
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "aiff: compression type %s (%s) not supported yet",
                               fourcc_text(codec_id, t), compression_name(codec_id));
    }
    c->big_endian = codec->big_endian;
    if (codec->fixed != SEGUE_SAMPLE_NONE) {
        c->format = codec->fixed;
        c->sample_size = segue_sample_format_bits(codec->fixed);
        /* in24/in32 keep a declared narrower width (left-justified). */
        if ((codec->fixed == SEGUE_SAMPLE_S24 || codec->fixed == SEGUE_SAMPLE_S32) && sample_size > 0 &&
            (uint32_t)sample_size < c->sample_size)
            c->sample_size = (uint32_t)sample_size;
    } else {
        if (sample_size <= 0)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: sampleSize is %d", sample_size);
        if (sample_size > 32)
            return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                                   "aiff: %d-bit samples not supported (at most 32)", sample_size);
        static const segue_sample_format by_bytes[5] = {SEGUE_SAMPLE_NONE, SEGUE_SAMPLE_S8, SEGUE_SAMPLE_S16,
                                                        SEGUE_SAMPLE_S24, SEGUE_SAMPLE_S32};
        c->format = by_bytes[((unsigned)sample_size + 7u) / 8u];
        c->sample_size = (uint32_t)sample_size;
    }
    c->block_align = c->channels * (segue_sample_format_bits(c->format) / 8u);
    return SEGUE_OK;
}

/* Adds a text chunk (NAME, AUTH, ANNO, "(c) ") read into memory. */
static segue_status read_text_chunk(segue_demux_ctx *ctx, const char *key, uint64_t size)
{
    if (size > segue_demux_max_metadata(ctx)) {
        if (segue_metadata_add_unmapped(ctx->metadata, key,
                                        "aiff: text chunk exceeds max_metadata_bytes; skipped") ==
            SEGUE_ERR_NO_MEMORY)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "aiff: out of memory");
        return segue_demux_skip_exact(ctx, size, "text chunk");
    }
    if (size == 0)
        return SEGUE_OK;
    uint8_t *buf = segue_mem_alloc(ctx->allocator, (size_t)size);
    if (!buf)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "aiff: cannot allocate %llu bytes",
                               (unsigned long long)size);
    segue_status st = segue_demux_read_exact(ctx, buf, (size_t)size, "text chunk");
    if (st >= 0) {
        st = segue_tag_add_text(ctx->metadata, key, buf, (size_t)size, ctx->allocator);
        if (st == SEGUE_ERR_NO_MEMORY)
            st = segue_error_set(ctx->err, st, "aiff: out of memory");
        else
            st = SEGUE_OK;
    }
    segue_mem_free(ctx->allocator, buf);
    return st;
}

/* COMT ([AIFF] "Comments Chunk"): unsigned short numComments, then per
 * comment: timeStamp (4), MarkerId (2), unsigned short count, text, pad to
 * even. Every comment becomes a COMMENT value. */
static segue_status parse_comt(segue_demux_ctx *ctx, const uint8_t *b, size_t len)
{
    if (len < 2)
        return SEGUE_OK;
    unsigned count = segue_rb16(b);
    size_t off = 2;
    for (unsigned i = 0; i < count && len - off >= 8; i++) {
        size_t n = segue_rb16(b + off + 6);
        off += 8;
        if (n > len - off) {
            if (segue_demux_strict(ctx))
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "aiff: COMT comment %u declares %zu bytes, %zu left", i, n, len - off);
            break;
        }
        segue_status st = segue_tag_add_text(ctx->metadata, "COMMENT", b + off, n, ctx->allocator);
        if (st == SEGUE_ERR_NO_MEMORY)
            return segue_error_set(ctx->err, st, "aiff: out of memory");
        off += n;
        if ((n & 1) && off < len)
            off++;
    }
    return SEGUE_OK;
}

/* Reads an ID3 or COMT chunk body into memory and parses it; over
 * max_metadata_bytes it is skipped and noted. */
static segue_status read_binary_tag(segue_demux_ctx *ctx, const uint8_t *id, uint64_t size, int is_id3)
{
    char name[12];
    fourcc_text(id, name);
    if (size > segue_demux_max_metadata(ctx)) {
        char reason[96];
        snprintf(reason, sizeof reason, "aiff: %s chunk of %llu bytes exceeds max_metadata_bytes; skipped",
                 name, (unsigned long long)size);
        if (segue_metadata_add_unmapped(ctx->metadata, is_id3 ? "ID3V2" : "COMMENT", reason) ==
            SEGUE_ERR_NO_MEMORY)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "aiff: out of memory");
        return segue_demux_skip_exact(ctx, size, "tag chunk");
    }
    if (size == 0)
        return SEGUE_OK;
    uint8_t *buf = segue_mem_alloc(ctx->allocator, (size_t)size);
    if (!buf)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "aiff: cannot allocate %llu bytes for %s",
                               (unsigned long long)size, name);
    segue_status st = segue_demux_read_exact(ctx, buf, (size_t)size, "tag chunk");
    if (st >= 0 && !is_id3) {
        st = parse_comt(ctx, buf, (size_t)size);
    } else if (st >= 0) {
        segue_error tag_err;
        segue_error_clear(&tag_err);
        st = segue_id3v2_parse(buf, (size_t)size, ctx->metadata, ctx->allocator, &tag_err);
        if (st == SEGUE_ERR_NO_MEMORY || (st < 0 && segue_demux_strict(ctx))) {
            st = segue_error_set(ctx->err, st, "aiff: %s chunk: %s", name, tag_err.detail);
        } else if (st < 0) {
            /* A damaged tag does not stop the audio; it is reported. */
            st = segue_metadata_add_unmapped(ctx->metadata, "ID3V2", tag_err.detail);
            st = st == SEGUE_ERR_NO_MEMORY ? segue_error_set(ctx->err, st, "aiff: out of memory") : SEGUE_OK;
        }
    }
    segue_mem_free(ctx->allocator, buf);
    return st;
}

static int probe_aiff(const uint8_t *d, size_t size)
{
    if (size >= 12 && fourcc_is(d, "FORM") && (fourcc_is(d + 8, "AIFF") || fourcc_is(d + 8, "AIFC")))
        return 100;
    return 0;
}

static void aiff_demux_close(void *priv, segue_demux_ctx *ctx)
{
    aiff_demux *a = priv;
    segue_mem_free(ctx->allocator, a->packet);
    a->packet = NULL;
}

static segue_status aiff_demux_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    aiff_demux *a = priv;
    segue_reader *r = ctx->reader;
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
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT, "aiff: input is empty");
    if (got < 4 || !fourcc_is(h, "FORM"))
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT,
                               "aiff: not an AIFF file (starts with %02x %02x %02x %02x)", h[0],
                               got > 1 ? h[1] : 0, got > 2 ? h[2] : 0, got > 3 ? h[3] : 0);
    if (got < 12)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: FORM header truncated: %zu of 12 bytes",
                               got);
    char t[12];
    if (!fourcc_is(h + 8, "AIFF") && !fourcc_is(h + 8, "AIFC"))
        return segue_error_set(ctx->err, SEGUE_ERR_UNKNOWN_FORMAT, "aiff: FORM type %s is not AIFF or AIFC",
                               fourcc_text(h + 8, t));
    const int aifc = fourcc_is(h + 8, "AIFC");
    /* The FORM size bounds the chunk walk once the audio is found, so bytes
     * appended after the FORM (an ID3v1 tag) are not read as chunks. */
    const uint64_t form_end = (uint64_t)start + 8 + segue_rb32(h + 4);

    int have_comm = 0, have_ssnd = 0;
    aiff_comm comm;
    memset(&comm, 0, sizeof comm);
    int64_t ssnd_data = 0;      /* absolute offset of the first sample */
    uint64_t ssnd_bytes = 0;    /* bytes from there to the chunk end */
    int ssnd_unbounded = 0;

    for (;;) {
        int64_t at = segue_reader_tell(r);
        uint8_t ch[8];
        got = 0;
        if ((st = segue_reader_read_some(r, ch, sizeof ch, &got)) < 0)
            return st;
        if (got == 0)
            break;
        int audio_found = have_comm && have_ssnd;
        if (audio_found && (uint64_t)at >= form_end)
            break;
        if (got < 8 || !fourcc_printable(ch)) {
            if (audio_found && !strict)
                break; /* trailing bytes after the audio */
            if (got < 8)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "aiff: chunk header truncated at offset %lld: %zu of 8 bytes",
                                       (long long)at, got);
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "aiff: invalid chunk id %02x %02x %02x %02x at offset %lld", ch[0], ch[1],
                                   ch[2], ch[3], (long long)at);
        }
        uint64_t size = segue_rb32(ch + 4);
        int64_t body = at + 8;
        int past_end = seekable && size > (uint64_t)(file_size - body);
        if (past_end && !fourcc_is(ch, "SSND")) {
            if (audio_found && !strict)
                break;
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "aiff: chunk %s at offset %lld declares %llu bytes, past the end of the %lld-byte file",
                                   fourcc_text(ch, t), (long long)at, (unsigned long long)size,
                                   (long long)file_size);
        }

        if (fourcc_is(ch, "COMM") && !have_comm) {
            uint64_t need = aifc ? 22 : 18;
            /* COMM is 18..~280 bytes (the pstring is at most 255); a huge
             * size is damage, caught before its bytes are trusted. */
            if (size > AIFF_COMM_MAX)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "aiff: COMM chunk of %llu bytes is implausibly large",
                                       (unsigned long long)size);
            if (size < 18 || (aifc && size < 22 && size != 18))
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: COMM chunk is %llu bytes, need %llu",
                                       (unsigned long long)size, (unsigned long long)need);
            uint8_t b[22];
            size_t take = size < sizeof b ? (size_t)size : sizeof b;
            if ((st = segue_demux_read_exact(ctx, b, take, "COMM chunk")) < 0 ||
                (st = parse_comm(ctx, b, size, aifc, &comm)) < 0)
                return st;
            have_comm = 1;
            if ((st = segue_demux_skip_exact(ctx, size - take, "COMM chunk")) < 0 || (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        }
        if (fourcc_is(ch, "SSND") && !have_ssnd) {
            /* [AIFF] Sound Data Chunk: unsigned long offset, blockSize, then
             * the samples start `offset` bytes into the data. */
            if (size != 0 && size < 8)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: SSND chunk is %llu bytes, need 8",
                                       (unsigned long long)size);
            uint8_t b[8];
            if ((st = segue_demux_read_exact(ctx, b, 8, "SSND chunk")) < 0)
                return st;
            uint32_t offset = segue_rb32(b);
            have_ssnd = 1;
            /* Size 0 or 0xFFFFFFFF: written by streaming tools that did not
             * know the length; the samples run to the end of the stream. */
            ssnd_unbounded = size == 0 || size == 0xFFFFFFFFu;
            if (!ssnd_unbounded && offset > size - 8)
                return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                       "aiff: SSND offset %u exceeds the %llu-byte chunk", offset,
                                       (unsigned long long)size);
            ssnd_data = body + 8 + (int64_t)offset;
            ssnd_bytes = ssnd_unbounded ? 0 : size - 8 - offset;
            if (!seekable) {
                if (!have_comm)
                    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                           "aiff: SSND chunk before COMM on an unseekable stream");
                if ((st = segue_demux_skip_exact(ctx, offset, "SSND offset")) < 0)
                    return st;
                break; /* chunks after the audio are not reachable on a pipe */
            }
            uint64_t left = (uint64_t)(file_size - body);
            if (ssnd_unbounded || size > left) {
                if (!ssnd_unbounded && strict)
                    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                           "aiff: SSND chunk declares %llu bytes but only %llu remain in the file",
                                           (unsigned long long)size, (unsigned long long)left);
                if (left < 8 + (uint64_t)offset)
                    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                           "aiff: SSND offset %u points past the end of the file", offset);
                ssnd_unbounded = 0;
                ssnd_bytes = left - 8 - offset;
                break;
            }
            if ((st = segue_reader_seek(r, body + (int64_t)size)) < 0 || (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        }
        const char *text_key = fourcc_is(ch, "NAME")   ? "TITLE"
                               : fourcc_is(ch, "AUTH") ? "ARTIST"
                               : fourcc_is(ch, "ANNO") ? "COMMENT"
                               : fourcc_is(ch, "(c) ") ? "COPYRIGHT"
                                                       : NULL;
        if (text_key) {
            if ((st = read_text_chunk(ctx, text_key, size)) < 0 || (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        }
        if (fourcc_is(ch, "ID3 ") || fourcc_is(ch, "id3 ") || fourcc_is(ch, "COMT")) {
            if ((st = read_binary_tag(ctx, ch, size, !fourcc_is(ch, "COMT"))) < 0 ||
                (st = skip_pad(ctx, size)) < 0)
                return st;
            continue;
        }
        /* FVER, MARK, INST, APPL, MIDI, AESD, a second COMM/SSND, ... */
        if ((st = segue_demux_skip_exact(ctx, size, "chunk")) < 0 || (st = skip_pad(ctx, size)) < 0)
            return st;
    }

    if (!have_comm)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: no COMM chunk");
    if (!have_ssnd) {
        if (comm.frames == 0) {
            /* [AIFF]: "the Sound Data Chunk is required unless
             * numSampleFrames is zero" - an empty file is valid. */
            ssnd_data = segue_reader_tell(r);
            ssnd_bytes = 0;
        } else {
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: no SSND chunk for %u frames",
                                   comm.frames);
        }
    }
    if (seekable && (st = segue_reader_seek(r, ssnd_data)) < 0)
        return st;

    uint64_t declared = (uint64_t)comm.frames * comm.block_align;
    a->block_align = comm.block_align;
    a->data_start = ssnd_data;
    a->unbounded = ssnd_unbounded;
    if (ssnd_unbounded) {
        /* COMM still says how many frames there are, unless it was left at
         * 0 / 0xFFFFFFFF by a streaming writer. */
        if (comm.frames != 0 && comm.frames != 0xFFFFFFFFu) {
            a->unbounded = 0;
            a->data_bytes = declared;
        }
    } else {
        uint64_t have = ssnd_bytes - ssnd_bytes % comm.block_align;
        if (declared > have && strict)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "aiff: COMM declares %u frames but SSND holds %llu",
                                   comm.frames, (unsigned long long)(have / comm.block_align));
        a->data_bytes = declared < have ? declared : have;
    }
    a->packet = segue_mem_alloc(ctx->allocator, (size_t)AIFF_PACKET_FRAMES * comm.block_align);
    if (!a->packet)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "aiff: cannot allocate the packet buffer");

    params->codec = "pcm";
    params->sample_rate = comm.rate;
    params->channels = comm.channels;
    params->channel_mask = 0;
    params->sample_format = comm.format;
    params->big_endian = comm.big_endian;
    params->bits_per_sample = comm.sample_size;
    params->block_align = comm.block_align;
    params->max_packet_frames = AIFF_PACKET_FRAMES;

    segue_stream_info *info = ctx->info;
    info->container = aifc ? "aifc" : "aiff";
    info->codec = "pcm";
    info->sample_rate = comm.rate;
    info->channels = comm.channels;
    info->channel_mask = 0;
    info->source_format = comm.format;
    info->bits_per_sample = comm.sample_size;
    info->frames = a->unbounded ? -1 : (int64_t)(a->data_bytes / comm.block_align);
    uint64_t bitrate = (uint64_t)comm.rate * comm.block_align * 8u;
    info->bitrate = bitrate > UINT32_MAX ? UINT32_MAX : (uint32_t)bitrate;
    info->seekable = seekable;
    info->big_endian = comm.big_endian;
    return SEGUE_OK;
}

static segue_status aiff_demux_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    aiff_demux *a = priv;
    if (a->finished)
        return SEGUE_END_OF_STREAM;
    size_t want = (size_t)AIFF_PACKET_FRAMES * a->block_align;
    if (!a->unbounded) {
        uint64_t left = a->data_bytes - a->consumed;
        if (left < want)
            want = (size_t)left;
    }
    if (want == 0)
        return SEGUE_END_OF_STREAM;
    size_t got = 0;
    segue_status st = segue_reader_read_some(ctx->reader, a->packet, want, &got);
    if (st < 0)
        return st;
    a->consumed += got;
    if (got < want) {
        a->finished = 1;
        if (!a->unbounded && segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "aiff: sound data ends after %llu of %llu bytes",
                                   (unsigned long long)a->consumed, (unsigned long long)a->data_bytes);
    }
    size_t frames = got / a->block_align; /* a partial last frame is dropped */
    if (frames == 0)
        return SEGUE_END_OF_STREAM;
    pkt->data = a->packet;
    pkt->size = frames * a->block_align;
    pkt->pts = a->next_frame;
    pkt->frames = (uint32_t)frames;
    a->next_frame += (int64_t)frames;
    return SEGUE_OK;
}

static segue_status aiff_demux_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    aiff_demux *a = priv;
    if (!segue_reader_seekable(ctx->reader))
        return segue_error_set(ctx->err, SEGUE_ERR_NOT_SEEKABLE, "aiff: input is not seekable");
    uint64_t total = a->data_bytes / a->block_align;
    if (frame < 0 || (uint64_t)frame > total)
        return segue_error_set(ctx->err, SEGUE_ERR_INVALID_ARGUMENT, "aiff: seek to frame %lld outside 0..%llu",
                               (long long)frame, (unsigned long long)total);
    uint64_t offset = (uint64_t)frame * a->block_align;
    segue_status st = segue_reader_seek(ctx->reader, a->data_start + (int64_t)offset);
    if (st < 0)
        return st;
    a->consumed = offset;
    a->next_frame = frame;
    a->finished = 0;
    *landed = frame;
    return SEGUE_OK;
}

const segue_demuxer_desc segue_demuxer_aiff = {
    .name = "aiff",
    .priv_size = sizeof(aiff_demux),
    .probe = probe_aiff,
    .open = aiff_demux_open,
    .read_packet = aiff_demux_read_packet,
    .seek = aiff_demux_seek,
    .close = aiff_demux_close,
};
