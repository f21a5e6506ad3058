/*
 * engine/transcoder.c - decoder -> DSP stages -> encoder in bounded chunks.
 *
 * The stage chain (segue/transcode.h gives the order):
 *
 *   decode -> trim -> channel mix -> gain -> fades -> [loudness meter]
 *          -> true-peak limiter -> resample -> dither -> encode
 *
 * Memory is a fixed set of buffers sized from chunk_frames (the decoded
 * chunk, the mixed chunk, the resampled chunk) plus the fixed state of each
 * stage, whatever the input length: nothing is allocated after open except
 * what the encoder opened at the end of a first pass allocates once.
 *
 * Loudness normalisation needs the integrated loudness of the whole signal
 * before the tags (or the gain) can be known. Three routes:
 *   - late tags: the muxer reserves room for the loudness tags and rewrites
 *     them at finish (mp3, flac, ogg, m4a on a seekable sink); one pass, the
 *     meter runs while encoding;
 *   - first pass: decode the (trimmed) input once through trim/mix/gain/
 *     fades into the meter, seek the decoder back, then encode with the
 *     tags already in the metadata (pipes, wav); needs a seekable input;
 *   - apply_gain: always the first pass, then the normalisation gain and
 *     the limiter in the encode pass.
 *
 * The output rate is the caller's, else the input's when the encoder takes
 * it, else the nearest rate it takes at or above the input's (Opus: 48 kHz;
 * MP3: an MPEG rate). The output length is sample exact: the trimmed input
 * length * out_rate / in_rate, rounded half up (dsp/resample.h).
 */
#include <segue/transcode.h>

#include <math.h>
#include <string.h>

#include "codec/codec.h"
#include "container/container.h"
#include "core/alloc.h"
#include "core/error.h"
#include "dsp/dither.h"
#include "dsp/fade.h"
#include "dsp/limiter.h"
#include "dsp/loudness.h"
#include "dsp/mix.h"
#include "dsp/resample.h"
#include "engine/cover_art.h"

/* Normalisation targets (segue/transcode.h): EBU R 128 programme loudness,
 * and the ReplayGain 2.0 reference level. */
#define TARGET_R128_LUFS (-23.0)
#define TARGET_REPLAYGAIN_LUFS (-18.0)

/* Bits the AUTO dither rule credits to float and lossy sources: "more than
 * 24", so every integer output of 24 bits or fewer is dithered. */
#define BITS_FLOAT_OR_LOSSY 32u

typedef enum phase {
    PHASE_SKIP,    /* reading and discarding up to start_frame (unseekable input) */
    PHASE_ANALYSE, /* first pass: measuring loudness, nothing encoded */
    PHASE_ENCODE,
    PHASE_DONE
} phase;

struct segue_transcoder {
    segue_allocator allocator;
    segue_error err;
    segue_transcode_config cfg;
    segue_decoder *decoder;
    segue_encoder *encoder;
    segue_io dst;         /* held until the encoder opens (first-pass tag route) */
    int dst_pending;      /* dst is ours and not yet handed to the encoder */
    segue_encoder_config ecfg; /* the resolved output settings */

    unsigned in_channels, out_channels;
    uint32_t in_rate, out_rate;
    uint32_t out_mask;

    /* Trim window in input frames: [start, start + length). */
    uint64_t start;
    int64_t length;       /* trimmed length; -1 if unknown (read to the end) */
    int length_exact;     /* the input declared its length, so `length` is exact */
    uint64_t pos;         /* trimmed frames taken in the current pass */
    uint64_t skip_left;   /* frames still to discard in PHASE_SKIP */
    phase state;
    phase after_skip;     /* PHASE_ANALYSE or PHASE_ENCODE */

    /* Stages; NULL when not needed. */
    segue_mixer *mixer;
    double gain_db;       /* gain in effect for the current pass */
    float gain_linear;
    int gain_active;
    segue_fade fade;
    int fade_active;
    segue_loudness_meter *meter;
    segue_limiter *limiter;
    segue_resampler *resampler;
    segue_ditherer *ditherer;
    /* AUTO on an unprocessed deeper source: dither only from the first
     * sample that is not already on the output's grid (a 16-bit signal in
     * a 24-bit file converts back bit-exactly, as SoX's `dither -a`). */
    int dither_armed;
    float dither_grid;    /* 2^(bits-1) of the output */

    /* Buffers. */
    float *chunk;         /* chunk_frames * in_channels */
    size_t chunk_frames;
    float *work;          /* stage_frames * out_channels (mix output, limiter flush) */
    size_t stage_frames;  /* max(chunk_frames, limiter latency) */
    float *resampled;
    size_t resampled_capacity;

