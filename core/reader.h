/*
 * core/reader.h - a buffered, forward-first byte reader over a segue_io.
 *
 * Containers read through this, never through the io directly: it turns
 * short reads (even one byte at a time) into full reads, gives a peek window
 * for probing on pipes, tracks the absolute position without tell(), and
 * skips forward by reading when the io cannot seek.
 */
#ifndef SEGUE_CORE_READER_H
#define SEGUE_CORE_READER_H

#include <segue/io.h>
#include "error.h"

#define SEGUE_READER_BUFFER 65536

typedef struct segue_reader {
    segue_io io;
    segue_error *err;           /* where failures are reported; may be NULL */
    uint8_t *buf;               /* SEGUE_READER_BUFFER bytes, from the allocator */
    size_t pos, len;            /* unread bytes are buf[pos..len) */
    int64_t buf_offset;         /* absolute stream offset of buf[0] */
    int64_t size;               /* total size if known (seekable), else -1 */
    int eof;                    /* the io returned 0 */
    const segue_allocator *allocator;
} segue_reader;

/* Takes ownership of `io` (closes it in segue_reader_close, even on failure). */
segue_status segue_reader_open(segue_reader *r, const segue_io *io,
                               const segue_allocator *a, segue_error *err);
void segue_reader_close(segue_reader *r);

/* Absolute position of the next byte. */
int64_t segue_reader_tell(const segue_reader *r);
/* 1 if the underlying io can seek. */
int segue_reader_seekable(const segue_reader *r);
/* Total size when known (seekable io), else -1. */
int64_t segue_reader_size(const segue_reader *r);

/* Makes up to `want` (<= SEGUE_READER_BUFFER) bytes available without
 * consuming them; *avail gets the count (less only at end of stream). */
segue_status segue_reader_peek(segue_reader *r, size_t want, const uint8_t **data,
                               size_t *avail);
/* Reads exactly `size` bytes: SEGUE_OK, or SEGUE_END_OF_STREAM if the stream
 * ended before any byte, or SEGUE_ERR_CORRUPT ("truncated") if it ended
 * part-way, or SEGUE_ERR_IO. */
segue_status segue_reader_read(segue_reader *r, void *dst, size_t size);
/* Reads up to `size` bytes; *got may be short only at end of stream. */
segue_status segue_reader_read_some(segue_reader *r, void *dst, size_t size, size_t *got);
/* Skips forward `count` bytes (seeks if possible, else reads). Skipping past
 * the end is SEGUE_ERR_CORRUPT. */
segue_status segue_reader_skip(segue_reader *r, uint64_t count);
/* Absolute seek; SEGUE_ERR_NOT_SEEKABLE unless the target is inside the
 * current buffer or ahead of it (then it skips). */
segue_status segue_reader_seek(segue_reader *r, int64_t offset);

/* Little/big-endian helpers over a byte pointer. */
static inline uint16_t segue_rl16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t segue_rl32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t segue_rl64(const uint8_t *p)
{
    return (uint64_t)segue_rl32(p) | ((uint64_t)segue_rl32(p + 4) << 32);
}
static inline uint16_t segue_rb16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t segue_rb32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void segue_wl16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void segue_wl32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void segue_wl64(uint8_t *p, uint64_t v)
{
    segue_wl32(p, (uint32_t)v); segue_wl32(p + 4, (uint32_t)(v >> 32));
}
static inline void segue_wb16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void segue_wb32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
