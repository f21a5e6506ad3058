/*
 * tests/atrac1/atrac1_tool.c - decodes an AEA file with the own ATRAC1
 * decoder, driving the codec descriptor frame by frame, without the
 * container layer (so the codec is testable before the AEA demuxer lands).
 *
 *   atrac1_tool IN.aea OUT.f32     interleaved float32 little-endian PCM
 *   atrac1_tool --cut N IN OUT     also cut the last packet to N bytes
 *
 * AEA layout (facts from FFmpeg's libavformat/aea.c and the fixtures'
 * README): a 2048-byte header starting 00 08 00 00, the title at byte 4,
 * a little-endian frame count at byte 260 (a hint only: the packets are
 * counted from the file size, as FFmpeg does), the channel count at byte
 * 264; then sound units of 212 bytes, one per channel per frame. Every
 * frame is decoded and written (no delay removal), like FFmpeg's decode.
 * Prints "frames=N channels=C" on success. Exit 0 ok, 1 decode or IO
 * error, 64 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "core/alloc.h"

enum { AEA_HEADER = 2048, AEA_UNIT = 212 };

int main(int argc, char **argv)
{
    long cut = -1;
    int arg = 1;
    if (argc == 5 && strcmp(argv[1], "--cut") == 0) {
        cut = strtol(argv[2], NULL, 10);
        arg = 3;
    } else if (argc != 3) {
        fprintf(stderr, "usage: atrac1_tool [--cut N] IN.aea OUT.f32\n");
        return 64;
    }
    FILE *in = fopen(argv[arg], "rb");
    if (!in) {
        fprintf(stderr, "cannot open %s\n", argv[arg]);
        return 1;
    }
    uint8_t header[AEA_HEADER];
    if (fread(header, 1, sizeof header, in) != sizeof header || header[0] != 0x00 ||
        header[1] != 0x08 || header[2] != 0x00 || header[3] != 0x00) {
        fprintf(stderr, "%s: not an AEA file\n", argv[arg]);
        fclose(in);
        return 1;
    }
    unsigned channels = header[264];
    if (channels < 1 || channels > 2) {
        fprintf(stderr, "%s: %u channels\n", argv[arg], channels);
        fclose(in);
        return 1;
    }
    const segue_codec_desc *desc = segue_codec_find("atrac1", SEGUE_CODEC_DECODE);
    if (!desc) {
        fprintf(stderr, "no atrac1 decoder in the registry\n");
        fclose(in);
        return 1;
    }
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "atrac1";
    p.sample_rate = 44100;
    p.channels = channels;
    p.block_align = AEA_UNIT * channels;
    p.max_packet_frames = 512;
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    segue_error err;
    memset(&err, 0, sizeof err);
    if (!priv || desc->decoder_init(priv, &p, NULL, &err) != SEGUE_OK) {
        fprintf(stderr, "init: %s\n", err.detail);
        fclose(in);
        segue_mem_free(NULL, priv);
        return 1;
    }
    FILE *out = fopen(argv[arg + 1], "wb");
    int rc = out ? 0 : 1;
    uint8_t packet[2 * AEA_UNIT];
    unsigned long frames_total = 0;
    while (rc == 0) {
        size_t got = fread(packet, 1, p.block_align, in);
        if (got == 0)
            break;
        if (cut >= 0 && got == p.block_align) {
            int c = fgetc(in);
            if (c == EOF)
                got = (size_t)cut < got ? (size_t)cut : got; /* the last packet */
            else
                ungetc(c, in);
        }
        segue_packet pkt = {packet, got, -1, 0, 0};
        const float *pcm = NULL;
        size_t frames = 0;
        if (desc->decode(priv, &pkt, &pcm, &frames, &err) != SEGUE_OK) {
            fprintf(stderr, "decode: %s\n", err.detail);
            rc = 1;
            break;
        }
        if (fwrite(pcm, sizeof(float) * channels, frames, out) != frames)
            rc = 1;
        frames_total += frames;
    }
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    fclose(in);
    if (out && fclose(out) != 0)
        rc = 1;
    if (rc == 0)
        printf("frames=%lu channels=%u\n", frames_total, channels);
    return rc;
}
