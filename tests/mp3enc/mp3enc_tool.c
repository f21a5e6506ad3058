/*
 * tests/mp3enc/mp3enc_tool.c - drives the MP3 encoder and the tag readers
 * through the public API for test_mp3enc.py / test_tags.py.
 *
 *   mp3enc_tool encode IN.wav OUT.mp3 [options]
 *       WAV (read with segue_decoder) -> MP3 (segue_encoder, container "mp3").
 *       --pipe            write through an io without seek (a pipe)
 *       --total           announce total_frames (from the WAV header)
 *       --total-frames N  announce N (to test a wrong announcement)
 *       --rc default|cbr|abr|vbr  --bitrate BPS  --quality Q
 *       --stereo default|joint|plain|mono  --id3v2 3|4
 *       --tags            attach the standard test metadata (tags_fill)
 *       --cover FILE      attach FILE as the front cover (with --tags)
 *       --chunk N         frames per write call (default 1000)
 *     Prints "frames N delay D" on success; on failure the error and exit 1.
 *   mp3enc_tool id3v2 FILE     parse the ID3v2 tag at the start of FILE
 *   mp3enc_tool id3v1 FILE     parse the last 128 bytes as ID3v1
 *   mp3enc_tool ape FILE       find and parse an APE tag at the end of FILE
 *   mp3enc_tool apebuf FILE    parse FILE as one APE tag buffer
 *     The dump commands print "status NAME", then "field KEY=VALUE",
 *     "picture TYPE MIME SIZE", "loudness NAME VALUE" and "unmapped WHAT"
 *     lines; exit 0 whatever the parse status.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "container/apev2.h"
#include "container/id3v1.h"
#include "container/id3v2.h"
#include "tags_fill.h"

static int usage(void)
{
    fprintf(stderr, "usage: mp3enc_tool encode IN.wav OUT.mp3 [options] | id3v2|id3v1|ape|apebuf FILE\n");
    return 2;
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (!got)
            break;
        n += got;
    }
    fclose(f);
    *size = n;
    return buf ? buf : malloc(1);
}

static void dump(const segue_metadata *m, segue_status st)
{
    printf("status %s\n", segue_status_name(st));
    for (size_t i = 0; i < segue_metadata_field_count(m); i++) {
        const char *k, *v;
        segue_metadata_field_at(m, i, &k, &v);
        printf("field %s=%s\n", k, v);
    }
    for (size_t i = 0; i < segue_metadata_picture_count(m); i++) {
        segue_picture p;
        segue_metadata_picture_at(m, i, &p);
        printf("picture %u %s %zu\n", p.type, p.mime, p.size);
    }
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    if (l.has_track_gain)
        printf("loudness track_gain %.2f\n", l.track_gain_db);
    if (l.has_track_peak)
        printf("loudness track_peak %.6f\n", l.track_peak);
    if (l.has_album_gain)
        printf("loudness album_gain %.2f\n", l.album_gain_db);
    if (l.has_album_peak)
        printf("loudness album_peak %.6f\n", l.album_peak);
    for (size_t i = 0; i < segue_metadata_unmapped_count(m); i++) {
        const char *w, *r;
        segue_metadata_unmapped_at(m, i, &w, &r);
        printf("unmapped %s\n", w);
    }
}

static int cmd_dump(const char *what, const char *path)
{
    size_t size = 0;
    uint8_t *d = slurp(path, &size);
    if (!d) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    segue_metadata *m = NULL;
    segue_metadata_create(&m, NULL);
    segue_error err;
    segue_error_clear(&err);
    segue_status st = SEGUE_OK;
    if (strcmp(what, "id3v2") == 0) {
        st = segue_id3v2_parse(d, size, m, NULL, &err);
    } else if (strcmp(what, "id3v1") == 0) {
        st = size >= 128 ? segue_id3v1_parse(d + size - 128, 128, m, NULL, &err)
                         : segue_id3v1_parse(d, size, m, NULL, &err);
    } else if (strcmp(what, "ape") == 0) {
        size_t off, len;
        if (segue_apev2_find(d, size, &off, &len))
            st = segue_apev2_parse(d + off, len, m, NULL, &err);
        else
            st = SEGUE_ERR_UNKNOWN_FORMAT;
    } else {
        st = segue_apev2_parse(d, size, m, NULL, &err);
    }
    dump(m, st);
    if (st < 0)
        printf("detail %s\n", err.detail);
    segue_metadata_destroy(m);
    free(d);
    return 0;
}

/* An io that writes to a FILE and cannot seek: the pipe case, with a file
 * to look at afterwards. */
static long pipe_write(void *user, const void *buf, size_t size)
{
    return fwrite(buf, 1, size, user) == size ? (long)size : -1;
}
static int pipe_close(void *user) { return fclose(user) == 0 ? 0 : -1; }