    segue_metadata *out_metadata; /* owned copy handed to the encoder, or NULL */
    segue_metadata *unmapped;     /* cover-art and encoder unmapped fields merged */
    int late_loudness;            /* tags set at finish (one pass) */
    int first_pass;               /* a first analysis pass runs before encoding */
    uint64_t concealed_base;      /* decoder's concealed count when the encode
                                     pass began (a first pass counts too) */
    int length_announced;         /* the encoder was told the output length */
    int64_t expected_output;      /* frames the output will hold, -1 if unknown */
    segue_transcode_stats stats;
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
    cfg->resample_quality = SEGUE_RESAMPLE_HIGH;
    cfg->start_frame = 0;
    cfg->duration_frames = -1;
    cfg->limiter_ceiling_dbtp = -1.0;
    cfg->dither = SEGUE_DITHER_AUTO;
    cfg->normalize = SEGUE_NORMALIZE_OFF;
}

/* ---- enum names ---------------------------------------------------------- */

static const char *const resample_names[] = {"high", "very-high", "medium", "low", "quick"};
static const char *const dither_names[] = {"auto", "none", "tpdf", "shaped"};
static const char *const normalize_names[] = {"off", "r128", "replaygain"};

static int parse_name(const char *const *names, size_t count, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *segue_resample_quality_name(segue_resample_quality q)
{
    return (size_t)q < COUNT_OF(resample_names) ? resample_names[q] : "unknown";
}

int segue_resample_quality_parse(const char *name)
{
    return parse_name(resample_names, COUNT_OF(resample_names), name);
}

const char *segue_dither_mode_name(segue_dither_mode d)
{
    return (size_t)d < COUNT_OF(dither_names) ? dither_names[d] : "unknown";
}

int segue_dither_mode_parse(const char *name)
{
    return parse_name(dither_names, COUNT_OF(dither_names), name);
}

const char *segue_normalize_mode_name(segue_normalize_mode n)
{
    return (size_t)n < COUNT_OF(normalize_names) ? normalize_names[n] : "unknown";
}

int segue_normalize_mode_parse(const char *name)
{
    return parse_name(normalize_names, COUNT_OF(normalize_names), name);
}

/* ---- open ------------------------------------------------------------------ */

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

/* round(frames * out_rate / in_rate), halves up: what the resampler
 * produces for `frames` input frames (dsp/resample.h). */
static uint64_t output_frames_for(uint64_t frames, uint32_t in_rate, uint32_t out_rate)
{
    if (in_rate == out_rate)
        return frames;
    /* Split to keep frames * out_rate inside 64 bits for any length. */
    uint64_t whole = frames / in_rate, rest = frames % in_rate;
    return whole * out_rate + (rest * out_rate + in_rate / 2) / in_rate;
}

/* Bits of precision the source carries, for the AUTO dither rule. */
static unsigned source_bits(const segue_stream_info *in)
{
    int lossless_int = in->codec && (strcmp(in->codec, "pcm") == 0 || strcmp(in->codec, "flac") == 0);
    switch (in->source_format) {
    case SEGUE_SAMPLE_U8:
    case SEGUE_SAMPLE_S8:
    case SEGUE_SAMPLE_S16:
    case SEGUE_SAMPLE_S24:
    case SEGUE_SAMPLE_S32:
        if (!lossless_int)
            return BITS_FLOAT_OR_LOSSY;
        return in->bits_per_sample ? in->bits_per_sample : segue_sample_format_bits(in->source_format);
    default:
        return BITS_FLOAT_OR_LOSSY;
    }
}

/* Integer word length the output stores, or 0 for float and lossy outputs
 * (their encoders take the float signal: nothing to dither). */
static unsigned output_integer_bits(const segue_encoder_config *ecfg)
{
    const segue_muxer_desc *mux = segue_muxer_find(ecfg->container ? ecfg->container : "wav");
    const char *codec = ecfg->codec ? ecfg->codec : mux ? mux->default_codec : NULL;
    if (!codec || (strcmp(codec, "pcm") != 0 && strcmp(codec, "flac") != 0))
        return 0;
    switch (ecfg->sample_format) {
    case SEGUE_SAMPLE_U8:
    case SEGUE_SAMPLE_S8:
    case SEGUE_SAMPLE_S16:
    case SEGUE_SAMPLE_S24:
    case SEGUE_SAMPLE_S32:
        return segue_sample_format_bits(ecfg->sample_format);
    default:
        return 0;
    }
}

/* Checks the trim and fade settings against the input and fills the trim
 * window and fade positions. */
static segue_status plan_trims(segue_transcoder *t, const segue_stream_info *in)
{
    const segue_transcode_config *c = &t->cfg;
    if (c->start_frame < 0)
        return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "start_frame %lld is negative", (long long)c->start_frame);
    if (c->duration_frames < -1 || c->duration_frames == 0)
        return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "duration_frames %lld: give a positive length, or -1 for all",
                               (long long)c->duration_frames);
    if (c->fade_in_frames < 0 || c->fade_out_frames < 0)
        return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT, "fade lengths must not be negative");
    t->start = (uint64_t)c->start_frame;
    t->length_exact = in->frames >= 0;
    if (in->frames >= 0) {
        if (c->start_frame > 0 && c->start_frame >= in->frames)
            return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "the start (frame %lld) is past the end of the input "
                                   "(%lld frames)",
                                   (long long)c->start_frame, (long long)in->frames);
        t->length = in->frames - c->start_frame;
        if (c->duration_frames >= 0 && c->duration_frames < t->length)
            t->length = c->duration_frames;
    } else {
        t->length = c->duration_frames; /* an upper bound: the input may end sooner */
    }
    /* Fades are positions in the trimmed stream (dsp/fade.h). */
    t->fade.in_frames = (uint64_t)c->fade_in_frames;
    if (c->fade_out_frames > 0) {
        if (t->length < 0)
            return segue_error_set(&t->err, SEGUE_ERR_UNSUPPORTED,
                                   "a fade-out needs the length of the input, which this stream "
                                   "does not declare; give a duration");
        uint64_t len = (uint64_t)t->length;
        t->fade.out_frames = (uint64_t)c->fade_out_frames < len ? (uint64_t)c->fade_out_frames : len;
        t->fade.out_start = len - t->fade.out_frames;
    }
    t->fade_active = t->fade.in_frames > 0 || t->fade.out_frames > 0;
    return SEGUE_OK;
}

