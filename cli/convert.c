/* cli/convert.c - `segue convert` and `segue decode`: both are a transcode
 * into a temporary file that is renamed into place only when complete. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

typedef struct convert_options {
    const char *input, *output;
    const char *container;             /* muxer name */
    const char *codec;                 /* NULL: the muxer's default */
    segue_sample_format format;        /* NONE: as the input (convert) */
    unsigned long rate, channels;      /* 0: as the input */
    unsigned long bitrate_kbps;        /* 0: codec default */
    float quality;                     /* NaN: codec default */
    int compression_level;             /* -1: codec default */
    segue_rate_control mode;
    segue_stereo_mode stereo;
    int id3v2_version;
    int verify;
} convert_options;

/* Output formats: the --codec names and file extensions that select them. */
static const struct output_format {
    const char *codec_option; /* --codec NAME */
    const char *extensions;   /* space-separated */
    const char *container;
    const char *codec;        /* NULL: the container's default */
    int lossy;
} output_formats[] = {
    {"wav", "wav wave", "wav", NULL, 0},
    {"raw", "raw pcm", "raw", NULL, 0},
    {"flac", "flac", "flac", NULL, 0},
    {"vorbis", "ogg oga", "ogg", "vorbis", 1},
    {"opus", "opus", "ogg", "opus", 1},
    {"mp3", "mp3", "mp3", "mp3", 1},
    {"aac", "m4a aac mp4", NULL, NULL, 1}, /* not available in this version */
};

static const struct output_format *output_by_codec(const char *name)
{
    for (size_t i = 0; i < sizeof output_formats / sizeof output_formats[0]; i++)
        if (strcasecmp(output_formats[i].codec_option, name) == 0)
            return &output_formats[i];
    return NULL;
}

static const struct output_format *output_by_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return NULL;
    const char *ext = dot + 1;
    size_t len = strlen(ext);
    for (size_t i = 0; i < sizeof output_formats / sizeof output_formats[0]; i++) {
        const char *e = output_formats[i].extensions;
        while (*e) {
            size_t n = strcspn(e, " ");
            if (n == len && strncasecmp(e, ext, n) == 0)
                return &output_formats[i];
            e += n;
            while (*e == ' ')
                e++;
        }
    }
    return NULL;
}

static void decode_help(FILE *f)
{
    fputs("usage: segue decode FILE -o OUT [--format s16|s24|f32] [--raw]\n"
          "\n"
          "Decodes FILE (any input format segue reads) to a WAV file, or to\n"
          "headerless PCM with --raw. Encoder delay and padding are removed.\n"
          "\n"
          "  -o, --output OUT   where to write ('-' for standard output)\n"
          "  --format FMT       sample format of the output: s16, s24 or f32.\n"
          "                     Default: s16 for sources of 16 bits or fewer, s24 for\n"
          "                     deeper integer sources, f32 for float sources.\n"
          "  --raw              interleaved little-endian samples, no header\n"
          "\n"
          "The output is written to a temporary file beside OUT and renamed into\n"
          "place only when complete; a failure leaves nothing behind.\n",
          f);
}

static void convert_help(FILE *f)
{
    fputs("usage: segue convert IN OUT [options]\n"
          "\n"
          "Converts IN to OUT. The output format comes from --codec or OUT's\n"
          "extension (.wav .raw .flac .ogg .opus .mp3). Tags and pictures are\n"
          "carried over where the output format can hold them; anything it cannot\n"
          "is reported as a warning.\n"
          "\n"
          "  --codec NAME       wav, raw, flac, vorbis, opus or mp3 (aac: not available\n"
          "                     in this version)\n"
          "  --format FMT       PCM sample format: u8, s16, s24, s32, f32, f64; for FLAC\n"
          "                     s16 or s24 (default: as the input, FLAC at most s24)\n"
          "  --bitrate KBPS     MP3: constant bitrate (8..320); Opus: target bitrate;\n"
          "                     Vorbis: average bitrate\n"
          "  --quality Q        MP3: VBR V0..V9 (0 best, default V2); Vorbis: -1..10\n"
          "  --mode cbr|abr|vbr rate control (MP3: vbr unless --bitrate; Opus: vbr)\n"
          "  --compression N    FLAC compression level 0..8 (default 5)\n"
          "  --stereo joint|plain|mono   MP3 channel coding (default joint)\n"
          "  --id3v2.4          MP3: write ID3v2.4 instead of ID3v2.3\n"
          "  --rate HZ          output sample rate (resampled with libsoxr); by default\n"
          "                     the input's, or the nearest rate the codec takes\n"
          "                     (Opus: 48000; MP3: an MPEG rate)\n"
          "  --channels N       output channels (must equal the input's in this version)\n"
          "  --verify           decode the output again and check its length\n"
          "                     (formats segue can decode: wav, flac, ogg, opus)\n"
          "\n"
          "Not available in this version (exit 69): --profile, --normalize, --start,\n"
          "--duration, --fade.\n",
          f);
}

