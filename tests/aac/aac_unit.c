/* tests/aac/aac_unit.c - unit tests of the own AAC-LC decoder (codec/aac):
 * the IMDCT (2048 and 256; the segue_dsp kernel of the active level) against
 * a direct O(N^2) sum of 14496-3 4.6.11.3.1, the state size budget (48 KiB for stereo), allocation only in
 * init (a counting allocator; none for mono/stereo, one block for 5.1),
 * HE-AAC refused at init (object types 5 and 29, explicit 0x2b7 SBR
 * signalling) and by an EXT_SBR_DATA fill element in the first packet (a
 * later one is skipped), a hand-made silent raw_data_block, damaged packets
 * (reserved codebook, a coupling channel element, every truncation) and
 * garbage in strict and lenient mode (never a crash; lenient conceals with
 * 1024 finite frames and SEGUE_CODEC_CONCEALED, its detail naming the
 * packet; strict says SEGUE_ERR_CORRUPT with the same detail). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codec/codec.h"
#include "simd/dsp.h"
#include "core/alloc.h"

static int failures;
#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            failures++;                                                                           \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                           \
            printf(__VA_ARGS__);                                                                  \
            printf("\n");                                                                         \
        }                                                                                         \
    } while (0)

static uint32_t rng = 12345u;
static uint32_t next_rand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* Bit packer for hand-made bitstreams. */
typedef struct packer {
    uint8_t buf[64];
    size_t bits;
} packer;

static void put(packer *p, unsigned n, unsigned v)
{
    for (unsigned i = n; i-- > 0;) {
        if ((v >> i) & 1u)
            p->buf[p->bits >> 3] |= (uint8_t)(0x80u >> (p->bits & 7u));
        p->bits++;
    }
}

static size_t bytes_of(const packer *p)
{
    return (p->bits + 7) / 8;
}

static void test_imdct(void)
{
    static float in[1024], out[2048], work[1024];
    for (unsigned log2n = 8; log2n <= 11; log2n += 3) {
        unsigned n = 1u << log2n, half = n / 2;
        for (unsigned k = 0; k < half; k++)
            in[k] = (float)((int)(next_rand() % 20001u) - 10000) / 10000.0f;
        segue_dsp_get()->aac_imdct(out, in, log2n, work);
        double max_err = 0.0, max_ref = 0.0;
        for (unsigned i = 0; i < n; i++) {
            double sum = 0.0, n0 = (n / 2.0 + 1.0) / 2.0;
            for (unsigned k = 0; k < half; k++)
                sum += in[k] * cos(2.0 * 3.14159265358979323846 / n * (i + n0) * (k + 0.5));
            sum *= 2.0 / n;
            double e = fabs(sum - out[i]);
            if (e > max_err)
                max_err = e;
            if (fabs(sum) > max_ref)
                max_ref = fabs(sum);
        }
        printf("imdct %u (%s): max error %.3g (max value %.3g)\n", n, segue_cpu_level_name(segue_cpu_active()), max_err,
               max_ref);
        CHECK(max_err < 1e-5 * (max_ref > 1 ? max_ref : 1), "IMDCT %u off by %g", n, max_err);
    }
}

typedef struct counting {
    size_t allocs, frees;
} counting;

static void *count_alloc(void *user, size_t size)
{
    ((counting *)user)->allocs++;
    return segue_mem_alloc(NULL, size);
}

static void count_free(void *user, void *ptr)
{
    if (ptr)
        ((counting *)user)->frees++;
    segue_mem_free(NULL, ptr);
}

typedef struct dec {
    const segue_codec_desc *desc;
    void *priv;
    counting count;
    segue_allocator alloc;
    segue_error err;
    unsigned channels;
} dec;

static segue_status open_dec(dec *d, const uint8_t *asc, size_t asc_size, unsigned channels,
                             int strict)
{
    memset(d, 0, sizeof *d);
    d->desc = segue_codec_find("aac", SEGUE_CODEC_DECODE);
    if (!d->desc)
        return SEGUE_ERR_INTERNAL;
    d->alloc.user = &d->count;
    d->alloc.alloc = count_alloc;
    d->alloc.free = count_free;
    d->priv = segue_mem_calloc(NULL, 1, d->desc->priv_size);
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "aac";
    p.sample_rate = 44100;
    p.channels = channels;
    p.max_packet_frames = 1024;
    p.extradata = asc;
    p.extradata_size = asc_size;
    p.strict = strict;
    d->channels = channels;
    return d->desc->decoder_init(d->priv, &p, &d->alloc, &d->err);
}

