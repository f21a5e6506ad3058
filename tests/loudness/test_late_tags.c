/*
 * tests/loudness/test_late_tags.c - loudness tags completed at finish
 * (segue_encoder_config.late_loudness, segue_encoder_set_loudness()).
 *
 * For mp3, flac, ogg-vorbis and ogg-opus: encode a tone into a file with
 * late_loudness, set the record after the audio, finish, and read the file
 * back with our decoder: the record matches, the audio decodes to the end
 * (Ogg pages are CRC-checked by the demuxer, which skips pages with a bad
 * CRC, so the frame count catches a broken rewrite) and the other tags
 * survived. Also the refusals: a pipe sink or a muxer without the ability
 * (wav, raw) is SEGUE_ERR_UNSUPPORTED at open, set_loudness without
 * late_loudness is SEGUE_ERR_STATE.
 *
 * `test_late_tags --write DIR` only writes the four files (late_tags.mp3,
 * .flac, .ogg, .opus) for tests/loudness/late_tags_mutagen.py to check with
 * mutagen, flac and ffmpeg.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include <segue/segue.h>

#define TONE_SECONDS 2u
#define TWO_PI 6.283185307179586

/* The values the tests set late; chosen unlike the placeholders. */
static const segue_loudness late_values = {
    .has_track_gain = 1, .track_gain_db = -4.27, .has_track_peak = 1, .track_peak = 0.912345,
    .has_r128_track = 1, .r128_track_gain_db = -9.27,
};

typedef struct target {
    const char *container, *codec, *ext;
    uint32_t rate;
} target;

static const target targets[] = {
    {"mp3", "mp3", "mp3", 44100},
    {"flac", "flac", "flac", 44100},
    {"ogg", "vorbis", "ogg", 44100},
    {"ogg", "opus", "opus", 48000},
};

static void tone(float *pcm, size_t frames, uint32_t rate)
{
    for (size_t i = 0; i < frames; i++) {
        float v = 0.25f * (float)sin(TWO_PI * 997.0 * (double)i / rate);
        pcm[2 * i] = v;
        pcm[2 * i + 1] = -v;
    }
}

/* Writes `path` with late tags; set_loudness is called when `l` is given. */
static segue_status write_file(const target *t, const char *path, const segue_loudness *l,
                               segue_metadata *md)
{
    segue_io io;
    if (segue_io_to_path(&io, path) < 0)
        return SEGUE_ERR_OPEN;
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = t->container;
    cfg.codec = t->codec;
    cfg.sample_rate = t->rate;
    cfg.channels = 2;
    cfg.metadata = md;
    cfg.late_loudness = 1;
    cfg.sample_format = SEGUE_SAMPLE_S16;
    if (strcmp(t->codec, "flac") != 0)
        cfg.sample_format = SEGUE_SAMPLE_F32;
    segue_encoder *e = NULL;
    segue_status st = segue_encoder_open(&e, &io, &cfg);
    static float pcm[2 * 48000];
    for (unsigned s = 0; s < TONE_SECONDS && st >= 0; s++) {
        tone(pcm, t->rate, t->rate);
        st = segue_encoder_write_f32(e, pcm, t->rate);
    }
    if (st >= 0 && l)
        st = segue_encoder_set_loudness(e, l);
    if (st >= 0)
        st = segue_encoder_finish(e);
    if (st < 0)
        fprintf(stderr, "%s: %s\n", path, segue_encoder_last_error(e));
    segue_encoder_destroy(e);
    return st;
}

static segue_metadata *sample_tags(void)
{
    segue_metadata *md = NULL;
    if (segue_metadata_create(&md, NULL) < 0)
        return NULL;
    segue_metadata_set(md, "TITLE", "Late tags");
    segue_metadata_set(md, "ARTIST", "segue tests");
    return md;
}

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const target *t = &targets[i];
        char path[64];
        snprintf(path, sizeof path, "late_tags_test.%s", t->ext);
        segue_metadata *md = sample_tags();
        assert_non_null(md);
        assert_int_equal(write_file(t, path, &late_values, md), SEGUE_OK);
        segue_metadata_destroy(md);

        segue_io io;
        assert_int_equal(segue_io_from_path(&io, path), SEGUE_OK);
        segue_decoder *d = NULL;
        segue_status st = segue_decoder_open(&d, &io, NULL);
        if (st < 0)
            fail_msg("%s: %s", path, segue_decoder_last_error(d));
        segue_loudness l;
        segue_metadata_get_loudness(segue_decoder_metadata(d), &l);
        if (strcmp(t->codec, "opus") == 0) {
            /* RFC 7845 5.2.1: Opus carries only R128_TRACK_GAIN, Q7.8. */
            assert_true(l.has_r128_track);
            assert_true(fabs(l.r128_track_gain_db - late_values.r128_track_gain_db) <= 0.5 / 256);
        } else {
            assert_true(l.has_track_gain);
            assert_true(fabs(l.track_gain_db - late_values.track_gain_db) < 0.006);
            assert_true(l.has_track_peak);
            assert_true(fabs(l.track_peak - late_values.track_peak) < 1e-6);
            /* No placeholder survived. */
            assert_false(l.has_album_gain);
            assert_false(l.has_album_peak);
        }
        const char *title = segue_metadata_get(segue_decoder_metadata(d), "TITLE", 0);
        assert_non_null(title);
        assert_string_equal(title, "Late tags");
        /* The whole stream decodes: a page the rewrite broke would be
         * skipped (bad CRC) and frames would go missing. */
        static float buf[4096 * 2];
        uint64_t total = 0;
        for (;;) {
            size_t got = 0;
            st = segue_decoder_read_f32(d, buf, 4096, &got);
            assert_true(st >= 0);
            total += got;
            if (st == SEGUE_END_OF_STREAM || !got)
                break;
        }
        assert_int_equal(total, (uint64_t)TONE_SECONDS * t->rate);
        segue_decoder_destroy(d);
        remove(path);
    }
}

