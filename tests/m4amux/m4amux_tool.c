/*
 * tests/m4amux/m4amux_tool.c - drives the m4a and adts muxers without an AAC
 * encoder, for test_m4amux.py (and by hand): the packets of an ADTS file
 * (segue's ADTS demuxer) are muxed as if the "aac" encoder had made them
 * (extradata = the AudioSpecificConfig, encoder_delay 1024, 1024 frames
 * per packet, the input length given on the command line).
 *
 *   m4amux_tool mux IN.aac OUT MUXER TOTAL [options]
 *       MUXER m4a or adts; TOTAL the source's frame count, or -1 for a
 *       length unknown at open (input_frames is still TOTAL at finish:
 *       pass --finish-frames N to differ). OUT '-' writes to stdout as a
 *       pipe (no seek). Options:
 *         --tag KEY=VALUE       a text field (repeatable)
 *         --picture MIME FILE   a picture, front cover (repeatable)
 *         --gain DB --peak P    loudness record (track gain / peak)
 *         --album-gain DB --album-peak P
 *         --r128 DB             R128 track gain (reported unmapped)
 *         --co64                force 64-bit chunk offsets
 *         --fail-alloc N        the muxer's N-th allocation fails
 *         --asc HEX             hand this AudioSpecificConfig over instead
 *         --late                late loudness, as the encoder core does it:
 *                               placeholder values at open, the given
 *                               loudness record set before finish
 *       Prints {"status": NAME, "error": "...", "packets": N,
 *       "unmapped": [[what, reason]...]} on stderr when OUT is '-',
 *       stdout otherwise.
 *   m4amux_tool setup MUXER
 *       the muxer's setup() for 44.1 kHz stereo: {"status", "error"}.
 *   m4amux_tool tags FILE
 *       segue's decoder: {"status", "tags": [[k, v]...], "pictures":
 *       [[mime, bytes, type]...], "delay", "padding", "total"}.
 *   m4amux_tool decode FILE OUT.f32
 *       segue's decoder (gapless on) to float32: {"status", "frames",
 *       "channels", "error"}.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "codec/codec.h"
#include "container/container.h"
#include "container/mp4mux_internal.h"
#include "core/alloc.h"
#include "core/reader.h"
#include "core/writer.h"

static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c < 0x20)
            fprintf(o, "\\u%04x", c);
        else
            fputc(c, o);
    }
    fputc('"', o);
}

static long pipe_write(void *user, const void *buf, size_t size)
{
    return (long)fwrite(buf, 1, size, (FILE *)user);
}

static int pipe_close(void *user)
{
    return fflush((FILE *)user);
}

/* An allocator whose N-th allocation fails (0: none does). */
typedef struct fail_alloc {
    long countdown;
} fail_alloc;

static void *fa_alloc(void *user, size_t size)
{
    fail_alloc *f = user;
    if (f->countdown > 0 && --f->countdown == 0)
        return NULL;
    return segue_mem_alloc(NULL, size);
}

