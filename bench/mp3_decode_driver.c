/*
 * bench/mp3_decode_driver.c - decodes one MP3 file to float with our
 * decoder, libmpg123 or libavcodec's mp3float, for instruction counts under
 * `valgrind --tool=callgrind` (tools/bench_mp3.py) and for quick profiles.
 *
 *     mp3_decode_driver segue|mpg123|avcodec FILE [REPEAT] [-c]
 *
 * Both sides decode the same bytes from memory (the file is read once,
 * before decoding starts; libmpg123 through memory reader callbacks), to
 * 32-bit float, gapless, and print the frame count, channels and rate
 * (and with -c a checksum, the sum of squares, which costs time of its
 * own) so a broken run is visible. All decoding happens inside
 * decode_segue() / decode_mpg123(), so `--toggle-collect=decode_*` counts
 * exactly the decoding (handle setup and teardown included, file reading
 * and process start not). libavcodec (bench_peers.c: av_parser framing,
 * planar float out, no gapless trim) has no checksum here: -c is ignored
 * for it. REPEAT (default 1) decodes the buffer that many
 * times, so a profile can outweigh the setup. Our level follows SEGUE_CPU
 * as usual; the mpg123 line names the synthesis it picked.
 */
#include <mpg123.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_peers.h"
#include "core/alloc.h"
#include "segue/decoder.h"

typedef struct decode_result {
    unsigned long long frames;
    unsigned channels;
    unsigned rate;
    double energy;
} decode_result;

