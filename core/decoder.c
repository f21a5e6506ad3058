/* core/decoder.c - the pull decoder: probe, demux, decode, trim (decoder.h). */
#include <segue/decoder.h>

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "codec/codec.h"
#include "container/container.h"
#include "error.h"
#include "reader.h"
#include "simd/dsp.h"

#define SEGUE_MAX_CHANNELS 32

/*
 * End of stream. A codec's output lags its input by its delay (overlap-add,
 * filter history), and an encoder that writes no flushing frame leaves the
 * stream's last samples inside the decoder when the packets end (the
 * atracdenc ATRAC3 files: their frames decode to exactly the RIFF fact
 * length, 1162 samples of which are still held back after the delay is
 * dropped). When the packets are done and the gapless total is not
 * reached, the core looks at the deficit, the frames still to output plus
 * the delay still to discard:
 *
 *   deficit <= encoder_delay   The coded frames cover the declared length
 *                              (frames x frame size >= total): the rest is
 *                              only held back by the delay. The codec is
 *                              asked to drain (SEGUE_PACKET_DRAIN, at most
 *                              SEGUE_MAX_DRAINS times, stopping when it
 *                              gives nothing); if the total is still not
 *                              reached and the container states it exactly
 *                              (params.total_frames: the RIFF fact), the
 *                              rest is silence.
 *   deficit > encoder_delay    Frames are missing: the stream is truncated.
 *                              What was decoded is all there is: no drain,
 *                              no silence; strict decoding fails, and the
 *                              CLI and batch, which compare the output
 *                              with info.frames, report it.
 *
 * The bound is tight on purpose: a whole file ends at most encoder_delay
 * short (its frames cover the total), and one that lost even part of its
 * last frame (the demuxer drops a partial frame) ends at least a frame
 * more short, so a cut file is never padded to its declared length. The
 * silence is at most encoder_delay frames, and only when the codec cannot
 * drain. Containers
 * whose total is derived from the frames or from tags (MP3, MP4, Ogg,
 * OMA) never get silence. Only ATRAC3 implements draining; the other
 * decoders answer a drain with 0 frames (their gapless totals are met by
 * the packets), so their output is unchanged (docs/atrac.md).
 */
#define SEGUE_MAX_DRAINS 2
enum { TAIL_NONE = 0, TAIL_DRAIN, TAIL_SILENCE, TAIL_DONE };
/* Read-only zeros the silence is served from (a whole number of frames of
 * any channel count up to SEGUE_MAX_CHANNELS is taken from its start). */
static const float tail_silence[1024];

struct segue_decoder {
    segue_allocator allocator;
    segue_error err;
    segue_decoder_config cfg;
    segue_reader reader;
    int reader_open;
    const segue_demuxer_desc *demuxer;
    void *demuxer_priv;
    segue_demux_ctx ctx;
    int demuxer_open;
    const segue_codec_desc *codec;
    void *codec_priv;
    segue_codec_params params;
    segue_stream_info info;
    segue_metadata *metadata;
    const float *pending; /* decoded frames not yet returned (interleaved) */
    size_t pending_frames;
    int64_t position;     /* output frames returned so far */
    int64_t skip;         /* decoded frames still to discard (delay, seek) */
    /* End of stream (fill_pending): the gapless total (-1: none), whether
     * the container states it exactly (params.total_frames), and the tail
     * after the last packet: TAIL_* state, drain requests made. */
    int64_t gapless_end;
    int exact_end;
    int tail;
    int drains;
    int eos;
    int opened;           /* open succeeded */
    uint64_t concealed;   /* packets the codec concealed (SEGUE_CODEC_CONCEALED) */
    char concealed_last[SEGUE_ERROR_DETAIL_MAX];
    segue_status failed;  /* sticky error */
};

void segue_decoder_config_default(segue_decoder_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    cfg->gapless = 1;
    cfg->max_metadata_bytes = 16u << 20;
}

/* Copies a caller config that may come from an older, smaller struct. */
static void copy_config(segue_decoder_config *dst, const segue_decoder_config *src)
{
    segue_decoder_config_default(dst);
    if (!src)
        return;
    size_t n = src->struct_size < sizeof *dst ? src->struct_size : sizeof *dst;
    memcpy(dst, src, n);
    dst->struct_size = sizeof *dst;
    if (dst->max_metadata_bytes == 0)
        dst->max_metadata_bytes = 16u << 20;
}

