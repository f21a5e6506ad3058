/*
 * tests/fuzz/fuzz_mp3demux.c - libFuzzer target for the MP3 demuxer
 * (container/mp3.c: framing, resync, free format, Xing/Info/LAME/VBRI,
 * ID3v2/ID3v1/APEv2 at both ends, the seek index) and the MPEG audio
 * decoder behind it.
 *
 * Each input is opened with the container forced to "mp3" (so inputs the
 * probe would refuse still reach the demuxer's own search), twice: over a
 * seekable memory io (end tags, the open-time scan, seeking to a few
 * positions derived from the input and re-reading) and over a trickle io
 * that returns one byte per read and cannot seek (the pipe paths), the
 * second time in strict mode. Seeds: tests/fuzz/corpus/mp3demux/, made by
 * tools/make_mp3demux_seeds.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

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
        if (segue_metadata_picture_at(m, i, &pic) == SEGUE_OK && pic.size)
            sum += pic.data[0] + pic.data[pic.size - 1] + strlen(pic.mime);
    }
    for (size_t i = 0; i < segue_metadata_unmapped_count(m); i++) {
        const char *what, *why;
        if (segue_metadata_unmapped_at(m, i, &what, &why) == SEGUE_OK)
            sum += strlen(what) + strlen(why);
    }
    segue_gapless g;
    segue_metadata_get_gapless(m, &g);
    return sum + g.encoder_delay + g.padding + (size_t)g.total_frames;
}

/* Reads up to `limit` frames; returns the count. Bounded: every call either
 * returns frames or ends the loop. */
static uint64_t drain(segue_decoder *d, unsigned channels, uint64_t limit)
{
    float pcm[4608];
    size_t capacity = sizeof pcm / sizeof pcm[0] / channels;
    uint64_t total = 0;
    while (total < limit) {
        size_t frames = 0;
        segue_status st = segue_decoder_read_f32(d, pcm, capacity, &frames);
        if (st != SEGUE_OK || frames == 0)
            break;
        total += frames;
    }
    return total;
}

static void run(const segue_io *io, int strict, const uint8_t *data, size_t size)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.container = "mp3";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += walk_metadata(segue_decoder_metadata(d)) + strlen(info->codec);
        uint64_t frames = drain(d, info->channels, UINT64_MAX);
        if (info->seekable) {
            /* A few positions: the middle, near the end, from the input's
             * last bytes, and past the end (an error, not a crash). */
            uint64_t span = frames + 1;
            int64_t targets[4] = {(int64_t)(frames / 2), (int64_t)(frames > 10 ? frames - 10 : 0),
                                  (int64_t)((size >= 2 ? (uint64_t)data[size - 1] << 8 | data[size - 2] : 0) % span),
                                  (int64_t)frames + 1000};
            for (int i = 0; i < 4; i++)
                if (segue_decoder_seek(d, targets[i]) == SEGUE_OK)
                    sink += (size_t)drain(d, info->channels, 5000);
        }
    }
    (void)sink;
    segue_decoder_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_io io;
    if (segue_io_from_memory(&io, data, size) == SEGUE_OK)
        run(&io, 0, data, size);

    trickle t = {data, size};
    memset(&io, 0, sizeof io);
    io.read = trickle_read;
    io.user = &t;
    run(&io, 1, data, size);
    return 0;
}
