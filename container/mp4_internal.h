/*
 * container/mp4_internal.h - pieces the MP4 demuxer (mp4.c) shares with its
 * iTunes metadata reader (mp4_ilst.c). See docs/mp4.md.
 */
#ifndef SEGUE_CONTAINER_MP4_INTERNAL_H
#define SEGUE_CONTAINER_MP4_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "container.h"

/* A window of bytes already in memory. */
typedef struct mp4_span {
    const uint8_t *p;
    size_t n;
} mp4_span;

#define MP4_TAG(a, b, c, d) \
    (((uint32_t)(uint8_t)(a) << 24) | ((uint32_t)(uint8_t)(b) << 16) | ((uint32_t)(uint8_t)(c) << 8) | \
     (uint32_t)(uint8_t)(d))

/* Takes the next box off the front of `s` (ISO/IEC 14496-12 4.2: 32-bit size,
 * 1 = a 64-bit largesize follows, 0 = to the end of the enclosing span).
 * Returns 1 with *type and *body set, 0 when `s` is empty, -1 when the box
 * header or size does not fit what is left. */
int mp4_next_box(mp4_span *s, uint32_t *type, mp4_span *body);
/* The first child of `s` with `type`, or 0 if none (or malformed). */
int mp4_find_box(mp4_span s, uint32_t type, mp4_span *body);

/* Reads moov/udta/meta/ilst (Apple QuickTime File Format, "Metadata";
 * iTunes item list) into ctx->metadata. Fills *smpb with the iTunSMPB
 * gapless values when the tag has them (has_smpb set). */
typedef struct mp4_smpb {
    int has_smpb;
    uint32_t delay, padding;
    uint64_t length;
} mp4_smpb;
segue_status mp4_read_ilst(segue_demux_ctx *ctx, mp4_span meta, mp4_smpb *smpb);

#endif
