/*
 * bench/device/mp3_device_driver.c - the on-device driver of the device
 * budgets (bench/README.md): decodes one MP3 file with the decode-only
 * library, one MP3 frame per call, between two marker calls that the qemu
 * plugin (insn_count_plugin.c) watches, and reports the decoder's memory.
 *
 *     mp3_device_driver FILE
 *
 * prints one line of key=value pairs:
 *
 *     segue-device frames=... calls=... rate=... channels=... state_bytes=...
 *     heap_peak_bytes=... heap_allocs=... stack_peak_bytes=... checksum=...
 *
 * What the plugin counts lies between segue_bench_mark_begin() and
 * segue_bench_mark_end(): one segue_decoder_read_f32() of 1152 frames (one
 * MPEG-1 Layer III frame; the decoder is opened with gapless trimming off so
 * each call decodes exactly one frame in the steady state). Opening, the
 * file read, closing and the checksum lie outside.
 *
 * Deterministic by construction, so two runs count the same instructions:
 * the binary is static and not position independent, the file is read into
 * a static buffer, the decoder allocates from a static bump arena, and the
 * decoding runs on a thread whose stack is a static array; nothing inside
 * the measured region depends on time, the environment or argv.
 *
 * Memory: state bytes are the MP3 codec's priv_size (what it keeps between
 * frames); heap bytes are the peak of everything the decoder handle
 * allocates (read buffer, demuxer, codec state), counted by the arena;
 * the peak stack of the read calls comes from painting the stack below the
 * caller's frame before decoding and finding the lowest overwritten byte.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codec/codec.h"
#include "segue/decoder.h"

#define MP3_FRAME_SAMPLES 1152u
#define INPUT_CAPACITY (8u * 1024u * 1024u)
#define ARENA_CAPACITY (1024u * 1024u)
#define DECODE_STACK_BYTES (256u * 1024u)
#define STACK_PAINT 0xA5u
/* Kept free between the painted area and the painter's own frame. */
#define PAINT_GAP 512u

#if defined(__GNUC__)
#define DRIVER_NOINLINE __attribute__((noinline, noipa))
#else
#define DRIVER_NOINLINE
#endif

/* ---- markers: the plugin finds these by symbol ------------------------- */

/* The frame number only keeps the call from being merged or dropped; the
 * plugin numbers the frames itself in the order it sees the markers. */
DRIVER_NOINLINE void segue_bench_mark_begin(unsigned frame_no);
DRIVER_NOINLINE void segue_bench_mark_end(void);

DRIVER_NOINLINE void segue_bench_mark_begin(unsigned frame_no)
{
    __asm__ volatile("" : : "r"(frame_no) : "memory");
}

DRIVER_NOINLINE void segue_bench_mark_end(void)
{
    __asm__ volatile("" : : : "memory");
}

/* ---- static storage ----------------------------------------------------- */

static unsigned char input_bytes[INPUT_CAPACITY];
static size_t input_size;

/* A bump allocator over a static arena: addresses are the same in every run,
 * and the peak of live bytes is the heap figure. Blocks are never reused
 * (the decoder allocates only in open). */
typedef struct arena {
    _Alignas(16) unsigned char bytes[ARENA_CAPACITY];
    size_t used;
    size_t live;
    size_t peak;
    size_t allocs;
} arena;

static arena decode_arena;

#define ARENA_HEADER 16u

static void *arena_alloc(void *user, size_t size)
{
    arena *a = user;
    size_t need = (size + ARENA_HEADER + 15u) & ~(size_t)15u;
    if (size > ARENA_CAPACITY || need > ARENA_CAPACITY - a->used)
        return NULL;
    unsigned char *block = a->bytes + a->used;
    memcpy(block, &size, sizeof size);
    a->used += need;
    a->live += size;
    a->allocs++;
    if (a->live > a->peak)
        a->peak = a->live;
    return block + ARENA_HEADER;
}

static void arena_free(void *user, void *ptr)
{
    arena *a = user;
    size_t size;
    memcpy(&size, (unsigned char *)ptr - ARENA_HEADER, sizeof size);
    a->live -= size;
}

static _Alignas(16) unsigned char decode_stack[DECODE_STACK_BYTES];
static float pcm[MP3_FRAME_SAMPLES * 2u];

typedef struct decode_job {
    int failed;
    unsigned long long frames;
    unsigned calls;
    unsigned rate;
    unsigned channels;
    size_t stack_peak;
    uint32_t checksum;
    char error[160];
} decode_job;

/* Paints the stack from the bottom of the decode stack up to a little below
 * this function's own frame; everything the read calls later write below
 * the caller's frame shows as overwritten paint. Returns the painted top. */
