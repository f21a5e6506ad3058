/*
 * codec/ext/flac/flac.c - FLAC through libFLAC: frames <-> PCM.
 *
 * References: RFC 9639 "Free Lossless Audio Codec (FLAC)" ([9639]; 8.2
 * STREAMINFO, 7 streamable subset) and the libFLAC API documentation
 * (stream_decoder.h, stream_encoder.h).
 *
 * Packets are single FLAC frames, split by the container (container/flac.c,
 * Ogg FLAC); extradata is the 34-byte STREAMINFO body.
 *
 * Decoder. A libFLAC stream decoder reads through a callback that serves
 * first "fLaC" plus a STREAMINFO block made from the extradata, then the
 * bytes of the current packet. decode() asks libFLAC for one frame; bytes
 * after that frame in the packet are flushed, so packets never leak into
 * each other. Samples become float by 2^-(bits-1), exact up to 24 bits.
 * MD5 checking is off (it needs the whole stream in order; seeking breaks
 * it). Damage: the decoder config's `strict` is not visible to codecs, so
 * every libFLAC error (lost sync, bad header, CRC-16 mismatch) and a packet
 * that holds no whole frame are SEGUE_ERR_CORRUPT with a "flac: ..."
 * detail. libFLAC would hand a frame that fails its CRC out as silence;
 * that concealment is not used because it would hide damage in strict
 * mode. (The FLAC demuxer drops a damaged last frame itself when not
 * strict.)
 *
 * Encoder. A libFLAC stream encoder with the compression level of the
 * config (0..8, default 5), the bit depth of the sample format (8 for
 * u8/s8, 16, 24, 32), the streamable subset when the parameters allow it
 * ([9639] 7: bit depth <= 24 and a rate a frame header can code; 32-bit
 * streams are written outside the subset), verify off, MD5 on (libFLAC always computes it), and no
 * metadata blocks of its own (the muxer writes them). Its write callback
 * separates the metadata libFLAC writes during init (samples == 0: "fLaC",
 * STREAMINFO, an empty VORBIS_COMMENT), of which the STREAMINFO body
 * becomes params->extradata, from frames, which are collected into one
 * packet per encode() call. libFLAC holds one block (plus one sample) back
 * to know whether a block is the last, so one call yields 0, 1 or several
 * frames; the packet buffer holds
 *     (max_packet_frames + 2 * blocksize) / blocksize + 1
 * frames of the verbatim worst case (every channel stored raw, side
 * channels one bit wider, plus header, subframe headers and footer), which
 * libFLAC never exceeds since it falls back to verbatim subframes.
 * Flushing calls FLAC__stream_encoder_finish(), returns the last frames,
 * then a SEGUE_PACKET_HEADER_UPDATE packet with the final STREAMINFO (sizes,
 * total samples, MD5) that libFLAC passes to the metadata callback (no seek
 * callback is given, so libFLAC never rewrites the stream itself), then
 * SEGUE_END_OF_STREAM. Float input is converted to integers exactly as the
 * PCM codec does (the segue_dsp kernels: round to nearest even, clip), so
 * WAV -> FLAC -> WAV is bit-exact.
 */
#include <math.h>
#include <string.h>

#include <FLAC/format.h>
#include <FLAC/stream_decoder.h>
#include <FLAC/stream_encoder.h>

#include <segue/encoder.h>

#include "codec/codec.h"
#include "core/alloc.h"
#include "simd/dsp.h"

#define FLAC_SI_BYTES 34u
#define FLAC_HEAD_BYTES (4u + 4u + FLAC_SI_BYTES)
#define FLAC_META_MAX 512u /* init-time metadata kept to find STREAMINFO */

