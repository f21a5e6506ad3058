/*
 * tests/flac/flac_tool.c - a small driver of the segue library API for the
 * FLAC oracle tests (test_flac_oracle.py), usable until the CLI speaks FLAC:
 *
 *   flac_tool decode IN OUT.raw [--strict] [--pipe] [--container NAME]
 *       Decodes IN and writes the samples as little-endian signed integers of
 *       ceil(bits/8) bytes (the source bit depth, like `flac -d
 *       --force-raw-format --endian=little --sign=signed`). Prints one JSON
 *       line: status, detail, rate, channels, bits, frames, declared frames.
 *   flac_tool encode IN OUT [--level N] [--pipe] [--format FMT] [--announce]
 *       Transcodes IN to FLAC (OUT through a non-seekable io with --pipe;
 *       --announce tells the encoder the length). Prints a JSON status line.
 *   flac_tool seekcheck IN COUNT SEED
 *       Decodes IN fully, then seeks to COUNT pseudo-random frames (plus the
 *       edges) and compares 3000 frames from each with the full decode.
 *   flac_tool tags IN
 *       Prints the metadata as JSON (fields, pictures, loudness, unmapped).
 *   flac_tool retag IN OUT
 *       Transcodes IN (any format) to FLAC carrying its tags and pictures.
 *
 * Exit status: 0 when the operation succeeded, 1 on a library error, 2 on a
 * comparison failure, 64 on usage errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "core/alloc.h"

static int usage(void)
{
    fprintf(stderr, "usage: flac_tool decode|encode|seekcheck|tags|retag ...\n");
    return 64;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static segue_status open_input(const char *path, int pipe, int strict, const char *container,
                               segue_decoder **d)
{
    segue_io io;
    segue_status st;
    if (pipe) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return SEGUE_ERR_OPEN;
        st = segue_io_from_stdio(&io, f, 0, 1);
    } else {
        st = segue_io_from_path(&io, path);
    }
    if (st < 0)
        return st;
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    cfg.container = container;
    return segue_decoder_open(d, &io, &cfg);
}

/* Reads the whole stream as float; returns the frame count or -1. */
static int64_t read_all(segue_decoder *d, float **out, segue_status *status)
{
    const segue_stream_info *in = segue_decoder_info(d);
    size_t ch = in->channels, cap = 1u << 16, n = 0;
    float *buf = segue_mem_alloc(NULL, cap * ch * sizeof(float));
    *status = SEGUE_OK;
    if (!buf)
        return -1;
    for (;;) {
        if (cap - n < 4096) {
            float *nb = segue_mem_realloc(NULL, buf, cap * ch * sizeof(float), 2 * cap * ch * sizeof(float));
            if (!nb) {
                segue_mem_free(NULL, buf);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, buf + n * ch, 4096, &got);
        n += got;
        if (st != SEGUE_OK) {
            *status = st == SEGUE_END_OF_STREAM ? SEGUE_OK : st;
            break;
        }
    }
    *out = buf;
    return (int64_t)n;
}

static int cmd_decode(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    int strict = 0, pipe = 0;
    const char *container = NULL;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--strict") == 0)
            strict = 1;
        else if (strcmp(argv[i], "--pipe") == 0)
            pipe = 1;
        else if (strcmp(argv[i], "--container") == 0 && i + 1 < argc)
            container = argv[++i];
        else
            return usage();
    }
    segue_decoder *d = NULL;
    segue_status st = open_input(argv[2], pipe, strict, container, &d);
    if (st < 0) {
        printf("{\"status\": \"%s\", \"detail\": ", segue_status_name(st));
        json_str(stdout, segue_decoder_last_error(d));
        printf("}\n");
        segue_decoder_destroy(d);
        return 1;
    }
    const segue_stream_info *in = segue_decoder_info(d);
    float *pcm = NULL;
    segue_status rst;
    int64_t frames = read_all(d, &pcm, &rst);
    if (frames < 0) {
        segue_decoder_destroy(d);
        return 1;
    }
    unsigned bits = in->bits_per_sample ? in->bits_per_sample : 16;
    unsigned bytes = (bits + 7) / 8;
    FILE *f = fopen(argv[3], "wb");
    if (!f) {
        segue_mem_free(NULL, pcm);
        segue_decoder_destroy(d);
        return 1;
    }
    double scale = ldexp(1.0, (int)bits - 1);
    size_t count = (size_t)frames * in->channels;
    for (size_t i = 0; i < count; i++) {
        double v = floor((double)pcm[i] * scale + 0.5);
        if (v > scale - 1)
            v = scale - 1;
        if (v < -scale)
            v = -scale;
        int64_t iv = (int64_t)v;
        uint8_t b[4];
        for (unsigned k = 0; k < bytes; k++)
            b[k] = (uint8_t)((uint64_t)iv >> (8 * k));
        fwrite(b, 1, bytes, f);
    }
    fclose(f);
    printf("{\"status\": \"%s\", \"detail\": ", segue_status_name(rst));
    json_str(stdout, segue_decoder_last_error(d));
    printf(", \"rate\": %u, \"channels\": %u, \"bits\": %u, \"frames\": %lld, \"declared\": %lld, "
           "\"container\": \"%s\", \"codec\": \"%s\", \"format\": \"%s\", \"mask\": %u, \"seekable\": %d}\n",
           in->sample_rate, in->channels, bits, (long long)frames, (long long)in->frames, in->container,
           in->codec, segue_sample_format_name(in->source_format), in->channel_mask, in->seekable);
    segue_mem_free(NULL, pcm);
    segue_decoder_destroy(d);
    return rst < 0 ? 1 : 0;
}

