/*
 * tests/fuzz/fuzz_flac.c - libFuzzer target for the FLAC demuxer
 * (container/flac.c), the libFLAC-backed codec (codec/ext/flac) and the
 * Vorbis comment / PICTURE parsers behind them.
 *
 * Each input is:
 *   - opened with the container forced to "flac" over a seekable memory io
 *     (metadata walk, frame splitting, seek table, bisection seeking: all
 *     PCM is read, then three seeks each followed by a short read);
 *   - opened again over a one-byte-per-read io without seek, in strict mode
 *     (the pipe paths, short reads inside frame headers);
 *   - parsed directly as a Vorbis comment block and as a PICTURE block body.
 * The metadata is walked so ASan checks every string. Crashes, hangs, leaks
 * and sanitizer reports are the findings.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

#include "container/vorbiscomment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct trickle {
    const uint8_t *pos;
    size_t left;
} trickle;

static long trickle_read(void *user, void *buf, size_t size)
{
    trickle *t = user;
    if (size == 0 || t->left == 0)
        return 0;
    *(uint8_t *)buf = *t->pos++;
    t->left--;
    return 1;
}

static size_t walk_metadata(const segue_metadata *m)
{
    size_t sum = 0;
    for (size_t i = 0; i < segue_metadata_field_count(m); i++) {
        const char *key, *value;
        if (segue_metadata_field_at(m, i, &key, &value) == SEGUE_OK)
            sum += strlen(key) + strlen(value);
    }
    for (size_t i = 0; i < segue_metadata_picture_count(m); i++) {
        segue_picture pic;
        if (segue_metadata_picture_at(m, i, &pic) == SEGUE_OK) {
            sum += strlen(pic.mime) + strlen(pic.description) + pic.size;
            if (pic.size)
                sum += pic.data[0] + pic.data[pic.size - 1];
        }
    }
    for (size_t i = 0; i < segue_metadata_unmapped_count(m); i++) {
        const char *what, *why;
        if (segue_metadata_unmapped_at(m, i, &what, &why) == SEGUE_OK)
            sum += strlen(what) + strlen(why);
    }
    return sum;
}

/* Reads at most `limit` frames; each call consumes input or ends. */
static uint64_t drain(segue_decoder *d, unsigned channels, uint64_t limit)
{
    static float pcm[8192];
    size_t capacity = sizeof pcm / sizeof pcm[0] / channels;
    uint64_t total = 0;
    for (int calls = 0; calls < (1 << 16) && total < limit; calls++) {
        size_t frames = 0;
        segue_status st = segue_decoder_read_f32(d, pcm, capacity, &frames);
        if (st != SEGUE_OK || frames == 0)
            break;
        total += frames;
    }
    return total;
}

static void run(const segue_io *io, int strict, uint32_t seed)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.container = "flac";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += walk_metadata(segue_decoder_metadata(d));
        /* Frames are capped: a lying block size in every frame header could
         * otherwise make a small input decode to a very long stream. */
        uint64_t frames = drain(d, info->channels, 1u << 22);
        if (info->seekable) {
            int64_t span = info->frames > 0 ? info->frames : (int64_t)frames + 1;
            for (int k = 0; k < 3; k++) {
                seed = seed * 1103515245u + 12345u;
                int64_t target = (int64_t)(seed % (uint64_t)(span + 1));
                if (segue_decoder_seek(d, target) != SEGUE_OK)
                    break;
                sink += (size_t)drain(d, info->channels, 20000);
            }
        }
    }
    (void)sink;
    segue_decoder_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = (uint32_t)size;
    for (size_t i = 0; i < size && i < 64; i++)
        seed = seed * 31u + data[i];

    segue_io io;
    if (segue_io_from_memory(&io, data, size) == SEGUE_OK)
        run(&io, 0, seed);

    trickle t = {data, size};
    memset(&io, 0, sizeof io);
    io.read = trickle_read;
    io.user = &t;
    run(&io, 1, seed);

    segue_metadata *m = NULL;
    if (segue_metadata_create(&m, NULL) == SEGUE_OK) {
        segue_error err;
        segue_error_clear(&err);
        (void)segue_vorbiscomment_parse(data, size, m, NULL, &err);
        segue_error_clear(&err);
        (void)segue_flac_picture_parse(data, size, m, NULL, &err);
        volatile size_t sink = walk_metadata(m);
        (void)sink;
    }
    segue_metadata_destroy(m);
    return 0;
}
