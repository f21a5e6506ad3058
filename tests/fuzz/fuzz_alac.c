/*
 * tests/fuzz/fuzz_alac.c - libFuzzer target for the own ALAC decoder
 * (codec/alac), driven through its descriptor without a demuxer.
 * Byte 0 chooses the stream: bits 0-1 the bit depth (16, 20, 24, 32), bits
 * 2-4 the channel count - 1, bit 5 strict decoding, bit 6 a 'frma' + 'alac'
 * atom cookie instead of the bare config; byte 1 the frame length (0: 4096,
 * else 16 * byte), byte 2 kb (0: 14). The rest is packets, each a 2-byte
 * big-endian length and its bytes (a short tail is one truncated packet).
 * Every packet is decoded through the float path and, every other one,
 * the integer path; the decoder is reset half way. A decode error is a
 * clean outcome; the decoder is used again after it. ASan/UBSan report
 * the bugs; the output is summed so it is read.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/alac/alac.h"
#include "codec/codec.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;
static volatile int32_t isink;

static void decode_one(const segue_codec_desc *desc, void *priv, const uint8_t *p, size_t n,
                       unsigned channels, uint32_t frame_length, int integer)
{
    segue_packet pkt = {p, n, -1, 0, 0};
    size_t frames = 0;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (integer) {
        const int32_t *pcm = NULL;
        if (segue_alac_decode_s32(priv, &pkt, &pcm, &frames, &err) == SEGUE_OK && frames) {
            if (frames > frame_length)
                __builtin_trap();
            int32_t x = 0;
            for (size_t i = 0; i < frames * channels; i++)
                x ^= pcm[i];
            isink = x;
        }
        return;
    }
    const float *pcm = NULL;
    if (desc->decode(priv, &pkt, &pcm, &frames, &err) == SEGUE_OK && frames) {
        if (frames > frame_length)
            __builtin_trap(); /* at most frameLength frames per packet */
        float sum = 0.0f;
        for (size_t i = 0; i < frames * channels; i++)
            sum += pcm[i];
        sink = sum;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const segue_codec_desc *desc = segue_codec_find("alac", SEGUE_CODEC_DECODE);
    if (!desc || size < 3)
        return 0;
    static const uint8_t depth[4] = {16, 20, 24, 32};
    unsigned channels = 1u + ((data[0] >> 2) & 7u);
    uint32_t frame_length = data[1] ? 16u * data[1] : 4096u;
    uint8_t cookie[48] = {0, 0, 0, 12, 'f', 'r', 'm', 'a', 'a', 'l', 'a', 'c',
                          0, 0, 0, 36, 'a', 'l', 'a', 'c', 0,   0,   0,   0};
    uint8_t *cfg = cookie + 24;
    cfg[0] = (uint8_t)(frame_length >> 24);
    cfg[1] = (uint8_t)(frame_length >> 16);
    cfg[2] = (uint8_t)(frame_length >> 8);
    cfg[3] = (uint8_t)frame_length;
    cfg[5] = depth[data[0] & 3u];
    cfg[6] = 40;
    cfg[7] = 10;
    cfg[8] = data[2] ? data[2] : 14;
    cfg[9] = (uint8_t)channels;
    cfg[11] = 255;
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "alac";
    p.sample_rate = 44100;
    p.channels = channels;
    p.max_packet_frames = frame_length;
    p.strict = (data[0] >> 5) & 1u;
    p.extradata = (data[0] & 0x40u) ? cookie : cfg;
    p.extradata_size = (data[0] & 0x40u) ? sizeof cookie : 24;
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
    const uint8_t *d = data + 3;
    size_t n = size - 3, pos = 0;
    unsigned count = 0;
    while (pos + 2 <= n) {
        size_t len = (size_t)d[pos] << 8 | d[pos + 1];
        pos += 2;
        if (len > n - pos)
            len = n - pos;
        decode_one(desc, priv, d + pos, len, channels, frame_length, count & 1u);
        pos += len;
        if (++count == 4)
            desc->reset(priv);
    }
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    return 0;
}
