/*
 * container/mp4mux.c - M4A muxer: AAC ("aac" encoder packets, one
 * raw_data_block() each) in an ISO base media file with iTunes metadata.
 *
 * References: ISO/IEC 14496-12 (the box structure; clause numbers below),
 * ISO/IEC 14496-14 5.6 (esds) and 14496-1 7.2.6 (ES_Descriptor,
 * DecoderConfigDescriptor, DecoderSpecificInfo, SLConfigDescriptor),
 * ISO/IEC 14496-3 1.6.2.1 (AudioSpecificConfig), Apple's QuickTime File
 * Format for the iTunes items (mp4_ilst_write.c).
 *
 * File layout (docs/m4a.md says why):
 *   ftyp 'M4A ' | [moov | free] | free [8 bytes] | mdat | [moov]
 * The moov goes before the media ("faststart") when the input length is
 * known at open (segue_encoder_config.total_frames, or its length_hint for
 * at most HINT_MAX_PACKETS packets): the muxer reserves
 * the moov's size for the largest packet count that length can give, and
 * at finish writes the moov there and a 'free' box over the rest. Without a
 * length, or if the final moov outgrows the reservation, it is written
 * after the mdat (still a valid file, not progressive). The sample sizes
 * are kept in memory either way: 4 bytes per 1024-frame packet, at most
 * MAX_SAMPLES packets (64 MiB, 4.5 days of 44.1 kHz audio).
 *
 * A pipe cannot hold either layout (the moov needs every sample size): it
 * gets a fragmented file (14496-12 8.8) instead: ftyp, a moov with empty
 * sample tables and an 'mvex', then one moof + mdat per FRAG_PACKETS
 * packets, buffered in memory allocated at open (FRAG_PACKETS x 768 bytes
 * per channel, 14496-3's largest raw_data_block).
 *
 * Gapless: an edit list (14496-12 8.6.6) whose media_time is the encoder
 * delay and whose segment_duration is the input length, and the iTunSMPB
 * item (delay, padding, length) for players that read only that.
 */
#include <string.h>

#include "codec/codec.h"
#include "container.h"
#include "core/alloc.h"
#include "mp4mux_internal.h"

/* ---- the box buffer (mp4mux_internal.h) ----------------------------------------- */