DRIVER_NOINLINE static uintptr_t paint_stack(void)
{
    volatile unsigned char here = 0;
    uintptr_t top = (uintptr_t)&here - PAINT_GAP;
    uintptr_t bottom = (uintptr_t)decode_stack;
    if (top > bottom)
        memset(decode_stack, STACK_PAINT, (size_t)(top - bottom));
    return top;
}

static size_t stack_high_water(uintptr_t frame_ref)
{
    size_t i = 0;
    while (i < DECODE_STACK_BYTES && decode_stack[i] == STACK_PAINT)
        i++;
    uintptr_t lowest = (uintptr_t)decode_stack + i;
    return lowest < frame_ref ? (size_t)(frame_ref - lowest) : 0;
}

/* Order-sensitive hash of the float bits; outside the measured region. */
static uint32_t mix_checksum(uint32_t h, const float *samples, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &samples[i], sizeof bits);
        h = (h ^ bits) * 16777619u;
    }
    return h;
}

DRIVER_NOINLINE static void decode_all(decode_job *job, segue_decoder *d)
{
    volatile unsigned char frame_ref_marker = 0;
    uintptr_t frame_ref = (uintptr_t)&frame_ref_marker;
    (void)paint_stack();
    for (;;) {
        size_t got = 0;
        segue_bench_mark_begin(job->calls);
        segue_status st = segue_decoder_read_f32(d, pcm, MP3_FRAME_SAMPLES, &got);
        segue_bench_mark_end();
        job->calls++;
        if (st == SEGUE_END_OF_STREAM)
            break;
        if (st < 0) {
            snprintf(job->error, sizeof job->error, "decode: %s", segue_decoder_last_error(d));
            job->failed = 1;
            break;
        }
        job->frames += got;
        job->checksum = mix_checksum(job->checksum, pcm, got * job->channels);
    }
    job->stack_peak = stack_high_water(frame_ref);
}

static void *decode_thread(void *arg)
{
    decode_job *job = arg;
    segue_allocator allocator = {&decode_arena, arena_alloc, arena_free};
    segue_io io;
    if (segue_io_from_memory(&io, input_bytes, input_size) != SEGUE_OK) {
        snprintf(job->error, sizeof job->error, "memory io failed");
        job->failed = 1;
        return NULL;
    }
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.allocator = &allocator;
    cfg.gapless = 0;
    segue_decoder *d = NULL;
    if (segue_decoder_open(&d, &io, &cfg) < 0) {
        snprintf(job->error, sizeof job->error, "open: %s", segue_decoder_last_error(d));
        job->failed = 1;
        segue_decoder_destroy(d);
        return NULL;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    job->rate = info->sample_rate;
    job->channels = info->channels;
    if (job->channels == 0 || job->channels > 2) {
        snprintf(job->error, sizeof job->error, "%u channels (driver handles 1 or 2)",
                 job->channels);
        job->failed = 1;
    } else {
        job->checksum = 2166136261u;
        decode_all(job, d);
    }
    segue_decoder_destroy(d);
    return NULL;
}

static int load_input(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mp3_device_driver: cannot open %s\n", path);
        return -1;
    }
    input_size = fread(input_bytes, 1, INPUT_CAPACITY, f);
    int too_big = fgetc(f) != EOF;
    fclose(f);
    if (too_big) {
        fprintf(stderr, "mp3_device_driver: %s is larger than %u bytes\n", path, INPUT_CAPACITY);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mp3_device_driver FILE.mp3\n");
        return 64;
    }
    if (load_input(argv[1]) != 0)
        return 66;
    const segue_codec_desc *desc = segue_codec_find("mp3", SEGUE_CODEC_DECODE);
    if (!desc) {
        fprintf(stderr, "mp3_device_driver: no mp3 decoder in this build\n");
        return 69;
    }

    decode_job job;
    memset(&job, 0, sizeof job);
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0 ||
        pthread_attr_setstack(&attr, decode_stack, sizeof decode_stack) != 0 ||
        pthread_create(&thread, &attr, decode_thread, &job) != 0) {
        fprintf(stderr, "mp3_device_driver: cannot start the decode thread\n");
        return 71;
    }
    pthread_join(thread, NULL);
    pthread_attr_destroy(&attr);
    if (job.failed) {
        fprintf(stderr, "mp3_device_driver: %s\n", job.error);
        return 65;
    }
    printf("segue-device frames=%llu calls=%u rate=%u channels=%u state_bytes=%zu"
           " heap_peak_bytes=%zu heap_allocs=%zu stack_peak_bytes=%zu checksum=%08x\n",
           job.frames, job.calls, job.rate, job.channels, desc->priv_size, decode_arena.peak,
           decode_arena.allocs, job.stack_peak, (unsigned)job.checksum);
    return 0;
}
