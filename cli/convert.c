/* cli/convert.c - `segue convert` and `segue decode`: both are a transcode
 * into a temporary file that is renamed into place only when complete (and,
 * with --verify, checked). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <segue/profile.h>

#include "cli.h"
#include "core/alloc.h"
#include "engine/cover_art.h"

/* A time option as given: seconds as an exact decimal, converted to frames
 * once the input rate is known. */
typedef struct time_value {
    int set;
    uint64_t whole;      /* integer seconds (or milliseconds for fades) */
    uint64_t frac;       /* fraction digits as an integer */
    uint64_t frac_scale; /* 10^digits */
} time_value;

typedef struct convert_options {
    const char *input, *output;
    const char *container;             /* muxer name; NULL: the profile's */
    const char *codec;                 /* NULL: the muxer's default */
    int codec_given;                   /* --codec was given */
    segue_sample_format format;        /* NONE: as the input (or the profile) */
    unsigned long rate, channels;      /* 0: as the input (or the profile) */
    unsigned long bitrate_kbps;        /* 0: codec default */
    float quality;                     /* NaN: codec default */
    int compression_level;             /* -1: codec default */
    segue_rate_control mode;
    segue_stereo_mode stereo;
    int id3v2_version;                 /* 0: default (3) or the profile's */
    int verify;
    /* Stages. -1 (or !set) means "not given": the profile's or the default. */
    time_value start, duration;        /* seconds */
    time_value fade_in, fade_out;      /* milliseconds */
    int gain_set;
    double gain_db;
    int normalize;                     /* segue_normalize_mode or -1 */
    int apply_gain;
    int limiter;                       /* 1 when --limit was given */
    double limit_dbtp;
    int dither;                        /* segue_dither_mode or -1 */
    int resample_quality;              /* segue_resample_quality or -1 */
    const char *profile_name, *profile_file;
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
    /* AAC: M4A by default; an .aac name (or --codec aac with one) is ADTS.
     * Both need the aac encoder: without it the muxer's setup says "no aac
     * encoder in this build" (exit 69). */
    {"aac", "m4a mp4 m4b", "m4a", "aac", 1},
    {"aac", "aac adts", "adts", "aac", 1},
};

static const struct output_format *output_by_codec(const char *name)
{
    for (size_t i = 0; i < sizeof output_formats / sizeof output_formats[0]; i++)
        if (strcasecmp(output_formats[i].codec_option, name) == 0)
            return &output_formats[i];
    return NULL;
}

