/*
 * tests/engine/test_transcode_stages.c - the transcoder's DSP stages through
 * the public API: statistics, loudness routes, refusals, every allocation
 * of the stage chain failing once, and memory that does not grow with the
 * input length.
 *
 * Inputs are WAV streams generated on the fly by a callback segue_io (a
 * header, then s16 samples computed from their index), so a ten-minute
 * input costs no memory in the test itself.
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
#include "dsp/loudness.h"

#define PI 3.14159265358979323846

/* ---- a generated WAV source ------------------------------------------------ */

typedef struct gen_wav {
    uint32_t rate, channels;
    uint64_t frames;
    int unknown_length; /* data size 0xFFFFFFFF, as a streaming writer leaves it */
    int64_t pos;
    uint8_t header[44];
} gen_wav;

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Sample `s` of channel `c`: two tones at -6 dBFS peak, different per channel. */
static int16_t gen_sample(const gen_wav *g, uint64_t frame, uint32_t c)
{
    double t = (double)frame / g->rate;
    double v = 0.35 * sin(2 * PI * (440.0 + 110.0 * c) * t) + 0.15 * sin(2 * PI * 97.0 * t);
    return (int16_t)lrint(v * 32767.0);
}

static void gen_init(gen_wav *g, uint32_t rate, uint32_t channels, uint64_t frames)
{
    memset(g, 0, sizeof *g);
    g->rate = rate;
    g->channels = channels;
    g->frames = frames;
    uint32_t block = 2 * channels;
    uint64_t data = frames * block;
    memcpy(g->header, "RIFF", 4);
    put_le(g->header + 4, data + 36 > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)(data + 36), 4);
    memcpy(g->header + 8, "WAVEfmt ", 8);
    put_le(g->header + 16, 16, 4);
    put_le(g->header + 20, 1, 2);
    put_le(g->header + 22, channels, 2);
    put_le(g->header + 24, rate, 4);
    put_le(g->header + 28, rate * block, 4);
    put_le(g->header + 32, block, 2);
    put_le(g->header + 34, 16, 2);
    memcpy(g->header + 36, "data", 4);
    put_le(g->header + 40, (uint32_t)data, 4);
}

static uint64_t gen_size(const gen_wav *g)
{
    return 44 + g->frames * 2 * g->channels;
}

static long gen_read(void *user, void *buf, size_t size)
{
    gen_wav *g = user;
    uint8_t *out = buf;
    uint64_t end = gen_size(g);
    size_t n = 0;
    while (n < size && (uint64_t)g->pos < end) {
        if (g->pos < 44) {
            out[n++] = g->header[g->pos++];
            continue;
        }
        uint64_t byte = (uint64_t)g->pos - 44;
        uint64_t sample = byte / 2;
        int16_t v = gen_sample(g, sample / g->channels, (uint32_t)(sample % g->channels));
        uint16_t u = (uint16_t)v;
        out[n++] = (uint8_t)(byte & 1 ? u >> 8 : u & 0xff);
        g->pos++;
    }
    return (long)n;
}

static int gen_seek(void *user, int64_t offset, segue_whence whence)
{
    gen_wav *g = user;
    int64_t base = whence == SEGUE_SEEK_SET ? 0 : whence == SEGUE_SEEK_CUR ? g->pos
                                                                          : (int64_t)gen_size(g);
    if (base + offset < 0)
        return -1;
    g->pos = base + offset;
    return 0;
}

static int64_t gen_tell(void *user)
{
    return ((gen_wav *)user)->pos;
}

static segue_io gen_io(gen_wav *g, int seekable)
{
    segue_io io = {gen_read, NULL, seekable ? gen_seek : NULL, gen_tell, NULL, g};
    g->pos = 0;
    put_le(g->header + 40,
           g->unknown_length ? 0xFFFFFFFFu : (uint32_t)(g->frames * 2 * g->channels), 4);
    return io;
}

/* ---- sinks --------------------------------------------------------------------- */

/* Counts bytes and forgets them; seekable so headers get back-patched. */
typedef struct null_sink {
    int64_t pos, size;
} null_sink;

static long null_write(void *user, const void *buf, size_t size)
{
    null_sink *s = user;
    (void)buf;
    s->pos += (int64_t)size;
    if (s->pos > s->size)
        s->size = s->pos;
    return (long)size;
}

