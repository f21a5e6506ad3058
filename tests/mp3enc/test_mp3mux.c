/*
 * tests/mp3enc/test_mp3mux.c - the MP3 encoder path through the public API
 * into memory: the layout (ID3v2, then the Info/Xing frame, then audio),
 * settings the "mp3" codec and muxer refuse (with "lame: " / "mp3: "
 * details), the pipe without a length (no tag frame), zero-length input,
 * and allocation failure at every step of open, write and finish (no leak,
 * no crash, SEGUE_ERR_NO_MEMORY).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

#include "core/alloc.h"

#define RATE 44100
#define FRAMES 5000

static float g_pcm[FRAMES * 2];

static void config(segue_encoder_config *cfg)
{
    segue_encoder_config_default(cfg);
    cfg->container = "mp3";
    cfg->sample_rate = RATE;
    cfg->channels = 2;
}

/* Encodes g_pcm into a memory sink; returns the status of the first call
 * that failed (or of finish) and copies the bytes out. */
static segue_status encode(const segue_encoder_config *cfg, uint8_t *out, size_t cap, size_t *size,
                           char *detail, size_t detail_cap)
{
    segue_io io;
    assert_int_equal(segue_io_memory_sink(&io, NULL), SEGUE_OK);
    segue_encoder *e = NULL;
    segue_status st = segue_encoder_open(&e, &io, cfg);
    if (st == SEGUE_OK)
        st = segue_encoder_write_f32(e, g_pcm, cfg->total_frames >= 0 ? (size_t)cfg->total_frames : FRAMES);
    if (st == SEGUE_OK)
        st = segue_encoder_finish(e);
    if (st == SEGUE_OK && out) {
        size_t n;
        const void *d = segue_io_memory_sink_data(&io, &n);
        assert_true(n <= cap);
        memcpy(out, d, n);
        *size = n;
    }
    if (detail) {
        strncpy(detail, segue_encoder_last_error(e), detail_cap - 1);
        detail[detail_cap - 1] = 0;
    }
    segue_encoder_destroy(e);
    return st;
}

static uint8_t g_out[1 << 20];

static void test_layout(void **state)
{
    (void)state;
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    segue_metadata_add(m, "TITLE", "x");
    segue_encoder_config cfg;
    config(&cfg);
    cfg.metadata = m;
    size_t n = 0;
    assert_int_equal(encode(&cfg, g_out, sizeof g_out, &n, NULL, 0), SEGUE_OK);
    /* ID3v2.3 first, with its 1 KiB padding. */
    assert_memory_equal(g_out, "ID3\3\0\0", 6);
    size_t tag = 10 + ((size_t)g_out[6] << 21 | (size_t)g_out[7] << 14 | (size_t)g_out[8] << 7 | g_out[9]);
    assert_true(tag > 1024 && tag < n);
    /* Then the tag frame: MPEG-1 Layer III, "Xing" (VBR V2 by default) at
     * 4 + 32, the LAME tag with delay 576. */
    assert_int_equal(g_out[tag], 0xFF);
    assert_int_equal(g_out[tag + 1] & 0xFE, 0xFA);
    assert_memory_equal(g_out + tag + 36, "Xing", 4);
    const uint8_t *lame = g_out + tag + 36 + 120;
    assert_memory_equal(lame, "LAME", 4);
    assert_int_equal((lame[21] << 4) | (lame[22] >> 4), 576);
    segue_metadata_destroy(m);
}

static void expect_refused(segue_encoder_config *cfg, segue_status want, const char *prefix)
{
    char detail[256];
    segue_status st = encode(cfg, NULL, 0, NULL, detail, sizeof detail);
    assert_int_equal(st, want);
    if (strncmp(detail, prefix, strlen(prefix)) != 0)
        fail_msg("detail '%s' does not start with '%s'", detail, prefix);
}