typedef struct flac_codec {
    const segue_dsp *dsp;
    uint32_t channels, bits, rate, max_block;

    /* decoder */
    FLAC__StreamDecoder *dec;
    uint8_t head[FLAC_HEAD_BYTES]; /* "fLaC" + STREAMINFO block, fed first */
    size_t head_pos;
    const uint8_t *in;
    size_t in_left;
    float *pcm;                    /* max_block * channels */
    size_t frames_out;
    int got_frame;
    int lib_error;                 /* first libFLAC error status, -1 if none */
    segue_status cb_status;        /* a write callback refusal */
    uint32_t cb_value, cb_expect;  /* what was refused, for the message */
    const char *cb_what;

    /* encoder */
    FLAC__StreamEncoder *enc;
    segue_sample_format format;
    size_t max_frames;             /* frames per encode() call */
    int32_t *ints;                 /* max_frames * channels */
    int16_t *s16;
    uint8_t *out;                  /* one packet of frames */
    size_t out_cap, out_len;
    int64_t out_pts;
    uint32_t out_frames;
    uint64_t samples_coded;
    int frames_started;
    int overflow;
    uint8_t meta[FLAC_META_MAX];   /* metadata written during init */
    size_t meta_len;
    uint8_t si_initial[FLAC_SI_BYTES];
    uint8_t si_final[FLAC_SI_BYTES];
    int have_final;
    int flush_stage;               /* 0 encoding, 1 header update due, 2 done */
    int closing;
} flac_codec;

/* ---- STREAMINFO ([9639] 8.2) ---------------------------------------------- */

typedef struct streaminfo {
    uint32_t min_block, max_block, rate, channels, bits;
    uint64_t total;
} streaminfo;

static void si_parse(const uint8_t *b, streaminfo *si)
{
    si->min_block = ((uint32_t)b[0] << 8) | b[1];
    si->max_block = ((uint32_t)b[2] << 8) | b[3];
    si->rate = ((uint32_t)b[10] << 12) | ((uint32_t)b[11] << 4) | (b[12] >> 4);
    si->channels = ((b[12] >> 1) & 7u) + 1;
    si->bits = ((((uint32_t)b[12] & 1u) << 4) | (b[13] >> 4)) + 1;
    si->total = ((uint64_t)(b[13] & 15u) << 32) | ((uint32_t)b[14] << 24) |
                ((uint32_t)b[15] << 16) | ((uint32_t)b[16] << 8) | b[17];
}

/* Serialises libFLAC's STREAMINFO struct into the 34-byte body. */
static void si_write(uint8_t *b, const FLAC__StreamMetadata_StreamInfo *si)
{
    uint32_t ch = si->channels - 1, bps = si->bits_per_sample - 1;
    uint64_t total = si->total_samples & 0xFFFFFFFFFull;
    b[0] = (uint8_t)(si->min_blocksize >> 8), b[1] = (uint8_t)si->min_blocksize;
    b[2] = (uint8_t)(si->max_blocksize >> 8), b[3] = (uint8_t)si->max_blocksize;
    b[4] = (uint8_t)(si->min_framesize >> 16), b[5] = (uint8_t)(si->min_framesize >> 8);
    b[6] = (uint8_t)si->min_framesize;
    b[7] = (uint8_t)(si->max_framesize >> 16), b[8] = (uint8_t)(si->max_framesize >> 8);
    b[9] = (uint8_t)si->max_framesize;
    b[10] = (uint8_t)(si->sample_rate >> 12);
    b[11] = (uint8_t)(si->sample_rate >> 4);
    b[12] = (uint8_t)(((si->sample_rate & 15u) << 4) | (ch << 1) | (bps >> 4));
    b[13] = (uint8_t)(((bps & 15u) << 4) | (uint32_t)(total >> 32));
    b[14] = (uint8_t)(total >> 24), b[15] = (uint8_t)(total >> 16);
    b[16] = (uint8_t)(total >> 8), b[17] = (uint8_t)total;
    memcpy(b + 18, si->md5sum, 16);
}

/* ---- decoder ------------------------------------------------------------------ */