/* Resolves the output settings from the config and the input. */
static void resolve_output(segue_transcoder *t, const segue_stream_info *in)
{
    segue_encoder_config *e = &t->ecfg;
    *e = t->cfg.encoder;
    e->allocator = &t->allocator;
    if (!e->sample_rate)
        e->sample_rate = encoder_rate_for(e, in->sample_rate);
    if (!e->channels)
        e->channels = in->channels;
    if (!e->channel_mask && e->channels == in->channels)
        e->channel_mask = in->channel_mask;
    if (e->sample_format == SEGUE_SAMPLE_NONE) {
        e->sample_format = in->source_format;
        /* WAV stores 8-bit as unsigned; signed 8-bit (AIFF) maps losslessly. */
        if (e->sample_format == SEGUE_SAMPLE_S8)
            e->sample_format = SEGUE_SAMPLE_U8;
        if (e->sample_format == SEGUE_SAMPLE_NONE)
            e->sample_format = SEGUE_SAMPLE_S16;
    }
    if (!e->metadata)
        e->metadata = segue_decoder_metadata(t->decoder);
    e->late_loudness = 0;
    e->total_frames = -1;
    t->in_channels = in->channels;
    t->out_channels = e->channels;
    t->in_rate = in->sample_rate;
    t->out_rate = e->sample_rate;
    t->out_mask = e->channel_mask;
}

/* Chooses the loudness route; SEGUE_ERR_UNSUPPORTED when there is none. */
static segue_status plan_loudness(segue_transcoder *t, const segue_stream_info *in)
{
    if (t->cfg.normalize == SEGUE_NORMALIZE_OFF)
        return SEGUE_OK;
    if ((unsigned)t->cfg.normalize > SEGUE_NORMALIZE_REPLAYGAIN)
        return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT, "unknown normalize mode %d",
                               (int)t->cfg.normalize);
    if (t->cfg.apply_gain) {
        if (!in->seekable)
            return segue_error_set(&t->err, SEGUE_ERR_UNSUPPORTED,
                                   "applying a normalisation gain needs a seekable input: the "
                                   "loudness is measured in a first pass");
        t->first_pass = 1;
        return SEGUE_OK;
    }
    const segue_muxer_desc *mux = segue_muxer_find(t->ecfg.container ? t->ecfg.container : "wav");
    if (mux && mux->late_loudness && t->dst.seek) {
        t->late_loudness = 1;
        return SEGUE_OK;
    }
    if (in->seekable) {
        t->first_pass = 1;
        return SEGUE_OK;
    }
    return segue_error_set(&t->err, SEGUE_ERR_UNSUPPORTED,
                           "--normalize needs a seekable input or a seekable mp3/flac/ogg output "
                           "(the input is a pipe and the output %s)",
                           t->dst.seek ? "cannot take late tags" : "is a pipe");
}

/* The owned metadata the encoder gets when pictures are fitted or the
 * loudness record must change; else the caller's (or the input's) as is. */