static int null_seek(void *user, int64_t offset, segue_whence whence)
{
    null_sink *s = user;
    int64_t base = whence == SEGUE_SEEK_SET ? 0 : whence == SEGUE_SEEK_CUR ? s->pos : s->size;
    s->pos = base + offset;
    return s->pos < 0 ? -1 : 0;
}

static int64_t null_tell(void *user)
{
    return ((null_sink *)user)->pos;
}

static segue_io null_io(null_sink *s, int seekable)
{
    memset(s, 0, sizeof *s);
    segue_io io = {NULL, null_write, seekable ? null_seek : NULL, null_tell, NULL, s};
    return io;
}

/* ---- allocators ---------------------------------------------------------------- */

/* Fails the N-th allocation; counts live blocks and live bytes. Each block
 * carries its size in a header so free can subtract it. */
typedef struct test_allocator {
    long fail_at;      /* -1: never */
    long count;
    long outstanding;
    size_t live, peak; /* bytes */
} test_allocator;

#define HEADER 16

static void *counting_alloc(void *user, size_t size)
{
    test_allocator *ta = user;
    if (ta->fail_at >= 0 && ta->count == ta->fail_at) {
        ta->count++;
        return NULL;
    }
    ta->count++;
    uint8_t *p = segue_mem_alloc(NULL, size + HEADER);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    ta->outstanding++;
    ta->live += size;
    if (ta->live > ta->peak)
        ta->peak = ta->live;
    return p + HEADER;
}

static void counting_free(void *user, void *ptr)
{
    test_allocator *ta = user;
    uint8_t *p = (uint8_t *)ptr - HEADER;
    size_t size;
    memcpy(&size, p, sizeof size);
    ta->outstanding--;
    ta->live -= size;
    segue_mem_free(NULL, p);
}

/* ---- helpers ------------------------------------------------------------------- */

static uint64_t half_up(uint64_t frames, uint32_t in_rate, uint32_t out_rate)
{
    return (frames * out_rate + in_rate / 2) / in_rate;
}

/* Runs a conversion of `g` into a null sink; returns the status of open or run. */
static segue_status convert(gen_wav *g, int src_seekable, int dst_seekable,
                            const segue_transcode_config *cfg, segue_transcode_stats *stats)
{
    null_sink sink;
    segue_io src = gen_io(g, src_seekable), dst = null_io(&sink, dst_seekable);
    segue_transcoder *t = NULL;
    segue_status st = segue_transcoder_open(&t, &src, &dst, cfg);
    if (st >= 0)
        st = segue_transcoder_run(t, NULL, NULL);
    if (stats)
        segue_transcoder_stats(t, stats);
    if (st < 0)
        assert_true(strlen(segue_transcoder_last_error(t)) > 0);
    segue_transcoder_destroy(t);
    return st;
}

/* ---- tests --------------------------------------------------------------------- */

static void test_enum_names(void **state)
{
    (void)state;
    for (int q = 0; q <= SEGUE_RESAMPLE_QUICK; q++)
        assert_int_equal(segue_resample_quality_parse(segue_resample_quality_name((segue_resample_quality)q)), q);
    for (int d = 0; d <= SEGUE_DITHER_SHAPED; d++)
        assert_int_equal(segue_dither_mode_parse(segue_dither_mode_name((segue_dither_mode)d)), d);
    for (int n = 0; n <= SEGUE_NORMALIZE_REPLAYGAIN; n++)
        assert_int_equal(segue_normalize_mode_parse(segue_normalize_mode_name((segue_normalize_mode)n)), n);
    assert_string_equal(segue_resample_quality_name(SEGUE_RESAMPLE_VERY_HIGH), "very-high");
    assert_string_equal(segue_dither_mode_name(SEGUE_DITHER_SHAPED), "shaped");
    assert_string_equal(segue_normalize_mode_name(SEGUE_NORMALIZE_REPLAYGAIN), "replaygain");
    assert_int_equal(segue_resample_quality_parse("best"), -1);
    assert_int_equal(segue_dither_mode_parse(NULL), -1);
    assert_int_equal(segue_normalize_mode_parse("R128 "), -1);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    assert_true(cfg.limiter_ceiling_dbtp == -1.0);
    assert_int_equal(cfg.duration_frames, -1);
    assert_int_equal(cfg.dither, SEGUE_DITHER_AUTO);
}