static int transcode(const char *in_path, const char *out_path, int level, int pipe,
                     segue_sample_format fmt)
{
    segue_io src, dst;
    if (segue_io_from_path(&src, in_path) < 0) {
        printf("{\"status\": \"SEGUE_ERR_OPEN\"}\n");
        return 1;
    }
    segue_status st;
    if (pipe) {
        FILE *f = fopen(out_path, "wb");
        if (!f) {
            if (src.close)
                src.close(src.user);
            return 1;
        }
        st = segue_io_from_stdio(&dst, f, 0, 1);
    } else {
        st = segue_io_to_path(&dst, out_path);
    }
    if (st < 0) {
        if (src.close)
            src.close(src.user);
        return 1;
    }
    segue_decoder *d = NULL;
    st = segue_decoder_open(&d, &src, NULL);
    if (st < 0) {
        printf("{\"status\": \"%s\", \"detail\": ", segue_status_name(st));
        json_str(stdout, segue_decoder_last_error(d));
        printf("}\n");
        segue_decoder_destroy(d);
        if (dst.close)
            dst.close(dst.user);
        return 1;
    }
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.encoder.container = "flac";
    cfg.encoder.compression_level = level;
    if (fmt != SEGUE_SAMPLE_NONE)
        cfg.encoder.sample_format = fmt;
    segue_transcoder *t = NULL;
    st = segue_transcoder_open_decoder(&t, d, &dst, &cfg);
    if (st >= 0)
        st = segue_transcoder_run(t, NULL, NULL);
    printf("{\"status\": \"%s\", \"detail\": ", segue_status_name(st));
    json_str(stdout, segue_transcoder_last_error(t));
    printf("}\n");
    segue_transcoder_destroy(t);
    return st < 0 ? 1 : 0;
}

