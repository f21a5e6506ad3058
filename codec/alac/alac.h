/* codec/alac/alac.h - the own Apple Lossless decoder (descriptor "alac")
 * beside its descriptor: the integer entry point. The codec API hands out
 * float; for 32-bit streams float cannot carry every value, so this entry
 * gives the decoded integers themselves (interleaved, WAVE channel order,
 * each value sign-extended from the stream's bit depth). A core integer
 * output path (or a test) may call it in place of desc->decode on a state
 * set up by the descriptor's decoder_init. */
#ifndef SEGUE_CODEC_ALAC_ALAC_H
#define SEGUE_CODEC_ALAC_ALAC_H

#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"

extern const segue_codec_desc segue_codec_alac;

/* Same as segue_codec_alac.decode, but *pcm points at int32 samples
 * (16-bit streams: -32768..32767; 20: +-2^19; 24: +-2^23; 32: full range),
 * valid until the next call. */
segue_status segue_alac_decode_s32(void *priv, const segue_packet *pkt, const int32_t **pcm,
                                   size_t *frames, segue_error *err);

/* Bytes decoder_init allocates for a stream of `frame_length` frames and
 * `channels` channels (the one block; see alac_decoder.c "Memory"). */
size_t segue_alac_alloc_bytes(uint32_t frame_length, uint32_t channels);

/* WAVE channel mask of ALAC's default layout for 1..8 channels
 * (0 outside). */
uint32_t segue_alac_channel_mask(uint32_t channels);

#endif