static void test_refused_settings(void **state)
{
    (void)state;
    segue_encoder_config cfg;
    config(&cfg);
    cfg.channels = 3;
    expect_refused(&cfg, SEGUE_ERR_UNSUPPORTED, "mp3: ");
    config(&cfg);
    cfg.sample_rate = 44000;
    expect_refused(&cfg, SEGUE_ERR_UNSUPPORTED, "mp3: ");
    config(&cfg);
    cfg.id3v2_version = 2;
    expect_refused(&cfg, SEGUE_ERR_INVALID_ARGUMENT, "mp3: ");
    config(&cfg);
    cfg.rate_control = SEGUE_RC_CBR;
    cfg.bitrate = 100000;
    expect_refused(&cfg, SEGUE_ERR_INVALID_ARGUMENT, "lame: ");
    config(&cfg);
    cfg.sample_rate = 22050;
    cfg.rate_control = SEGUE_RC_CBR;
    cfg.bitrate = 320000; /* MPEG-2 stops at 160 */
    expect_refused(&cfg, SEGUE_ERR_INVALID_ARGUMENT, "lame: ");
    config(&cfg);
    cfg.rate_control = SEGUE_RC_VBR;
    cfg.quality = -0.5f;
    expect_refused(&cfg, SEGUE_ERR_INVALID_ARGUMENT, "lame: ");
    config(&cfg);
    cfg.rate_control = SEGUE_RC_ABR;
    cfg.bitrate = 4000;
    expect_refused(&cfg, SEGUE_ERR_INVALID_ARGUMENT, "lame: ");
    config(&cfg);
    cfg.codec = "pcm";
    expect_refused(&cfg, SEGUE_ERR_UNSUPPORTED, "mp3: ");
}

static void test_zero_length(void **state)
{
    (void)state;
    segue_encoder_config cfg;
    config(&cfg);
    cfg.total_frames = 0;
    size_t n = 0;
    assert_int_equal(encode(&cfg, g_out, sizeof g_out, &n, NULL, 0), SEGUE_OK);
    assert_memory_equal(g_out + 36, "Xing", 4);
    /* One audio frame of 1152: delay 576, padding 576. */
    assert_int_equal(g_out[36 + 8 + 3], 1);
    const uint8_t *lame = g_out + 36 + 120;
    assert_int_equal(((lame[22] & 15) << 8) | lame[23], 576);
}

/* An allocator that fails after `budget` successful allocations. */
typedef struct fail_alloc {
    long budget;
    long live;
} fail_alloc;
static void *fa_alloc(void *user, size_t size)
{
    fail_alloc *f = user;
    if (f->budget-- <= 0)
        return NULL;
    void *p = segue_mem_alloc(NULL, size);
    if (p)
        f->live++;
    return p;
}
static void fa_free(void *user, void *p)
{
    fail_alloc *f = user;
    f->live--;
    segue_mem_free(NULL, p);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    segue_metadata_add(m, "TITLE", "Title");
    segue_metadata_add(m, "ARTIST", "Artist");
    for (int pipe_sink = 0; pipe_sink <= 1; pipe_sink++) {
        for (long budget = 0;; budget++) {
            fail_alloc f = {budget, 0};
            segue_allocator a = {&f, fa_alloc, fa_free};
            segue_encoder_config cfg;
            config(&cfg);
            cfg.allocator = &a;
            cfg.metadata = m;
            cfg.total_frames = FRAMES;
            segue_io io;
            assert_int_equal(segue_io_memory_sink(&io, NULL), SEGUE_OK);
            if (pipe_sink)
                io.seek = NULL; /* the memory sink without seek: a pipe */
            segue_encoder *e = NULL;
            segue_status st = segue_encoder_open(&e, &io, &cfg);
            if (st == SEGUE_OK)
                st = segue_encoder_write_f32(e, g_pcm, FRAMES);
            if (st == SEGUE_OK)
                st = segue_encoder_finish(e);
            segue_encoder_destroy(e);
            assert_int_equal(f.live, 0);
            if (st == SEGUE_OK)
                break;
            assert_int_equal(st, SEGUE_ERR_NO_MEMORY);
            assert_true(budget < 200);
        }
    }
    segue_metadata_destroy(m);
}

int main(void)
{
    for (size_t i = 0; i < FRAMES; i++) {
        g_pcm[2 * i] = 0.3f * sinf((float)i * 0.05f);
        g_pcm[2 * i + 1] = 0.2f * sinf((float)i * 0.031f);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_refused_settings),
        cmocka_unit_test(test_zero_length),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