static int parse_ulong(const char *cmd, const char *opt, const char *v, unsigned long max,
                       unsigned long *out)
{
    char *end;
    if (!v || !*v)
        return cli_usage_error(cmd, "%s needs a value", opt);
    unsigned long x = strtoul(v, &end, 10);
    if (*end || x == 0 || x > max || v[0] == '-')
        return cli_usage_error(cmd, "%s: '%s' is not a number in 1..%lu", opt, v, max);
    *out = x;
    return 0;
}

/* Decodes the written output again and checks its frame count. */
static int verify_output(const char *path, int64_t expect_frames, uint32_t channels)
{
    segue_io io;
    if (segue_io_from_path(&io, path) < 0) {
        fprintf(stderr, "segue: verify: cannot reopen the output\n");
        return EXIT_IOERR;
    }
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, &io, NULL);
    if (st < 0) {
        cli_fail(st, "verify", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return EXIT_SOFTWARE;
    }
    float buf[4096];
    size_t cap = sizeof buf / sizeof buf[0] / channels;
    int64_t total = 0;
    uint64_t clipped = 0;
    size_t got;
    while ((st = segue_decoder_read_f32(d, buf, cap, &got)) == SEGUE_OK) {
        total += (int64_t)got;
        for (size_t i = 0; i < got * channels; i++)
            clipped += buf[i] >= 1.0f || buf[i] < -1.0f;
    }
    if (st < 0) {
        cli_fail(st, "verify", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return EXIT_SOFTWARE;
    }
    segue_decoder_destroy(d);
    if (expect_frames >= 0 && total != expect_frames) {
        fprintf(stderr, "segue: verify: output has %lld frames, input %lld\n", (long long)total,
                (long long)expect_frames);
        return EXIT_SOFTWARE;
    }
    fprintf(stderr, "segue: verify: %lld frames ok%s\n", (long long)total,
            clipped ? " (some samples at full scale)" : "");
    return EXIT_OK;
}

/* decode's default depth: keep what the source has, in s16, s24 or f32. */
static segue_sample_format decode_default_format(const segue_stream_info *in)
{
    segue_sample_format f = in->source_format;
    if (f == SEGUE_SAMPLE_F32 || f == SEGUE_SAMPLE_F64)
        return SEGUE_SAMPLE_F32;
    return segue_sample_format_bits(f) > 16 ? SEGUE_SAMPLE_S24 : SEGUE_SAMPLE_S16;
}

static int run_transcode(const char *cmd, const convert_options *o, int decode_defaults)
{
    if (o->verify && strcmp(o->output, "-") == 0)
        return cli_usage_error(cmd, "--verify needs a file output, not '-'");
    segue_io src;
    int rc = cli_open_input(&src, o->input);
    if (rc)
        return rc;
    /* Open the input before creating the output: a bad input then leaves
     * nothing behind, and the output settings can follow the stream. */
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, &src, NULL);
    if (st < 0) {
        rc = cli_fail(st, o->input, segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return rc;
    }
    const segue_stream_info *in = segue_decoder_info(d);
    int64_t frames = in->frames;
    uint32_t channels = o->channels ? (uint32_t)o->channels : in->channels;

    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.encoder.container = o->container;
    cfg.encoder.codec = o->codec;
    cfg.encoder.sample_format = o->format;
    cfg.encoder.bitrate = (uint32_t)(o->bitrate_kbps * 1000);
    cfg.encoder.quality = o->quality;
    cfg.encoder.compression_level = o->compression_level;
    cfg.encoder.rate_control = o->mode;
    cfg.encoder.stereo_mode = o->stereo;
    cfg.encoder.id3v2_version = o->id3v2_version;
    if (o->format == SEGUE_SAMPLE_NONE && strcmp(o->container, "flac") == 0)
        /* FLAC stores integers up to 24 bits here: keep 16-bit sources 16. */
        cfg.encoder.sample_format = segue_sample_format_bits(in->source_format) <= 16 &&
                                            in->source_format != SEGUE_SAMPLE_F32
                                        ? SEGUE_SAMPLE_S16
                                        : SEGUE_SAMPLE_S24;
    if (decode_defaults && o->format == SEGUE_SAMPLE_NONE)
        cfg.encoder.sample_format = decode_default_format(in);
    cfg.encoder.sample_rate = (uint32_t)o->rate;
    cfg.encoder.channels = (uint32_t)o->channels;

    cli_output out;
    rc = cli_output_open(&out, o->output, o->input);
    if (rc) {
        segue_decoder_destroy(d);
        return rc;
    }
    segue_io dst;
    /* The sink only flushes on close; cli_output_commit() closes the file
     * and sees write errors that surface at fclose(). */
    segue_io_from_stdio(&dst, out.file, out.seekable, 0);

    segue_transcoder *t = NULL;
    st = segue_transcoder_open_decoder(&t, d, &dst, &cfg);
    if (st >= 0)
        st = segue_transcoder_run(t, NULL, NULL);
    if (st < 0) {
        rc = cli_fail(st, o->input, segue_transcoder_last_error(t));
        segue_transcoder_destroy(t);
        cli_output_discard(&out);
        return rc;
    }
    const segue_metadata *unmapped = segue_transcoder_unmapped(t);
    for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
        const char *what, *why;
        segue_metadata_unmapped_at(unmapped, i, &what, &why);
        fprintf(stderr, "segue: warning: %s not carried over (%s)\n", what, why);
    }
    segue_transcoder_destroy(t);
    if (o->verify && out.temp_path) {
        fflush(out.file);
        rc = verify_output(out.temp_path, frames, channels);
        if (rc) {
            cli_output_discard(&out);
            return rc;
        }
    }
    return cli_output_commit(&out);
}