static FLAC__StreamDecoderReadStatus dec_read(const FLAC__StreamDecoder *dec, FLAC__byte buffer[],
                                              size_t *bytes, void *user)
{
    (void)dec;
    flac_codec *s = user;
    size_t want = *bytes, n = 0;
    if (s->head_pos < sizeof s->head) {
        n = sizeof s->head - s->head_pos;
        if (n > want)
            n = want;
        memcpy(buffer, s->head + s->head_pos, n);
        s->head_pos += n;
    } else if (s->in_left) {
        n = s->in_left < want ? s->in_left : want;
        memcpy(buffer, s->in, n);
        s->in += n;
        s->in_left -= n;
    }
    *bytes = n;
    /* Out of packet bytes mid-frame: libFLAC stops (END_OF_STREAM state)
     * and decode() reports the truncated frame. */
    return n ? FLAC__STREAM_DECODER_READ_STATUS_CONTINUE : FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
}

static FLAC__StreamDecoderWriteStatus dec_write(const FLAC__StreamDecoder *dec, const FLAC__Frame *frame,
                                                const FLAC__int32 *const buffer[], void *user)
{
    (void)dec;
    flac_codec *s = user;
    const FLAC__FrameHeader *h = &frame->header;
    if (s->got_frame) {
        /* A second frame from one packet: cannot happen with one read per
         * frame, refused rather than overwriting the first. */
        s->cb_status = SEGUE_ERR_CORRUPT, s->cb_what = "frames in one packet", s->cb_value = 2;
        s->cb_expect = 1;
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    if (h->channels != s->channels) {
        s->cb_status = SEGUE_ERR_CORRUPT, s->cb_what = "channel count", s->cb_value = h->channels;
        s->cb_expect = s->channels;
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    if (h->bits_per_sample != s->bits) {
        s->cb_status = SEGUE_ERR_CORRUPT, s->cb_what = "bit depth", s->cb_value = h->bits_per_sample;
        s->cb_expect = s->bits;
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    if (h->blocksize == 0 || h->blocksize > s->max_block) {
        s->cb_status = SEGUE_ERR_CORRUPT, s->cb_what = "block size", s->cb_value = h->blocksize;
        s->cb_expect = s->max_block;
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    /* Interleave and scale by 2^-(bits-1): exact for <= 24 bits (the int
     * converts exactly, the product by a power of two is exact). */
    const float scale = ldexpf(1.0f, -(int)(s->bits - 1));
    const uint32_t ch = s->channels, n = h->blocksize;
    for (uint32_t c = 0; c < ch; c++) {
        const FLAC__int32 *src = buffer[c];
        float *dst = s->pcm + c;
        for (uint32_t i = 0; i < n; i++)
            dst[(size_t)i * ch] = (float)src[i] * scale;
    }
    s->frames_out = n;
    s->got_frame = 1;
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

static void dec_error(const FLAC__StreamDecoder *dec, FLAC__StreamDecoderErrorStatus status, void *user)
{
    (void)dec;
    flac_codec *s = user;
    if (s->lib_error < 0)
        s->lib_error = (int)status;
}

static const char *lib_error_text(int status)
{
    switch (status) {
    case FLAC__STREAM_DECODER_ERROR_STATUS_LOST_SYNC: return "lost sync (no frame header where one was due)";
    case FLAC__STREAM_DECODER_ERROR_STATUS_BAD_HEADER: return "bad frame header";
    case FLAC__STREAM_DECODER_ERROR_STATUS_FRAME_CRC_MISMATCH: return "frame CRC-16 mismatch";
    case FLAC__STREAM_DECODER_ERROR_STATUS_UNPARSEABLE_STREAM: return "unparseable frame (reserved coding)";
    default: return "decoder error";
    }
}

static segue_status flac_decoder_init(void *priv, const segue_codec_params *p, const segue_allocator *a,
                                      segue_error *err)
{
    flac_codec *s = priv;
    s->lib_error = -1;
    s->dsp = segue_dsp_get();
    if (!p->extradata || p->extradata_size != FLAC_SI_BYTES)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "flac: decoder needs the 34-byte STREAMINFO as extradata, got %zu bytes",
                               p->extradata ? p->extradata_size : 0);
    streaminfo si;
    si_parse(p->extradata, &si);
    if (si.max_block < 16)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "flac: STREAMINFO maximum block size %u is below 16",
                               si.max_block);
    if (si.bits < 4)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "flac: STREAMINFO bit depth %u is below 4", si.bits);
    if (si.rate == 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "flac: STREAMINFO sample rate is 0");
    if ((p->channels && p->channels != si.channels) || (p->sample_rate && p->sample_rate != si.rate))
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "flac: stream parameters (%u ch, %u Hz) disagree with STREAMINFO (%u ch, %u Hz)",
                               p->channels, p->sample_rate, si.channels, si.rate);
    s->channels = si.channels;
    s->bits = si.bits;
    s->rate = si.rate;
    s->max_block = si.max_block;
    s->pcm = segue_mem_calloc(a, (size_t)s->max_block * s->channels, sizeof *s->pcm);
    if (!s->pcm)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: cannot allocate %u x %u samples",
                               s->max_block, s->channels);

    memcpy(s->head, "fLaC", 4);
    s->head[4] = 0x80; /* last metadata block, type 0 (STREAMINFO) */
    s->head[5] = 0, s->head[6] = 0, s->head[7] = FLAC_SI_BYTES;
    memcpy(s->head + 8, p->extradata, FLAC_SI_BYTES);

    s->dec = FLAC__stream_decoder_new();
    if (!s->dec)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: cannot create the libFLAC decoder");
    FLAC__stream_decoder_set_md5_checking(s->dec, false);
    FLAC__stream_decoder_set_metadata_ignore_all(s->dec);
    FLAC__StreamDecoderInitStatus is = FLAC__stream_decoder_init_stream(
        s->dec, dec_read, NULL, NULL, NULL, NULL, dec_write, NULL, dec_error, s);
    if (is != FLAC__STREAM_DECODER_INIT_STATUS_OK)
        return segue_error_set(err,
                               is == FLAC__STREAM_DECODER_INIT_STATUS_MEMORY_ALLOCATION_ERROR
                                   ? SEGUE_ERR_NO_MEMORY
                                   : SEGUE_ERR_INTERNAL,
                               "flac: libFLAC decoder init failed: %s",
                               FLAC__StreamDecoderInitStatusString[is]);
    if (!FLAC__stream_decoder_process_until_end_of_metadata(s->dec) ||
        FLAC__stream_decoder_get_state(s->dec) != FLAC__STREAM_DECODER_SEARCH_FOR_FRAME_SYNC || s->lib_error >= 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "flac: libFLAC rejected the STREAMINFO (%s)",
                               FLAC__stream_decoder_get_resolved_state_string(s->dec));
    return SEGUE_OK;
}

