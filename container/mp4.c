/*
 * container/mp4.c - MP4/M4A demuxer (ISO/IEC 14496-12 and 14496-14, Apple
 * QuickTime File Format sample entries): AAC ('mp4a' + esds), ALAC ('alac'),
 * MP3 in MP4; plain and fragmented files; iTunes metadata (mp4_ilst.c);
 * gapless from the edit list or iTunSMPB; FairPlay detection.
 *
 * The whole 'moov' is read into memory (bounded by what is left of the file
 * and by the metadata limit plus room for sample tables) and the sample
 * tables of the first audio track are expanded into one entry per sample,
 * so a seek is a binary search (on an input of unknown size, a window at a
 * time as it is read). Fragmented files (moov/mvex, then moof+mdat pairs)
 * are read one fragment at a time, each trun kept as a run record resolved
 * when read, so the work follows the bytes, not declared counts. See
 * docs/mp4.md.
 */
#include <string.h>

#include "core/alloc.h"
#include "mp4_internal.h"

/* Room for sample tables in a moov beyond the metadata limit. */
#define MP4_MAX_TABLES (64u << 20)
/* Largest moof read. */
#define MP4_MAX_MOOF (16u << 20)
/* Largest sample (an ALAC frame of 8 channels x 32 bits x 16384 frames). */
#define MP4_MAX_SAMPLE (4u << 20)
/* Most samples on an input whose size is unknown. */
#define MP4_MAX_SAMPLES (1u << 22)

typedef struct mp4_sample {
    uint64_t offset;
    int64_t dts;       /* media timescale */
    uint32_t size;
    uint32_t duration; /* media timescale */
} mp4_sample;

/* One trun of a fragment, kept as declared instead of one entry per sample:
 * a few bytes of trun may declare millions of default-size samples, so the
 * work and memory must follow the bytes of the box, not the count in it.
 * Samples are resolved when read (14496-12 8.8.8). */
typedef struct mp4_run {
    uint64_t offset;        /* file offset of the run's first sample */
    int64_t dts;            /* decode time of the run's first sample */
    size_t first;           /* index of the run's first sample in the fragment */
    uint32_t count;
    uint32_t def_size, def_dur;
    const uint8_t *entries; /* the per-sample records in the moof copy */
    uint32_t stride;        /* bytes per record (0: no records) */
    int size_at, dur_at;    /* a field's offset in a record, -1: the default */
} mp4_run;

/* Position in a moov's sample tables (see stbl_next): the table pointers
 * are past each box's header and entry count. */
typedef struct stbl_iter {
    const uint8_t *stsz, *stsc, *stco, *stts;
    int co64;
    uint32_t fixed, count, nstsc, nchunks, nstts;
    uint32_t s;                          /* next sample */
    uint32_t c, entry, per, in_chunk;    /* next chunk, its stsc entry, samples in and taken */
    uint64_t off;
    uint32_t e, n_e, in_e, delta;        /* next stts entry, the current one's count, taken, delta */
    int64_t dts;
    const char *why;                     /* which table ran short */
} stbl_iter;

typedef struct mp4_demux {
    mp4_sample *samples;  /* non-fragmented files: one entry per sample */
    size_t count, cap, next;
    /* Unknown file size: samples holds a window of the table starting at
     * table index base; it and moov_buf expand the rest as it is read. */
    int windowed;
    size_t base;
    stbl_iter it;
    uint8_t *moov_buf;
    uint8_t *pkt;
    size_t pkt_cap;
    uint8_t *extradata;
    size_t extradata_size;
    uint32_t timescale;   /* media (mdhd) */
    uint32_t movie_timescale;
    uint32_t sample_rate;
    uint32_t track_id;
    int64_t file_size;    /* -1 if unknown */
    /* Fragmented files: the runs of the current moof (count is its sample
     * count), which point into moof_buf. */
    int fragmented;
    mp4_run *runs;
    size_t nruns, runs_cap;
    uint8_t *moof_buf;
    /* Sequential-read cursor in the runs: sample cur_idx lies in run
     * cur_run at cur_off with decode time cur_dts. */
    int cur_valid;
    size_t cur_idx, cur_run;
    uint64_t cur_off;
    int64_t cur_dts;
    uint64_t scan_pos;    /* next top-level box to look at */
    uint64_t first_frag;  /* offset of the first moof */
    int64_t frag_dts;     /* decode time of the next fragment's first sample */
    uint32_t trex_duration, trex_size;
    int stream_end;
} mp4_demux;

/* ---- little helpers --------------------------------------------------------- */

static segue_status corrupt(segue_demux_ctx *ctx, const char *what)
{
    return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "mp4: %s", what);
}

static uint64_t rb64(const uint8_t *p)
{
    return (uint64_t)segue_rb32(p) << 32 | segue_rb32(p + 4);
}

/* v * num / den in integers, rounded to nearest when `round` (else toward
 * zero), saturated to the int64_t range. File-controlled times may be any
 * 64-bit value and timescales any 32-bit one; a double conversion would lose
 * exactness past 2^53 and a cast of an out-of-range double to an integer is
 * undefined (C11 6.3.1.4), so this splits v into quotient and remainder of
 * den: q * num is checked, r * num < 2^64 always fits. */
static int64_t muldiv(int64_t v, uint32_t num, uint32_t den, int round)
{
    if (!den)
        return v;
    int neg = v < 0;
    uint64_t a = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t q = a / den, r = a % den;
    /* r * num <= (2^32 - 1)^2 = 2^64 - 2^33 + 1, so adding den / 2 < 2^31
     * cannot wrap. */
    uint64_t frac = (r * num + (round ? den / 2 : 0)) / den;
    if (num && q > ((uint64_t)INT64_MAX - frac) / num)
        return neg ? INT64_MIN : INT64_MAX;
    uint64_t res = q * num + frac;
    return neg ? -(int64_t)res : (int64_t)res;
}

/* Frames (at the sample rate) from media-timescale units. */
static int64_t to_frames(const mp4_demux *m, int64_t t)
{
    if (m->timescale == m->sample_rate || !m->timescale)
        return t;
    return muldiv(t, m->sample_rate, m->timescale, 1);
}

static int64_t from_frames(const mp4_demux *m, int64_t f)
{
    if (m->timescale == m->sample_rate || !m->sample_rate)
        return f;
    return muldiv(f, m->timescale, m->sample_rate, 0);
}

/* Reads a top-level box header at the reader's position. Returns 1 with the
 * type, header length and total size (0: to end of file), 0 at a clean end. */
static int read_top_header(segue_demux_ctx *ctx, uint32_t *type, uint64_t *size, unsigned *hlen,
                           segue_status *st)
{
    uint8_t h[16];
    size_t got = 0;
    *st = segue_reader_read_some(ctx->reader, h, 8, &got);
    if (*st < 0)
        return -1;
    if (got == 0)
        return 0;
    if (got < 8) {
        *st = corrupt(ctx, "truncated box header at the end of the file");
        return -1;
    }
    *type = segue_rb32(h + 4);
    *size = segue_rb32(h);
    *hlen = 8;
    if (*size == 1) { /* 14496-12 4.2: 64-bit largesize */
        if ((*st = segue_demux_read_exact(ctx, h + 8, 8, "box largesize")) < 0)
            return -1;
        *size = rb64(h + 8);
        *hlen = 16;
        if (*size < 16) {
            *st = corrupt(ctx, "box largesize smaller than its header");
            return -1;
        }
    } else if (*size != 0 && *size < 8) {
        *st = corrupt(ctx, "box size smaller than its header");
        return -1;
    }
    return 1;
}

/* ---- sample description ---------------------------------------------------- */

/* 14496-1 8.3.3: expandable size of a descriptor (up to four 7-bit groups). */
static int desc_len(mp4_span *s, size_t *len)
{
    *len = 0;
    for (int i = 0; i < 4; i++) {
        if (!s->n)
            return 0;
        uint8_t b = *s->p++;
        s->n--;
        *len = *len << 7 | (b & 0x7f);
        if (!(b & 0x80))
            return *len <= s->n;
    }
    return 0;
}

