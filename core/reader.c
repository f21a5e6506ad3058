/* core/reader.c - buffered forward-first reader (see reader.h). */
#include "reader.h"

#include <string.h>

#include "alloc.h"

segue_status segue_reader_open(segue_reader *r, const segue_io *io, const segue_allocator *a,
                               segue_error *err)
{
    memset(r, 0, sizeof *r);
    r->io = *io;
    r->err = err;
    r->allocator = a;
    r->size = -1;
    if (!io->read) {
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "io: source has no read callback");
    }
    r->buf = segue_mem_alloc(a, SEGUE_READER_BUFFER);
    if (!r->buf)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "io: cannot allocate read buffer");
    if (r->io.seek) {
        /* Positions are absolute io offsets; the stream may start anywhere. */
        int64_t start = r->io.tell ? r->io.tell(r->io.user) : 0;
        if (start < 0)
            start = 0;
        if (r->io.seek(r->io.user, 0, SEGUE_SEEK_END) == 0) {
            int64_t end = r->io.tell ? r->io.tell(r->io.user) : -1;
            if (end >= start && r->io.seek(r->io.user, start, SEGUE_SEEK_SET) == 0) {
                r->size = end;
            } else {
                r->io.seek(r->io.user, start, SEGUE_SEEK_SET);
            }
        }
        r->buf_offset = start;
    }
    return SEGUE_OK;
}

void segue_reader_close(segue_reader *r)
{
    if (!r)
        return;
    segue_mem_free(r->allocator, r->buf);
    r->buf = NULL;
    if (r->io.close)
        r->io.close(r->io.user);
    memset(&r->io, 0, sizeof r->io);
}

int64_t segue_reader_tell(const segue_reader *r) { return r->buf_offset + (int64_t)r->pos; }

int segue_reader_seekable(const segue_reader *r) { return r->io.seek != NULL && r->size >= 0; }

int64_t segue_reader_size(const segue_reader *r) { return r->size; }

/* Reads from the io into dst until `size` bytes or end of stream. */
static segue_status io_read_full(segue_reader *r, uint8_t *dst, size_t size, size_t *got)
{
    size_t total = 0;
    while (total < size && !r->eof) {
        size_t chunk = size - total;
        if (chunk > 0x40000000)
            chunk = 0x40000000;
        long n = r->io.read(r->io.user, dst + total, chunk);
        if (n < 0) {
            *got = total;
            return segue_error_set(r->err, SEGUE_ERR_IO, "io: read failed at offset %lld",
                                   (long long)(segue_reader_tell(r) + (int64_t)total));
        }
        if (n == 0)
            r->eof = 1;
        total += (size_t)n;
    }
    *got = total;
    return SEGUE_OK;
}

segue_status segue_reader_peek(segue_reader *r, size_t want, const uint8_t **data, size_t *avail)
{
    if (want > SEGUE_READER_BUFFER)
        want = SEGUE_READER_BUFFER;
    if (r->len - r->pos < want && !r->eof) {
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->buf_offset += (int64_t)r->pos;
            r->len -= r->pos;
            r->pos = 0;
        }
        size_t got;
        segue_status st = io_read_full(r, r->buf + r->len, SEGUE_READER_BUFFER - r->len, &got);
        r->len += got;
        if (st < 0)
            return st;
    }
    *data = r->buf + r->pos;
    *avail = r->len - r->pos < want ? r->len - r->pos : want;
    return SEGUE_OK;
}

