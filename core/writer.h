/*
 * core/writer.h - a buffered byte writer over a segue_io for muxers.
 * Tracks the absolute position itself; back-patching needs a seekable io.
 */
#ifndef SEGUE_CORE_WRITER_H
#define SEGUE_CORE_WRITER_H

#include <segue/io.h>
#include "error.h"

#define SEGUE_WRITER_BUFFER 65536

typedef struct segue_writer {
    segue_io io;
    segue_error *err;
    uint8_t *buf;
    size_t len;        /* buffered bytes not yet written */
    int64_t pos;       /* absolute position of the next byte */
    int failed;        /* a write failed; later writes fail fast */
    const segue_allocator *allocator;
} segue_writer;

/* Takes ownership of `io` (closes it in segue_writer_close, even on failure). */
segue_status segue_writer_open(segue_writer *w, const segue_io *io,
                               const segue_allocator *a, segue_error *err);
/* Flushes and closes the io. Returns SEGUE_ERR_IO if data could not be
 * written or close failed. Safe to call twice. */
segue_status segue_writer_close(segue_writer *w);

segue_status segue_writer_write(segue_writer *w, const void *data, size_t size);
segue_status segue_writer_flush(segue_writer *w);
int64_t segue_writer_tell(const segue_writer *w);
int segue_writer_seekable(const segue_writer *w);
/* Flushes, writes `size` bytes at absolute `offset`, and returns to the end.
 * SEGUE_ERR_NOT_SEEKABLE on pipes. */
segue_status segue_writer_patch(segue_writer *w, int64_t offset, const void *data, size_t size);

#endif
