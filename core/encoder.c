/* core/encoder.c - the push encoder: PCM -> codec -> muxer (encoder.h). */
#include <segue/encoder.h>

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "codec/codec.h"
#include "container/container.h"
#include "error.h"
#include "simd/dsp.h"
#include "writer.h"

#define ENCODER_PACKET_FRAMES 4096u
#define SEGUE_MAX_CHANNELS 32

struct segue_encoder {
    segue_allocator allocator;
    segue_error err;
    segue_encoder_config cfg;
    segue_metadata *metadata;  /* our copy of cfg.metadata */
    segue_metadata *unmapped;
    segue_writer writer;
    int writer_open;
    const segue_muxer_desc *muxer;
    void *muxer_priv;
    segue_mux_ctx ctx;
    int muxer_open;
    const segue_codec_desc *codec;
    /* Frames per encode() call: ENCODER_PACKET_FRAMES, or less when the
     * codec lowered params.max_packet_frames in encoder_init (AAC takes
     * exactly one 1024-frame block per call). */
    size_t chunk_frames;
    void *codec_priv;
    segue_codec_params params;
    float *staging;            /* planar -> interleaved, one packet */
    /* late_loudness: the record the caller passed in (written at finish if
     * segue_encoder_set_loudness() is never called) and whether it was. */
    segue_loudness late_original;
    int late_set;
    uint64_t frames_written;
    int opened, finished;
    segue_status failed;
};

void segue_encoder_config_default(segue_encoder_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    cfg->container = "wav";
    cfg->sample_format = SEGUE_SAMPLE_S16;
    cfg->total_frames = -1;
    cfg->length_hint = -1;
    cfg->rf64 = SEGUE_RF64_AUTO;
    cfg->quality = NAN;
    cfg->compression_level = -1;
    cfg->id3v2_version = 3;
}

static void copy_config(segue_encoder_config *dst, const segue_encoder_config *src)
{
    segue_encoder_config_default(dst);
    size_t n = src->struct_size < sizeof *dst ? src->struct_size : sizeof *dst;
    memcpy(dst, src, n);
    dst->struct_size = sizeof *dst;
    if (!dst->container)
        dst->container = "wav";
}

/* Placeholder loudness values as long as any real value is written (the
 * gains at the Q7.8 limit, "-128.00 dB" / "-32768"; the peak with two
 * integer digits). The muxer renders its tag block with them at open, so
 * the block has room for every loudness field the late record can fill;
 * the muxer's padding absorbs the difference at finish. Real values
 * outside these bounds only need more padding, which the muxers check. */
#define LATE_GAIN_PLACEHOLDER (-128.0)
#define LATE_PEAK_PLACEHOLDER 99.999999

/* late_loudness: checks that the muxer and the sink can rewrite the tag
 * block at finish, and puts placeholders in the record the muxer renders. */
static segue_status prepare_late_loudness(segue_encoder *e)
{
    if (!e->muxer->late_loudness)
        return segue_error_set(&e->err, SEGUE_ERR_UNSUPPORTED,
                               "%s: late loudness tags are not supported by this container "
                               "(mp3, flac and ogg can rewrite their tags at the end)",
                               e->muxer->name);
    if (!segue_writer_seekable(&e->writer))
        return segue_error_set(&e->err, SEGUE_ERR_UNSUPPORTED,
                               "%s: late loudness tags need a seekable output (not a pipe); "
                               "measure first or write to a file",
                               e->muxer->name);
    segue_metadata_get_loudness(e->metadata, &e->late_original);
    segue_loudness ph = e->late_original;
    ph.has_track_gain = ph.has_track_peak = ph.has_album_gain = ph.has_album_peak = 1;
    ph.track_gain_db = ph.album_gain_db = LATE_GAIN_PLACEHOLDER;
    ph.track_peak = ph.album_peak = LATE_PEAK_PLACEHOLDER;
    /* No R128 placeholders: a comment block derives R128_* from the
     * ReplayGain gains when it has no R128 value (and ID3 has no R128
     * field), so the ReplayGain placeholders reserve that room too. */
    ph.has_r128_track = ph.has_r128_album = 0;
    segue_metadata_set_loudness(e->metadata, &ph);
    return SEGUE_OK;
}