static int desc_take(mp4_span *s, uint8_t *tag, mp4_span *body)
{
    size_t len;
    if (s->n < 1)
        return 0;
    *tag = *s->p++;
    s->n--;
    if (!desc_len(s, &len))
        return 0;
    body->p = s->p;
    body->n = len;
    s->p += len;
    s->n -= len;
    return 1;
}

static int skip(mp4_span *s, size_t n)
{
    if (s->n < n)
        return 0;
    s->p += n;
    s->n -= n;
    return 1;
}

/* esds (14496-14 5.6): ES_Descriptor > DecoderConfigDescriptor (object type)
 * > DecoderSpecificInfo (the AudioSpecificConfig). */
static segue_status parse_esds(segue_demux_ctx *ctx, mp4_span esds, uint8_t *oti, mp4_span *dsi)
{
    dsi->p = NULL;
    dsi->n = 0;
    uint8_t tag;
    mp4_span es, dc;
    if (!skip(&esds, 4) || !desc_take(&esds, &tag, &es) || tag != 0x03)
        return corrupt(ctx, "esds has no ES_Descriptor");
    if (es.n < 3)
        return corrupt(ctx, "esds ES_Descriptor is too short");
    uint8_t flags = es.p[2];
    skip(&es, 3);
    if ((flags & 0x80) && !skip(&es, 2)) /* streamDependenceFlag */
        return corrupt(ctx, "esds ES_Descriptor is too short");
    if (flags & 0x40) { /* URL_Flag */
        if (!es.n || !skip(&es, 1u + es.p[0]))
            return corrupt(ctx, "esds ES_Descriptor is too short");
    }
    if ((flags & 0x20) && !skip(&es, 2)) /* OCRstreamFlag */
        return corrupt(ctx, "esds ES_Descriptor is too short");
    for (;;) {
        if (!desc_take(&es, &tag, &dc))
            return corrupt(ctx, "esds has no DecoderConfigDescriptor");
        if (tag == 0x04)
            break;
    }
    if (dc.n < 13)
        return corrupt(ctx, "esds DecoderConfigDescriptor is too short");
    *oti = dc.p[0];
    skip(&dc, 13);
    mp4_span d;
    while (desc_take(&dc, &tag, &d))
        if (tag == 0x05) {
            *dsi = d;
            break;
        }
    return SEGUE_OK;
}

/* The next n bits of a left-aligned 64-bit window. */
static unsigned take_bits(uint64_t bits, unsigned *pos, unsigned n)
{
    unsigned v = (unsigned)((bits >> (64 - *pos - n)) & ((1u << n) - 1));
    *pos += n;
    return v;
}

/* 14496-3 1.6.2.1 AudioSpecificConfig: object type, sampling frequency,
 * channel configuration (enough for the stream info; the decoder parses
 * the rest). */
static int parse_asc(mp4_span asc, uint32_t *rate, uint32_t *channels, unsigned *aot)
{
    static const uint32_t rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};
    uint64_t bits = 0;
    for (size_t i = 0; i < 8; i++)
        bits = bits << 8 | (i < asc.n ? asc.p[i] : 0);
    if (asc.n < 2)
        return 0;
    unsigned pos = 0;
    unsigned type = take_bits(bits, &pos, 5);
    if (type == 31)
        type = 32 + take_bits(bits, &pos, 6);
    unsigned sfi = take_bits(bits, &pos, 4);
    if (sfi == 15) {
        if (asc.n < 5)
            return 0;
        *rate = take_bits(bits, &pos, 24);
    } else {
        *rate = sfi < 13 ? rates[sfi] : 0;
    }
    *channels = take_bits(bits, &pos, 4);
    *aot = type;
    return 1;
}

typedef struct entry_info {
    uint32_t format;
    uint32_t channels, rate, bits;
} entry_info;

/* A sample entry's audio fields (14496-12 12.2.3; QuickTime sound sample
 * description versions 1 and 2 add 16 and 36 bytes). On return *children
 * covers the child boxes. */
static segue_status audio_entry(segue_demux_ctx *ctx, mp4_span e, entry_info *info, mp4_span *children)
{
    if (e.n < 28)
        return corrupt(ctx, "audio sample entry is too short");
    uint16_t version = segue_rb16(e.p + 8);
    info->channels = segue_rb16(e.p + 16);
    info->bits = segue_rb16(e.p + 18);
    info->rate = segue_rb32(e.p + 24) >> 16;
    size_t skipn = 28;
    if (version == 1) {
        skipn += 16;
    } else if (version == 2) {
        skipn += 36;
        if (e.n >= 64) {
            uint64_t bitsf = rb64(e.p + 32);
            double r;
            memcpy(&r, &bitsf, sizeof r);
            if (r > 0 && r < 1e7)
                info->rate = (uint32_t)(r + 0.5);
            info->channels = segue_rb32(e.p + 40);
            info->bits = segue_rb32(e.p + 48);
        }
    }
    if (e.n < skipn)
        return corrupt(ctx, "audio sample entry is too short");
    children->p = e.p + skipn;
    children->n = e.n - skipn;
    return SEGUE_OK;
}

static segue_status drm_error(segue_demux_ctx *ctx, const char *scheme)
{
    if (scheme)
        return segue_error_set(ctx->err, SEGUE_ERR_DRM,
                               "DRM-protected (Common Encryption '%s'): cannot be converted", scheme);
    return segue_error_set(ctx->err, SEGUE_ERR_DRM, "DRM-protected (FairPlay): cannot be converted");
}

static segue_status set_extradata(mp4_demux *m, segue_demux_ctx *ctx, const uint8_t *p, size_t n)
{
    if (!n)
        return SEGUE_OK;
    m->extradata = segue_mem_alloc(ctx->allocator, n);
    if (!m->extradata)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate codec setup");
    memcpy(m->extradata, p, n);
    m->extradata_size = n;
    return SEGUE_OK;
}