void mp4w_bytes(mp4w_buf *b, const void *data, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (b->count_only) {
        b->len += n;
        return;
    }
    if (b->len + n > b->cap) {
        if (!b->allocator) { /* a fixed buffer: never grown */
            b->failed = 1;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = 1;
                return;
            }
            cap *= 2;
        }
        uint8_t *p = segue_mem_realloc(b->allocator, b->p, b->cap, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void mp4w_u8(mp4w_buf *b, uint8_t v) { mp4w_bytes(b, &v, 1); }
void mp4w_u16(mp4w_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    mp4w_bytes(b, x, 2);
}
void mp4w_u24(mp4w_buf *b, uint32_t v)
{
    uint8_t x[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    mp4w_bytes(b, x, 3);
}
void mp4w_u32(mp4w_buf *b, uint32_t v)
{
    uint8_t x[4];
    segue_wb32(x, v);
    mp4w_bytes(b, x, 4);
}
void mp4w_u64(mp4w_buf *b, uint64_t v)
{
    mp4w_u32(b, (uint32_t)(v >> 32));
    mp4w_u32(b, (uint32_t)v);
}
void mp4w_zeros(mp4w_buf *b, size_t n)
{
    static const uint8_t z[16];
    while (n) {
        size_t k = n < sizeof z ? n : sizeof z;
        mp4w_bytes(b, z, k);
        n -= k;
    }
}

size_t mp4w_begin(mp4w_buf *b, const char *type)
{
    size_t at = b->len;
    mp4w_u32(b, 0);
    mp4w_bytes(b, type, 4);
    return at;
}

size_t mp4w_begin_full(mp4w_buf *b, const char *type, uint8_t version, uint32_t flags)
{
    size_t at = mp4w_begin(b, type);
    mp4w_u8(b, version);
    mp4w_u24(b, flags);
    return at;
}

void mp4w_end(mp4w_buf *b, size_t at)
{
    if (b->failed)
        return;
    size_t size = b->len - at;
    if (size > 0xFFFFFFFFu) {
        b->failed = 1;
        return;
    }
    if (!b->count_only)
        segue_wb32(b->p + at, (uint32_t)size);
}

void mp4w_free(mp4w_buf *b)
{
    segue_mem_free(b->allocator, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- muxer state ------------------------------------------------------------ */

/* Bounds on what is kept in memory (the file header comment). */
#define MAX_SAMPLES (1u << 24)
/* Most packets a length_hint (not an exact total_frames) reserves room for. */
#define HINT_MAX_PACKETS (1u << 19)
#define MAX_RUNS 4096u          /* stts runs: one in practice (every packet 1024) */
#define SAMPLES_PER_CHUNK 32u   /* ~0.74 s at 44.1 kHz: stco stays 1/32 of stsz */
#define ASC_MAX 64u
/* 14496-3 4.5.3.2: at most 6144 bits per channel in one raw_data_block. */
#define AAC_MAX_BYTES_PER_CHANNEL 768u
/* The reservation's margin over the packets the length gives: the last
 * partial frame and a flush frame. */
#define RESERVE_SLACK_PACKETS 3u

/* Packets per fragment on a pipe: 48 x 1024 frames, about 1.1 s at 44.1 kHz. */
#define FRAG_PACKETS 48u

typedef struct stts_run {
    uint32_t count, delta;
} stts_run;

typedef struct mp4_mux {
    uint32_t rate, channels, delay;
    uint8_t asc[ASC_MAX];
    size_t asc_size;
    uint32_t *sizes; /* one per sample */
    size_t n, cap;
    stts_run *runs;
    size_t runs_n, runs_cap;
    uint64_t media_frames, data_bytes;
    uint32_t max_size;
    /* maxBitrate (14496-1 7.2.6.6.1: the most bits in any one-second
     * window), over a sliding window of `win_len` packets. */
    uint32_t win[128];
    size_t win_len, win_pos, win_fill;
    uint64_t win_sum, win_max;
    int64_t reserve_at;   /* offset of the reserved free box, -1 if none */
    uint64_t reserve_size;
    int reserve_co64;
    int64_t mdat_at;      /* offset of the 16 bytes before the data */
    int force_co64;
    /* Fragmented output (pipes). */
    int frag;
    uint8_t *frag_data;   /* the packets of the fragment being built */
    size_t frag_len, frag_cap;
    uint32_t frag_sizes[FRAG_PACKETS], frag_durs[FRAG_PACKETS];
    size_t frag_n;
    uint32_t frag_seq;    /* mfhd sequence_number of the last fragment */
    uint64_t frag_base;   /* media frames before the fragment (tfdt) */
} mp4_mux;

void segue_mp4mux_force_co64(void *priv)
{
    ((mp4_mux *)priv)->force_co64 = 1;
}

static const uint32_t aac_rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                     22050, 16000, 12000, 11025, 8000,  7350};

static int aac_rate_ok(uint32_t rate)
{
    for (size_t i = 0; i < sizeof aac_rates / sizeof aac_rates[0]; i++)
        if (aac_rates[i] == rate)
            return 1;
    return 0;
}

static segue_status m4a_setup(const segue_encoder_config *cfg, segue_codec_params *params,
                              segue_error *err)
{
    if (cfg->codec && strcmp(cfg->codec, "aac") != 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "m4a: codec '%s' cannot be written; the m4a muxer stores aac",
                               cfg->codec);
    if (!segue_codec_find("aac", SEGUE_CODEC_ENCODE))
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "m4a: no aac encoder in this build");
    if (cfg->channels < 1 || cfg->channels > 8 || cfg->channels == 7)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "m4a: %u channels; AAC channel configurations carry 1-6 or 8",
                               cfg->channels);
    if (!aac_rate_ok(cfg->sample_rate))
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "m4a: %u Hz is not an AAC sampling rate; resample first",
                               cfg->sample_rate);
    params->codec = "aac";
    params->sample_rate = cfg->sample_rate;
    params->channels = cfg->channels;
    params->sample_format = SEGUE_SAMPLE_F32;
    /* The edit list and iTunSMPB carry whatever delay the encoder picks. */
    params->delay_recorded = 1;
    return SEGUE_OK;
}

/* ---- the moov --------------------------------------------------------------- */

static const uint32_t unity_matrix[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};

/* An MPEG-4 descriptor header (14496-1 8.3.3): tag, then the size in the
 * four-byte expandable form iTunes writes (0x80 0x80 0x80 size). */
static void descr(mp4w_buf *b, uint8_t tag, uint32_t size)
{
    mp4w_u8(b, tag);
    mp4w_u8(b, (uint8_t)(0x80 | ((size >> 21) & 0x7F)));
    mp4w_u8(b, (uint8_t)(0x80 | ((size >> 14) & 0x7F)));
    mp4w_u8(b, (uint8_t)(0x80 | ((size >> 7) & 0x7F)));
    mp4w_u8(b, (uint8_t)(size & 0x7F));
}

static void esds(const mp4_mux *m, mp4w_buf *b, uint32_t avg_bps, uint32_t max_bps)
{
    size_t at = mp4w_begin_full(b, "esds", 0, 0);
    uint32_t dsi = 5 + (uint32_t)m->asc_size;
    uint32_t dcd = 13 + dsi;
    uint32_t sl = 5 + 1;
    descr(b, 0x03, 3 + 5 + dcd + sl); /* ES_DescrTag */
    mp4w_u16(b, 0);                   /* ES_ID: 0 in a file (14496-14 3.1.2) */
    mp4w_u8(b, 0);                    /* no dependency, URL or OCR stream */
    descr(b, 0x04, dcd);              /* DecoderConfigDescrTag */
    mp4w_u8(b, 0x40);                 /* objectTypeIndication: MPEG-4 audio */
    mp4w_u8(b, 0x05 << 2 | 1);        /* streamType audio, upStream 0, reserved 1 */
    mp4w_u24(b, m->max_size);         /* bufferSizeDB: the largest access unit */
    mp4w_u32(b, max_bps);
    mp4w_u32(b, avg_bps);
    descr(b, 0x05, (uint32_t)m->asc_size); /* DecSpecificInfoTag: the ASC */
    mp4w_bytes(b, m->asc, m->asc_size);
    descr(b, 0x06, 1); /* SLConfigDescrTag, predefined 2 (MP4 files) */
    mp4w_u8(b, 0x02);
    mp4w_end(b, at);
}

/* Counts for one rendering of the moov. */
typedef struct moov_plan {
    size_t samples;          /* packets */
    const uint32_t *sizes;   /* NULL: sizing only (zeros) */
    const stts_run *runs;    /* NULL: one run of `samples` x 1024 */
    size_t runs_n;
    uint64_t media_frames;   /* sum of the sample durations */
    uint64_t length;         /* input frames (edit list, iTunSMPB) */
    uint32_t padding;
    uint64_t data_at;        /* file offset of the first sample */
    int co64;
    int fragmented;          /* empty sample tables, mvex, no iTunSMPB */
    uint32_t avg_bps, max_bps;
    const segue_metadata *metadata;
    segue_metadata *unmapped;
} moov_plan;

/* A version-0 or version-1 time field (14496-12 8.2.2: version 1 when a
 * duration needs 64 bits). */
static void time_field(mp4w_buf *b, int v1, uint64_t v)
{
    if (v1)
        mp4w_u64(b, v);
    else
        mp4w_u32(b, (uint32_t)v);
}

static segue_status build_moov(const mp4_mux *m, const moov_plan *p, mp4w_buf *b)
{
    uint64_t longest = p->media_frames > p->length ? p->media_frames : p->length;
    int v1 = longest > 0xFFFFFFFFu;
    size_t chunks = (p->samples + SAMPLES_PER_CHUNK - 1) / SAMPLES_PER_CHUNK;

    size_t moov = mp4w_begin(b, "moov");
    /* mvhd (8.2.2): times 0 (no clock: output is reproducible), the movie
     * timescale = the sample rate so the edit list is exact in frames. */
    size_t at = mp4w_begin_full(b, "mvhd", (uint8_t)v1, 0);
    time_field(b, v1, 0);
    time_field(b, v1, 0);
    mp4w_u32(b, m->rate);
    time_field(b, v1, p->length);
    mp4w_u32(b, 0x00010000); /* rate 1.0 */
    mp4w_u16(b, 0x0100);     /* volume 1.0 */
    mp4w_zeros(b, 10);
    for (int i = 0; i < 9; i++)
        mp4w_u32(b, unity_matrix[i]);
    mp4w_zeros(b, 24);
    mp4w_u32(b, 2); /* next_track_ID */
    mp4w_end(b, at);

    size_t trak = mp4w_begin(b, "trak");
    /* tkhd (8.3.2): enabled, in movie, in preview; duration = the edit. */
    at = mp4w_begin_full(b, "tkhd", (uint8_t)v1, 7);
    time_field(b, v1, 0);
    time_field(b, v1, 0);
    mp4w_u32(b, 1); /* track_ID */
    mp4w_u32(b, 0);
    time_field(b, v1, p->length);
    mp4w_zeros(b, 8);
    mp4w_u16(b, 0);      /* layer */
    mp4w_u16(b, 0);      /* alternate_group */
    mp4w_u16(b, 0x0100); /* volume: audio */
    mp4w_u16(b, 0);
    for (int i = 0; i < 9; i++)
        mp4w_u32(b, unity_matrix[i]);
    mp4w_u32(b, 0); /* width, height: none */
    mp4w_u32(b, 0);
    mp4w_end(b, at);

    /* edts/elst (8.6.6): one edit, the input's frames after the priming. */
    size_t edts = mp4w_begin(b, "edts");
    at = mp4w_begin_full(b, "elst", (uint8_t)v1, 0);
    mp4w_u32(b, 1);
    time_field(b, v1, p->length);
    time_field(b, v1, m->delay);
    mp4w_u16(b, 1); /* media_rate 1.0 */
    mp4w_u16(b, 0);
    mp4w_end(b, at);
    mp4w_end(b, edts);

    size_t mdia = mp4w_begin(b, "mdia");
    at = mp4w_begin_full(b, "mdhd", (uint8_t)v1, 0); /* 8.4.2 */
    time_field(b, v1, 0);
    time_field(b, v1, 0);
    mp4w_u32(b, m->rate);
    time_field(b, v1, p->media_frames);
    mp4w_u16(b, 0x55C4); /* language 'und' (ISO 639-2/T, 5-bit packed) */
    mp4w_u16(b, 0);
    mp4w_end(b, at);
    at = mp4w_begin_full(b, "hdlr", 0, 0); /* 8.4.3 */
    mp4w_u32(b, 0);
    mp4w_bytes(b, "soun", 4);
    mp4w_zeros(b, 12);
    mp4w_bytes(b, "SoundHandler", 13); /* with its NUL */
    mp4w_end(b, at);

    size_t minf = mp4w_begin(b, "minf");
    at = mp4w_begin_full(b, "smhd", 0, 0); /* 12.2.2: balance 0 */
    mp4w_u32(b, 0);
    mp4w_end(b, at);
    size_t dinf = mp4w_begin(b, "dinf"); /* 8.7.1-8.7.2: data in this file */
    size_t dref = mp4w_begin_full(b, "dref", 0, 0);
    mp4w_u32(b, 1);
    mp4w_end(b, mp4w_begin_full(b, "url ", 0, 1));
    mp4w_end(b, dref);
    mp4w_end(b, dinf);

    size_t stbl = mp4w_begin(b, "stbl");
    size_t stsd = mp4w_begin_full(b, "stsd", 0, 0); /* 8.5.2 */
    mp4w_u32(b, 1);
    size_t mp4a = mp4w_begin(b, "mp4a"); /* AudioSampleEntry, 12.2.3 */
    mp4w_zeros(b, 6);
    mp4w_u16(b, 1); /* data_reference_index */
    mp4w_zeros(b, 8);
    /* 12.2.3.2 templates 2; the real count, as iTunes and ffmpeg write
     * it, helps readers that do not parse the ASC. */
    mp4w_u16(b, (uint16_t)m->channels);
    mp4w_u16(b, 16);
    mp4w_zeros(b, 4);
    mp4w_u32(b, m->rate < 65536 ? m->rate << 16 : 0);
    esds(m, b, p->avg_bps, p->max_bps);
    mp4w_end(b, mp4a);
    mp4w_end(b, stsd);

    at = mp4w_begin_full(b, "stts", 0, 0); /* 8.6.1.2 */
    if (p->runs) {
        mp4w_u32(b, (uint32_t)p->runs_n);
        for (size_t i = 0; i < p->runs_n; i++) {
            mp4w_u32(b, p->runs[i].count);
            mp4w_u32(b, p->runs[i].delta);
        }
    } else {
        mp4w_u32(b, p->samples ? 1 : 0);
        if (p->samples) {
            mp4w_u32(b, (uint32_t)p->samples);
            mp4w_u32(b, 1024);
        }
    }
    mp4w_end(b, at);

    /* stsc (8.7.4): SAMPLES_PER_CHUNK per chunk, the last chunk the rest. */
    at = mp4w_begin_full(b, "stsc", 0, 0);
    size_t last = p->samples % SAMPLES_PER_CHUNK;
    int two = last && chunks > 1;
    mp4w_u32(b, p->samples ? (two ? 2u : 1u) : 0u);
    if (p->samples) {
        mp4w_u32(b, 1);
        mp4w_u32(b, chunks == 1 ? (uint32_t)p->samples : SAMPLES_PER_CHUNK);
        mp4w_u32(b, 1);
        if (two) {
            mp4w_u32(b, (uint32_t)chunks);
            mp4w_u32(b, (uint32_t)last);
            mp4w_u32(b, 1);
        }
    }
    mp4w_end(b, at);

    at = mp4w_begin_full(b, "stsz", 0, 0); /* 8.7.3.2 */
    mp4w_u32(b, 0);
    mp4w_u32(b, (uint32_t)p->samples);
    if (p->sizes)
        for (size_t i = 0; i < p->samples; i++)
            mp4w_u32(b, p->sizes[i]);
    else
        mp4w_zeros(b, 4 * p->samples);
    mp4w_end(b, at);

    /* stco / co64 (8.7.5): the chunks follow each other in one mdat. */
    at = mp4w_begin_full(b, p->co64 ? "co64" : "stco", 0, 0);
    mp4w_u32(b, (uint32_t)chunks);
    uint64_t off = p->data_at;
    for (size_t c = 0; c < chunks; c++) {
        if (p->co64)
            mp4w_u64(b, off);
        else
            mp4w_u32(b, (uint32_t)off);
        if (p->sizes)
            for (size_t i = c * SAMPLES_PER_CHUNK; i < p->samples && i < (c + 1) * SAMPLES_PER_CHUNK; i++)
                off += p->sizes[i];
    }
    mp4w_end(b, at);
    mp4w_end(b, stbl);
    mp4w_end(b, minf);
    mp4w_end(b, mdia);
    mp4w_end(b, trak);

    if (p->fragmented) {
        /* mvex/trex (8.8.1, 8.8.3): track 1's defaults; every trun states
         * its sizes and durations. */
        size_t mvex = mp4w_begin(b, "mvex");
        at = mp4w_begin_full(b, "trex", 0, 0);
        mp4w_u32(b, 1);    /* track_ID */
        mp4w_u32(b, 1);    /* default_sample_description_index */
        mp4w_u32(b, 1024); /* default_sample_duration */
        mp4w_u32(b, 0);    /* default_sample_size */
        mp4w_u32(b, 0);    /* default_sample_flags */
        mp4w_end(b, at);
        mp4w_end(b, mvex);
    }

    /* iTunSMPB needs the padding, which a fragmented file's moov (written
     * first) cannot know: there the edit list alone carries the gapless
     * values. */
    mp4w_smpb smpb = {!p->fragmented, m->delay, p->padding, p->length};
    segue_status st = mp4w_udta(b, p->metadata, &smpb, p->unmapped);
    mp4w_end(b, moov);
    if (st < 0 || b->failed)
        return SEGUE_ERR_NO_MEMORY;
    return SEGUE_OK;
}

/* ---- open, packets, finish ------------------------------------------------ */

/* 14496-3 1.6.2.1: audioObjectType (5 bits, 31 = escape), then the
 * sampling frequency index (4 bits; 15 = a 24-bit rate), then the channel
 * configuration (4 bits). Checks it describes the stream being written. */
static segue_status check_asc(mp4_mux *m, segue_mux_ctx *ctx, const segue_codec_params *p)
{
    if (!p->extradata || p->extradata_size < 2 || p->extradata_size > ASC_MAX)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "m4a: the encoder gave a %zu-byte AudioSpecificConfig (2..%u)",
                               p->extradata_size, ASC_MAX);
    const uint8_t *a = p->extradata;
    unsigned aot = a[0] >> 3;
    unsigned sfi = (unsigned)((a[0] & 7) << 1 | a[1] >> 7);
    if (aot == 31 || sfi == 15 || sfi >= sizeof aac_rates / sizeof aac_rates[0])
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "m4a: AudioSpecificConfig with an escaped object type or rate");
    if (aac_rates[sfi] != p->sample_rate && aot != 5 && aot != 29)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "m4a: AudioSpecificConfig says %u Hz, the stream %u Hz",
                               aac_rates[sfi], p->sample_rate);
    memcpy(m->asc, a, p->extradata_size);
    m->asc_size = p->extradata_size;
    return SEGUE_OK;
}