static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) == 0 && argv[*i][len] == '=')
        return argv[*i] + len + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static int is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

static void init_options(convert_options *o)
{
    memset(o, 0, sizeof *o);
    o->quality = NAN;
    o->compression_level = -1;
    o->id3v2_version = 3;
}

int cli_decode(int argc, char **argv)
{
    convert_options o;
    init_options(&o);
    int raw = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            decode_help(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            return cli_print_version();
        } else if (strcmp(a, "-o") == 0 || is_option(a, "--output")) {
            o.output = option_value(argc, argv, &i, "--output");
            if (!o.output)
                return cli_usage_error("decode ", "decode: -o needs a file");
        } else if (is_option(a, "--format")) {
            const char *v = option_value(argc, argv, &i, "--format");
            o.format = segue_sample_format_parse(v);
            if (o.format != SEGUE_SAMPLE_S16 && o.format != SEGUE_SAMPLE_S24 &&
                o.format != SEGUE_SAMPLE_F32)
                return cli_usage_error("decode ", "decode: --format must be s16, s24 or f32");
        } else if (strcmp(a, "--raw") == 0) {
            raw = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("decode ", "decode: unknown option '%s'", a);
        } else if (!o.input) {
            o.input = a;
        } else {
            return cli_usage_error("decode ", "decode: unexpected argument '%s'", a);
        }
    }
    if (!o.input)
        return cli_usage_error("decode ", "decode: missing FILE");
    if (!o.output)
        return cli_usage_error("decode ", "decode: missing -o OUT");
    o.container = raw ? "raw" : "wav";
    return run_transcode("decode ", &o, 1);
}

