/* cli/probe.c - `segue probe FILE [--json] [--loudness]`. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "core/alloc.h"
#ifndef SEGUE_DECODE_ONLY
#include "dsp/loudness.h"
#define PROBE_HAS_LOUDNESS 1
#else
#define PROBE_HAS_LOUDNESS 0
/* The device build has no meter; --loudness is reported as unsupported. */
typedef struct segue_loudness_result {
    double integrated_lufs, range_lu, true_peak, sample_peak;
    double momentary_max_lufs, short_term_max_lufs;
} segue_loudness_result;
#endif

static void probe_help(FILE *f)
{
    fputs("usage: segue probe FILE [--json] [--loudness]\n"
          "\n"
          "Prints the container, codec, sample rate, channels, length, bit depth,\n"
          "tags, pictures and DRM status of FILE ('-' reads standard input).\n"
          "\n"
          "  --json       one JSON object on standard output\n"
          "  --loudness   also decode the whole file and measure it (EBU R 128 /\n"
          "               ITU-R BS.1770-4): integrated loudness (LUFS), loudness\n"
          "               range (LU), true peak (dBTP), sample peak (dBFS), momentary\n"
          "               and short-term maxima (LUFS), and the ReplayGain 2.0\n"
          "               (-18 LUFS) and R128 (-23 LUFS) track gains they imply.\n"
          "               JSON: a \"loudness\" object, full precision, null where a\n"
          "               value does not exist (the loudness of silence)\n",
          f);
}

static double duration_seconds(const segue_stream_info *in)
{
    return in->frames >= 0 && in->sample_rate ? (double)in->frames / in->sample_rate : -1.0;
}

/* A JSON number at full precision (17 significant digits round-trip a
 * double), or null for -inf/NaN (silence has no loudness). */
static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static double to_db(double linear) { return linear > 0.0 ? 20.0 * log10(linear) : -HUGE_VAL; }

static void print_loudness_json(FILE *f, const segue_loudness_result *r)
{
    const double rg = -18.0 - r->integrated_lufs, r128 = -23.0 - r->integrated_lufs;
    const struct {
        const char *name;
        double v;
    } items[] = {
        {"integrated_lufs", r->integrated_lufs},
        {"range_lu", r->range_lu},
        {"true_peak_dbtp", to_db(r->true_peak)},
        {"true_peak", r->true_peak},
        {"sample_peak_dbfs", to_db(r->sample_peak)},
        {"sample_peak", r->sample_peak},
        {"momentary_max_lufs", r->momentary_max_lufs},
        {"short_term_max_lufs", r->short_term_max_lufs},
        {"replaygain_track_gain_db", rg},
        {"replaygain_track_peak", r->true_peak},
        {"r128_track_gain_db", r128},
    };
    fputs(",\n  \"loudness\": {", f);
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        fprintf(f, "%s\n    \"%s\": ", i ? "," : "", items[i].name);
        json_number(f, items[i].v);
    }
    /* RFC 7845 5.2.1: the R128_TRACK_GAIN value, Q7.8 */
    fputs(",\n    \"r128_track_gain_q78\": ", f);
    if (isfinite(r128))
        fprintf(f, "%.0f", fmax(-32768.0, fmin(32767.0, floor(r128 * 256.0 + 0.5))));
    else
        fputs("null", f);
    fputs("\n  }", f);
}

static void print_loudness_text(const segue_loudness_result *r)
{
    if (isfinite(r->integrated_lufs))
        printf("loudness:    %.1f LUFS integrated\n", r->integrated_lufs);
    else
        printf("loudness:    silent (nothing above the -70 LUFS gate)\n");
    printf("range:       %.1f LU\n", r->range_lu);
    double tp = to_db(r->true_peak), sp = to_db(r->sample_peak);
    if (isfinite(tp))
        printf("true peak:   %.1f dBTP\n", tp);
    else
        printf("true peak:   -inf dBTP\n");
    if (isfinite(sp))
        printf("sample peak: %.1f dBFS\n", sp);
    else
        printf("sample peak: -inf dBFS\n");
    if (isfinite(r->momentary_max_lufs))
        printf("momentary max:  %.1f LUFS\n", r->momentary_max_lufs);
    if (isfinite(r->short_term_max_lufs))
        printf("short-term max: %.1f LUFS\n", r->short_term_max_lufs);
    if (isfinite(r->integrated_lufs)) {
        printf("replaygain:  %+.2f dB track gain (-18 LUFS), peak %.6f\n",
               -18.0 - r->integrated_lufs, r->true_peak);
        printf("r128 gain:   %+.2f dB (-23 LUFS)\n", -23.0 - r->integrated_lufs);
    }
}

/* The loudness values the file's tags carry (ReplayGain, R128), as
 * (name, value) pairs; returns how many are set. */