segue_status segue_reader_read_some(segue_reader *r, void *dst, size_t size, size_t *got)
{
    uint8_t *out = dst;
    size_t done = 0;
    size_t buffered = r->len - r->pos;
    if (buffered) {
        size_t n = buffered < size ? buffered : size;
        memcpy(out, r->buf + r->pos, n);
        r->pos += n;
        done = n;
    }
    if (done < size) {
        /* Buffer drained: large reads go straight to the destination. */
        r->buf_offset += (int64_t)r->len;
        r->pos = r->len = 0;
        if (size - done >= SEGUE_READER_BUFFER) {
            size_t n;
            segue_status st = io_read_full(r, out + done, size - done, &n);
            r->buf_offset += (int64_t)n;
            done += n;
            if (st < 0) {
                *got = done;
                return st;
            }
        } else {
            const uint8_t *p;
            size_t avail;
            segue_status st = segue_reader_peek(r, size - done, &p, &avail);
            if (st < 0) {
                *got = done;
                return st;
            }
            memcpy(out + done, p, avail);
            r->pos += avail;
            done += avail;
        }
    }
    *got = done;
    return SEGUE_OK;
}

segue_status segue_reader_read(segue_reader *r, void *dst, size_t size)
{
    size_t got;
    segue_status st = segue_reader_read_some(r, dst, size, &got);
    if (st < 0)
        return st;
    if (got == size)
        return SEGUE_OK;
    if (got == 0)
        return SEGUE_END_OF_STREAM;
    return segue_error_set(r->err, SEGUE_ERR_CORRUPT, "truncated: needed %zu bytes at offset %lld, got %zu",
                           size, (long long)(segue_reader_tell(r) - (int64_t)got), got);
}

segue_status segue_reader_seek(segue_reader *r, int64_t offset)
{
    if (offset < 0)
        return segue_error_set(r->err, SEGUE_ERR_INVALID_ARGUMENT, "io: seek to negative offset");
    if (offset >= r->buf_offset && offset <= r->buf_offset + (int64_t)r->len) {
        r->pos = (size_t)(offset - r->buf_offset);
        return SEGUE_OK;
    }
    if (segue_reader_seekable(r)) {
        if (offset > r->size)
            return segue_error_set(r->err, SEGUE_ERR_CORRUPT,
                                   "seek to offset %lld past end of stream (%lld bytes)",
                                   (long long)offset, (long long)r->size);
        if (r->io.seek(r->io.user, offset, SEGUE_SEEK_SET) != 0)
            return segue_error_set(r->err, SEGUE_ERR_IO, "io: seek to %lld failed", (long long)offset);
        r->buf_offset = offset;
        r->pos = r->len = 0;
        r->eof = 0;
        return SEGUE_OK;
    }
    int64_t here = segue_reader_tell(r);
    if (offset > here)
        return segue_reader_skip(r, (uint64_t)(offset - here));
    return segue_error_set(r->err, SEGUE_ERR_NOT_SEEKABLE,
                           "io: cannot seek back to offset %lld on an unseekable stream",
                           (long long)offset);
}

segue_status segue_reader_skip(segue_reader *r, uint64_t count)
{
    size_t buffered = r->len - r->pos;
    if (count <= buffered) {
        r->pos += (size_t)count;
        return SEGUE_OK;
    }
    int64_t here = segue_reader_tell(r);
    if ((uint64_t)INT64_MAX - (uint64_t)here < count)
        return segue_error_set(r->err, SEGUE_ERR_CORRUPT, "skip of %llu bytes overflows",
                               (unsigned long long)count);
    if (segue_reader_seekable(r))
        return segue_reader_seek(r, here + (int64_t)count);
    uint64_t left = count;
    while (left) {
        const uint8_t *p;
        size_t avail;
        size_t want = left < SEGUE_READER_BUFFER ? (size_t)left : SEGUE_READER_BUFFER;
        segue_status st = segue_reader_peek(r, want, &p, &avail);
        if (st < 0)
            return st;
        if (avail == 0)
            return segue_error_set(r->err, SEGUE_ERR_CORRUPT,
                                   "truncated: skip of %llu bytes at offset %lld ends past end of stream",
                                   (unsigned long long)count, (long long)here);
        r->pos += avail;
        left -= avail;
    }
    return SEGUE_OK;
}