static segue_status flac_decode(void *priv, const segue_packet *pkt, const float **pcm, size_t *frames,
                                segue_error *err)
{
    flac_codec *s = priv;
    *pcm = NULL;
    *frames = 0;
    if (!pkt->size)
        return SEGUE_OK;
    s->in = pkt->data;
    s->in_left = pkt->size;
    s->got_frame = 0;
    s->frames_out = 0;
    s->lib_error = -1;
    s->cb_status = SEGUE_OK;
    FLAC__bool ok = FLAC__stream_decoder_process_single(s->dec);
    FLAC__StreamDecoderState state = FLAC__stream_decoder_get_state(s->dec);
    /* Drop what libFLAC buffered beyond the frame and clear END_OF_STREAM or
     * ABORTED states, so the next packet starts clean. */
    s->in_left = 0;
    if (!FLAC__stream_decoder_flush(s->dec))
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: libFLAC flush failed");
    long long at = (long long)pkt->pts;
    if (s->cb_status < 0)
        return segue_error_set(err, s->cb_status, "flac: frame at sample %lld has %s %u, the stream allows %u",
                               at, s->cb_what, s->cb_value, s->cb_expect);
    if (s->lib_error >= 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "flac: %s in the frame at sample %lld (%zu-byte packet)",
                               lib_error_text(s->lib_error), at, pkt->size);
    if (!ok && state == FLAC__STREAM_DECODER_MEMORY_ALLOCATION_ERROR)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: libFLAC ran out of memory");
    if (!s->got_frame)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "flac: %zu-byte packet at sample %lld holds no complete frame (truncated)",
                               pkt->size, at);
    *pcm = s->pcm;
    *frames = s->frames_out;
    return SEGUE_OK;
}

