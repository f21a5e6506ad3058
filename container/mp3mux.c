/*
 * container/mp3mux.c - MP3 muxer: an ID3v2 tag, then the MPEG audio stream
 * from the "mp3" encoder (codec/ext/lame), with its Xing/Info + LAME tag
 * frame first. docs/mp3-gapless.md describes what each kind of sink gets.
 *
 * References: [INFO] "Mp3 Info Tag rev 1 specifications" (gabriel.mp3-tech.org,
 * the LAME tag), the Xing VBR header it extends, ISO/IEC 11172-3 and
 * 13818-3 2.4.1.3 / 2.4.2.3 (frame header, frame length), and LAME 3.100's
 * behaviour where the spec leaves it to the encoder (cited per function).
 *
 * The encoder's first frame is a placeholder of the final tag frame's size
 * (its template arrives as params->extradata), and flushing hands over the
 * final tag frame as a SEGUE_PACKET_HEADER_UPDATE packet.
 *   Seekable sink: the stream is written as it comes and the tag frame is
 *   written over the placeholder at the end.
 *   Pipe with cfg->total_frames known: the placeholder is replaced, as the
 *   stream passes, by a tag frame computed at open from the template, the
 *   encoder delay and the frame count and padding (and for CBR the byte
 *   count and seek table) that LAME will arrive at. Pipe without a length:
 *   the placeholder is dropped, no tag frame (build_tag). When LAME's own tag
 *   arrives at the end it is compared with what was written, so a wrong
 *   prediction is an error rather than a silently wrong file.
 * When LAME's tag does not fit a frame at a low CBR bitrate, the encoder
 * writes the placeholder and sends no final tag; the muxer then completes
 * the tag itself from the counts (complete_own_tag).
 */
#include <string.h>

#include "codec/codec.h"
#include "codec/common/mpa_header.h"
#include "container.h"
#include "core/alloc.h"
#include "id3v2_write.h"

/* ---- MPEG audio frame header ---------------------------------------------------- */

/* The fields of a Layer III header the tag arithmetic needs, from the shared
 * parser (codec/common/mpa_header.h). */
typedef struct mpa_header {
    unsigned version;     /* 1: MPEG-1, 2: MPEG-2, 25: MPEG-2.5 */
    unsigned rate;        /* Hz */
    unsigned kbps;
    unsigned spf;         /* samples per frame: 1152 or 576 */
    size_t frame_len;     /* bytes, padding included */
    size_t side_info;     /* bytes of side information after the header */
} mpa_header;

/* Parses a Layer III header with a bitrate; 0 if the 4 bytes are not one. */
static int parse_header(const uint8_t *h, mpa_header *o)
{
    segue_mpa_header m;
    if (segue_mpa_header_parse(h, &m) != 0 || m.layer != 3 || m.bitrate == 0)
        return 0;
    o->version = (unsigned)m.version;
    o->rate = m.sample_rate;
    o->kbps = m.bitrate / 1000u;
    o->spf = m.samples;
    o->frame_len = m.frame_bytes;
    /* Side information length (ISO 11172-3 2.4.1.7, 13818-3 2.4.1.7). */
    o->side_info = m.version == 1 ? (m.channels == 1 ? 17u : 32u) : (m.channels == 1 ? 9u : 17u);
    return 1;
}

/* ---- the Info tag ([INFO]) ------------------------------------------------------ */

enum {
    XING_FRAMES = 1, XING_BYTES = 2, XING_TOC = 4, XING_QUALITY = 8,
    LAME_EXT_BYTES = 36,
    /* offsets inside the LAME extension ([INFO] "LAME tag" table) */
    LAME_DELAY = 21,        /* 12 bits delay, 12 bits padding */
    LAME_MUSIC_LENGTH = 28,
    LAME_MUSIC_CRC = 32,
    LAME_TAG_CRC = 34
};

/* CRC-16 with polynomial x^16 + x^15 + x^2 + 1, bit-reflected, initial 0
 * (CRC-16/ARC): the CRC of the LAME tag ([INFO] "CRC-16 of Info Tag"). */
static uint16_t crc16(uint16_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 1 ? (crc >> 1) ^ 0xA001u : crc >> 1);
    }
    return crc;
}