/* The format for an extension without the dot. */
static const struct output_format *output_by_ext(const char *ext)
{
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

/* The extension of a path ("" when it has none). */
static const char *path_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
        return "";
    return dot + 1;
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
          "Converts IN to OUT ('-' for standard input or output). The output format\n"
          "comes from --codec, else OUT's extension (.wav .raw .flac .ogg .opus .mp3\n"
          ".m4a .aac), else the profile's. Tags and pictures are carried over where the\n"
          "output format can hold them; anything it cannot is reported as a warning.\n"
          "\n"
          "Output format:\n"
          "  --profile NAME     start from a built-in profile ('segue profiles' lists\n"
          "                     them); the options below override its settings\n"
          "  --profile-file F   the same from a profile file (key = value lines)\n"
          "  --codec NAME       wav, raw, flac, vorbis, opus, mp3 or aac (M4A, or ADTS\n"
          "                     for an .aac OUT)\n"
          "  --format FMT       PCM sample format: u8, s16, s24, s32, f32, f64; for FLAC\n"
          "                     s16 or s24 (default: as the input, FLAC at most s24);\n"
          "                     raw output needs it\n"
          "  --bitrate KBPS     MP3: constant bitrate (8..320); Opus: target bitrate;\n"
          "                     Vorbis: average bitrate; AAC: the bitrate of --mode\n"
          "  --quality Q        MP3: VBR V0..V9 (0 best, default V2); Vorbis: -1..10;\n"
          "                     AAC: VBR 1..10 (10 best, default 5)\n"
          "  --mode cbr|abr|vbr rate control (MP3: vbr unless --bitrate; Opus: vbr;\n"
          "                     AAC: vbr with --quality, else abr at --bitrate,\n"
          "                     default 64 kbit/s per channel, 8 to 6x the rate per\n"
          "                     channel)\n"
          "  --compression N    FLAC compression level 0..8 (default 5)\n"
          "  --stereo joint|plain|mono   MP3 channel coding (default joint)\n"
          "  --id3v2.4          MP3: write ID3v2.4 instead of ID3v2.3\n"
          "  --rate HZ          output sample rate (resampled with libsoxr); by default\n"
          "                     the input's, or the nearest rate the codec takes\n"
          "                     (Opus: 48000; MP3: an MPEG rate)\n"
          "  --resample-quality Q   quick, low, medium, high (default) or very-high\n"
          "  --channels N       output channels; a different count than the input's is\n"
          "                     mixed: mono <-> stereo, 5.1/5.0/quad/3.0 -> stereo\n"
          "                     (ITU-R BS.775), any layout -> mono\n"
          "\n",
          f);
    fputs(
          "Editing (applied in this order: trim, channel mix, gain, fades, limiter,\n"
          "resample, dither):\n"
          "  --start TIME       skip to TIME into the input; TIME is seconds (\"90\",\n"
          "                     \"90.5\") or [[h:]m:]s[.frac] (\"1:30.5\"); rounded to the\n"
          "                     nearest input sample\n"
          "  --duration TIME    keep TIME from the start on (default: to the end)\n"
          "  --fade MS          fade in and out over MS milliseconds each\n"
          "  --fade-in MS       fade in over MS milliseconds (default 0: none)\n"
          "  --fade-out MS      fade out over the last MS milliseconds (needs an input\n"
          "                     that declares its length, or --duration)\n"
          "  --gain DB          fixed gain in dB (default 0)\n"
          "  --normalize off|r128|replaygain\n"
          "                     measure the loudness (EBU R 128) and write the tags the\n"
          "                     output format uses: R128_TRACK_GAIN for Opus (relative\n"
          "                     to -23 LUFS), REPLAYGAIN_TRACK_GAIN/PEAK (ReplayGain\n"
          "                     2.0, -18 LUFS) for MP3, FLAC, Vorbis and M4A (with\n"
          "                     iTunNORM); WAV, raw and ADTS hold none. The mode sets the --apply-gain target. Any\n"
          "                     loudness tags of the input are replaced. Default off\n"
          "  --apply-gain       with --normalize: change the level to the target (-23 or\n"
          "                     -18 LUFS) instead of tagging; turns on the limiter\n"
          "  --limit[=DBTP]     true-peak limiter with its ceiling in dBTP (default -1)\n"
          "  --dither auto|none|tpdf|shaped\n"
          "                     dither before an integer output: auto (default) uses\n"
          "                     TPDF when the output has fewer bits than the signal\n"
          "                     (a deeper or float/lossy source, or any processing)\n"
          "  --verify           decode the output again and check its length, its tags,\n"
          "                     loudness values and pictures; warn about clipping\n"
          "                     (file outputs segue can read: not raw, not '-')\n"
          "\n"
          "Pipes: every output format can be written to '-' (raw needs --format;\n"
          "M4A is written as fragmented MP4 there).\n"
          "--verify needs a file output. On a pipe output, --normalize measures in a\n"
          "first pass over the input, which then has to be a file; --apply-gain\n"
          "always needs a file input. A file output in mp3, flac, ogg, opus or m4a\n"
          "gets its loudness tags in one pass.\n"
          "\n"
          "exit status: 0 ok, 64 usage (including an unknown profile name, a start\n"
          "past the end), 65 corrupt input or an invalid profile file, 66 input\n"
          "cannot be opened, 69 unsupported format\n"
          "or option combination, 70 --verify found a difference, 73 output cannot\n"
          "be created, 74 I/O error.\n",
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

/* Parses "D+[.D+]" into whole and fraction; 0 on success. */
static int parse_decimal(const char *s, size_t len, uint64_t *whole, uint64_t *frac,
                         uint64_t *scale)
{
    size_t i = 0;
    *whole = 0;
    *frac = 0;
    *scale = 1;
    if (len == 0 || s[0] < '0' || s[0] > '9')
        return -1;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (*whole > 100000000u)
            return -1; /* longer than anything a file holds */
        *whole = *whole * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i == len)
            return -1;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (*scale < 1000000000u) { /* digits past nanoseconds do not matter */
                *frac = *frac * 10 + (uint64_t)(s[i] - '0');
                *scale *= 10;
            }
    }
    return i == len ? 0 : -1;
}

/* TIME: seconds ("90", "90.5") or [[h:]m:]s[.frac]; minutes and seconds
 * after a colon-separated higher unit must be below 60. */
static int parse_time(const char *opt, const char *v, time_value *t)
{
    if (!v || !*v)
        return cli_usage_error("convert ", "convert: %s needs a time", opt);
    const char *parts[3];
    size_t lens[3];
    size_t n = 0;
    const char *p = v;
    for (;;) {
        const char *colon = strchr(p, ':');
        if (n == 3)
            goto bad;
        parts[n] = p;
        lens[n] = colon ? (size_t)(colon - p) : strlen(p);
        n++;
        if (!colon)
            break;
        p = colon + 1;
    }
    uint64_t total = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        uint64_t w, f, sc;
        if (parse_decimal(parts[i], lens[i], &w, &f, &sc) || sc != 1 || (i > 0 && w >= 60))
            goto bad;
        total = total * 60 + w;
    }
    uint64_t w, f, sc;
    if (parse_decimal(parts[n - 1], lens[n - 1], &w, &f, &sc) || (n > 1 && w >= 60))
        goto bad;
    t->set = 1;
    t->whole = total * 60 + w;
    t->frac = f;
    t->frac_scale = sc;
    return 0;
bad:
    return cli_usage_error("convert ",
                           "convert: %s: '%s' is not a time (seconds such as 90 or 90.5, "
                           "or [[h:]m:]s[.frac] such as 1:30.5)",
                           opt, v);
}