/* stsd (14496-12 8.5.2): the first sample entry decides the codec. */
static segue_status parse_stsd(mp4_demux *m, segue_demux_ctx *ctx, mp4_span stsd,
                               segue_codec_params *params)
{
    if (!skip(&stsd, 8))
        return corrupt(ctx, "stsd is too short");
    uint32_t format;
    mp4_span e;
    if (mp4_next_box(&stsd, &format, &e) != 1)
        return corrupt(ctx, "stsd has no sample entry");
    /* FairPlay: 'drms' (audio) / 'drmi' (video) entries are protected
     * whatever else they hold, so they are refused before the entry is
     * parsed (a damaged one is still DRM, not "corrupt"). */
    if (format == MP4_TAG('d', 'r', 'm', 's') || format == MP4_TAG('d', 'r', 'm', 'i'))
        return drm_error(ctx, NULL);
    entry_info info = {format, 0, 0, 0};
    mp4_span kids;
    segue_status st = audio_entry(ctx, e, &info, &kids);
    if (st < 0)
        return format == MP4_TAG('e', 'n', 'c', 'a')
                   ? segue_error_set(ctx->err, SEGUE_ERR_DRM,
                                     "DRM-protected (encrypted 'enca' entry): cannot be converted")
                   : st;

    /* An 'enca' entry is an encrypted one whose sinf (14496-12 8.12) names
     * the scheme; without one it is still encrypted: refused as DRM. */
    if (format == MP4_TAG('e', 'n', 'c', 'a')) {
        mp4_span sinf, schm, frma;
        if (mp4_find_box(kids, MP4_TAG('s', 'i', 'n', 'f'), &sinf)) {
            if (mp4_find_box(sinf, MP4_TAG('s', 'c', 'h', 'm'), &schm) && schm.n >= 8) {
                uint32_t scheme = segue_rb32(schm.p + 4);
                if (scheme == MP4_TAG('c', 'e', 'n', 'c') || scheme == MP4_TAG('c', 'e', 'n', 's') ||
                    scheme == MP4_TAG('c', 'b', 'c', '1')) {
                    char name[5] = {(char)(scheme >> 24), (char)(scheme >> 16), (char)(scheme >> 8),
                                    (char)scheme, 0};
                    return drm_error(ctx, name);
                }
            }
            return drm_error(ctx, NULL);
        }
        (void)frma;
        return segue_error_set(ctx->err, SEGUE_ERR_DRM,
                               "DRM-protected (encrypted 'enca' entry): cannot be converted");
    }

    m->sample_rate = info.rate;
    params->channels = info.channels;
    params->sample_rate = info.rate;
    if (format == MP4_TAG('m', 'p', '4', 'a')) {
        mp4_span esds, dsi;
        uint8_t oti = 0;
        if (!mp4_find_box(kids, MP4_TAG('e', 's', 'd', 's'), &esds)) {
            /* QuickTime files may nest it in a 'wave' box. */
            mp4_span wave;
            if (!mp4_find_box(kids, MP4_TAG('w', 'a', 'v', 'e'), &wave) ||
                !mp4_find_box(wave, MP4_TAG('e', 's', 'd', 's'), &esds))
                return corrupt(ctx, "'mp4a' sample entry has no esds");
        }
        if ((st = parse_esds(ctx, esds, &oti, &dsi)) < 0)
            return st;
        /* 14496-1 Table 5 objectTypeIndication. */
        if (oti == 0x40 || oti == 0x66 || oti == 0x67 || oti == 0x68) {
            if (!dsi.n)
                return corrupt(ctx, "AAC track has no AudioSpecificConfig");
            uint32_t rate = 0, ch = 0;
            unsigned aot = 0;
            if (!parse_asc(dsi, &rate, &ch, &aot))
                return corrupt(ctx, "AudioSpecificConfig is too short");
            if (oti == 0x40 && aot != 1 && aot != 2 && aot != 3 && aot != 4 && aot != 5 &&
                aot != 29 && aot != 6 && aot != 17 && aot != 19 && aot != 20 && aot != 22 &&
                aot != 23 && aot != 39 && aot != 42)
                return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                                       "mp4: MPEG-4 audio object type %u is not AAC", aot);
            /* HE-AAC (5, 29) goes to "aac" too: the decoder names it. */
            if (rate && aot != 5 && aot != 29)
                params->sample_rate = rate;
            else if (rate && !params->sample_rate)
                params->sample_rate = rate;
            if (ch && ch < 8)
                params->channels = ch == 7 ? 8 : ch;
            params->codec = "aac";
            params->max_packet_frames = 1024;
            ctx->info->codec = "aac";
            m->sample_rate = params->sample_rate;
            return set_extradata(m, ctx, dsi.p, dsi.n);
        }
        if (oti == 0x6B || oti == 0x69) {
            /* MPEG-1/2 audio: one frame per sample, which is the packet
             * model of our "mp3" decoder. */
            params->codec = "mp3";
            params->max_packet_frames = 1152;
            return SEGUE_OK;
        }
        const char *what = oti == 0xA5 ? "AC-3" : oti == 0xA6 ? "E-AC-3" : oti == 0xA9 ? "DTS"
                           : oti == 0xDD ? "Vorbis" : oti == 0xE1 ? "QCELP" : "unknown";
        return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                               "mp4: 'mp4a' with object type 0x%02x (%s) is not supported", oti, what);
    }
    if (format == MP4_TAG('a', 'l', 'a', 'c')) {
        /* Apple Lossless: child 'alac' box = version/flags + 24-byte
         * ALACSpecificConfig (frameLength, compatibleVersion, bitDepth,
         * pb, mb, kb, numChannels, maxRun, maxFrameBytes, avgBitRate,
         * sampleRate). */
        mp4_span cfg;
        if (!mp4_find_box(kids, MP4_TAG('a', 'l', 'a', 'c'), &cfg) || cfg.n < 28)
            return corrupt(ctx, "'alac' sample entry has no ALACSpecificConfig");
        const uint8_t *c = cfg.p + 4;
        params->codec = "alac";
        params->max_packet_frames = segue_rb32(c);
        params->bits_per_sample = c[5];
        params->channels = c[9];
        params->sample_rate = segue_rb32(c + 20);
        if (!params->max_packet_frames || params->max_packet_frames > 65536)
            return corrupt(ctx, "ALAC frameLength out of range");
        m->sample_rate = params->sample_rate;
        ctx->info->codec = "alac";
        ctx->info->bits_per_sample = params->bits_per_sample;
        return set_extradata(m, ctx, c, 24);
    }
    char name[5] = {(char)(format >> 24), (char)(format >> 16), (char)(format >> 8), (char)format, 0};
    for (int i = 0; i < 4; i++)
        if (name[i] < 0x20 || name[i] > 0x7e)
            name[i] = '?';
    const char *what = format == MP4_TAG('a', 'c', '-', '3') ? " (AC-3)"
                       : format == MP4_TAG('e', 'c', '-', '3') ? " (E-AC-3)"
                       : format == MP4_TAG('O', 'p', 'u', 's') ? " (Opus)"
                       : format == MP4_TAG('f', 'L', 'a', 'C') ? " (FLAC)" : "";
    return segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED,
                           "mp4: sample entry '%s'%s is not supported", name, what);
}

/* ---- sample tables ----------------------------------------------------------- */

typedef struct stbl_boxes {
    mp4_span stsz, stsc, stco, stts;
    int co64, have_stsz, have_stsc, have_stco, have_stts;
} stbl_boxes;

/* Expands stsz/stsc/stco/stts (14496-12 8.7.3, 8.7.4, 8.7.5, 8.6.1.2) one
 * sample at a time. Returns 1 with *out, 0 when the sample count or a table
 * ends (it->why says which table ran short), or an error. */
static int stbl_next(mp4_demux *m, segue_demux_ctx *ctx, stbl_iter *it, mp4_sample *out, segue_status *st)
{
    if (it->s >= it->count)
        return 0;
    while (it->in_chunk >= it->per) {
        if (it->c >= it->nchunks) {
            it->why = "stsc/stco cover fewer samples than stsz lists";
            return 0;
        }
        while (it->entry + 1 < it->nstsc && segue_rb32(it->stsc + 12 * (size_t)(it->entry + 1)) <= it->c + 1)
            it->entry++;
        it->per = segue_rb32(it->stsc + 12 * (size_t)it->entry + 4);
        it->off = it->co64 ? rb64(it->stco + 8 * (size_t)it->c) : segue_rb32(it->stco + 4 * (size_t)it->c);
        it->c++;
        it->in_chunk = 0;
    }
    while (it->in_e >= it->n_e) {
        if (it->e >= it->nstts) {
            it->why = "stts covers fewer samples than stsz lists";
            return 0;
        }
        it->n_e = segue_rb32(it->stts + 8 * (size_t)it->e);
        it->delta = segue_rb32(it->stts + 8 * (size_t)it->e + 4);
        it->e++;
        it->in_e = 0;
    }
    uint32_t size = it->fixed ? it->fixed : segue_rb32(it->stsz + 4 * (size_t)it->s);
    if (size > MP4_MAX_SAMPLE) {
        *st = corrupt(ctx, "sample larger than 4 MiB");
        return -1;
    }
    if (m->file_size >= 0 && (it->off > (uint64_t)m->file_size || size > (uint64_t)m->file_size - it->off)) {
        *st = corrupt(ctx, "sample lies past the end of the file");
        return -1;
    }
    out->offset = it->off;
    out->size = size;
    out->dts = it->dts;
    out->duration = it->delta;
    it->off += size;
    it->dts += it->delta; /* at most 2^22 samples of 2^32 ticks: no wrap */
    it->in_chunk++;
    it->in_e++;
    it->s++;
    return 1;
}

/* Fills m->samples with up to m->cap samples from the iterator (a window
 * that starts at table index it->s). At the end of the tables, a short
 * table is an error in strict mode, else the track ends there. */
static segue_status fill_samples(mp4_demux *m, segue_demux_ctx *ctx)
{
    stbl_iter *it = &m->it;
    m->base = it->s;
    m->count = m->next = 0;
    segue_status st = SEGUE_OK;
    while (m->count < m->cap) {
        int rc = stbl_next(m, ctx, it, &m->samples[m->count], &st);
        if (rc < 0)
            return st;
        if (rc == 0) {
            if (it->s < it->count) {
                if (segue_demux_strict(ctx))
                    return corrupt(ctx, it->why);
                it->count = it->s; /* keep what the tables place */
            }
            break;
        }
        m->count++;
    }
    return SEGUE_OK;
}

/* Samples expanded at a time on an input whose size is unknown (a pipe):
 * there a fixed-size stsz may declare millions of samples that no byte
 * backs, so the table is expanded as it is read instead of at open. */