/* ---- fragmented output (pipes) ---------------------------------------------- */

/* ftyp and a moov with empty tables and mvex (14496-12 8.8.1). The edit
 * list holds the delay and, when the caller gave it, the input length. */
static segue_status open_fragmented(mp4_mux *m, segue_mux_ctx *ctx)
{
    m->frag_cap = (size_t)FRAG_PACKETS * AAC_MAX_BYTES_PER_CHANNEL * m->channels;
    m->frag_data = segue_mem_alloc(ctx->allocator, m->frag_cap);
    if (!m->frag_data)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "m4a: out of memory");
    mp4w_buf b = {ctx->allocator, NULL, 0, 0, 0, 0};
    size_t at = mp4w_begin(&b, "ftyp");
    mp4w_bytes(&b, "M4A ", 4);
    mp4w_u32(&b, 0);
    mp4w_bytes(&b, "M4A mp42isomiso6", 16);
    mp4w_end(&b, at);
    moov_plan p;
    memset(&p, 0, sizeof p);
    p.length = ctx->cfg->total_frames >= 0 ? (uint64_t)ctx->cfg->total_frames : 0;
    p.fragmented = 1;
    p.metadata = ctx->metadata;
    p.unmapped = ctx->unmapped;
    m->max_size = AAC_MAX_BYTES_PER_CHANNEL * m->channels; /* bufferSizeDB: the bound */
    segue_status st = build_moov(m, &p, &b);
    if (st < 0) {
        mp4w_free(&b);
        return segue_error_set(ctx->err, st, "m4a: out of memory");
    }
    st = segue_writer_write(ctx->writer, b.p, b.len);
    mp4w_free(&b);
    return st;
}

