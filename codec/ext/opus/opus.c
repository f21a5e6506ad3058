/*
 * codec/ext/opus/opus.c - Opus through libopus (multistream API).
 *
 * References: RFC 6716 (Opus), RFC 7845 (Ogg Opus) 5.1 (OpusHead: version,
 * channel count, pre-skip, input rate, output gain Q7.8, channel mapping
 * families 0 and 1; 5.1.1.2 the Vorbis channel order of family 1), 4.2
 * (pre-skip), 4.4 (end trimming); the libopus API documentation
 * (opus_multistream_*, OPUS_GET_LOOKAHEAD, OPUS_SET_GAIN).
 *
 * Decoder:
 *   - extradata is the OpusHead packet; families 0 (1-2 channels) and 1
 *     (1-8 channels, multistream with the mapping table) are decoded,
 *     family 255 and undefined ones are SEGUE_ERR_UNSUPPORTED. Without
 *     extradata, 1-2 channels decode as family 0 with no pre-skip.
 *   - Output is always 48000 Hz interleaved float in WAV channel order (the
 *     Vorbis order of family 1 reordered for 3..8 channels), with the
 *     header's output gain applied (OPUS_SET_GAIN takes the same Q7.8 dB).
 *   - Pre-skip of the first link is the container's business (gapless
 *     encoder_delay). An OpusHead arriving as a packet (a new chain link)
 *     re-creates the decoder, and that head's pre-skip is dropped here.
 *   - packet.frames, when non-zero, caps the frames output from a packet
 *     (end trimming by the Ogg demuxer); a packet libopus rejects is
 *     concealed with packet.frames of packet-loss concealment.
 *
 * Encoder:
 *   - Input at 8000, 12000, 16000, 24000 or 48000 Hz (encoder_rates), 1-8
 *     channels: family 0 for 1-2, family 1 (surround layout of libopus,
 *     Vorbis order) for 3-8. Application AUDIO, 20 ms frames.
 *   - Bitrate: encoder_config->bitrate, default 64 kb/s per channel (mono
 *     64k, stereo 128k). VBR by default, CBR for SEGUE_RC_CBR, constrained
 *     VBR for SEGUE_RC_ABR. quality, when set, is the complexity 0..10
 *     (default 10).
 *   - encoder_delay = OPUS_GET_LOOKAHEAD (input-rate frames); the OpusHead
 *     in extradata carries it as pre-skip at 48 kHz.
 *   - Packets: pts = index * frame size (input rate, delay included),
 *     frames = frame size. The flush pads the last frame with zeros and
 *     keeps encoding until the packets cover lookahead + input.
 *   - One packet per call; when more whole frames are buffered it returns
 *     SEGUE_AGAIN and encode(NULL, 0) hands out the next one without
 *     flushing (see codec/ext/vorbis/vorbis.c). New input while packets
 *     are still pending is SEGUE_ERR_STATE.
 */
#include <math.h>
#include <string.h>

#include <opus/opus_multistream.h>

#include <segue/encoder.h>

#include "codec/codec.h"
#include "core/alloc.h"

#define OPUS_RATE 48000u
#define OPUS_MAX_FRAMES 5760u     /* 120 ms at 48 kHz, the longest packet */
#define OPUS_MAX_CHANNELS 8u
#define OPUS_PACKET_BYTES 4000u   /* per stream; libopus' recommended maximum */

static const uint32_t opus_rates[] = {8000, 12000, 16000, 24000, 48000, 0};

/* WAV position i takes Vorbis-order channel table[n][i] (RFC 7845
 * 5.1.1.2 orders vs the WAVE_FORMAT_EXTENSIBLE speaker-bit order). */
static const uint8_t vorbis_to_wav[9][8] = {
    {0}, {0}, {0, 1}, {0, 2, 1}, {0, 1, 2, 3}, {0, 2, 1, 3, 4},
    {0, 2, 1, 5, 3, 4}, {0, 2, 1, 6, 5, 3, 4}, {0, 2, 1, 7, 5, 6, 3, 4},
};

typedef struct opusc_head {
    uint32_t channels;
    uint32_t preskip;
    int gain;
    int family;
    int streams, coupled;
    unsigned char mapping[255];
} opusc_head;

