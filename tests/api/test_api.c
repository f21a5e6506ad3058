/*
 * tests/api/test_api.c - the public API under hostile conditions: an
 * allocator that fails the N-th allocation, IO that returns one byte per
 * read, unseekable sources and sinks, NULL handles, older config structs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <segue/segue.h>

#include "core/alloc.h"

/* ---- a counting allocator that fails on demand ------------------------- */

typedef struct failing_allocator {
    long fail_at;     /* the index of the allocation that fails; -1: never */
    long count;       /* allocations attempted */
    long outstanding; /* live blocks */
} failing_allocator;

static void *failing_alloc(void *user, size_t size)
{
    failing_allocator *fa = user;
    if (fa->fail_at >= 0 && fa->count++ == fa->fail_at)
        return NULL;
    if (fa->fail_at < 0)
        fa->count++;
    /* Route through core/alloc's default so only alloc.c calls malloc. */
    void *p = segue_mem_alloc(NULL, size);
    if (p)
        fa->outstanding++;
    return p;
}

static void failing_free(void *user, void *ptr)
{
    failing_allocator *fa = user;
    fa->outstanding--;
    segue_mem_free(NULL, ptr);
}

/* ---- test signal: a stereo sine written as WAV into memory ----------------- */

#define TEST_FRAMES 10000
#define TEST_RATE 44100

static float test_pcm[TEST_FRAMES * 2];

static void make_signal(void)
{
    for (int i = 0; i < TEST_FRAMES; i++) {
        test_pcm[2 * i] = 0.5f * sinf((float)i * 0.0627f);
        test_pcm[2 * i + 1] = -0.25f * sinf((float)i * 0.031f);
    }
}

typedef struct buffer {
    uint8_t *data;
    size_t size;
} buffer;

/* Encodes the test signal; `seekable` 0 hides the sink's seek callback. */
static buffer encode_wav(segue_sample_format fmt, int seekable, int64_t total_hint,
                         const segue_metadata *meta)
{
    segue_io sink;
    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    segue_io handed = sink;
    if (!seekable) {
        handed.seek = NULL;
        handed.tell = NULL;
    }
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.sample_rate = TEST_RATE;
    cfg.channels = 2;
    cfg.sample_format = fmt;
    cfg.total_frames = total_hint;
    cfg.metadata = meta;
    segue_encoder *e = NULL;
    assert_int_equal(segue_encoder_open(&e, &handed, &cfg), SEGUE_OK);
    assert_int_equal(segue_encoder_write_f32(e, test_pcm, 1234), SEGUE_OK);
    assert_int_equal(segue_encoder_write_f32(e, test_pcm + 2 * 1234, TEST_FRAMES - 1234), SEGUE_OK);
    assert_int_equal(segue_encoder_finish(e), SEGUE_OK);
    size_t size;
    const void *data = segue_io_memory_sink_data(&sink, &size);
    buffer b = {segue_mem_alloc(NULL, size), size};
    assert_non_null(b.data);
    memcpy(b.data, data, size);
    segue_encoder_destroy(e);
    return b;
}

/* Decodes everything; returns the frame count and fills `out` if given. */
static size_t decode_all(segue_decoder *d, float *out, size_t cap_frames)
{
    const segue_stream_info *in = segue_decoder_info(d);
    float chunk[777 * 8];
    size_t total = 0, got;
    segue_status st;
    while ((st = segue_decoder_read_f32(d, chunk, 777, &got)) == SEGUE_OK) {
        if (out && total + got <= cap_frames)
            memcpy(out + total * in->channels, chunk, got * in->channels * sizeof(float));
        total += got;
    }
    assert_int_equal(st, SEGUE_END_OF_STREAM);
    return total;
}

/* ---- one-byte and unseekable IO --------------------------------------------- */

typedef struct trickle {
    const uint8_t *data;
    size_t size, pos;
    int closed;
} trickle;

static long trickle_read(void *user, void *buf, size_t size)
{
    trickle *t = user;
    if (size == 0 || t->pos >= t->size)
        return 0;
    ((uint8_t *)buf)[0] = t->data[t->pos++];
    return 1;
}

static int trickle_close(void *user)
{
    ((trickle *)user)->closed++;
    return 0;
}