static void fa_free(void *user, void *ptr)
{
    (void)user;
    segue_mem_free(NULL, ptr);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = segue_mem_alloc(NULL, size > 0 ? (size_t)size : 1);
    if (p && fread(p, 1, (size_t)size, f) != (size_t)size) {
        segue_mem_free(NULL, p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)size;
    return p;
}

static int cmd_mux(int argc, char **argv)
{
    if (argc < 6)
        return 64;
    const char *in = argv[2], *out = argv[3], *mux_name = argv[4];
    int64_t total = strtoll(argv[5], NULL, 10);
    int64_t finish_frames = -2, hint = -1;
    int co64 = 0, late = 0;
    fail_alloc fa = {0};
    uint8_t asc[64];
    size_t asc_len = 0;
    segue_allocator failing = {&fa, fa_alloc, fa_free};
    segue_metadata *meta = NULL;
    segue_metadata *unmapped = NULL;
    segue_metadata_create(&meta, NULL);
    segue_metadata_create(&unmapped, NULL);
    segue_loudness l;
    memset(&l, 0, sizeof l);
    int has_meta = 0;
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc) {
            char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq)
                return 64;
            *eq = 0;
            segue_metadata_add(meta, kv, eq + 1);
            has_meta = 1;
        } else if (strcmp(argv[i], "--picture") == 0 && i + 2 < argc) {
            segue_picture pic;
            memset(&pic, 0, sizeof pic);
            pic.type = 3;
            pic.mime = argv[i + 1];
            pic.description = "";
            uint8_t *d = slurp(argv[i + 2], &pic.size);
            if (!d)
                return 66;
            pic.data = d;
            segue_metadata_add_picture(meta, &pic);
            segue_mem_free(NULL, d);
            has_meta = 1;
            i += 2;
        } else if (strcmp(argv[i], "--gain") == 0 && i + 1 < argc) {
            l.has_track_gain = 1, l.track_gain_db = atof(argv[++i]), has_meta = 1;
        } else if (strcmp(argv[i], "--peak") == 0 && i + 1 < argc) {
            l.has_track_peak = 1, l.track_peak = atof(argv[++i]), has_meta = 1;
        } else if (strcmp(argv[i], "--album-gain") == 0 && i + 1 < argc) {
            l.has_album_gain = 1, l.album_gain_db = atof(argv[++i]), has_meta = 1;
        } else if (strcmp(argv[i], "--album-peak") == 0 && i + 1 < argc) {
            l.has_album_peak = 1, l.album_peak = atof(argv[++i]), has_meta = 1;
        } else if (strcmp(argv[i], "--r128") == 0 && i + 1 < argc) {
            l.has_r128_track = 1, l.r128_track_gain_db = atof(argv[++i]), has_meta = 1;
        } else if (strcmp(argv[i], "--fail-alloc") == 0 && i + 1 < argc) {
            fa.countdown = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--asc") == 0 && i + 1 < argc) {
            const char *h = argv[++i];
            while (h[0] && h[1] && asc_len < sizeof asc) {
                unsigned v;
                if (sscanf(h, "%2x", &v) != 1)
                    return 64;
                asc[asc_len++] = (uint8_t)v;
                h += 2;
            }
        } else if (strcmp(argv[i], "--late") == 0) {
            late = 1;
        } else if (strcmp(argv[i], "--co64") == 0) {
            co64 = 1;
        } else if (strcmp(argv[i], "--hint") == 0 && i + 1 < argc) {
            hint = strtoll(argv[++i], NULL, 10); /* length_hint; pass TOTAL -1 with it */
        } else if (strcmp(argv[i], "--finish-frames") == 0 && i + 1 < argc) {
            finish_frames = strtoll(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 64;
        }
    }
    if (late) {
        /* core/encoder.c's placeholders: as long as any real value. */
        segue_loudness ph = l;
        ph.has_track_gain = ph.has_track_peak = ph.has_album_gain = ph.has_album_peak = 1;
        ph.track_gain_db = ph.album_gain_db = -128.0;
        ph.track_peak = ph.album_peak = 99.999999;
        segue_metadata_set_loudness(meta, &ph);
        has_meta = 1;
    } else {
        segue_metadata_set_loudness(meta, &l);
    }

    /* The source: segue's ADTS demuxer. */
    segue_error err;
    memset(&err, 0, sizeof err);
    segue_reader reader;
    segue_io io;
    segue_status st = segue_io_from_path(&io, in);
    if (st < 0 || segue_reader_open(&reader, &io, NULL, &err) < 0) {
        fprintf(stderr, "cannot open %s\n", in);
        return 66;
    }
    const segue_demuxer_desc *dd = segue_demuxer_find("adts");
    segue_decoder_config dcfg;
    segue_decoder_config_default(&dcfg);
    segue_stream_info info;
    memset(&info, 0, sizeof info);
    segue_metadata *dmeta = NULL;
    segue_metadata_create(&dmeta, NULL);
    segue_demux_ctx dctx = {"adts", &reader, segue_allocator_or_default(NULL), &err, dmeta, &info, &dcfg};
    void *dpriv = segue_mem_calloc(NULL, 1, dd->priv_size);
    segue_codec_params params;
    memset(&params, 0, sizeof params);
    st = dd->open(dpriv, &dctx, &params);
    if (st < 0) {
        fprintf(stderr, "adts open: %s\n", err.detail);
        return 65;
    }
    segue_codec_params mp = params; /* what the aac encoder would hand over */
    mp.encoder_delay = 1024;
    mp.max_packet_frames = 1024;
    mp.total_frames = total;
    if (asc_len) {
        mp.extradata = asc;
        mp.extradata_size = asc_len;
    }

    /* The sink. */
    FILE *report = stdout;
    segue_io oio;
    if (strcmp(out, "-") == 0) {
        memset(&oio, 0, sizeof oio);
        oio.write = pipe_write;
        oio.close = pipe_close;
        oio.user = stdout;
        report = stderr;
    } else if (segue_io_to_path(&oio, out) < 0) {
        return 73;
    }
    segue_writer w;
    segue_error merr;
    memset(&merr, 0, sizeof merr);
    segue_writer_open(&w, &oio, NULL, &merr);
    segue_encoder_config ecfg;
    segue_encoder_config_default(&ecfg);
    ecfg.container = mux_name;
    ecfg.codec = "aac";
    ecfg.sample_rate = params.sample_rate;
    ecfg.channels = params.channels;
    ecfg.total_frames = total;
    ecfg.length_hint = hint;
    ecfg.late_loudness = late;
    const segue_muxer_desc *md = segue_muxer_find(mux_name);
    if (!md)
        return 64;
    segue_mux_ctx mctx;
    memset(&mctx, 0, sizeof mctx);
    mctx.writer = &w;
    mctx.allocator = fa.countdown ? &failing : segue_allocator_or_default(NULL);
    mctx.err = &merr;
    mctx.metadata = has_meta ? meta : NULL;
    mctx.unmapped = unmapped;
    mctx.cfg = &ecfg;
    void *mpriv = segue_mem_calloc(NULL, 1, md->priv_size);
    if (co64)
        segue_mp4mux_force_co64(mpriv);
    size_t packets = 0;
    st = md->open(mpriv, &mctx, &mp);
    while (st >= 0) {
        segue_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        segue_status rs = dd->read_packet(dpriv, &dctx, &pkt);
        if (rs == SEGUE_END_OF_STREAM)
            break;
        if (rs < 0) {
            st = rs;
            break;
        }
        pkt.frames = 1024;
        pkt.pts = (int64_t)packets * 1024;
        st = md->write_packet(mpriv, &mctx, &pkt);
        packets++;
    }
    if (st >= 0) {
        mctx.input_frames = (uint64_t)(finish_frames >= -1 ? finish_frames : total);
        if (late)
            segue_metadata_set_loudness(meta, &l);
        st = md->finish(mpriv, &mctx);
    }
    if (md->close)
        md->close(mpriv, &mctx);
    segue_status cst = segue_writer_close(&w);
    if (st >= 0)
        st = cst;
    fprintf(report, "{\"status\": ");
    json_str(report, segue_status_name(st));
    fprintf(report, ", \"error\": ");
    json_str(report, st < 0 ? (merr.status < 0 ? merr.detail : err.detail) : "");
    fprintf(report, ", \"packets\": %zu, \"unmapped\": [", packets);
    for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
        const char *what, *why;
        segue_metadata_unmapped_at(unmapped, i, &what, &why);
        fprintf(report, "%s[", i ? ", " : "");
        json_str(report, what);
        fputs(", ", report);
        json_str(report, why);
        fputs("]", report);
    }
    fprintf(report, "]}\n");
    dd->close(dpriv, &dctx);
    segue_reader_close(&reader);
    segue_mem_free(NULL, dpriv);
    segue_mem_free(NULL, mpriv);
    segue_metadata_destroy(dmeta);
    segue_metadata_destroy(meta);
    segue_metadata_destroy(unmapped);
    return st < 0 ? 1 : 0;
}