typedef struct opusc_state {
    OpusMSDecoder *dec;
    OpusMSEncoder *enc;
    uint32_t channels;
    float *out;
    uint32_t skip;           /* in-band pre-skip still to drop */
    /* encoder */
    uint32_t rate, frame_size, lookahead;
    float *fifo;
    size_t fifo_len, fifo_cap;
    uint8_t *packet;
    size_t packet_cap;
    uint64_t packets, input;
    int flushing, draining;
    uint8_t head[21 + 8];
    const segue_allocator *a;
} opusc_state;

/* RFC 7845 5.1. */
static segue_status parse_head(const uint8_t *p, size_t n, opusc_head *h, segue_error *err)
{
    if (n < 19 || memcmp(p, "OpusHead", 8) != 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "opus: OpusHead missing or shorter than 19 bytes (%zu)", n);
    if (p[8] >> 4)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "opus: OpusHead version %u not supported", p[8]);
    memset(h, 0, sizeof *h);
    h->channels = p[9];
    h->preskip = (uint32_t)(p[10] | (p[11] << 8));
    h->gain = (int16_t)(uint16_t)(p[16] | (p[17] << 8));
    h->family = p[18];
    if (h->channels == 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "opus: OpusHead channel count is 0");
    if (h->family == 0) {
        if (h->channels > 2)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "opus: mapping family 0 with %u channels (at most 2)", h->channels);
        h->streams = 1;
        h->coupled = (int)h->channels - 1;
        h->mapping[0] = 0;
        h->mapping[1] = 1;
        return SEGUE_OK;
    }
    if (h->family != 1)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "opus: channel mapping family %d not supported (0 and 1 are)", h->family);
    if (h->channels > OPUS_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "opus: mapping family 1 with %u channels (at most 8)", h->channels);
    if (n < 21u + h->channels)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "opus: OpusHead mapping table truncated (%zu bytes)", n);
    h->streams = p[19];
    h->coupled = p[20];
    if (h->streams < 1 || h->coupled > h->streams || h->streams + h->coupled > 255)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "opus: %d streams with %d coupled is invalid",
                               h->streams, h->coupled);
    for (uint32_t i = 0; i < h->channels; i++) {
        h->mapping[i] = p[21 + i];
        if (h->mapping[i] != 255 && h->mapping[i] >= h->streams + h->coupled)
            return segue_error_set(err, SEGUE_ERR_CORRUPT, "opus: channel %u maps to stream channel %u of %d",
                                   i, h->mapping[i], h->streams + h->coupled);
    }
    return SEGUE_OK;
}

static segue_status make_decoder(opusc_state *s, const opusc_head *h, segue_error *err)
{
    int e = OPUS_OK;
    OpusMSDecoder *dec = opus_multistream_decoder_create((opus_int32)OPUS_RATE, (int)h->channels,
                                                         h->streams, h->coupled, h->mapping, &e);
    if (!dec || e != OPUS_OK)
        return segue_error_set(err, e == OPUS_ALLOC_FAIL ? SEGUE_ERR_NO_MEMORY : SEGUE_ERR_CORRUPT,
                               "opus: cannot create the decoder: %s", opus_strerror(e));
    if (h->gain && opus_multistream_decoder_ctl(dec, OPUS_SET_GAIN(h->gain)) != OPUS_OK) {
        opus_multistream_decoder_destroy(dec);
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "opus: output gain %d (Q7.8) rejected", h->gain);
    }
    if (s->dec)
        opus_multistream_decoder_destroy(s->dec);
    s->dec = dec;
    return SEGUE_OK;
}

static segue_status opusc_decoder_init(void *priv, const segue_codec_params *p,
                                      const segue_allocator *a, segue_error *err)
{
    opusc_state *s = priv;
    opusc_head h;
    segue_status st;
    if (p->extradata && p->extradata_size) {
        if ((st = parse_head(p->extradata, p->extradata_size, &h, err)) < 0)
            return st;
    } else {
        if (p->channels < 1 || p->channels > 2)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "opus: %u channels need an OpusHead with a channel mapping", p->channels);
        memset(&h, 0, sizeof h);
        h.channels = p->channels;
        h.streams = 1;
        h.coupled = (int)p->channels - 1;
        h.mapping[1] = 1;
    }
    if (h.channels != p->channels)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "opus: OpusHead says %u channels, the container %u",
                               h.channels, p->channels);
    if (p->sample_rate != OPUS_RATE)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "opus: the decoder runs at 48000 Hz, not %u", p->sample_rate);
    s->channels = h.channels;
    s->a = a;
    if ((st = make_decoder(s, &h, err)) < 0)
        return st;
    s->out = segue_mem_calloc(a, (size_t)OPUS_MAX_FRAMES * s->channels, sizeof *s->out);
    if (!s->out)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "opus: cannot allocate the output buffer");
    return SEGUE_OK;
}

