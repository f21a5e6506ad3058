/*
 * tests/fuzz/fuzz_aac_asc.c - libFuzzer target for the AudioSpecificConfig
 * parsing of the own AAC-LC decoder (codec/aac): the input is the ASC
 * (extradata); byte 0 of it also picks the channel count the stream
 * parameters claim (0 = unknown) and strict mode. An accepted config then
 * decodes one empty and one all-zero packet. Init failures are clean
 * outcomes; ASan/UBSan report the bugs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const segue_codec_desc *desc = segue_codec_find("aac", SEGUE_CODEC_DECODE);
    if (!desc || size < 1)
        return 0;
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "aac";
    p.sample_rate = 44100;
    p.channels = data[0] % 9u;
    p.strict = (data[0] >> 4) & 1u;
    p.max_packet_frames = 1024;
    p.extradata = data;
    p.extradata_size = size;
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    if (!priv)
        return 0;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (desc->decoder_init(priv, &p, NULL, &err) == SEGUE_OK) {
        static const uint8_t zeros[64];
        segue_packet pkt = {zeros, sizeof zeros, -1, 0, 0};
        const float *pcm = NULL;
        size_t frames = 0;
        if (desc->decode(priv, &pkt, &pcm, &frames, &err) == SEGUE_OK && frames) {
            if (frames > 1024)
                __builtin_trap();
            sink = pcm[frames - 1];
        }
    }
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    return 0;
}
