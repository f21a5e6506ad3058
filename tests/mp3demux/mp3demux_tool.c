/*
 * tests/mp3demux/mp3demux_tool.c - a probe for the MP3 demuxer, driven by
 * test_mp3demux.py (and handy by hand).
 *
 *   mp3demux_tool has-decoder
 *       exit 0 if an "mp3" decoder is registered, 1 if not.
 *   mp3demux_tool info FILE [strict]
 *       the demuxer alone (no decoder needed): probe winner, stream info,
 *       gapless values, packet count and bytes, tags; one JSON object.
 *   mp3demux_tool open FILE [strict] [pipe]
 *       segue_decoder_open (pipe: 1 byte per read, no seek); prints
 *       {"status": NAME, "error": "..."} and, if it opened, reads all PCM
 *       and adds "frames" (output frames read) and "info_frames".
 *   mp3demux_tool seek-demux FILE COUNT SEED
 *       packet-level seek check: COUNT random targets; after each seek the
 *       packets must be those of a straight read at landed/spf, landed
 *       <= target and a whole frame.
 *   mp3demux_tool timing FILE
 *       CPU time (not a test: for reports) of the demuxer's open, of the
 *       first seek to near the end, and of 100 random seeks after it.
 *   mp3demux_tool decode FILE OUT.f32
 *       segue_decoder (gapless on): interleaved float32 to OUT; prints
 *       {"frames": N, "rate": R, "channels": C}.
 *   mp3demux_tool seek FILE COUNT SEED
 *       decoder-level: a straight decode, then COUNT random seeks (plus the
 *       first and last frames), each followed by up to 3000 frames that
 *       must equal the straight decode exactly (float ==).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- the demuxer alone ------------------------------------------------------ */

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

static segue_status demux_open(demux_run *r, const char *path, int strict)
{
    memset(r, 0, sizeof *r);
    segue_decoder_config_default(&r->cfg);
    r->cfg.strict = strict;
    segue_io io;
    segue_status st = segue_io_from_path(&io, path);
    if (st < 0)
        return st;
    if ((st = segue_reader_open(&r->reader, &io, NULL, &r->err)) < 0)
        return st;
    if ((st = segue_metadata_create(&r->meta, NULL)) < 0)
        return st;
    r->desc = segue_demuxer_find("mp3");
    r->priv = segue_mem_calloc(NULL, 1, r->desc->priv_size);
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
    segue_reader_close(&r->reader);
}

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