/* Where the parts of a tag frame are. */
typedef struct tag_layout {
    mpa_header h;
    size_t xing;       /* "Xing"/"Info" */
    size_t lame;       /* LAME extension */
    int cbr;           /* "Info": LAME's CBR mode */
} tag_layout;

/* Checks that `f` (n bytes) is a tag frame as LAME 3.100 writes it: all
 * four Xing fields present, the LAME extension after them. */
static int parse_tag_frame(const uint8_t *f, size_t n, tag_layout *t)
{
    if (n < 4 || !parse_header(f, &t->h) || t->h.frame_len != n)
        return 0;
    t->xing = 4 + t->h.side_info;
    t->lame = t->xing + 8 + 4 + 4 + 100 + 4;
    if (t->lame + LAME_EXT_BYTES > n)
        return 0;
    if (memcmp(f + t->xing, "Info", 4) == 0)
        t->cbr = 1;
    else if (memcmp(f + t->xing, "Xing", 4) == 0)
        t->cbr = 0;
    else
        return 0;
    return segue_rb32(f + t->xing + 4) == (XING_FRAMES | XING_BYTES | XING_TOC | XING_QUALITY);
}

/* The Xing seek table as LAME 3.100 fills it for a constant bitrate
 * (VbrTag.c, addVbr and Xing_seek_table): LAME keeps the running sum of
 * frame bitrates every `want` frames in a 400-entry table, halving the table
 * and doubling `want` whenever it fills; entry i of the TOC is 256 times the
 * table entry at i% of the table over the total, computed in single
 * precision. With one bitrate the table entry j holds kbps * (j + 1) * want,
 * so only the table's fill state has to be followed. */
static void cbr_toc(uint64_t frames, unsigned kbps, uint8_t toc[100])
{
    uint64_t want = 1, pos = 0, seen = 0;
    for (uint64_t f = 0; f < frames; f++) {
        if (++seen < want)
            continue;
        if (pos < 400) {
            pos++;
            seen = 0;
        }
        if (pos == 400) {
            want *= 2;
            pos /= 2;
        }
    }
    memset(toc, 0, 100);
    if (pos == 0)
        return;
    float sum = (float)(int64_t)(kbps * frames);
    for (int i = 1; i < 100; i++) {
        float j = (float)i / 100.0f;
        float at = j * (float)pos;
        int64_t idx = (int64_t)at; /* floor: at >= 0 */
        if (idx > (int64_t)pos - 1)
            idx = (int64_t)pos - 1;
        float act = (float)(int64_t)(kbps * (uint64_t)(idx + 1) * want);
        double point = 256.0 * (double)act / (double)sum;
        toc[i] = (uint8_t)(point > 255.0 ? 255 : (int)point);
    }
}

/* What the up-front tag carries. */
enum { TAG_NONE = 0, TAG_FULL = 1, TAG_FRAMES = 2, TAG_OMIT = 3 };

/* Builds the tag frame for a pipe into `out` (the template's size) from the
 * template `tpl`, the encoder delay and the input length (`total` frames,
 * -1 if unknown). Returns TAG_FULL (CBR, length known: every field LAME
 * will write except the music CRC), TAG_FRAMES (VBR/ABR, length known:
 * frame count, delay and padding; no byte count or seek table, which depend
 * on the bitrates still to be chosen), TAG_OMIT (length unknown: no tag
 * frame at all, see below), or TAG_NONE if the template is not usable.
 *
 * Length unknown: a tag without frame and byte counts helps no common
 * decoder (mpg123 trims only with a frame count) and hurts one: ffmpeg 5.1
 * then takes the tag frame for audio, decodes it as 1152 samples of
 * silence and still skips the encoder delay, so its output gains 47 samples
 * at the start. Without the frame every decoder sees plain audio frames
 * (what ffmpeg's own MP3 muxer writes to a pipe). */