static void test_status_strings(void **state)
{
    (void)state;
    const segue_status all[] = {SEGUE_OK, SEGUE_END_OF_STREAM, SEGUE_AGAIN,
                                SEGUE_ERR_INVALID_ARGUMENT, SEGUE_ERR_NO_MEMORY, SEGUE_ERR_IO,
                                SEGUE_ERR_OPEN, SEGUE_ERR_CORRUPT, SEGUE_ERR_UNSUPPORTED,
                                SEGUE_ERR_DRM, SEGUE_ERR_NOT_SEEKABLE, SEGUE_ERR_UNKNOWN_FORMAT,
                                SEGUE_ERR_TOO_LARGE, SEGUE_ERR_STATE, SEGUE_ERR_CANCELLED,
                                SEGUE_ERR_INTERNAL};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(segue_status_str(all[i])) > 0);
        assert_string_not_equal(segue_status_str(all[i]), "unknown status");
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(segue_status_str(all[i]), segue_status_str(all[j]));
            assert_string_not_equal(segue_status_name(all[i]), segue_status_name(all[j]));
        }
    }
    assert_string_equal(segue_status_str((segue_status)-999), "unknown status");
    /* The numbering is part of the ABI. */
    assert_int_equal(SEGUE_ERR_CORRUPT, -5);
    assert_int_equal(SEGUE_ERR_DRM, -7);
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(segue_version(), SEGUE_VERSION);
    assert_non_null(strchr(segue_version_string(), '.'));
}

static void test_null_safety(void **state)
{
    (void)state;
    segue_decoder_destroy(NULL);
    segue_encoder_destroy(NULL);
    segue_transcoder_destroy(NULL);
    segue_metadata_destroy(NULL);
    assert_non_null(segue_decoder_last_error(NULL));
    assert_non_null(segue_encoder_last_error(NULL));
    assert_null(segue_decoder_info(NULL));
    assert_int_equal(segue_decoder_open(NULL, NULL, NULL), SEGUE_ERR_INVALID_ARGUMENT);
    segue_decoder *d = (segue_decoder *)&d;
    assert_int_equal(segue_decoder_open(&d, NULL, NULL), SEGUE_ERR_INVALID_ARGUMENT);
    assert_null(d);
    size_t frames = 7;
    float buf[4];
    assert_int_equal(segue_decoder_read_f32(NULL, buf, 1, &frames), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(frames, 0);
}

static void test_roundtrip_s16_s24(void **state)
{
    (void)state;
    const segue_sample_format fmts[] = {SEGUE_SAMPLE_S16, SEGUE_SAMPLE_S24, SEGUE_SAMPLE_F32};
    for (size_t k = 0; k < 3; k++) {
        buffer wav = encode_wav(fmts[k], 1, -1, NULL);
        segue_io io;
        assert_int_equal(segue_io_from_memory(&io, wav.data, wav.size), SEGUE_OK);
        segue_decoder *d = NULL;
        assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_OK);
        const segue_stream_info *in = segue_decoder_info(d);
        assert_int_equal(in->sample_rate, TEST_RATE);
        assert_int_equal(in->channels, 2);
        assert_int_equal(in->frames, TEST_FRAMES);
        assert_int_equal(in->source_format, fmts[k]);
        static float out[TEST_FRAMES * 2];
        assert_int_equal(decode_all(d, out, TEST_FRAMES), TEST_FRAMES);
        float step = fmts[k] == SEGUE_SAMPLE_S16 ? 1.0f / 32768 : fmts[k] == SEGUE_SAMPLE_S24 ? 1.0f / 8388608 : 0;
        for (size_t i = 0; i < TEST_FRAMES * 2; i++)
            assert_true(fabsf(out[i] - test_pcm[i]) <= step * 0.5f);
        segue_decoder_destroy(d);
        segue_mem_free(NULL, wav.data);
    }
}

static void test_one_byte_reads_and_unseekable(void **state)
{
    (void)state;
    buffer wav = encode_wav(SEGUE_SAMPLE_S16, 1, -1, NULL);
    static float ref[TEST_FRAMES * 2], got[TEST_FRAMES * 2];
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, wav.data, wav.size), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_OK);
    assert_true(segue_decoder_info(d)->seekable);
    assert_int_equal(decode_all(d, ref, TEST_FRAMES), TEST_FRAMES);
    segue_decoder_destroy(d);

    trickle t = {wav.data, wav.size, 0, 0};
    segue_io slow = {trickle_read, NULL, NULL, NULL, trickle_close, &t};
    assert_int_equal(segue_decoder_open(&d, &slow, NULL), SEGUE_OK);
    assert_false(segue_decoder_info(d)->seekable);
    assert_int_equal(segue_decoder_seek(d, 10), SEGUE_ERR_NOT_SEEKABLE);
    assert_int_equal(decode_all(d, got, TEST_FRAMES), TEST_FRAMES);
    assert_memory_equal(ref, got, sizeof ref);
    segue_decoder_destroy(d);
    assert_int_equal(t.closed, 1); /* the decoder owned and closed the io */
    segue_mem_free(NULL, wav.data);
}