/* Encodes through segue_encoder directly with total_frames announced. */
static int encode_announced(const char *in_path, const char *out_path, int level, int pipe,
                            segue_sample_format fmt)
{
    segue_decoder *d = NULL;
    segue_status st = open_input(in_path, 0, 0, NULL, &d);
    if (st < 0) {
        segue_decoder_destroy(d);
        return 1;
    }
    const segue_stream_info *in = segue_decoder_info(d);
    float *pcm = NULL;
    segue_status rst;
    int64_t frames = read_all(d, &pcm, &rst);
    if (frames < 0 || rst < 0) {
        segue_mem_free(NULL, pcm);
        segue_decoder_destroy(d);
        return 1;
    }
    segue_io dst;
    if (pipe) {
        FILE *f = fopen(out_path, "wb");
        st = f ? segue_io_from_stdio(&dst, f, 0, 1) : SEGUE_ERR_OPEN;
    } else {
        st = segue_io_to_path(&dst, out_path);
    }
    if (st < 0) {
        segue_mem_free(NULL, pcm);
        segue_decoder_destroy(d);
        return 1;
    }
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = "flac";
    cfg.sample_rate = in->sample_rate;
    cfg.channels = in->channels;
    cfg.sample_format = fmt != SEGUE_SAMPLE_NONE ? fmt : in->source_format;
    cfg.total_frames = frames;
    cfg.compression_level = level;
    cfg.metadata = segue_decoder_metadata(d);
    segue_encoder *e = NULL;
    st = segue_encoder_open(&e, &dst, &cfg);
    if (st >= 0)
        st = segue_encoder_write_f32(e, pcm, (size_t)frames);
    if (st >= 0)
        st = segue_encoder_finish(e);
    printf("{\"status\": \"%s\", \"detail\": ", segue_status_name(st));
    json_str(stdout, segue_encoder_last_error(e));
    printf("}\n");
    segue_encoder_destroy(e);
    segue_mem_free(NULL, pcm);
    segue_decoder_destroy(d);
    return st < 0 ? 1 : 0;
}

static int cmd_encode(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    int level = -1, pipe = 0, announce = 0;
    segue_sample_format fmt = SEGUE_SAMPLE_NONE;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--level") == 0 && i + 1 < argc)
            level = atoi(argv[++i]);
        else if (strcmp(argv[i], "--pipe") == 0)
            pipe = 1;
        else if (strcmp(argv[i], "--announce") == 0)
            announce = 1;
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            fmt = segue_sample_format_parse(argv[++i]);
        else
            return usage();
    }
    if (announce)
        return encode_announced(argv[2], argv[3], level, pipe, fmt);
    return transcode(argv[2], argv[3], level, pipe, fmt);
}