static void flac_reset(void *priv)
{
    flac_codec *s = priv;
    if (s->dec)
        FLAC__stream_decoder_flush(s->dec);
}

/* ---- encoder ---------------------------------------------------------------------- */

static FLAC__StreamEncoderWriteStatus enc_write(const FLAC__StreamEncoder *enc, const FLAC__byte buffer[],
                                                size_t bytes, uint32_t samples, uint32_t current_frame,
                                                void *user)
{
    (void)enc, (void)current_frame;
    flac_codec *s = user;
    if (s->closing)
        return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
    if (samples == 0 && !s->frames_started) {
        /* Metadata written during init; only the start (with STREAMINFO)
         * is needed. */
        size_t n = bytes < FLAC_META_MAX - s->meta_len ? bytes : FLAC_META_MAX - s->meta_len;
        memcpy(s->meta + s->meta_len, buffer, n);
        s->meta_len += n;
        return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
    }
    s->frames_started = 1;
    if (bytes > s->out_cap - s->out_len) {
        s->overflow = 1;
        return FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
    }
    memcpy(s->out + s->out_len, buffer, bytes);
    s->out_len += bytes;
    if (samples) {
        if (!s->out_frames)
            s->out_pts = (int64_t)s->samples_coded;
        s->out_frames += samples;
        s->samples_coded += samples;
    }
    return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

static void enc_metadata(const FLAC__StreamEncoder *enc, const FLAC__StreamMetadata *m, void *user)
{
    (void)enc;
    flac_codec *s = user;
    if (m->type == FLAC__METADATA_TYPE_STREAMINFO) {
        si_write(s->si_final, &m->data.stream_info);
        s->have_final = 1;
    }
}

/* Worst-case bytes of one frame of `block` samples ([9639] 9: header <= 16,
 * per channel a subframe header with wasted-bit count and verbatim samples
 * one bit wider for a side channel, footer 2), with some slack. */
static size_t frame_bound(uint32_t block, uint32_t channels, uint32_t bits)
{
    size_t per_channel = 6 + ((size_t)block * (bits + 1) + 7) / 8;
    return 16 + 2 + channels * per_channel + 64;
}

static segue_status flac_encoder_init(void *priv, segue_codec_params *p, const segue_allocator *a,
                                      segue_error *err)
{
    flac_codec *s = priv;
    s->dsp = segue_dsp_get();
    s->lib_error = -1;
    int level = p->encoder_config ? p->encoder_config->compression_level : -1;
    if (level == -1)
        level = 5;
    if (level < 0 || level > 8)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "flac: compression level %d outside 0..8", level);
    switch (p->sample_format) {
    case SEGUE_SAMPLE_U8:
    case SEGUE_SAMPLE_S8: s->bits = 8; break;
    case SEGUE_SAMPLE_S16: s->bits = 16; break;
    case SEGUE_SAMPLE_S24: s->bits = 24; break;
    case SEGUE_SAMPLE_S32: s->bits = 32; break;
    default:
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "flac: sample format %s cannot be encoded (integer 8, 16, 24 or 32 bit)",
                               segue_sample_format_name(p->sample_format));
    }
    s->format = p->sample_format;
    if (p->channels < 1 || p->channels > FLAC__MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "flac: %u channels; FLAC carries 1..8",
                               p->channels);
    if (!FLAC__format_sample_rate_is_valid(p->sample_rate) || p->sample_rate == 0)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "flac: sample rate %u Hz is not valid for FLAC",
                               p->sample_rate);
    if (p->max_packet_frames == 0 || p->max_packet_frames > (1u << 20))
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "flac: bad packet size %u", p->max_packet_frames);
    s->channels = p->channels;
    s->rate = p->sample_rate;
    s->max_frames = p->max_packet_frames;

    s->enc = FLAC__stream_encoder_new();
    if (!s->enc)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: cannot create the libFLAC encoder");
    /* [9639] 7: the subset needs bit depth <= 24 and a rate the frame
     * header can code; outside it the stream is still valid FLAC. */
    FLAC__bool subset = s->bits <= 24 && FLAC__format_sample_rate_is_subset(s->rate);
    FLAC__bool ok = FLAC__stream_encoder_set_channels(s->enc, s->channels) &&
                    FLAC__stream_encoder_set_bits_per_sample(s->enc, s->bits) &&
                    FLAC__stream_encoder_set_sample_rate(s->enc, s->rate) &&
                    FLAC__stream_encoder_set_compression_level(s->enc, (uint32_t)level) &&
                    FLAC__stream_encoder_set_streamable_subset(s->enc, subset) &&
                    FLAC__stream_encoder_set_verify(s->enc, false) &&
                    FLAC__stream_encoder_set_metadata(s->enc, NULL, 0);
    if (ok && p->total_frames >= 0)
        ok = FLAC__stream_encoder_set_total_samples_estimate(s->enc, (FLAC__uint64)p->total_frames);
    if (!ok)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "flac: libFLAC refused the encoder settings");
    FLAC__StreamEncoderInitStatus is =
        FLAC__stream_encoder_init_stream(s->enc, enc_write, NULL, NULL, enc_metadata, s);
    if (is != FLAC__STREAM_ENCODER_INIT_STATUS_OK)
        return segue_error_set(err,
                               is == FLAC__STREAM_ENCODER_INIT_STATUS_ENCODER_ERROR ? SEGUE_ERR_NO_MEMORY
                                                                                    : SEGUE_ERR_INVALID_ARGUMENT,
                               "flac: libFLAC encoder init failed for %u ch, %u Hz, %u bit: %s", s->channels,
                               s->rate, s->bits, FLAC__StreamEncoderInitStatusString[is]);
    /* What init wrote: "fLaC", then STREAMINFO (header byte 0x00 or 0x80,
     * length 34). */
    if (s->meta_len < 8 + FLAC_SI_BYTES || memcmp(s->meta, "fLaC", 4) != 0 || (s->meta[4] & 0x7F) != 0 ||
        s->meta[5] != 0 || s->meta[6] != 0 || s->meta[7] != FLAC_SI_BYTES)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "flac: libFLAC wrote no STREAMINFO at init (%zu bytes)",
                               s->meta_len);
    memcpy(s->si_initial, s->meta + 8, FLAC_SI_BYTES);

    uint32_t block = FLAC__stream_encoder_get_blocksize(s->enc);
    if (block < 16)
        block = 16;
    s->out_cap = ((s->max_frames + 2u * block) / block + 1) * frame_bound(block, s->channels, s->bits);
    s->out = segue_mem_alloc(a, s->out_cap);
    s->ints = segue_mem_calloc(a, s->max_frames * s->channels, sizeof *s->ints);
    if (s->format == SEGUE_SAMPLE_S16)
        s->s16 = segue_mem_calloc(a, s->max_frames * s->channels, sizeof *s->s16);
    if (!s->out || !s->ints || (s->format == SEGUE_SAMPLE_S16 && !s->s16))
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: cannot allocate the encoder buffers (%zu bytes)",
                               s->out_cap);

    p->extradata = s->si_initial;
    p->extradata_size = FLAC_SI_BYTES;
    p->bits_per_sample = s->bits;
    p->block_align = 0;
    p->encoder_delay = 0;
    return SEGUE_OK;
}

