/*
 * codec/atrac3plus/atrac3plus_placeholder.c - the "atrac3plus" descriptor
 * until the own ATRAC3plus decoder lands (a later issue).
 *
 * Why a descriptor that only refuses: the OMA and RIFF-AT3 demuxers already
 * recognise ATRAC3plus streams, and without a registered codec the core
 * would say "no decoder for codec 'atrac3plus'". This gives users the
 * promised message and exit code 69 (SEGUE_ERR_UNSUPPORTED) instead, and
 * never outputs garbage.
 */
#include "codec/codec.h"

static segue_status atrac3plus_decoder_init(void *priv, const segue_codec_params *p,
                                            const segue_allocator *a, segue_error *err)
{
    (void)priv;
    (void)p;
    (void)a;
    return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                           "unsupported: ATRAC3plus decoding not yet available");
}

static segue_status atrac3plus_decode(void *priv, const segue_packet *pkt, const float **pcm,
                                      size_t *frames, segue_error *err)
{
    (void)priv;
    (void)pkt;
    *pcm = NULL;
    *frames = 0;
    return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                           "unsupported: ATRAC3plus decoding not yet available");
}

static void atrac3plus_fini(void *priv, const segue_allocator *a)
{
    (void)priv;
    (void)a;
}

const segue_codec_desc segue_codec_atrac3plus = {
    .name = "atrac3plus",
    .long_name = "Sony ATRAC3plus (placeholder: decoding not yet available)",
    .caps = SEGUE_CODEC_DECODE,
    .priv_size = 0,
    .decoder_init = atrac3plus_decoder_init,
    .decode = atrac3plus_decode,
    .fini = atrac3plus_fini,
};
