/*
 * tests/ogg/ogg_tagwriter.c - helper of test_ogg_tools.py.
 *
 *     ogg_tagwriter vorbis|opus OUT COVER.jpg
 *         writes 2 s of a 48 kHz stereo tone as Ogg Vorbis or Ogg Opus with
 *         a fixed set of tags, a front cover read from a file, and an
 *         R128/ReplayGain loudness record, through the public API (the
 *         script reads it back with mutagen);
 *     ogg_tagwriter seekcheck FILE MAX_DB
 *         decodes FILE from the start, then seeks to a set of positions and
 *         compares 4096 frames after each with the straight decode; fails
 *         if a difference is above MAX_DB (RMS, dBFS) or a length is off.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#define TWO_PI 6.283185307179586

static int seekcheck(const char *path, double max_db)
{
    segue_io io;
    segue_decoder *d = NULL;
    if (segue_io_from_path(&io, path) != SEGUE_OK || segue_decoder_open(&d, &io, NULL) != SEGUE_OK) {
        fprintf(stderr, "seekcheck: cannot open %s: %s\n", path, segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return 1;
    }
    unsigned ch = segue_decoder_info(d)->channels;
    size_t cap = 1 << 20, total = 0;
    float *all = malloc(cap * ch * sizeof *all);
    for (;;) {
        if (total + 4096 > cap) {
            cap *= 2;
            all = realloc(all, cap * ch * sizeof *all);
        }
        size_t n = 0;
        if (segue_decoder_read_f32(d, all + total * ch, 4096, &n) != SEGUE_OK)
            break;
        total += n;
    }
    const size_t targets[] = {0, 1, 311, 312, 3839, 3840, 5000, 20000, total / 3, total / 2,
                              total > 4096 ? total - 4096 : 0, total > 1 ? total - 1 : 0, total};
    float *buf = malloc(4096 * ch * sizeof *buf);
    double worst = -300.0;
    int bad = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        size_t at = targets[t] > total ? total : targets[t];
        size_t want = total - at < 4096 ? total - at : 4096, got = 0;
        if (segue_decoder_seek(d, (int64_t)at) != SEGUE_OK) {
            fprintf(stderr, "seekcheck: seek to %zu failed: %s\n", at, segue_decoder_last_error(d));
            bad = 1;
            break;
        }
        while (got < want) {
            size_t n = 0;
            if (segue_decoder_read_f32(d, buf + got * ch, want - got, &n) != SEGUE_OK)
                break;
            got += n;
        }
        double sum = 0;
        for (size_t i = 0; i < got * ch; i++) {
            double e = (double)buf[i] - (double)all[at * ch + i];
            sum += e * e;
        }
        double db = got ? 10.0 * log10(sum / (double)(got * ch) + 1e-30) : -300.0;
        if (db > worst)
            worst = db;
        if (got != want || db > max_db) {
            fprintf(stderr, "seekcheck: at %zu: %zu of %zu frames, difference %.1f dB\n", at, got,
                    want, db);
            bad = 1;
        }
    }
    printf("%s: %zu frames, worst seek difference %.1f dBFS\n", path, total, worst);
    free(buf);
    free(all);
    segue_decoder_destroy(d);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "seekcheck") == 0)
        return seekcheck(argv[2], atof(argv[3]));
    if (argc != 4) {
        fprintf(stderr, "usage: ogg_tagwriter vorbis|opus OUT COVER.jpg\n");
        return 64;
    }
    FILE *f = fopen(argv[3], "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", argv[3]);
        return 66;
    }
    static uint8_t cover[4 << 20];
    size_t cover_size = fread(cover, 1, sizeof cover, f);
    fclose(f);

    segue_metadata *m = NULL;
    if (segue_metadata_create(&m, NULL) != SEGUE_OK)
        return 70;
    segue_metadata_add(m, "TITLE", "Song Title");
    segue_metadata_add(m, "ARTIST", "The Artist");
    segue_metadata_add(m, "ALBUM", "The Album");
    segue_metadata_add(m, "ALBUMARTIST", "Album Artist");
    segue_metadata_add(m, "TRACKNUMBER", "3/12");
    segue_metadata_add(m, "DISCNUMBER", "1/2");
    segue_metadata_add(m, "DATE", "2021-03-04");
    segue_metadata_add(m, "GENRE", "Electronic");
    segue_metadata_add(m, "COMMENT", "A comment");
    segue_metadata_add(m, "LYRICS", "First line\nSecond line");
    segue_metadata_add(m, "MY_FIELD", "custom value");
    segue_metadata_add(m, "TITLESORT",
                       "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
                       "\xd0\xb5\xd1\x82 \xce\xb1\xce\xb2\xce\xb3");
    segue_picture pic = {3, "image/jpeg", "Front", 600, 600, cover, cover_size};
    segue_metadata_add_picture(m, &pic);
    segue_loudness l;
    memset(&l, 0, sizeof l);
    l.has_r128_track = 1;
    l.r128_track_gain_db = -3.5;
    l.has_track_gain = 1;
    l.track_gain_db = 1.5;
    l.has_track_peak = 1;
    l.track_peak = 0.5;
    segue_metadata_set_loudness(m, &l);

    segue_io io;
    if (segue_io_to_path(&io, argv[2]) != SEGUE_OK) {
        fprintf(stderr, "cannot create %s\n", argv[2]);
        return 73;
    }
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = "ogg";
    cfg.codec = argv[1];
    cfg.sample_rate = 48000;
    cfg.channels = 2;
    cfg.metadata = m;
    segue_encoder *e = NULL;
    segue_status st = segue_encoder_open(&e, &io, &cfg);
    static float pcm[96000 * 2];
    for (size_t i = 0; i < 96000; i++)
        pcm[2 * i] = pcm[2 * i + 1] = (float)(0.3 * sin(TWO_PI * 440.0 * (double)i / 48000.0));
    if (st == SEGUE_OK)
        st = segue_encoder_write_f32(e, pcm, 96000);
    if (st == SEGUE_OK)
        st = segue_encoder_finish(e);
    if (st != SEGUE_OK)
        fprintf(stderr, "ogg_tagwriter: %s\n", segue_encoder_last_error(e));
    segue_encoder_destroy(e);
    segue_metadata_destroy(m);
    return st == SEGUE_OK ? 0 : 1;
}