/* Float -> integer, as codec/pcm does for the same stored format. */
static void to_ints(flac_codec *s, const float *pcm, size_t count)
{
    switch (s->format) {
    case SEGUE_SAMPLE_S16:
        s->dsp->f32_to_s16(s->s16, pcm, count);
        for (size_t i = 0; i < count; i++)
            s->ints[i] = s->s16[i];
        break;
    case SEGUE_SAMPLE_S24: s->dsp->f32_to_s24(s->ints, pcm, count); break;
    case SEGUE_SAMPLE_S32: s->dsp->f32_to_s32(s->ints, pcm, count); break;
    default: /* U8 / S8: 2^7 scale, clamp then round (lrintf of an
              * out-of-range value is undefined), NaN -> 0 */
        for (size_t i = 0; i < count; i++) {
            float x = pcm[i] * 128.0f;
            x = x < -128.0f ? -128.0f : x > 127.0f ? 127.0f : x;
            s->ints[i] = x == x ? (int32_t)lrintf(x) : 0;
        }
        break;
    }
}

static segue_status enc_failure(flac_codec *s, segue_error *err)
{
    if (s->overflow)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "flac: encoded frames exceed the %zu-byte packet buffer",
                               s->out_cap);
    FLAC__StreamEncoderState st = FLAC__stream_encoder_get_state(s->enc);
    return segue_error_set(err, st == FLAC__STREAM_ENCODER_MEMORY_ALLOCATION_ERROR ? SEGUE_ERR_NO_MEMORY
                                                                                   : SEGUE_ERR_INTERNAL,
                           "flac: libFLAC encoder failed: %s", FLAC__stream_encoder_get_resolved_state_string(s->enc));
}

