/* tests/aac/aac_tool.c - drives the "aac" decoder descriptor packet by
 * packet on an ADTS file (ISO/IEC 13818-7 6.2 / 14496-3 1.A.2: 7-byte
 * headers, 9 with the CRC; one raw_data_block per frame), without the
 * container layer: the ADTS fields become a 2-byte AudioSpecificConfig, as
 * the ADTS demuxer does. Writes raw interleaved s16le (x * 32768 rounded to
 * nearest, clipped: FFmpeg's conversion) or f32le. All frames are written,
 * the encoder delay included.
 *
 *   aac_tool IN.aac OUT [s16|f32] [strict|lenient] [CHANNELS]
 *
 * CHANNELS: the channel count of a channel configuration 0 stream (whose
 * layout comes in a program_config_element in the first frame).
 *
 * Exit 0 ok, 1 decode error (message on stderr), 2 usage or unreadable
 * input, 3 unsupported (e.g. HE-AAC). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0)
            break;
        len += got;
    }
    fclose(f);
    *size = len;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: aac_tool IN.aac OUT [s16|f32] [strict|lenient] [CHANNELS]\n");
        return 2;
    }
    int f32 = argc > 3 && !strcmp(argv[3], "f32");
    int strict = argc > 4 && !strcmp(argv[4], "strict");
    size_t n = 0;
    uint8_t *d = slurp(argv[1], &n);
    if (!d || n < 7 || d[0] != 0xFF || (d[1] & 0xF6) != 0xF0) {
        fprintf(stderr, "aac_tool: %s is not ADTS\n", argv[1]);
        free(d);
        return 2;
    }
    static const uint32_t rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};
    unsigned profile = d[2] >> 6, sfi = (d[2] >> 2) & 15u;
    unsigned config = ((d[2] & 1u) << 2) | (d[3] >> 6);
    uint8_t asc[2];
    asc[0] = (uint8_t)(((profile + 1) << 3) | (sfi >> 1));
    asc[1] = (uint8_t)(((sfi & 1u) << 7) | (config << 3));
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "aac";
    p.sample_rate = sfi < 13 ? rates[sfi] : 0;
    p.channels = config == 7 ? 8 : config;
    if (argc > 5)
        p.channels = (uint32_t)atoi(argv[5]);
    p.max_packet_frames = 1024;
    p.extradata = asc;
    p.extradata_size = 2;
    p.strict = strict;

    const segue_codec_desc *desc = segue_codec_find("aac", SEGUE_CODEC_DECODE);
    FILE *out = fopen(argv[2], "wb");
    void *priv = desc ? calloc(1, desc->priv_size) : NULL;
    segue_error err;
    memset(&err, 0, sizeof err);
    int rc = 0;
    if (!desc || !out || !priv) {
        fprintf(stderr, "aac_tool: no decoder or no output\n");
        rc = 2;
        goto done;
    }
    segue_status st = desc->decoder_init(priv, &p, NULL, &err);
    if (st != SEGUE_OK) {
        fprintf(stderr, "aac_tool: init: %s\n", err.detail);
        rc = st == SEGUE_ERR_UNSUPPORTED ? 3 : 1;
        desc->fini(priv, NULL);
        goto done;
    }
    size_t pos = 0, packets = 0;
    while (pos + 7 <= n) {
        const uint8_t *h = d + pos;
        if (h[0] != 0xFF || (h[1] & 0xF6) != 0xF0) {
            fprintf(stderr, "aac_tool: lost ADTS sync at byte %zu\n", pos);
            rc = 1;
            break;
        }
        unsigned protection_absent = h[1] & 1u;
        size_t len = ((size_t)(h[3] & 3u) << 11) | ((size_t)h[4] << 3) | (h[5] >> 5);
        size_t hdr = protection_absent ? 7 : 9;
        if (len < hdr || pos + len > n) {
            fprintf(stderr, "aac_tool: truncated ADTS frame at byte %zu\n", pos);
            break;
        }
        segue_packet pkt = {h + hdr, len - hdr, -1, 0, 0};
        const float *pcm = NULL;
        size_t frames = 0;
        st = desc->decode(priv, &pkt, &pcm, &frames, &err);
        if (st != SEGUE_OK) {
            fprintf(stderr, "aac_tool: packet %zu: %s\n", packets, err.detail);
            rc = st == SEGUE_ERR_UNSUPPORTED ? 3 : 1;
            break;
        }
        size_t count = frames * p.channels;
        for (size_t i = 0; i < count; i++) {
            if (f32) {
                fwrite(&pcm[i], 4, 1, out);
            } else {
                float v = nearbyintf(pcm[i] * 32768.0f);
                int16_t s = (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : v);
                fwrite(&s, 2, 1, out);
            }
        }
        packets++;
        pos += len;
    }
    desc->fini(priv, NULL);
done:
    if (out)
        fclose(out);
    free(priv);
    free(d);
    return rc;
}