static segue_status prepare_metadata(segue_transcoder *t)
{
    const segue_transcode_config *c = &t->cfg;
    int fit = c->picture_max_width || c->picture_max_height || c->picture_max_bytes ||
              c->picture_jpeg_only;
    int loudness = c->normalize != SEGUE_NORMALIZE_OFF && !t->late_loudness;
    /* A fixed gain changes what the input's loudness tags describe. */
    int regain = c->normalize == SEGUE_NORMALIZE_OFF && c->gain_db != 0.0 && t->ecfg.metadata;
    if (!fit && !loudness && !regain)
        return SEGUE_OK;
    segue_status st = segue_metadata_create(&t->out_metadata, &t->allocator);
    if (st < 0)
        return segue_error_set(&t->err, st, "transcoder: cannot allocate metadata");
    if (fit) {
        segue_picture_limits lim = {c->picture_max_width, c->picture_max_height,
                                    c->picture_max_bytes, c->picture_jpeg_only};
        unsigned changed = 0;
        st = segue_cover_art_fit(t->ecfg.metadata, t->out_metadata, &lim, &t->allocator, &changed,
                                 &t->err);
        if (st < 0)
            return segue_error_set(&t->err, st, "transcoder: fitting the pictures failed");
    } else if (t->ecfg.metadata) {
        st = segue_metadata_copy(t->out_metadata, t->ecfg.metadata);
        if (st < 0)
            return segue_error_set(&t->err, st, "transcoder: cannot copy the metadata");
    }
    if (regain) {
        /* Keep the input's loudness tags true of the output: a gain of G dB
         * lowers the gains to apply by G and scales the peaks. */
        segue_loudness l;
        segue_metadata_get_loudness(t->out_metadata, &l);
        double lin = pow(10.0, c->gain_db / 20.0);
        l.track_gain_db -= c->gain_db;
        l.album_gain_db -= c->gain_db;
        l.r128_track_gain_db -= c->gain_db;
        l.r128_album_gain_db -= c->gain_db;
        l.track_peak *= lin;
        l.album_peak *= lin;
        segue_metadata_set_loudness(t->out_metadata, &l);
    }
    if (loudness) {
        /* Replaced at the end of the first pass (tag route) or left empty
         * (apply_gain: the input's values no longer describe the output). */
        segue_loudness none;
        memset(&none, 0, sizeof none);
        segue_metadata_set_loudness(t->out_metadata, &none);
    }
    t->ecfg.metadata = t->out_metadata;
    return SEGUE_OK;
}

/* Creates the stages and buffers (everything but the encoder). */
static segue_status create_stages(segue_transcoder *t, const segue_stream_info *in)
{
    const segue_transcode_config *c = &t->cfg;
    segue_status st;
    if (t->out_channels != t->in_channels &&
        (st = segue_mixer_create(&t->mixer, t->in_channels, in->channel_mask, t->out_channels,
                                 t->out_mask, &t->allocator, &t->err)) < 0)
        return st;
    if (!isfinite(c->gain_db) || fabs(c->gain_db) > 100.0)
        return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "gain %g dB is outside -100..100", c->gain_db);
    t->gain_db = c->gain_db;
    if (c->normalize != SEGUE_NORMALIZE_OFF &&
        (st = segue_loudness_meter_create(&t->meter, t->in_rate, t->out_channels, t->out_mask,
                                          &t->allocator, &t->err)) < 0)
        return st;
    if (c->limiter || (c->apply_gain && c->normalize != SEGUE_NORMALIZE_OFF)) {
        double ceiling = c->limiter_ceiling_dbtp;
        if (!isfinite(ceiling) || ceiling > 0.0 || ceiling < -60.0)
            return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "limiter ceiling %g dBTP is outside -60..0", ceiling);
        if ((st = segue_limiter_create(&t->limiter, t->in_rate, t->out_channels, ceiling,
                                       &t->allocator, &t->err)) < 0)
            return st;
    }
    if (t->out_rate != t->in_rate &&
        (st = segue_resampler_create(&t->resampler, t->in_rate, t->out_rate, t->out_channels,
                                     c->resample_quality, &t->allocator, &t->err)) < 0)
        return st;

    /* Dither (AUTO): when the output stores integers of fewer bits than the
     * signal carries - the source's bits, or more than 24 as soon as any
     * stage computed new sample values. */
    unsigned out_bits = output_integer_bits(&t->ecfg);
    int processed = t->mixer || c->gain_db != 0.0 || t->fade_active || t->limiter ||
                    t->resampler || (c->apply_gain && c->normalize != SEGUE_NORMALIZE_OFF);
    unsigned signal_bits = processed ? BITS_FLOAT_OR_LOSSY : source_bits(in);
    int dither = 0;
    if (out_bits >= 8 && out_bits <= 24) {
        switch (c->dither) {
        case SEGUE_DITHER_AUTO: dither = signal_bits > out_bits; break;
        case SEGUE_DITHER_TPDF:
        case SEGUE_DITHER_SHAPED: dither = 1; break;
        case SEGUE_DITHER_NONE: dither = 0; break;
        default:
            return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT, "unknown dither mode %d",
                                   (int)c->dither);
        }
    }
    if (dither &&
        (st = segue_ditherer_create(&t->ditherer, t->out_channels, t->out_rate, out_bits,
                                    c->dither == SEGUE_DITHER_AUTO ? SEGUE_DITHER_TPDF : c->dither,
                                    c->dither_seed, &t->allocator, &t->err)) < 0)
        return st;
    t->dither_armed = c->dither != SEGUE_DITHER_AUTO || processed;
    t->dither_grid = (float)(1u << (out_bits >= 8 && out_bits <= 24 ? out_bits - 1 : 15));

    t->chunk_frames = c->chunk_frames ? c->chunk_frames : 4096;
    if (t->chunk_frames > (1u << 20))
        t->chunk_frames = 1u << 20;
    t->stage_frames = t->chunk_frames;
    if (t->limiter && segue_limiter_latency(t->limiter) > t->stage_frames)
        t->stage_frames = segue_limiter_latency(t->limiter);
    t->chunk = segue_mem_calloc(&t->allocator, t->chunk_frames * t->in_channels, sizeof(float));
    if (!t->chunk)
        return segue_error_set(&t->err, SEGUE_ERR_NO_MEMORY, "transcoder: cannot allocate buffer");
    if (t->mixer || t->limiter) {
        t->work = segue_mem_calloc(&t->allocator, t->stage_frames * t->out_channels, sizeof(float));
        if (!t->work)
            return segue_error_set(&t->err, SEGUE_ERR_NO_MEMORY, "transcoder: cannot allocate buffer");
    }
    if (t->resampler) {
        t->resampled_capacity = segue_resampler_max_output(t->resampler, t->stage_frames);
        t->resampled = segue_mem_calloc(&t->allocator, t->resampled_capacity * t->out_channels,
                                        sizeof(float));
        if (!t->resampled)
            return segue_error_set(&t->err, SEGUE_ERR_NO_MEMORY, "transcoder: cannot allocate buffer");
    }
    return SEGUE_OK;
}

