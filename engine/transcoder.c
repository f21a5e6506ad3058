/*
 * engine/transcoder.c - decoder -> encoder in bounded chunks.
 *
 * Memory is one chunk of float frames (and its resampled copy) whatever the
 * input length. The output rate is the caller's, else the input's when the
 * encoder takes it, else the nearest rate it takes at or above the input's
 * (Opus: 48 kHz; MP3: an MPEG rate): libsoxr converts. Channel-count
 * changes need the downmix stage and are refused until it lands.
 */
#include <segue/transcode.h>

#include <string.h>

#include "codec/codec.h"
#include "container/container.h"
#include "core/alloc.h"
#include "core/error.h"
#include "dsp/resample.h"

struct segue_transcoder {
    segue_allocator allocator;
    segue_error err;
    segue_transcode_config cfg;
    segue_decoder *decoder;
    segue_encoder *encoder;
    float *chunk;
    size_t chunk_frames;
    segue_resampler *resampler; /* NULL when the rates match */
    float *resampled;
    size_t resampled_capacity;
    uint64_t done;        /* input frames converted */
    int length_announced; /* the encoder was told the output length */
    int finished;
    segue_status failed;
};

void segue_transcode_config_default(segue_transcode_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    segue_decoder_config_default(&cfg->decoder);
    segue_encoder_config_default(&cfg->encoder);
    cfg->encoder.sample_format = SEGUE_SAMPLE_NONE;
    cfg->chunk_frames = 4096;
}

static void close_io(const segue_io *io)
{
    if (io && io->close)
        io->close(io->user);
}

/* The output rate when the caller leaves it open: the input's if the
 * encoder takes it, else the nearest rate it takes at or above the input's,
 * else its highest. */
static uint32_t encoder_rate_for(const segue_encoder_config *ecfg, uint32_t in_rate)
{
    const segue_muxer_desc *mux = segue_muxer_find(ecfg->container ? ecfg->container : "wav");
    const char *name = ecfg->codec ? ecfg->codec : mux ? mux->default_codec : NULL;
    const segue_codec_desc *codec = segue_codec_find(name, SEGUE_CODEC_ENCODE);
    if (!codec || !codec->encoder_rates)
        return in_rate; /* the encoder open reports a missing codec */
    uint32_t best = 0;
    for (const uint32_t *r = codec->encoder_rates; *r; r++) {
        if (*r == in_rate)
            return in_rate;
        if (*r > in_rate && (!best || *r < best))
            best = *r;
    }
    if (!best)
        for (const uint32_t *r = codec->encoder_rates; *r; r++)
            best = *r > best ? *r : best;
    return best ? best : in_rate;
}