static unsigned char *load_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    *size = 0;
    if (!f)
        return NULL;
    size_t cap = 1u << 20;
    unsigned char *buf = segue_mem_alloc(NULL, cap);
    while (buf) {
        size_t got = fread(buf + *size, 1, cap - *size, f);
        *size += got;
        if (got == 0)
            break;
        if (*size == cap) {
            unsigned char *nb = segue_mem_realloc(NULL, buf, cap, cap * 2);
            if (!nb) {
                segue_mem_free(NULL, buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    /* Zero padding after the data: libavcodec's parser reads ahead. */
    if (buf && cap - *size < BENCH_INPUT_PADDING) {
        unsigned char *nb = segue_mem_realloc(NULL, buf, cap, *size + BENCH_INPUT_PADDING);
        if (!nb)
            segue_mem_free(NULL, buf);
        buf = nb;
    }
    if (buf)
        memset(buf + *size, 0, BENCH_INPUT_PADDING);
    return buf;
}

/* Interleaved float staging buffer: 4096 frames of up to 2 channels. */
static float pcm[4096 * 2];
static int checksum;
static char mpg123_decoder_name[64];

static double energy(const float *p, size_t n)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++)
        e += (double)p[i] * p[i];
    return e;
}

/* Not inlined: callgrind's --toggle-collect finds them by name. */
#if defined(__GNUC__)
#define DRIVER_NOINLINE __attribute__((noinline))
#else
#define DRIVER_NOINLINE
#endif

DRIVER_NOINLINE static int decode_segue(const unsigned char *data, size_t size, decode_result *r)
{
    segue_io io;
    if (segue_io_from_memory(&io, data, size) != SEGUE_OK)
        return -1;
    segue_decoder *d = NULL;
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.gapless = 1;
    if (segue_decoder_open(&d, &io, &cfg) < 0) {
        fprintf(stderr, "segue: %s\n", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return -1;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    r->channels = info->channels;
    r->rate = info->sample_rate;
    for (;;) {
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, pcm, 4096, &got);
        if (st == SEGUE_END_OF_STREAM)
            break;
        if (st < 0) {
            fprintf(stderr, "segue: %s\n", segue_decoder_last_error(d));
            segue_decoder_destroy(d);
            return -1;
        }
        if (checksum)
            r->energy += energy(pcm, got * info->channels);
        r->frames += got;
    }
    segue_decoder_destroy(d);
    return 0;
}

/* libmpg123 reads the in-memory file through these (no copy of the whole
 * stream into its feed buffers). */
typedef struct mem_reader {
    const unsigned char *data;
    size_t size;
    size_t pos;
} mem_reader;

static mpg123_ssize_t mem_read(void *h, void *buf, size_t n)
{
    mem_reader *m = h;
    size_t left = m->size - m->pos;
    if (n > left)
        n = left;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (mpg123_ssize_t)n;
}

static off_t mem_seek(void *h, off_t off, int whence)
{
    mem_reader *m = h;
    off_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (off_t)m->pos : (off_t)m->size;
    off_t to = base + off;
    if (to < 0 || (size_t)to > m->size)
        return -1;
    m->pos = (size_t)to;
    return to;
}

DRIVER_NOINLINE static int decode_mpg123(const unsigned char *data, size_t size, decode_result *r)
{
    int err = MPG123_OK;
    mpg123_handle *mh = mpg123_new(NULL, &err);
    if (!mh)
        return -1;
    /* Float output at the stream's own rate and channel count; gapless
     * (the library default when built with it, set to be sure). */
    mpg123_param(mh, MPG123_FLAGS, MPG123_GAPLESS | MPG123_QUIET, 0.0);
    mpg123_format_none(mh);
    static const long rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        mpg123_format(mh, rates[i], MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32);
    mem_reader m = {data, size, 0};
    if (mpg123_replace_reader_handle(mh, mem_read, mem_seek, NULL) != MPG123_OK ||
        mpg123_open_handle(mh, &m) != MPG123_OK) {
        mpg123_delete(mh);
        return -1;
    }
    for (;;) {
        size_t done = 0;
        int st = mpg123_read(mh, pcm, sizeof pcm, &done);
        if (st == MPG123_NEW_FORMAT) {
            long rate;
            int ch, enc;
            mpg123_getformat(mh, &rate, &ch, &enc);
            r->rate = (unsigned)rate;
            r->channels = (unsigned)ch;
        } else if (st != MPG123_OK && st != MPG123_DONE) {
            fprintf(stderr, "mpg123: %s\n", mpg123_plain_strerror(st));
            mpg123_delete(mh);
            return -1;
        }
        size_t n = done / sizeof(float);
        if (checksum)
            r->energy += energy(pcm, n);
        if (r->channels)
            r->frames += n / r->channels;
        if (st == MPG123_DONE)
            break;
    }
    const char *dec = mpg123_current_decoder(mh);
    snprintf(mpg123_decoder_name, sizeof mpg123_decoder_name, "%s", dec ? dec : "?");
    mpg123_delete(mh);
    return 0;
}

DRIVER_NOINLINE static int decode_avcodec(const unsigned char *data, size_t size, decode_result *r)
{
    bench_result br;
    if (bench_avcodec_decode_parsed("mp3float", data, size, &br) != 0) {
        fprintf(stderr, "libavcodec: %s\n", bench_peer_error());
        return -1;
    }
    r->frames = br.frames;
    r->channels = br.channels;
    r->rate = br.rate;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "segue") != 0 && strcmp(argv[1], "mpg123") != 0 &&
                     strcmp(argv[1], "avcodec") != 0)) {
        fprintf(stderr, "usage: mp3_decode_driver segue|mpg123|avcodec FILE [REPEAT] [-c]\n");
        return 2;
    }
    int use_segue = strcmp(argv[1], "segue") == 0;
    int use_avcodec = strcmp(argv[1], "avcodec") == 0;
    long repeat = 1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0)
            checksum = 1;
        else
            repeat = strtol(argv[i], NULL, 10);
    }
    if (repeat < 1)
        repeat = 1;
    size_t size = 0;
    unsigned char *data = load_file(argv[2], &size);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    if (!use_segue)
        mpg123_init(); /* a no-op since 1.27, required before */
    decode_result r = {0, 0, 0, 0.0};
    int rc = 0;
    for (long i = 0; i < repeat && rc == 0; i++) {
        memset(&r, 0, sizeof r);
        rc = use_segue     ? decode_segue(data, size, &r)
             : use_avcodec ? decode_avcodec(data, size, &r)
                           : decode_mpg123(data, size, &r);
    }
    segue_mem_free(NULL, data);
    if (rc != 0)
        return 1;
    printf("%s frames=%llu channels=%u rate=%u", argv[1], r.frames, r.channels, r.rate);
    if (checksum)
        printf(" energy=%.6f", r.energy);
    if (!use_segue && !use_avcodec)
        printf(" decoder=%s", mpg123_decoder_name);
    printf("\n");
    return 0;
}