static void set_gain(segue_transcoder *t, double db)
{
    t->gain_db = db;
    t->gain_linear = (float)segue_db_to_linear(db);
    t->gain_active = db != 0.0;
}

/* Opens the encoder on t->dst with t->ecfg. */
static segue_status open_encoder(segue_transcoder *t)
{
    /* A seekable sink gets its sizes back-patched at finish; a pipe needs
     * them up front, so it is told the output length when that is exact. */
    t->length_announced = !t->dst.seek && t->length_exact;
    t->ecfg.total_frames = t->length_announced ? t->expected_output : -1;
    t->ecfg.length_hint = t->length_exact ? t->expected_output : -1;
    t->ecfg.late_loudness = t->late_loudness;
    t->dst_pending = 0; /* the encoder owns the sink from here, open or not */
    segue_status st = segue_encoder_open(&t->encoder, &t->dst, &t->ecfg);
    if (st < 0)
        return segue_error_set(&t->err, st, "%s", segue_encoder_last_error(t->encoder));
    return SEGUE_OK;
}

/* Positions the decoder at the trim start: a seek when the input can, else
 * PHASE_SKIP reads and discards. `rewind`: the decoder has been read
 * (a first pass ran) and must go back even for a start of 0. */
static segue_status start_pass(segue_transcoder *t, phase next, int rewind)
{
    const segue_stream_info *in = segue_decoder_info(t->decoder);
    t->pos = 0;
    t->after_skip = next;
    if (next == PHASE_ENCODE)
        t->concealed_base = segue_decoder_concealed(t->decoder, NULL);
    if (in->seekable && (t->start > 0 || rewind)) {
        segue_status st = segue_decoder_seek(t->decoder, (int64_t)t->start);
        if (st < 0)
            return segue_error_set(&t->err, st, "%s", segue_decoder_last_error(t->decoder));
        t->state = next;
        return SEGUE_OK;
    }
    t->skip_left = t->start;
    t->state = t->start > 0 ? PHASE_SKIP : next;
    return SEGUE_OK;
}