/* One moof + mdat (8.8.4-8.8.8, 8.8.12) for the buffered packets. */
static segue_status flush_fragment(mp4_mux *m, segue_mux_ctx *ctx)
{
    if (m->frag_n == 0)
        return SEGUE_OK;
    uint8_t hdr[128 + 8 * FRAG_PACKETS]; /* 96 + 8 per packet used */
    mp4w_buf b = {NULL, hdr, 0, sizeof hdr, 0, 0};
    size_t moof = mp4w_begin(&b, "moof");
    size_t at = mp4w_begin_full(&b, "mfhd", 0, 0);
    mp4w_u32(&b, ++m->frag_seq);
    mp4w_end(&b, at);
    size_t traf = mp4w_begin(&b, "traf");
    at = mp4w_begin_full(&b, "tfhd", 0, 0x020000); /* default-base-is-moof */
    mp4w_u32(&b, 1);
    mp4w_end(&b, at);
    at = mp4w_begin_full(&b, "tfdt", 1, 0); /* baseMediaDecodeTime, 64 bits */
    mp4w_u64(&b, m->frag_base);
    mp4w_end(&b, at);
    /* trun: data-offset, sample-duration and sample-size present. */
    at = mp4w_begin_full(&b, "trun", 0, 0x000001 | 0x000100 | 0x000200);
    mp4w_u32(&b, (uint32_t)m->frag_n);
    size_t offset_at = b.len;
    mp4w_u32(&b, 0);
    for (size_t i = 0; i < m->frag_n; i++) {
        mp4w_u32(&b, m->frag_durs[i]);
        mp4w_u32(&b, m->frag_sizes[i]);
    }
    mp4w_end(&b, at);
    mp4w_end(&b, traf);
    mp4w_end(&b, moof);
    /* data_offset: from the moof's first byte to the first sample, past
     * the mdat header. */
    segue_wb32(hdr + offset_at, (uint32_t)(b.len + 8));
    mp4w_u32(&b, (uint32_t)(8 + m->frag_len));
    mp4w_bytes(&b, "mdat", 4);
    if (b.failed)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "m4a: fragment header overflow");
    segue_status st = segue_writer_write(ctx->writer, hdr, b.len);
    if (st >= 0)
        st = segue_writer_write(ctx->writer, m->frag_data, m->frag_len);
    for (size_t i = 0; i < m->frag_n; i++)
        m->frag_base += m->frag_durs[i];
    m->frag_n = 0;
    m->frag_len = 0;
    return st;
}