static int cmd_setup(const char *name)
{
    const segue_muxer_desc *md = segue_muxer_find(name);
    if (!md)
        return 64;
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = name;
    cfg.sample_rate = 44100;
    cfg.channels = 2;
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    segue_error err;
    memset(&err, 0, sizeof err);
    segue_status st = md->setup(&cfg, &p, &err);
    printf("{\"status\": ");
    json_str(stdout, segue_status_name(st));
    printf(", \"error\": ");
    json_str(stdout, st < 0 ? err.detail : "");
    printf(", \"codec\": ");
    json_str(stdout, st >= 0 && p.codec ? p.codec : "");
    printf(", \"default_codec\": ");
    json_str(stdout, md->default_codec);
    printf("}\n");
    return 0;
}

static int cmd_decode(const char *path, const char *out_path)
{
    segue_io io;
    segue_decoder *d = NULL;
    segue_status st = segue_io_from_path(&io, path);
    if (st >= 0)
        st = segue_decoder_open(&d, &io, NULL);
    uint64_t total = 0;
    uint32_t ch = 0;
    if (st >= 0) {
        FILE *o = fopen(out_path, "wb");
        ch = segue_decoder_info(d)->channels;
        float *pcm = segue_mem_alloc(NULL, 4096 * sizeof(float) * ch);
        size_t frames;
        while ((st = segue_decoder_read_f32(d, pcm, 4096, &frames)) == SEGUE_OK) {
            fwrite(pcm, sizeof(float) * ch, frames, o);
            total += frames;
        }
        if (st == SEGUE_END_OF_STREAM)
            st = SEGUE_OK;
        segue_mem_free(NULL, pcm);
        fclose(o);
    }
    printf("{\"status\": ");
    json_str(stdout, segue_status_name(st));
    printf(", \"frames\": %" PRIu64 ", \"channels\": %u, \"error\": ", total, ch);
    json_str(stdout, d ? segue_decoder_last_error(d) : "");
    printf("}\n");
    segue_decoder_destroy(d);
    return st < 0;
}