/* Everything after the decoder exists; dst is held in t->dst. */
static segue_status setup(segue_transcoder *t)
{
    const segue_stream_info *in = segue_decoder_info(t->decoder);
    segue_status st;
    resolve_output(t, in);
    if ((st = plan_trims(t, in)) < 0 || (st = plan_loudness(t, in)) < 0 ||
        (st = prepare_metadata(t)) < 0 || (st = create_stages(t, in)) < 0)
        return st;
    st = segue_metadata_create(&t->unmapped, &t->allocator);
    if (st < 0)
        return segue_error_set(&t->err, st, "transcoder: cannot allocate metadata");
    t->expected_output =
        t->length >= 0 ? (int64_t)output_frames_for((uint64_t)t->length, t->in_rate, t->out_rate) : -1;
    set_gain(t, t->cfg.gain_db);
    t->stats.applied_gain_db = t->cfg.gain_db;
    t->stats.passes = t->first_pass ? 2 : 1;
    /* With a first pass for tags the metadata is not final until it ends;
     * otherwise the encoder opens now, so bad settings fail at open. */
    if (!(t->first_pass && !t->cfg.apply_gain) && (st = open_encoder(t)) < 0)
        return st;
    if (t->first_pass) {
        /* The first pass measures the signal as it enters the limiter:
         * trimmed, mixed, with the fixed gain and the fades. */
        return start_pass(t, PHASE_ANALYSE, 0);
    }
    return start_pass(t, PHASE_ENCODE, 0);
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
        t->cfg.struct_size = sizeof t->cfg;
    }
    t->decoder = decoder;
    t->dst = *dst;
    t->dst_pending = 1;
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
        t->failed = st;
        return segue_error_set(&t->err, st, "%s", segue_decoder_last_error(t->decoder));
    }
    st = setup(t);
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
    st = setup(*out);
    if (st < 0)
        (*out)->failed = st;
    return st;
}

void segue_transcoder_destroy(segue_transcoder *t)
{
    if (!t)
        return;
    if (t->dst_pending)
        close_io(&t->dst); /* nothing was written to it */
    segue_decoder_destroy(t->decoder);
    segue_encoder_destroy(t->encoder);
    segue_mixer_destroy(t->mixer);
    segue_loudness_meter_destroy(t->meter);
    segue_limiter_destroy(t->limiter);
    segue_resampler_destroy(t->resampler);
    segue_ditherer_destroy(t->ditherer);
    segue_metadata_destroy(t->out_metadata);
    segue_metadata_destroy(t->unmapped);
    segue_mem_free(&t->allocator, t->chunk);
    segue_mem_free(&t->allocator, t->work);
    segue_mem_free(&t->allocator, t->resampled);
    segue_allocator a = t->allocator;
    segue_mem_free(&a, t);
}

/* ---- the stages ------------------------------------------------------------ */

/* Dither, statistics, encoder: the end of the chain. */
static segue_status emit(segue_transcoder *t, float *buf, size_t frames)
{
    if (!frames)
        return SEGUE_OK;
    size_t n = frames * t->out_channels;
    uint64_t clipped = 0;
    if (t->ditherer && !t->dither_armed) {
        for (size_t i = 0; i < n && !t->dither_armed; i++) {
            float q = buf[i] * t->dither_grid;
            t->dither_armed = q != nearbyintf(q);
        }
    }
    if (t->ditherer && t->dither_armed) {
        clipped = segue_ditherer_process(t->ditherer, buf, frames);
    } else {
        /* Values outside [-1, 1) clip in an integer output (encoder.h). */
        for (size_t i = 0; i < n; i++)
            clipped += buf[i] >= 1.0f || buf[i] < -1.0f;
    }
    float peak = (float)t->stats.peak;
    for (size_t i = 0; i < n; i++) {
        float m = fabsf(buf[i]);
        peak = m > peak ? m : peak;
    }
    t->stats.peak = peak;
    t->stats.clipped_samples += clipped;
    segue_status st = segue_encoder_write_f32(t->encoder, buf, frames);
    if (st < 0)
        return segue_error_set(&t->err, st, "%s", segue_encoder_last_error(t->encoder));
    t->stats.output_frames += frames;
    return SEGUE_OK;
}

/* Resample (or not), then emit; buf == NULL flushes the resampler. */
static segue_status resample_and_emit(segue_transcoder *t, float *buf, size_t frames)
{
    if (!t->resampler)
        return buf ? emit(t, buf, frames) : SEGUE_OK;
    size_t produced = 0;
    segue_status st = segue_resampler_process(t->resampler, buf, frames, t->resampled,
                                              t->resampled_capacity, &produced, &t->err);
    if (st < 0)
        return st;
    return emit(t, t->resampled, produced);
}

/* Mix, gain, fades and the meter on `frames` frames of t->chunk at trimmed
 * position t->pos. Returns the buffer holding the result (out_channels). */
static float *shape(segue_transcoder *t, float *in, size_t frames)
{
    float *cur = in;
    if (t->mixer) {
        segue_mixer_process(t->mixer, in, frames, t->work);
        cur = t->work;
    }
    if (t->gain_active)
        for (size_t i = 0; i < frames * t->out_channels; i++)
            cur[i] *= t->gain_linear;
    if (t->fade_active)
        segue_fade_apply(&t->fade, cur, frames, t->out_channels, t->pos);
    return cur;
}

static segue_status encode_chunk(segue_transcoder *t, float *in, size_t frames)
{
    float *cur = shape(t, in, frames);
    segue_status st;
    if (t->late_loudness && (st = segue_loudness_meter_add(t->meter, cur, frames, &t->err)) < 0)
        return st;
    t->pos += frames;
    t->stats.input_frames += frames;
    if (t->limiter) {
        size_t produced = 0;
        segue_limiter_process(t->limiter, cur, frames, cur, &produced);
        frames = produced;
    }
    return resample_and_emit(t, cur, frames);
}

