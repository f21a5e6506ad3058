/*
 * container/mp4mux_internal.h - shared by the MP4/M4A muxer (mp4mux.c) and
 * its iTunes metadata writer (mp4_ilst_write.c): a growable box buffer
 * that can also just count, so a moov can be sized before it is written.
 */
#ifndef SEGUE_CONTAINER_MP4MUX_INTERNAL_H
#define SEGUE_CONTAINER_MP4MUX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <segue/metadata.h>

#include "core/error.h"

typedef struct mp4w_buf {
    const segue_allocator *allocator;
    uint8_t *p;     /* NULL in counting mode */
    size_t len;     /* bytes written (or counted) */
    size_t cap;
    int count_only; /* 1: only len moves */
    int failed;     /* an allocation failed or a box outgrew 32 bits */
} mp4w_buf;

/* Appends n bytes (counting mode: only counts them). On failure sets
 * b->failed and later calls do nothing; the caller checks once at the end. */
void mp4w_bytes(mp4w_buf *b, const void *data, size_t n);
void mp4w_u8(mp4w_buf *b, uint8_t v);
void mp4w_u16(mp4w_buf *b, uint16_t v);
void mp4w_u24(mp4w_buf *b, uint32_t v);
void mp4w_u32(mp4w_buf *b, uint32_t v);
void mp4w_u64(mp4w_buf *b, uint64_t v);
void mp4w_zeros(mp4w_buf *b, size_t n);
/* Opens a box of `type` (4 characters): returns its offset for mp4w_end. */
size_t mp4w_begin(mp4w_buf *b, const char *type);
/* Opens a full box (ISO/IEC 14496-12 4.2): version and 24-bit flags. */
size_t mp4w_begin_full(mp4w_buf *b, const char *type, uint8_t version, uint32_t flags);
/* Writes the size of the box opened at `at` (fails past 4 GiB). */
void mp4w_end(mp4w_buf *b, size_t at);
/* Frees the buffer. */
void mp4w_free(mp4w_buf *b);

/* What the moov's iTunes items say about this encoding (iTunSMPB). */
typedef struct mp4w_smpb {
    int present;
    uint32_t delay, padding;
    uint64_t length;
} mp4w_smpb;

/* Appends moov/udta (udta > meta > hdlr 'mdir' + ilst) for `m` (may be
 * NULL: then only iTunSMPB, if present). Fields the ilst cannot carry are
 * added to `unmapped` (may be NULL; pass NULL on a second render so they
 * are reported once). Returns SEGUE_OK or SEGUE_ERR_NO_MEMORY (b->failed
 * is left for the caller as well). */
segue_status mp4w_udta(mp4w_buf *b, const segue_metadata *m, const mp4w_smpb *smpb,
                       segue_metadata *unmapped);

/* Tests only: makes the muxer whose state `priv` is (segue_muxer_m4a,
 * priv_size bytes, zeroed) write 64-bit chunk offsets (co64) however small
 * the file, so that path is exercised without a 4 GiB file. Call before
 * open. */
void segue_mp4mux_force_co64(void *priv);

#endif
