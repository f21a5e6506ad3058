/*
 * tests/profiles/test_profile.c - the profile parser, apply(), the digest
 * and the built-in profiles (engine/profile.c, docs/profiles.md).
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <segue/segue.h>
#include <segue/profile.h>

#include "engine/device_check.h"
#include "engine/profile_data.h"

#define MINIMAL "name = t\ncodec = mp3\n"

static segue_profile *parse_ok(const char *text)
{
    segue_profile *p = NULL;
    char err[256];
    segue_status st = segue_profile_parse(&p, text, strlen(text), NULL, err, sizeof err);
    if (st != SEGUE_OK)
        fail_msg("expected to parse, got: %s\n--- text:\n%s", err, text);
    assert_non_null(p);
    return p;
}

/* Parses `size` bytes that must fail with a message starting "line N:" and
 * containing `needle`. */
static void parse_fails_n(const char *text, size_t size, unsigned line, const char *needle)
{
    segue_profile *p = (segue_profile *)(uintptr_t)1;
    char err[512];
    segue_status st = segue_profile_parse(&p, text, size, NULL, err, sizeof err);
    assert_int_equal(st, SEGUE_ERR_INVALID_ARGUMENT);
    assert_null(p);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "line %u: ", line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, needle))
        fail_msg("error '%s' lacks '%s' / '%s'", err, prefix, needle);
}

static void parse_fails(const char *text, unsigned line, const char *needle)
{
    parse_fails_n(text, strlen(text), line, needle);
}

/* ---- format ----------------------------------------------------------------- */

static void test_minimal_and_defaults(void **state)
{
    (void)state;
    static const char *const codecs[][3] = {{"mp3", "mp3", "mp3"},    {"opus", "opus", "ogg"},
                                            {"vorbis", "ogg", "ogg"}, {"flac", "flac", "flac"},
                                            {"pcm", "wav", "wav"},    {"aac", "m4a", "m4a"}};
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "name = t\ncodec = %s\n", codecs[i][0]);
        segue_profile *p = parse_ok(text);
        assert_string_equal(segue_profile_name(p), "t");
        assert_string_equal(segue_profile_description(p), "");
        assert_string_equal(segue_profile_extension(p), codecs[i][1]);
        segue_transcode_config cfg;
        segue_transcode_config_default(&cfg);
        assert_int_equal(segue_profile_apply(p, 0, &cfg), SEGUE_OK);
        assert_string_equal(cfg.encoder.container, codecs[i][2]);
        assert_string_equal(cfg.encoder.codec, codecs[i][0]);
        segue_profile_destroy(p);
    }
}

static void test_layout_accepted(void **state)
{
    (void)state;
    /* BOM, CRLF, comments, blank lines, spaces and tabs around '=', a
     * missing final newline, UTF-8 text, x- keys, .source companions. */
    const char *text = "\xef\xbb\xbf# a comment\r\n\r\n   \n\tname\t=  t-1 \r\n"
                       "  # indented comment\ncodec=mp3\n"
                       "description = Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8e\xb5 = fine\n"
                       "x-owner = someone = else\n"
                       "device.codecs = mp3 pcm\ndevice.codecs.source = documented\n"
                       "device.mpeg_versions = 1 2 2.5\n"
                       "device.sample_rates = 32000   44100\t48000\n"
                       "quality = -1\nrate_control = vbr";
    segue_profile *p = parse_ok(text);
    assert_string_equal(segue_profile_name(p), "t-1");
    assert_string_equal(segue_profile_description(p), "Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8e\xb5 = fine");
    assert_string_equal(segue_profile_get(p, "x-owner"), "someone = else");
    assert_string_equal(segue_profile_get(p, "device.codecs.source"), "documented");
    assert_string_equal(segue_profile_get(p, "rate_control"), "vbr");
    assert_null(segue_profile_get(p, "bitrate"));
    assert_int_equal(segue_profile_key_count(p), 10);
    const char *value = NULL;
    assert_string_equal(segue_profile_key_at(p, 0, &value), "name");
    assert_string_equal(value, "t-1");
    assert_string_equal(segue_profile_key_at(p, 1, &value), "codec");
    assert_null(segue_profile_key_at(p, 10, &value));
    assert_null(value);
    segue_profile_destroy(p);
    segue_profile_destroy(NULL);
}