static size_t loudness_tag_values(const segue_metadata *m, const char *names[6], double values[6])
{
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    size_t n = 0;
#define LOUDNESS_TAG(flag, field, name) \
    if (l.flag) {                       \
        names[n] = name;                \
        values[n++] = l.field;          \
    }
    LOUDNESS_TAG(has_track_gain, track_gain_db, "replaygain_track_gain_db")
    LOUDNESS_TAG(has_track_peak, track_peak, "replaygain_track_peak")
    LOUDNESS_TAG(has_album_gain, album_gain_db, "replaygain_album_gain_db")
    LOUDNESS_TAG(has_album_peak, album_peak, "replaygain_album_peak")
    LOUDNESS_TAG(has_r128_track, r128_track_gain_db, "r128_track_gain_db")
    LOUDNESS_TAG(has_r128_album, r128_album_gain_db, "r128_album_gain_db")
#undef LOUDNESS_TAG
    return n;
}

static void print_json(const char *path, const segue_stream_info *in, const segue_metadata *m,
                       const segue_loudness_result *loud)
{
    FILE *f = stdout;
    fputs("{\n  \"file\": ", f);
    json_string(f, path);
    fputs(",\n  \"container\": ", f);
    json_string(f, in->container ? in->container : "");
    fputs(",\n  \"codec\": ", f);
    json_string(f, in->codec ? in->codec : "");
    fprintf(f, ",\n  \"sample_rate\": %u,\n  \"channels\": %u,\n  \"channel_mask\": %u", in->sample_rate,
            in->channels, in->channel_mask);
    fputs(",\n  \"sample_format\": ", f);
    json_string(f, segue_sample_format_name(in->source_format));
    fprintf(f, ",\n  \"bit_depth\": %u", in->bits_per_sample);
    if (in->frames >= 0)
        fprintf(f, ",\n  \"frames\": %" PRId64 ",\n  \"duration\": %.6f", in->frames,
                duration_seconds(in));
    else
        fputs(",\n  \"frames\": null,\n  \"duration\": null", f);
    fprintf(f, ",\n  \"bitrate\": %u", in->bitrate);
    fputs(",\n  \"rate_control\": ", f);
    if (in->rate_control)
        json_string(f, in->rate_control);
    else
        fputs("null", f);
    fprintf(f, ",\n  \"seekable\": %s", in->seekable ? "true" : "false");
    segue_gapless g;
    segue_metadata_get_gapless(m, &g);
    fprintf(f, ",\n  \"gapless\": {\"encoder_delay\": %u, \"padding\": %u, \"total_frames\": %" PRIu64 "}",
            g.encoder_delay, g.padding, g.total_frames);
    fputs(",\n  \"drm\": \"none\"", f);

    /* Tags: key -> array of values, keys in first-seen order. */
    fputs(",\n  \"tags\": {", f);
    size_t n = segue_metadata_field_count(m);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const char *key, *value;
        segue_metadata_field_at(m, i, &key, &value);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *k2;
            segue_metadata_field_at(m, j, &k2, NULL);
            seen = strcmp(k2, key) == 0;
        }
        if (seen)
            continue;
        fputs(first ? "\n    " : ",\n    ", f);
        first = 0;
        json_string(f, key);
        fputs(": [", f);
        size_t count = segue_metadata_count(m, key);
        for (size_t j = 0; j < count; j++) {
            if (j)
                fputs(", ", f);
            json_string(f, segue_metadata_get(m, key, j));
        }
        fputc(']', f);
    }
    fputs(first ? "}" : "\n  }", f);

    fputs(",\n  \"pictures\": [", f);
    size_t np = segue_metadata_picture_count(m);
    for (size_t i = 0; i < np; i++) {
        segue_picture p;
        segue_metadata_picture_at(m, i, &p);
        fprintf(f, "%s\n    {\"type\": %u, \"mime\": ", i ? "," : "", p.type);
        json_string(f, p.mime);
        fputs(", \"description\": ", f);
        json_string(f, p.description);
        fprintf(f, ", \"width\": %u, \"height\": %u, \"size\": %zu}", p.width, p.height, p.size);
    }
    fputs(np ? "\n  ]" : "]", f);
    {
        const char *names[6];
        double values[6];
        size_t nl = loudness_tag_values(m, names, values);
        fputs(",\n  \"loudness_tags\": {", f);
        for (size_t i = 0; i < nl; i++)
            fprintf(f, "%s\"%s\": %.6g", i ? ", " : "", names[i], values[i]);
        fputc('}', f);
    }
    if (loud)
        print_loudness_json(f, loud);
    fputs("\n}\n", f);
}