static int build_tag(const uint8_t *tpl, size_t n, uint32_t delay, int64_t total, uint8_t *out)
{
    tag_layout t;
    if (!parse_tag_frame(tpl, n, &t) || delay > 4095)
        return TAG_NONE;
    if (total < 0)
        return TAG_OMIT;
    /* LAME 3.100 lame_encode_flush(): it encodes delay + total samples and
     * pads the last frame to a whole frame, with at least 576 samples of
     * padding (so the last granule decodes completely). */
    uint64_t s = (uint64_t)delay + (uint64_t)total;
    uint64_t pad = t.h.spf - s % t.h.spf;
    if (pad < 576)
        pad += t.h.spf;
    uint64_t frames = (s + pad) / t.h.spf;
    if (frames > 0xFFFFFFFFu)
        return TAG_NONE;
    uint8_t ext[LAME_EXT_BYTES];
    memcpy(ext, tpl + t.lame, LAME_EXT_BYTES);
    /* [INFO] "Encoder delays": 12 bits delay, 12 bits padding. */
    ext[LAME_DELAY] = (uint8_t)(delay >> 4);
    ext[LAME_DELAY + 1] = (uint8_t)(((delay & 15u) << 4) | ((pad >> 8) & 15u));
    ext[LAME_DELAY + 2] = (uint8_t)(pad & 0xFF);
    /* The music CRC covers audio not encoded yet: 0 ([INFO] leaves no
     * "unknown" value; decoders do not check it). */
    ext[LAME_MUSIC_CRC] = ext[LAME_MUSIC_CRC + 1] = 0;
    memset(ext + LAME_MUSIC_LENGTH, 0, 4);

    memset(out, 0, n);
    memcpy(out, tpl, t.xing + 4); /* header, empty side info, "Xing"/"Info" */
    size_t o = t.xing + 8;
    int kind;
    if (t.cbr) {
        /* Every audio frame has the CBR bitrate: the LAME tag's "ABR/CBR
         * bitrate" byte, except that it saturates at 255 ([INFO]): then the
         * tag frame's own bitrate, which LAME gives the frame in CBR. (The
         * two differ when the encoder borrowed a higher-bitrate tag frame
         * because the tag does not fit one at the CBR bitrate.) LAME pads
         * frame k (from 1) when the accumulated fraction of a slot
         * overflows (lame.c lame_init_params "padding method", encoder.c: no
         * padding in the first frame): ceil((k - 1) * frac / rate) padded
         * frames in k. */
        uint64_t kbps = ext[20] && ext[20] != 0xFF ? ext[20] : t.h.kbps;
        uint64_t coef = t.h.version == 1 ? 144000u : 72000u;
        uint64_t base = coef * kbps / t.h.rate, frac = coef * kbps % t.h.rate;
        uint64_t padded = ((frames - 1) * frac + t.h.rate - 1) / t.h.rate;
        uint64_t bytes = n + frames * base + padded;
        if (bytes > 0xFFFFFFFFu)
            return TAG_NONE;
        segue_wb32(out + t.xing + 4, XING_FRAMES | XING_BYTES | XING_TOC | XING_QUALITY);
        segue_wb32(out + o, (uint32_t)frames);
        segue_wb32(out + o + 4, (uint32_t)bytes);
        cbr_toc(frames, (unsigned)kbps, out + o + 8);
        memcpy(out + o + 108, tpl + t.xing + 8 + 108, 4); /* quality */
        o += 112;
        /* [INFO] "Music length": the stream from the tag frame on. */
        segue_wb32(ext + LAME_MUSIC_LENGTH, (uint32_t)bytes);
        kind = TAG_FULL;
    } else {
        segue_wb32(out + t.xing + 4, XING_FRAMES | XING_QUALITY);
        segue_wb32(out + o, (uint32_t)frames);
        memcpy(out + o + 4, tpl + t.xing + 8 + 108, 4);
        o += 8;
        kind = TAG_FRAMES;
    }
    memcpy(out + o, ext, LAME_EXT_BYTES);
    /* [INFO] "CRC-16 of Info Tag": over the frame from its first byte up to
     * the CRC field (the first 190 bytes in the full MPEG-1 stereo layout). */
    uint16_t crc = crc16(0, out, o + LAME_TAG_CRC);
    segue_wb16(out + o + LAME_TAG_CRC, crc);
    return kind;
}

/* ---- muxer ------------------------------------------------------------------ */

/* params->encoder_delay counts the samples a decoder drops (codec/ext/lame):
 * the LAME tag's encoder delay plus the decoder delay of 529 (528 + 1, the
 * synthesis filterbank) that gapless decoders add to the tag's value. */
#define MP3_DECODER_DELAY 529u