/* Vorbis order -> WAV order, one frame at a time. */
static void reorder_to_wav(float *pcm, size_t frames, uint32_t ch)
{
    if (ch < 3)
        return;
    const uint8_t *map = vorbis_to_wav[ch];
    float tmp[OPUS_MAX_CHANNELS];
    for (size_t i = 0; i < frames; i++) {
        float *f = pcm + i * ch;
        memcpy(tmp, f, ch * sizeof *f);
        for (uint32_t c = 0; c < ch; c++)
            f[c] = tmp[map[c]];
    }
}

static segue_status opusc_decode(void *priv, const segue_packet *pkt, const float **pcm,
                                size_t *frames, segue_error *err)
{
    opusc_state *s = priv;
    *pcm = s->out;
    *frames = 0;
    if (!s->dec)
        return segue_error_set(err, SEGUE_ERR_STATE, "opus: decoder not initialised");
    if (pkt->size >= 8 && memcmp(pkt->data, "OpusHead", 8) == 0) {
        /* A new chain link (RFC 7845 3: the ID header starts a stream). */
        opusc_head h;
        segue_status st = parse_head(pkt->data, pkt->size, &h, err);
        if (st < 0)
            return st;
        if (h.channels != s->channels)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "opus: chained stream changes from %u to %u channels", s->channels,
                                   h.channels);
        if ((st = make_decoder(s, &h, err)) < 0)
            return st;
        s->skip = h.preskip;
        return SEGUE_OK;
    }
    if (pkt->size == 0)
        return SEGUE_OK; /* carries no samples; the demuxer counts it as 0 */
    int n = opus_multistream_decode_float(s->dec, pkt->data, (opus_int32)pkt->size, s->out,
                                          (int)OPUS_MAX_FRAMES, 0);
    if (n < 0) {
        /* Concealment of the packet's expected length. */
        uint32_t want = pkt->frames;
        if (want == 0 || want > OPUS_MAX_FRAMES || want % 120u)
            return SEGUE_OK;
        n = opus_multistream_decode_float(s->dec, NULL, 0, s->out, (int)want, 0);
        if (n < 0) {
            memset(s->out, 0, (size_t)want * s->channels * sizeof *s->out);
            n = (int)want;
        }
    }
    size_t got = (size_t)n;
    if (pkt->frames && got > pkt->frames)
        got = pkt->frames;
    size_t drop = s->skip < got ? s->skip : got;
    s->skip -= (uint32_t)drop;
    reorder_to_wav(s->out + drop * s->channels, got - drop, s->channels);
    *pcm = s->out + drop * s->channels;
    *frames = got - drop;
    return SEGUE_OK;
}

static void opusc_reset(void *priv)
{
    opusc_state *s = priv;
    if (s->dec)
        opus_multistream_decoder_ctl(s->dec, OPUS_RESET_STATE);
    s->skip = 0;
}

static void opusc_fini(void *priv, const segue_allocator *a)
{
    opusc_state *s = priv;
    if (!s)
        return;
    if (s->dec)
        opus_multistream_decoder_destroy(s->dec);
    if (s->enc)
        opus_multistream_encoder_destroy(s->enc);
    s->dec = NULL;
    s->enc = NULL;
    segue_mem_free(a, s->out);
    segue_mem_free(a, s->fifo);
    segue_mem_free(a, s->packet);
    s->out = s->fifo = NULL;
    s->packet = NULL;
}

/* ---- encoder ------------------------------------------------------------------------ */