#define MP4_WINDOW 4096u

/* Checks the sample tables against their boxes and expands them: all at
 * once when the file size is known (which bounds the count), else a window
 * (m->windowed) refilled by mp4_read_packet. */
static segue_status build_samples(mp4_demux *m, segue_demux_ctx *ctx, const stbl_boxes *b)
{
    if (!b->have_stsz || !b->have_stsc || !b->have_stco || !b->have_stts)
        return corrupt(ctx, "stbl lacks stsz, stsc, stco/co64 or stts");
    mp4_span stsz = b->stsz, stsc = b->stsc, stco = b->stco, stts = b->stts;
    if (stsz.n < 12 || stsc.n < 8 || stco.n < 8 || stts.n < 8)
        return corrupt(ctx, "sample table box is too short");
    uint32_t fixed = segue_rb32(stsz.p + 4), count = segue_rb32(stsz.p + 8);
    if (!fixed && (stsz.n - 12) / 4 < count)
        return corrupt(ctx, "stsz lists more samples than it holds");
    if (fixed) {
        uint64_t limit = m->file_size >= 0 ? (uint64_t)m->file_size / fixed : MP4_MAX_SAMPLES;
        if (limit > MP4_MAX_SAMPLES)
            limit = MP4_MAX_SAMPLES; /* a table of 1-byte samples would be 24x the file */
        if (count > limit)
            return corrupt(ctx, "stsz sample count exceeds the file");
    } else if (count > MP4_MAX_SAMPLES) {
        return corrupt(ctx, "more than 4194304 samples");
    }
    uint32_t nstsc = segue_rb32(stsc.p + 4), nchunks = segue_rb32(stco.p + 4),
             nstts = segue_rb32(stts.p + 4);
    size_t esz = b->co64 ? 8 : 4;
    if ((stsc.n - 8) / 12 < nstsc || (stco.n - 8) / esz < nchunks || (stts.n - 8) / 8 < nstts)
        return corrupt(ctx, "sample table lists more entries than it holds");
    if (count && (!nstsc || !nchunks || !nstts))
        return corrupt(ctx, "empty stsc, stco or stts for a track with samples");
    stbl_iter *it = &m->it;
    memset(it, 0, sizeof *it);
    it->stsz = stsz.p + 12;
    it->stsc = stsc.p + 8;
    it->stco = stco.p + 8;
    it->stts = stts.p + 8;
    it->co64 = b->co64;
    it->fixed = fixed;
    it->count = count;
    it->nstsc = nstsc;
    it->nchunks = nchunks;
    it->nstts = nstts;
    if (!count)
        return SEGUE_OK;
    size_t cap = count;
    if (m->file_size < 0 && count > MP4_WINDOW) {
        cap = MP4_WINDOW;
        m->windowed = 1;
    }
    m->samples = segue_mem_calloc(ctx->allocator, cap, sizeof *m->samples);
    if (!m->samples)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate sample table");
    m->cap = cap;
    return fill_samples(m, ctx);
}

/* Length of the track (media timescale) and its bytes, for the stream
 * info and the gapless trim. A window holds only part of the table: the
 * totals then come from the boxes, in time bounded by their entry counts. */
static void table_totals(mp4_demux *m, int64_t *ticks, uint64_t *bytes, uint32_t *maxsize)
{
    *ticks = 0;
    *bytes = 0;
    *maxsize = 0;
    if (!m->windowed) {
        for (size_t i = 0; i < m->count; i++) {
            if (m->samples[i].size > *maxsize)
                *maxsize = m->samples[i].size;
            *bytes += m->samples[i].size;
        }
        if (m->count)
            *ticks = m->samples[m->count - 1].dts + m->samples[m->count - 1].duration;
        return;
    }
    const stbl_iter *it = &m->it;
    /* Samples the chunks place, then those stts times, at most the count. */
    uint64_t placed = 0;
    uint32_t entry = 0;
    for (uint32_t c = 0; c < it->nchunks && placed < it->count; c++) {
        while (entry + 1 < it->nstsc && segue_rb32(it->stsc + 12 * (size_t)(entry + 1)) <= c + 1)
            entry++;
        placed += segue_rb32(it->stsc + 12 * (size_t)entry + 4);
    }
    uint64_t n = placed < it->count ? placed : it->count, timed = 0;
    for (uint32_t e = 0; e < it->nstts && timed < n; e++) {
        uint64_t k = segue_rb32(it->stts + 8 * (size_t)e);
        if (k > n - timed)
            k = n - timed;
        timed += k;
        *ticks += (int64_t)(k * segue_rb32(it->stts + 8 * (size_t)e + 4));
    }
    for (uint64_t s = 0; s < timed; s++) {
        uint32_t size = it->fixed ? it->fixed : segue_rb32(it->stsz + 4 * (size_t)s);
        if (it->fixed) {
            *bytes = timed * it->fixed;
            *maxsize = it->fixed;
            break;
        }
        if (size > *maxsize)
            *maxsize = size;
        *bytes += size;
    }
}

/* ctts (14496-12 8.6.1.3): composition offsets, version 0 unsigned and
 * version 1 signed. Checked and then not used: an audio access unit is
 * presented in decode order (no codec we demux reorders frames; AAC's
 * priming is expressed by the edit list, not by composition offsets), so
 * output timing comes from stts alone. A malformed one is an error in
 * strict mode and ignored otherwise, since nothing depends on it. */
static segue_status check_ctts(segue_demux_ctx *ctx, mp4_span ctts, const stbl_boxes *b)
{
    const char *bad = NULL;
    if (ctts.n < 8) {
        bad = "ctts is too short";
    } else if (ctts.p[0] > 1) {
        bad = "ctts has an unknown version";
    } else {
        uint32_t n = segue_rb32(ctts.p + 4);
        if ((ctts.n - 8) / 8 < n) {
            bad = "ctts lists more entries than it holds";
        } else if (b->have_stsz && b->stsz.n >= 12) {
            /* The entries' sample counts cover at most the track. */
            uint64_t covered = 0;
            for (uint32_t i = 0; i < n; i++)
                covered += segue_rb32(ctts.p + 8 + 8 * (size_t)i);
            if (covered > segue_rb32(b->stsz.p + 8))
                bad = "ctts covers more samples than stsz lists";
        }
    }
    if (bad && segue_demux_strict(ctx))
        return corrupt(ctx, bad);
    return SEGUE_OK;
}

/* ---- moov -------------------------------------------------------------------- */

typedef struct edit_info {
    int have;
    int64_t media_time;      /* media timescale */
    uint64_t duration;       /* movie timescale */
} edit_info;

/* elst (14496-12 8.6.6): the first non-empty edit. */
static void parse_elst(mp4_span elst, edit_info *ed)
{
    if (elst.n < 8)
        return;
    int v1 = elst.p[0] == 1;
    uint32_t n = segue_rb32(elst.p + 4);
    size_t esz = v1 ? 20 : 12;
    mp4_span e = {elst.p + 8, elst.n - 8};
    for (uint32_t i = 0; i < n && e.n >= esz; i++, e.p += esz, e.n -= esz) {
        int64_t mt = v1 ? (int64_t)rb64(e.p + 8) : (int64_t)(int32_t)segue_rb32(e.p + 4);
        uint64_t dur = v1 ? rb64(e.p) : segue_rb32(e.p);
        if (mt == -1)
            continue; /* an empty edit (a start delay): not priming */
        ed->have = 1;
        ed->media_time = mt;
        ed->duration = dur;
        return;
    }
}

static int is_sound_trak(mp4_span trak, mp4_span *mdia)
{
    mp4_span hdlr;
    if (!mp4_find_box(trak, MP4_TAG('m', 'd', 'i', 'a'), mdia) ||
        !mp4_find_box(*mdia, MP4_TAG('h', 'd', 'l', 'r'), &hdlr) || hdlr.n < 12)
        return 0;
    return segue_rb32(hdlr.p + 8) == MP4_TAG('s', 'o', 'u', 'n');
}