/* Opens the encoder for the open decoder t->decoder. */
static segue_status open_encoder(segue_transcoder *t, const segue_io *dst)
{
    const segue_stream_info *in = segue_decoder_info(t->decoder);
    segue_status st;

    segue_encoder_config ecfg = t->cfg.encoder;
    ecfg.allocator = &t->allocator;
    if (!ecfg.sample_rate)
        ecfg.sample_rate = encoder_rate_for(&ecfg, in->sample_rate);
    if (!ecfg.channels)
        ecfg.channels = in->channels;
    if (!ecfg.channel_mask && ecfg.channels == in->channels)
        ecfg.channel_mask = in->channel_mask;
    if (ecfg.sample_format == SEGUE_SAMPLE_NONE) {
        ecfg.sample_format = in->source_format;
        /* WAV stores 8-bit as unsigned; signed 8-bit (AIFF) maps losslessly. */
        if (ecfg.sample_format == SEGUE_SAMPLE_S8)
            ecfg.sample_format = SEGUE_SAMPLE_U8;
        if (ecfg.sample_format == SEGUE_SAMPLE_NONE)
            ecfg.sample_format = SEGUE_SAMPLE_S16;
    }
    if (!ecfg.metadata)
        ecfg.metadata = segue_decoder_metadata(t->decoder);
    /* A seekable sink gets its sizes back-patched at finish; a pipe needs
     * them up front, so it is told the output length when that is known. */
    t->length_announced = !dst->seek && in->frames >= 0;
    ecfg.total_frames = -1;
    if (t->length_announced)
        ecfg.total_frames = (int64_t)(((uint64_t)in->frames * ecfg.sample_rate + in->sample_rate / 2) /
                                      in->sample_rate);
    if (ecfg.sample_rate != in->sample_rate) {
        st = segue_resampler_create(&t->resampler, in->sample_rate, ecfg.sample_rate, in->channels,
                                    t->cfg.resample_quality, &t->allocator, &t->err);
        if (st < 0) {
            close_io(dst);
            return st;
        }
    }
    if (ecfg.channels != in->channels) {
        close_io(dst);
        return segue_error_set(&t->err, SEGUE_ERR_UNSUPPORTED,
                               "channel conversion %u -> %u is not available in this build",
                               in->channels, ecfg.channels);
    }
    st = segue_encoder_open(&t->encoder, dst, &ecfg);
    if (st < 0)
        return segue_error_set(&t->err, st, "%s", segue_encoder_last_error(t->encoder));

    t->chunk_frames = t->cfg.chunk_frames ? t->cfg.chunk_frames : 4096;
    if (t->chunk_frames > (1u << 20))
        t->chunk_frames = 1u << 20;
    t->chunk = segue_mem_calloc(&t->allocator, t->chunk_frames * in->channels, sizeof(float));
    if (!t->chunk)
        return segue_error_set(&t->err, SEGUE_ERR_NO_MEMORY, "transcoder: cannot allocate buffer");
    if (t->resampler) {
        t->resampled_capacity = segue_resampler_max_output(t->resampler, t->chunk_frames);
        t->resampled = segue_mem_calloc(&t->allocator, t->resampled_capacity * in->channels, sizeof(float));
        if (!t->resampled)
            return segue_error_set(&t->err, SEGUE_ERR_NO_MEMORY, "transcoder: cannot allocate buffer");
    }
    return SEGUE_OK;
}

/* Allocates the handle; on failure closes what it was given. */
static segue_status create(segue_transcoder **out, const segue_transcode_config *cfg,
                           const segue_io *src, segue_decoder *decoder, const segue_io *dst)
{
    const segue_allocator *a = segue_allocator_or_default(cfg ? cfg->allocator : NULL);
    segue_transcoder *t = segue_mem_calloc(a, 1, sizeof *t);
    if (!t) {
        close_io(src);
        segue_decoder_destroy(decoder);
        close_io(dst);
        return SEGUE_ERR_NO_MEMORY;
    }
    t->allocator = *a;
    segue_transcode_config_default(&t->cfg);
    if (cfg) {
        size_t n = cfg->struct_size < sizeof t->cfg ? cfg->struct_size : sizeof t->cfg;
        memcpy(&t->cfg, cfg, n);
    }
    t->decoder = decoder;
    *out = t;
    return SEGUE_OK;
}

segue_status segue_transcoder_open(segue_transcoder **out, const segue_io *src, const segue_io *dst,
                                   const segue_transcode_config *cfg)
{
    if (out)
        *out = NULL;
    if (!out || !src || !dst) {
        close_io(src);
        close_io(dst);
        return SEGUE_ERR_INVALID_ARGUMENT;
    }
    segue_status st = create(out, cfg, src, NULL, dst);
    if (st < 0)
        return st;
    segue_transcoder *t = *out;
    segue_decoder_config dcfg = t->cfg.decoder;
    dcfg.allocator = &t->allocator;
    st = segue_decoder_open(&t->decoder, src, &dcfg);
    if (st < 0) {
        close_io(dst); /* ours now; nothing was written to it */
        t->failed = st;
        return segue_error_set(&t->err, st, "%s", segue_decoder_last_error(t->decoder));
    }
    st = open_encoder(t, dst);
    if (st < 0)
        t->failed = st;
    return st;
}

segue_status segue_transcoder_open_decoder(segue_transcoder **out, segue_decoder *decoder,
                                           const segue_io *dst, const segue_transcode_config *cfg)
{
    if (out)
        *out = NULL;
    if (!out || !decoder || !dst || !segue_decoder_info(decoder)) {
        segue_decoder_destroy(decoder);
        close_io(dst);
        return SEGUE_ERR_INVALID_ARGUMENT;
    }
    segue_status st = create(out, cfg, NULL, decoder, dst);
    if (st < 0)
        return st;
    st = open_encoder(*out, dst);
    if (st < 0)
        (*out)->failed = st;
    return st;
}

