/*
 * tests/fuzz/fuzz_ogg.c - libFuzzer target for the Ogg demuxer
 * (container/ogg.c: page sync, CRC, lacing, packet assembly, chains,
 * granule arithmetic, bisection seeking, Vorbis setup header parsing) and
 * the Vorbis and Opus decoders behind it.
 *
 * Each input is opened with the container forced to "ogg" twice: over a
 * seekable memory io (the end scan for the length, then a full decode,
 * seeks to a few places and reads after each), and over a pipe that hands
 * out 1..13 bytes per read, in strict mode. Metadata is walked so ASan
 * checks every string and picture.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct drip {
    const uint8_t *pos;
    size_t left;
    unsigned n;
} drip;

static long drip_read(void *user, void *buf, size_t size)
{
    drip *t = user;
    size_t k = 1 + (t->n++ % 13);
    if (k > size)
        k = size;
    if (k > t->left)
        k = t->left;
    memcpy(buf, t->pos, k);
    t->pos += k;
    t->left -= k;
    return (long)k;
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
        if (segue_metadata_picture_at(m, i, &pic) == SEGUE_OK && pic.size)
            sum += pic.data[0] + pic.data[pic.size - 1] + strlen(pic.mime);
    }
    for (size_t i = 0; i < segue_metadata_unmapped_count(m); i++) {
        const char *what, *why;
        if (segue_metadata_unmapped_at(m, i, &what, &why) == SEGUE_OK)
            sum += strlen(what) + strlen(why);
    }
    return sum;
}

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

static void run(const segue_io *io, int strict)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.container = "ogg";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += walk_metadata(segue_decoder_metadata(d));
        uint64_t frames = drain(d, info->channels, UINT64_MAX);
        if (info->seekable) {
            const uint64_t at[] = {frames / 2, frames / 7, 0, frames + 3, frames ? frames - 1 : 0};
            for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
                if (segue_decoder_seek(d, (int64_t)at[i]) == SEGUE_OK)
                    sink += (size_t)drain(d, info->channels, 20000);
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
    drip t = {data, size, 0};
    memset(&io, 0, sizeof io);
    io.read = drip_read;
    io.user = &t;
    run(&io, 1);
    return 0;
}