static void test_structure_errors(void **state)
{
    (void)state;
    parse_fails(MINIMAL "bitrat = 3\n", 3, "unknown key 'bitrat'");
    parse_fails(MINIMAL "\n# c\nbitrate = 128\nbitrate = 192\n", 6, "duplicate key 'bitrate' (first on line 5)");
    parse_fails("codec = mp3\n# no name\n", 3, "'name' is missing");
    parse_fails("name = t\n", 2, "'codec' is missing");
    parse_fails("", 1, "'name' is missing");
    parse_fails(MINIMAL "just words\n", 3, "expected 'key = value'");
    parse_fails(MINIMAL "= 3\n", 3, "missing key");
    parse_fails(MINIMAL "Bitrate = 3\n", 3, "a key may hold only");
    parse_fails(MINIMAL "bit rate = 3\n", 3, "a key may hold only");
    parse_fails(MINIMAL "bitrate =\n", 3, "bitrate: missing value");
    parse_fails(MINIMAL "bitrate =    \n", 3, "missing value");
    /* A .source companion only for device constraints, and only two values. */
    parse_fails(MINIMAL "bitrate.source = assumed\n", 3, "unknown key");
    parse_fails(MINIMAL "device.description.source = assumed\n", 3, "unknown key");
    parse_fails(MINIMAL "device.tags.source = probably\n", 3, "not one of documented|assumed");
    parse_fails(MINIMAL "device.nonsense = 1\n", 3, "unknown key 'device.nonsense'");
}

static void test_value_errors(void **state)
{
    (void)state;
    static const struct {
        const char *line, *needle;
    } cases[] = {
        {"bitrate = 12x", "not a whole number"},
        {"bitrate = -5", "not a whole number"},
        {"bitrate = +5", "not a whole number"},
        {"bitrate = 0128", "not a whole number"},
        {"bitrate = 0", "outside 1..2000"},
        {"bitrate = 99999999999999999999", "not a whole number"},
        {"sample_rate = 999", "outside"},
        {"sample_rate = 44.1", "not a whole number"},
        {"sample_rate = sauce", "not a whole number"},
        {"channels = 33", "outside"},
        {"quality = abc", "not a number"},
        {"quality = 11", "outside"},
        {"quality = 1e2", "not a number"},
        {"quality = nan", "not a number"},
        {"quality = -", "not a number"},
        {"compression_level = 9", "outside"},
        {"fade_in = 1.2345678", "not a number of seconds"},
        {"start = 1e3", "not a number of seconds"},
        {"start = -1", "not a number of seconds"},
        {"start = .5", "not a number of seconds"},
        {"start = 5.", "not a number of seconds"},
        {"duration = 1000001", "not a number of seconds"},
        {"duration = 0.000", "more than 0"},
        {"codec2 = mp3", "unknown key"},
        {"rate_control = fast", "not one of cbr|abr|vbr"},
        {"stereo_mode = Joint", "not one of"},
        {"tags = id3v2.2", "not one of"},
        {"normalize = ebu", "not one of"},
        {"resample_quality = best", "not one of"},
        {"dither = triangular", "not one of"},
        {"picture_max_bytes = 10", "outside"},
        {"picture_format = png", "not one of"},
        {"extension = .mp3", "may hold only"},
        {"device = PSP", "is not a name"},
        {"device.sample_rates = 44100 fast", "'fast' is not a whole number"},
        {"device.mpeg_versions = 1 3", "'3' is not one of"},
        {"device.containers = mp3 W_AV", "only a-z"},
        {"device.bitrate_min_kbps = 320\ndevice.bitrate_max_kbps = 32", "below device.bitrate_min_kbps"},
        {"sample_format = s24", "applies to codec pcm and flac only"},
        {"sample_format = s23", "not a sample format"},
        {"container = ogg", "ogg cannot carry codec mp3"},
        {"tags = vorbis", "need codec opus, vorbis or flac"},
        {"rate_control = cbr", "cbr needs a bitrate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, MINIMAL "%s\n", cases[i].line);
        unsigned line = strchr(cases[i].line, '\n') ? 4 : 3;
        parse_fails(text, line, cases[i].needle);
    }
    parse_fails("name = t\ncodec = opus\ntags = id3v2.3\n", 3, "id3v2.3 needs codec mp3");
    parse_fails("name = -t\ncodec = mp3\n", 1, "is not a name");
    parse_fails("name = t_1\ncodec = mp3\n", 1, "is not a name");
    parse_fails("name = t\ncodec = mp4\n", 2, "not one of");
    /* One name for the MP4 family: "m4a" (the muxer's); "mp4" is refused. */
    parse_fails("name = t\ncodec = aac\ncontainer = mp4\n", 3, "not one of");
    parse_fails("name = t\ncodec = mp3\ncontainer = m4a\n", 3, "m4a cannot carry codec mp3");
    parse_fails("name = t\ncodec = opus\ncontainer = adts\n", 3, "adts cannot carry codec opus");
    parse_fails("name = t\ncodec = aac\ntags = id3v2.3\n", 3, "id3v2.3 needs codec mp3");
    parse_fails("name = t\ncodec = aac\ndevice.aac_profiles = lc sbr\n", 3, "'sbr' is not one of");
}

/* AAC: m4a by default, adts on request with the .aac extension. */
static void test_aac_containers(void **state)
{
    (void)state;
    segue_profile *p = parse_ok("name = t\ncodec = aac\ncontainer = adts\n");
    assert_string_equal(segue_profile_extension(p), "aac");
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(p, 44100, &cfg), SEGUE_OK);
    assert_string_equal(cfg.encoder.container, "adts");
    assert_string_equal(cfg.encoder.codec, "aac");
    segue_profile_destroy(p);
    p = parse_ok("name = t\ncodec = aac\nrate_control = vbr\nquality = 4\n"
                 "device.aac_profiles = lc he\ndevice.aac_sample_rates = 44100 48000\n"
                 "device.mp4_boxes = ftyp moov mdat free\n");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(p, 44100, &cfg), SEGUE_OK);
    assert_string_equal(cfg.encoder.container, "m4a");
    assert_int_equal(cfg.encoder.rate_control, SEGUE_RC_VBR);
    assert_true(cfg.encoder.quality == 4.0f);
    segue_profile_destroy(p);
}