static void close_dec(dec *d)
{
    d->desc->fini(d->priv, &d->alloc);
    CHECK(d->count.allocs == d->count.frees, "allocations %zu, frees %zu", d->count.allocs,
          d->count.frees);
    segue_mem_free(NULL, d->priv);
}

static segue_status decode(dec *d, const uint8_t *data, size_t size, size_t *frames,
                           const float **pcm)
{
    segue_packet pkt = {data, size, -1, 0, 0};
    memset(&d->err, 0, sizeof d->err);
    return d->desc->decode(d->priv, &pkt, pcm, frames, &d->err);
}

/* ASC of AAC-LC (object type 2) at 44.1 kHz with channel configuration c. */
static void lc_asc(uint8_t asc[2], unsigned config)
{
    asc[0] = (uint8_t)(2u << 3 | 4u >> 1);
    asc[1] = (uint8_t)((4u & 1u) << 7 | config << 3);
}

static void test_sizes_and_alloc(void)
{
    const segue_codec_desc *desc = segue_codec_find("aac", SEGUE_CODEC_DECODE);
    CHECK(desc != NULL, "no aac decoder registered");
    if (!desc)
        return;
    printf("state: %zu bytes\n", desc->priv_size);
    CHECK(desc->priv_size <= 48 * 1024, "state %zu bytes above 48 KiB", desc->priv_size);
    uint8_t asc[2];
    for (unsigned config = 1; config <= 7; config++) {
        unsigned ch = config == 7 ? 8 : config;
        dec d;
        lc_asc(asc, config);
        segue_status st = open_dec(&d, asc, 2, ch, 0);
        CHECK(st == SEGUE_OK, "config %u init: %s", config, d.err.detail);
        CHECK(d.count.allocs == (ch > 2 ? 1u : 0u), "config %u: init allocated %zu times",
              config, d.count.allocs);
        size_t before = d.count.allocs;
        uint8_t junk[300];
        for (int i = 0; i < 50; i++) {
            for (size_t k = 0; k < sizeof junk; k++)
                junk[k] = (uint8_t)next_rand();
            size_t frames = 0;
            const float *pcm = NULL;
            decode(&d, junk, 1 + next_rand() % sizeof junk, &frames, &pcm);
        }
        CHECK(d.count.allocs == before, "config %u: decode allocated", config);
        close_dec(&d);
    }
    /* Channel count disagreeing with the ASC. */
    dec d;
    lc_asc(asc, 2);
    CHECK(open_dec(&d, asc, 2, 1, 0) == SEGUE_ERR_UNSUPPORTED, "1 channel vs config 2 accepted");
    close_dec(&d);
}

static void test_he_aac(void)
{
    /* Object type 5 (SBR) and 29 (PS): 5 bits, 31 escapes to 32 + 6 bits. */
    packer p5 = {{0}, 0}, p29 = {{0}, 0}, px = {{0}, 0};
    put(&p5, 5, 5);
    put(&p5, 4, 6);
    put(&p5, 4, 2);
    put(&p5, 4, 3);
    put(&p5, 5, 2);
    put(&p29, 5, 29);
    put(&p29, 4, 6);
    put(&p29, 4, 1);
    put(&p29, 4, 3);
    put(&p29, 5, 2);
    /* Explicit: LC, 22.05 kHz core, config 2, GASpecificConfig 000, then
     * sync extension 0x2b7, extension type 5, sbrPresentFlag 1, 44.1 kHz. */
    put(&px, 5, 2);
    put(&px, 4, 7);
    put(&px, 4, 2);
    put(&px, 3, 0);
    put(&px, 11, 0x2b7);
    put(&px, 5, 5);
    put(&px, 1, 1);
    put(&px, 4, 4);
    const packer *cases[3] = {&p5, &p29, &px};
    for (int i = 0; i < 3; i++) {
        dec d;
        segue_status st = open_dec(&d, cases[i]->buf, bytes_of(cases[i]), 0, 0);
        CHECK(st == SEGUE_ERR_UNSUPPORTED, "HE-AAC case %d: status %d", i, (int)st);
        CHECK(strstr(d.err.detail, "unsupported: HE-AAC (SBR)") != NULL,
              "HE-AAC case %d detail '%s'", i, d.err.detail);
        close_dec(&d);
    }
    /* Main profile refused too. */
    uint8_t main_asc[2] = {(uint8_t)(1u << 3 | 2u), (uint8_t)(0u << 7 | 2u << 3)};
    dec d;
    CHECK(open_dec(&d, main_asc, 2, 2, 0) == SEGUE_ERR_UNSUPPORTED, "AAC Main accepted");
    close_dec(&d);
}