static segue_status frag_packet(mp4_mux *m, segue_mux_ctx *ctx, const segue_packet *pkt, uint32_t frames)
{
    segue_status st;
    if (m->frag_n == FRAG_PACKETS || m->frag_len + pkt->size > m->frag_cap)
        if ((st = flush_fragment(m, ctx)) < 0)
            return st;
    if (pkt->size > m->frag_cap)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "m4a: %zu-byte packet, more than AAC allows for %u channels", pkt->size,
                               m->channels);
    memcpy(m->frag_data + m->frag_len, pkt->data, pkt->size);
    m->frag_len += pkt->size;
    m->frag_sizes[m->frag_n] = (uint32_t)pkt->size;
    m->frag_durs[m->frag_n] = frames;
    m->frag_n++;
    m->media_frames += frames;
    return SEGUE_OK;
}

static segue_status m4a_open(void *priv, segue_mux_ctx *ctx, const segue_codec_params *params)
{
    mp4_mux *m = priv;
    segue_writer *wr = ctx->writer;
    segue_status st;
    m->reserve_at = -1;
    m->frag = !segue_writer_seekable(wr);
    if (params->sample_rate == 0 || params->channels == 0)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "m4a: no rate or channels");
    m->rate = params->sample_rate;
    m->channels = params->channels;
    m->delay = params->encoder_delay;
    if ((st = check_asc(m, ctx, params)) < 0)
        return st;
    m->win_len = (m->rate + 1023) / 1024;
    if (m->win_len > sizeof m->win / sizeof m->win[0])
        m->win_len = sizeof m->win / sizeof m->win[0];
    if (m->frag)
        return open_fragmented(m, ctx);

    /* ftyp (4.3): the brands iTunes writes for audio-only files. */
    mp4w_buf b = {ctx->allocator, NULL, 0, 0, 0, 0};
    size_t at = mp4w_begin(&b, "ftyp");
    mp4w_bytes(&b, "M4A ", 4);
    mp4w_u32(&b, 0);
    mp4w_bytes(&b, "M4A mp42isom", 12);
    mp4w_u32(&b, 0);
    mp4w_end(&b, at);

    /* Sized once here with the metadata as it stands (with late loudness
     * the placeholders are as long as any real value): this is also where
     * the fields the ilst cannot carry are reported. */
    /* The exact length, else the caller's hint (a hint that turns out
     * short leaves the moov after the audio; see finish). */
    int64_t expect = ctx->cfg->total_frames >= 0 ? ctx->cfg->total_frames : ctx->cfg->length_hint;
    uint64_t total = expect >= 0 ? (uint64_t)expect : 0;
    uint64_t packets = (total + m->delay + 1023) / 1024 + RESERVE_SLACK_PACKETS;
    if (packets > MAX_SAMPLES)
        packets = MAX_SAMPLES;
    /* A hint is whatever an input header claimed (a truncated or crafted
     * file can claim 2^36 frames): it may size at most HINT_MAX_PACKETS of
     * index (2 MiB of stsz, 3.3 hours at 44.1 kHz). A longer stream is
     * still written whole, its moov after the audio. */
    if (ctx->cfg->total_frames < 0 && packets > HINT_MAX_PACKETS)
        packets = HINT_MAX_PACKETS;
    /* co64 when the largest possible stream could pass 4 GiB. */
    uint64_t most = packets * AAC_MAX_BYTES_PER_CHANNEL * m->channels;
    m->reserve_co64 = m->force_co64 || most > 0xF0000000u;
    mp4w_buf count = {ctx->allocator, NULL, 0, 0, 1, 0};
    moov_plan p;
    memset(&p, 0, sizeof p);
    p.samples = expect >= 0 ? (size_t)packets : 0;
    p.media_frames = (uint64_t)p.samples * 1024;
    p.length = total;
    p.co64 = m->reserve_co64;
    p.metadata = ctx->metadata;
    p.unmapped = ctx->unmapped;
    st = build_moov(m, &p, &count);
    if (st < 0) {
        mp4w_free(&b);
        return segue_error_set(ctx->err, st, "m4a: out of memory");
    }
    if (expect >= 0) {
        /* 8 more than the largest moov: what is left over is always a
         * whole 'free' box (a box is at least 8 bytes). */
        m->reserve_size = count.len + 8;
        m->reserve_at = (int64_t)b.len;
        at = mp4w_begin(&b, "free");
        mp4w_zeros(&b, (size_t)m->reserve_size - 8);
        mp4w_end(&b, at);
    }
    /* 16 bytes before the data: 'free'(8) + the mdat header (8) while the
     * size fits 32 bits, or one mdat header with a 64-bit largesize. */
    m->mdat_at = (int64_t)b.len;
    mp4w_u32(&b, 8);
    mp4w_bytes(&b, "free", 4);
    mp4w_u32(&b, 8);
    mp4w_bytes(&b, "mdat", 4);
    if (b.failed) {
        mp4w_free(&b);
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "m4a: out of memory");
    }
    m->mdat_at += segue_writer_tell(wr);
    if (m->reserve_at >= 0)
        m->reserve_at += segue_writer_tell(wr);
    st = segue_writer_write(wr, b.p, b.len);
    mp4w_free(&b);
    return st;
}