static segue_status parse_moov(mp4_demux *m, segue_demux_ctx *ctx, mp4_span moov,
                               segue_codec_params *params, edit_info *ed, mp4_smpb *smpb)
{
    mp4_span mvhd, trak, mdia, udta, meta;
    /* Version 1 puts the timescale at 20 (64-bit times), version 0 at 12
     * (ISO/IEC 14496-12 8.2.2). */
    if (mp4_find_box(moov, MP4_TAG('m', 'v', 'h', 'd'), &mvhd) && mvhd.n >= 16 &&
        mvhd.n >= (mvhd.p[0] == 1 ? 24u : 16u))
        m->movie_timescale = segue_rb32(mvhd.p + (mvhd.p[0] == 1 ? 20 : 12));
    if (mp4_find_box(moov, MP4_TAG('u', 'd', 't', 'a'), &udta) &&
        mp4_find_box(udta, MP4_TAG('m', 'e', 't', 'a'), &meta)) {
        segue_status st = mp4_read_ilst(ctx, meta, smpb);
        if (st < 0)
            return st;
    }
    /* The first sound track. */
    mp4_span walk = moov;
    uint32_t type;
    int found = 0, rc;
    while ((rc = mp4_next_box(&walk, &type, &trak)) == 1)
        if (type == MP4_TAG('t', 'r', 'a', 'k') && is_sound_trak(trak, &mdia)) {
            found = 1;
            break;
        }
    if (!found)
        return rc < 0 ? corrupt(ctx, "malformed moov box")
                      : segue_error_set(ctx->err, SEGUE_ERR_UNSUPPORTED, "mp4: no audio track");
    mp4_span tkhd, edts, elst, mdhd, minf, stbl, stsd;
    if (mp4_find_box(trak, MP4_TAG('t', 'k', 'h', 'd'), &tkhd) && tkhd.n >= 24)
        m->track_id = segue_rb32(tkhd.p + (tkhd.p[0] == 1 ? 20 : 12));
    if (mp4_find_box(trak, MP4_TAG('e', 'd', 't', 's'), &edts) &&
        mp4_find_box(edts, MP4_TAG('e', 'l', 's', 't'), &elst))
        parse_elst(elst, ed);
    if (!mp4_find_box(mdia, MP4_TAG('m', 'd', 'h', 'd'), &mdhd) || mdhd.n < 24)
        return corrupt(ctx, "audio track has no mdhd");
    m->timescale = segue_rb32(mdhd.p + (mdhd.p[0] == 1 ? 20 : 12));
    if (!m->timescale)
        return corrupt(ctx, "mdhd timescale is 0");
    if (!mp4_find_box(mdia, MP4_TAG('m', 'i', 'n', 'f'), &minf) ||
        !mp4_find_box(minf, MP4_TAG('s', 't', 'b', 'l'), &stbl) ||
        !mp4_find_box(stbl, MP4_TAG('s', 't', 's', 'd'), &stsd))
        return corrupt(ctx, "audio track has no stbl/stsd");
    segue_status st = parse_stsd(m, ctx, stsd, params);
    if (st < 0)
        return st;

    stbl_boxes b;
    memset(&b, 0, sizeof b);
    b.have_stsz = mp4_find_box(stbl, MP4_TAG('s', 't', 's', 'z'), &b.stsz);
    b.have_stsc = mp4_find_box(stbl, MP4_TAG('s', 't', 's', 'c'), &b.stsc);
    b.have_stts = mp4_find_box(stbl, MP4_TAG('s', 't', 't', 's'), &b.stts);
    b.have_stco = mp4_find_box(stbl, MP4_TAG('s', 't', 'c', 'o'), &b.stco);
    if (!b.have_stco) {
        b.have_stco = mp4_find_box(stbl, MP4_TAG('c', 'o', '6', '4'), &b.stco);
        b.co64 = 1;
    }
    mp4_span ctts;
    if (mp4_find_box(stbl, MP4_TAG('c', 't', 't', 's'), &ctts) && (st = check_ctts(ctx, ctts, &b)) < 0)
        return st;

    mp4_span mvex, trex;
    if (mp4_find_box(moov, MP4_TAG('m', 'v', 'e', 'x'), &mvex)) {
        m->fragmented = 1;
        mp4_span w = mvex;
        while (mp4_next_box(&w, &type, &trex) == 1)
            if (type == MP4_TAG('t', 'r', 'e', 'x') && trex.n >= 24 && segue_rb32(trex.p + 4) == m->track_id) {
                m->trex_duration = segue_rb32(trex.p + 12);
                m->trex_size = segue_rb32(trex.p + 16);
            }
    }
    if (m->fragmented && !b.have_stsz)
        return SEGUE_OK;
    st = build_samples(m, ctx, &b);
    if (st < 0)
        return st;
    if (m->count)
        m->frag_dts = m->samples[m->count - 1].dts + m->samples[m->count - 1].duration;
    return SEGUE_OK;
}

/* ---- fragments ----------------------------------------------------------------- */

/* Largest decode time kept (media timescale): far beyond any real stream
 * (2^60 ticks is 800 years at 48 kHz) and far enough from INT64_MAX that a
 * fragment's durations (at most 2^22 samples of 2^32 ticks) cannot wrap. */
#define MP4_MAX_TIME ((int64_t)1 << 60)
/* Most trun boxes kept per moof (real files have one per traf). */
#define MP4_MAX_RUNS 65536u

static segue_status add_run(mp4_demux *m, segue_demux_ctx *ctx, const mp4_run *run)
{
    if (m->nruns == m->runs_cap) {
        if (m->runs_cap >= MP4_MAX_RUNS)
            return corrupt(ctx, "moof has more than 65536 track runs");
        size_t cap = m->runs_cap ? m->runs_cap * 2 : 4;
        mp4_run *n = segue_mem_realloc(ctx->allocator, m->runs, m->runs_cap * sizeof *n, cap * sizeof *n);
        if (!n)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate track runs");
        m->runs = n;
        m->runs_cap = cap;
    }
    m->runs[m->nruns++] = *run;
    return SEGUE_OK;
}

/* trun (14496-12 8.8.8): validated and kept as one run record. Every
 * per-sample record is read once here (the box holds 4 bytes per field per
 * sample, so this follows its size); default-size and default-duration runs
 * cost O(1) whatever count they declare. *cursor is the data offset. */
static segue_status parse_trun(mp4_demux *m, segue_demux_ctx *ctx, mp4_span box, uint64_t base,
                               uint64_t *cursor, uint32_t def_dur, uint32_t def_size)
{
    if (box.n < 8)
        return corrupt(ctx, "trun is too short");
    uint32_t flags = segue_rb32(box.p) & 0xFFFFFFu, n = segue_rb32(box.p + 4);
    size_t p = 8;
    if (flags & 0x1) { /* data-offset-present: relative to the base */
        if (box.n < p + 4)
            return corrupt(ctx, "trun is too short");
        *cursor = base + (uint64_t)(int64_t)(int32_t)segue_rb32(box.p + p);
        p += 4;
    }
    if (flags & 0x4) /* first-sample-flags-present */
        p += 4;
    mp4_run run;
    memset(&run, 0, sizeof run);
    run.size_at = run.dur_at = -1;
    /* Record layout: duration, size, flags, composition offset, each
     * present when its flag (0x100, 0x200, 0x400, 0x800) is set. */
    if (flags & 0x100)
        run.dur_at = (int)run.stride, run.stride += 4;
    if (flags & 0x200)
        run.size_at = (int)run.stride, run.stride += 4;
    if (flags & 0x400)
        run.stride += 4;
    if (flags & 0x800)
        run.stride += 4;
    if (p > box.n || (run.stride && (box.n - p) / run.stride < n))
        return corrupt(ctx, "trun lists more samples than it holds");
    if (n > MP4_MAX_SAMPLES - m->count)
        return corrupt(ctx, "a fragment lists more than 4194304 samples");
    if (!n)
        return SEGUE_OK;
    if (run.size_at < 0 && def_size == 0)
        return corrupt(ctx, "trun lists empty samples");
    run.entries = box.p + p;
    run.count = n;
    run.def_size = def_size;
    run.def_dur = def_dur;
    uint64_t bytes = 0, ticks = 0; /* < 2^22 * 2^32: no wrap */
    if (run.size_at < 0) {
        if (def_size > MP4_MAX_SAMPLE)
            return corrupt(ctx, "sample larger than 4 MiB");
        bytes = (uint64_t)n * def_size;
    }
    if (run.dur_at < 0)
        ticks = (uint64_t)n * def_dur;
    if (run.size_at >= 0 || run.dur_at >= 0) {
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *e = run.entries + (size_t)i * run.stride;
            if (run.size_at >= 0) {
                uint32_t size = segue_rb32(e + run.size_at);
                if (size > MP4_MAX_SAMPLE)
                    return corrupt(ctx, "sample larger than 4 MiB");
                bytes += size;
            }
            if (run.dur_at >= 0)
                ticks += segue_rb32(e + run.dur_at);
        }
    }
    /* The samples must be in the file: checked for the whole run at once
     * when the size is known (a pipe finds out when it reads them). */
    if (m->file_size >= 0 &&
        (*cursor > (uint64_t)m->file_size || bytes > (uint64_t)m->file_size - *cursor))
        return corrupt(ctx, "a fragment's samples lie past the end of the file");
    run.offset = *cursor;
    run.dts = m->frag_dts;
    run.first = m->count;
    segue_status st = add_run(m, ctx, &run);
    if (st < 0)
        return st;
    *cursor += bytes;
    m->frag_dts += (int64_t)ticks;
    m->count += n;
    if (m->frag_dts > MP4_MAX_TIME)
        return corrupt(ctx, "fragment decode time out of range");
    return SEGUE_OK;
}

