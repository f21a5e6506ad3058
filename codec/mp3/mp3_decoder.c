/*
 * codec/mp3/mp3_decoder.c - the MPEG-1/2/2.5 audio decoder (Layers I, II
 * and III): descriptor "mp3", packet = one frame (header included, CRC
 * word included when protected; free-format frames sized by the next sync).
 *
 * Output: interleaved float, 1.0 = full scale (the ISO decoder's sample
 * value before its 16-bit scaling), h.samples frames per packet (384, 1152
 * or 576), with the channel count of the stream parameters: a mono frame in
 * a stereo stream is duplicated, a stereo frame in a mono stream averaged.
 * Dual channel frames decode as stereo (channel 0 left, 1 right).
 *
 * Damage: by default the decoder conceals (mp3_layer3.c and mp3_layer12.c
 * list the cases) and returns SEGUE_OK; it returns SEGUE_ERR_CORRUPT only
 * for a frame that is structurally impossible (not an MPEG audio header,
 * shorter than its own side information, the Layer III and Layer I cases
 * listed there). A packet shorter than its header's frame length is
 * decoded as silence (concealed). A CRC mismatch on a protected frame
 * (ISO/IEC 11172-3 2.4.3.1) mutes that frame: its output is silence, apart
 * from the filterbank tails of the frame before; in strict mode
 * (segue_decoder_config.strict) it is SEGUE_ERR_CORRUPT instead.
 *
 * Memory: sizeof(mp3_state), allocated zeroed by the caller; init
 * allocates nothing. Nothing allocates after init.
 */
#include <string.h>

#include "codec/mp3/mp3_internal.h"
#include "codec/mp3/mp3_tables.h"

/* ISO/IEC 11172-3 2.4.3.1: generator x^16 + x^15 + x^2 + 1, register
 * preset to all ones, over header bits 16..31 and then the protected bits
 * that follow the CRC word. */
static uint16_t crc16_bits(uint16_t crc, const uint8_t *p, size_t nbits)
{
    for (size_t i = 0; i < nbits; i++) {
        unsigned bit = ((unsigned)p[i >> 3] >> (7u - (i & 7u))) & 1u;
        unsigned top = (crc >> 15) & 1u;
        crc = (uint16_t)(crc << 1);
        if (top ^ bit)
            crc ^= 0x8005u;
    }
    return crc;
}

uint16_t mp3_crc16(const uint8_t *frame, size_t nbits)
{
    uint16_t crc = crc16_bits(0xFFFFu, frame + 2, 16);
    return crc16_bits(crc, frame + 6, nbits);
}

void mp3_conceal(mp3_state *s, const char *why, unsigned flags, unsigned nch, unsigned samples)
{
    memset(s->pcm, 0, (size_t)samples * nch * sizeof(float));
    s->concealed++;
    s->last_conceal = why;
    s->frame_flags |= MP3_FRAME_CONCEALED | flags;
}

void mp3_reset_state(mp3_state *s)
{
    memset(s->overlap, 0, sizeof s->overlap);
    s->overlap_sb[0] = s->overlap_sb[1] = 0;
    memset(&s->synth, 0, sizeof s->synth);
    s->resv_len = 0;
    memset(s->scf, 0, sizeof s->scf);
}

static segue_status mp3_init(void *priv, const segue_codec_params *p, const segue_allocator *a,
                             segue_error *err)
{
    (void)a;
    mp3_state *s = priv;
    if (p->channels < 1 || p->channels > 2)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "mp3: %u channels (MPEG audio has 1 or 2)",
                               p->channels);
    if (p->sample_rate && segue_mp3_rate_index(p->sample_rate) < 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "mp3: %u Hz is not an MPEG audio rate",
                               p->sample_rate);
    memset(s, 0, sizeof *s);
    s->dsp = segue_dsp_get();
    s->out_channels = p->channels;
    s->overlap_nch = p->channels;
    s->strict = p->strict;
    return SEGUE_OK;
}