void segue_transcoder_destroy(segue_transcoder *t)
{
    if (!t)
        return;
    segue_decoder_destroy(t->decoder);
    segue_encoder_destroy(t->encoder);
    segue_resampler_destroy(t->resampler);
    segue_mem_free(&t->allocator, t->chunk);
    segue_mem_free(&t->allocator, t->resampled);
    segue_allocator a = t->allocator;
    segue_mem_free(&a, t);
}

/* Resamples (or not) and hands frames to the encoder; in == NULL flushes. */
static segue_status encode_frames(segue_transcoder *t, const float *in, size_t frames)
{
    const float *out = in;
    size_t n = frames;
    if (t->resampler) {
        segue_status st = segue_resampler_process(t->resampler, in, frames, t->resampled,
                                                  t->resampled_capacity, &n, &t->err);
        if (st < 0)
            return st;
        out = t->resampled;
    }
    if (!n)
        return SEGUE_OK;
    segue_status st = segue_encoder_write_f32(t->encoder, out, n);
    if (st < 0)
        return segue_error_set(&t->err, st, "%s", segue_encoder_last_error(t->encoder));
    return SEGUE_OK;
}

static segue_status finish_output(segue_transcoder *t)
{
    const segue_stream_info *in = segue_decoder_info(t->decoder);
    if (t->length_announced && t->done != (uint64_t)in->frames)
        /* The header already on the pipe promised in->frames. */
        return segue_error_set(&t->err, SEGUE_ERR_CORRUPT,
                               "input is truncated: it ended after %llu of the %lld frames "
                               "its header declares",
                               (unsigned long long)t->done, (long long)in->frames);
    segue_status st = SEGUE_OK;
    if (t->resampler && (st = encode_frames(t, NULL, 0)) < 0)
        return st;
    st = segue_encoder_finish(t->encoder);
    if (st < 0)
        return segue_error_set(&t->err, st, "%s", segue_encoder_last_error(t->encoder));
    return SEGUE_OK;
}

segue_status segue_transcoder_step(segue_transcoder *t)
{
    if (!t)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (t->failed)
        return t->failed;
    if (t->finished)
        return SEGUE_OK;
    size_t frames = 0;
    segue_status st = segue_decoder_read_f32(t->decoder, t->chunk, t->chunk_frames, &frames);
    if (st < 0) {
        t->failed = st;
        return segue_error_set(&t->err, st, "%s", segue_decoder_last_error(t->decoder));
    }
    if (st == SEGUE_END_OF_STREAM) {
        st = finish_output(t);
        if (st < 0)
            return t->failed = st;
        t->finished = 1;
        return SEGUE_OK;
    }
    t->done += frames;
    st = encode_frames(t, t->chunk, frames);
    if (st < 0)
        return t->failed = st;
    return SEGUE_AGAIN;
}

segue_status segue_transcoder_run(segue_transcoder *t, segue_progress_fn progress, void *user)
{
    if (!t)
        return SEGUE_ERR_INVALID_ARGUMENT;
    const segue_stream_info *in = segue_decoder_info(t->decoder);
    int64_t total = in ? in->frames : -1;
    for (;;) {
        segue_status st = segue_transcoder_step(t);
        if (st != SEGUE_AGAIN)
            return st;
        if (progress && progress(user, t->done, total)) {
            t->failed = SEGUE_ERR_CANCELLED;
            return segue_error_set(&t->err, SEGUE_ERR_CANCELLED, "cancelled by the caller");
        }
    }
}

const segue_stream_info *segue_transcoder_input_info(const segue_transcoder *t)
{
    return t ? segue_decoder_info(t->decoder) : NULL;
}

const segue_metadata *segue_transcoder_unmapped(const segue_transcoder *t)
{
    return t ? segue_encoder_unmapped(t->encoder) : NULL;
}

const char *segue_transcoder_last_error(const segue_transcoder *t)
{
    if (!t)
        return "no transcoder (out of memory or invalid argument)";
    return t->err.detail;
}