static int cmd_encode(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    const char *in = argv[2], *out = argv[3];
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = "mp3";
    int pipe = 0, total = 0, tags = 0;
    long long forced_total = -1;
    const char *cover = NULL;
    size_t chunk = 1000;
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--pipe")) {
            pipe = 1;
        } else if (!strcmp(a, "--total")) {
            total = 1;
        } else if (!strcmp(a, "--tags")) {
            tags = 1;
        } else if (v && !strcmp(a, "--rc")) {
            cfg.rate_control = !strcmp(v, "cbr")   ? SEGUE_RC_CBR
                               : !strcmp(v, "abr") ? SEGUE_RC_ABR
                               : !strcmp(v, "vbr") ? SEGUE_RC_VBR
                                                   : SEGUE_RC_DEFAULT;
            i++;
        } else if (v && !strcmp(a, "--bitrate")) {
            cfg.bitrate = (uint32_t)strtoul(v, NULL, 10), i++;
        } else if (v && !strcmp(a, "--quality")) {
            cfg.quality = strtof(v, NULL), i++;
        } else if (v && !strcmp(a, "--stereo")) {
            cfg.stereo_mode = !strcmp(v, "joint")   ? SEGUE_STEREO_JOINT
                              : !strcmp(v, "plain") ? SEGUE_STEREO_PLAIN
                              : !strcmp(v, "mono")  ? SEGUE_STEREO_MONO
                                                    : SEGUE_STEREO_DEFAULT;
            i++;
        } else if (v && !strcmp(a, "--id3v2")) {
            cfg.id3v2_version = atoi(v), i++;
        } else if (v && !strcmp(a, "--cover")) {
            cover = v, i++;
        } else if (v && !strcmp(a, "--total-frames")) {
            forced_total = strtoll(v, NULL, 10), i++;
        } else if (v && !strcmp(a, "--chunk")) {
            chunk = (size_t)strtoul(v, NULL, 10), i++;
        } else {
            return usage();
        }
    }
    if (chunk == 0 || chunk > 100000)
        return usage();

    segue_io src;
    if (segue_io_from_path(&src, in) != SEGUE_OK) {
        fprintf(stderr, "cannot open %s\n", in);
        return 1;
    }
    segue_decoder *d = NULL;
    if (segue_decoder_open(&d, &src, NULL) != SEGUE_OK) {
        fprintf(stderr, "decoder: %s\n", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return 1;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    cfg.sample_rate = info->sample_rate;
    cfg.channels = info->channels;
    if (total)
        cfg.total_frames = info->frames;
    if (forced_total >= 0)
        cfg.total_frames = forced_total;
    segue_metadata *meta = NULL;
    uint8_t *cover_data = NULL;
    if (tags) {
        segue_metadata_create(&meta, NULL);
        size_t cover_size = 0;
        if (cover && !(cover_data = slurp(cover, &cover_size))) {
            fprintf(stderr, "cannot read %s\n", cover);
            return 1;
        }
        tags_fill(meta, cover_data, cover_size);
        cfg.metadata = meta;
    }

    segue_io dst;
    if (pipe) {
        FILE *f = fopen(out, "wb");
        if (!f) {
            fprintf(stderr, "cannot create %s\n", out);
            return 1;
        }
        memset(&dst, 0, sizeof dst);
        dst.write = pipe_write;
        dst.close = pipe_close;
        dst.user = f;
    } else if (segue_io_to_path(&dst, out) != SEGUE_OK) {
        fprintf(stderr, "cannot create %s\n", out);
        return 1;
    }
    segue_encoder *e = NULL;
    int rc = 1;
    float *buf = malloc(chunk * info->channels * sizeof *buf);
    if (!buf)
        goto done;
    if (segue_encoder_open(&e, &dst, &cfg) != SEGUE_OK) {
        fprintf(stderr, "encoder: %s\n", segue_encoder_last_error(e));
        goto done;
    }
    for (;;) {
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, buf, chunk, &got);
        if (st == SEGUE_END_OF_STREAM)
            break;
        if (st < 0) {
            fprintf(stderr, "decoder: %s\n", segue_decoder_last_error(d));
            goto done;
        }
        if (segue_encoder_write_f32(e, buf, got) != SEGUE_OK) {
            fprintf(stderr, "encoder: %s\n", segue_encoder_last_error(e));
            goto done;
        }
    }
    if (segue_encoder_finish(e) != SEGUE_OK) {
        fprintf(stderr, "encoder: %s\n", segue_encoder_last_error(e));
        goto done;
    }
    printf("frames %llu\n", (unsigned long long)segue_encoder_frames_written(e));
    const segue_metadata *un = segue_encoder_unmapped(e);
    for (size_t i = 0; i < segue_metadata_unmapped_count(un); i++) {
        const char *w, *r;
        segue_metadata_unmapped_at(un, i, &w, &r);
        printf("unmapped %s: %s\n", w, r);
    }
    rc = 0;
done:
    segue_encoder_destroy(e);
    segue_decoder_destroy(d);
    segue_metadata_destroy(meta);
    free(cover_data);
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    if (!strcmp(argv[1], "encode"))
        return cmd_encode(argc, argv);
    if (!strcmp(argv[1], "id3v2") || !strcmp(argv[1], "id3v1") || !strcmp(argv[1], "ape") ||
        !strcmp(argv[1], "apebuf"))
        return cmd_dump(argv[1], argv[2]);
    return usage();
}
