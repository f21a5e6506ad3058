/*
 * tests/mp3dec/mp3dec_common.h - helpers of the MPEG audio decoder tests: a
 * tiny frame splitter (the tests feed the codec directly, without a
 * demuxer), file loading, and running the codec descriptor.
 */
#ifndef SEGUE_TESTS_MP3DEC_COMMON_H
#define SEGUE_TESTS_MP3DEC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/common/mpa_header.h"
#include "core/alloc.h"

/* Reads a whole file; NULL if it cannot. *size 0 for an empty file (a
 * non-NULL one-byte buffer is returned). Free with segue_mem_free(NULL,..). */
static inline uint8_t *mp3t_load(const char *path, size_t *size)
{
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (;;) {
        if (*size == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = segue_mem_realloc(NULL, buf, cap, ncap);
            if (!nb) {
                segue_mem_free(NULL, buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + *size, 1, cap - *size, f);
        if (got == 0)
            break;
        *size += got;
    }
    fclose(f);
    return buf;
}

/* segue_mpa_header_parse with the emphasis bits masked: the decoder
 * ignores emphasis, and the compliance stream l3-hecommon has a frame with
 * the reserved value, which the parser (by its contract) rejects. */
static inline int mp3t_parse(const uint8_t *p, segue_mpa_header *h)
{
    uint8_t b[4] = {p[0], p[1], p[2], (uint8_t)(p[3] & 0xFC)};
    return segue_mpa_header_parse(b, h);
}

static inline int mp3t_same_stream(const segue_mpa_header *a, const segue_mpa_header *b)
{
    return a->version == b->version && a->layer == b->layer && a->sample_rate == b->sample_rate;
}

static inline int mp3t_tag_at(const uint8_t *d, size_t n, size_t p)
{
    return (p + 3 <= n && memcmp(d + p, "TAG", 3) == 0) ||
           (p + 8 <= n && memcmp(d + p, "APETAGEX", 8) == 0) ||
           (p + 3 <= n && memcmp(d + p, "ID3", 3) == 0);
}

/* Finds the next frame at or after *pos. Returns 1 and sets *start,
 * *len, or 0 at the end. A frame counts when it is followed by the end of
 * the data, a tag, or another header of the same stream; free-format
 * frames end at the next such header. Truncated last frames are dropped. */
static inline int mp3t_next_frame(const uint8_t *d, size_t n, size_t *pos, size_t *start,
                                  size_t *len)
{
    size_t p = *pos;
    if (p == 0 && n >= 10 && memcmp(d, "ID3", 3) == 0) {
        size_t tag = ((size_t)(d[6] & 0x7F) << 21) | ((size_t)(d[7] & 0x7F) << 14) |
                     ((size_t)(d[8] & 0x7F) << 7) | (d[9] & 0x7F);
        p = 10 + tag + ((d[5] & 0x10) ? 10 : 0);
    }
    for (; p + 4 <= n; p++) {
        segue_mpa_header h;
        if (d[p] != 0xFF || mp3t_parse(d + p, &h) != 0)
            continue;
        size_t sz = h.frame_bytes;
        if (sz == 0) {
            /* free format: up to the next header of the same stream that
             * is itself followed by a header or the end (a fixed-size
             * one), or is free format too */
            size_t q = p + 8;
            for (; q + 4 <= n; q++) {
                segue_mpa_header h2, h3;
                if (d[q] != 0xFF || mp3t_parse(d + q, &h2) != 0 || !mp3t_same_stream(&h, &h2))
                    continue;
                if (h2.frame_bytes == 0)
                    break;
                size_t e2 = q + h2.frame_bytes;
                if (e2 == n || (e2 + 4 <= n && mp3t_parse(d + e2, &h3) == 0 && mp3t_same_stream(&h, &h3)))
                    break;
            }
            sz = q + 4 <= n ? q - p : n - p;
        }
        if (p + sz > n)
            continue; /* truncated */
        size_t e = p + sz;
        segue_mpa_header h2;
        int ok = e == n || mp3t_tag_at(d, n, e) ||
                 (e + 4 <= n && mp3t_parse(d + e, &h2) == 0 && mp3t_same_stream(&h, &h2));
        if (!ok)
            continue;
        *start = p;
        *len = sz;
        *pos = e;
        return 1;
    }
    *pos = n;
    return 0;
}

/* 1 if a Layer III frame is a Xing/Info/VBRI tag frame (not audio): the
 * tag must fit in the frame with all the fields its flags announce, as a
 * demuxer checks (a tag that does not fit is decoded as audio). */
static inline int mp3t_is_vbr_tag(const uint8_t *f, size_t len)
{
    segue_mpa_header h;
    if (mp3t_parse(f, &h) != 0 || h.layer != 3)
        return 0;
    size_t side = h.version == 1 ? (h.channels == 1 ? 17 : 32) : (h.channels == 1 ? 9 : 17);
    size_t off = 4 + side + (h.protection ? 2 : 0);
    if (off + 8 <= len && (memcmp(f + off, "Xing", 4) == 0 || memcmp(f + off, "Info", 4) == 0)) {
        unsigned flags = f[off + 7];
        size_t need = 8u + (flags & 1u ? 4u : 0u) + (flags & 2u ? 4u : 0u) +
                      (flags & 4u ? 100u : 0u) + (flags & 8u ? 4u : 0u);
        return off + need <= len;
    }
    return 36 + 26 <= len && memcmp(f + 36, "VBRI", 4) == 0;
}

/* LAME tag gapless values of a Xing/Info frame: encoder delay and padding
 * (12 bits each at byte 141 of the tag), -1 if there is no LAME tag. */
static inline int mp3t_lame_gapless(const uint8_t *f, size_t len, unsigned *delay, unsigned *padding)
{
    segue_mpa_header h;
    if (!mp3t_is_vbr_tag(f, len) || mp3t_parse(f, &h) != 0)
        return -1;
    size_t side = h.version == 1 ? (h.channels == 1 ? 17 : 32) : (h.channels == 1 ? 9 : 17);
    size_t t = 4 + side + (h.protection ? 2 : 0);
    if (t + 144 > len || memcmp(f + t + 120, "LAME", 4) != 0)
        return -1;
    const uint8_t *b = f + t + 141;
    *delay = ((unsigned)b[0] << 4) | (b[1] >> 4);
    *padding = ((unsigned)(b[1] & 15) << 8) | b[2];
    return 0;
}

#endif