static void test_limits(void **state)
{
    (void)state;
    char *text = malloc(70000);
    assert_non_null(text);

    /* A value of 1024 bytes is fine, 1025 is not. */
    int n = snprintf(text, 2000, MINIMAL "description = ");
    memset(text + n, 'a', 1024);
    strcpy(text + n + 1024, "\n");
    segue_profile_destroy(parse_ok(text));
    strcpy(text + n + 1024, "a\n");
    parse_fails(text, 3, "longer than 1024 bytes");

    /* 256 keys are fine, 257 are not. */
    size_t len = (size_t)snprintf(text, 100, MINIMAL);
    for (int k = 0; k < 254; k++)
        len += (size_t)snprintf(text + len, 100, "x-k%d = %d\n", k, k);
    segue_profile *p = parse_ok(text);
    assert_int_equal(segue_profile_key_count(p), 256);
    segue_profile_destroy(p);
    snprintf(text + len, 100, "x-last = 1\n");
    parse_fails(text, 257, "more than 256 keys");

    /* 64 KiB is fine, one byte more is not (checked before anything else). */
    memset(text, '\n', 70000);
    memcpy(text, MINIMAL, strlen(MINIMAL));
    segue_profile_destroy(NULL);
    segue_profile *q = NULL;
    assert_int_equal(segue_profile_parse(&q, text, 65536, NULL, NULL, 0), SEGUE_OK);
    segue_profile_destroy(q);
    parse_fails_n(text, 65537, 0, "at most 65536");
    free(text);

    /* A small error buffer is still NUL-terminated; NULL out is refused. */
    char small[8];
    q = NULL;
    assert_int_equal(segue_profile_parse(&q, "x", 1, NULL, small, sizeof small), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(segue_profile_parse(NULL, MINIMAL, strlen(MINIMAL), NULL, NULL, 0),
                     SEGUE_ERR_INVALID_ARGUMENT);
}

static void test_binary_junk(void **state)
{
    (void)state;
    static const char nul[] = "name = t\ncodec = mp3\nbit\0rate = 1\n";
    parse_fails_n(nul, sizeof nul - 1, 3, "NUL byte");
    parse_fails("name = t\n\x01\x02\x03\n", 2, "control character");
    parse_fails("name = t\ncodec = mp3\ndescription = \xff\xfe\n", 3, "invalid UTF-8");
    parse_fails("name = t\ndescription = \xc0\xaf\n", 2, "invalid UTF-8");         /* overlong '/' */
    parse_fails("name = t\ndescription = \xed\xa0\x80\n", 2, "invalid UTF-8");     /* surrogate */
    parse_fails("name = t\ndescription = \xf4\x90\x80\x80\n", 2, "invalid UTF-8"); /* > U+10FFFF */
    parse_fails("name = t\ndescription = \xe2\x82", 2, "truncated UTF-8");
    /* Random bytes: must fail cleanly, whatever line they trip on. */
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        char junk[300];
        size_t size = 1 + (size_t)(round * 7 % 299);
        for (size_t i = 0; i < size; i++) {
            seed = seed * 1103515245u + 12345u;
            junk[i] = (char)(seed >> 16);
        }
        segue_profile *p = NULL;
        char err[128];
        assert_int_equal(segue_profile_parse(&p, junk, size, NULL, err, sizeof err), SEGUE_ERR_INVALID_ARGUMENT);
        assert_null(p);
        assert_memory_equal(err, "line ", 5);
    }
}