/* moof (14496-12 8.8.4): the traf of our track, its tfhd/tfdt/trun boxes. */
static segue_status parse_moof(mp4_demux *m, segue_demux_ctx *ctx, mp4_span moof, uint64_t moof_off)
{
    mp4_span traf;
    uint32_t type;
    mp4_span w = moof;
    while (mp4_next_box(&w, &type, &traf) == 1) {
        if (type != MP4_TAG('t', 'r', 'a', 'f'))
            continue;
        mp4_span tfhd, tfdt, box;
        if (!mp4_find_box(traf, MP4_TAG('t', 'f', 'h', 'd'), &tfhd) || tfhd.n < 8)
            return corrupt(ctx, "traf has no tfhd");
        uint32_t tf_flags = segue_rb32(tfhd.p) & 0xFFFFFFu;
        if (segue_rb32(tfhd.p + 4) != m->track_id)
            continue;
        size_t pos = 8;
        uint64_t base = moof_off; /* default-base-is-moof, or the first traf's rule */
        uint32_t def_dur = m->trex_duration, def_size = m->trex_size;
        if (tf_flags & 0x1) {
            if (tfhd.n < pos + 8)
                return corrupt(ctx, "tfhd is too short");
            base = rb64(tfhd.p + pos);
            pos += 8;
        }
        if (tf_flags & 0x2)
            pos += 4;
        if (tf_flags & 0x8) {
            if (tfhd.n < pos + 4)
                return corrupt(ctx, "tfhd is too short");
            def_dur = segue_rb32(tfhd.p + pos);
            pos += 4;
        }
        if (tf_flags & 0x10) {
            if (tfhd.n < pos + 4)
                return corrupt(ctx, "tfhd is too short");
            def_size = segue_rb32(tfhd.p + pos);
            pos += 4;
        }
        if (mp4_find_box(traf, MP4_TAG('t', 'f', 'd', 't'), &tfdt) && tfdt.n >= 8) {
            /* 8.8.12: version 1 has a 64-bit baseMediaDecodeTime. */
            uint64_t t = tfdt.p[0] == 1 && tfdt.n >= 12 ? rb64(tfdt.p + 4) : segue_rb32(tfdt.p + 4);
            if (t > (uint64_t)MP4_MAX_TIME)
                return corrupt(ctx, "tfdt decode time out of range");
            m->frag_dts = (int64_t)t;
        }
        uint64_t cursor = base;
        mp4_span tw = traf;
        while (mp4_next_box(&tw, &type, &box) == 1) {
            if (type != MP4_TAG('t', 'r', 'u', 'n'))
                continue;
            segue_status st = parse_trun(m, ctx, box, base, &cursor, def_dur, def_size);
            if (st < 0)
                return st;
        }
    }
    return SEGUE_OK;
}

/* Sample idx of the current fragment. Sequential reads cost O(1) through
 * the cursor; a jump (after a seek) walks its run's records once. */
static void frag_sample(mp4_demux *m, size_t idx, mp4_sample *s)
{
    if (!m->cur_valid || m->cur_idx != idx) {
        size_t lo = 0, hi = m->nruns;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (m->runs[mid].first <= idx)
                lo = mid;
            else
                hi = mid;
        }
        const mp4_run *r = &m->runs[lo];
        size_t k = idx - r->first;
        m->cur_run = lo;
        m->cur_off = r->offset + (r->size_at < 0 ? (uint64_t)k * r->def_size : 0);
        m->cur_dts = r->dts + (r->dur_at < 0 ? (int64_t)((uint64_t)k * r->def_dur) : 0);
        for (size_t i = 0; i < k && (r->size_at >= 0 || r->dur_at >= 0); i++) {
            const uint8_t *e = r->entries + i * r->stride;
            if (r->size_at >= 0)
                m->cur_off += segue_rb32(e + r->size_at);
            if (r->dur_at >= 0)
                m->cur_dts += segue_rb32(e + r->dur_at);
        }
        m->cur_idx = idx;
        m->cur_valid = 1;
    }
    const mp4_run *r = &m->runs[m->cur_run];
    const uint8_t *e = r->entries + (idx - r->first) * r->stride;
    s->offset = m->cur_off;
    s->dts = m->cur_dts;
    s->size = r->size_at < 0 ? r->def_size : segue_rb32(e + r->size_at);
    s->duration = r->dur_at < 0 ? r->def_dur : segue_rb32(e + r->dur_at);
}

/* Moves the cursor past sample s (the one frag_sample just gave). */
static void frag_advance(mp4_demux *m, const mp4_sample *s)
{
    m->cur_idx++;
    m->cur_off += s->size;
    m->cur_dts += s->duration;
    const mp4_run *r = &m->runs[m->cur_run];
    if (m->cur_idx >= r->first + r->count && m->cur_run + 1 < m->nruns) {
        m->cur_run++;
        m->cur_off = m->runs[m->cur_run].offset;
        m->cur_dts = m->runs[m->cur_run].dts;
    }
}

/* Index in the current fragment of the last sample whose dts <= t (0 if
 * none). */
static size_t frag_find(const mp4_demux *m, int64_t t)
{
    size_t lo = 0, hi = m->nruns;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->runs[mid].dts <= t)
            lo = mid;
        else
            hi = mid;
    }
    const mp4_run *r = &m->runs[lo];
    if (t <= r->dts)
        return r->first;
    uint64_t d = (uint64_t)(t - r->dts);
    if (r->dur_at < 0) {
        uint64_t k = r->def_dur ? d / r->def_dur : r->count;
        return r->first + (size_t)(k < r->count ? k : r->count - 1);
    }
    uint64_t at = 0;
    size_t k = 0;
    for (; k + 1 < r->count; k++) {
        at += segue_rb32(r->entries + k * r->stride + r->dur_at);
        if (at > d)
            break;
    }
    return r->first + k;
}

/* Reads top-level boxes from scan_pos up to the next moof and parses it;
 * leaves the reader at the start of the mdat after it. Sets stream_end
 * when the file ends first. */