static void test_stats_clipping_and_limiter(void **state)
{
    (void)state;
    gen_wav g;
    gen_init(&g, 44100, 2, 44100);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.gain_db = 12.0; /* 0.5 peak * 4: clips */
    cfg.encoder.sample_format = SEGUE_SAMPLE_F32; /* no dither clamping the peak */
    segue_transcode_stats s;
    assert_int_equal(convert(&g, 1, 1, &cfg, &s), SEGUE_OK);
    assert_int_equal(s.input_frames, 44100);
    assert_int_equal(s.output_frames, 44100);
    assert_int_equal(s.passes, 1);
    assert_true(s.clipped_samples > 1000);
    assert_true(s.peak > 1.5);
    assert_true(s.applied_gain_db == 12.0);
    assert_false(s.has_loudness);

    cfg.limiter = 1;
    assert_int_equal(convert(&g, 1, 1, &cfg, &s), SEGUE_OK);
    assert_int_equal(s.output_frames, 44100);
    assert_int_equal(s.clipped_samples, 0);
    /* Sample peak never exceeds the true-peak ceiling. */
    assert_true(s.peak <= pow(10.0, -1.0 / 20.0) + 1e-4);
    assert_true(s.peak > 0.5);
}

static void test_stats_trim_and_resample(void **state)
{
    (void)state;
    gen_wav g;
    gen_init(&g, 44100, 2, 100000);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.start_frame = 1234;
    cfg.duration_frames = 20001;
    cfg.encoder.sample_rate = 48000;
    segue_transcode_stats s;
    for (int seekable = 0; seekable <= 1; seekable++) {
        for (int pipe = 0; pipe <= 1; pipe++) {
            assert_int_equal(convert(&g, seekable, !pipe, &cfg, &s), SEGUE_OK);
            assert_int_equal(s.input_frames, 20001);
            assert_int_equal(s.output_frames, half_up(20001, 44100, 48000));
        }
    }
    /* Trim to the end, odd rates. */
    cfg.duration_frames = -1;
    cfg.encoder.sample_rate = 22050;
    assert_int_equal(convert(&g, 1, 0, &cfg, &s), SEGUE_OK);
    assert_int_equal(s.input_frames, 100000 - 1234);
    assert_int_equal(s.output_frames, half_up(100000 - 1234, 44100, 22050));
    /* Past the end: refused at open, seekable or not. */
    cfg.start_frame = 100000;
    assert_int_equal(convert(&g, 1, 1, &cfg, NULL), SEGUE_ERR_INVALID_ARGUMENT);
    g.unknown_length = 1;
    assert_int_equal(convert(&g, 0, 1, &cfg, NULL), SEGUE_ERR_INVALID_ARGUMENT);
}

/* Decodes `bytes` and measures its integrated loudness. */
static double measure(const void *bytes, size_t size, segue_loudness *tags)
{
    segue_io io;
    assert_int_equal(segue_io_from_memory(&io, bytes, size), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_OK);
    const segue_stream_info *in = segue_decoder_info(d);
    segue_loudness_meter *m = NULL;
    assert_int_equal(segue_loudness_meter_create(&m, in->sample_rate, in->channels,
                                                 in->channel_mask, NULL, NULL),
                     SEGUE_OK);
    float buf[4096];
    size_t got;
    while (segue_decoder_read_f32(d, buf, 4096 / in->channels, &got) == SEGUE_OK)
        assert_int_equal(segue_loudness_meter_add(m, buf, got, NULL), SEGUE_OK);
    if (tags)
        segue_metadata_get_loudness(segue_decoder_metadata(d), tags);
    segue_loudness_result r;
    assert_int_equal(segue_loudness_meter_result(m, &r, NULL), SEGUE_OK);
    segue_loudness_meter_destroy(m);
    segue_decoder_destroy(d);
    return r.integrated_lufs;
}

/* Converts into a memory sink and returns a copy of the bytes. */
static uint8_t *convert_to_memory(gen_wav *g, int src_seekable, const segue_transcode_config *cfg,
                                  segue_transcode_stats *s, size_t *size)
{
    segue_io src = gen_io(g, src_seekable), dst;
    assert_int_equal(segue_io_memory_sink(&dst, NULL), SEGUE_OK);
    segue_io sink = dst;
    segue_transcoder *t = NULL;
    assert_int_equal(segue_transcoder_open(&t, &src, &dst, cfg), SEGUE_OK);
    assert_int_equal(segue_transcoder_run(t, NULL, NULL), SEGUE_OK);
    segue_transcoder_stats(t, s);
    const void *data = segue_io_memory_sink_data(&sink, size);
    uint8_t *copy = segue_mem_alloc(NULL, *size);
    assert_non_null(copy);
    memcpy(copy, data, *size);
    segue_transcoder_destroy(t);
    return copy;
}