static void print_text(const char *path, const segue_stream_info *in, const segue_metadata *m)
{
    printf("file:        %s\n", path);
    printf("container:   %s\n", in->container ? in->container : "?");
    if (in->source_format != SEGUE_SAMPLE_NONE)
        printf("codec:       %s (%s, %u-bit%s)\n", in->codec ? in->codec : "?",
               segue_sample_format_name(in->source_format), in->bits_per_sample,
               in->big_endian ? ", big-endian" : "");
    else
        printf("codec:       %s\n", in->codec ? in->codec : "?");
    printf("sample rate: %u Hz\n", in->sample_rate);
    printf("channels:    %u", in->channels);
    if (in->channel_mask)
        printf(" (mask 0x%x)", in->channel_mask);
    putchar('\n');
    if (in->frames >= 0)
        printf("duration:    %.3f s (%" PRId64 " frames)\n", duration_seconds(in), in->frames);
    else
        printf("duration:    unknown (unseekable input)\n");
    if (in->bitrate)
        printf("bitrate:     %u kbit/s%s%s\n", (in->bitrate + 500) / 1000,
               in->rate_control ? " " : "", in->rate_control ? in->rate_control : "");
    {
        segue_gapless g;
        segue_metadata_get_gapless(m, &g);
        if (g.encoder_delay || g.padding)
            printf("gapless:     delay %u, padding %u frames\n", g.encoder_delay, g.padding);
    }
    printf("drm:         none\n");
    size_t n = segue_metadata_field_count(m);
    if (n)
        printf("tags:\n");
    for (size_t i = 0; i < n; i++) {
        const char *key, *value;
        segue_metadata_field_at(m, i, &key, &value);
        printf("  %-12s %s\n", key, value);
    }
    {
        const char *names[6];
        double values[6];
        size_t nl = loudness_tag_values(m, names, values);
        if (nl)
            printf("loudness:   ");
        for (size_t i = 0; i < nl; i++)
            printf(" %s=%.6g%s", names[i], values[i], i + 1 == nl ? "\n" : "");
    }
    size_t np = segue_metadata_picture_count(m);
    for (size_t i = 0; i < np; i++) {
        segue_picture p;
        segue_metadata_picture_at(m, i, &p);
        printf("picture:     type %u, %s, %zu bytes\n", p.type, p.mime, p.size);
    }
}

#if PROBE_HAS_LOUDNESS
/* Decodes the rest of the stream through the meter. */
static segue_status measure(segue_decoder *d, segue_loudness_result *r, segue_error *err)
{
    const segue_stream_info *in = segue_decoder_info(d);
    enum { CHUNK = 4096 };
    segue_loudness_meter *meter = NULL;
    segue_status st = segue_loudness_meter_create(&meter, in->sample_rate, in->channels,
                                                  in->channel_mask, NULL, err);
    if (st < 0)
        return st;
    const segue_allocator *a = segue_allocator_or_default(NULL);
    float *buf = segue_mem_alloc(a, (size_t)CHUNK * in->channels * sizeof *buf);
    if (!buf) {
        segue_loudness_meter_destroy(meter);
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "out of memory");
    }
    for (;;) {
        size_t frames = 0;
        st = segue_decoder_read_f32(d, buf, CHUNK, &frames);
        if (st < 0) {
            segue_error_set(err, st, "%s", segue_decoder_last_error(d));
            break;
        }
        if (frames && (st = segue_loudness_meter_add(meter, buf, frames, err)) < 0)
            break;
        if (st == SEGUE_END_OF_STREAM || !frames) {
            st = segue_loudness_meter_result(meter, r, err);
            break;
        }
    }
    segue_mem_free(a, buf);
    segue_loudness_meter_destroy(meter);
    return st;
}
#endif

int cli_probe(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, loudness = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--loudness") == 0)
            loudness = 1;
        else if (strcmp(argv[i], "--version") == 0)
            return cli_print_version();
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            probe_help(stdout);
            return EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error("probe ", "probe: unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("probe ", "probe: one FILE only");
    }
    if (!path)
        return cli_usage_error("probe ", "probe: missing FILE");
    segue_io io;
    int rc = cli_open_input(&io, path);
    if (rc)
        return rc;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, &io, NULL);
    if (st < 0) {
        rc = cli_fail(st, path, segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return rc;
    }
    segue_loudness_result loud;
    memset(&loud, 0, sizeof loud);
    if (loudness) {
#if PROBE_HAS_LOUDNESS
        segue_error err;
        memset(&err, 0, sizeof err);
        st = measure(d, &loud, &err);
        if (st < 0) {
            rc = cli_fail(st, path, err.detail);
            segue_decoder_destroy(d);
            return rc;
        }
#else
        segue_decoder_destroy(d);
        return cli_fail(SEGUE_ERR_UNSUPPORTED, path, "this build has no loudness meter");
#endif
    }
    if (json)
        print_json(path, segue_decoder_info(d), segue_decoder_metadata(d), loudness ? &loud : NULL);
    else
        print_text(path, segue_decoder_info(d), segue_decoder_metadata(d));
    if (!json && loudness)
        print_loudness_text(&loud);
    segue_decoder_destroy(d);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR;
}
