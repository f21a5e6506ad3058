/* tests/aacenc/aacenc_unit.c - the "aac" encoder descriptor's contract,
 * without files: settings validation and error codes, the AudioSpecificConfig
 * and the fields init fills in, allocation failure at every allocation,
 * the call protocol (more than 1024 frames, input after the flush), and
 * non-finite input (NaN, infinities) giving packets our decoder turns into
 * finite samples. Plain C (no cmocka). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/encoder.h>

#include "codec/codec.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* An allocator that fails the n-th allocation (counting from 0), n < 0:
 * never. */
typedef struct fail_alloc {
    int countdown;
    int live;
} fail_alloc;

static void *fa_alloc(void *user, size_t size)
{
    fail_alloc *f = user;
    if (f->countdown == 0)
        return NULL;
    if (f->countdown > 0)
        f->countdown--;
    void *p = malloc(size);
    if (p)
        f->live++;
    return p;
}

static void fa_free(void *user, void *ptr)
{
    fail_alloc *f = user;
    if (ptr)
        f->live--;
    free(ptr);
}

static segue_status init_with(const segue_codec_desc *d, void *priv, uint32_t rate, uint32_t ch,
                              segue_encoder_config *cfg, const segue_allocator *a,
                              segue_codec_params *p)
{
    segue_error err;
    memset(&err, 0, sizeof err);
    memset(p, 0, sizeof *p);
    memset(priv, 0, d->priv_size);
    p->codec = "aac";
    p->sample_rate = rate;
    p->channels = ch;
    p->total_frames = -1;
    p->encoder_config = cfg;
    segue_status st = d->encoder_init(priv, p, a, &err);
    if (st == SEGUE_OK)
        CHECK(err.detail[0] == 0, "message on success: %s", err.detail);
    else
        CHECK(err.detail[0] != 0, "no message for status %d", (int)st);
    return st;
}

static void test_settings(const segue_codec_desc *d, void *priv)
{
    segue_encoder_config cfg;
    segue_codec_params p;
    segue_encoder_config_default(&cfg);
    /* Rates: the 12 AAC rates only. */
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_OK, "44.1k stereo");
    CHECK(p.extradata_size == 2 && p.extradata[0] == 0x12 && p.extradata[1] == 0x10,
          "ASC 44.1k stereo: %02x %02x", p.extradata[0], p.extradata[1]);
    CHECK(p.encoder_delay == 1024 && p.max_packet_frames == 1024, "delay/max frames");
    CHECK(p.avg_bitrate == 128000, "default bitrate %u", p.avg_bitrate);
    d->fini(priv, NULL);
    CHECK(init_with(d, priv, 48000, 6, &cfg, NULL, &p) == SEGUE_OK, "48k 5.1");
    CHECK(p.extradata[0] == 0x11 && p.extradata[1] == 0xB0, "ASC 48k 5.1: %02x %02x",
          p.extradata[0], p.extradata[1]);
    d->fini(priv, NULL);
    CHECK(init_with(d, priv, 96000, 1, &cfg, NULL, &p) == SEGUE_OK, "96k mono");
    CHECK(p.extradata[0] == 0x10 && p.extradata[1] == 0x08, "ASC 96k mono: %02x %02x",
          p.extradata[0], p.extradata[1]);
    d->fini(priv, NULL);
    CHECK(init_with(d, priv, 8000, 1, &cfg, NULL, &p) == SEGUE_OK, "8k mono default rate");
    CHECK(p.avg_bitrate == 48000, "8k default bitrate capped to 48000: %u", p.avg_bitrate);
    d->fini(priv, NULL);
    CHECK(init_with(d, priv, 44000, 2, &cfg, NULL, &p) == SEGUE_ERR_UNSUPPORTED, "44000 Hz");
    d->fini(priv, NULL);
    CHECK(init_with(d, priv, 7350, 2, &cfg, NULL, &p) == SEGUE_ERR_UNSUPPORTED, "7350 Hz");
    d->fini(priv, NULL);
    CHECK(init_with(d, priv, 44100, 7, &cfg, NULL, &p) == SEGUE_ERR_UNSUPPORTED, "7 channels");
    d->fini(priv, NULL);
    CHECK(init_with(d, priv, 44100, 0, &cfg, NULL, &p) == SEGUE_ERR_UNSUPPORTED, "0 channels");
    d->fini(priv, NULL);
    /* Bitrates: 8000 .. 6 x rate per channel. */
    cfg.rate_control = SEGUE_RC_CBR;
    cfg.bitrate = 15999;
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_ERR_INVALID_ARGUMENT, "low rate");
    d->fini(priv, NULL);
    cfg.bitrate = 16000;
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_OK, "16k stereo");
    CHECK(p.max_bitrate == 16000, "CBR max bitrate %u", p.max_bitrate);
    d->fini(priv, NULL);
    cfg.bitrate = 2 * 6 * 44100 + 1;
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_ERR_INVALID_ARGUMENT, "high");
    d->fini(priv, NULL);
    /* VBR quality 1..10. */
    segue_encoder_config_default(&cfg);
    cfg.rate_control = SEGUE_RC_VBR;
    cfg.quality = 0.5f;
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_ERR_INVALID_ARGUMENT, "q 0.5");
    d->fini(priv, NULL);
    cfg.quality = 10.0f;
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_OK, "q 10");
    CHECK(p.avg_bitrate == 256000, "q10 nominal %u", p.avg_bitrate);
    d->fini(priv, NULL);
    cfg.rate_control = (segue_rate_control)9;
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_ERR_INVALID_ARGUMENT, "rc 9");
    d->fini(priv, NULL);
}