static segue_status next_fragment(mp4_demux *m, segue_demux_ctx *ctx)
{
    segue_reader *r = ctx->reader;
    for (int guard = 0; guard < 1 << 20; guard++) {
        /* Offsets past INT64_MAX cannot be sought (and are past any file). */
        if (m->scan_pos > (uint64_t)INT64_MAX) {
            m->stream_end = 1;
            return SEGUE_OK;
        }
        if ((uint64_t)segue_reader_tell(r) != m->scan_pos) {
            segue_status st = segue_reader_seek(r, (int64_t)m->scan_pos);
            if (st < 0)
                return st;
        }
        uint32_t type;
        uint64_t size;
        unsigned hlen;
        segue_status st = SEGUE_OK;
        int rc = read_top_header(ctx, &type, &size, &hlen, &st);
        if (rc < 0)
            return st;
        if (rc == 0) {
            m->stream_end = 1;
            return SEGUE_OK;
        }
        uint64_t box_off = m->scan_pos;
        if (size == 0) { /* to the end of the file */
            if (type != MP4_TAG('m', 'd', 'a', 't') || m->file_size < 0) {
                m->stream_end = 1;
                m->scan_pos = UINT64_MAX;
                return SEGUE_OK;
            }
            size = (uint64_t)m->file_size - box_off;
        }
        /* Each box moves the scan forward, never around: a 64-bit size
         * that wrapped the offset could otherwise lead back to an earlier
         * moof and replay its samples for ever. */
        if (size > UINT64_MAX - box_off)
            return corrupt(ctx, "box size out of range");
        m->scan_pos = box_off + size;
        if (type == MP4_TAG('m', 'o', 'o', 'f')) {
            if (size - hlen > MP4_MAX_MOOF)
                return corrupt(ctx, "moof larger than 16 MiB");
            size_t n = (size_t)(size - hlen);
            uint8_t *buf = segue_mem_alloc(ctx->allocator, n ? n : 1);
            if (!buf)
                return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate moof");
            /* The runs of the previous moof point into its copy: both go. */
            segue_mem_free(ctx->allocator, m->moof_buf);
            m->moof_buf = buf;
            m->count = m->next = m->nruns = 0;
            m->cur_valid = 0;
            st = segue_demux_read_exact(ctx, buf, n, "moof box");
            if (st >= 0) {
                mp4_span s = {buf, n};
                st = parse_moof(m, ctx, s, box_off);
            }
            if (st < 0) {
                m->count = m->next = m->nruns = 0;
                return st;
            }
            if (!m->first_frag)
                m->first_frag = box_off;
            if (!m->count)
                continue;
            /* Step over the header of an mdat that follows, so the next scan
             * starts after that mdat and never seeks back on a pipe. */
            const uint8_t *h;
            size_t avail = 0;
            if ((st = segue_reader_peek(r, 8, &h, &avail)) < 0)
                return st;
            if (avail == 8 && segue_rb32(h + 4) == MP4_TAG('m', 'd', 'a', 't') && segue_rb32(h) >= 8) {
                uint64_t msize = segue_rb32(h);
                if ((st = segue_reader_skip(r, 8)) < 0)
                    return st;
                if (msize > UINT64_MAX - m->scan_pos)
                    return corrupt(ctx, "box size out of range");
                m->scan_pos += msize;
            }
            return SEGUE_OK;
        }
        if ((st = segue_demux_skip_exact(ctx, size - hlen, "top-level box")) < 0)
            return st;
    }
    return corrupt(ctx, "too many boxes between fragments");
}

/* ---- demuxer ---------------------------------------------------------------------- */

static int mp4_probe(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint32_t type = segue_rb32(data + 4);
    if (type == MP4_TAG('f', 't', 'y', 'p'))
        return 95;
    if (type == MP4_TAG('m', 'o', 'o', 'v') || type == MP4_TAG('m', 'd', 'a', 't') ||
        type == MP4_TAG('w', 'i', 'd', 'e') || type == MP4_TAG('f', 'r', 'e', 'e') ||
        type == MP4_TAG('s', 'k', 'i', 'p'))
        return segue_rb32(data) >= 8 || segue_rb32(data) == 1 ? 50 : 0;
    return 0;
}

/* media_total: the track's length (media timescale, < 2^54: at most 2^22
 * samples of 2^32 ticks), 0 when unknown (fragments). */
static void apply_gapless(mp4_demux *m, segue_demux_ctx *ctx, const edit_info *ed, const mp4_smpb *smpb,
                          int64_t media_total)
{
    segue_gapless g;
    memset(&g, 0, sizeof g);
    /* An edit whose priming or length is beyond any real stream is not
     * gapless information (and would overflow the sums below): it is
     * ignored, as an edit list the player could not honour. */
    if (ed->have && ed->media_time >= 0 && ed->media_time <= MP4_MAX_TIME && m->movie_timescale) {
        /* Edit list: media_time is the priming; segment_duration (movie
         * timescale) the valid length, scaled in checked integers. */
        int64_t delay = ed->media_time;
        int64_t seg = ed->duration > (uint64_t)MP4_MAX_TIME ? MP4_MAX_TIME : (int64_t)ed->duration;
        int64_t valid_media = muldiv(seg, m->timescale, m->movie_timescale, 1);
        if (valid_media > MP4_MAX_TIME)
            valid_media = MP4_MAX_TIME;
        /* A movie timescale coarser than the media's rounds the length
         * (ffmpeg writes milliseconds); when the media's own duration after
         * the priming agrees within one movie tick, it is the exact one.
         * Compared as doubles (no conversion to an integer). */
        double valid = (double)seg * m->timescale / m->movie_timescale;
        double tick = (double)m->timescale / m->movie_timescale;
        if (media_total > delay && tick > 1 && (double)(media_total - delay) <= valid + tick &&
            (double)(media_total - delay) >= valid - tick)
            valid_media = media_total - delay;
        /* An edit cannot make the track longer than its media. */
        if (media_total > delay && valid_media > media_total - delay)
            valid_media = media_total - delay;
        int64_t delay_frames = to_frames(m, delay);
        /* A priming of 2^32 frames or more, or past the end of the media,
         * is not an encoder's: the edit is not gapless information. */
        if (delay_frames > (int64_t)UINT32_MAX || (media_total && delay >= media_total))
            goto smpb;
        if (delay > 0 || (media_total && valid_media < media_total - delay)) {
            g.encoder_delay = (uint32_t)delay_frames;
            if (ed->duration && valid_media > 0) {
                g.total_frames = (uint64_t)to_frames(m, valid_media);
                int64_t pad = media_total - delay - valid_media;
                int64_t pad_frames = pad > 0 ? to_frames(m, pad) : 0;
                g.padding = pad_frames > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)pad_frames;
            }
            segue_metadata_set_gapless(ctx->metadata, &g);
            return;
        }
    }
smpb:
    if (smpb->has_smpb) {
        g.encoder_delay = smpb->delay;
        g.padding = smpb->padding;
        g.total_frames = smpb->length;
        segue_metadata_set_gapless(ctx->metadata, &g);
    }
}

