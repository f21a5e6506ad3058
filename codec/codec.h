/*
 * codec/codec.h - the codec descriptor.
 *
 * A codec turns packets into PCM (decoder) or PCM into packets (encoder) and
 * never does IO. Its state lives in `priv_size` bytes the caller allocates
 * zeroed; init may allocate more through the allocator, and nothing after
 * init allocates (the device rule). Adding a codec is one folder plus one
 * line in codec/codecs.def.
 */
#ifndef SEGUE_CODEC_CODEC_H
#define SEGUE_CODEC_CODEC_H

#include <segue/common.h>
#include <segue/status.h>
#include "core/error.h"

/* Stream parameters a demuxer hands to a decoder, or an encoder is set up
 * with. */
typedef struct segue_codec_params {
    const char *codec;                 /* descriptor name, e.g. "pcm" */
    uint32_t sample_rate;
    uint32_t channels;
    uint32_t channel_mask;
    segue_sample_format sample_format; /* PCM: stored sample format */
    int big_endian;                    /* PCM: byte order of stored samples */
    uint32_t bits_per_sample;          /* valid bits (<= the format's bits) */
    uint32_t block_align;              /* bytes per frame (PCM) or per packet */
    uint32_t max_packet_frames;        /* largest packet in frames; sizes buffers.
                                          Encoders: set by the core to the most
                                          frames one encode() call gets; a codec
                                          with a fixed block may lower it in
                                          encoder_init (AAC: 1024) and the core
                                          then never passes more. */
    const uint8_t *extradata;          /* codec setup bytes; may be NULL. Decoders:
                                          from the demuxer (FLAC STREAMINFO, Vorbis
                                          headers, OpusHead). Encoders: set by
                                          encoder_init, owned by the codec. */
    size_t extradata_size;
    /* Encoders: frames of priming the codec adds before the first input
     * frame (MP3 encoder delay, Opus pre-skip), set by encoder_init. */
    uint32_t encoder_delay;
    /* Encoders: set to 1 by a muxer's setup when its container records the
     * encoder delay and the stream length exactly (the M4A edit list and
     * iTunSMPB), so that the codec may choose a delay other than its usual
     * one (the AAC encoder then lengthens its priming so that the stream
     * ends on a frame boundary; see codec/aac/enc/aac_enc.c). The core
     * clears it again for an output that cannot seek (a fragmented MP4's
     * edit list is ignored by ffmpeg). 0: the delay must be the codec's
     * fixed one (raw streams such as ADTS, where a reader can only assume
     * it). */
    int delay_recorded;
    /* Encoders: the input length when known (-1 otherwise), for headers
     * written up front (FLAC total samples, the MP3 Info tag on a pipe).
     * Decoders: set by a demuxer (0 otherwise) when its container states
     * the stream's length exactly, in a field written for that purpose
     * (the RIFF `fact` total), rather than one worked out from the frames.
     * It equals the gapless total_frames; it lets the core complete a
     * stream whose coded frames cover that length but whose last samples
     * the decoder still holds (core/decoder.c, end of stream). Codecs do
     * not read it. */
    int64_t total_frames;
    /* Encoders: the whole encoder config, for codec settings (bitrate,
     * quality, compression level...). NULL for decoders. */
    const struct segue_encoder_config *encoder_config;
    /* Decoders: 1 when the caller asked for strict decoding (decoder
     * config): damage the codec would conceal is an error instead. */
    int strict;
    /* Encoders: the mean and the peak bitrate of the stream in bits per
     * second, set by encoder_init for muxers that declare them (the M4A
     * esds DecoderConfigDescriptor's avgBitrate and maxBitrate, 14496-1
     * 7.2.6.6); 0 when the codec does not know. */
    uint32_t avg_bitrate;
    uint32_t max_bitrate;
} segue_codec_params;