static void test_alloc_failure(const segue_codec_desc *d, void *priv)
{
    segue_encoder_config cfg;
    segue_codec_params p;
    segue_encoder_config_default(&cfg);
    int n_ok = 0;
    for (int n = 0; n < 16; n++) {
        fail_alloc f = {n, 0};
        segue_allocator a = {&f, fa_alloc, fa_free};
        segue_status st = init_with(d, priv, 44100, 6, &cfg, &a, &p);
        CHECK(st == SEGUE_OK || st == SEGUE_ERR_NO_MEMORY, "alloc %d: status %d", n, (int)st);
        d->fini(priv, &a);
        CHECK(f.live == 0, "alloc failure %d leaks %d blocks", n, f.live);
        if (st == SEGUE_OK) {
            n_ok = 1;
            break;
        }
    }
    CHECK(n_ok, "init never succeeded with a failing allocator");
}

static void test_protocol(const segue_codec_desc *d, void *priv, const segue_codec_desc *dec)
{
    segue_encoder_config cfg;
    segue_codec_params p;
    segue_encoder_config_default(&cfg);
    CHECK(init_with(d, priv, 44100, 2, &cfg, NULL, &p) == SEGUE_OK, "init");
    void *dpriv = calloc(1, dec->priv_size);
    segue_codec_params dp;
    memset(&dp, 0, sizeof dp);
    dp.codec = "aac";
    dp.sample_rate = 44100;
    dp.channels = 2;
    dp.max_packet_frames = 1024;
    dp.extradata = p.extradata;
    dp.extradata_size = p.extradata_size;
    dp.strict = 1;
    segue_error err;
    memset(&err, 0, sizeof err);
    CHECK(dec->decoder_init(dpriv, &dp, NULL, &err) == SEGUE_OK, "decoder init");
    static float in[1025 * 2];
    segue_packet pkt;
    CHECK(d->encode(priv, in, 1025, &pkt, &err) == SEGUE_ERR_INVALID_ARGUMENT, "1025 frames");
    memset(&err, 0, sizeof err);
    /* Non-finite and huge input, then ordinary audio. */
    for (unsigned i = 0; i < 2048; i++)
        in[i] = (i % 7 == 0) ? NAN : (i % 7 == 1) ? INFINITY : (i % 7 == 2) ? -INFINITY
                : (i % 7 == 3) ? 1e30f : 0.5f * sinf(0.05f * (float)i);
    unsigned packets = 0, bad = 0;
    for (int call = 0; call < 8; call++) {
        segue_status st = d->encode(priv, in, 1024, &pkt, &err);
        CHECK(st == SEGUE_OK, "encode status %d: %s", (int)st, err.detail);
        if (pkt.size) {
            const float *pcm;
            size_t frames;
            segue_packet dk = {pkt.data, pkt.size, -1, 0, 0};
            CHECK(dec->decode(dpriv, &dk, &pcm, &frames, &err) == SEGUE_OK, "decode: %s",
                  err.detail);
            for (size_t i = 0; i < frames * 2; i++)
                bad += isfinite(pcm[i]) ? 0u : 1u;
            packets++;
        }
    }
    CHECK(bad == 0, "%u non-finite samples decoded", bad);
    /* Flush: 1 + ceil(8192 / 1024) = 9 packets in all. */
    for (;;) {
        segue_status st = d->encode(priv, NULL, 0, &pkt, &err);
        if (st == SEGUE_END_OF_STREAM)
            break;
        CHECK(st == SEGUE_OK && pkt.size > 0, "flush status %d", (int)st);
        if (st != SEGUE_OK)
            break;
        packets++;
    }
    CHECK(packets == 9, "%u packets for 8192 frames", packets);
    CHECK(d->encode(priv, in, 10, &pkt, &err) == SEGUE_ERR_STATE, "input after flush");
    /* reset forgets the stream: a new one works. */
    d->reset(priv);
    memset(&err, 0, sizeof err);
    CHECK(d->encode(priv, in + 8, 100, &pkt, &err) == SEGUE_OK, "after reset");
    dec->fini(dpriv, NULL);
    free(dpriv);
    d->fini(priv, NULL);
}

