/*
 * tests/alac/alac_tool.c - drives the own ALAC decoder (codec/alac) through
 * its descriptor, without a demuxer, for the comparisons against FFmpeg.
 *
 *   alac_tool IN.caf OUT.raw [--strict]
 *
 * Input: a CAF file with ALAC (`ffmpeg -i X -c:a alac -f caf IN.caf`).
 * CAF is the simpler container to walk here than MP4: 'desc' (rate,
 * channels), 'kuki' (the magic cookie; FFmpeg writes a 'frma' atom, the
 * 'alac' atom header and the ALACSpecificConfig, so the cookie skipping is
 * exercised too), 'pakt' (packet sizes as BER varints) and 'data' (4-byte
 * edit count, then the packets back to back).
 *
 * Output: the decoded integers, interleaved (WAVE order), little-endian:
 * 16-bit streams as s16le, deeper ones as s32le with the value in the top
 * bits (value << (32 - bits)), which is what `ffmpeg -f s16le` / `-f s32le`
 * write for ALAC. Every packet is decoded twice, through
 * segue_alac_decode_s32 and through the float descriptor decode, and the
 * tool fails unless float * 2^(bits-1) equals the integer for every sample
 * (16/20/24 bits; for 32 bits unless float(value) does).
 *
 * On stderr: "alac_tool: frames=N packets=P escape=E shifted=S partial=Q"
 * counted from each packet's first element header, so tests can check
 * which paths a file exercised. Exit 0 ok, 1 decode error, 2 usage/IO.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/alac/alac.h"
#include "codec/codec.h"
#include "core/alloc.h"

static uint64_t rd_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int read_file(const char *path, uint8_t **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = segue_mem_alloc(NULL, cap);
    while (buf) {
        if (n == cap) {
            uint8_t *nb = segue_mem_realloc(NULL, buf, cap, cap * 2);
            if (!nb) {
                segue_mem_free(NULL, buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    if (!buf)
        return -1;
    *out = buf;
    *size = n;
    return 0;
}

static int ber(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < 10 && *p < end; i++) {
        uint8_t b = *(*p)++;
        *v = *v << 7 | (b & 0x7f);
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: alac_tool IN.caf OUT.raw [--strict]\n");
        return 2;
    }
    int strict = argc > 3 && strcmp(argv[3], "--strict") == 0;
    uint8_t *file;
    size_t size;
    if (read_file(argv[1], &file, &size) < 0) {
        fprintf(stderr, "alac_tool: cannot read %s\n", argv[1]);
        return 2;
    }
    int rc = 2;
    const uint8_t *kuki = NULL, *pakt = NULL, *data = NULL;
    size_t kuki_n = 0, pakt_n = 0, data_n = 0;
    uint32_t channels = 0, rate = 0;
    if (size < 8 || memcmp(file, "caff", 4) != 0) {
        fprintf(stderr, "alac_tool: not a CAF file\n");
        goto out;
    }
    for (size_t pos = 8; pos + 12 <= size;) {
        const uint8_t *h = file + pos;
        uint64_t n = rd_be(h + 4, 8);
        pos += 12;
        if (n > size - pos)
            n = size - pos; /* -1 (to the end) or damage */
        const uint8_t *body = file + pos;
        if (!memcmp(h, "desc", 4) && n >= 32) {
            uint64_t bits = rd_be(body, 8);
            double r;
            memcpy(&r, &bits, sizeof r);
            rate = (uint32_t)r;
            channels = (uint32_t)rd_be(body + 24, 4);
            if (memcmp(body + 8, "alac", 4) != 0) {
                fprintf(stderr, "alac_tool: CAF codec is not ALAC\n");
                goto out;
            }
        } else if (!memcmp(h, "kuki", 4)) {
            kuki = body;
            kuki_n = (size_t)n;
        } else if (!memcmp(h, "pakt", 4)) {
            pakt = body;
            pakt_n = (size_t)n;
        } else if (!memcmp(h, "data", 4) && n >= 4) {
            data = body + 4;
            data_n = (size_t)n - 4;
        }
        pos += (size_t)n;
    }
    if (!kuki || !pakt || !data || pakt_n < 24 || !channels) {
        fprintf(stderr, "alac_tool: CAF lacks desc/kuki/pakt/data\n");
        goto out;
    }

    const segue_codec_desc *desc = segue_codec_find("alac", SEGUE_CODEC_DECODE);
    if (!desc) {
        fprintf(stderr, "alac_tool: no alac decoder\n");
        goto out;
    }
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "alac";
    p.sample_rate = rate;
    p.channels = channels;
    p.extradata = kuki;
    p.extradata_size = kuki_n;
    p.strict = strict;
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    segue_error err;
    memset(&err, 0, sizeof err);
    if (!priv || desc->decoder_init(priv, &p, NULL, &err) != SEGUE_OK) {
        fprintf(stderr, "alac_tool: init: %s\n", err.detail);
        segue_mem_free(NULL, priv);
        rc = 1;
        goto out;
    }
    /* The config's bit depth, after the cookie's atom headers. */
    const uint8_t *cfg = kuki;
    size_t cfg_n = kuki_n;
    while (cfg_n >= 12 && (!memcmp(cfg + 4, "frma", 4) || !memcmp(cfg + 4, "alac", 4))) {
        cfg += 12;
        cfg_n -= 12;
    }
    unsigned bits = cfg[5];

    FILE *fo = fopen(argv[2], "wb");
    if (!fo) {
        fprintf(stderr, "alac_tool: cannot create %s\n", argv[2]);
        desc->fini(priv, NULL);
        segue_mem_free(NULL, priv);
        goto out;
    }
    rc = 0;
    uint64_t npackets = rd_be(pakt, 8);
    const uint8_t *tp = pakt + 24, *tend = pakt + pakt_n;
    size_t off = 0;
    unsigned long long frames_total = 0, escape = 0, shifted = 0, partial = 0, pk = 0;
    for (; pk < npackets; pk++) {
        uint64_t psize;
        if (ber(&tp, tend, &psize) < 0 || psize > data_n - off) {
            fprintf(stderr, "alac_tool: bad packet table at packet %llu\n", pk);
            rc = 1;
            break;
        }
        segue_packet pkt = {data + off, (size_t)psize, -1, 0, 0};
        if (psize >= 3) {
            /* tag(3) instance(4) unused(12) partial(1) shift(2) escape(1) */
            uint32_t h = (uint32_t)rd_be(pkt.data, 3);
            partial += (h >> 4) & 1;
            shifted += ((h >> 2) & 3) != 0;
            escape += (h >> 1) & 1;
        }
        off += (size_t)psize;
        const int32_t *ip;
        const float *fp;
        size_t n, nf;
        segue_status st = segue_alac_decode_s32(priv, &pkt, &ip, &n, &err);
        if (st != SEGUE_OK) {
            fprintf(stderr, "alac_tool: %s\n", err.detail);
            rc = 1;
            break;
        }
        size_t total = n * channels;
        int32_t *copy = segue_mem_alloc(NULL, total * sizeof *copy + 1);
        if (!copy) {
            rc = 2;
            break;
        }
        memcpy(copy, ip, total * sizeof *copy);
        st = desc->decode(priv, &pkt, &fp, &nf, &err);
        if (st != SEGUE_OK || nf != n) {
            fprintf(stderr, "alac_tool: float decode differs: %s\n", err.detail);
            segue_mem_free(NULL, copy);
            rc = 1;
            break;
        }
        float scale = (float)(1ul << (bits - 1));
        for (size_t i = 0; i < total; i++) {
            float want = (float)copy[i];
            if (fp[i] * scale != want) {
                fprintf(stderr, "alac_tool: float sample %zu of packet %llu: %.9g, int %d\n", i,
                        pk, (double)fp[i], copy[i]);
                rc = 1;
                break;
            }
            if (bits == 16) {
                uint16_t v = (uint16_t)copy[i];
                uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
                fwrite(b, 1, 2, fo);
            } else {
                uint32_t v = (uint32_t)copy[i] << (32 - bits);
                uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                                (uint8_t)(v >> 24)};
                fwrite(b, 1, 4, fo);
            }
        }
        segue_mem_free(NULL, copy);
        frames_total += n;
        if (rc)
            break;
    }
    if (fclose(fo) != 0)
        rc = 2;
    fprintf(stderr, "alac_tool: frames=%llu packets=%llu escape=%llu shifted=%llu partial=%llu\n",
            frames_total, pk, escape, shifted, partial);
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
out:
    segue_mem_free(NULL, file);
    return rc;
}