enum { BLOCK_SILENT, BLOCK_SBR, BLOCK_RESERVED_HCB, BLOCK_CCE };

/* A silent mono raw_data_block: SCE, global gain 100, a long window with
 * max_sfb 0, no tools; then optionally an EXT_SBR_DATA fill element; END.
 * Damaged variants: BLOCK_RESERVED_HCB has max_sfb 1 and a section of the
 * reserved codebook 12; BLOCK_CCE starts with a coupling channel element. */
static size_t silent_block(uint8_t *out, int kind)
{
    packer p = {{0}, 0};
    if (kind == BLOCK_CCE) {
        put(&p, 3, 2); /* ID_CCE */
        put(&p, 4, 0); /* tag */
        put(&p, 8, 0);
    }
    put(&p, 3, 0);   /* ID_SCE */
    put(&p, 4, 0);   /* tag */
    put(&p, 8, 100); /* global_gain */
    put(&p, 1, 0);   /* ics_reserved_bit */
    put(&p, 2, 0);   /* ONLY_LONG_SEQUENCE */
    put(&p, 1, 0);   /* sine */
    if (kind == BLOCK_RESERVED_HCB) {
        put(&p, 6, 1);  /* max_sfb */
        put(&p, 1, 0);  /* predictor_data_present */
        put(&p, 4, 12); /* sect_cb: reserved */
        put(&p, 5, 1);  /* sect_len */
    } else {
        put(&p, 6, 0); /* max_sfb */
        put(&p, 1, 0); /* predictor_data_present */
    }
    put(&p, 3, 0);   /* pulse, tns, gain control: absent */
    int sbr = kind == BLOCK_SBR;
    if (sbr) {
        put(&p, 3, 6); /* ID_FIL */
        put(&p, 4, 2); /* count */
        put(&p, 4, 13); /* EXT_SBR_DATA */
        put(&p, 12, 0);
    }
    put(&p, 3, 7); /* ID_END */
    size_t n = bytes_of(&p);
    memcpy(out, p.buf, n);
    return n;
}

/* "packet N" as a word of `detail`. */
static int names_packet(const char *detail, unsigned long long n)
{
    char want[40];
    snprintf(want, sizeof want, "in packet %llu", n);
    const char *at = strstr(detail, want);
    return at && (at[strlen(want)] < '0' || at[strlen(want)] > '9');
}

