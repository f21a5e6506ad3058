/* core/io.c - segue_io over stdio files, memory and a growable memory sink. */
#include <segue/io.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"

/* ---- stdio ------------------------------------------------------------------ */

static long stdio_read(void *user, void *buf, size_t size)
{
    FILE *f = user;
    size_t n = fread(buf, 1, size, f);
    if (n == 0 && ferror(f))
        return -1;
    return (long)n;
}

static long stdio_write(void *user, const void *buf, size_t size)
{
    FILE *f = user;
    size_t n = fwrite(buf, 1, size, f);
    if (n != size)
        return -1;
    return (long)n;
}

static int stdio_seek(void *user, int64_t offset, segue_whence whence)
{
    int w = whence == SEGUE_SEEK_SET ? SEEK_SET : whence == SEGUE_SEEK_CUR ? SEEK_CUR : SEEK_END;
    return fseeko((FILE *)user, (off_t)offset, w) == 0 ? 0 : -1;
}

static int64_t stdio_tell(void *user)
{
    off_t pos = ftello((FILE *)user);
    return pos < 0 ? -1 : (int64_t)pos;
}

static int stdio_close(void *user)
{
    return fclose((FILE *)user) == 0 ? 0 : -1;
}

static int stdio_flush_only(void *user)
{
    FILE *f = user;
    int bad = fflush(f) != 0 || ferror(f);
    return bad ? -1 : 0;
}

segue_status segue_io_from_stdio(segue_io *io, FILE *file, int seekable, int close_file)
{
    if (!io)
        return SEGUE_ERR_INVALID_ARGUMENT;
    memset(io, 0, sizeof *io);
    if (!file)
        return SEGUE_ERR_INVALID_ARGUMENT;
    io->read = stdio_read;
    io->write = stdio_write;
    io->seek = seekable ? stdio_seek : NULL;
    io->tell = seekable ? stdio_tell : NULL;
    io->close = close_file ? stdio_close : stdio_flush_only;
    io->user = file;
    return SEGUE_OK;
}

segue_status segue_io_from_path(segue_io *io, const char *path)
{
    if (!io)
        return SEGUE_ERR_INVALID_ARGUMENT;
    memset(io, 0, sizeof *io);
    if (!path)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (strcmp(path, "-") == 0) {
        segue_status st = segue_io_from_stdio(io, stdin, 0, 0);
        io->write = NULL;
        return st;
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || S_ISDIR(sb.st_mode))
        return SEGUE_ERR_OPEN;
    FILE *f = fopen(path, "rb");
    if (!f)
        return SEGUE_ERR_OPEN;
    /* Only regular files are seekable; a FIFO or character device is read
     * forwards like a pipe. */
    segue_status st = segue_io_from_stdio(io, f, S_ISREG(sb.st_mode), 1);
    io->write = NULL;
    return st;
}

segue_status segue_io_to_path(segue_io *io, const char *path)
{
    if (!io)
        return SEGUE_ERR_INVALID_ARGUMENT;
    memset(io, 0, sizeof *io);
    if (!path)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (strcmp(path, "-") == 0) {
        segue_status st = segue_io_from_stdio(io, stdout, 0, 0);
        io->read = NULL;
        return st;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return SEGUE_ERR_OPEN;
    struct stat sb;
    int seekable = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode);
    segue_status st = segue_io_from_stdio(io, f, seekable, 1);
    io->read = NULL;
    return st;
}

/* ---- memory source ------------------------------------------------------- */

/* segue_io is copied by value, so the read position lives in a small block
 * that close() frees. */
typedef struct memory_cursor {
    const uint8_t *begin, *end, *pos;
} memory_cursor;

static long memory_read(void *user, void *buf, size_t size)
{
    memory_cursor *c = user;
    size_t left = (size_t)(c->end - c->pos);
    size_t n = size < left ? size : left;
    if (n > (size_t)0x7fffffff)
        n = 0x7fffffff;
    memcpy(buf, c->pos, n);
    c->pos += n;
    return (long)n;
}