int cli_convert(int argc, char **argv)
{
    convert_options o;
    init_options(&o);
    const char *codec_name = NULL;
    static const char *const unavailable[] = {"--profile", "--normalize", "--start", "--duration",
                                              "--fade", "--apply-gain"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int handled = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            convert_help(stdout);
            return EXIT_OK;
        }
        if (strcmp(a, "--version") == 0)
            return cli_print_version();
        for (size_t k = 0; k < sizeof unavailable / sizeof unavailable[0]; k++)
            if (is_option(a, unavailable[k])) {
                fprintf(stderr, "segue: convert: %s is not available in this version\n",
                        unavailable[k]);
                return EXIT_UNAVAILABLE;
            }
        if (is_option(a, "--codec")) {
            codec_name = option_value(argc, argv, &i, "--codec");
            if (!codec_name)
                return cli_usage_error("convert ", "convert: --codec needs a name");
            handled = 1;
        } else if (is_option(a, "--bitrate")) {
            int rc = parse_ulong("convert ", "--bitrate", option_value(argc, argv, &i, "--bitrate"),
                                 1024, &o.bitrate_kbps);
            if (rc)
                return rc;
            handled = 1;
        } else if (is_option(a, "--quality")) {
            const char *v = option_value(argc, argv, &i, "--quality");
            char *end = NULL;
            o.quality = v ? strtof(v, &end) : NAN;
            if (!v || !*v || *end || o.quality != o.quality)
                return cli_usage_error("convert ", "convert: --quality needs a number");
            handled = 1;
        } else if (is_option(a, "--compression")) {
            unsigned long level = 0;
            const char *v = option_value(argc, argv, &i, "--compression");
            if (v && strcmp(v, "0") == 0)
                level = 0;
            else if (parse_ulong("convert ", "--compression", v, 8, &level))
                return EXIT_USAGE;
            o.compression_level = (int)level;
            handled = 1;
        } else if (is_option(a, "--mode")) {
            const char *v = option_value(argc, argv, &i, "--mode");
            if (v && strcmp(v, "cbr") == 0)
                o.mode = SEGUE_RC_CBR;
            else if (v && strcmp(v, "abr") == 0)
                o.mode = SEGUE_RC_ABR;
            else if (v && strcmp(v, "vbr") == 0)
                o.mode = SEGUE_RC_VBR;
            else
                return cli_usage_error("convert ", "convert: --mode must be cbr, abr or vbr");
            handled = 1;
        } else if (is_option(a, "--stereo")) {
            const char *v = option_value(argc, argv, &i, "--stereo");
            if (v && strcmp(v, "joint") == 0)
                o.stereo = SEGUE_STEREO_JOINT;
            else if (v && strcmp(v, "plain") == 0)
                o.stereo = SEGUE_STEREO_PLAIN;
            else if (v && strcmp(v, "mono") == 0)
                o.stereo = SEGUE_STEREO_MONO;
            else
                return cli_usage_error("convert ", "convert: --stereo must be joint, plain or mono");
            handled = 1;
        } else if (strcmp(a, "--id3v2.4") == 0) {
            o.id3v2_version = 4;
            handled = 1;
        } else if (is_option(a, "--format")) {
            const char *v = option_value(argc, argv, &i, "--format");
            o.format = segue_sample_format_parse(v);
            if (o.format == SEGUE_SAMPLE_NONE || o.format == SEGUE_SAMPLE_S8)
                return cli_usage_error("convert ", "convert: --format must be u8, s16, s24, s32, f32 or f64");
            handled = 1;
        } else if (is_option(a, "--rate")) {
            int rc = parse_ulong("convert ", "--rate", option_value(argc, argv, &i, "--rate"), 768000,
                                 &o.rate);
            if (rc)
                return rc;
            handled = 1;
        } else if (is_option(a, "--channels")) {
            int rc = parse_ulong("convert ", "--channels", option_value(argc, argv, &i, "--channels"),
                                 32, &o.channels);
            if (rc)
                return rc;
            handled = 1;
        } else if (strcmp(a, "--verify") == 0) {
            o.verify = handled = 1;
        }
        if (handled)
            continue;
        if (a[0] == '-' && a[1] != '\0')
            return cli_usage_error("convert ", "convert: unknown option '%s'", a);
        if (!o.input)
            o.input = a;
        else if (!o.output)
            o.output = a;
        else
            return cli_usage_error("convert ", "convert: unexpected argument '%s'", a);
    }
    if (!o.input || !o.output)
        return cli_usage_error("convert ", "convert: needs IN and OUT");
    const struct output_format *fmt;
    if (codec_name) {
        fmt = output_by_codec(codec_name);
        if (!fmt)
            return cli_usage_error("convert ", "convert: unknown codec '%s'", codec_name);
    } else {
        fmt = output_by_extension(o.output);
        if (!fmt && strcmp(o.output, "-") == 0)
            fmt = output_by_codec("wav");
        if (!fmt)
            return cli_usage_error("convert ",
                                   "convert: cannot tell the output format from '%s'; use --codec",
                                   o.output);
    }
    if (!fmt->container) {
        fprintf(stderr, "segue: convert: %s output is not available in this version\n",
                fmt->codec_option);
        return EXIT_UNAVAILABLE;
    }
    o.container = fmt->container;
    o.codec = fmt->codec;
    if (fmt->lossy && o.format != SEGUE_SAMPLE_NONE)
        return cli_usage_error("convert ", "convert: --format applies to PCM and FLAC outputs only");
    if (!fmt->lossy && (o.bitrate_kbps || o.quality == o.quality || o.mode != SEGUE_RC_DEFAULT))
        return cli_usage_error("convert ", "convert: --bitrate, --quality and --mode apply to "
                                           "lossy outputs (mp3, vorbis, opus) only");
    if (o.compression_level >= 0 && strcmp(fmt->container, "flac") != 0)
        return cli_usage_error("convert ", "convert: --compression applies to FLAC output only");
    if (strcmp(o.container, "raw") == 0 && o.format == SEGUE_SAMPLE_NONE)
        return cli_usage_error("convert ", "convert: raw output needs --format");
    return run_transcode("convert ", &o, 0);
}