/* Names a few common non-audio signatures so "unknown format" says more. */
static const char *describe_signature(const uint8_t *p, size_t n)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } sigs[] = {
        {"\x89PNG", 4, "a PNG image"}, {"\xff\xd8\xff", 3, "a JPEG image"},
        {"%PDF", 4, "a PDF document"}, {"PK\x03\x04", 4, "a ZIP archive"},
        {"\x7f" "ELF", 4, "an ELF executable"}, {"GIF8", 4, "a GIF image"},
        {"<?xml", 5, "an XML document"}, {"<!DOCTYPE", 9, "an HTML document"},
        {"<html", 5, "an HTML document"},
    };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (n >= sigs[i].len && memcmp(p, sigs[i].magic, sigs[i].len) == 0)
            return sigs[i].what;
    return NULL;
}

static segue_status probe_and_open(segue_decoder *d, const segue_io *io)
{
    segue_status st = segue_reader_open(&d->reader, io, &d->allocator, &d->err);
    d->reader_open = 1;
    if (st < 0)
        return st;
    st = segue_metadata_create(&d->metadata, &d->allocator);
    if (st < 0)
        return segue_error_set(&d->err, st, "cannot allocate metadata");

    const uint8_t *head;
    size_t avail;
    st = segue_reader_peek(&d->reader, SEGUE_PROBE_BYTES, &head, &avail);
    if (st < 0)
        return st;
    if (avail == 0)
        return segue_error_set(&d->err, SEGUE_ERR_CORRUPT, "input is empty (0 bytes)");

    if (d->cfg.container) {
        d->demuxer = segue_demuxer_find(d->cfg.container);
        if (!d->demuxer)
            return segue_error_set(&d->err, SEGUE_ERR_UNSUPPORTED, "no demuxer named '%s'",
                                   d->cfg.container);
    } else {
        int best = 0;
        for (const segue_demuxer_desc *const *dm = segue_demuxer_list(); *dm; dm++) {
            int score = (*dm)->probe(head, avail);
            if (score > best) {
                best = score;
                d->demuxer = *dm;
            }
        }
        if (!d->demuxer) {
            const char *what = describe_signature(head, avail);
            char hex[3 * 8 + 1] = "";
            for (size_t i = 0; i < avail && i < 8; i++)
                snprintf(hex + 3 * i, 4, "%02x ", head[i]);
            if (avail < 12)
                return segue_error_set(&d->err, SEGUE_ERR_UNKNOWN_FORMAT,
                                       "input is too short (%zu bytes) to be an audio file", avail);
            if (what)
                return segue_error_set(&d->err, SEGUE_ERR_UNKNOWN_FORMAT,
                                       "input looks like %s, not audio", what);
            return segue_error_set(&d->err, SEGUE_ERR_UNKNOWN_FORMAT,
                                   "unrecognised format (first bytes: %.*s)", (int)strlen(hex) - 1, hex);
        }
    }

    if (d->demuxer->priv_size) {
        d->demuxer_priv = segue_mem_calloc(&d->allocator, 1, d->demuxer->priv_size);
        if (!d->demuxer_priv)
            return segue_error_set(&d->err, SEGUE_ERR_NO_MEMORY, "%s: cannot allocate demuxer",
                                   d->demuxer->name);
    }
    d->ctx.name = d->demuxer->name;
    d->ctx.reader = &d->reader;
    d->ctx.allocator = &d->allocator;
    d->ctx.err = &d->err;
    d->ctx.metadata = d->metadata;
    d->ctx.info = &d->info;
    d->ctx.cfg = &d->cfg;
    d->info.frames = -1;
    d->demuxer_open = 1;
    st = d->demuxer->open(d->demuxer_priv, &d->ctx, &d->params);
    if (st < 0)
        return segue_error_set(&d->err, st, "%s: cannot open stream", d->demuxer->name);

    if (d->params.channels == 0 || d->params.channels > SEGUE_MAX_CHANNELS)
        return segue_error_set(&d->err, SEGUE_ERR_UNSUPPORTED, "%s: %u channels (1..%d supported)",
                               d->demuxer->name, d->params.channels, SEGUE_MAX_CHANNELS);
    if (d->params.sample_rate == 0)
        return segue_error_set(&d->err, SEGUE_ERR_CORRUPT, "%s: sample rate is 0", d->demuxer->name);

    d->codec = segue_codec_find(d->params.codec, SEGUE_CODEC_DECODE);
    if (!d->codec)
        return segue_error_set(&d->err, SEGUE_ERR_UNSUPPORTED, "%s: no decoder for codec '%s'",
                               d->demuxer->name, d->params.codec ? d->params.codec : "(none)");
    if (d->codec->priv_size) {
        d->codec_priv = segue_mem_calloc(&d->allocator, 1, d->codec->priv_size);
        if (!d->codec_priv)
            return segue_error_set(&d->err, SEGUE_ERR_NO_MEMORY, "%s: cannot allocate decoder",
                                   d->codec->name);
    }
    d->params.strict = d->cfg.strict;
    st = d->codec->decoder_init(d->codec_priv, &d->params, &d->allocator, &d->err);
    if (st < 0)
        return st;

    if (!d->info.codec) /* a demuxer may name the format more precisely ("mp2") */
        d->info.codec = d->codec->name;
    d->info.sample_rate = d->params.sample_rate;
    d->info.channels = d->params.channels;
    if (!d->info.channel_mask)
        d->info.channel_mask = d->params.channel_mask;
    if (d->info.source_format == SEGUE_SAMPLE_NONE)
        d->info.source_format = d->params.sample_format;
    if (!d->info.bits_per_sample)
        d->info.bits_per_sample = d->params.bits_per_sample;
    d->info.seekable = segue_reader_seekable(&d->reader) && d->demuxer->seek != NULL;

    /* Gapless: drop the encoder delay at the start and stop at the source
     * length. Containers that know both put them in the metadata. */
    segue_gapless g;
    segue_metadata_get_gapless(d->metadata, &g);
    d->gapless_end = -1;
    if (d->cfg.gapless) {
        d->skip = g.encoder_delay;
        if (g.total_frames) {
            d->info.frames = (int64_t)g.total_frames;
            d->gapless_end = (int64_t)g.total_frames;
            d->exact_end = d->params.total_frames > 0 &&
                           (uint64_t)d->params.total_frames == g.total_frames;
        }
    }
    return SEGUE_OK;
}

