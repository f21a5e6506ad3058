/*
 * tests/fuzz/fuzz_mp3frame.c - libFuzzer target for the own MPEG audio
 * decoder (codec/mp3), driven through its codec descriptor without a
 * demuxer: the input is split into frames with segue_mpa_header_parse
 * (fixed-size frames by their header, free-format ones up to the next
 * sync, bytes that start no frame skipped), each frame is decoded, the
 * decoder is reset half way (as after a seek), and at the end the whole
 * input goes in as one packet. The stream parameters come from the input's
 * first byte so both channel counts are exercised whatever the frames say.
 * A decode error is a clean outcome; the decoder is used again after it,
 * as a tolerant caller would. ASan/UBSan report the bugs; the output is
 * summed so it is read.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/common/mpa_header.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

static void consume(const float *pcm, size_t frames, unsigned channels)
{
    float sum = 0.0f;
    for (size_t i = 0; i < frames * channels; i++)
        sum += pcm[i];
    sink = sum;
}

static void decode_one(const segue_codec_desc *desc, void *priv, const uint8_t *p, size_t n,
                       unsigned channels)
{
    segue_packet pkt = {p, n, -1, 0, 0};
    const float *pcm = NULL;
    size_t frames = 0;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (desc->decode(priv, &pkt, &pcm, &frames, &err) >= 0 && frames) {
        if (frames > 1152)
            __builtin_trap(); /* the contract: at most max_packet_frames */
        consume(pcm, frames, channels);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const segue_codec_desc *desc = segue_codec_find("mp3", SEGUE_CODEC_DECODE);
    if (!desc || size < 1)
        return 0;
    static const uint32_t rates[9] = {44100, 48000, 32000, 22050, 24000, 16000, 11025, 12000, 8000};
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "mp3";
    p.channels = 1u + (data[0] & 1u);
    p.sample_rate = rates[(data[0] >> 1) % 9u];
    p.max_packet_frames = 1152;
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
    size_t pos = 0;
    int was_reset = 0;
    while (pos + 4 <= n) {
        segue_mpa_header h;
        if (segue_mpa_header_parse(d + pos, &h) != 0) {
            pos++;
            continue;
        }
        size_t len = h.frame_bytes;
        if (len == 0) {
            size_t q = pos + 4;
            segue_mpa_header h2;
            while (q + 4 <= n && segue_mpa_header_parse(d + q, &h2) != 0)
                q++;
            len = (q + 4 <= n ? q : n) - pos;
        }
        if (len > n - pos)
            len = n - pos; /* a truncated last frame goes in as it is */
        decode_one(desc, priv, d + pos, len, p.channels);
        pos += len;
        if (!was_reset && pos > n / 2) {
            if (desc->reset)
                desc->reset(priv);
            was_reset = 1;
        }
    }
    decode_one(desc, priv, d, n, p.channels);
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    return 0;
}