/* ---- apply ------------------------------------------------------------------- */

static void test_apply_mapping(void **state)
{
    (void)state;
    segue_profile *p = parse_ok("name = full\ncodec = mp3\nsample_rate = 44100\nchannels = 2\n"
                                "rate_control = abr\nbitrate = 160\nquality = 2.5\ncompression_level = 3\n"
                                "stereo_mode = plain\ntags = id3v2.4\npicture_max_width = 600\n"
                                "picture_max_height = 500\npicture_max_bytes = 100000\npicture_format = keep\n"
                                "picture_baseline = yes\nstart = 1.5\nduration = 30\nfade_in = 0.25\n"
                                "fade_out = 2.000011\nnormalize = replaygain\napply_gain = yes\nlimiter = yes\n"
                                "resample_quality = very-high\ndither = shaped\n");
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(p, 48000, &cfg), SEGUE_OK);
    assert_string_equal(cfg.encoder.container, "mp3");
    assert_string_equal(cfg.encoder.codec, "mp3");
    assert_int_equal(cfg.encoder.sample_rate, 44100);
    assert_int_equal(cfg.encoder.channels, 2);
    assert_int_equal(cfg.encoder.rate_control, SEGUE_RC_ABR);
    assert_int_equal(cfg.encoder.bitrate, 160000);
    assert_true(cfg.encoder.quality == 2.5f);
    assert_int_equal(cfg.encoder.compression_level, 3);
    assert_int_equal(cfg.encoder.stereo_mode, SEGUE_STEREO_PLAIN);
    assert_int_equal(cfg.encoder.id3v2_version, 4);
    assert_int_equal(cfg.picture_max_width, 600);
    assert_int_equal(cfg.picture_max_height, 500);
    assert_int_equal(cfg.picture_max_bytes, 100000);
    assert_int_equal(cfg.picture_jpeg_only, 1); /* picture_baseline = yes */
    assert_int_equal(cfg.start_frame, 72000);
    assert_int_equal(cfg.duration_frames, 1440000);
    assert_int_equal(cfg.fade_in_frames, 12000);
    /* 2.000011 s * 48000 = 96000.528 -> 96001 (round half up, exact). */
    assert_int_equal(cfg.fade_out_frames, 96001);
    assert_int_equal(cfg.normalize, SEGUE_NORMALIZE_REPLAYGAIN);
    assert_int_equal(cfg.apply_gain, 1);
    assert_int_equal(cfg.limiter, 1);
    assert_int_equal(cfg.resample_quality, SEGUE_RESAMPLE_VERY_HIGH);
    assert_int_equal(cfg.dither, SEGUE_DITHER_SHAPED);
    /* Seconds need the input rate. */
    assert_int_equal(segue_profile_apply(p, 0, &cfg), SEGUE_ERR_INVALID_ARGUMENT);
    segue_profile_destroy(p);

    /* "source" maps to 0 / NONE; keys left out leave cfg alone. */
    p = parse_ok("name = src\ncodec = flac\nsample_rate = source\nchannels = source\n"
                 "sample_format = source\ncompression_level = 8\npicture_format = jpeg\n");
    segue_transcode_config_default(&cfg);
    cfg.encoder.sample_rate = 1234;
    cfg.encoder.channels = 7;
    cfg.encoder.sample_format = SEGUE_SAMPLE_S32;
    cfg.encoder.bitrate = 77;
    cfg.start_frame = 5;
    cfg.normalize = SEGUE_NORMALIZE_R128;
    assert_int_equal(segue_profile_apply(p, 0, &cfg), SEGUE_OK);
    assert_int_equal(cfg.encoder.sample_rate, 0);
    assert_int_equal(cfg.encoder.channels, 0);
    assert_int_equal(cfg.encoder.sample_format, SEGUE_SAMPLE_NONE);
    assert_int_equal(cfg.encoder.compression_level, 8);
    assert_int_equal(cfg.encoder.bitrate, 77);
    assert_int_equal(cfg.start_frame, 5);
    assert_int_equal(cfg.duration_frames, -1);
    assert_int_equal(cfg.normalize, SEGUE_NORMALIZE_R128);
    assert_int_equal(cfg.picture_jpeg_only, 1);
    segue_profile_destroy(p);

    p = parse_ok("name = pcm\ncodec = pcm\nsample_format = s24\nstereo_mode = mono\nrate_control = vbr\n"
                 "tags = none\n");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(p, 0, &cfg), SEGUE_OK);
    assert_int_equal(cfg.encoder.sample_format, SEGUE_SAMPLE_S24);
    assert_int_equal(cfg.encoder.stereo_mode, SEGUE_STEREO_MONO);
    assert_int_equal(cfg.encoder.rate_control, SEGUE_RC_VBR);
    assert_int_equal(cfg.picture_jpeg_only, 0);
    /* tags = none: an empty tag set instead of the input's. */
    assert_non_null(cfg.encoder.metadata);
    assert_int_equal(segue_metadata_field_count(cfg.encoder.metadata), 0);
    assert_int_equal(segue_metadata_picture_count(cfg.encoder.metadata), 0);
    /* A config without the right struct_size is refused. */
    cfg.struct_size = 8;
    assert_int_equal(segue_profile_apply(p, 0, &cfg), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_profile_apply(NULL, 0, &cfg), SEGUE_ERR_INVALID_ARGUMENT);
    segue_profile_destroy(p);
}

