/*
 * tests/mp4/mp4demux_tool.c - drives the mp4 and adts demuxers without a
 * decoder, for test_mp4.py (and by hand).
 *
 *   mp4demux_tool info FILE [pipe]
 *       probe winner, then the winning demuxer alone: stream info, codec
 *       params, extradata (hex), gapless values, every packet's pts and
 *       size, tags and pictures; one JSON object. With "pipe" the input
 *       is read one byte per call and cannot seek.
 *   mp4demux_tool seek FILE COUNT SEED
 *       COUNT pseudo-random demuxer seeks; after each, the next packets
 *       must be those of a straight read from the landed packet, and
 *       landed <= target. Prints "ok" or what differed.
 *   mp4demux_tool open FILE
 *       segue_decoder_open; prints {"status": NAME, "error": "..."}.
 *   mp4demux_tool decode FILE OUT.f32
 *       segue_decoder (gapless on): interleaved float32 to OUT; prints
 *       {"status": NAME, "frames": N, "channels": C, "error": "..."}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "codec/codec.h"
#include "container/container.h"
#include "core/alloc.h"
#include "core/reader.h"

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static long trickle_read(void *user, void *buf, size_t size)
{
    if (size == 0)
        return 0;
    int c = fgetc((FILE *)user);
    if (c == EOF)
        return 0;
    *(uint8_t *)buf = (uint8_t)c;
    return 1;
}

static int trickle_close(void *user)
{
    fclose((FILE *)user);
    return 0;
}

/* Set by a trailing "strict" argument. */
static int g_strict;

typedef struct demux_run {
    segue_error err;
    segue_reader reader;
    segue_metadata *meta;
    segue_stream_info info;
    segue_decoder_config cfg;
    segue_demux_ctx ctx;
    const segue_demuxer_desc *desc;
    void *priv;
    segue_codec_params params;
    int opened;
} demux_run;

static const segue_demuxer_desc *probe_winner(const char *path)
{
    static uint8_t head[SEGUE_PROBE_BYTES];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    const segue_demuxer_desc *best = NULL;
    int score = 0;
    for (const segue_demuxer_desc *const *d = segue_demuxer_list(); *d; d++) {
        int s = (*d)->probe(head, n);
        if (s > score)
            score = s, best = *d;
    }
    return best;
}

static segue_status demux_open(demux_run *r, const char *path, int pipe)
{
    memset(r, 0, sizeof *r);
    segue_decoder_config_default(&r->cfg);
    r->cfg.strict = g_strict;
    r->desc = probe_winner(path);
    if (!r->desc)
        return SEGUE_ERR_UNKNOWN_FORMAT;
    segue_io io;
    segue_status st;
    if (pipe) {
        memset(&io, 0, sizeof io);
        FILE *f = fopen(path, "rb");
        if (!f)
            return SEGUE_ERR_OPEN;
        io.read = trickle_read;
        io.close = trickle_close;
        io.user = f;
    } else if ((st = segue_io_from_path(&io, path)) < 0) {
        return st;
    }
    if ((st = segue_reader_open(&r->reader, &io, NULL, &r->err)) < 0)
        return st;
    if ((st = segue_metadata_create(&r->meta, NULL)) < 0)
        return st;
    r->priv = segue_mem_calloc(NULL, 1, r->desc->priv_size);
    r->ctx.name = r->desc->name;
    r->ctx.reader = &r->reader;
    r->ctx.allocator = segue_allocator_or_default(NULL);
    r->ctx.err = &r->err;
    r->ctx.metadata = r->meta;
    r->ctx.info = &r->info;
    r->ctx.cfg = &r->cfg;
    r->info.frames = -1;
    r->opened = 1;
    return r->desc->open(r->priv, &r->ctx, &r->params);
}

static void demux_close(demux_run *r)
{
    if (r->opened)
        r->desc->close(r->priv, &r->ctx);
    segue_mem_free(NULL, r->priv);
    segue_metadata_destroy(r->meta);
    if (r->opened)
        segue_reader_close(&r->reader);
}