/* Brings the frame's channels to the stream's. */
static void match_channels(mp3_state *s, unsigned have, size_t frames)
{
    if (have == s->out_channels)
        return;
    if (have == 1) {
        for (size_t i = frames; i-- > 0;)
            s->pcm[2 * i] = s->pcm[2 * i + 1] = s->pcm[i];
    } else {
        for (size_t i = 0; i < frames; i++)
            s->pcm[i] = 0.5f * (s->pcm[2 * i] + s->pcm[2 * i + 1]);
    }
}

static segue_status mp3_decode(void *priv, const segue_packet *pkt, const float **pcm,
                               size_t *frames, segue_error *err)
{
    mp3_state *s = priv;
    *pcm = s->pcm;
    *frames = 0;
    if (!pkt || pkt->size == 0)
        return SEGUE_OK; /* nothing to decode */
    if (!pkt->data || pkt->size < 4)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp3: packet of %zu bytes", pkt->size);
    /* Emphasis (2.4.2.3) only describes the signal; a frame with the
     * reserved value '10' decodes like any other (the ISO compliance
     * stream l3-hecommon has one), so it is masked before parsing. */
    uint8_t hb[4] = {pkt->data[0], pkt->data[1], pkt->data[2], (uint8_t)(pkt->data[3] & 0xFCu)};
    segue_mpa_header h;
    s->frame_flags = 0;
    if (segue_mpa_header_parse(hb, &h) != 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "mp3: packet does not start with an MPEG audio frame header");
    size_t size = pkt->size;
    s->frames++;
    /* Header, CRC word and (Layer III) side information must be there. */
    size_t need = 4u + (h.protection ? 2u : 0u);
    if (h.layer == 3)
        need += h.version == 1 ? (h.channels == 1 ? 17u : 32u) : (h.channels == 1 ? 9u : 17u);
    if (size < need)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp3: packet of %zu bytes, the frame's header "
                               "and side information need %zu", size, need);
    if (h.frame_bytes && size > h.frame_bytes)
        size = h.frame_bytes; /* trailing bytes are not this frame's */
    segue_status st;
    if (h.frame_bytes && size < h.frame_bytes) {
        /* Truncated frame (end of a cut file): silence. The Layer III main
         * data it would have left in the reservoir is gone too. */
        mp3_conceal(s, "truncated frame", MP3_FRAME_TRUNCATED, h.channels, h.samples);
        s->resv_len = 0;
        s->dsp->mpa_synth(s->pcm, h.samples / 32u, h.channels, &s->synth);
        st = SEGUE_OK;
    } else if (h.layer == 3) {
        st = mp3_decode_layer3(s, &h, pkt->data, size, h.protection ? 6u : 4u, 1, err);
    } else {
        st = mp3_decode_layer12(s, &h, pkt->data, size, 1, err);
    }
    if (st < 0)
        return st;
    if (s->strict && (s->frame_flags & MP3_FRAME_CRC_MISMATCH))
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp3: CRC mismatch in frame %llu (strict)",
                               (unsigned long long)s->frames);
    match_channels(s, h.channels, h.samples);
    *frames = h.samples;
    /* Damage is reported to the core (counted, shown to the user). A
     * missing reservoir is not: it is what the first frames after a seek
     * or a stream cut mid-reservoir look like, not a fault of this frame. */
    if (s->frame_flags & (MP3_FRAME_CRC_MISMATCH | MP3_FRAME_TRUNCATED))
        return segue_error_set(err, SEGUE_CODEC_CONCEALED, "mp3: %s in frame %llu, concealed",
                               s->frame_flags & MP3_FRAME_TRUNCATED ? "truncated frame"
                                                                    : "CRC mismatch",
                               (unsigned long long)s->frames);
    return SEGUE_OK;
}

static void mp3_reset(void *priv)
{
    mp3_reset_state(priv);
}

static void mp3_fini(void *priv, const segue_allocator *a)
{
    (void)a;
    (void)priv; /* init allocates nothing */
}

const segue_codec_desc segue_codec_mp3 = {
    .name = "mp3",
    .long_name = "MPEG-1/2/2.5 audio Layer I, II and III",
    .caps = SEGUE_CODEC_DECODE,
    .priv_size = sizeof(mp3_state),
    .decoder_init = mp3_init,
    .decode = mp3_decode,
    .reset = mp3_reset,
    .fini = mp3_fini,
};
