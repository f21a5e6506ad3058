/*
 * tests/atrac_containers/atrac_demux_tool.c - drives the OMA, AEA and
 * RIFF-AT3 demuxers directly (no decoder needed), for test_atrac_containers.py.
 *
 *   atrac_demux_tool has-decoder NAME
 *       exit 0 if a decoder NAME is registered, 1 if not.
 *   atrac_demux_tool info FILE [strict] [pipe]
 *       probe winner, then the winning demuxer's open and every packet:
 *       one JSON object (stream info, codec params, extradata in hex,
 *       gapless values, packet count / sizes / pts, tags, unmapped).
 *       pipe: the input is read one byte per call and cannot seek.
 *   atrac_demux_tool open FILE
 *       segue_decoder_open; prints {"status": NAME, "error": "..."} and,
 *       when it opened, reads all PCM and adds "frames".
 *   atrac_demux_tool decode FILE OUT.f32
 *       segue_decoder (gapless on): interleaved float32 to OUT; prints
 *       {"status": ..., "frames": N, "rate": R, "channels": C}.
 *   atrac_demux_tool seek FILE FRAME
 *       packet pts after a demuxer seek to FRAME: {"landed": L, "pts": P}.
 *   atrac_demux_tool stress FILE FLIPS SEED
 *       in memory: every prefix of the first 200 bytes (and a few longer
 *       cuts), then FLIPS copies with 1-4 random bit flips (half of them in
 *       the first 512 bytes), each opened with segue_decoder_open and read
 *       to the end; prints the count of each status. Crashes, leaks and
 *       undefined behaviour are for the sanitizers to report.
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

typedef struct trickle {
    FILE *f;
} trickle;

static long trickle_read(void *user, void *buf, size_t size)
{
    trickle *t = user;
    if (size == 0)
        return 0;
    int c = fgetc(t->f);
    if (c == EOF)
        return 0;
    *(uint8_t *)buf = (uint8_t)c;
    return 1;
}

static int trickle_close(void *user)
{
    trickle *t = user;
    fclose(t->f);
    return 0;
}

static segue_status make_io(segue_io *io, const char *path, int pipe, trickle *t)
{
    if (!pipe)
        return segue_io_from_path(io, path);
    memset(io, 0, sizeof *io);
    t->f = fopen(path, "rb");
    if (!t->f)
        return SEGUE_ERR_OPEN;
    io->read = trickle_read;
    io->close = trickle_close;
    io->user = t;
    return SEGUE_OK;
}

typedef struct demux_run {
    segue_error err;
    segue_reader reader;
    int reader_open;
    segue_metadata *meta;
    segue_stream_info info;
    segue_decoder_config cfg;
    segue_demux_ctx ctx;
    const segue_demuxer_desc *desc;
    void *priv;
    segue_codec_params params;
    int opened;
    trickle t;
} demux_run;

static const char *probe_winner(const char *path, int *score)
{
    static uint8_t head[SEGUE_PROBE_BYTES];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    const char *best = "none";
    *score = 0;
    for (const segue_demuxer_desc *const *d = segue_demuxer_list(); *d; d++) {
        int s = (*d)->probe(head, n);
        if (s > *score)
            *score = s, best = (*d)->name;
    }
    return best;
}

static segue_status demux_open(demux_run *r, const char *path, const char *name, int strict, int pipe)
{
    memset(r, 0, sizeof *r);
    segue_decoder_config_default(&r->cfg);
    r->cfg.strict = strict;
    segue_io io;
    segue_status st = make_io(&io, path, pipe, &r->t);
    if (st < 0)
        return st;
    r->reader_open = 1;
    if ((st = segue_reader_open(&r->reader, &io, NULL, &r->err)) < 0)
        return st;
    if ((st = segue_metadata_create(&r->meta, NULL)) < 0)
        return st;
    r->desc = segue_demuxer_find(name);
    if (!r->desc)
        return SEGUE_ERR_UNKNOWN_FORMAT;
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
    if (r->reader_open)
        segue_reader_close(&r->reader);
}

static int cmd_info(const char *path, int strict, int pipe)
{
    int score;
    const char *winner = probe_winner(path, &score);
    demux_run r;
    segue_status st = demux_open(&r, path, winner, strict, pipe);
    printf("{\"probe\": \"%s\", \"score\": %d, \"status\": \"%s\", \"error\": ", winner, score,
           segue_status_name(st));
    json_str(r.err.detail);
    if (st >= 0) {
        uint64_t packets = 0, bytes = 0;
        uint32_t min_size = UINT32_MAX, max_size = 0;
        int pts_ok = 1;
        int64_t last_pts = -1;
        segue_packet pkt;
        segue_status rs;
        memset(&pkt, 0, sizeof pkt);
        while ((rs = r.desc->read_packet(r.priv, &r.ctx, &pkt)) == SEGUE_OK) {
            if (packets > 0 && pkt.pts <= last_pts)
                pts_ok = 0;
            last_pts = pkt.pts;
            packets++;
            bytes += pkt.size;
            if (pkt.size < min_size)
                min_size = (uint32_t)pkt.size;
            if (pkt.size > max_size)
                max_size = (uint32_t)pkt.size;
            memset(&pkt, 0, sizeof pkt);
        }
        segue_gapless g;
        segue_metadata_get_gapless(r.meta, &g);
        printf(", \"container\": \"%s\", \"codec\": \"%s\", \"params_codec\": \"%s\", \"rate\": %u, "
               "\"channels\": %u, \"frames\": %" PRId64 ", \"bitrate\": %u, \"block_align\": %u, "
               "\"max_packet_frames\": %u, \"encoder_delay\": %u, \"padding\": %u, "
               "\"total_frames\": %" PRIu64 ", \"packets\": %" PRIu64 ", \"packet_bytes\": %" PRIu64
               ", \"min_packet\": %u, \"max_packet\": %u, \"last_pts\": %" PRId64
               ", \"pts_increasing\": %s, \"end_status\": \"%s\", \"end_error\": ",
               r.info.container ? r.info.container : "", r.info.codec ? r.info.codec : "",
               r.params.codec ? r.params.codec : "", r.params.sample_rate, r.params.channels,
               r.info.frames, r.info.bitrate, r.params.block_align, r.params.max_packet_frames,
               g.encoder_delay, g.padding, g.total_frames, packets, bytes,
               packets ? min_size : 0, max_size, last_pts, pts_ok ? "true" : "false",
               segue_status_name(rs));
        json_str(r.err.detail);
        printf(", \"extradata\": \"");
        for (size_t i = 0; i < r.params.extradata_size; i++)
            printf("%02x", r.params.extradata[i]);
        printf("\", \"tags\": [");
        for (size_t i = 0; i < segue_metadata_field_count(r.meta); i++) {
            const char *k, *v;
            segue_metadata_field_at(r.meta, i, &k, &v);
            printf("%s[", i ? ", " : "");
            json_str(k);
            printf(", ");
            json_str(v);
            printf("]");
        }
        printf("], \"unmapped\": [");
        for (size_t i = 0; i < segue_metadata_unmapped_count(r.meta); i++) {
            const char *w, *why;
            segue_metadata_unmapped_at(r.meta, i, &w, &why);
            printf("%s[", i ? ", " : "");
            json_str(w);
            printf(", ");
            json_str(why);
            printf("]");
        }
        printf("]");
    }
    printf("}\n");
    demux_close(&r);
    return 0;
}

static int cmd_seek(const char *path, int64_t frame)
{
    int score;
    demux_run r;
    segue_status st = demux_open(&r, path, probe_winner(path, &score), 0, 0);
    int64_t landed = -1, pts = -1;
    if (st >= 0 && r.desc->seek)
        st = r.desc->seek(r.priv, &r.ctx, frame, &landed);
    if (st >= 0) {
        segue_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        if (r.desc->read_packet(r.priv, &r.ctx, &pkt) == SEGUE_OK)
            pts = pkt.pts;
    }
    printf("{\"status\": \"%s\", \"landed\": %" PRId64 ", \"pts\": %" PRId64 "}\n",
           segue_status_name(st), landed, pts);
    demux_close(&r);
    return 0;
}

static int cmd_open(const char *path, const char *out_path)
{
    segue_io io;
    segue_status st = segue_io_from_path(&io, path);
    if (st < 0) {
        printf("{\"status\": \"%s\", \"error\": \"cannot open\"}\n", segue_status_name(st));
        return 0;
    }
    segue_decoder *d = NULL;
    st = segue_decoder_open(&d, &io, NULL);
    printf("{\"status\": \"%s\", \"error\": ", segue_status_name(st));
    json_str(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        FILE *out = out_path ? fopen(out_path, "wb") : NULL;
        float buf[4096 * 8];
        size_t cap = sizeof buf / sizeof buf[0] / (info->channels ? info->channels : 1);
        uint64_t total = 0;
        size_t got = 0;
        segue_status rs;
        while ((rs = segue_decoder_read_f32(d, buf, cap, &got)) == SEGUE_OK) {
            if (out)
                fwrite(buf, sizeof(float) * info->channels, got, out);
            total += got;
        }
        if (out)
            fclose(out);
        printf(", \"read_status\": \"%s\", \"read_error\": ", segue_status_name(rs));
        json_str(segue_decoder_last_error(d));
        printf(", \"frames\": %" PRIu64 ", \"info_frames\": %" PRId64 ", \"rate\": %u, \"channels\": %u",
               total, info->frames, info->sample_rate, info->channels);
    }
    printf("}\n");
    segue_decoder_destroy(d);
    return 0;
}

/* Opens `data` through the public decoder and reads everything; returns
 * the first error status, or SEGUE_OK. */