/* The loudness tags for the output format, whatever the mode: Opus carries
 * R128_TRACK_GAIN (RFC 7845 section 5.2.1, relative to -23 LUFS); ID3,
 * Vorbis comments and FLAC carry ReplayGain 2.0 (-18 LUFS reference). The
 * mode picks the target level only when the gain is applied. */
static void loudness_tags(const segue_transcoder *t, const segue_loudness_result *r,
                          segue_loudness *tags)
{
    memset(tags, 0, sizeof *tags);
    segue_loudness_to_tags(r, tags);
    const char *codec = t->cfg.encoder.codec;
    if (!codec) {
        const segue_muxer_desc *mux =
            segue_muxer_find(t->cfg.encoder.container ? t->cfg.encoder.container : "wav");
        codec = mux ? mux->default_codec : NULL;
    }
    if (codec && strcmp(codec, "opus") == 0) {
        tags->has_track_gain = tags->has_track_peak = 0;
    } else {
        tags->has_r128_track = 0;
    }
}

/* Reads the meter into the stats. */
static segue_status collect_loudness(segue_transcoder *t, segue_loudness_result *r)
{
    segue_status st = segue_loudness_meter_result(t->meter, r, &t->err);
    if (st < 0)
        return st;
    t->stats.has_loudness = 1;
    t->stats.integrated_lufs = r->integrated_lufs;
    t->stats.loudness_range_lu = r->range_lu;
    t->stats.true_peak = r->true_peak;
    return SEGUE_OK;
}

/* End of the first pass: decide the gain or the tags, open the encoder
 * when it waited for them, and go back to the trim start. */
static segue_status end_analysis(segue_transcoder *t)
{
    segue_loudness_result r;
    segue_status st = collect_loudness(t, &r);
    if (st < 0)
        return st;
    if (t->cfg.apply_gain) {
        double target = t->cfg.normalize == SEGUE_NORMALIZE_R128 ? TARGET_R128_LUFS
                                                                : TARGET_REPLAYGAIN_LUFS;
        /* Silence has no loudness (-inf): nothing to normalise. */
        double norm = isfinite(r.integrated_lufs) ? target - r.integrated_lufs : 0.0;
        set_gain(t, t->cfg.gain_db + norm);
        t->stats.applied_gain_db = t->gain_db;
    } else {
        segue_loudness tags;
        loudness_tags(t, &r, &tags);
        segue_metadata_set_loudness(t->out_metadata, &tags);
        if ((st = open_encoder(t)) < 0)
            return st;
    }
    return start_pass(t, PHASE_ENCODE, 1);
}

static void merge_unmapped(segue_transcoder *t)
{
    if (!t->unmapped)
        return;
    segue_metadata_clear(t->unmapped);
    const segue_metadata *lists[2] = {t->out_metadata, segue_encoder_unmapped(t->encoder)};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < segue_metadata_unmapped_count(lists[l]); i++) {
            const char *what, *why;
            if (segue_metadata_unmapped_at(lists[l], i, &what, &why) == SEGUE_OK)
                segue_metadata_add_unmapped(t->unmapped, what, why);
        }
}

static segue_status finish_output(segue_transcoder *t)
{
    if (t->length_announced && t->pos != (uint64_t)t->length)
        /* The header already on the pipe promised this many frames. */
        return segue_error_set(&t->err, SEGUE_ERR_CORRUPT,
                               "input is truncated: it ended after %llu of the %lld frames "
                               "its header declares",
                               (unsigned long long)(t->start + t->pos),
                               (long long)(t->start + (uint64_t)t->length));
    segue_status st;
    if (t->limiter) {
        size_t produced = 0;
        segue_limiter_flush(t->limiter, t->work, &produced);
        if ((st = resample_and_emit(t, t->work, produced)) < 0)
            return st;
    }
    if ((st = resample_and_emit(t, NULL, 0)) < 0)
        return st;
    if (t->late_loudness) {
        segue_loudness_result r;
        segue_loudness tags;
        if ((st = collect_loudness(t, &r)) < 0)
            return st;
        loudness_tags(t, &r, &tags);
        st = segue_encoder_set_loudness(t->encoder, &tags);
        if (st < 0)
            return segue_error_set(&t->err, st, "%s", segue_encoder_last_error(t->encoder));
    }
    st = segue_encoder_finish(t->encoder);
    merge_unmapped(t);
    if (st < 0)
        return segue_error_set(&t->err, st, "%s", segue_encoder_last_error(t->encoder));
    return SEGUE_OK;
}