/* xorshift64*: reproducible positions. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static int cmd_seekcheck(int argc, char **argv)
{
    if (argc < 5)
        return usage();
    int count = atoi(argv[3]);
    uint64_t seed = strtoull(argv[4], NULL, 10) | 1;
    segue_decoder *d = NULL;
    segue_status st = open_input(argv[2], 0, 1, NULL, &d);
    if (st < 0) {
        printf("open failed: %s\n", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return 1;
    }
    const segue_stream_info *in = segue_decoder_info(d);
    unsigned ch = in->channels;
    float *all = NULL;
    segue_status rst;
    int64_t total = read_all(d, &all, &rst);
    if (total <= 0 || rst < 0) {
        printf("full decode failed: %s\n", segue_decoder_last_error(d));
        segue_mem_free(NULL, all);
        segue_decoder_destroy(d);
        return 1;
    }
    enum { SPAN = 3000 };
    float *buf = segue_mem_alloc(NULL, (size_t)SPAN * ch * sizeof(float));
    int failures = 0;
    for (int k = 0; k < count + 4 && buf; k++) {
        int64_t target;
        switch (k) {
        case 0: target = 0; break;
        case 1: target = total - 1; break;
        case 2: target = total / 2; break;
        case 3: target = total; break;
        default: target = (int64_t)(next_rand(&seed) % (uint64_t)total); break;
        }
        st = segue_decoder_seek(d, target);
        if (st < 0) {
            printf("seek to %lld failed: %s\n", (long long)target, segue_decoder_last_error(d));
            failures++;
            break;
        }
        size_t want = (size_t)(total - target < SPAN ? total - target : SPAN), got = 0;
        if (want == 0) {
            st = segue_decoder_read_f32(d, buf, 16, &got);
            if (st != SEGUE_END_OF_STREAM || got) {
                printf("seek to the end: read returned %s, %zu frames\n", segue_status_name(st), got);
                failures++;
            }
            continue;
        }
        size_t done = 0;
        while (done < want) {
            st = segue_decoder_read_f32(d, buf + done * ch, want - done, &got);
            if (st != SEGUE_OK)
                break;
            done += got;
        }
        if (done != want || memcmp(buf, all + (size_t)target * ch, want * ch * sizeof(float)) != 0) {
            printf("seek to %lld: %zu of %zu frames, samples %s\n", (long long)target, done, want,
                   done == want ? "differ" : "missing");
            failures++;
        }
    }
    printf("%d seeks, %d failures\n", count + 4, failures);
    segue_mem_free(NULL, buf);
    segue_mem_free(NULL, all);
    segue_decoder_destroy(d);
    return failures ? 2 : 0;
}

static int cmd_tags(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    segue_decoder *d = NULL;
    segue_status st = open_input(argv[2], 0, 0, NULL, &d);
    if (st < 0) {
        printf("{\"status\": \"%s\", \"detail\": ", segue_status_name(st));
        json_str(stdout, segue_decoder_last_error(d));
        printf("}\n");
        segue_decoder_destroy(d);
        return 1;
    }
    const segue_metadata *m = segue_decoder_metadata(d);
    printf("{\"status\": \"SEGUE_OK\", \"fields\": [");
    for (size_t i = 0; i < segue_metadata_field_count(m); i++) {
        const char *k, *v;
        segue_metadata_field_at(m, i, &k, &v);
        printf("%s[", i ? ", " : "");
        json_str(stdout, k);
        printf(", ");
        json_str(stdout, v);
        printf("]");
    }
    printf("], \"pictures\": [");
    for (size_t i = 0; i < segue_metadata_picture_count(m); i++) {
        segue_picture p;
        segue_metadata_picture_at(m, i, &p);
        /* FNV-1a of the bytes: enough to compare with the file's. */
        uint64_t h = 1469598103934665603ULL;
        for (size_t k = 0; k < p.size; k++)
            h = (h ^ p.data[k]) * 1099511628211ULL;
        printf("%s{\"type\": %u, \"mime\": ", i ? ", " : "", p.type);
        json_str(stdout, p.mime);
        printf(", \"description\": ");
        json_str(stdout, p.description);
        printf(", \"width\": %u, \"height\": %u, \"size\": %zu, \"fnv\": \"%016llx\"}", p.width, p.height,
               p.size, (unsigned long long)h);
    }
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    printf("], \"loudness\": {");
    int first = 1;
#define LOUD(flag, name, val)                                                                      \
    if (l.flag) {                                                                                  \
        printf("%s\"%s\": %.6f", first ? "" : ", ", name, l.val);                                  \
        first = 0;                                                                                 \
    }
    LOUD(has_track_gain, "track_gain", track_gain_db)
    LOUD(has_track_peak, "track_peak", track_peak)
    LOUD(has_album_gain, "album_gain", album_gain_db)
    LOUD(has_album_peak, "album_peak", album_peak)
    LOUD(has_r128_track, "r128_track", r128_track_gain_db)
    LOUD(has_r128_album, "r128_album", r128_album_gain_db)
#undef LOUD
    printf("}, \"unmapped\": [");
    for (size_t i = 0; i < segue_metadata_unmapped_count(m); i++) {
        const char *w, *r;
        segue_metadata_unmapped_at(m, i, &w, &r);
        printf("%s[", i ? ", " : "");
        json_str(stdout, w);
        printf(", ");
        json_str(stdout, r);
        printf("]");
    }
    printf("], \"mask\": %u}\n", segue_decoder_info(d)->channel_mask);
    segue_decoder_destroy(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "decode") == 0)
        return cmd_decode(argc, argv);
    if (strcmp(argv[1], "encode") == 0)
        return cmd_encode(argc, argv);
    if (strcmp(argv[1], "seekcheck") == 0)
        return cmd_seekcheck(argc, argv);
    if (strcmp(argv[1], "tags") == 0)
        return cmd_tags(argc, argv);
    if (strcmp(argv[1], "retag") == 0)
        return argc < 4 ? usage() : transcode(argv[2], argv[3], -1, 0, SEGUE_SAMPLE_NONE);
    return usage();
}