typedef struct mp3_mux {
    int64_t audio_start;    /* file offset of the first MPEG byte (the tag frame) */
    uint64_t stream_bytes;  /* encoder bytes received (placeholder included) */
    uint8_t *tpl;           /* the encoder's tag template, NULL if no tag frame */
    size_t tpl_size;
    int pipe;
    int tag_kind;           /* pipe: what the written tag carries */
    uint8_t *written;       /* pipe: the tag frame written */
    size_t skip;            /* pipe: placeholder bytes still to drop */
    int tag_done;
    uint16_t music_crc;     /* CRC-16 of the audio after the tag frame */
    uint32_t delay;         /* the LAME tag's encoder delay */
    int64_t tag_at;         /* late loudness: offset of the ID3v2 tag, -1 if none */
    size_t tag_size;        /* its size, padding included */
    int tag_version;
} mp3_mux;

static const uint32_t mpeg_rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};

static segue_status mp3_setup(const segue_encoder_config *cfg, segue_codec_params *params,
                              segue_error *err)
{
    if (cfg->codec && strcmp(cfg->codec, "mp3") != 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "mp3: codec '%s' cannot be written; the mp3 muxer stores mp3", cfg->codec);
    if (cfg->channels < 1 || cfg->channels > 2)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "mp3: %u channels; MP3 carries 1 or 2",
                               cfg->channels);
    int ok = 0;
    for (size_t i = 0; i < sizeof mpeg_rates / sizeof mpeg_rates[0]; i++)
        ok |= mpeg_rates[i] == cfg->sample_rate;
    if (!ok)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "mp3: %u Hz is not an MPEG audio rate; resample first", cfg->sample_rate);
    if (cfg->id3v2_version != 0 && cfg->id3v2_version != 3 && cfg->id3v2_version != 4)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "mp3: id3v2_version %d (3 or 4)",
                               cfg->id3v2_version);
    params->codec = "mp3";
    params->sample_rate = cfg->sample_rate;
    params->channels = cfg->channels;
    params->sample_format = SEGUE_SAMPLE_F32;
    return SEGUE_OK;
}

static segue_status mp3_open(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params)
{
    mp3_mux *m = priv;
    segue_writer *wr = ctx->writer;
    segue_status st;
    int version = ctx->cfg->id3v2_version == 4 ? 4 : 3;
    m->tag_at = -1;
    m->tag_version = version;
    if (ctx->metadata) {
        m->tag_at = segue_writer_tell(wr);
        uint8_t *tag = NULL;
        size_t size = 0;
        st = segue_id3v2_write(ctx->metadata, version, ctx->unmapped, ctx->allocator, &tag, &size,
                               ctx->err);
        if (st < 0)
            return st;
        m->tag_size = size;
        st = size ? segue_writer_write(wr, tag, size) : SEGUE_OK;
        segue_mem_free(ctx->allocator, tag);
        if (st < 0)
            return st;
    }
    m->audio_start = segue_writer_tell(wr);
    m->pipe = !segue_writer_seekable(wr);
    if (params->extradata_size && params->encoder_delay < MP3_DECODER_DELAY)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "mp3: encoder delay %u is below the decoder delay",
                               params->encoder_delay);
    m->delay = params->encoder_delay - (params->extradata_size ? MP3_DECODER_DELAY : 0u);
    if (params->extradata && params->extradata_size) {
        tag_layout t;
        if (!parse_tag_frame(params->extradata, params->extradata_size, &t))
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                                   "mp3: the encoder's %zu-byte tag template is not a LAME tag frame",
                                   params->extradata_size);
        m->tpl_size = params->extradata_size;
        m->tpl = segue_mem_alloc(ctx->allocator, m->tpl_size);
        if (!m->tpl)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp3: out of memory");
        memcpy(m->tpl, params->extradata, m->tpl_size);
    }
    if (m->pipe && m->tpl) {
        m->written = segue_mem_alloc(ctx->allocator, m->tpl_size);
        if (!m->written)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp3: out of memory");
        m->tag_kind = build_tag(m->tpl, m->tpl_size, m->delay, ctx->cfg->total_frames,
                                m->written);
        if (m->tag_kind == TAG_NONE)
            return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                                   "mp3: cannot describe %lld frames in an Info tag",
                                   (long long)ctx->cfg->total_frames);
        /* The computed frame goes out now, in place of the encoder's
         * placeholder, which write_packet drops. */
        if (m->tag_kind != TAG_OMIT && (st = segue_writer_write(wr, m->written, m->tpl_size)) < 0)
            return st;
        m->skip = m->tpl_size;
    }
    return SEGUE_OK;
}

