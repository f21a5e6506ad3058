/*
 * tests/fuzz/fuzz_common.h - pieces the decoder fuzz targets share: a
 * source that trickles bytes and cannot seek, a metadata walk that makes
 * ASan read every string, and a bounded drain of the PCM.
 */
#ifndef SEGUE_TESTS_FUZZ_COMMON_H
#define SEGUE_TESTS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An unseekable source handing out 1..max_step bytes per read in turn
 * (max_step 0 or 1: one byte per read, the worst pipe a reader can meet). */
typedef struct fuzz_trickle {
    const uint8_t *pos;
    size_t left;
    unsigned max_step;
    unsigned n;
} fuzz_trickle;

static inline long fuzz_trickle_read(void *user, void *buf, size_t size)
{
    fuzz_trickle *t = user;
    size_t k = t->max_step > 1 ? 1 + (t->n++ % t->max_step) : 1;
    if (k > size)
        k = size;
    if (k > t->left)
        k = t->left;
    memcpy(buf, t->pos, k);
    t->pos += k;
    t->left -= k;
    return (long)k;
}

/* Touches every metadata item so its strings are read. */
static inline size_t fuzz_walk_metadata(const segue_metadata *m)
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

/* Reads at most `limit` frames; bounded because each call consumes input
 * or ends the stream. */
static inline uint64_t fuzz_drain(segue_decoder *d, unsigned channels, uint64_t limit)
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

#endif