static void test_normalize_apply_gain(void **state)
{
    (void)state;
    gen_wav g;
    gen_init(&g, 48000, 2, 5 * 48000);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.normalize = SEGUE_NORMALIZE_R128;
    cfg.apply_gain = 1;
    cfg.encoder.sample_format = SEGUE_SAMPLE_F32;
    segue_transcode_stats s;
    size_t size;
    uint8_t *out = convert_to_memory(&g, 1, &cfg, &s, &size);
    assert_int_equal(s.passes, 2);
    assert_true(s.has_loudness);
    assert_true(isfinite(s.integrated_lufs) && s.integrated_lufs > -20.0);
    assert_true(fabs(s.applied_gain_db - (-23.0 - s.integrated_lufs)) < 1e-9);
    assert_int_equal(s.output_frames, 5 * 48000);
    /* The output measures at the target (the limiter has nothing to do at
     * this level). */
    double lufs = measure(out, size, NULL);
    assert_true(fabs(lufs - -23.0) < 0.05);
    segue_mem_free(NULL, out);

    cfg.normalize = SEGUE_NORMALIZE_REPLAYGAIN;
    cfg.gain_db = -3.0; /* measured after the fixed gain, applied on top */
    out = convert_to_memory(&g, 1, &cfg, &s, &size);
    assert_true(fabs(measure(out, size, NULL) - -18.0) < 0.05);
    assert_true(fabs(s.applied_gain_db - (-3.0 + -18.0 - s.integrated_lufs)) < 1e-9);
    segue_mem_free(NULL, out);
}

static void test_normalize_tags(void **state)
{
    (void)state;
    gen_wav g;
    gen_init(&g, 44100, 2, 3 * 44100);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.normalize = SEGUE_NORMALIZE_REPLAYGAIN;
    cfg.encoder.container = "flac";
    segue_transcode_stats s;
    size_t size;
    segue_loudness tags;
    /* Seekable FLAC output: late tags, one pass. */
    uint8_t *out = convert_to_memory(&g, 1, &cfg, &s, &size);
    assert_int_equal(s.passes, 1);
    assert_true(s.has_loudness);
    double lufs = measure(out, size, &tags);
    assert_true(fabs(lufs - s.integrated_lufs) < 0.05); /* the signal is unchanged */
    assert_true(tags.has_track_gain);
    assert_true(fabs(tags.track_gain_db - (-18.0 - s.integrated_lufs)) < 0.01);
    segue_mem_free(NULL, out);
    /* WAV output (no late tags): a first pass, then the tags up front. */
    cfg.encoder.container = "wav";
    cfg.normalize = SEGUE_NORMALIZE_R128;
    out = convert_to_memory(&g, 1, &cfg, &s, &size);
    assert_int_equal(s.passes, 2);
    segue_mem_free(NULL, out);
}

static void test_refusals(void **state)
{
    (void)state;
    gen_wav g;
    gen_init(&g, 44100, 2, 44100);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.normalize = SEGUE_NORMALIZE_R128;
    /* Unseekable input and unseekable output: no route for the tags. */
    assert_int_equal(convert(&g, 0, 0, &cfg, NULL), SEGUE_ERR_UNSUPPORTED);
    /* Unseekable input, seekable WAV output (no late tags): none either. */
    assert_int_equal(convert(&g, 0, 1, &cfg, NULL), SEGUE_ERR_UNSUPPORTED);
    /* Unseekable input, seekable FLAC output: late tags work. */
    cfg.encoder.container = "flac";
    assert_int_equal(convert(&g, 0, 1, &cfg, NULL), SEGUE_OK);
    /* apply_gain always needs the first pass over the input. */
    cfg.apply_gain = 1;
    assert_int_equal(convert(&g, 0, 1, &cfg, NULL), SEGUE_ERR_UNSUPPORTED);
    assert_int_equal(convert(&g, 1, 0, &cfg, NULL), SEGUE_OK);

    /* A fade-out needs the length. */
    segue_transcode_config_default(&cfg);
    cfg.fade_out_frames = 1000;
    g.unknown_length = 1;
    assert_int_equal(convert(&g, 0, 1, &cfg, NULL), SEGUE_ERR_UNSUPPORTED);
    cfg.duration_frames = 30000;
    segue_transcode_stats s;
    assert_int_equal(convert(&g, 0, 1, &cfg, &s), SEGUE_OK);
    assert_int_equal(s.output_frames, 30000);
    g.unknown_length = 0;
    /* Bad values. */
    segue_transcode_config_default(&cfg);
    cfg.duration_frames = 0;
    assert_int_equal(convert(&g, 1, 1, &cfg, NULL), SEGUE_ERR_INVALID_ARGUMENT);
    segue_transcode_config_default(&cfg);
    cfg.limiter = 1;
    cfg.limiter_ceiling_dbtp = 2.0;
    assert_int_equal(convert(&g, 1, 1, &cfg, NULL), SEGUE_ERR_INVALID_ARGUMENT);
    segue_transcode_config_default(&cfg);
    cfg.gain_db = NAN;
    assert_int_equal(convert(&g, 1, 1, &cfg, NULL), SEGUE_ERR_INVALID_ARGUMENT);
}