static segue_status mp4_open(void *priv, segue_demux_ctx *ctx, segue_codec_params *params)
{
    mp4_demux *m = priv;
    segue_reader *r = ctx->reader;
    m->file_size = segue_reader_size(r);
    int seekable = segue_reader_seekable(r);
    uint8_t *moov = NULL;
    size_t moov_size = 0;
    uint64_t moov_end = 0, pos = 0;
    segue_status st = SEGUE_OK;
    int saw_mdat = 0;
    for (int guard = 0; guard < 1 << 20 && !moov; guard++) {
        uint32_t type;
        uint64_t size;
        unsigned hlen;
        int rc = read_top_header(ctx, &type, &size, &hlen, &st);
        if (rc < 0)
            return st;
        if (rc == 0)
            break;
        if (size == 0) {
            if (m->file_size < 0)
                break;
            size = (uint64_t)m->file_size - pos;
        }
        if (m->file_size >= 0 && size > (uint64_t)m->file_size - pos)
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT,
                                   "mp4: box at offset %llu declares %llu bytes, only %llu remain",
                                   (unsigned long long)pos, (unsigned long long)size,
                                   (unsigned long long)((uint64_t)m->file_size - pos));
        if (type == MP4_TAG('m', 'o', 'o', 'v')) {
            uint64_t cap = (uint64_t)segue_demux_max_metadata(ctx) + MP4_MAX_TABLES;
            if (size - hlen > cap)
                return segue_error_set(ctx->err, SEGUE_ERR_TOO_LARGE,
                                       "mp4: moov of %llu bytes exceeds the limit of %llu",
                                       (unsigned long long)(size - hlen), (unsigned long long)cap);
            moov_size = (size_t)(size - hlen);
            moov = segue_mem_alloc(ctx->allocator, moov_size ? moov_size : 1);
            if (!moov)
                return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate moov");
            st = segue_demux_read_exact(ctx, moov, moov_size, "moov box");
            if (st < 0) {
                segue_mem_free(ctx->allocator, moov);
                return st;
            }
            moov_end = pos + size;
            break;
        }
        if (type == MP4_TAG('m', 'o', 'o', 'f'))
            return corrupt(ctx, "moof before moov");
        if (type == MP4_TAG('m', 'd', 'a', 't')) {
            saw_mdat = 1;
            if (!seekable)
                return segue_error_set(ctx->err, SEGUE_ERR_NOT_SEEKABLE,
                                       "mp4: the moov box follows the media data; reading it needs a seekable input");
        }
        if ((st = segue_demux_skip_exact(ctx, size - hlen, "top-level box")) < 0)
            return st;
        pos += size;
    }
    if (!moov)
        return corrupt(ctx, saw_mdat ? "no moov box (incomplete recording?)" : "no moov box");

    edit_info ed;
    mp4_smpb smpb;
    memset(&ed, 0, sizeof ed);
    memset(&smpb, 0, sizeof smpb);
    mp4_span ms = {moov, moov_size};
    st = parse_moov(m, ctx, ms, params, &ed, &smpb);
    /* A windowed table reads its boxes in the moov copy as it goes. */
    if (m->windowed && st >= 0)
        m->moov_buf = moov;
    else
        segue_mem_free(ctx->allocator, moov);
    if (st < 0)
        return st;
    if (!params->sample_rate)
        return corrupt(ctx, "sample rate is 0");
    m->scan_pos = moov_end;
    if (m->fragmented && !m->count) {
        if ((st = next_fragment(m, ctx)) < 0)
            return st;
    } else {
        m->fragmented = 0; /* sample tables in moov: ignore any fragments */
    }

    uint32_t maxsize = 0;
    uint64_t bytes = 0;
    int64_t total = 0;
    /* A fragmented file's packet buffer grows as its samples need. */
    if (!m->fragmented)
        table_totals(m, &total, &bytes, &maxsize);
    m->pkt_cap = maxsize ? maxsize : 4096;
    m->pkt = segue_mem_alloc(ctx->allocator, m->pkt_cap);
    if (!m->pkt)
        return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate packet buffer");

    params->extradata = m->extradata;
    params->extradata_size = m->extradata_size;
    segue_stream_info *info = ctx->info;
    info->container = "mp4";
    info->sample_rate = params->sample_rate;
    info->channels = params->channels;
    if (!m->fragmented && total) {
        info->frames = to_frames(m, total);
        if (info->frames > 0) {
            /* Bounded before the conversion: a few samples declaring
             * hours-long durations (or the reverse) must not make an
             * out-of-range double-to-integer cast (C11 6.3.1.4). */
            double rate = (double)bytes * 8.0 * params->sample_rate / (double)info->frames + 0.5;
            info->bitrate = rate < 4294967295.0 ? (uint32_t)rate : UINT32_MAX;
        }
    }
    info->seekable = seekable;
    apply_gapless(m, ctx, &ed, &smpb, m->fragmented ? 0 : total);
    return SEGUE_OK;
}

static segue_status mp4_read_packet(void *priv, segue_demux_ctx *ctx, segue_packet *pkt)
{
    mp4_demux *m = priv;
    while (m->next >= m->count) {
        if (m->windowed && m->it.s < m->it.count) {
            segue_status st = fill_samples(m, ctx);
            if (st < 0)
                return st;
            if (!m->count)
                return SEGUE_END_OF_STREAM;
            continue;
        }
        if (!m->fragmented || m->stream_end)
            return SEGUE_END_OF_STREAM;
        segue_status st = next_fragment(m, ctx);
        if (st < 0)
            return st;
    }
    mp4_sample fs;
    const mp4_sample *s = &fs;
    if (m->fragmented)
        frag_sample(m, m->next, &fs);
    else
        s = &m->samples[m->next];
    if (s->size > m->pkt_cap) {
        uint8_t *n = segue_mem_realloc(ctx->allocator, m->pkt, m->pkt_cap, s->size);
        if (!n)
            return segue_error_set(ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate packet buffer");
        m->pkt = n;
        m->pkt_cap = s->size;
    }
    if ((uint64_t)segue_reader_tell(ctx->reader) != s->offset) {
        if (s->offset > INT64_MAX)
            return corrupt(ctx, "sample offset out of range");
        segue_status st = segue_reader_seek(ctx->reader, (int64_t)s->offset);
        if (st < 0)
            return st == SEGUE_ERR_NOT_SEEKABLE
                       ? segue_error_set(ctx->err, st, "mp4: samples out of file order need a seekable input")
                       : st;
    }
    segue_status st = segue_demux_read_exact(ctx, m->pkt, s->size, "sample");
    if (st < 0)
        return st;
    pkt->data = m->pkt;
    pkt->size = s->size;
    pkt->pts = to_frames(m, s->dts);
    pkt->frames = 0;
    pkt->flags = 0;
    if (m->fragmented)
        frag_advance(m, s);
    m->next++;
    return SEGUE_OK;
}

/* Index of the last sample whose dts <= t (0 if none). */
static size_t find_sample(const mp4_demux *m, int64_t t)
{
    size_t lo = 0, hi = m->count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->samples[mid].dts <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static segue_status mp4_seek(void *priv, segue_demux_ctx *ctx, int64_t frame, int64_t *landed)
{
    mp4_demux *m = priv;
    int64_t t = from_frames(m, frame);
    if (m->fragmented) {
        /* Walk the fragments from the first until one reaches t. */
        m->scan_pos = m->first_frag;
        m->frag_dts = 0;
        m->stream_end = 0;
        m->count = m->next = m->nruns = 0;
        m->cur_valid = 0;
        for (;;) {
            segue_status st = next_fragment(m, ctx);
            if (st < 0)
                return st;
            if (m->stream_end || (m->count && m->frag_dts > t))
                break;
        }
    }
    if (!m->count) {
        *landed = 0;
        m->next = 0;
        return SEGUE_OK;
    }
    int64_t l;
    if (m->fragmented) {
        mp4_sample fs;
        m->next = frag_find(m, t);
        frag_sample(m, m->next, &fs);
        l = to_frames(m, fs.dts);
    } else {
        if (m->windowed) {
            /* Back to the table's start, then forward a window at a time
             * until one holds t (inputs of unknown size only). */
            if (m->base || (m->count && m->samples[0].dts > t)) {
                stbl_iter *it = &m->it;
                uint32_t count = it->count;
                stbl_iter fresh;
                memset(&fresh, 0, sizeof fresh);
                fresh.stsz = it->stsz, fresh.stsc = it->stsc, fresh.stco = it->stco, fresh.stts = it->stts;
                fresh.co64 = it->co64, fresh.fixed = it->fixed, fresh.count = count;
                fresh.nstsc = it->nstsc, fresh.nchunks = it->nchunks, fresh.nstts = it->nstts;
                *it = fresh;
                segue_status st = fill_samples(m, ctx);
                if (st < 0)
                    return st;
            }
            while (m->count && m->samples[m->count - 1].dts + m->samples[m->count - 1].duration <= t &&
                   m->it.s < m->it.count) {
                segue_status st = fill_samples(m, ctx);
                if (st < 0)
                    return st;
            }
            if (!m->count) {
                *landed = 0;
                return SEGUE_OK;
            }
        }
        size_t i = find_sample(m, t);
        m->next = i;
        l = to_frames(m, m->samples[i].dts);
    }
    *landed = l <= frame ? l : frame;
    return SEGUE_OK;
}

static void mp4_close(void *priv, segue_demux_ctx *ctx)
{
    mp4_demux *m = priv;
    if (!m)
        return;
    segue_mem_free(ctx->allocator, m->samples);
    segue_mem_free(ctx->allocator, m->runs);
    segue_mem_free(ctx->allocator, m->moov_buf);
    segue_mem_free(ctx->allocator, m->moof_buf);
    segue_mem_free(ctx->allocator, m->pkt);
    segue_mem_free(ctx->allocator, m->extradata);
    memset(m, 0, sizeof *m);
}

const segue_demuxer_desc segue_demuxer_mp4 = {
    .name = "mp4",
    .priv_size = sizeof(mp4_demux),
    .probe = mp4_probe,
    .open = mp4_open,
    .read_packet = mp4_read_packet,
    .seek = mp4_seek,
    .close = mp4_close,
};