/* Frame-aligned priming (aac_enc.c "Framing"): with a container that
 * records the delay and a known length n > 512, the delay is 1024 plus the
 * alignment and the flush emits exactly (delay + n) / 1024 packets; without
 * either, the delay stays 1024 and the stream ends with padding. */
static void test_aligned_priming(const segue_codec_desc *d, void *priv)
{
    static const struct {
        int recorded;
        int64_t total, hint;
        unsigned n, delay;
    } cases[] = {
        {1, 3000, -1, 3000, 1024 + 72},  {1, -1, 3000, 3000, 1024 + 72},
        {1, 2048, -1, 2048, 1024},       {1, 1025, -1, 1025, 1024 + 1023},
        {1, 513, -1, 513, 1024 + 511},   {1, 512, -1, 512, 1024},
        {1, 0, -1, 0, 1024},             {1, -1, -1, 3000, 1024},
        {0, 3000, -1, 3000, 1024},       {1, -1, 5000, 3000, 1024 + 120},
    };
    static float in[1024 * 2];
    for (unsigned i = 0; i < 1024 * 2; i++)
        in[i] = 0.25f * sinf(0.05f * (float)i);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        segue_encoder_config cfg;
        segue_codec_params p;
        segue_error err;
        segue_packet pkt;
        memset(&err, 0, sizeof err);
        segue_encoder_config_default(&cfg);
        cfg.total_frames = cases[k].total;
        cfg.length_hint = cases[k].hint;
        memset(&p, 0, sizeof p);
        memset(priv, 0, d->priv_size);
        p.codec = "aac";
        p.sample_rate = 44100;
        p.channels = 2;
        p.total_frames = cfg.total_frames;
        p.encoder_config = &cfg;
        p.delay_recorded = cases[k].recorded;
        if (d->encoder_init(priv, &p, NULL, &err) != SEGUE_OK) {
            CHECK(0, "case %zu: init: %s", k, err.detail);
            continue;
        }
        CHECK(p.encoder_delay == cases[k].delay, "case %zu: delay %u, want %u", k,
              p.encoder_delay, cases[k].delay);
        unsigned packets = 0, left = cases[k].n;
        segue_status st = SEGUE_OK;
        while (left && st >= 0) {
            unsigned m = left < 1024 ? left : 1024;
            st = d->encode(priv, in, m, &pkt, &err);
            packets += st == SEGUE_OK && pkt.size > 0;
            left -= m;
        }
        while (st == SEGUE_OK) {
            st = d->encode(priv, NULL, 0, &pkt, &err);
            packets += st == SEGUE_OK && pkt.size > 0;
        }
        unsigned want = (p.encoder_delay + cases[k].n + 1023) / 1024;
        CHECK(st == SEGUE_END_OF_STREAM && packets == want, "case %zu: %u packets, want %u", k,
              packets, want);
        d->fini(priv, NULL);
    }
}

int main(void)
{
    const segue_codec_desc *d = segue_codec_find("aac", SEGUE_CODEC_ENCODE);
    const segue_codec_desc *dec = segue_codec_find("aac", SEGUE_CODEC_DECODE);
    if (!d || !dec) {
        printf("FAIL: no aac encoder or decoder registered\n");
        return 1;
    }
    CHECK(d->encoder_rates && d->encoder_rates[0] == 8000 && d->encoder_rates[11] == 96000 &&
              d->encoder_rates[12] == 0,
          "encoder_rates");
    void *priv = malloc(d->priv_size);
    test_settings(d, priv);
    test_alloc_failure(d, priv);
    test_protocol(d, priv, dec);
    test_aligned_priming(d, priv);
    free(priv);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("aacenc_unit: all passed\n");
    return 0;
}