static int cmd_info(const char *path, int strict)
{
    demux_run r;
    segue_status st = demux_open(&r, path, strict);
    int score;
    const char *winner = probe_winner(path, &score);
    printf("{\"probe\": \"%s\", \"score\": %d, \"status\": \"%s\", \"error\": ", winner, score,
           segue_status_name(st));
    json_str(r.err.detail);
    if (st >= 0) {
        uint64_t packets = 0, bytes = 0;
        segue_packet pkt;
        segue_status rs;
        while ((rs = r.desc->read_packet(r.priv, &r.ctx, &pkt)) == SEGUE_OK) {
            packets++;
            bytes += pkt.size;
        }
        segue_gapless g;
        segue_metadata_get_gapless(r.meta, &g);
        printf(", \"container\": \"%s\", \"codec\": \"%s\", \"params_codec\": \"%s\", \"rate\": %u, "
               "\"channels\": %u, \"frames\": %" PRId64 ", \"bitrate\": %u, \"bits\": %u, "
               "\"source_format\": %d, \"spf\": %u, \"encoder_delay\": %u, \"padding\": %u, "
               "\"total_frames\": %" PRIu64 ", \"packets\": %" PRIu64 ", \"packet_bytes\": %" PRIu64
               ", \"end_status\": \"%s\", \"end_error\": ",
               r.info.container, r.info.codec, r.params.codec, r.params.sample_rate, r.params.channels,
               r.info.frames, r.info.bitrate, r.info.bits_per_sample, (int)r.info.source_format,
               r.params.max_packet_frames, g.encoder_delay, g.padding, g.total_frames, packets, bytes,
               segue_status_name(rs));
        json_str(r.err.detail);
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
        printf("], \"pictures\": %zu, \"unmapped\": [", segue_metadata_picture_count(r.meta));
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

/* FNV-1a of a packet. */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h ^ n;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return rng_state >> 33;
}

static int cmd_seek_demux(const char *path, int count, unsigned seed)
{
    demux_run r;
    segue_status st = demux_open(&r, path, 0);
    if (st < 0) {
        fprintf(stderr, "open: %s\n", r.err.detail);
        demux_close(&r);
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    uint64_t *hashes = segue_mem_alloc(NULL, cap * sizeof *hashes);
    segue_packet pkt;
    while (r.desc->read_packet(r.priv, &r.ctx, &pkt) == SEGUE_OK) {
        if (n == cap) {
            hashes = segue_mem_realloc(NULL, hashes, cap * sizeof *hashes, 2 * cap * sizeof *hashes);
            cap *= 2;
        }
        hashes[n++] = hash_bytes(pkt.data, pkt.size);
    }
    unsigned spf = r.params.max_packet_frames;
    int failures = 0;
    uint64_t preroll_total = 0, preroll_max = 0;
    rng_state = seed;
    for (int i = 0; i < count + 2; i++) {
        int64_t target = i == count ? 0 : i == count + 1 ? (int64_t)n * spf - 1
                                                        : (int64_t)(rng() % ((uint64_t)n * spf + 1));
        int64_t landed = -1;
        st = r.desc->seek(r.priv, &r.ctx, target, &landed);
        if (st < 0 || landed < 0 || landed > target || landed % spf) {
            printf("seek %" PRId64 ": status %s landed %" PRId64 " (%s)\n", target, segue_status_name(st),
                   landed, r.err.detail);
            failures++;
            continue;
        }
        size_t idx = (size_t)(landed / spf);
        uint64_t pre = (uint64_t)(target / spf) - idx;
        preroll_total += pre;
        if (pre > preroll_max)
            preroll_max = pre;
        for (int k = 0; k < 20; k++) {
            segue_status rs = r.desc->read_packet(r.priv, &r.ctx, &pkt);
            if (idx + (size_t)k >= n) {
                if (rs != SEGUE_END_OF_STREAM) {
                    printf("seek %" PRId64 ": expected end after %zu packets\n", target, n);
                    failures++;
                }
                break;
            }
            if (rs != SEGUE_OK || hash_bytes(pkt.data, pkt.size) != hashes[idx + (size_t)k] ||
                pkt.pts != (int64_t)(idx + (size_t)k) * spf) {
                printf("seek %" PRId64 ": packet %zu differs from the straight read\n", target,
                       idx + (size_t)k);
                failures++;
                break;
            }
        }
    }
    printf("{\"packets\": %zu, \"seeks\": %d, \"failures\": %d, \"mean_preroll\": %.2f, \"max_preroll\": %" PRIu64
           "}\n",
           n, count + 2, failures, (double)preroll_total / (count + 2), preroll_max);
    segue_mem_free(NULL, hashes);
    demux_close(&r);
    return failures ? 1 : 0;
}

static double cpu_ms(clock_t a, clock_t b) { return 1000.0 * (double)(b - a) / CLOCKS_PER_SEC; }

static int cmd_timing(const char *path)
{
    demux_run r;
    clock_t t0 = clock();
    segue_status st = demux_open(&r, path, 0);
    clock_t t1 = clock();
    if (st < 0) {
        fprintf(stderr, "open: %s\n", r.err.detail);
        demux_close(&r);
        return 1;
    }
    unsigned spf = r.params.max_packet_frames;
    int64_t coded = r.info.frames > 0 ? r.info.frames : (int64_t)spf * 1000;
    int64_t landed;
    segue_packet pkt;
    st = r.desc->seek(r.priv, &r.ctx, coded - 10 * spf, &landed);
    if (st >= 0)
        st = r.desc->read_packet(r.priv, &r.ctx, &pkt);
    clock_t t2 = clock();
    rng_state = 5;
    for (int i = 0; i < 100 && st >= 0; i++) {
        st = r.desc->seek(r.priv, &r.ctx, (int64_t)(rng() % (uint64_t)coded), &landed);
        if (st >= 0)
            st = r.desc->read_packet(r.priv, &r.ctx, &pkt);
    }
    clock_t t3 = clock();
    printf("{\"frames\": %" PRId64 ", \"open_ms\": %.1f, \"first_far_seek_ms\": %.1f, "
           "\"random_seek_ms\": %.3f, \"status\": \"%s\"}\n",
           r.info.frames, cpu_ms(t0, t1), cpu_ms(t1, t2), cpu_ms(t2, t3) / 100, segue_status_name(st));
    demux_close(&r);
    return 0;
}

/* ---- through segue_decoder ------------------------------------------------ */

static segue_status decoder_open(segue_decoder **d, const char *path, int strict, int pipe)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.strict = strict;
    segue_io io;
    if (pipe) {
        static trickle t;
        t.f = fopen(path, "rb");
        if (!t.f)
            return SEGUE_ERR_OPEN;
        memset(&io, 0, sizeof io);
        io.read = trickle_read;
        io.close = trickle_close;
        io.user = &t;
    } else {
        segue_status st = segue_io_from_path(&io, path);
        if (st < 0)
            return st;
    }
    return segue_decoder_open(d, &io, &cfg);
}

static int cmd_open(const char *path, int strict, int pipe)
{
    segue_decoder *d = NULL;
    segue_status st = decoder_open(&d, path, strict, pipe);
    printf("{\"status\": \"%s\", \"error\": ", segue_status_name(st));
    json_str(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *in = segue_decoder_info(d);
        float buf[4096];
        uint64_t total = 0;
        size_t got;
        segue_status rs;
        while ((rs = segue_decoder_read_f32(d, buf, 4096 / in->channels, &got)) == SEGUE_OK)
            total += got;
        printf(", \"frames\": %" PRIu64 ", \"info_frames\": %" PRId64 ", \"read_status\": \"%s\", "
               "\"read_error\": ",
               total, in->frames, segue_status_name(rs));
        json_str(segue_decoder_last_error(d));
    }
    printf("}\n");
    segue_decoder_destroy(d);
    return 0;
}

static int cmd_decode(const char *path, const char *out)
{
    segue_decoder *d = NULL;
    segue_status st = decoder_open(&d, path, 0, 0);
    if (st < 0) {
        fprintf(stderr, "%s: %s\n", path, segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return 1;
    }
    const segue_stream_info *in = segue_decoder_info(d);
    FILE *f = fopen(out, "wb");
    float buf[8192];
    uint64_t total = 0;
    size_t got;
    while ((st = segue_decoder_read_f32(d, buf, 8192 / in->channels, &got)) == SEGUE_OK) {
        fwrite(buf, sizeof(float) * in->channels, got, f);
        total += got;
    }
    fclose(f);
    printf("{\"frames\": %" PRIu64 ", \"info_frames\": %" PRId64 ", \"rate\": %u, \"channels\": %u, "
           "\"status\": \"%s\"}\n",
           total, in->frames, in->sample_rate, in->channels, segue_status_name(st));
    segue_decoder_destroy(d);
    return st < 0 ? 1 : 0;
}

static int cmd_seek(const char *path, int count, unsigned seed)
{
    segue_decoder *d = NULL;
    segue_status st = decoder_open(&d, path, 0, 0);
    if (st < 0) {
        fprintf(stderr, "%s: %s\n", path, segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return 1;
    }
    const segue_stream_info *in = segue_decoder_info(d);
    unsigned ch = in->channels;
    size_t cap = 1 << 20, n = 0;
    float *all = segue_mem_alloc(NULL, cap * sizeof(float) * ch);
    size_t got;
    for (;;) {
        if (n + 4096 > cap) {
            all = segue_mem_realloc(NULL, all, cap * sizeof(float) * ch, 2 * cap * sizeof(float) * ch);
            cap *= 2;
        }
        st = segue_decoder_read_f32(d, all + n * ch, 4096, &got);
        if (st != SEGUE_OK)
            break;
        n += got;
    }
    int failures = 0;
    float *chunk = segue_mem_alloc(NULL, 3000 * sizeof(float) * ch);
    rng_state = seed;
    for (int i = 0; i < count + 2; i++) {
        int64_t target = i == count ? 0 : i == count + 1 ? (int64_t)n - 1 : (int64_t)(rng() % (n + 1));
        if (target < 0)
            target = 0;
        st = segue_decoder_seek(d, target);
        if (st < 0) {
            printf("seek %" PRId64 ": %s (%s)\n", target, segue_status_name(st), segue_decoder_last_error(d));
            failures++;
            break;
        }
        size_t want = n - (size_t)target < 3000 ? n - (size_t)target : 3000, have = 0;
        while (have < want) {
            st = segue_decoder_read_f32(d, chunk + have * ch, want - have, &got);
            if (st != SEGUE_OK)
                break;
            have += got;
        }
        if (have != want || memcmp(chunk, all + (size_t)target * ch, want * ch * sizeof(float)) != 0) {
            size_t first = 0;
            while (first < have * ch && chunk[first] == all[(size_t)target * ch + first])
                first++;
            printf("seek %" PRId64 ": got %zu of %zu frames, first difference at frame %zu\n", target, have,
                   want, first / ch);
            failures++;
        }
    }
    printf("{\"frames\": %zu, \"seeks\": %d, \"failures\": %d}\n", n, count + 2, failures);
    segue_mem_free(NULL, chunk);
    segue_mem_free(NULL, all);
    segue_decoder_destroy(d);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "has-decoder") == 0)
        return segue_codec_find("mp3", SEGUE_CODEC_DECODE) ? 0 : 1;
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "info") == 0)
        return cmd_info(argv[2], argc == 4 && strcmp(argv[3], "strict") == 0);
    if (argc >= 3 && strcmp(argv[1], "open") == 0) {
        int strict = 0, pipe = 0;
        for (int i = 3; i < argc; i++) {
            strict |= strcmp(argv[i], "strict") == 0;
            pipe |= strcmp(argv[i], "pipe") == 0;
        }
        return cmd_open(argv[2], strict, pipe);
    }
    if (argc == 5 && strcmp(argv[1], "seek-demux") == 0)
        return cmd_seek_demux(argv[2], atoi(argv[3]), (unsigned)atoi(argv[4]));
    if (argc == 3 && strcmp(argv[1], "timing") == 0)
        return cmd_timing(argv[2]);
    if (argc == 4 && strcmp(argv[1], "decode") == 0)
        return cmd_decode(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "seek") == 0)
        return cmd_seek(argv[2], atoi(argv[3]), (unsigned)atoi(argv[4]));
    fprintf(stderr, "usage: see the comment at the top of mp3demux_tool.c\n");
    return 64;
}