/* MS: milliseconds, a non-negative decimal. */
static int parse_ms(const char *opt, const char *v, time_value *t)
{
    if (!v || parse_decimal(v, strlen(v), &t->whole, &t->frac, &t->frac_scale))
        return cli_usage_error("convert ", "convert: %s needs milliseconds (such as 500 or 12.5)",
                               opt);
    t->set = 1;
    return 0;
}

/* value * rate / unit frames, rounded half up, in exact integer arithmetic.
 * `unit` is 1 for seconds and 1000 for milliseconds. */
static int64_t time_to_frames(const time_value *t, uint32_t rate, uint64_t unit)
{
    uint64_t den = t->frac_scale * unit;
    /* whole * rate / unit + frac * rate / den; whole <= 1e8+, rate <= 768000. */
    uint64_t whole_part = t->whole * rate; /* < 2^57 */
    uint64_t num = (whole_part % unit) * t->frac_scale + t->frac * rate;
    return (int64_t)(whole_part / unit + (2 * num + den) / (2 * den));
}

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || !*v || *end || errno || !(x >= lo && x <= hi))
        return cli_usage_error("convert ", "convert: %s needs a number in %g..%g", opt, lo, hi);
    *out = x;
    return 0;
}

/* ---- --verify ------------------------------------------------------------ */

/* What the output must hold, collected before the transcoder goes. */
typedef struct verify_plan {
    segue_metadata *given;    /* the tags and pictures handed to the encoder */
    segue_metadata *unmapped; /* what the conversion reported it could not carry */
    segue_picture_limits limits;
    int limits_set;
    segue_transcode_stats stats;
    segue_normalize_mode normalize;
    int apply_gain;
} verify_plan;

/* 1 when the conversion reported `key` (or all pictures) as not carried. */
static int is_unmapped(const segue_metadata *unmapped, const char *key)
{
    for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
        const char *what, *why;
        if (segue_metadata_unmapped_at(unmapped, i, &what, &why) == SEGUE_OK &&
            strncasecmp(what, key, strlen(key)) == 0)
            return 1;
    }
    return 0;
}

static size_t unmapped_count_of(const segue_metadata *unmapped, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
        const char *what, *why;
        if (segue_metadata_unmapped_at(unmapped, i, &what, &why) == SEGUE_OK &&
            strncasecmp(what, prefix, strlen(prefix)) == 0)
            n++;
    }
    return n;
}

static int has_value(const segue_metadata *m, const char *key, const char *value)
{
    for (size_t i = 0; i < segue_metadata_count(m, key); i++)
        if (strcmp(segue_metadata_get(m, key, i), value) == 0)
            return 1;
    return 0;
}

/* Tags: every text field given and not reported unmapped is present with
 * the same value. Returns the number of problems printed. */
static int verify_tags(const verify_plan *vp, const segue_metadata *got)
{
    int bad = 0;
    for (size_t i = 0; i < segue_metadata_field_count(vp->given); i++) {
        const char *key, *value;
        if (segue_metadata_field_at(vp->given, i, &key, &value) != SEGUE_OK ||
            is_unmapped(vp->unmapped, key) || has_value(got, key, value))
            continue;
        const char *other = segue_metadata_get(got, key, 0);
        if (other)
            fprintf(stderr, "segue: verify: tag %s is '%s' in the output, expected '%s'\n", key,
                    other, value);
        else
            fprintf(stderr, "segue: verify: tag %s ('%s') is missing from the output\n", key,
                    value);
        bad++;
    }
    return bad;
}

/* Loudness values when normalising (tag mode): the track gain written
 * matches the measurement. Tag formats round (ID3 text to 0.01 dB, R128
 * to 1/256 dB), hence the tolerance. */
static int verify_loudness(const verify_plan *vp, const segue_metadata *got)
{
    if (vp->normalize == SEGUE_NORMALIZE_OFF || vp->apply_gain || !vp->stats.has_loudness ||
        !isfinite(vp->stats.integrated_lufs))
        return 0;
    if (is_unmapped(vp->unmapped, "REPLAYGAIN") || is_unmapped(vp->unmapped, "R128"))
        return 0; /* reported as not carried */
    segue_loudness l;
    segue_metadata_get_loudness(got, &l);
    double rg = -18.0 - vp->stats.integrated_lufs, r128 = -23.0 - vp->stats.integrated_lufs;
    const double tol = 0.02;
    if (l.has_r128_track && fabs(l.r128_track_gain_db - r128) <= tol)
        return 0;
    if (l.has_track_gain && fabs(l.track_gain_db - rg) <= tol)
        return 0;
    if (!l.has_r128_track && !l.has_track_gain)
        fprintf(stderr, "segue: verify: the output has no loudness tags\n");
    else
        fprintf(stderr,
                "segue: verify: the loudness tags (%.2f dB) do not match the measured %.2f "
                "LUFS\n",
                l.has_r128_track ? l.r128_track_gain_db : l.track_gain_db,
                vp->stats.integrated_lufs);
    return 1;
}