/* segue_packet.flags */
enum {
    /* Not audio: the final version of the codec's stream header, emitted by
     * an encoder when it is flushed (FLAC STREAMINFO with MD5 and sizes, the
     * MP3 LAME/Info tag frame). The muxer back-patches it when it can seek. */
    SEGUE_PACKET_HEADER_UPDATE = 1,
    /* Decoders: not a packet but a request, with data NULL and size 0,
     * made by the core after the last packet when the stream's declared
     * length (gapless total_frames) is not reached yet. A codec whose
     * output lags its input (overlap-add or filter history still holding
     * samples of the last frames) outputs them: the frame it would decode
     * from a silent packet (a zero spectrum, no gain change, the stereo
     * settings repeated), at most one frame per call. A codec without
     * such state, or that does not implement draining, returns SEGUE_OK
     * with 0 frames, as for any empty packet; the core then stops asking.
     * pkt->frames caps the output as for a packet. */
    SEGUE_PACKET_DRAIN = 2
};

typedef struct segue_packet {
    const uint8_t *data;
    size_t size;
    int64_t pts;      /* first frame of the packet, -1 if unknown; encoders
                         count from the start of the coded stream, delay
                         included */
    uint32_t frames;  /* frames it decodes to, 0 if the codec must tell.
                         Decoders: when non-zero, output at most this many
                         frames of the packet (a container's end trimming,
                         e.g. the last Ogg page's granule). */
    unsigned flags;   /* SEGUE_PACKET_* */
} segue_packet;

enum { SEGUE_CODEC_DECODE = 1, SEGUE_CODEC_ENCODE = 2 };

/* Decoders: a positive status that never leaves the core. decode() returns
 * it instead of SEGUE_OK when the packet was damaged and what it hands out
 * (pcm and frames, as for SEGUE_OK) is concealment: silence, or the
 * previous frame faded out. The codec says why with
 * segue_error_set(err, SEGUE_CODEC_CONCEALED, "<codec>: <what> in packet
 * N"); the core counts the packet, keeps that text for
 * segue_decoder_concealed() and clears err. With params->strict the codec
 * returns SEGUE_ERR_CORRUPT for the same damage instead. */
#define SEGUE_CODEC_CONCEALED ((segue_status)64)

typedef struct segue_codec_desc {
    const char *name;
    const char *long_name;
    unsigned caps;        /* SEGUE_CODEC_DECODE | SEGUE_CODEC_ENCODE */
    size_t priv_size;
    /* Encoders: the sample rates they take, ascending, 0-terminated; NULL
     * for any. The transcoder resamples other inputs to the nearest rate
     * at or above the input's (or the highest). */
    const uint32_t *encoder_rates;

    /* Decoder. init validates `p` and allocates what decode needs. */
    segue_status (*decoder_init)(void *priv, const segue_codec_params *p,
                                 const segue_allocator *a, segue_error *err);
    /* Decodes one packet into interleaved float owned by the codec, valid
     * until the next call. *frames may be 0 (a header packet). */
    segue_status (*decode)(void *priv, const segue_packet *pkt, const float **pcm,
                           size_t *frames, segue_error *err);

    /* Encoder. init fills in what it chose (e.g. block_align). */
    segue_status (*encoder_init)(void *priv, segue_codec_params *p,
                                 const segue_allocator *a, segue_error *err);
    /* Encodes `frames` (<= p->max_packet_frames) interleaved frames and
     * hands out at most one packet in `out` (out->size 0: nothing yet;
     * out->data is owned by the codec, valid until the next call).
     * Returns SEGUE_OK, or SEGUE_AGAIN when more packets are pending: the
     * caller then calls encode(NULL, 0) until it returns SEGUE_OK, taking
     * one packet per call, before giving new input. encode(NULL, 0) with
     * nothing pending flushes: the caller keeps calling it, writing each
     * packet, until it returns SEGUE_END_OF_STREAM. */
    segue_status (*encode)(void *priv, const float *pcm, size_t frames, segue_packet *out,
                           segue_error *err);

    /* Forgets stream state after a seek. May be NULL. */
    void (*reset)(void *priv);
    /* Frees what init allocated; must be safe after a failed init. */
    void (*fini)(void *priv, const segue_allocator *a);
} segue_codec_desc;

/* Looks a codec up by name with the capability `cap`; NULL if none. */
const segue_codec_desc *segue_codec_find(const char *name, unsigned cap);
/* The registry, NULL-terminated. */
const segue_codec_desc *const *segue_codec_list(void);

#endif