static void test_unseekable_sink(void **state)
{
    (void)state;
    static float out[TEST_FRAMES * 2];
    /* With the length announced, a pipe gets exact sizes; without it, the
     * "unknown length" markers, which the reader takes as "to end". */
    const int64_t hints[] = {TEST_FRAMES, -1};
    for (size_t k = 0; k < 2; k++) {
        buffer wav = encode_wav(SEGUE_SAMPLE_S16, 0, hints[k], NULL);
        segue_io io;
        assert_int_equal(segue_io_from_memory(&io, wav.data, wav.size), SEGUE_OK);
        segue_decoder *d = NULL;
        assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_OK);
        assert_int_equal(decode_all(d, out, TEST_FRAMES), TEST_FRAMES);
        segue_decoder_destroy(d);
        segue_mem_free(NULL, wav.data);
    }
}

static void test_seek(void **state)
{
    (void)state;
    buffer wav = encode_wav(SEGUE_SAMPLE_F32, 1, -1, NULL);
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, wav.data, wav.size), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_OK);
    const int64_t targets[] = {0, 1, 4095, 4096, 9999, 5000, 10000};
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        assert_int_equal(segue_decoder_seek(d, targets[k]), SEGUE_OK);
        float frame[2];
        size_t got;
        segue_status st = segue_decoder_read_f32(d, frame, 1, &got);
        if (targets[k] == TEST_FRAMES) {
            assert_int_equal(st, SEGUE_END_OF_STREAM);
            continue;
        }
        assert_int_equal(st, SEGUE_OK);
        assert_int_equal(got, 1);
        assert_true(frame[0] == test_pcm[2 * targets[k]]);
        assert_true(frame[1] == test_pcm[2 * targets[k] + 1]);
    }
    assert_int_equal(segue_decoder_seek(d, TEST_FRAMES + 1), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_decoder_seek(d, -1), SEGUE_ERR_INVALID_ARGUMENT);
    segue_decoder_destroy(d);
    segue_mem_free(NULL, wav.data);
}

static void test_planar(void **state)
{
    (void)state;
    buffer wav = encode_wav(SEGUE_SAMPLE_F32, 1, -1, NULL);
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, wav.data, wav.size), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_OK);
    static float l[TEST_FRAMES], r[TEST_FRAMES];
    size_t total = 0, got;
    while (total < TEST_FRAMES) {
        float *planes[2] = {l + total, r + total};
        assert_int_equal(segue_decoder_read_f32_planar(d, planes, 333, &got), SEGUE_OK);
        total += got;
    }
    for (size_t i = 0; i < TEST_FRAMES; i++) {
        assert_true(l[i] == test_pcm[2 * i]);
        assert_true(r[i] == test_pcm[2 * i + 1]);
    }
    segue_decoder_destroy(d);
    segue_mem_free(NULL, wav.data);
}

/* Every allocation that can fail is made to fail once: each open must fail
 * cleanly (NO_MEMORY, no leak) or succeed and then work. */
static void test_failing_allocator_decoder(void **state)
{
    (void)state;
    buffer wav = encode_wav(SEGUE_SAMPLE_S24, 1, -1, NULL);
    int succeeded = 0;
    for (long n = 0; n < 200 && !succeeded; n++) {
        failing_allocator fa = {n, 0, 0};
        segue_allocator a = {&fa, failing_alloc, failing_free};
        segue_decoder_config cfg;
        segue_decoder_config_default(&cfg);
        cfg.allocator = &a;
        segue_io io;
        assert_int_equal(segue_io_from_memory(&io, wav.data, wav.size), SEGUE_OK);
        segue_decoder *d = NULL;
        segue_status st = segue_decoder_open(&d, &io, &cfg);
        if (st == SEGUE_OK) {
            succeeded = 1;
            assert_int_equal(decode_all(d, NULL, 0), TEST_FRAMES);
        } else {
            assert_int_equal(st, SEGUE_ERR_NO_MEMORY);
            if (d)
                assert_true(strlen(segue_decoder_last_error(d)) > 0);
        }
        segue_decoder_destroy(d);
        assert_int_equal(fa.outstanding, 0);
    }
    assert_true(succeeded);
    segue_mem_free(NULL, wav.data);
}

