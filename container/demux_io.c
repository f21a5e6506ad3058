/* container/demux_io.c - checked reads shared by the demuxers. */
#include "container.h"

uint32_t segue_demux_max_metadata(const segue_demux_ctx *ctx)
{
    return ctx->cfg && ctx->cfg->max_metadata_bytes ? ctx->cfg->max_metadata_bytes : 16u << 20;
}

int segue_demux_strict(const segue_demux_ctx *ctx) { return ctx->cfg && ctx->cfg->strict; }

segue_status segue_demux_read_exact(segue_demux_ctx *ctx, void *dst, size_t n, const char *what)
{
    int64_t at = segue_reader_tell(ctx->reader);
    size_t got = 0;
    segue_status st = segue_reader_read_some(ctx->reader, dst, n, &got);
    if (st < 0)
        return st;
    if (got < n)
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                               "%s: %s truncated at offset %lld: needed %zu bytes, got %zu", ctx->name,
                               what, (long long)at, n, got);
    return SEGUE_OK;
}

segue_status segue_demux_skip_exact(segue_demux_ctx *ctx, uint64_t n, const char *what)
{
    segue_reader *r = ctx->reader;
    int64_t at = segue_reader_tell(r);
    if (segue_reader_seekable(r)) {
        int64_t size = segue_reader_size(r);
        if (n > (uint64_t)(size - at))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "%s: %s at offset %lld declares %llu bytes, only %lld remain",
                                   ctx->name, what, (long long)at, (unsigned long long)n,
                                   (long long)(size - at));
        return segue_reader_seek(r, at + (int64_t)n);
    }
    /* A pipe: read and drop, in small steps so a lying size costs time
     * bounded by the stream, never memory. */
    uint8_t scratch[1024];
    while (n) {
        size_t want = n < sizeof scratch ? (size_t)n : sizeof scratch, got = 0;
        segue_status st = segue_reader_read_some(r, scratch, want, &got);
        if (st < 0)
            return st;
        if (got < want)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "%s: %s at offset %lld ends early, the stream stops at offset %lld",
                                   ctx->name, what, (long long)at, (long long)segue_reader_tell(r));
        n -= got;
    }
    return SEGUE_OK;
}
