/* tests/atrac3/atrac3_tool.c - drives the "atrac3" decoder descriptor
 * frame by frame on a RIFF .at3 (format tag 0x0270) or an untagged OMA
 * file (frames right after the 96-byte EA3 header), without the container
 * layer, and writes the decode as raw interleaved s16le (FFmpeg's rounding:
 * x * 32768 rounded to nearest, clipped) or f32le.
 *
 *   atrac3_tool IN OUT [s16|f32]
 *
 * Exit 0 ok, 1 decode error, 2 usage or unreadable input. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Reads the whole file; NULL on failure. */
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

typedef struct stream {
    const uint8_t *frames;
    size_t bytes;
    segue_codec_params params;
    uint8_t extradata[14];
} stream;

static int parse_riff(const uint8_t *d, size_t n, stream *st)
{
    if (n < 12 || memcmp(d, "RIFF", 4) || memcmp(d + 8, "WAVE", 4))
        return -1;
    int have_fmt = 0;
    size_t pos = 12;
    while (pos + 8 <= n) {
        uint32_t size = le32(d + pos + 4);
        const uint8_t *body = d + pos + 8;
        size_t avail = n - pos - 8;
        if (!memcmp(d + pos, "fmt ", 4)) {
            if (size < 32 || avail < 32 || le16(body) != 0x0270)
                return -1;
            st->params.channels = le16(body + 2);
            st->params.sample_rate = le32(body + 4);
            st->params.block_align = le16(body + 12);
            if (le16(body + 16) != 14)
                return -1;
            memcpy(st->extradata, body + 18, 14);
            have_fmt = 1;
        } else if (!memcmp(d + pos, "data", 4)) {
            if (!have_fmt)
                return -1;
            st->frames = body;
            st->bytes = size < avail ? size : avail;
            return 0;
        }
        pos += 8 + (size_t)size + (size & 1u);
    }
    return -1;
}

/* EA3 header (96 bytes): codec id at byte 32 (0 = ATRAC3), then 24-bit
 * big-endian parameters: bit 17 joint stereo, bits 0-9 frame size / 8. */
static int parse_oma(const uint8_t *d, size_t n, stream *st)
{
    if (n < 96 || memcmp(d, "EA3", 3) || d[32] != 0)
        return -1;
    uint32_t params = (uint32_t)d[33] << 16 | (uint32_t)d[34] << 8 | d[35];
    st->params.channels = 2;
    st->params.sample_rate = 44100;
    st->params.block_align = (params & 0x3FFu) * 8u;
    unsigned js = (params >> 17) & 1u;
    memset(st->extradata, 0, sizeof st->extradata);
    st->extradata[0] = 1;
    st->extradata[6] = (uint8_t)js;
    st->extradata[8] = (uint8_t)js;
    st->extradata[10] = 1;
    st->frames = d + 96;
    st->bytes = n - 96;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: atrac3_tool IN OUT [s16|f32]\n");
        return 2;
    }
    int f32 = argc > 3 && !strcmp(argv[3], "f32");
    size_t n = 0;
    uint8_t *d = slurp(argv[1], &n);
    if (!d) {
        fprintf(stderr, "atrac3_tool: cannot read %s\n", argv[1]);
        return 2;
    }
    stream st;
    memset(&st, 0, sizeof st);
    if (parse_riff(d, n, &st) && parse_oma(d, n, &st)) {
        fprintf(stderr, "atrac3_tool: %s is not ATRAC3 RIFF or untagged OMA\n", argv[1]);
        free(d);
        return 2;
    }
    st.params.codec = "atrac3";
    st.params.max_packet_frames = 1024;
    st.params.extradata = st.extradata;
    st.params.extradata_size = 14;
    st.params.strict = 1;

    const segue_codec_desc *desc = segue_codec_find("atrac3", SEGUE_CODEC_DECODE);
    FILE *out = fopen(argv[2], "wb");
    void *priv = desc ? calloc(1, desc->priv_size) : NULL;
    segue_error err;
    memset(&err, 0, sizeof err);
    int rc = 0;
    if (!desc || !out || !priv) {
        fprintf(stderr, "atrac3_tool: no decoder or no output\n");
        rc = 2;
    } else if (desc->decoder_init(priv, &st.params, NULL, &err) != SEGUE_OK) {
        fprintf(stderr, "atrac3_tool: init: %s\n", err.detail);
        rc = 1;
    } else {
        size_t ba = st.params.block_align;
        for (size_t off = 0; off + ba <= st.bytes; off += ba) {
            segue_packet pkt = {st.frames + off, ba, -1, 0, 0};
            const float *pcm;
            size_t frames;
            if (desc->decode(priv, &pkt, &pcm, &frames, &err) != SEGUE_OK) {
                fprintf(stderr, "atrac3_tool: %s\n", err.detail);
                rc = 1;
                break;
            }
            size_t count = frames * st.params.channels;
            if (f32) {
                fwrite(pcm, sizeof(float), count, out);
                continue;
            }
            for (size_t i = 0; i < count; i++) {
                float v = pcm[i] * 32768.0f;
                long r = lrintf(v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v);
                uint8_t b[2] = {(uint8_t)(r & 0xFF), (uint8_t)((r >> 8) & 0xFF)};
                fwrite(b, 1, 2, out);
            }
        }
        desc->fini(priv, NULL);
    }
    if (out)
        fclose(out);
    free(priv);
    free(d);
    return rc;
}