static int cmd_info(const char *path, int pipe)
{
    demux_run r;
    segue_status st = demux_open(&r, path, pipe);
    printf("{\"demuxer\": ");
    json_str(r.desc ? r.desc->name : "none");
    printf(", \"status\": ");
    json_str(segue_status_name(st));
    printf(", \"error\": ");
    json_str(r.err.detail);
    if (st >= 0) {
        printf(", \"codec\": ");
        json_str(r.params.codec ? r.params.codec : "");
        printf(", \"rate\": %u, \"channels\": %u, \"bits\": %u, \"max_packet_frames\": %u",
               r.params.sample_rate, r.params.channels, r.params.bits_per_sample,
               r.params.max_packet_frames);
        printf(", \"frames\": %" PRId64 ", \"bitrate\": %u, \"seekable\": %d", r.info.frames,
               r.info.bitrate, r.info.seekable);
        printf(", \"extradata\": \"");
        for (size_t i = 0; i < r.params.extradata_size; i++)
            printf("%02x", r.params.extradata[i]);
        segue_gapless g;
        segue_metadata_get_gapless(r.meta, &g);
        printf("\", \"delay\": %u, \"padding\": %u, \"total\": %" PRIu64, g.encoder_delay, g.padding,
               g.total_frames);
        printf(", \"tags\": [");
        for (size_t i = 0; i < segue_metadata_field_count(r.meta); i++) {
            const char *k, *v;
            segue_metadata_field_at(r.meta, i, &k, &v);
            printf("%s[", i ? ", " : "");
            json_str(k);
            printf(", ");
            json_str(v);
            printf("]");
        }
        printf("], \"pictures\": [");
        for (size_t i = 0; i < segue_metadata_picture_count(r.meta); i++) {
            segue_picture pic;
            segue_metadata_picture_at(r.meta, i, &pic);
            printf("%s[", i ? ", " : "");
            json_str(pic.mime);
            printf(", %zu, %u]", pic.size, pic.type);
        }
        printf("], \"packets\": [");
        segue_packet pkt;
        size_t n = 0;
        for (;;) {
            memset(&pkt, 0, sizeof pkt);
            st = r.desc->read_packet(r.priv, &r.ctx, &pkt);
            if (st != SEGUE_OK)
                break;
            printf("%s[%" PRId64 ", %zu]", n++ ? ", " : "", pkt.pts, pkt.size);
        }
        printf("], \"end\": ");
        json_str(segue_status_name(st));
        printf(", \"end_error\": ");
        json_str(r.err.detail);
    }
    printf("}\n");
    demux_close(&r);
    return 0;
}

typedef struct pkt_rec {
    int64_t pts;
    size_t size;
    uint32_t sum;
} pkt_rec;

