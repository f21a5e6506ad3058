/* cli/probe.c - `segue probe FILE [--json]`. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static void probe_help(FILE *f)
{
    fputs("usage: segue probe FILE [--json]\n"
          "\n"
          "Prints the container, codec, sample rate, channels, length, bit depth,\n"
          "tags, pictures and DRM status of FILE ('-' reads standard input).\n"
          "\n"
          "  --json   one JSON object on standard output\n",
          f);
}

static double duration_seconds(const segue_stream_info *in)
{
    return in->frames >= 0 && in->sample_rate ? (double)in->frames / in->sample_rate : -1.0;
}

static void print_json(const char *path, const segue_stream_info *in, const segue_metadata *m)
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
    size_t np = segue_metadata_picture_count(m);
    for (size_t i = 0; i < np; i++) {
        segue_picture p;
        segue_metadata_picture_at(m, i, &p);
        printf("picture:     type %u, %s, %zu bytes\n", p.type, p.mime, p.size);
    }
}

int cli_probe(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
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
    if (json)
        print_json(path, segue_decoder_info(d), segue_decoder_metadata(d));
    else
        print_text(path, segue_decoder_info(d), segue_decoder_metadata(d));
    segue_decoder_destroy(d);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR;
}
