/*
 * tests/fuzz/fuzz_atrac1frame.c - libFuzzer target for the own ATRAC1
 * decoder (codec/atrac1), driven through its codec descriptor without a
 * demuxer. The input's first byte picks the channel count (bit 0) and
 * strict mode (bit 1); the rest is cut into 212 * channels byte packets
 * (the last one may be short), each decoded; the decoder is reset half
 * way (as after a seek), and at the end the whole input goes in as one
 * packet with a frame limit from the first byte. A decode error is a clean
 * outcome; the decoder is used again after it, as a tolerant caller would.
 * ASan/UBSan report the bugs; the output is summed so it is read.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

static void decode_one(const segue_codec_desc *desc, void *priv, const uint8_t *p, size_t n,
                       uint32_t limit, unsigned channels)
{
    segue_packet pkt = {p, n, -1, limit, 0};
    const float *pcm = NULL;
    size_t frames = 0;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (desc->decode(priv, &pkt, &pcm, &frames, &err) == SEGUE_OK && frames) {
        if (frames > 512 || (limit && frames > limit))
            __builtin_trap(); /* the contract: at most max_packet_frames */
        float sum = 0.0f;
        for (size_t i = 0; i < frames * channels; i++)
            sum += pcm[i];
        sink = sum;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const segue_codec_desc *desc = segue_codec_find("atrac1", SEGUE_CODEC_DECODE);
    if (!desc || size < 1)
        return 0;
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "atrac1";
    p.channels = 1u + (data[0] & 1u);
    p.strict = (data[0] >> 1) & 1;
    p.sample_rate = 44100;
    p.block_align = 212u * p.channels;
    p.max_packet_frames = 512;
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
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    int was_reset = 0;
    for (size_t pos = 0; pos < n; pos += p.block_align) {
        size_t len = n - pos < p.block_align ? n - pos : p.block_align;
        decode_one(desc, priv, d + pos, len, 0, p.channels);
        if (!was_reset && pos > n / 2) {
            desc->reset(priv);
            was_reset = 1;
        }
    }
    decode_one(desc, priv, d, n, (uint32_t)(data[0] >> 2) * 8u, p.channels);
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    return 0;
}