/* Pictures: the count, and identical bytes for those not re-encoded. */
static int verify_pictures(const verify_plan *vp, const segue_metadata *got)
{
    size_t given = segue_metadata_picture_count(vp->given);
    size_t dropped = unmapped_count_of(vp->unmapped, "PICTURE");
    size_t expect = given > dropped ? given - dropped : 0;
    size_t have = segue_metadata_picture_count(got);
    if (have != expect) {
        fprintf(stderr, "segue: verify: the output has %zu picture(s), expected %zu\n", have,
                expect);
        return 1;
    }
    if (dropped)
        return 0; /* which ones went is not known: the count is what is checked */
    int bad = 0;
    for (size_t i = 0; i < given; i++) {
        segue_picture p;
        if (segue_metadata_picture_at(vp->given, i, &p) != SEGUE_OK ||
            (vp->limits_set && segue_picture_needs_fit(&p, &vp->limits)))
            continue;
        int found = 0;
        for (size_t k = 0; k < have && !found; k++) {
            segue_picture q;
            found = segue_metadata_picture_at(got, k, &q) == SEGUE_OK && q.size == p.size &&
                    memcmp(q.data, p.data, p.size) == 0;
        }
        if (!found) {
            fprintf(stderr, "segue: verify: picture %zu (%zu bytes) changed in the output\n",
                    i + 1, p.size);
            bad++;
        }
    }
    return bad;
}