/* Without set_loudness the caller's own record replaces the placeholders. */
static void test_no_late_value_keeps_original(void **state)
{
    (void)state;
    segue_metadata *md = sample_tags();
    assert_non_null(md);
    segue_loudness orig;
    memset(&orig, 0, sizeof orig);
    orig.has_track_gain = 1;
    orig.track_gain_db = 1.5;
    segue_metadata_set_loudness(md, &orig);
    assert_int_equal(write_file(&targets[1], "late_tags_orig.flac", NULL, md), SEGUE_OK);
    segue_metadata_destroy(md);
    segue_io io;
    assert_int_equal(segue_io_from_path(&io, "late_tags_orig.flac"), SEGUE_OK);
    segue_decoder *d = NULL;
    assert_int_equal(segue_decoder_open(&d, &io, NULL), SEGUE_OK);
    segue_loudness l;
    segue_metadata_get_loudness(segue_decoder_metadata(d), &l);
    assert_true(l.has_track_gain);
    assert_true(fabs(l.track_gain_db - 1.5) < 0.006);
    assert_false(l.has_track_peak);
    segue_decoder_destroy(d);
    remove("late_tags_orig.flac");
}

static segue_status open_late(const char *container, const char *codec, int seekable,
                              segue_encoder **e, FILE **f)
{
    *f = tmpfile();
    assert_non_null(*f);
    segue_io io;
    assert_int_equal(segue_io_from_stdio(&io, *f, seekable, 1), SEGUE_OK);
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = container;
    cfg.codec = codec;
    cfg.sample_rate = 44100;
    cfg.channels = 2;
    cfg.late_loudness = 1;
    if (strcmp(container, "wav") != 0 && strcmp(container, "raw") != 0 &&
        strcmp(container, "flac") != 0)
        cfg.sample_format = SEGUE_SAMPLE_F32;
    return segue_encoder_open(e, &io, &cfg);
}

static void test_unsupported_sinks(void **state)
{
    (void)state;
    const char *refused[][3] = {
        {"wav", NULL, "seekable"}, {"raw", NULL, "seekable"},
        {"mp3", "mp3", "pipe"},    {"flac", "flac", "pipe"},
        {"ogg", "vorbis", "pipe"}, {"ogg", "opus", "pipe"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        segue_encoder *e = NULL;
        FILE *f = NULL;
        int seekable = strcmp(refused[i][2], "seekable") == 0;
        segue_status st = open_late(refused[i][0], refused[i][1], seekable, &e, &f);
        assert_int_equal(st, SEGUE_ERR_UNSUPPORTED);
        /* The message says what and why. */
        assert_non_null(strstr(segue_encoder_last_error(e), "late loudness"));
        segue_encoder_destroy(e);
    }
}

static void test_set_loudness_state(void **state)
{
    (void)state;
    /* Without late_loudness: SEGUE_ERR_STATE. */
    segue_io io;
    assert_int_equal(segue_io_memory_sink(&io, NULL), SEGUE_OK);
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = "flac";
    cfg.sample_rate = 44100;
    cfg.channels = 2;
    segue_encoder *e = NULL;
    assert_int_equal(segue_encoder_open(&e, &io, &cfg), SEGUE_OK);
    assert_int_equal(segue_encoder_set_loudness(e, &late_values), SEGUE_ERR_STATE);
    segue_encoder_destroy(e);

    /* With late_loudness, after finish: SEGUE_ERR_STATE too. */
    FILE *f = NULL;
    assert_int_equal(open_late("flac", "flac", 1, &e, &f), SEGUE_OK);
    assert_int_equal(segue_encoder_set_loudness(e, &late_values), SEGUE_OK);
    assert_int_equal(segue_encoder_finish(e), SEGUE_OK);
    assert_int_equal(segue_encoder_set_loudness(e, &late_values), SEGUE_ERR_STATE);
    assert_int_equal(segue_encoder_set_loudness(NULL, &late_values), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_encoder_set_loudness(e, NULL), SEGUE_ERR_INVALID_ARGUMENT);
    segue_encoder_destroy(e);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/late_tags.%s", argv[2], targets[i].ext);
            segue_metadata *md = sample_tags();
            segue_status st = md ? write_file(&targets[i], path, &late_values, md) : SEGUE_ERR_NO_MEMORY;
            segue_metadata_destroy(md);
            if (st < 0)
                return 1;
        }
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_no_late_value_keeps_original),
        cmocka_unit_test(test_unsupported_sinks),
        cmocka_unit_test(test_set_loudness_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