static segue_status m4a_write_packet(void *priv, segue_mux_ctx *ctx, const segue_packet *pkt)
{
    mp4_mux *m = priv;
    if (pkt->flags & SEGUE_PACKET_HEADER_UPDATE)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "m4a: unexpected header packet");
    if (pkt->size == 0)
        return SEGUE_OK;
    if (pkt->size > 0xFFFFFFu)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "m4a: %zu-byte packet", pkt->size);
    if (m->n == m->cap) {
        if (m->n >= MAX_SAMPLES)
            return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                                   "m4a: more than %u packets (the sample table kept in memory "
                                   "is bounded)",
                                   MAX_SAMPLES);
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint32_t *s = segue_mem_realloc(ctx->allocator, m->sizes, m->cap * sizeof *s, cap * sizeof *s);
        if (!s)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "m4a: out of memory");
        m->sizes = s;
        m->cap = cap;
    }
    uint32_t frames = pkt->frames ? pkt->frames : 1024;
    if (m->frag)
        return frag_packet(m, ctx, pkt, frames);
    if (m->runs_n && m->runs[m->runs_n - 1].delta == frames) {
        m->runs[m->runs_n - 1].count++;
    } else {
        if (m->runs_n == m->runs_cap) {
            if (m->runs_n >= MAX_RUNS)
                return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                                       "m4a: packet durations change more than %u times", MAX_RUNS);
            size_t cap = m->runs_cap ? m->runs_cap * 2 : 4;
            stts_run *r = segue_mem_realloc(ctx->allocator, m->runs, m->runs_cap * sizeof *r,
                                            cap * sizeof *r);
            if (!r)
                return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "m4a: out of memory");
            m->runs = r;
            m->runs_cap = cap;
        }
        m->runs[m->runs_n].count = 1;
        m->runs[m->runs_n].delta = frames;
        m->runs_n++;
    }
    uint32_t size = (uint32_t)pkt->size;
    m->sizes[m->n++] = size;
    m->media_frames += frames;
    m->data_bytes += size;
    if (size > m->max_size)
        m->max_size = size;
    /* Sliding one-second window for maxBitrate. */
    if (m->win_fill == m->win_len)
        m->win_sum -= m->win[m->win_pos];
    else
        m->win_fill++;
    m->win[m->win_pos] = size;
    m->win_sum += size;
    m->win_pos = (m->win_pos + 1) % m->win_len;
    if (m->win_sum > m->win_max)
        m->win_max = m->win_sum;
    return segue_writer_write(ctx->writer, pkt->data, pkt->size);
}