/* Tags, pictures and gapless values as segue's decoder reads them back. */
static int cmd_tags(const char *path)
{
    segue_io io;
    segue_decoder *d = NULL;
    segue_status st = segue_io_from_path(&io, path);
    if (st >= 0)
        st = segue_decoder_open(&d, &io, NULL);
    printf("{\"status\": ");
    json_str(stdout, segue_status_name(st));
    if (st >= 0) {
        const segue_metadata *m = segue_decoder_metadata(d);
        printf(", \"tags\": [");
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
            segue_picture pic;
            segue_metadata_picture_at(m, i, &pic);
            printf("%s[", i ? ", " : "");
            json_str(stdout, pic.mime);
            printf(", %zu, %u]", pic.size, pic.type);
        }
        segue_gapless g;
        segue_metadata_get_gapless(m, &g);
        printf("], \"delay\": %u, \"padding\": %u, \"total\": %" PRIu64, g.encoder_delay,
               g.padding, g.total_frames);
        segue_loudness l;
        segue_metadata_get_loudness(m, &l);
        printf(", \"loudness\": {");
        int n = 0;
        if (l.has_track_gain)
            printf("%s\"track_gain_db\": %.9g", n++ ? ", " : "", l.track_gain_db);
        if (l.has_track_peak)
            printf("%s\"track_peak\": %.9g", n++ ? ", " : "", l.track_peak);
        if (l.has_album_gain)
            printf("%s\"album_gain_db\": %.9g", n++ ? ", " : "", l.album_gain_db);
        if (l.has_album_peak)
            printf("%s\"album_peak\": %.9g", n++ ? ", " : "", l.album_peak);
        printf("}");
    }
    printf("}\n");
    segue_decoder_destroy(d);
    return st < 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "tags") == 0)
        return cmd_tags(argv[2]);
    if (argc >= 6 && strcmp(argv[1], "mux") == 0)
        return cmd_mux(argc, argv);
    if (argc == 3 && strcmp(argv[1], "setup") == 0)
        return cmd_setup(argv[2]);
    if (argc == 4 && strcmp(argv[1], "decode") == 0)
        return cmd_decode(argv[2], argv[3]);
    fprintf(stderr, "usage: m4amux_tool mux IN OUT m4a|adts TOTAL [options] | setup MUXER | "
                    "decode FILE OUT.f32\n");
    return 64;
}
