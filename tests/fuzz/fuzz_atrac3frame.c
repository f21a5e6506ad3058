/*
 * tests/fuzz/fuzz_atrac3frame.c - libFuzzer target for the own ATRAC3
 * decoder (codec/atrac3), driven through its descriptor without a demuxer.
 * The first two input bytes choose the stream parameters: byte 0 bit 0
 * the channel count, bit 1 joint stereo (stereo only), bit 2 strict
 * decoding; byte 1 the frame size (LP2 384, LP4 192, 304, 272, 96 per
 * channel, or a size from the byte itself). The rest is cut into frames of
 * that size, each decoded; the decoder is reset half way (as after a seek)
 * and a short tail goes in as a truncated packet. A decode error is a clean
 * outcome; the decoder is used again after it. ASan/UBSan report the bugs;
 * the output is summed so it is read.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

static void decode_one(const segue_codec_desc *desc, void *priv, const uint8_t *p, size_t n,
                       unsigned channels)
{
    segue_packet pkt = {p, n, -1, 0, 0};
    const float *pcm = NULL;
    size_t frames = 0;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (desc->decode(priv, &pkt, &pcm, &frames, &err) == SEGUE_OK && frames) {
        if (frames > 1024)
            __builtin_trap(); /* the contract: 1024 frames per packet */
        float sum = 0.0f;
        for (size_t i = 0; i < frames * channels; i++)
            sum += pcm[i];
        sink = sum;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const segue_codec_desc *desc = segue_codec_find("atrac3", SEGUE_CODEC_DECODE);
    if (!desc || size < 2)
        return 0;
    static const uint32_t sizes[5] = {384, 192, 304, 272, 192};
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "atrac3";
    p.sample_rate = 44100;
    p.channels = 1u + (data[0] & 1u);
    p.max_packet_frames = 1024;
    p.strict = (data[0] >> 2) & 1u;
    unsigned sel = data[1] % 6u;
    p.block_align = sel < 5 ? sizes[sel] : 8u * (1u + (data[1] >> 3));
    if (p.channels == 1)
        p.block_align /= 2;
    uint8_t extradata[14] = {1, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    if (p.channels == 2 && (data[0] & 2u))
        extradata[6] = extradata[8] = 1; /* joint stereo */
    p.extradata = extradata;
    p.extradata_size = sizeof extradata;
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    if (!priv)
        return 0;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (desc->decoder_init(priv, &p, NULL, &err) != SEGUE_OK) {
        desc->fini(priv, NULL);
        segue_mem_free(NULL, priv);
        return 0;
    }
    const uint8_t *d = data + 2;
    size_t n = size - 2, pos = 0, count = 0, total = n / p.block_align;
    for (; pos + p.block_align <= n; pos += p.block_align) {
        decode_one(desc, priv, d + pos, p.block_align, p.channels);
        if (++count == total / 2)
            desc->reset(priv);
    }
    if (pos < n)
        decode_one(desc, priv, d + pos, n - pos, p.channels);
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    return 0;
}