static void test_apply_rounding(void **state)
{
    (void)state;
    static const struct {
        const char *seconds;
        uint32_t rate;
        int64_t frames;
    } cases[] = {
        {"0.00025", 2000, 1},   /* 0.5 frame: half rounds up */
        {"0.00075", 2000, 2},   /* 1.5 -> 2 */
        {"0.000249", 2000, 0},  /* 0.498 -> 0 */
        {"0.000001", 44100, 0}, /* 0.0441 -> 0 */
        {"0.1", 44100, 4410},
        {"1000000", 768000, 768000000000},
        {"999999.999999", 768000, 767999999999}, /* exact: no double rounding */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "name = r\ncodec = mp3\nfade_in = %s\n", cases[i].seconds);
        segue_profile *p = parse_ok(text);
        segue_transcode_config cfg;
        segue_transcode_config_default(&cfg);
        assert_int_equal(segue_profile_apply(p, cases[i].rate, &cfg), SEGUE_OK);
        if (cfg.fade_in_frames != cases[i].frames)
            fail_msg("%s s at %u Hz: %lld frames, expected %lld", cases[i].seconds, cases[i].rate,
                     (long long)cfg.fade_in_frames, (long long)cases[i].frames);
        segue_profile_destroy(p);
    }
}

/* ---- digest -------------------------------------------------------------------- */