/* Frames to read next: a chunk, or what is left of the trim window. */
static size_t next_read(const segue_transcoder *t)
{
    size_t want = t->chunk_frames;
    if (t->state == PHASE_SKIP) {
        if (t->skip_left < want)
            want = (size_t)t->skip_left;
    } else if (t->length >= 0 && (uint64_t)t->length - t->pos < want) {
        want = (size_t)((uint64_t)t->length - t->pos);
    }
    return want;
}

/* End of the trim window or of the input in the current pass. */
static segue_status end_of_pass(segue_transcoder *t)
{
    segue_status st;
    if (t->state == PHASE_SKIP)
        return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "the start (frame %llu) is past the end of the input (%llu frames)",
                               (unsigned long long)t->start,
                               (unsigned long long)(t->start - t->skip_left));
    if (t->start > 0 && t->pos == 0)
        /* An input of undeclared length that ends exactly at the start. */
        return segue_error_set(&t->err, SEGUE_ERR_INVALID_ARGUMENT,
                               "the start (frame %llu) is at the end of the input",
                               (unsigned long long)t->start);
    if (t->state == PHASE_ANALYSE)
        return (st = end_analysis(t)) < 0 ? st : SEGUE_AGAIN;
    if ((st = finish_output(t)) < 0)
        return st;
    t->state = PHASE_DONE;
    return SEGUE_OK;
}

segue_status segue_transcoder_step(segue_transcoder *t)
{
    if (!t)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (t->failed)
        return t->failed;
    if (t->state == PHASE_DONE)
        return SEGUE_OK;
    segue_status st;
    size_t want = next_read(t);
    size_t frames = 0;
    if (want == 0) {
        st = end_of_pass(t);
    } else {
        st = segue_decoder_read_f32(t->decoder, t->chunk, want, &frames);
        if (st < 0) {
            segue_error_set(&t->err, st, "%s", segue_decoder_last_error(t->decoder));
        } else if (st == SEGUE_END_OF_STREAM) {
            st = end_of_pass(t);
        } else if (t->state == PHASE_SKIP) {
            t->skip_left -= frames;
            if (!t->skip_left)
                t->state = t->after_skip;
            st = SEGUE_AGAIN;
        } else if (t->state == PHASE_ANALYSE) {
            float *cur = shape(t, t->chunk, frames);
            st = segue_loudness_meter_add(t->meter, cur, frames, &t->err);
            t->pos += frames;
            if (st >= 0)
                st = SEGUE_AGAIN;
        } else {
            st = encode_chunk(t, t->chunk, frames);
            if (st >= 0)
                st = SEGUE_AGAIN;
        }
    }
    if (st < 0)
        t->failed = st;
    return st;
}

segue_status segue_transcoder_run(segue_transcoder *t, segue_progress_fn progress, void *user)
{
    if (!t)
        return SEGUE_ERR_INVALID_ARGUMENT;
    /* Progress counts trimmed input frames over every pass. */
    int64_t total = t->length >= 0 ? t->length * (t->first_pass ? 2 : 1) : -1;
    for (;;) {
        segue_status st = segue_transcoder_step(t);
        if (st != SEGUE_AGAIN)
            return st;
        uint64_t done = t->pos;
        if (t->first_pass && t->state != PHASE_ANALYSE && t->length >= 0)
            done += (uint64_t)t->length;
        if (progress && progress(user, done, total)) {
            t->failed = SEGUE_ERR_CANCELLED;
            return segue_error_set(&t->err, SEGUE_ERR_CANCELLED, "cancelled by the caller");
        }
    }
}

const segue_stream_info *segue_transcoder_input_info(const segue_transcoder *t)
{
    return t ? segue_decoder_info(t->decoder) : NULL;
}

void segue_transcoder_stats(const segue_transcoder *t, segue_transcode_stats *stats)
{
    if (!stats)
        return;
    if (!t) {
        memset(stats, 0, sizeof *stats);
        return;
    }
    *stats = t->stats;
    const char *last = "";
    uint64_t n = segue_decoder_concealed(t->decoder, &last);
    stats->concealed_packets = n > t->concealed_base ? n - t->concealed_base : 0;
    stats->concealed_last = stats->concealed_packets ? last : "";
}

const segue_metadata *segue_transcoder_unmapped(const segue_transcoder *t)
{
    if (!t)
        return NULL;
    /* Merged at finish; before that, what is known: the cover-art fit's
     * list, then the encoder's. */
    if (t->state == PHASE_DONE && t->unmapped)
        return t->unmapped;
    if (t->out_metadata && segue_metadata_unmapped_count(t->out_metadata))
        return t->out_metadata;
    return segue_encoder_unmapped(t->encoder);
}

const char *segue_transcoder_last_error(const segue_transcoder *t)
{
    if (!t)
        return "no transcoder (out of memory or invalid argument)";
    return t->err.detail;
}