static segue_status open_parts(segue_encoder *e, const segue_io *io)
{
    segue_status st = segue_writer_open(&e->writer, io, &e->allocator, &e->err);
    e->writer_open = 1;
    if (st < 0)
        return st;
    if ((st = segue_metadata_create(&e->unmapped, &e->allocator)) < 0)
        return segue_error_set(&e->err, st, "cannot allocate metadata");
    if (e->cfg.metadata) {
        if ((st = segue_metadata_create(&e->metadata, &e->allocator)) < 0 ||
            (st = segue_metadata_copy(e->metadata, e->cfg.metadata)) < 0)
            return segue_error_set(&e->err, st, "cannot copy metadata");
    }
    if (e->cfg.late_loudness && !e->metadata) {
        /* The tag block needs a record to hold the late values. */
        if ((st = segue_metadata_create(&e->metadata, &e->allocator)) < 0)
            return segue_error_set(&e->err, st, "cannot allocate metadata");
    }
    e->cfg.metadata = e->metadata;

    if (e->cfg.sample_rate == 0)
        return segue_error_set(&e->err, SEGUE_ERR_INVALID_ARGUMENT, "encoder: sample rate is 0");
    if (e->cfg.channels == 0 || e->cfg.channels > SEGUE_MAX_CHANNELS)
        return segue_error_set(&e->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "encoder: %u channels (1..%d supported)", e->cfg.channels,
                               SEGUE_MAX_CHANNELS);
    e->muxer = segue_muxer_find(e->cfg.container);
    if (!e->muxer)
        return segue_error_set(&e->err, SEGUE_ERR_UNSUPPORTED, "no muxer named '%s'",
                               e->cfg.container);
    if (e->cfg.late_loudness && (st = prepare_late_loudness(e)) < 0)
        return st;
    const char *codec_name = e->cfg.codec ? e->cfg.codec : e->muxer->default_codec;
    e->params.codec = codec_name;
    e->params.sample_rate = e->cfg.sample_rate;
    e->params.channels = e->cfg.channels;
    e->params.channel_mask = e->cfg.channel_mask;
    e->params.sample_format = e->cfg.sample_format;
    e->params.max_packet_frames = ENCODER_PACKET_FRAMES;
    e->params.total_frames = e->cfg.total_frames;
    e->params.encoder_config = &e->cfg;
    st = e->muxer->setup(&e->cfg, &e->params, &e->err);
    if (st < 0)
        return st;
    /* On a pipe a muxer writes its delay record up front, in a form
     * readers may ignore (ffmpeg ignores the edit list of a fragmented
     * MP4): the codec keeps its usual delay there. */
    if (!segue_writer_seekable(&e->writer))
        e->params.delay_recorded = 0;
    e->codec = segue_codec_find(e->params.codec, SEGUE_CODEC_ENCODE);
    if (!e->codec)
        return segue_error_set(&e->err, SEGUE_ERR_UNSUPPORTED, "%s: no encoder for codec '%s'",
                               e->muxer->name, e->params.codec ? e->params.codec : "(none)");
    if (e->codec->priv_size) {
        e->codec_priv = segue_mem_calloc(&e->allocator, 1, e->codec->priv_size);
        if (!e->codec_priv)
            return segue_error_set(&e->err, SEGUE_ERR_NO_MEMORY, "%s: cannot allocate encoder",
                                   e->codec->name);
    }
    st = e->codec->encoder_init(e->codec_priv, &e->params, &e->allocator, &e->err);
    if (st < 0)
        return st;
    e->chunk_frames = e->params.max_packet_frames && e->params.max_packet_frames < ENCODER_PACKET_FRAMES
                          ? e->params.max_packet_frames
                          : ENCODER_PACKET_FRAMES;
    e->staging = segue_mem_calloc(&e->allocator, (size_t)ENCODER_PACKET_FRAMES * e->cfg.channels,
                                  sizeof(float));
    if (!e->staging)
        return segue_error_set(&e->err, SEGUE_ERR_NO_MEMORY, "encoder: cannot allocate buffer");
    if (e->muxer->priv_size) {
        e->muxer_priv = segue_mem_calloc(&e->allocator, 1, e->muxer->priv_size);
        if (!e->muxer_priv)
            return segue_error_set(&e->err, SEGUE_ERR_NO_MEMORY, "%s: cannot allocate muxer",
                                   e->muxer->name);
    }
    e->ctx.writer = &e->writer;
    e->ctx.allocator = &e->allocator;
    e->ctx.err = &e->err;
    e->ctx.metadata = e->metadata;
    e->ctx.unmapped = e->unmapped;
    e->ctx.cfg = &e->cfg;
    e->muxer_open = 1;
    return e->muxer->open(e->muxer_priv, &e->ctx, &e->params);
}