static void digest_of(const char *text, char out[65])
{
    segue_profile *p = parse_ok(text);
    segue_profile_digest(p, out);
    segue_profile_destroy(p);
    assert_int_equal(strlen(out), 64);
    assert_int_equal(strspn(out, "0123456789abcdef"), 64);
}

static void test_digest(void **state)
{
    (void)state;
    static const char *const lines[] = {"name = d",          "codec = mp3",      "bitrate = 192",
                                        "sample_rate = 44100", "fade_out = 2.5", "description = x y",
                                        "x-note = 1"};
    enum { N = sizeof lines / sizeof lines[0] };
    char base_text[512] = "", base[65];
    for (size_t i = 0; i < N; i++) {
        strcat(base_text, lines[i]);
        strcat(base_text, "\n");
    }
    digest_of(base_text, base);

    /* Order, spacing and comments do not matter. */
    char same[65];
    digest_of("# reordered\nx-note=1\ndescription =   x y\n\nfade_out = 2.5\nsample_rate=44100\n"
              "bitrate = 192\ncodec = mp3\nname = d\n",
              same);
    assert_string_equal(base, same);

    /* Changing any one value, or adding or removing a key, does. */
    static const char *const changed[N] = {"name = e",           "codec = pcm",      "bitrate = 193",
                                           "sample_rate = 48000", "fade_out = 2.50", "description = x  y",
                                           "x-note = 2"};
    char seen[N + 2][65];
    for (size_t k = 0; k < N; k++) {
        char text[512] = "";
        for (size_t i = 0; i < N; i++) {
            const char *line = i == k ? changed[k] : lines[i];
            strcat(text, line);
            strcat(text, "\n");
        }
        digest_of(text, seen[k]);
        assert_string_not_equal(seen[k], base);
    }
    char more[600];
    snprintf(more, sizeof more, "%sstereo_mode = joint\n", base_text);
    digest_of(more, seen[N]);
    assert_string_not_equal(seen[N], base);
    /* Moving a value from one key to another changes it too. */
    digest_of("name = d\ncodec = mp3\nx-a = bc\n", seen[N + 1]);
    char moved[65];
    digest_of("name = d\ncodec = mp3\nx-ab = c\n", moved);
    assert_string_not_equal(seen[N + 1], moved);
    for (size_t a = 0; a < N + 1; a++)
        for (size_t b = a + 1; b < N + 1; b++)
            assert_string_not_equal(seen[a], seen[b]);
}

/* ---- built-ins ------------------------------------------------------------------ */