static uint32_t checksum(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int cmd_seek(const char *path, int count, unsigned seed)
{
    demux_run r;
    segue_status st = demux_open(&r, path, 0);
    if (st < 0) {
        printf("open failed: %s\n", r.err.detail);
        demux_close(&r);
        return 1;
    }
    size_t n = 0, cap = 1024;
    pkt_rec *all = segue_mem_alloc(NULL, cap * sizeof *all);
    segue_packet pkt;
    while (r.desc->read_packet(r.priv, &r.ctx, &pkt) == SEGUE_OK) {
        if (n == cap) {
            all = segue_mem_realloc(NULL, all, cap * sizeof *all, 2 * cap * sizeof *all);
            cap *= 2;
        }
        all[n].pts = pkt.pts;
        all[n].size = pkt.size;
        all[n].sum = checksum(pkt.data, pkt.size);
        n++;
    }
    int64_t end = n ? all[n - 1].pts + 1024 : 0;
    int bad = 0;
    for (int i = 0; i < count && !bad && n; i++) {
        seed = seed * 1103515245u + 12345u;
        int64_t target = i == 0 ? 0 : i == 1 ? end - 1 : (int64_t)((seed >> 8) % (uint64_t)end);
        int64_t landed = -1;
        if ((st = r.desc->seek(r.priv, &r.ctx, target, &landed)) < 0) {
            printf("seek to %" PRId64 " failed: %s\n", target, r.err.detail);
            bad = 1;
            break;
        }
        size_t k = 0;
        while (k < n && all[k].pts != landed)
            k++;
        if (k == n || landed > target || (k + 1 < n && all[k + 1].pts <= target)) {
            printf("seek to %" PRId64 " landed at %" PRId64 ", not the packet holding it\n", target, landed);
            bad = 1;
            break;
        }
        for (int j = 0; j < 5 && k + (size_t)j < n; j++) {
            if (r.desc->read_packet(r.priv, &r.ctx, &pkt) != SEGUE_OK ||
                pkt.pts != all[k + (size_t)j].pts || pkt.size != all[k + (size_t)j].size ||
                checksum(pkt.data, pkt.size) != all[k + (size_t)j].sum) {
                printf("after seek to %" PRId64 ": packet %d differs\n", target, j);
                bad = 1;
                break;
            }
        }
    }
    if (!bad)
        printf("ok\n");
    segue_mem_free(NULL, all);
    demux_close(&r);
    return bad;
}

static int cmd_open(const char *path)
{
    segue_io io;
    segue_decoder *d = NULL;
    segue_status st = segue_io_from_path(&io, path);
    if (st >= 0)
        st = segue_decoder_open(&d, &io, NULL);
    printf("{\"status\": ");
    json_str(segue_status_name(st));
    printf(", \"error\": ");
    json_str(segue_decoder_last_error(d));
    printf("}\n");
    segue_decoder_destroy(d);
    return 0;
}

static int cmd_decode(const char *path, const char *out_path)
{
    segue_io io;
    segue_decoder *d = NULL;
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = g_strict;
    segue_status st = segue_io_from_path(&io, path);
    if (st >= 0)
        st = segue_decoder_open(&d, &io, &cfg);
    uint64_t total = 0;
    unsigned ch = 0;
    if (st >= 0) {
        FILE *out = fopen(out_path, "wb");
        static float pcm[4096 * 8];
        ch = segue_decoder_info(d)->channels;
        size_t frames = 0;
        while ((st = segue_decoder_read_f32(d, pcm, 4096, &frames)) == SEGUE_OK) {
            fwrite(pcm, sizeof(float) * ch, frames, out);
            total += frames;
        }
        fclose(out);
    }
    printf("{\"status\": ");
    json_str(segue_status_name(st));
    printf(", \"frames\": %" PRIu64 ", \"channels\": %u, \"error\": ", total, ch);
    json_str(segue_decoder_last_error(d));
    printf("}\n");
    segue_decoder_destroy(d);
    return 0;
}

int main(int argc, char **argv)
{
    /* A trailing "strict" opens in strict mode (any command). */
    if (argc > 2 && strcmp(argv[argc - 1], "strict") == 0) {
        g_strict = 1;
        argc--;
    }
    if (argc == 4 && strcmp(argv[1], "decode") == 0)
        return cmd_decode(argv[2], argv[3]);
    if (argc >= 3 && strcmp(argv[1], "info") == 0)
        return cmd_info(argv[2], argc > 3 && strcmp(argv[3], "pipe") == 0);
    if (argc == 5 && strcmp(argv[1], "seek") == 0)
        return cmd_seek(argv[2], atoi(argv[3]), (unsigned)strtoul(argv[4], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "open") == 0)
        return cmd_open(argv[2]);
    fprintf(stderr, "usage: mp4demux_tool (info FILE [pipe] | seek FILE COUNT SEED | open FILE | "
                    "decode FILE OUT) [strict]\n");
    return 64;
}