static int memory_seek(void *user, int64_t offset, segue_whence whence)
{
    memory_cursor *c = user;
    int64_t size = (int64_t)(c->end - c->begin);
    int64_t base = whence == SEGUE_SEEK_SET ? 0
                   : whence == SEGUE_SEEK_CUR ? (int64_t)(c->pos - c->begin)
                                              : size;
    int64_t target = base + offset;
    if (target < 0 || target > size)
        return -1;
    c->pos = c->begin + target;
    return 0;
}

static int64_t memory_tell(void *user)
{
    memory_cursor *c = user;
    return (int64_t)(c->pos - c->begin);
}

static int memory_close(void *user)
{
    segue_mem_free(NULL, user);
    return 0;
}

segue_status segue_io_from_memory(segue_io *io, const void *data, size_t size)
{
    if (!io)
        return SEGUE_ERR_INVALID_ARGUMENT;
    memset(io, 0, sizeof *io);
    if (!data && size)
        return SEGUE_ERR_INVALID_ARGUMENT;
    memory_cursor *c = segue_mem_alloc(NULL, sizeof *c);
    if (!c)
        return SEGUE_ERR_NO_MEMORY;
    static const uint8_t empty[1];
    c->begin = data ? data : empty;
    c->end = c->begin + size;
    c->pos = c->begin;
    io->read = memory_read;
    io->seek = memory_seek;
    io->tell = memory_tell;
    io->close = memory_close;
    io->user = c;
    return SEGUE_OK;
}

/* ---- memory sink ---------------------------------------------------------- */

typedef struct memory_sink {
    segue_allocator allocator;
    uint8_t *data;
    size_t size, capacity, pos;
} memory_sink;

static long memory_sink_write(void *user, const void *buf, size_t size)
{
    memory_sink *s = user;
    if (size > SIZE_MAX - s->pos)
        return -1;
    size_t end = s->pos + size;
    if (end > s->capacity) {
        size_t cap = s->capacity ? s->capacity : 4096;
        while (cap < end)
            cap = cap > SIZE_MAX / 2 ? end : cap * 2;
        uint8_t *p = segue_mem_realloc(&s->allocator, s->data, s->size, cap);
        if (!p)
            return -1;
        s->data = p;
        s->capacity = cap;
    }
    if (s->pos > s->size)
        memset(s->data + s->size, 0, s->pos - s->size);
    memcpy(s->data + s->pos, buf, size);
    s->pos = end;
    if (end > s->size)
        s->size = end;
    return (long)size;
}

static int memory_sink_seek(void *user, int64_t offset, segue_whence whence)
{
    memory_sink *s = user;
    int64_t base = whence == SEGUE_SEEK_SET ? 0
                   : whence == SEGUE_SEEK_CUR ? (int64_t)s->pos
                                              : (int64_t)s->size;
    int64_t target = base + offset;
    if (target < 0 || (uint64_t)target > (uint64_t)s->size)
        return -1;
    s->pos = (size_t)target;
    return 0;
}

static int64_t memory_sink_tell(void *user)
{
    return (int64_t)((memory_sink *)user)->pos;
}

static int memory_sink_close(void *user)
{
    memory_sink *s = user;
    segue_allocator a = s->allocator;
    segue_mem_free(&a, s->data);
    segue_mem_free(&a, s);
    return 0;
}

segue_status segue_io_memory_sink(segue_io *io, const segue_allocator *allocator)
{
    if (!io)
        return SEGUE_ERR_INVALID_ARGUMENT;
    memset(io, 0, sizeof *io);
    const segue_allocator *a = segue_allocator_or_default(allocator);
    memory_sink *s = segue_mem_alloc(a, sizeof *s);
    if (!s)
        return SEGUE_ERR_NO_MEMORY;
    memset(s, 0, sizeof *s);
    s->allocator = *a;
    io->write = memory_sink_write;
    io->seek = memory_sink_seek;
    io->tell = memory_sink_tell;
    io->close = memory_sink_close;
    io->user = s;
    return SEGUE_OK;
}

const void *segue_io_memory_sink_data(const segue_io *io, size_t *size)
{
    if (!io || io->write != memory_sink_write) {
        if (size)
            *size = 0;
        return NULL;
    }
    const memory_sink *s = io->user;
    if (size)
        *size = s->size;
    return s->data;
}
