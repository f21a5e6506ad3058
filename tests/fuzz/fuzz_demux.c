/*
 * tests/fuzz/fuzz_demux.c - libFuzzer target for the demuxers (WAV/RF64,
 * AIFF/AIFF-C, ID3v2 in their tag chunks) and the PCM decode path behind
 * them.
 *
 * Each input is opened twice: over a seekable memory io (the full chunk
 * walk, tags after the audio, seeking) and over a trickle io that returns
 * one byte per read and cannot seek (the pipe paths, the reader's short-read
 * handling), the second time in strict mode. All PCM is read into a stack
 * buffer, the metadata is walked, and the decoder is destroyed; ASan/UBSan
 * and LeakSanitizer report the bugs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A source that hands out one byte per read and has no seek: the worst
 * pipe a reader can meet. */
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

/* Touches every metadata item so its strings are read (ASan checks them). */
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

/* Reads everything; returns frames read. The loop is bounded: each call
 * consumes input or ends the stream. */
static uint64_t drain(segue_decoder *d, unsigned channels)
{
    float pcm[4096];
    size_t capacity = sizeof pcm / sizeof pcm[0] / channels;
    uint64_t total = 0;
    for (int calls = 0; calls < (1 << 20); calls++) {
        size_t frames = 0;
        segue_status st = segue_decoder_read_f32(d, pcm, capacity, &frames);
        if (st != SEGUE_OK || frames == 0)
            break;
        total += frames;
    }
    return total;
}

static void run(const segue_io *io, int strict)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += walk_metadata(segue_decoder_metadata(d));
        uint64_t frames = drain(d, info->channels);
        if (info->seekable && frames > 0) {
            /* Back to the middle and read the rest again. */
            if (segue_decoder_seek(d, (int64_t)(frames / 2)) == SEGUE_OK)
                sink += (size_t)drain(d, info->channels);
        }
    }
    (void)sink;
    segue_decoder_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_io io;
    if (segue_io_from_memory(&io, data, size) == SEGUE_OK)
        run(&io, 0);

    trickle t = {data, size};
    memset(&io, 0, sizeof io);
    io.read = trickle_read;
    io.user = &t;
    run(&io, 1);
    return 0;
}
