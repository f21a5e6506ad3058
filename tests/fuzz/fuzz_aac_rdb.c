/*
 * tests/fuzz/fuzz_aac_rdb.c - libFuzzer target for the raw_data_block
 * decoding of the own AAC-LC decoder (codec/aac), through its descriptor
 * without a demuxer. Input: a 2-byte big-endian length L, L bytes of
 * AudioSpecificConfig, then access units, each a 2-byte big-endian length
 * and its bytes (a short tail goes in as a truncated unit). The top bit of
 * the length word of the ASC selects strict mode. The decoder is reset half
 * way (as after a seek); errors are clean outcomes and the decoder is used
 * again after them. The output is summed so ASan sees it read.
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
    if (!desc || size < 2)
        return 0;
    unsigned strict = data[0] >> 7;
    size_t asc_len = ((size_t)(data[0] & 0x7Fu) << 8) | data[1];
    if (asc_len > size - 2)
        return 0;
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "aac";
    p.max_packet_frames = 1024;
    p.extradata = data + 2;
    p.extradata_size = asc_len;
    p.strict = (int)strict;
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
    size_t pos = 2 + asc_len, count = 0;
    while (pos < size) {
        size_t len = size - pos;
        const uint8_t *au = data + pos;
        if (len >= 2) {
            size_t want = ((size_t)data[pos] << 8) | data[pos + 1];
            au += 2;
            len -= 2;
            if (want < len)
                len = want;
        }
        segue_packet pkt = {au, len, -1, 0, 0};
        const float *pcm = NULL;
        size_t frames = 0;
        memset(&err, 0, sizeof err);
        if (desc->decode(priv, &pkt, &pcm, &frames, &err) == SEGUE_OK && frames) {
            if (frames > 1024)
                __builtin_trap();
            float sum = 0.0f;
            for (size_t i = 0; i < frames; i++)
                sum += pcm[i];
            sink = sum;
        }
        pos = (size_t)(au - data) + len;
        if (++count == 4)
            desc->reset(priv);
    }
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    return 0;
}