static segue_status flac_encode(void *priv, const float *pcm, size_t frames, segue_packet *out, segue_error *err)
{
    flac_codec *s = priv;
    memset(out, 0, sizeof *out);
    out->pts = -1;
    s->out_len = 0;
    s->out_frames = 0;
    if (!pcm || frames == 0) {
        if (s->flush_stage == 0) {
            s->flush_stage = 1;
            if (!FLAC__stream_encoder_finish(s->enc))
                return enc_failure(s, err);
            if (s->out_len) {
                out->data = s->out;
                out->size = s->out_len;
                out->pts = s->out_pts;
                out->frames = s->out_frames;
                return SEGUE_OK;
            }
        }
        if (s->flush_stage == 1) {
            s->flush_stage = 2;
            if (s->have_final) {
                out->data = s->si_final;
                out->size = FLAC_SI_BYTES;
                out->flags = SEGUE_PACKET_HEADER_UPDATE;
                return SEGUE_OK;
            }
        }
        return SEGUE_END_OF_STREAM;
    }
    if (s->flush_stage)
        return segue_error_set(err, SEGUE_ERR_STATE, "flac: encode after flush");
    if (frames > s->max_frames)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "flac: %zu frames exceed the packet size %zu", frames,
                               s->max_frames);
    to_ints(s, pcm, frames * s->channels);
    if (!FLAC__stream_encoder_process_interleaved(s->enc, s->ints, (uint32_t)frames))
        return enc_failure(s, err);
    if (s->out_len) {
        out->data = s->out;
        out->size = s->out_len;
        out->pts = s->out_pts;
        out->frames = s->out_frames;
    }
    return SEGUE_OK;
}

static void flac_fini(void *priv, const segue_allocator *a)
{
    flac_codec *s = priv;
    if (!s)
        return;
    s->closing = 1;
    if (s->dec)
        FLAC__stream_decoder_delete(s->dec);
    if (s->enc)
        FLAC__stream_encoder_delete(s->enc);
    segue_mem_free(a, s->pcm);
    segue_mem_free(a, s->out);
    segue_mem_free(a, s->ints);
    segue_mem_free(a, s->s16);
    memset(s, 0, sizeof *s);
}

const segue_codec_desc segue_codec_flac = {
    .name = "flac",
    .long_name = "FLAC (libFLAC), 4..32 bit, 1..8 channels",
    .caps = SEGUE_CODEC_DECODE | SEGUE_CODEC_ENCODE,
    .priv_size = sizeof(flac_codec),
    .encoder_rates = NULL,
    .decoder_init = flac_decoder_init,
    .decode = flac_decode,
    .encoder_init = flac_encoder_init,
    .encode = flac_encode,
    .reset = flac_reset,
    .fini = flac_fini,
};