segue_status segue_encoder_open(segue_encoder **out, const segue_io *io,
                                const segue_encoder_config *cfg)
{
    if (!out || !io || !cfg) {
        if (out)
            *out = NULL;
        if (io && io->close)
            io->close(io->user);
        return SEGUE_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    const segue_allocator *a = segue_allocator_or_default(cfg->allocator);
    segue_encoder *e = segue_mem_calloc(a, 1, sizeof *e);
    if (!e) {
        if (io->close)
            io->close(io->user);
        return SEGUE_ERR_NO_MEMORY;
    }
    e->allocator = *a;
    copy_config(&e->cfg, cfg);
    e->cfg.allocator = &e->allocator;
    *out = e;
    segue_status st = open_parts(e, io);
    if (st < 0) {
        e->failed = st;
        if (e->err.status >= 0)
            segue_error_set(&e->err, st, "%s", segue_status_str(st));
        return st;
    }
    e->opened = 1;
    return SEGUE_OK;
}

void segue_encoder_destroy(segue_encoder *e)
{
    if (!e)
        return;
    if (e->muxer_open && e->muxer->close)
        e->muxer->close(e->muxer_priv, &e->ctx);
    if (e->codec && (e->codec_priv || !e->codec->priv_size))
        e->codec->fini(e->codec_priv, &e->allocator);
    if (e->writer_open)
        segue_writer_close(&e->writer);
    segue_mem_free(&e->allocator, e->codec_priv);
    segue_mem_free(&e->allocator, e->muxer_priv);
    segue_mem_free(&e->allocator, e->staging);
    segue_metadata_destroy(e->metadata);
    segue_metadata_destroy(e->unmapped);
    segue_allocator a = e->allocator;
    segue_mem_free(&a, e);
}

static segue_status fail(segue_encoder *e, segue_status st)
{
    if (st < 0 && !e->failed)
        e->failed = st;
    return st;
}

static segue_status check_writable(segue_encoder *e)
{
    if (e->failed)
        return e->failed;
    if (!e->opened || e->finished)
        return segue_error_set(&e->err, SEGUE_ERR_STATE, "encoder: write after finish");
    return SEGUE_OK;
}

/* Encodes up to one packet of interleaved frames and hands every packet the
 * codec produces to the muxer (SEGUE_AGAIN: more are pending). */
static segue_status encode_chunk(segue_encoder *e, const float *pcm, size_t frames)
{
    for (;;) {
        segue_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        segue_status st = e->codec->encode(e->codec_priv, pcm, frames, &pkt, &e->err);
        if (st < 0)
            return fail(e, st);
        if (pkt.size) {
            segue_status wst = e->muxer->write_packet(e->muxer_priv, &e->ctx, &pkt);
            if (wst < 0)
                return fail(e, wst);
        }
        if (st != SEGUE_AGAIN)
            return SEGUE_OK;
        pcm = NULL;
        frames = 0;
    }
}

static segue_status check_hint(segue_encoder *e, size_t frames)
{
    if (e->cfg.total_frames >= 0 &&
        e->frames_written + frames > (uint64_t)e->cfg.total_frames)
        return fail(e, segue_error_set(&e->err, SEGUE_ERR_STATE,
                                       "encoder: more frames written than the %lld announced",
                                       (long long)e->cfg.total_frames));
    return SEGUE_OK;
}

segue_status segue_encoder_write_f32(segue_encoder *e, const float *interleaved, size_t frames)
{
    if (!e || (!interleaved && frames))
        return SEGUE_ERR_INVALID_ARGUMENT;
    segue_status st = check_writable(e);
    if (st < 0 || (st = check_hint(e, frames)) < 0)
        return st;
    size_t ch = e->cfg.channels;
    while (frames) {
        size_t n = frames < e->chunk_frames ? frames : e->chunk_frames;
        if ((st = encode_chunk(e, interleaved, n)) < 0)
            return st;
        interleaved += n * ch;
        frames -= n;
        e->frames_written += n;
        e->ctx.input_frames = e->frames_written;
    }
    return SEGUE_OK;
}

segue_status segue_encoder_write_f32_planar(segue_encoder *e, const float *const *planes,
                                            size_t frames)
{
    if (!e || (!planes && frames))
        return SEGUE_ERR_INVALID_ARGUMENT;
    segue_status st = check_writable(e);
    if (st < 0 || (st = check_hint(e, frames)) < 0)
        return st;
    const segue_dsp *dsp = segue_dsp_get();
    unsigned ch = e->cfg.channels;
    size_t offset = 0;
    while (offset < frames) {
        size_t n = frames - offset < e->chunk_frames ? frames - offset : e->chunk_frames;
        const float *src[SEGUE_MAX_CHANNELS];
        for (unsigned c = 0; c < ch; c++) {
            if (!planes[c])
                return SEGUE_ERR_INVALID_ARGUMENT;
            src[c] = planes[c] + offset;
        }
        dsp->interleave_f32(e->staging, src, ch, n);
        if ((st = encode_chunk(e, e->staging, n)) < 0)
            return st;
        offset += n;
        e->frames_written += n;
        e->ctx.input_frames = e->frames_written;
    }
    return SEGUE_OK;
}

segue_status segue_encoder_finish(segue_encoder *e)
{
    if (!e)
        return SEGUE_ERR_INVALID_ARGUMENT;
    segue_status st = check_writable(e);
    if (st < 0)
        return st;
    e->finished = 1;
    /* Drain the codec: PCM returns END_OF_STREAM at once, lossy codecs
     * hand out their delayed packets first. */
    for (;;) {
        segue_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        segue_status drained = e->codec->encode(e->codec_priv, NULL, 0, &pkt, &e->err);
        if (drained < 0)
            return fail(e, drained);
        if (pkt.size && (st = e->muxer->write_packet(e->muxer_priv, &e->ctx, &pkt)) < 0)
            return fail(e, st);
        if (drained == SEGUE_END_OF_STREAM)
            break;
    }
    if (e->cfg.total_frames >= 0 && e->frames_written != (uint64_t)e->cfg.total_frames)
        return fail(e, segue_error_set(&e->err, SEGUE_ERR_STATE,
                                       "encoder: %llu frames written, %lld announced",
                                       (unsigned long long)e->frames_written,
                                       (long long)e->cfg.total_frames));
    /* late_loudness without a late record: the caller's own values replace
     * the placeholders. */
    if (e->cfg.late_loudness && !e->late_set)
        segue_metadata_set_loudness(e->metadata, &e->late_original);
    if ((st = e->muxer->finish(e->muxer_priv, &e->ctx)) < 0)
        return fail(e, st);
    if ((st = segue_writer_flush(&e->writer)) < 0)
        return fail(e, st);
    return SEGUE_OK;
}

segue_status segue_encoder_set_loudness(segue_encoder *e, const segue_loudness *l)
{
    if (!e || !l)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (e->failed)
        return e->failed;
    if (!e->opened || e->finished)
        return segue_error_set(&e->err, SEGUE_ERR_STATE,
                               "encoder: loudness can only be set between open and finish");
    if (!e->cfg.late_loudness)
        return segue_error_set(&e->err, SEGUE_ERR_STATE,
                               "encoder: set_loudness needs an encoder opened with late_loudness = 1");
    segue_metadata_set_loudness(e->metadata, l);
    e->late_set = 1;
    return SEGUE_OK;
}

uint64_t segue_encoder_frames_written(const segue_encoder *e) { return e ? e->frames_written : 0; }

const segue_metadata *segue_encoder_unmapped(const segue_encoder *e)
{
    return e ? e->unmapped : NULL;
}

const char *segue_encoder_last_error(const segue_encoder *e)
{
    if (!e)
        return "no encoder (out of memory or invalid argument)";
    return e->err.detail;
}