static uint32_t bits_per_second(uint64_t bytes, uint64_t frames, uint32_t rate)
{
    if (!frames)
        return 0;
    uint64_t bps = (bytes * 8 * rate + frames / 2) / frames;
    return bps > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)bps;
}

/* Late loudness: the first rendering at open reported what the ilst cannot
 * carry; only what the late record adds (R128 gains) is reported now. */
static segue_status report_late(segue_mux_ctx *ctx, segue_metadata *notes)
{
    size_t n = segue_metadata_unmapped_count(notes);
    for (size_t i = 0; i < n && ctx->unmapped; i++) {
        const char *what, *reason;
        if (segue_metadata_unmapped_at(notes, i, &what, &reason) == SEGUE_OK &&
            strncmp(what, "R128_", 5) == 0 &&
            segue_metadata_add_unmapped(ctx->unmapped, what, reason) < 0)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "m4a: out of memory");
    }
    return SEGUE_OK;
}

static segue_status m4a_finish(void *priv, segue_mux_ctx *ctx)
{
    mp4_mux *m = priv;
    segue_writer *wr = ctx->writer;
    segue_status st;
    uint64_t length = ctx->input_frames;
    if (m->n == 0 && length == 0)
        m->delay = 0; /* nothing in, nothing out: an empty track, no edit offset */
    if (m->media_frames < (uint64_t)m->delay + length)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL,
                               "m4a: %llu frames of packets hold less than the delay %u and "
                               "the %llu input frames",
                               (unsigned long long)m->media_frames, m->delay,
                               (unsigned long long)length);
    uint64_t padding = m->media_frames - m->delay - length;
    if (padding > 0xFFFFFFFFu)
        return segue_error_set(ctx->err, SEGUE_ERR_INTERNAL, "m4a: padding out of range");
    if (m->frag)
        return flush_fragment(m, ctx);

    /* The mdat's size: 32 bits, else the 16 bytes become one largesize
     * header (14496-12 4.2). */
    int64_t data_at = m->mdat_at + 16;
    uint8_t hdr[16];
    if (8 + m->data_bytes <= 0xFFFFFFFFu) {
        segue_wb32(hdr, (uint32_t)(8 + m->data_bytes));
        memcpy(hdr + 4, "mdat", 4);
        st = segue_writer_patch(wr, m->mdat_at + 8, hdr, 8);
    } else {
        uint64_t size = 16 + m->data_bytes;
        segue_wb32(hdr, 1);
        memcpy(hdr + 4, "mdat", 4);
        segue_wb32(hdr + 8, (uint32_t)(size >> 32));
        segue_wb32(hdr + 12, (uint32_t)size);
        st = segue_writer_patch(wr, m->mdat_at, hdr, 16);
    }
    if (st < 0)
        return st;

    segue_metadata *notes = NULL;
    if (ctx->cfg->late_loudness && (st = segue_metadata_create(&notes, ctx->allocator)) < 0)
        return segue_error_set(ctx->err, st, "m4a: out of memory");
    moov_plan p;
    memset(&p, 0, sizeof p);
    p.samples = m->n;
    p.sizes = m->sizes;
    p.runs = m->runs;
    p.runs_n = m->runs_n;
    p.media_frames = m->media_frames;
    p.length = length;
    p.padding = (uint32_t)padding;
    p.data_at = (uint64_t)data_at;
    p.co64 = m->force_co64 || m->reserve_co64 || (uint64_t)data_at + m->data_bytes > 0xFFFFFFFFu;
    p.avg_bps = bits_per_second(m->data_bytes, m->media_frames, m->rate);
    p.max_bps = bits_per_second(m->win_max, (uint64_t)m->win_len * 1024, m->rate);
    if (p.max_bps < p.avg_bps)
        p.max_bps = p.avg_bps;
    p.metadata = ctx->metadata;
    p.unmapped = notes;
    mp4w_buf b = {ctx->allocator, NULL, 0, 0, 0, 0};
    st = build_moov(m, &p, &b);
    if (st >= 0 && notes)
        st = report_late(ctx, notes);
    segue_metadata_destroy(notes);
    if (st < 0) {
        mp4w_free(&b);
        return st == SEGUE_ERR_NO_MEMORY ? segue_error_set(ctx->err, st, "m4a: out of memory") : st;
    }
    if (m->reserve_at >= 0 && (b.len == m->reserve_size || b.len + 8 <= m->reserve_size)) {
        /* Faststart: the moov in the room reserved before the mdat and
         * a 'free' box over what is left. */
        st = segue_writer_patch(wr, m->reserve_at, b.p, b.len);
        if (st >= 0 && b.len < m->reserve_size) {
            segue_wb32(hdr, (uint32_t)(m->reserve_size - b.len));
            memcpy(hdr + 4, "free", 4);
            st = segue_writer_patch(wr, m->reserve_at + (int64_t)b.len, hdr, 8);
        }
    } else {
        /* No length at open, or more packets than it allowed: the moov
         * after the media; the reservation stays a 'free' box. */
        st = segue_writer_write(wr, b.p, b.len);
    }
    mp4w_free(&b);
    return st;
}

static void m4a_close(void *priv, segue_mux_ctx *ctx)
{
    mp4_mux *m = priv;
    segue_mem_free(ctx->allocator, m->sizes);
    segue_mem_free(ctx->allocator, m->runs);
    segue_mem_free(ctx->allocator, m->frag_data);
    m->sizes = NULL;
    m->runs = NULL;
    m->frag_data = NULL;
}

const segue_muxer_desc segue_muxer_m4a = {
    .name = "m4a",
    .extensions = "m4a mp4 m4b",
    .default_codec = "aac",
    .priv_size = sizeof(mp4_mux),
    .setup = m4a_setup,
    .open = m4a_open,
    .write_packet = m4a_write_packet,
    .finish = m4a_finish,
    .close = m4a_close,
    .late_loudness = 1,
};