segue_status segue_decoder_open(segue_decoder **out, const segue_io *io,
                                const segue_decoder_config *cfg)
{
    if (!out) {
        if (io && io->close)
            io->close(io->user);
        return SEGUE_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (!io)
        return SEGUE_ERR_INVALID_ARGUMENT;
    const segue_allocator *a = segue_allocator_or_default(cfg ? cfg->allocator : NULL);
    segue_decoder *d = segue_mem_calloc(a, 1, sizeof *d);
    if (!d) {
        if (io->close)
            io->close(io->user);
        return SEGUE_ERR_NO_MEMORY;
    }
    d->allocator = *a;
    copy_config(&d->cfg, cfg);
    d->cfg.allocator = &d->allocator;
    *out = d;
    segue_status st = probe_and_open(d, io);
    if (st < 0) {
        d->failed = st;
        if (d->err.status >= 0)
            segue_error_set(&d->err, st, "%s", segue_status_str(st));
    }
    d->opened = st >= 0;
    return st < 0 ? st : SEGUE_OK;
}

void segue_decoder_destroy(segue_decoder *d)
{
    if (!d)
        return;
    if (d->codec && d->codec_priv)
        d->codec->fini(d->codec_priv, &d->allocator);
    else if (d->codec && !d->codec->priv_size)
        d->codec->fini(NULL, &d->allocator);
    if (d->demuxer_open && d->demuxer->close)
        d->demuxer->close(d->demuxer_priv, &d->ctx);
    segue_mem_free(&d->allocator, d->codec_priv);
    segue_mem_free(&d->allocator, d->demuxer_priv);
    segue_metadata_destroy(d->metadata);
    if (d->reader_open)
        segue_reader_close(&d->reader);
    segue_allocator a = d->allocator;
    segue_mem_free(&a, d);
}

const segue_stream_info *segue_decoder_info(const segue_decoder *d)
{
    return d && d->opened ? &d->info : NULL;
}

const segue_metadata *segue_decoder_metadata(const segue_decoder *d)
{
    return d && d->opened ? d->metadata : NULL;
}

uint64_t segue_decoder_concealed(const segue_decoder *d, const char **last)
{
    if (last)
        *last = d ? d->concealed_last : "";
    return d ? d->concealed : 0;
}

const char *segue_decoder_last_error(const segue_decoder *d)
{
    if (!d)
        return "no decoder (out of memory or invalid argument)";
    return d->err.detail;
}

/* The packets are done: decides how the stream ends (see "End of
 * stream" above). Sets d->tail. */
static void begin_tail(segue_decoder *d)
{
    d->tail = TAIL_DONE;
    if (d->gapless_end < 0 || d->position >= d->gapless_end)
        return;
    segue_gapless g;
    segue_metadata_get_gapless(d->metadata, &g);
    int64_t deficit = d->gapless_end - d->position + d->skip;
    if (deficit <= (int64_t)g.encoder_delay)
        d->tail = TAIL_DRAIN;
}

/* Makes at least one frame pending, or reports end of stream. */
static segue_status fill_pending(segue_decoder *d)
{
    while (d->pending_frames == 0) {
        if (d->eos)
            return SEGUE_END_OF_STREAM;
        segue_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        segue_status st = SEGUE_OK;
        if (d->tail == TAIL_NONE) {
            st = d->demuxer->read_packet(d->demuxer_priv, &d->ctx, &pkt);
            if (st < 0)
                return st;
            if (st == SEGUE_END_OF_STREAM)
                begin_tail(d);
        }
        if (d->tail != TAIL_NONE) {
            if (d->position >= d->gapless_end)
                d->tail = TAIL_DONE; /* the declared length is reached */
            if (d->tail == TAIL_DRAIN && d->drains >= SEGUE_MAX_DRAINS)
                d->tail = TAIL_SILENCE;
            if (d->tail == TAIL_SILENCE && !d->exact_end)
                d->tail = TAIL_DONE;
            if (d->tail == TAIL_DONE) {
                d->eos = 1;
                return SEGUE_END_OF_STREAM;
            }
            if (d->tail == TAIL_SILENCE) {
                /* Zeros up to the declared length. Delay still to drop
                 * would be dropped from these zeros: it changes nothing
                 * but the count, so it is cleared. */
                int64_t left = d->gapless_end - d->position;
                size_t cap = sizeof tail_silence / sizeof tail_silence[0] / d->info.channels;
                d->skip = 0;
                d->pending = tail_silence;
                d->pending_frames = (uint64_t)left < cap ? (size_t)left : cap;
                continue;
            }
            pkt.flags = SEGUE_PACKET_DRAIN;
            d->drains++;
        }
        const float *pcm = NULL;
        size_t frames = 0;
        st = d->codec->decode(d->codec_priv, &pkt, &pcm, &frames, &d->err);
        if (st < 0)
            return st;
        if (st == SEGUE_CODEC_CONCEALED) {
            /* Damage the codec covered up: count it and keep the why, but
             * do not leave it in err, which holds errors only. */
            d->concealed++;
            snprintf(d->concealed_last, sizeof d->concealed_last, "%s", d->err.detail);
            segue_error_clear(&d->err);
        }
        if (d->tail == TAIL_DRAIN && frames == 0)
            d->tail = TAIL_SILENCE; /* the codec holds nothing back */
        d->pending = pcm;
        d->pending_frames = frames;
        /* Discard the encoder delay / seek pre-roll. */
        if (d->skip > 0 && frames > 0) {
            size_t drop = (uint64_t)d->skip < frames ? (size_t)d->skip : frames;
            d->pending += drop * d->info.channels;
            d->pending_frames -= drop;
            d->skip -= (int64_t)drop;
        }
    }
    return SEGUE_OK;
}

/* Frames that may still be returned before the known end, capped at `want`. */
static size_t frames_allowed(const segue_decoder *d, size_t want)
{
    if (d->info.frames >= 0) {
        int64_t left = d->info.frames - d->position;
        if (left <= 0)
            return 0;
        if ((uint64_t)left < want)
            return (size_t)left;
    }
    return want;
}

static segue_status read_common(segue_decoder *d, float *interleaved, float *const *planes,
                                size_t capacity, size_t *frames)
{
    *frames = 0;
    if (d->failed)
        return d->failed;
    const segue_dsp *dsp = segue_dsp_get();
    unsigned ch = d->info.channels;
    size_t done = 0;
    while (done < capacity) {
        size_t want = frames_allowed(d, capacity - done);
        if (want == 0)
            break;
        segue_status st = fill_pending(d);
        if (st == SEGUE_END_OF_STREAM) {
            if (d->cfg.strict && d->info.frames >= 0 && d->position < d->info.frames) {
                d->failed = segue_error_set(&d->err, SEGUE_ERR_CORRUPT,
                                            "%s: truncated: stream ended after %lld of %lld frames",
                                            d->demuxer->name, (long long)d->position,
                                            (long long)d->info.frames);
                *frames = done;
                return d->failed;
            }
            break;
        }
        if (st < 0) {
            d->failed = st;
            *frames = done;
            return st;
        }
        size_t n = d->pending_frames < want ? d->pending_frames : want;
        if (interleaved) {
            memcpy(interleaved + done * ch, d->pending, n * ch * sizeof(float));
        } else {
            float *dst[SEGUE_MAX_CHANNELS];
            for (unsigned c = 0; c < ch; c++)
                dst[c] = planes[c] + done;
            dsp->deinterleave_f32(dst, d->pending, ch, n);
        }
        d->pending += n * ch;
        d->pending_frames -= n;
        d->position += (int64_t)n;
        done += n;
    }
    *frames = done;
    return done ? SEGUE_OK : SEGUE_END_OF_STREAM;
}

segue_status segue_decoder_read_f32(segue_decoder *d, float *interleaved, size_t capacity,
                                    size_t *frames)
{
    if (frames)
        *frames = 0;
    if (!d || !interleaved || !frames || capacity == 0)
        return SEGUE_ERR_INVALID_ARGUMENT;
    return read_common(d, interleaved, NULL, capacity, frames);
}

segue_status segue_decoder_read_f32_planar(segue_decoder *d, float *const *planes, size_t capacity,
                                           size_t *frames)
{
    if (frames)
        *frames = 0;
    if (!d || !planes || !frames || capacity == 0)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (d->failed)
        return d->failed;
    for (unsigned c = 0; c < d->info.channels; c++)
        if (!planes[c])
            return SEGUE_ERR_INVALID_ARGUMENT;
    return read_common(d, NULL, planes, capacity, frames);
}

segue_status segue_decoder_seek(segue_decoder *d, int64_t frame)
{
    if (!d)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (d->failed)
        return d->failed;
    if (!d->info.seekable)
        return segue_error_set(&d->err, SEGUE_ERR_NOT_SEEKABLE, "%s: input is not seekable",
                               d->demuxer->name);
    if (frame < 0 || (d->info.frames >= 0 && frame > d->info.frames))
        return SEGUE_ERR_INVALID_ARGUMENT;
    segue_gapless g;
    segue_metadata_get_gapless(d->metadata, &g);
    int64_t delay = d->cfg.gapless ? (int64_t)g.encoder_delay : 0;
    int64_t target = frame + delay;
    int64_t landed = 0;
    segue_status st = d->demuxer->seek(d->demuxer_priv, &d->ctx, target, &landed);
    if (st < 0) {
        d->failed = st;
        return st;
    }
    if (landed > target || landed < 0) {
        d->failed = SEGUE_ERR_INTERNAL;
        return segue_error_set(&d->err, SEGUE_ERR_INTERNAL, "%s: seek landed after target",
                               d->demuxer->name);
    }
    if (d->codec->reset)
        d->codec->reset(d->codec_priv);
    d->skip = target - landed;
    d->position = frame;
    d->pending = NULL;
    d->pending_frames = 0;
    d->tail = TAIL_NONE;
    d->drains = 0;
    d->eos = 0;
    return SEGUE_OK;
}
