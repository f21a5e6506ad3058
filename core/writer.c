/* core/writer.c - buffered writer with back-patching (see writer.h). */
#include "writer.h"

#include <string.h>

#include "alloc.h"

segue_status segue_writer_open(segue_writer *w, const segue_io *io, const segue_allocator *a,
                               segue_error *err)
{
    memset(w, 0, sizeof *w);
    w->io = *io;
    w->err = err;
    w->allocator = a;
    if (!io->write)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "io: sink has no write callback");
    w->buf = segue_mem_alloc(a, SEGUE_WRITER_BUFFER);
    if (!w->buf)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "io: cannot allocate write buffer");
    if (w->io.seek && w->io.tell) {
        int64_t start = w->io.tell(w->io.user);
        w->pos = start > 0 ? start : 0;
    }
    return SEGUE_OK;
}

static segue_status io_write_all(segue_writer *w, const uint8_t *data, size_t size)
{
    while (size) {
        size_t chunk = size > 0x40000000 ? 0x40000000 : size;
        long n = w->io.write(w->io.user, data, chunk);
        if (n <= 0) {
            w->failed = 1;
            return segue_error_set(w->err, SEGUE_ERR_IO, "io: write failed (disk full or pipe closed?)");
        }
        data += n;
        size -= (size_t)n;
    }
    return SEGUE_OK;
}

segue_status segue_writer_flush(segue_writer *w)
{
    if (w->failed)
        return SEGUE_ERR_IO;
    if (!w->len)
        return SEGUE_OK;
    segue_status st = io_write_all(w, w->buf, w->len);
    w->len = 0;
    return st;
}

segue_status segue_writer_write(segue_writer *w, const void *data, size_t size)
{
    if (w->failed || !w->buf)
        return SEGUE_ERR_IO;
    const uint8_t *p = data;
    w->pos += (int64_t)size;
    if (w->len + size <= SEGUE_WRITER_BUFFER) {
        memcpy(w->buf + w->len, p, size);
        w->len += size;
        return SEGUE_OK;
    }
    segue_status st = segue_writer_flush(w);
    if (st < 0)
        return st;
    if (size >= SEGUE_WRITER_BUFFER)
        return io_write_all(w, p, size);
    memcpy(w->buf, p, size);
    w->len = size;
    return SEGUE_OK;
}

int64_t segue_writer_tell(const segue_writer *w) { return w->pos; }

int segue_writer_seekable(const segue_writer *w) { return w->io.seek != NULL; }

segue_status segue_writer_patch(segue_writer *w, int64_t offset, const void *data, size_t size)
{
    if (!w->io.seek)
        return SEGUE_ERR_NOT_SEEKABLE;
    segue_status st = segue_writer_flush(w);
    if (st < 0)
        return st;
    if (w->io.seek(w->io.user, offset, SEGUE_SEEK_SET) != 0)
        return segue_error_set(w->err, SEGUE_ERR_IO, "io: seek to %lld for header update failed",
                               (long long)offset);
    st = io_write_all(w, data, size);
    if (st < 0)
        return st;
    if (w->io.seek(w->io.user, w->pos, SEGUE_SEEK_SET) != 0)
        return segue_error_set(w->err, SEGUE_ERR_IO, "io: seek back to end failed");
    return SEGUE_OK;
}

segue_status segue_writer_close(segue_writer *w)
{
    segue_status st = SEGUE_OK;
    if (w->buf) {
        st = segue_writer_flush(w);
        segue_mem_free(w->allocator, w->buf);
        w->buf = NULL;
    }
    if (w->io.close) {
        if (w->io.close(w->io.user) != 0 && st == SEGUE_OK)
            st = segue_error_set(w->err, SEGUE_ERR_IO, "io: closing the output failed");
    }
    memset(&w->io, 0, sizeof w->io);
    return st;
}