static segue_status opusc_encoder_init(void *priv, segue_codec_params *p, const segue_allocator *a,
                                      segue_error *err)
{
    opusc_state *s = priv;
    const segue_encoder_config *cfg = p->encoder_config;
    int rate_ok = 0;
    for (const uint32_t *r = opus_rates; *r; r++)
        rate_ok |= *r == p->sample_rate;
    if (!rate_ok)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "opus: sample rate %u Hz not supported (8000, 12000, 16000, 24000, 48000)",
                               p->sample_rate);
    if (p->channels < 1 || p->channels > OPUS_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "opus: %u channels; 1..8 supported",
                               p->channels);
    uint32_t ch = p->channels;
    uint32_t bitrate = cfg && cfg->bitrate ? cfg->bitrate : 64000u * ch;
    if (bitrate < 6000u || bitrate > 256000u * ch)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "opus: bitrate %u b/s outside 6000..%u", bitrate, 256000u * ch);
    int complexity = 10;
    if (cfg && !isnan(cfg->quality)) {
        if (cfg->quality < 0.0f || cfg->quality > 10.0f)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "opus: quality (complexity) %.2f outside 0..10", (double)cfg->quality);
        complexity = (int)lrintf(cfg->quality);
    }
    int family = ch <= 2 ? 0 : 1;
    int streams = 0, coupled = 0, e = OPUS_OK;
    unsigned char mapping[OPUS_MAX_CHANNELS];
    s->enc = opus_multistream_surround_encoder_create((opus_int32)p->sample_rate, (int)ch, family,
                                                      &streams, &coupled, mapping,
                                                      OPUS_APPLICATION_AUDIO, &e);
    if (!s->enc || e != OPUS_OK)
        return segue_error_set(err, e == OPUS_ALLOC_FAIL ? SEGUE_ERR_NO_MEMORY : SEGUE_ERR_INTERNAL,
                               "opus: cannot create the encoder (%u Hz, %u ch): %s", p->sample_rate, ch,
                               opus_strerror(e));
    segue_rate_control rc = cfg ? cfg->rate_control : SEGUE_RC_DEFAULT;
    int ok = opus_multistream_encoder_ctl(s->enc, OPUS_SET_BITRATE((opus_int32)bitrate)) == OPUS_OK &&
             opus_multistream_encoder_ctl(s->enc, OPUS_SET_VBR(rc == SEGUE_RC_CBR ? 0 : 1)) == OPUS_OK &&
             opus_multistream_encoder_ctl(s->enc, OPUS_SET_VBR_CONSTRAINT(rc == SEGUE_RC_ABR ? 1 : 0)) ==
                 OPUS_OK &&
             opus_multistream_encoder_ctl(s->enc, OPUS_SET_COMPLEXITY(complexity)) == OPUS_OK;
    opus_int32 lookahead = 0;
    ok = ok && opus_multistream_encoder_ctl(s->enc, OPUS_GET_LOOKAHEAD(&lookahead)) == OPUS_OK;
    if (!ok || lookahead < 0)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "opus: encoder settings rejected");
    s->channels = ch;
    s->rate = p->sample_rate;
    s->frame_size = p->sample_rate / 50u; /* 20 ms */
    s->lookahead = (uint32_t)lookahead;
    size_t max_in = p->max_packet_frames ? p->max_packet_frames : 4096u;
    s->fifo_cap = max_in + s->frame_size;
    s->fifo = segue_mem_calloc(a, s->fifo_cap * ch, sizeof *s->fifo);
    s->packet_cap = (size_t)OPUS_PACKET_BYTES * (size_t)streams;
    s->packet = segue_mem_alloc(a, s->packet_cap);
    if (!s->fifo || !s->packet)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "opus: cannot allocate encoder buffers");

    /* RFC 7845 5.1: OpusHead with pre-skip at 48 kHz and the input rate. */
    uint32_t preskip = s->lookahead * (OPUS_RATE / s->rate);
    uint8_t *h = s->head;
    memcpy(h, "OpusHead", 8);
    h[8] = 1;
    h[9] = (uint8_t)ch;
    h[10] = (uint8_t)preskip;
    h[11] = (uint8_t)(preskip >> 8);
    h[12] = (uint8_t)s->rate;
    h[13] = (uint8_t)(s->rate >> 8);
    h[14] = (uint8_t)(s->rate >> 16);
    h[15] = (uint8_t)(s->rate >> 24);
    h[16] = h[17] = 0;
    h[18] = (uint8_t)family;
    size_t hs = 19;
    if (family) {
        h[19] = (uint8_t)streams;
        h[20] = (uint8_t)coupled;
        memcpy(h + 21, mapping, ch);
        hs = 21 + ch;
    }
    p->extradata = s->head;
    p->extradata_size = hs;
    p->encoder_delay = s->lookahead;
    return SEGUE_OK;
}