/* Every stage on: mix, gain, fades, meter, limiter, resampler, ditherer. */
static void all_stages(segue_transcode_config *cfg)
{
    segue_transcode_config_default(cfg);
    cfg->encoder.channels = 1;
    cfg->encoder.sample_rate = 48000;
    cfg->encoder.sample_format = SEGUE_SAMPLE_S16;
    cfg->gain_db = -2.0;
    cfg->fade_in_frames = 300;
    cfg->fade_out_frames = 400;
    cfg->start_frame = 100;
    cfg->normalize = SEGUE_NORMALIZE_R128;
    cfg->apply_gain = 1;
    cfg->dither = SEGUE_DITHER_SHAPED;
    cfg->chunk_frames = 1024;
}

static void test_failing_allocator(void **state)
{
    (void)state;
    gen_wav g;
    gen_init(&g, 44100, 2, 5000);
    int succeeded = 0;
    long failures = 0;
    for (long n = 0; n < 5000 && !succeeded; n++) {
        test_allocator ta = {n, 0, 0, 0, 0};
        segue_allocator a = {&ta, counting_alloc, counting_free};
        segue_transcode_config cfg;
        all_stages(&cfg);
        cfg.allocator = &a;
        segue_transcode_stats s;
        segue_status st = convert(&g, 1, 1, &cfg, &s);
        if (st == SEGUE_OK) {
            succeeded = 1;
            assert_int_equal(s.output_frames, half_up(4900, 44100, 48000));
            assert_int_equal(s.passes, 2);
        } else {
            assert_int_equal(st, SEGUE_ERR_NO_MEMORY);
            failures++;
        }
        assert_int_equal(ta.outstanding, 0);
    }
    assert_true(succeeded);
    assert_true(failures > 10); /* the stages did allocate through the allocator */
}

/* Peak bytes allocated through the caller's allocator for `seconds` of
 * input with every stage on. */
static size_t peak_for(uint32_t seconds)
{
    gen_wav g;
    gen_init(&g, 8000, 2, (uint64_t)seconds * 8000);
    test_allocator ta = {-1, 0, 0, 0, 0};
    segue_allocator a = {&ta, counting_alloc, counting_free};
    segue_transcode_config cfg;
    all_stages(&cfg);
    cfg.allocator = &a;
    cfg.encoder.sample_rate = 11025;
    cfg.chunk_frames = 4096;
    segue_transcode_stats s;
    assert_int_equal(convert(&g, 1, 1, &cfg, &s), SEGUE_OK);
    assert_int_equal(s.output_frames, half_up((uint64_t)seconds * 8000 - 100, 8000, 11025));
    assert_int_equal(ta.outstanding, 0);
    return ta.peak;
}

static void test_bounded_memory(void **state)
{
    (void)state;
    size_t short_peak = peak_for(10);
    size_t long_peak = peak_for(600);
    print_message("peak allocated: %zu bytes for 10 s, %zu bytes for 10 min\n", short_peak,
                  long_peak);
    assert_true(short_peak > 0);
    assert_int_equal(long_peak, short_peak);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_stats_clipping_and_limiter),
        cmocka_unit_test(test_stats_trim_and_resample),
        cmocka_unit_test(test_normalize_apply_gain),
        cmocka_unit_test(test_normalize_tags),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_bounded_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