/* Pipe: checks the tag written up front against LAME's final one. Bytes
 * that cannot be known before the audio is encoded are left out: the music
 * CRC and the tag CRC over it, and the mode-extension bits of the frame
 * header (LAME copies them from the last audio frame). */
static segue_status verify_pipe_tag(mp3_mux *m, segue_mux_ctx *ctx, const uint8_t *real, size_t n)
{
    tag_layout t;
    if (m->tag_kind == TAG_OMIT)
        return SEGUE_OK; /* nothing was written up front */
    if (!parse_tag_frame(real, n, &t))
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "mp3: the encoder's final tag is not a LAME tag frame");
    const uint8_t *w = m->written;
    const uint8_t *wext = m->tag_kind == TAG_FULL ? w + t.lame : w + t.xing + 16;
    uint32_t w_frames = segue_rb32(w + t.xing + 8), real_frames = segue_rb32(real + t.xing + 8);
    if (w_frames != real_frames || memcmp(wext + LAME_DELAY, real + t.lame + LAME_DELAY, 3) != 0) {
        if (ctx->cfg->total_frames >= 0 && ctx->input_frames != (uint64_t)ctx->cfg->total_frames)
            return segue_error_set(ctx->err, SEGUE_ERR_STATE,
                                   "mp3: %llu frames written, %lld announced: the Info tag at the "
                                   "start of the stream is wrong",
                                   (unsigned long long)ctx->input_frames,
                                   (long long)ctx->cfg->total_frames);
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "mp3: Info tag written up front says %u frames, LAME wrote %u "
                               "(or the delay/padding differ)",
                               w_frames, real_frames);
    }
    if (m->tag_kind != TAG_FULL)
        return SEGUE_OK;
    for (size_t i = 0; i < n; i++) {
        if (i == 3 && ((w[i] ^ real[i]) & 0xCF) == 0)
            continue; /* mode extension */
        if (i >= t.lame + LAME_MUSIC_CRC && i < t.lame + LAME_TAG_CRC + 2)
            continue; /* music CRC, tag CRC */
        if (w[i] != real[i])
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                                   "mp3: Info tag written up front differs from LAME's at byte %zu "
                                   "(0x%02x, LAME 0x%02x)",
                                   i, w[i], real[i]);
    }
    return SEGUE_OK;
}

static segue_status mp3_write_packet(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt)
{
    mp3_mux *m = priv;
    if (pkt->flags & SEGUE_PACKET_HEADER_UPDATE) {
        if (!m->tpl || m->tag_done)
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "mp3: unexpected tag frame from the encoder");
        if (pkt->size != m->tpl_size)
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                                   "mp3: final tag frame is %zu bytes, the placeholder %zu",
                                   pkt->size, m->tpl_size);
        if (m->stream_bytes < m->tpl_size)
            return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "mp3: tag frame before the placeholder");
        m->tag_done = 1;
        if (m->pipe)
            return verify_pipe_tag(m, ctx, pkt->data, pkt->size);
        return segue_writer_patch(ctx->writer, m->audio_start, pkt->data, pkt->size);
    }
    const uint8_t *d = pkt->data;
    size_t n = pkt->size;
    /* [INFO] "Music CRC": CRC-16 of the audio frames after the tag frame. */
    if (m->stream_bytes + n > m->tpl_size) {
        size_t from = m->stream_bytes >= m->tpl_size ? 0 : (size_t)(m->tpl_size - m->stream_bytes);
        m->music_crc = crc16(m->music_crc, d + from, n - from);
    }
    m->stream_bytes += n;
    if (m->skip) {
        size_t drop = n < m->skip ? n : m->skip;
        d += drop;
        n -= drop;
        m->skip -= drop;
    }
    return n ? segue_writer_write(ctx->writer, d, n) : SEGUE_OK;
}

/* The encoder sent no final tag frame (its tag is its own, see
 * codec/ext/lame): the tag is completed here from the counts. Seekable: the
 * frame count and padding from the input length, the byte count checked
 * against the bytes that passed, the music CRC of those bytes. Pipe: the
 * frame written at open stays; its byte count is checked. */