static void test_packets(void)
{
    uint8_t asc[2], block[64];
    lc_asc(asc, 1);
    for (int strict = 0; strict <= 1; strict++) {
        dec d;
        CHECK(open_dec(&d, asc, 2, 1, strict) == SEGUE_OK, "mono init");
        size_t n = silent_block(block, BLOCK_SILENT), frames = 0;
        const float *pcm = NULL;
        unsigned long long packet = 1;
        segue_status st = decode(&d, block, n, &frames, &pcm);
        CHECK(st == SEGUE_OK && frames == 1024, "silent block: %d %zu %s", (int)st, frames,
              d.err.detail);
        for (size_t i = 0; st == SEGUE_OK && i < frames; i++)
            CHECK(pcm[i] == 0.0f, "silent block sample %zu = %g", i, (double)pcm[i]);
        /* Every truncation: damage, named with its packet number. */
        for (size_t cut = 1; cut < n; cut++) {
            st = decode(&d, block, cut, &frames, &pcm);
            packet++;
            if (strict)
                CHECK(st == SEGUE_ERR_CORRUPT && names_packet(d.err.detail, packet),
                      "strict cut %zu: %d '%s'", cut, (int)st, d.err.detail);
            else
                CHECK(st == SEGUE_CODEC_CONCEALED && frames == 1024 &&
                          names_packet(d.err.detail, packet),
                      "lenient cut %zu: %d %zu '%s'", cut, (int)st, frames, d.err.detail);
        }
        /* Damaged packets between good ones: concealed (strict: corrupt),
         * the next good packet decodes as before. */
        static const struct {
            int kind;
            const char *what;
        } damaged[2] = {{BLOCK_RESERVED_HCB, "reserved codebook 12"},
                        {BLOCK_CCE, "coupling_channel_element"}};
        for (int i = 0; i < 2; i++) {
            n = silent_block(block, damaged[i].kind);
            st = decode(&d, block, n, &frames, &pcm);
            packet++;
            segue_status want = strict ? SEGUE_ERR_CORRUPT : SEGUE_CODEC_CONCEALED;
            CHECK(st == want && strstr(d.err.detail, damaged[i].what) &&
                      strncmp(d.err.detail, "aac: ", 5) == 0 && names_packet(d.err.detail, packet),
                  "%s (strict %d): %d '%s'", damaged[i].what, strict, (int)st, d.err.detail);
            if (!strict) {
                CHECK(frames == 1024, "%s: %zu frames", damaged[i].what, frames);
                for (size_t k = 0; k < frames; k++)
                    if (pcm[k] != 0.0f) {
                        CHECK(0, "%s: concealed sample %zu = %g", damaged[i].what, k,
                              (double)pcm[k]);
                        break;
                    }
            }
            n = silent_block(block, BLOCK_SILENT);
            st = decode(&d, block, n, &frames, &pcm);
            packet++;
            CHECK(st == SEGUE_OK && frames == 1024, "good packet after %s: %d '%s'",
                  damaged[i].what, (int)st, d.err.detail);
        }
        /* SBR data after LC packets: a fill element like any other. */
        n = silent_block(block, BLOCK_SBR);
        st = decode(&d, block, n, &frames, &pcm);
        CHECK(st == SEGUE_OK && frames == 1024, "SBR fill element mid-stream: %d '%s'", (int)st,
              d.err.detail);
        close_dec(&d);
        /* Implicit SBR signalling: SBR data in the first packet. */
        CHECK(open_dec(&d, asc, 2, 1, strict) == SEGUE_OK, "mono init");
        st = decode(&d, block, n, &frames, &pcm);
        CHECK(st == SEGUE_ERR_UNSUPPORTED && strstr(d.err.detail, "unsupported: HE-AAC (SBR)"),
              "SBR fill element first: %d '%s'", (int)st, d.err.detail);
        close_dec(&d);
    }
    /* Garbage in every configuration, both modes, with resets. */
    static uint8_t junk[2048];
    for (unsigned config = 1; config <= 7; config++) {
        for (int strict = 0; strict <= 1; strict++) {
            dec d;
            lc_asc(asc, config);
            unsigned ch = config == 7 ? 8 : config;
            CHECK(open_dec(&d, asc, 2, ch, strict) == SEGUE_OK, "init config %u", config);
            for (int i = 0; i < 300; i++) {
                size_t len = next_rand() % sizeof junk;
                for (size_t k = 0; k < len; k++)
                    junk[k] = (uint8_t)next_rand();
                /* Some packets start like a real element. */
                if (len && (i & 1))
                    junk[0] = (uint8_t)(junk[0] & 0x1F);
                size_t frames = 0;
                const float *pcm = NULL;
                segue_status st = decode(&d, junk, len, &frames, &pcm);
                if (!strict) {
                    CHECK(st == SEGUE_OK || st == SEGUE_CODEC_CONCEALED ||
                              st == SEGUE_ERR_UNSUPPORTED,
                          "lenient garbage: %d", (int)st);
                    if (st == SEGUE_CODEC_CONCEALED)
                        CHECK(strstr(d.err.detail, "packet") != NULL, "concealed: '%s'",
                              d.err.detail);
                } else {
                    CHECK(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT ||
                              st == SEGUE_ERR_UNSUPPORTED,
                          "strict garbage: %d", (int)st);
                    if (st < 0)
                        CHECK(d.err.detail[0] != 0, "no detail for %d", (int)st);
                }
                if ((st == SEGUE_OK || st == SEGUE_CODEC_CONCEALED) && len) {
                    CHECK(frames == 1024, "frames %zu", frames);
                    for (size_t k = 0; k < frames * ch; k++)
                        if (!isfinite(pcm[k])) {
                            CHECK(0, "non-finite output");
                            break;
                        }
                }
                if (i % 97 == 0)
                    d.desc->reset(d.priv);
            }
            close_dec(&d);
        }
    }
}

int main(void)
{
    test_imdct();
    test_sizes_and_alloc();
    test_he_aac();
    test_packets();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all aac unit tests passed\n");
    return 0;
}