static segue_status stress_one(const uint8_t *data, size_t size, int strict)
{
    segue_io io;
    segue_status st = segue_io_from_memory(&io, data, size);
    if (st < 0)
        return st;
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    segue_decoder *d = NULL;
    st = segue_decoder_open(&d, &io, &cfg);
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        static float buf[4096 * 8];
        size_t cap = 4096, got = 0;
        segue_status rs;
        /* The header paths are the point; a few frames of audio suffice
         * (and keep the ASan build fast), plus the end of the stream. */
        int reads = 0;
        while ((rs = segue_decoder_read_f32(d, buf, cap, &got)) == SEGUE_OK && ++reads < 4)
            ;
        if (rs == SEGUE_OK && info->seekable && info->frames > 2048 &&
            (rs = segue_decoder_seek(d, info->frames - 2048)) == SEGUE_OK)
            while ((rs = segue_decoder_read_f32(d, buf, cap, &got)) == SEGUE_OK)
                ;
        if (rs == SEGUE_END_OF_STREAM)
            rs = SEGUE_OK;
        if (rs < 0)
            st = rs;
    }
    segue_decoder_destroy(d);
    return st;
}

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static int cmd_stress(const char *path, unsigned flips, uint32_t seed)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 66;
    static uint8_t data[1 << 20];
    size_t size = fread(data, 1, sizeof data, f);
    fclose(f);
    static uint8_t copy[1 << 20];
    int counts[32] = {0}; /* indexed by -status */
    int ok = 0, runs = 0;
    size_t cuts[] = {size / 2, size - 1, size - 7, 96 + 384 + 5, 2048 + 100};
    for (size_t n = 0; n <= 200 + sizeof cuts / sizeof cuts[0]; n++) {
        size_t len = n <= 200 ? n : cuts[n - 201];
        if (len > size)
            continue;
        segue_status st = stress_one(data, len, (int)(n & 1));
        runs++;
        if (st == SEGUE_OK)
            ok++;
        else if (st < 0 && -st < 32)
            counts[-st]++;
    }
    uint32_t s = seed ? seed : 1;
    for (unsigned i = 0; i < flips && size > 0; i++) {
        memcpy(copy, data, size);
        unsigned nflips = 1 + rng_next(&s) % 4;
        for (unsigned k = 0; k < nflips; k++) {
            size_t span = (i & 1) && size > 512 ? 512 : size;
            size_t at = rng_next(&s) % span;
            copy[at] ^= (uint8_t)(1u << (rng_next(&s) % 8));
        }
        segue_status st = stress_one(copy, size, (int)(i % 3 == 0));
        runs++;
        if (st == SEGUE_OK)
            ok++;
        else if (st < 0 && -st < 32)
            counts[-st]++;
    }
    printf("{\"runs\": %d, \"SEGUE_OK\": %d", runs, ok);
    for (int i = 1; i < 32; i++)
        if (counts[i])
            printf(", \"%s\": %d", segue_status_name((segue_status)-i), counts[i]);
    printf("}\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "stress") == 0)
        return cmd_stress(argv[2], (unsigned)strtoul(argv[3], NULL, 10),
                          (uint32_t)strtoul(argv[4], NULL, 10));
    if (argc >= 3 && strcmp(argv[1], "has-decoder") == 0)
        return segue_codec_find(argv[2], SEGUE_CODEC_DECODE) ? 0 : 1;
    if (argc >= 3 && strcmp(argv[1], "info") == 0) {
        int strict = 0, pipe = 0;
        for (int i = 3; i < argc; i++) {
            strict |= strcmp(argv[i], "strict") == 0;
            pipe |= strcmp(argv[i], "pipe") == 0;
        }
        return cmd_info(argv[2], strict, pipe);
    }
    if (argc >= 3 && strcmp(argv[1], "open") == 0)
        return cmd_open(argv[2], NULL);
    if (argc >= 4 && strcmp(argv[1], "decode") == 0)
        return cmd_open(argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "seek") == 0)
        return cmd_seek(argv[2], strtoll(argv[3], NULL, 10));
    fprintf(stderr, "usage: atrac_demux_tool has-decoder NAME | info FILE [strict] [pipe] | "
                    "open FILE | decode FILE OUT.f32 | seek FILE FRAME\n");
    return 64;
}