static void test_builtins(void **state)
{
    (void)state;
    size_t count = segue_profile_count();
    assert_int_equal(count, segue_builtin_profile_source_count);
    static const char *const required[] = {"psp-mp3",      "store-mp3-320", "store-mp3-v0",
                                           "web-opus-128", "archive-flac",  "preview-mp3",
                                           "psp",          "psp-video-audio", "itunes-plus",
                                           "store-aac-128"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        assert_non_null(segue_profile_find(required[i]));
    assert_null(segue_profile_find("no-such-profile"));
    assert_null(segue_profile_find(NULL));
    assert_null(segue_profile_at(count));

    char digests[64][65];
    assert_true(count <= 64);
    for (size_t i = 0; i < count; i++) {
        const segue_profile *p = segue_profile_at(i);
        assert_non_null(p);
        /* The file is called after the profile, and each parses on its own. */
        char file[96];
        snprintf(file, sizeof file, "%s.profile", segue_profile_name(p));
        assert_string_equal(file, segue_builtin_profile_sources[i].file);
        assert_ptr_equal(segue_profile_find(segue_profile_name(p)), p);
        assert_true(strlen(segue_profile_description(p)) > 0);
        segue_transcode_config cfg;
        segue_transcode_config_default(&cfg);
        assert_int_equal(segue_profile_apply(p, 44100, &cfg), SEGUE_OK);
        assert_non_null(cfg.encoder.codec);
        segue_profile_digest(p, digests[i]);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(digests[i], digests[k]);
        /* Every device constraint says where its value comes from. */
        for (size_t k = 0; k < segue_profile_key_count(p); k++) {
            const char *value;
            const char *key = segue_profile_key_at(p, k, &value);
            size_t len = strlen(key);
            if (strncmp(key, "device.", 7) != 0 || strcmp(key, "device.description") == 0 ||
                (len > 7 && strcmp(key + len - 7, ".source") == 0))
                continue;
            char source[80];
            snprintf(source, sizeof source, "%s.source", key);
            if (!segue_profile_get(p, source))
                fail_msg("%s: %s has no %s", segue_profile_name(p), key, source);
        }
    }
}

static void test_builtin_settings(void **state)
{
    (void)state;
    segue_transcode_config cfg;
    const segue_profile *psp = segue_profile_find("psp-mp3");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(psp, 48000, &cfg), SEGUE_OK);
    assert_string_equal(cfg.encoder.container, "mp3");
    assert_string_equal(cfg.encoder.codec, "mp3");
    assert_int_equal(cfg.encoder.sample_rate, 44100);
    assert_int_equal(cfg.encoder.channels, 2);
    assert_int_equal(cfg.encoder.rate_control, SEGUE_RC_CBR);
    assert_true(cfg.encoder.bitrate >= 32000 && cfg.encoder.bitrate <= 320000);
    assert_int_equal(cfg.encoder.id3v2_version, 3);
    assert_int_equal(cfg.picture_max_width, 480);
    assert_int_equal(cfg.picture_max_height, 480);
    assert_int_equal(cfg.picture_max_bytes, 256 * 1024);
    assert_int_equal(cfg.picture_jpeg_only, 1);
    assert_string_equal(segue_profile_extension(psp), "mp3");
    assert_string_equal(segue_profile_get(psp, "device"), "psp");
    assert_string_equal(segue_profile_get(psp, "filename_charset"), "fat");
    assert_string_equal(segue_profile_get(psp, "filename_max_bytes"), "255");
    assert_string_equal(segue_profile_get(psp, "device.mpeg_versions"), "1");
    assert_string_equal(segue_profile_get(psp, "device.fix_profile"), "psp-mp3");
    assert_non_null(segue_profile_find(segue_profile_get(psp, "device.fix_profile")));

    const segue_profile *preview = segue_profile_find("preview-mp3");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(preview, 44100, &cfg), SEGUE_OK);
    assert_int_equal(cfg.duration_frames, 30 * 44100);
    assert_int_equal(cfg.start_frame, 0); /* comes from --start */
    assert_true(cfg.fade_in_frames > 0 && cfg.fade_in_frames < 44100 * 2);
    assert_true(cfg.fade_out_frames >= 2 * 44100 && cfg.fade_out_frames <= 3 * 44100);
    assert_int_equal(cfg.encoder.bitrate, 128000);
    assert_int_equal(cfg.encoder.rate_control, SEGUE_RC_CBR);

    const segue_profile *opus = segue_profile_find("web-opus-128");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(opus, 44100, &cfg), SEGUE_OK);
    assert_string_equal(cfg.encoder.container, "ogg");
    assert_int_equal(cfg.encoder.sample_rate, 48000);
    assert_int_equal(cfg.encoder.bitrate, 128000);
    assert_int_equal(cfg.encoder.rate_control, SEGUE_RC_VBR);
    assert_int_equal(cfg.normalize, SEGUE_NORMALIZE_OFF);
    assert_string_equal(segue_profile_extension(opus), "opus");

    const segue_profile *flac = segue_profile_find("archive-flac");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(flac, 96000, &cfg), SEGUE_OK);
    assert_int_equal(cfg.encoder.compression_level, 8);
    assert_int_equal(cfg.encoder.sample_rate, 0);
    assert_int_equal(cfg.encoder.sample_format, SEGUE_SAMPLE_NONE);
    assert_int_equal(cfg.picture_jpeg_only, 0);
    assert_int_equal(cfg.picture_max_width, 0);

    const segue_profile *v0 = segue_profile_find("store-mp3-v0");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(v0, 44100, &cfg), SEGUE_OK);
    assert_int_equal(cfg.encoder.rate_control, SEGUE_RC_VBR);
    assert_true(cfg.encoder.quality == 0.0f);

    /* The AAC profiles: codec, container, rate, channels, rate control. */
    static const struct {
        const char *name;
        uint32_t rate, channels, kbps;
        segue_rate_control rc;
    } aac[] = {
        {"psp", 44100, 2, 128, SEGUE_RC_CBR},
        {"psp-video-audio", 48000, 2, 128, SEGUE_RC_CBR},
        {"itunes-plus", 44100, 0, 256, SEGUE_RC_VBR},
        {"store-aac-128", 44100, 0, 128, SEGUE_RC_CBR},
    };
    for (size_t i = 0; i < sizeof aac / sizeof aac[0]; i++) {
        const segue_profile *p = segue_profile_find(aac[i].name);
        assert_non_null(p);
        segue_transcode_config_default(&cfg);
        assert_int_equal(segue_profile_apply(p, 96000, &cfg), SEGUE_OK);
        assert_string_equal(cfg.encoder.codec, "aac");
        assert_string_equal(cfg.encoder.container, "m4a");
        assert_string_equal(segue_profile_extension(p), "m4a");
        assert_int_equal(cfg.encoder.sample_rate, aac[i].rate);
        assert_int_equal(cfg.encoder.channels, aac[i].channels);
        assert_int_equal(cfg.encoder.bitrate, aac[i].kbps * 1000);
        assert_int_equal(cfg.encoder.rate_control, aac[i].rc);
    }
    /* psp: the PSP's whole device description (first by name among the
     * psp profiles), AAC-LC only, baseline JPEG art, FAT names. */
    const segue_profile *pspaac = segue_profile_find("psp");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(pspaac, 44100, &cfg), SEGUE_OK);
    assert_int_equal(cfg.picture_jpeg_only, 1);
    assert_int_equal(cfg.picture_max_width, 480);
    assert_string_equal(segue_profile_get(pspaac, "device"), "psp");
    assert_string_equal(segue_profile_get(pspaac, "filename_charset"), "fat");
    assert_string_equal(segue_profile_get(pspaac, "device.aac_profiles"), "lc");
    assert_string_equal(segue_profile_get(pspaac, "device.aac_sample_rates"), "44100 48000");
    assert_string_equal(segue_profile_get(pspaac, "device.containers"), "mp3 m4a");
    assert_string_equal(segue_profile_get(pspaac, "device.codecs"), "mp3 aac");
    const segue_profile *devs[8];
    assert_true(segue_device_find_builtin("psp", devs, 8) >= 2);
    assert_ptr_equal(devs[0], pspaac);

    const segue_profile *s320 = segue_profile_find("store-mp3-320");
    segue_transcode_config_default(&cfg);
    assert_int_equal(segue_profile_apply(s320, 44100, &cfg), SEGUE_OK);
    assert_int_equal(cfg.encoder.bitrate, 320000);
    assert_int_equal(cfg.picture_max_width, 1400);
    assert_int_equal(cfg.picture_max_height, 1400);
}

/* First use from several threads at once gives every thread the same set. */
static void *first_use(void *arg)
{
    const segue_profile **out = arg;
    out[0] = segue_profile_find("psp-mp3");
    out[1] = segue_profile_at(segue_profile_count() - 1);
    return NULL;
}

static int fresh_group_setup(void **state)
{
    (void)state;
    return 0;
}

static void test_builtins_threads(void **state)
{
    (void)state;
    pthread_t threads[4];
    const segue_profile *seen[4][2];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, first_use, seen[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_non_null(seen[i][0]);
        assert_ptr_equal(seen[i][0], seen[0][0]);
        assert_ptr_equal(seen[i][1], seen[0][1]);
    }
}

int main(void)
{
    /* The threads test runs first so that it is the first use. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_threads),
        cmocka_unit_test(test_minimal_and_defaults),
        cmocka_unit_test(test_layout_accepted),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_value_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_binary_junk),
        cmocka_unit_test(test_apply_mapping),
        cmocka_unit_test(test_apply_rounding),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_builtin_settings),
        cmocka_unit_test(test_aac_containers),
    };
    return cmocka_run_group_tests(tests, fresh_group_setup, NULL);
}