static segue_status opusc_encode(void *priv, const float *pcm, size_t frames, segue_packet *out,
                                segue_error *err)
{
    opusc_state *s = priv;
    memset(out, 0, sizeof *out);
    out->pts = -1;
    if (!s->enc)
        return segue_error_set(err, SEGUE_ERR_STATE, "opus: encoder not initialised");
    uint32_t ch = s->channels;
    if (pcm && frames) {
        if (s->flushing)
            return segue_error_set(err, SEGUE_ERR_STATE, "opus: input after flush");
        if (s->draining) /* the caller dropped a SEGUE_AGAIN: packets would be lost */
            return segue_error_set(err, SEGUE_ERR_STATE,
                                   "opus: new input while packets are pending; after SEGUE_AGAIN "
                                   "call encode(NULL, 0) until it returns SEGUE_OK");
        if (s->fifo_len + frames > s->fifo_cap)
            return segue_error_set(err, SEGUE_ERR_STATE,
                                   "opus: %zu frames given while %zu are buffered (capacity %zu): "
                                   "drain the pending packets (SEGUE_AGAIN) first",
                                   frames, s->fifo_len, s->fifo_cap);
        float *dst = s->fifo + s->fifo_len * ch;
        memcpy(dst, pcm, frames * ch * sizeof *dst);
        if (ch >= 3) { /* WAV order -> Vorbis order for family 1 */
            const uint8_t *map = vorbis_to_wav[ch];
            float tmp[OPUS_MAX_CHANNELS];
            for (size_t i = 0; i < frames; i++) {
                float *f = dst + i * ch;
                memcpy(tmp, f, ch * sizeof *f);
                for (uint32_t c = 0; c < ch; c++)
                    f[map[c]] = tmp[c];
            }
        }
        s->fifo_len += frames;
        s->input += frames;
    } else if (!s->draining) {
        s->flushing = 1;
    }
    /* Packets must cover the lookahead plus all input (RFC 7845 4.4). */
    uint64_t needed = s->lookahead + s->input;
    int have = s->fifo_len >= s->frame_size ||
               (s->flushing && s->packets * s->frame_size < needed);
    if (!have) {
        s->draining = 0;
        return s->flushing ? SEGUE_END_OF_STREAM : SEGUE_OK;
    }
    if (s->fifo_len < s->frame_size) {
        memset(s->fifo + s->fifo_len * ch, 0, (s->frame_size - s->fifo_len) * ch * sizeof *s->fifo);
        s->fifo_len = s->frame_size;
    }
    opus_int32 n = opus_multistream_encode_float(s->enc, s->fifo, (int)s->frame_size, s->packet,
                                                 (opus_int32)s->packet_cap);
    if (n < 0)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "opus: encoding failed: %s", opus_strerror(n));
    s->fifo_len -= s->frame_size;
    memmove(s->fifo, s->fifo + (size_t)s->frame_size * ch, s->fifo_len * ch * sizeof *s->fifo);
    out->data = s->packet;
    out->size = (size_t)n;
    out->pts = (int64_t)(s->packets * s->frame_size);
    out->frames = s->frame_size;
    s->packets++;
    int more = s->fifo_len >= s->frame_size ||
               (s->flushing && s->packets * s->frame_size < needed);
    s->draining = more;
    return more ? SEGUE_AGAIN : SEGUE_OK;
}

const segue_codec_desc segue_codec_opus = {
    .name = "opus",
    .long_name = "Opus (libopus)",
    .caps = SEGUE_CODEC_DECODE | SEGUE_CODEC_ENCODE,
    .priv_size = sizeof(opusc_state),
    .encoder_rates = opus_rates,
    .decoder_init = opusc_decoder_init,
    .decode = opusc_decode,
    .encoder_init = opusc_encoder_init,
    .encode = opusc_encode,
    .reset = opusc_reset,
    .fini = opusc_fini,
};
