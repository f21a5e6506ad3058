/*
 * segue/io.h - byte streams as callbacks.
 *
 * A segue_io is a plain struct of callbacks. A handle that takes a segue_io
 * copies the struct and calls `close` (if not NULL) exactly once, when the
 * handle is destroyed, whether open succeeded or not: the handle owns the
 * stream from the moment it is passed in.
 *
 * A NULL `seek` means the stream cannot seek (a pipe): readers then work
 * strictly forwards and writers cannot back-patch headers.
 */
#ifndef SEGUE_IO_H
#define SEGUE_IO_H

#include <stdio.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum segue_whence {
    SEGUE_SEEK_SET = 0,
    SEGUE_SEEK_CUR = 1,
    SEGUE_SEEK_END = 2
} segue_whence;

typedef struct segue_io {
    /* Reads up to `size` bytes into `buf`. Returns the count read (0 at end of
     * stream), or -1 on error. Short reads are allowed. NULL for sinks. */
    long (*read)(void *user, void *buf, size_t size);
    /* Writes `size` bytes. Returns the count written (a short count is an
     * error), or -1. NULL for sources. */
    long (*write)(void *user, const void *buf, size_t size);
    /* Moves to `offset` relative to `whence`. Returns 0 or -1. NULL if the
     * stream cannot seek. */
    int (*seek)(void *user, int64_t offset, segue_whence whence);
    /* Current position, or -1 if unknown. May be NULL. */
    int64_t (*tell)(void *user);
    /* Releases the stream. Returns 0, or -1 if buffered data could not be
     * written. May be NULL. */
    int (*close)(void *user);
    void *user;
} segue_io;

/* Opens a file for reading ("-" is stdin). On failure returns SEGUE_ERR_OPEN
 * and leaves *io zeroed. stdin is treated as unseekable even if it is a file
 * redirection, so that behaviour does not depend on how the shell set it up. */
SEGUE_API segue_status segue_io_from_path(segue_io *io, const char *path);

/* Creates (truncates) a file for writing ("-" is stdout, unseekable). */
SEGUE_API segue_status segue_io_to_path(segue_io *io, const char *path);

/* Wraps a stdio stream. `seekable` = 0 forces a NULL seek. If `close_file` is
 * non-zero, close calls fclose(); otherwise it only fflush()es. */
SEGUE_API segue_status segue_io_from_stdio(segue_io *io, FILE *file, int seekable,
                                           int close_file);

/* Reads from `size` bytes at `data`; the bytes are not copied and must
 * outlive the stream. Seekable. Allocates a small cursor with malloc
 * (SEGUE_ERR_NO_MEMORY if that fails); close frees it. */
SEGUE_API segue_status segue_io_from_memory(segue_io *io, const void *data, size_t size);

/* A growable in-memory sink (seekable). Keep a copy of the struct: after
 * segue_encoder_finish() and before destroying the encoder that owns the
 * sink, segue_io_memory_sink_data() on that copy gives the bytes; close
 * frees them. `allocator` may be NULL. */
SEGUE_API segue_status segue_io_memory_sink(segue_io *io, const segue_allocator *allocator);
/* The bytes written so far to a memory sink, and their count. The pointer is
 * valid until the next write or the close. */
SEGUE_API const void *segue_io_memory_sink_data(const segue_io *io, size_t *size);

#ifdef __cplusplus
}
#endif
#endif