static segue_status complete_own_tag(mp3_mux *m, segue_mux_ctx *ctx)
{
    uint8_t *f = segue_mem_alloc(ctx->allocator, m->tpl_size);
    if (!f)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp3: out of memory");
    segue_status st = SEGUE_OK;
    int kind = build_tag(m->tpl, m->tpl_size, m->delay, (int64_t)ctx->input_frames, f);
    tag_layout t;
    if (kind == TAG_NONE || !parse_tag_frame(m->tpl, m->tpl_size, &t)) {
        st = segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "mp3: cannot complete the tag frame");
    } else if (kind == TAG_FULL && segue_rb32(f + t.xing + 12) != m->stream_bytes) {
        st = segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                             "mp3: tag frame counts %u bytes, the stream has %llu",
                             segue_rb32(f + t.xing + 12), (unsigned long long)m->stream_bytes);
    } else if (!m->pipe) {
        size_t ext = kind == TAG_FULL ? t.lame : t.xing + 16;
        segue_wb16(f + ext + LAME_MUSIC_CRC, m->music_crc);
        segue_wb16(f + ext + LAME_TAG_CRC, crc16(0, f, ext + LAME_TAG_CRC));
        st = segue_writer_patch(ctx->writer, m->audio_start, f, m->tpl_size);
    }
    segue_mem_free(ctx->allocator, f);
    m->tag_done = st >= 0;
    return st;
}

/* Late loudness (segue_encoder_config.late_loudness): the ID3v2 tag written
 * at open held placeholder loudness values; it is rendered again from the
 * final record at its old size ([v2.4-S] 3.3: the padding absorbs the
 * difference) and written over the old one. The first render reported
 * what ID3 cannot carry; only what the late record adds (R128 gains, which
 * have no ID3 field) is reported now. */
static segue_status rewrite_tag(mp3_mux *m, segue_mux_ctx *ctx)
{
    if (m->tag_at < 0 || !m->tag_size)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "mp3: no ID3v2 tag to rewrite");
    segue_metadata *notes = NULL;
    segue_status st = segue_metadata_create(&notes, ctx->allocator);
    if (st < 0)
        return segue_error_set(ctx->err, st, "mp3: out of memory");
    uint8_t *tag = NULL;
    st = segue_id3v2_write_fixed(ctx->metadata, m->tag_version, m->tag_size, notes, ctx->allocator,
                                 &tag, ctx->err);
    if (st >= 0)
        st = segue_writer_patch(ctx->writer, m->tag_at, tag, m->tag_size);
    segue_mem_free(ctx->allocator, tag);
    size_t n = segue_metadata_unmapped_count(notes);
    for (size_t i = 0; i < n && st >= 0 && ctx->unmapped; i++) {
        const char *what, *reason;
        if (segue_metadata_unmapped_at(notes, i, &what, &reason) == SEGUE_OK &&
            strncmp(what, "R128_", 5) == 0 &&
            segue_metadata_add_unmapped(ctx->unmapped, what, reason) < 0)
            st = segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp3: out of memory");
    }
    segue_metadata_destroy(notes);
    return st;
}

static segue_status mp3_finish(void *priv, segue_mux_ctx *ctx)
{
    mp3_mux *m = priv;
    segue_status st;
    if (m->tpl && !m->tag_done && (st = complete_own_tag(m, ctx)) < 0)
        return st;
    if (ctx->cfg->late_loudness && (st = rewrite_tag(m, ctx)) < 0)
        return st;
    /* No ID3v1 tag: off by default (docs/mp3-gapless.md); segue_id3v1_render()
     * is the writer for when a config switch asks for one. */
    return SEGUE_OK;
}

static void mp3_close(void *priv, segue_mux_ctx *ctx)
{
    mp3_mux *m = priv;
    segue_mem_free(ctx->allocator, m->tpl);
    segue_mem_free(ctx->allocator, m->written);
    m->tpl = m->written = NULL;
}

const segue_muxer_desc segue_muxer_mp3 = {
    .name = "mp3",
    .extensions = "mp3",
    .default_codec = "mp3",
    .priv_size = sizeof(mp3_mux),
    .setup = mp3_setup,
    .open = mp3_open,
    .write_packet = mp3_write_packet,
    .finish = mp3_finish,
    .close = mp3_close,
    .late_loudness = 1,
};