static void test_failing_allocator_encoder_and_transcoder(void **state)
{
    (void)state;
    segue_metadata *meta = NULL;
    assert_int_equal(segue_metadata_create(&meta, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_add(meta, "TITLE", "Failing"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(meta, "ARTIST", "Allocator"), SEGUE_OK);
    buffer wav = encode_wav(SEGUE_SAMPLE_S16, 1, -1, meta);
    int enc_ok = 0, tc_ok = 0;
    for (long n = 0; n < 300 && !(enc_ok && tc_ok); n++) {
        failing_allocator fa = {n, 0, 0};
        segue_allocator a = {&fa, failing_alloc, failing_free};
        if (!enc_ok) {
            segue_io sink;
            assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
            segue_encoder_config cfg;
            segue_encoder_config_default(&cfg);
            cfg.allocator = &a;
            cfg.sample_rate = 8000;
            cfg.channels = 2;
            cfg.metadata = meta;
            segue_encoder *e = NULL;
            segue_status st = segue_encoder_open(&e, &sink, &cfg);
            if (st == SEGUE_OK) {
                enc_ok = 1;
                assert_int_equal(segue_encoder_write_f32(e, test_pcm, 5000), SEGUE_OK);
                assert_int_equal(segue_encoder_finish(e), SEGUE_OK);
            } else {
                assert_int_equal(st, SEGUE_ERR_NO_MEMORY);
            }
            segue_encoder_destroy(e);
            assert_int_equal(fa.outstanding, 0);
        }
        fa.count = 0;
        if (!tc_ok) {
            segue_io src, dst;
            assert_int_equal(segue_io_from_memory(&src, wav.data, wav.size), SEGUE_OK);
            assert_int_equal(segue_io_memory_sink(&dst, NULL), SEGUE_OK);
            segue_transcode_config cfg;
            segue_transcode_config_default(&cfg);
            cfg.allocator = &a;
            segue_transcoder *t = NULL;
            segue_status st = segue_transcoder_open(&t, &src, &dst, &cfg);
            if (st == SEGUE_OK) {
                tc_ok = 1;
                assert_int_equal(segue_transcoder_run(t, NULL, NULL), SEGUE_OK);
            } else {
                assert_int_equal(st, SEGUE_ERR_NO_MEMORY);
            }
            segue_transcoder_destroy(t);
            assert_int_equal(fa.outstanding, 0);
        }
    }
    assert_true(enc_ok);
    assert_true(tc_ok);
    segue_metadata_destroy(meta);
    segue_mem_free(NULL, wav.data);
}

static void test_transcode_carries_tags(void **state)
{
    (void)state;
    segue_metadata *meta = NULL;
    assert_int_equal(segue_metadata_create(&meta, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_add(meta, "TITLE", "Segue Test"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(meta, "ARTIST", "A"), SEGUE_OK);
    uint8_t png[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    segue_picture pic = {3, "image/png", "", 1, 1, png, sizeof png};
    assert_int_equal(segue_metadata_add_picture(meta, &pic), SEGUE_OK);
    buffer wav = encode_wav(SEGUE_SAMPLE_S16, 1, -1, meta);

    segue_io src, dst;
    assert_int_equal(segue_io_from_memory(&src, wav.data, wav.size), SEGUE_OK);
    assert_int_equal(segue_io_memory_sink(&dst, NULL), SEGUE_OK);
    segue_io dst_copy = dst;
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.encoder.sample_format = SEGUE_SAMPLE_S24;
    segue_transcoder *t = NULL;
    assert_int_equal(segue_transcoder_open(&t, &src, &dst, &cfg), SEGUE_OK);
    assert_int_equal(segue_transcoder_run(t, NULL, NULL), SEGUE_OK);
    size_t size;
    const uint8_t *out = segue_io_memory_sink_data(&dst_copy, &size);
    segue_io back;
    assert_int_equal(segue_io_from_memory(&back, out, size), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(segue_decoder_open(&d, &back, NULL), SEGUE_OK);
    assert_int_equal(segue_decoder_info(d)->source_format, SEGUE_SAMPLE_S24);
    assert_int_equal(segue_decoder_info(d)->frames, TEST_FRAMES);
    assert_string_equal(segue_metadata_get(segue_decoder_metadata(d), "TITLE", 0), "Segue Test");
    segue_decoder_destroy(d);
    segue_transcoder_destroy(t);

    /* WAV LIST/INFO cannot hold the picture: the encoder must report it. */
    segue_io sink;
    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    segue_encoder_config ecfg;
    segue_encoder_config_default(&ecfg);
    ecfg.sample_rate = 44100;
    ecfg.channels = 1;
    ecfg.metadata = meta;
    segue_encoder *e = NULL;
    assert_int_equal(segue_encoder_open(&e, &sink, &ecfg), SEGUE_OK);
    const segue_metadata *unmapped = segue_encoder_unmapped(e);
    int picture_reported = 0;
    for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
        const char *what, *why;
        assert_int_equal(segue_metadata_unmapped_at(unmapped, i, &what, &why), SEGUE_OK);
        picture_reported |= strstr(what, "PICTURE") != NULL || strstr(what, "picture") != NULL;
    }
    assert_true(picture_reported);
    segue_encoder_destroy(e);
    segue_metadata_destroy(meta);
    segue_mem_free(NULL, wav.data);
}

static int cancel_after_two(void *user, uint64_t done, int64_t total)
{
    (void)done;
    (void)total;
    unsigned *calls = user;
    return ++*calls >= 2;
}

static void test_transcode_cancel(void **state)
{
    (void)state;
    buffer wav = encode_wav(SEGUE_SAMPLE_S16, 1, -1, NULL);
    segue_io src, dst;
    assert_int_equal(segue_io_from_memory(&src, wav.data, wav.size), SEGUE_OK);
    assert_int_equal(segue_io_memory_sink(&dst, NULL), SEGUE_OK);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.chunk_frames = 1000;
    segue_transcoder *t = NULL;
    assert_int_equal(segue_transcoder_open(&t, &src, &dst, &cfg), SEGUE_OK);
    unsigned calls = 0;
    assert_int_equal(segue_transcoder_run(t, cancel_after_two, &calls), SEGUE_ERR_CANCELLED);
    assert_int_equal(calls, 2);
    segue_transcoder_destroy(t);
    segue_mem_free(NULL, wav.data);
}

static void test_old_config_struct(void **state)
{
    (void)state;
    /* A caller built against an older header passes a shorter struct: the
     * fields it does not know take their defaults. */
    buffer wav = encode_wav(SEGUE_SAMPLE_S16, 1, -1, NULL);
    segue_decoder_config cfg;
    memset(&cfg, 0x5a, sizeof cfg);
    cfg.struct_size = offsetof(segue_decoder_config, container);
    cfg.allocator = NULL;
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, wav.data, wav.size), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(segue_decoder_open(&d, &io, &cfg), SEGUE_OK);
    assert_int_equal(decode_all(d, NULL, 0), TEST_FRAMES);
    segue_decoder_destroy(d);
    segue_mem_free(NULL, wav.data);
}

static void test_encoder_state_errors(void **state)
{
    (void)state;
    segue_io sink;
    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.sample_rate = 48000;
    cfg.channels = 1;
    cfg.total_frames = 10;
    segue_encoder *e = NULL;
    assert_int_equal(segue_encoder_open(&e, &sink, &cfg), SEGUE_OK);
    assert_int_equal(segue_encoder_write_f32(e, test_pcm, 11), SEGUE_ERR_STATE);
    assert_true(strlen(segue_encoder_last_error(e)) > 0);
    segue_encoder_destroy(e);

    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    cfg.total_frames = -1;
    assert_int_equal(segue_encoder_open(&e, &sink, &cfg), SEGUE_OK);
    assert_int_equal(segue_encoder_finish(e), SEGUE_OK);
    assert_int_equal(segue_encoder_write_f32(e, test_pcm, 1), SEGUE_ERR_STATE);
    segue_encoder_destroy(e);

    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    cfg.sample_rate = 0;
    assert_int_equal(segue_encoder_open(&e, &sink, &cfg), SEGUE_ERR_INVALID_ARGUMENT);
    assert_true(strlen(segue_encoder_last_error(e)) > 0);
    segue_encoder_destroy(e);

    assert_int_equal(segue_io_memory_sink(&sink, NULL), SEGUE_OK);
    cfg.sample_rate = 48000;
    cfg.container = "nonexistent";
    assert_int_equal(segue_encoder_open(&e, &sink, &cfg), SEGUE_ERR_UNSUPPORTED);
    segue_encoder_destroy(e);
}

int main(void)
{
    make_signal();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_null_safety),
        cmocka_unit_test(test_roundtrip_s16_s24),
        cmocka_unit_test(test_one_byte_reads_and_unseekable),
        cmocka_unit_test(test_unseekable_sink),
        cmocka_unit_test(test_seek),
        cmocka_unit_test(test_planar),
        cmocka_unit_test(test_failing_allocator_decoder),
        cmocka_unit_test(test_failing_allocator_encoder_and_transcoder),
        cmocka_unit_test(test_transcode_carries_tags),
        cmocka_unit_test(test_transcode_cancel),
        cmocka_unit_test(test_old_config_struct),
        cmocka_unit_test(test_encoder_state_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