/* Decodes the written output again and checks it against the plan. */
static int verify_output(const char *path, const verify_plan *vp)
{
    segue_io io;
    if (segue_io_from_path(&io, path) < 0) {
        fprintf(stderr, "segue: verify: cannot reopen the output\n");
        return EXIT_IOERR;
    }
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, &io, NULL);
    if (st < 0) {
        fprintf(stderr, "segue: verify: the output cannot be read back: %s\n",
                segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return EXIT_SOFTWARE;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    float buf[4096];
    size_t cap = sizeof buf / sizeof buf[0] / info->channels;
    uint64_t total = 0, full_scale = 0;
    size_t got;
    while ((st = segue_decoder_read_f32(d, buf, cap, &got)) == SEGUE_OK) {
        total += got;
        /* Full scale: within one 16-bit step of +-1. */
        for (size_t i = 0; i < got * info->channels; i++)
            full_scale += fabsf(buf[i]) >= 1.0f - 1.0f / 32768.0f;
    }
    if (st < 0) {
        fprintf(stderr, "segue: verify: decoding the output failed: %s\n",
                segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return EXIT_SOFTWARE;
    }
    int bad = 0;
    if (total != vp->stats.output_frames) {
        fprintf(stderr, "segue: verify: the output has %llu frames, expected %llu\n",
                (unsigned long long)total, (unsigned long long)vp->stats.output_frames);
        bad++;
    }
    const char *concealed_last = "";
    uint64_t concealed = segue_decoder_concealed(d, &concealed_last);
    if (concealed) {
        fprintf(stderr, "segue: verify: %llu packet(s) of the output are damaged (last: %s)\n",
                (unsigned long long)concealed, concealed_last);
        bad++;
    }
    const segue_metadata *meta = segue_decoder_metadata(d);
    bad += verify_tags(vp, meta);
    bad += verify_loudness(vp, meta);
    bad += verify_pictures(vp, meta);
    segue_decoder_destroy(d);
    if (vp->stats.clipped_samples || full_scale)
        fprintf(stderr,
                "segue: warning: clipping: %llu sample(s) clipped in the conversion, %llu at "
                "full scale in the output\n",
                (unsigned long long)vp->stats.clipped_samples, (unsigned long long)full_scale);
    if (bad)
        return EXIT_SOFTWARE;
    fprintf(stderr, "segue: verify: %llu frames, tags and pictures ok\n", (unsigned long long)total);
    return EXIT_OK;
}

/* ---- the conversion ------------------------------------------------------ */

/* decode's default depth: keep what the source has, in s16, s24 or f32. */
static segue_sample_format decode_default_format(const segue_stream_info *in)
{
    segue_sample_format f = in->source_format;
    if (f == SEGUE_SAMPLE_F32 || f == SEGUE_SAMPLE_F64)
        return SEGUE_SAMPLE_F32;
    return segue_sample_format_bits(f) > 16 ? SEGUE_SAMPLE_S24 : SEGUE_SAMPLE_S16;
}

/* Applies the command-line options over the profile's settings in cfg. */
static int apply_options(const char *cmd, const convert_options *o, const segue_stream_info *in,
                         segue_transcode_config *cfg)
{
    segue_encoder_config *e = &cfg->encoder;
    if (o->container) {
        e->container = o->container;
        e->codec = o->codec;
    }
    if (o->format != SEGUE_SAMPLE_NONE)
        e->sample_format = o->format;
    if (o->bitrate_kbps)
        e->bitrate = (uint32_t)(o->bitrate_kbps * 1000);
    if (o->quality == o->quality)
        e->quality = o->quality;
    if (o->compression_level >= 0)
        e->compression_level = o->compression_level;
    if (o->mode != SEGUE_RC_DEFAULT)
        e->rate_control = o->mode;
    if (o->stereo != SEGUE_STEREO_DEFAULT)
        e->stereo_mode = o->stereo;
    if (o->id3v2_version)
        e->id3v2_version = o->id3v2_version;
    if (o->rate)
        e->sample_rate = (uint32_t)o->rate;
    if (o->channels)
        e->channels = (uint32_t)o->channels;
    uint32_t rate = in->sample_rate;
    if (o->start.set) {
        cfg->start_frame = time_to_frames(&o->start, rate, 1);
        if (in->frames >= 0 && cfg->start_frame > 0 && cfg->start_frame >= in->frames)
            return cli_usage_error(cmd, "convert: --start is past the end of the input (%.3f s "
                                        "long)",
                                   (double)in->frames / rate);
    }
    if (o->duration.set) {
        cfg->duration_frames = time_to_frames(&o->duration, rate, 1);
        if (cfg->duration_frames <= 0)
            return cli_usage_error(cmd, "convert: --duration must be longer than one sample");
    }
    if (o->fade_in.set)
        cfg->fade_in_frames = time_to_frames(&o->fade_in, rate, 1000);
    if (o->fade_out.set)
        cfg->fade_out_frames = time_to_frames(&o->fade_out, rate, 1000);
    if (o->gain_set)
        cfg->gain_db = o->gain_db;
    if (o->normalize >= 0)
        cfg->normalize = (segue_normalize_mode)o->normalize;
    if (o->apply_gain)
        cfg->apply_gain = 1;
    if (cfg->apply_gain && cfg->normalize == SEGUE_NORMALIZE_OFF)
        return cli_usage_error(cmd, "convert: --apply-gain needs --normalize r128 or replaygain");
    if (o->limiter) {
        cfg->limiter = 1;
        cfg->limiter_ceiling_dbtp = o->limit_dbtp;
    }
    if (o->dither >= 0)
        cfg->dither = (segue_dither_mode)o->dither;
    if (o->resample_quality >= 0)
        cfg->resample_quality = (segue_resample_quality)o->resample_quality;
    return 0;
}

/* Loads --profile / --profile-file; 0 or an exit code. */
static int load_profile(const convert_options *o, const segue_profile **builtin,
                        segue_profile **parsed)
{
    *builtin = NULL;
    *parsed = NULL;
    if (o->profile_name) {
        *builtin = segue_profile_find(o->profile_name);
        if (!*builtin) {
            fprintf(stderr, "segue: convert: unknown profile '%s'; the profiles are:",
                    o->profile_name);
            for (size_t i = 0; i < segue_profile_count(); i++)
                fprintf(stderr, " %s", segue_profile_name(segue_profile_at(i)));
            fputc('\n', stderr);
            return EXIT_USAGE;
        }
        return 0;
    }
    if (!o->profile_file)
        return 0;
    FILE *f = fopen(o->profile_file, "rb");
    if (!f) {
        fprintf(stderr, "segue: %s: cannot open: %s\n", o->profile_file, strerror(errno));
        return EXIT_NOINPUT;
    }
    /* Profiles are a few dozen lines; anything past 64 KiB is not one. */
    enum { PROFILE_MAX = 64 * 1024 };
    char *text = segue_mem_alloc(NULL, PROFILE_MAX + 1);
    size_t n = text ? fread(text, 1, PROFILE_MAX + 1, f) : 0;
    int read_error = ferror(f);
    fclose(f);
    if (!text) {
        fprintf(stderr, "segue: out of memory\n");
        return EXIT_OSERR;
    }
    if (read_error || n > PROFILE_MAX) {
        segue_mem_free(NULL, text);
        fprintf(stderr, "segue: %s: %s\n", o->profile_file,
                read_error ? "read error" : "too large for a profile (over 64 KiB)");
        return read_error ? EXIT_NOINPUT : EXIT_DATAERR;
    }
    char why[256] = "";
    segue_status st = segue_profile_parse(parsed, text, n, NULL, why, sizeof why);
    segue_mem_free(NULL, text);
    if (st < 0) {
        /* As batch and check: a profile file that is not valid is bad
         * input data (65); an unknown profile name is a usage error. */
        fprintf(stderr, "segue: %s: %s\n", o->profile_file, why[0] ? why : segue_status_str(st));
        return EXIT_DATAERR;
    }
    return 0;
}

static int run_transcode(const char *cmd, const convert_options *o, int decode_defaults,
                         const segue_profile *profile)
{
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

    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    /* The profile first, then the explicit options over it. */
    if (profile && (st = segue_profile_apply(profile, in->sample_rate, &cfg)) < 0) {
        segue_decoder_destroy(d);
        fprintf(stderr, "segue: %s: profile '%s' cannot be applied: %s\n", o->input,
                segue_profile_name(profile), segue_status_str(st));
        return cli_exit_code(st);
    }
    if ((rc = apply_options(cmd, o, in, &cfg))) {
        segue_decoder_destroy(d);
        return rc;
    }
    if (cfg.encoder.sample_format == SEGUE_SAMPLE_NONE && cfg.encoder.container &&
        strcmp(cfg.encoder.container, "flac") == 0)
        /* FLAC stores integers up to 24 bits here: keep 16-bit sources 16. */
        cfg.encoder.sample_format = segue_sample_format_bits(in->source_format) <= 16 &&
                                            in->source_format != SEGUE_SAMPLE_F32
                                        ? SEGUE_SAMPLE_S16
                                        : SEGUE_SAMPLE_S24;
    if (decode_defaults && o->format == SEGUE_SAMPLE_NONE)
        cfg.encoder.sample_format = decode_default_format(in);
    if (!cfg.encoder.id3v2_version)
        cfg.encoder.id3v2_version = 3;

    cli_output out;
    rc = cli_output_open(&out, o->output, o->input);
    if (rc) {
        segue_decoder_destroy(d);
        return rc;
    }
    if (o->verify && !out.temp_path) {
        cli_output_discard(&out);
        segue_decoder_destroy(d);
        return cli_usage_error(cmd, "convert: --verify needs a regular file output to read back");
    }
    segue_io dst;
    /* The sink only flushes on close; cli_output_commit() closes the file
     * and sees write errors that surface at fclose(). */
    segue_io_from_stdio(&dst, out.file, out.seekable, 0);

    verify_plan vp;
    memset(&vp, 0, sizeof vp);
    vp.normalize = cfg.normalize;
    vp.apply_gain = cfg.apply_gain;
    vp.limits.max_width = cfg.picture_max_width;
    vp.limits.max_height = cfg.picture_max_height;
    vp.limits.max_bytes = cfg.picture_max_bytes;
    vp.limits.jpeg_only = cfg.picture_jpeg_only;
    vp.limits_set = cfg.picture_max_width || cfg.picture_max_height || cfg.picture_max_bytes ||
                    cfg.picture_jpeg_only;
    const segue_metadata *given = cfg.encoder.metadata ? cfg.encoder.metadata
                                                       : segue_decoder_metadata(d);
    if (segue_metadata_create(&vp.given, NULL) < 0 || segue_metadata_create(&vp.unmapped, NULL) < 0 ||
        segue_metadata_copy(vp.given, given) < 0) {
        segue_metadata_destroy(vp.given);
        segue_metadata_destroy(vp.unmapped);
        segue_decoder_destroy(d);
        cli_output_discard(&out);
        fprintf(stderr, "segue: out of memory\n");
        return EXIT_OSERR;
    }

    segue_transcoder *t = NULL;
    st = segue_transcoder_open_decoder(&t, d, &dst, &cfg);
    if (st >= 0)
        st = segue_transcoder_run(t, NULL, NULL);
    if (st < 0) {
        rc = cli_fail(st, o->input, segue_transcoder_last_error(t));
        segue_transcoder_destroy(t);
        cli_output_discard(&out);
        segue_metadata_destroy(vp.given);
        segue_metadata_destroy(vp.unmapped);
        return rc;
    }
    const segue_metadata *unmapped = segue_transcoder_unmapped(t);
    for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
        const char *what, *why;
        segue_metadata_unmapped_at(unmapped, i, &what, &why);
        fprintf(stderr, "segue: warning: %s not carried over (%s)\n", what, why);
        segue_metadata_add_unmapped(vp.unmapped, what, why);
    }
    if (vp.limits_set) {
        unsigned refit = 0;
        for (size_t i = 0; i < segue_metadata_picture_count(vp.given); i++) {
            segue_picture p;
            if (segue_metadata_picture_at(vp.given, i, &p) == SEGUE_OK &&
                segue_picture_needs_fit(&p, &vp.limits))
                refit++;
        }
        size_t dropped = unmapped_count_of(vp.unmapped, "PICTURE");
        refit = refit > dropped ? refit - (unsigned)dropped : 0;
        if (refit)
            fprintf(stderr, "segue: note: %u picture(s) re-encoded to fit the picture limits\n",
                    refit);
    }
    segue_transcoder_stats(t, &vp.stats);
    {
        /* A stream that ends before the length its header declares is
         * truncated: the output holds what was there (as ffmpeg and sox
         * do), and the user is told. */
        const segue_stream_info *info = segue_transcoder_input_info(t);
        int64_t want = info && info->frames >= 0 ? info->frames - cfg.start_frame : -1;
        if (want >= 0 && cfg.duration_frames >= 0 && cfg.duration_frames < want)
            want = cfg.duration_frames;
        if (want > 0 && vp.stats.input_frames < (uint64_t)want)
            fprintf(stderr,
                    "segue: warning: %s is truncated: it ended after %llu of the %lld frames "
                    "its header declares\n",
                    o->input, (unsigned long long)vp.stats.input_frames, (long long)want);
        /* Damage the decoder concealed: converted anyway, as ffmpeg does,
         * but never silently. */
        if (vp.stats.concealed_packets)
            fprintf(stderr, "segue: warning: %s is damaged: %llu packet(s) concealed (last: %s)\n",
                    o->input, (unsigned long long)vp.stats.concealed_packets,
                    vp.stats.concealed_last);
    }
    segue_transcoder_destroy(t);
    if (vp.stats.clipped_samples && !o->verify)
        fprintf(stderr, "segue: warning: %llu sample(s) clipped\n",
                (unsigned long long)vp.stats.clipped_samples);
    rc = 0;
    if (o->verify) {
        if (fflush(out.file) != 0) {
            fprintf(stderr, "segue: %s: write failed: %s\n", o->output, strerror(errno));
            rc = EXIT_IOERR;
        } else {
            rc = verify_output(out.temp_path, &vp);
        }
    }
    segue_metadata_destroy(vp.given);
    segue_metadata_destroy(vp.unmapped);
    if (rc) {
        cli_output_discard(&out);
        return rc;
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
    o->normalize = -1;
    o->dither = -1;
    o->resample_quality = -1;
    o->limit_dbtp = -1.0;
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
    return run_transcode("decode ", &o, 1, NULL);
}

/* Parses one convert option at argv[*i]; returns 1 if taken, 0 if not an
 * option of convert, or -exit code on a bad value. */
static int parse_option(convert_options *o, const char **codec_name, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v;
    int rc = 0;
#define VALUE(name) (v = option_value(argc, argv, i, name))
    if (is_option(a, "--codec")) {
        if (!VALUE("--codec"))
            return -cli_usage_error("convert ", "convert: --codec needs a name");
        *codec_name = v;
    } else if (is_option(a, "--profile")) {
        if (!VALUE("--profile") || !*v)
            return -cli_usage_error("convert ", "convert: --profile needs a name");
        o->profile_name = v;
    } else if (is_option(a, "--profile-file")) {
        if (!VALUE("--profile-file") || !*v)
            return -cli_usage_error("convert ", "convert: --profile-file needs a file");
        o->profile_file = v;
    } else if (is_option(a, "--bitrate")) {
        rc = parse_ulong("convert ", "--bitrate", VALUE("--bitrate"), 1024, &o->bitrate_kbps);
    } else if (is_option(a, "--quality")) {
        char *end = NULL;
        VALUE("--quality");
        o->quality = v ? strtof(v, &end) : NAN;
        if (!v || !*v || *end || o->quality != o->quality)
            return -cli_usage_error("convert ", "convert: --quality needs a number");
    } else if (is_option(a, "--compression")) {
        unsigned long level = 0;
        VALUE("--compression");
        if (!(v && strcmp(v, "0") == 0) && parse_ulong("convert ", "--compression", v, 8, &level))
            return -EXIT_USAGE;
        o->compression_level = (int)level;
    } else if (is_option(a, "--mode")) {
        VALUE("--mode");
        if (v && strcmp(v, "cbr") == 0)
            o->mode = SEGUE_RC_CBR;
        else if (v && strcmp(v, "abr") == 0)
            o->mode = SEGUE_RC_ABR;
        else if (v && strcmp(v, "vbr") == 0)
            o->mode = SEGUE_RC_VBR;
        else
            return -cli_usage_error("convert ", "convert: --mode must be cbr, abr or vbr");
    } else if (is_option(a, "--stereo")) {
        VALUE("--stereo");
        if (v && strcmp(v, "joint") == 0)
            o->stereo = SEGUE_STEREO_JOINT;
        else if (v && strcmp(v, "plain") == 0)
            o->stereo = SEGUE_STEREO_PLAIN;
        else if (v && strcmp(v, "mono") == 0)
            o->stereo = SEGUE_STEREO_MONO;
        else
            return -cli_usage_error("convert ", "convert: --stereo must be joint, plain or mono");
    } else if (strcmp(a, "--id3v2.4") == 0) {
        o->id3v2_version = 4;
    } else if (is_option(a, "--format")) {
        o->format = segue_sample_format_parse(VALUE("--format"));
        if (o->format == SEGUE_SAMPLE_NONE || o->format == SEGUE_SAMPLE_S8)
            return -cli_usage_error("convert ", "convert: --format must be u8, s16, s24, s32, f32 or f64");
    } else if (is_option(a, "--rate")) {
        rc = parse_ulong("convert ", "--rate", VALUE("--rate"), 768000, &o->rate);
    } else if (is_option(a, "--channels")) {
        rc = parse_ulong("convert ", "--channels", VALUE("--channels"), 32, &o->channels);
    } else if (strcmp(a, "--verify") == 0) {
        o->verify = 1;
    } else if (is_option(a, "--start")) {
        rc = parse_time("--start", VALUE("--start"), &o->start);
    } else if (is_option(a, "--duration")) {
        rc = parse_time("--duration", VALUE("--duration"), &o->duration);
    } else if (is_option(a, "--fade")) {
        rc = parse_ms("--fade", VALUE("--fade"), &o->fade_in);
        o->fade_out = o->fade_in;
    } else if (is_option(a, "--fade-in")) {
        rc = parse_ms("--fade-in", VALUE("--fade-in"), &o->fade_in);
    } else if (is_option(a, "--fade-out")) {
        rc = parse_ms("--fade-out", VALUE("--fade-out"), &o->fade_out);
    } else if (is_option(a, "--gain")) {
        rc = parse_double("--gain", VALUE("--gain"), -60.0, 60.0, &o->gain_db);
        o->gain_set = 1;
    } else if (is_option(a, "--normalize")) {
        o->normalize = segue_normalize_mode_parse(VALUE("--normalize"));
        if (o->normalize < 0)
            return -cli_usage_error("convert ", "convert: --normalize must be off, r128 or replaygain");
    } else if (strcmp(a, "--apply-gain") == 0) {
        o->apply_gain = 1;
    } else if (is_option(a, "--limit")) {
        /* Only --limit=DBTP takes a value: "--limit -2" would be ambiguous. */
        o->limiter = 1;
        if (a[7] == '=')
            rc = parse_double("--limit", a + 8, -20.0, 0.0, &o->limit_dbtp);
    } else if (is_option(a, "--dither")) {
        o->dither = segue_dither_mode_parse(VALUE("--dither"));
        if (o->dither < 0)
            return -cli_usage_error("convert ", "convert: --dither must be auto, none, tpdf or shaped");
    } else if (is_option(a, "--resample-quality")) {
        o->resample_quality = segue_resample_quality_parse(VALUE("--resample-quality"));
        if (o->resample_quality < 0)
            return -cli_usage_error("convert ", "convert: --resample-quality must be quick, low, "
                                                "medium, high or very-high");
    } else {
        return 0;
    }
#undef VALUE
    return rc ? -rc : 1;
}

int cli_convert(int argc, char **argv)
{
    convert_options o;
    init_options(&o);
    const char *codec_name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            convert_help(stdout);
            return EXIT_OK;
        }
        if (strcmp(a, "--version") == 0)
            return cli_print_version();
        int taken = parse_option(&o, &codec_name, argc, argv, &i);
        if (taken < 0)
            return -taken;
        if (taken)
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
    if (o.profile_name && o.profile_file)
        return cli_usage_error("convert ", "convert: give --profile or --profile-file, not both");
    if (o.verify && strcmp(o.output, "-") == 0)
        return cli_usage_error("convert ", "convert: --verify needs a file output, not '-' (it "
                                           "reads the output back)");

    const segue_profile *builtin = NULL;
    segue_profile *parsed = NULL;
    int rc = load_profile(&o, &builtin, &parsed);
    if (rc)
        return rc;
    const segue_profile *profile = builtin ? builtin : parsed;

    /* The output format: --codec, else OUT's extension, else the profile's. */
    const struct output_format *fmt = NULL;
    const char *ext = strcmp(o.output, "-") == 0 ? "" : path_extension(o.output);
    if (codec_name) {
        fmt = output_by_codec(codec_name);
        if (!fmt) {
            segue_profile_destroy(parsed);
            return cli_usage_error("convert ", "convert: unknown codec '%s'", codec_name);
        }
        /* A codec with several containers (aac: m4a, adts): OUT's
         * extension picks among them. */
        const struct output_format *by_ext = *ext ? output_by_ext(ext) : NULL;
        if (by_ext && strcasecmp(by_ext->codec_option, fmt->codec_option) == 0)
            fmt = by_ext;
    } else if (*ext && (fmt = output_by_ext(ext)) != NULL) {
        const char *pext = profile ? segue_profile_extension(profile) : NULL;
        if (pext && output_by_ext(pext) != fmt) {
            rc = cli_usage_error("convert ",
                                 "convert: OUT's extension .%s does not match profile '%s', "
                                 "which writes .%s; rename OUT or give --codec",
                                 ext, segue_profile_name(profile), pext);
            segue_profile_destroy(parsed);
            return rc;
        }
    } else if (profile) {
        const char *pext = segue_profile_extension(profile);
        fmt = pext ? output_by_ext(pext) : NULL;
    } else if (!*ext && strcmp(o.output, "-") == 0) {
        fmt = output_by_codec("wav");
    }
    if (!fmt) {
        segue_profile_destroy(parsed);
        return cli_usage_error("convert ",
                               "convert: cannot tell the output format from '%s'; use --codec",
                               o.output);
    }
    if (!fmt->container) {
        segue_profile_destroy(parsed);
        fprintf(stderr, "segue: convert: %s output is not available in this version\n",
                fmt->codec_option);
        return EXIT_UNAVAILABLE;
    }
    /* With a profile its own container and codec stand unless --codec says
     * otherwise (they name the same format: checked above). */
    if (!profile || codec_name) {
        o.container = fmt->container;
        o.codec = fmt->codec;
    }
    rc = 0;
    if (fmt->lossy && o.format != SEGUE_SAMPLE_NONE)
        rc = cli_usage_error("convert ", "convert: --format applies to PCM and FLAC outputs only");
    else if (!fmt->lossy && (o.bitrate_kbps || o.quality == o.quality || o.mode != SEGUE_RC_DEFAULT))
        rc = cli_usage_error("convert ", "convert: --bitrate, --quality and --mode apply to "
                                         "lossy outputs (mp3, vorbis, opus, aac) only");
    else if (o.compression_level >= 0 && strcmp(fmt->container, "flac") != 0)
        rc = cli_usage_error("convert ", "convert: --compression applies to FLAC output only");
    else if (strcmp(fmt->container, "raw") == 0 && o.format == SEGUE_SAMPLE_NONE)
        rc = cli_usage_error("convert ", "convert: raw output needs --format");
    else if (strcmp(fmt->container, "raw") == 0 && o.verify)
        rc = cli_usage_error("convert ", "convert: --verify cannot read raw output back (it has "
                                         "no header)");
    if (!rc)
        rc = run_transcode("convert ", &o, 0, profile);
    segue_profile_destroy(parsed);
    return rc;
}
