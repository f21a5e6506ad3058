/*
 * codec/ext/lame/lame.c - MP3 encoding through libmp3lame (LAME 3.100 API,
 * lame.h). Encode only; decoding MP3 is the own decoder's job.
 *
 * Settings (from the encoder config, segue/encoder.h):
 *   rate_control CBR: `bitrate` (default 128000) must be an MPEG-1 Layer III
 *     bitrate (32..320 kbit/s) for 32/44.1/48 kHz, or an MPEG-2/2.5 one
 *     (8..160 kbit/s) for 8..24 kHz (ISO/IEC 11172-3 2.4.2.3, 13818-3
 *     2.4.2.3).
 *   rate_control ABR: `bitrate` 8000..320000 (default 128000), the mean.
 *   rate_control VBR: `quality` 0..9 (LAME's -V, fractions allowed;
 *     default 2).
 *   rate_control DEFAULT: VBR when `quality` is set, else CBR when
 *     `bitrate` is set, else VBR V2. `quality` is ignored by CBR/ABR and
 *     `bitrate` by VBR.
 *   stereo_mode: DEFAULT/JOINT joint stereo, PLAIN independent channels,
 *     MONO a downmix; a mono input always gives a mono stream.
 *   Input rates: exactly the MPEG-1/2/2.5 rates (encoder_rates below); the
 *   output rate is the input rate (LAME's resampler is never used).
 *
 * Output: the byte chunks LAME returns (not frame aligned; pts -1). LAME's
 * own ID3 writing is off (the muxer writes the tags). lame_set_bWriteVbrTag
 * makes LAME put a placeholder frame first, the size of the final Xing/Info
 * + LAME tag frame. Flushing returns, in order: the last audio bytes, a
 * SEGUE_PACKET_HEADER_UPDATE packet with lame_get_lametag_frame() (the
 * final tag frame, for the muxer to write over the placeholder), then
 * SEGUE_END_OF_STREAM. LAME leaves the tag out (and writes no placeholder)
 * when the tag frame (4 + side info + 156 bytes) does not fit one frame at
 * a CBR bitrate (VbrTag.c InitVbrTag; VBR and ABR use a 128/64/32 kbit/s
 * tag frame that always fits): stereo below 64 kbit/s at 44.1/48 kHz, below
 * 48 at 32 kHz, below 64 at 24 kHz, below 56 at 22.05 kHz, below 40 at
 * 16 kHz, below 32 at 11.025/12 kHz, below 24 at 8 kHz (mono: below 56 at
 * 44.1 kHz, 40 at 32 kHz, the same elsewhere). For those settings this
 * codec supplies the tag itself, so every setting is gapless: the template
 * is LAME's tag frame for the same settings at the lowest bitrate where the
 * tag fits (the frame keeps that bitrate: a tag frame need not share the
 * audio's bitrate, as LAME's own VBR tag frames show), with the fields
 * that depend on the bitrate set for the real one (lowpass, ATH type and
 * safe-joint flag, CBR bitrate, preset: make_template); the placeholder is emitted
 * here in front of LAME's first bytes, and no HEADER_UPDATE packet follows:
 * the muxer completes the tag from the counts (docs/mp3-gapless.md).
 *
 * params->encoder_delay is the number of samples a gapless decoder drops
 * from the start of its output: the encoder delay LAME records in its tag
 * (lame_get_encoder_delay(), 576 in LAME 3.100; the "Encoder delays" field
 * of "Mp3 Info Tag rev 1 specifications") plus the MP3 decoder delay of
 * 529 (528 + 1, the synthesis filterbank; lame's encoder.h "total
 * Encode+Decode delay = ENCDELAY + 528 + 1"), which every gapless decoder
 * (mpg123, ffmpeg) adds to the tag's value: 1105. This is the Opus
 * pre-skip meaning of the field, and what the MP3 demuxer reports as
 * segue_gapless.encoder_delay; the muxer writes encoder_delay - 529 into
 * the tag. Checked against LAME: its tags hold 576 for every setting.
 *
 * params->extradata: a template of the tag frame for the muxer, which must
 * write the tag before the audio on an unseekable sink. It is the tag frame
 * LAME itself produces for these exact settings, taken from a throwaway
 * encoder at init, so that every field that depends only on the settings
 * (version string, lowpass, ATH type, noise shaping, stereo mode, preset,
 * quality, frame header) is LAME's own; the muxer fills in what depends on
 * the length. NULL when LAME writes no tag for these settings.
 *
 * Memory: init allocates the output buffer (LAME's documented worst case,
 * 1.25 * samples + 7200 bytes, plus room for the placeholder frame) and the
 * template; LAME allocates its own state with malloc inside lame_init and
 * its input buffer on the first encode call.
 */
#include <lame/lame.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "codec/codec.h"
#include "core/alloc.h"

#include <segue/encoder.h>

/* The delay of an MP3 decoder's synthesis filterbank, which gapless
 * decoders add to the LAME tag's encoder delay (see the file comment). */
#define MP3_DECODER_DELAY 529

/* The largest MPEG audio frame LAME writes (lame VbrTag.c MAXFRAMESIZE:
 * 640 kbit/s free format at 32 kHz). */
#define LAME_MAX_FRAME 2880

typedef struct lame_state {
    lame_global_flags *gf;
    uint32_t channels;
    size_t max_frames;        /* frames per encode call */
    uint8_t *out;
    size_t out_cap;
    uint8_t *tag;             /* template for the muxer (extradata) */
    size_t tag_size;
    int flush_stage;          /* 0 encoding, 1 audio flushed, 2 tag sent */
    int own_tag;              /* LAME writes no tag for these settings: the
                                 placeholder is ours, the muxer fills it */
    int placeholder_pending;  /* own_tag: placeholder not emitted yet */
} lame_state;

/* The rates LAME encodes without resampling: MPEG-2.5 (8, 11.025, 12 kHz),
 * MPEG-2 (16, 22.05, 24 kHz), MPEG-1 (32, 44.1, 48 kHz). */
static const uint32_t lame_rates[] = {8000, 11025, 12000, 16000, 22050, 24000,
                                      32000, 44100, 48000, 0};

/* Layer III bitrates in kbit/s, ISO/IEC 11172-3 2.4.2.3 (MPEG-1) and
 * 13818-3 2.4.2.3 (MPEG-2, also used by MPEG-2.5). */
static const unsigned mpeg1_kbps[] = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
static const unsigned mpeg2_kbps[] = {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};

typedef struct lame_settings {
    int channels;
    int rate;
    vbr_mode vbr;
    int kbps;          /* CBR bitrate or ABR mean */
    float quality;     /* VBR */
    MPEG_mode mode;
} lame_settings;

/* LAME reports through printf-style callbacks; a library prints nothing. */
static void quiet(const char *format, va_list ap)
{
    (void)format;
    (void)ap;
}

static segue_status resolve_settings(const segue_codec_params *p, lame_settings *s,
                                     segue_error *err)
{
    const segue_encoder_config *cfg = p->encoder_config;
    memset(s, 0, sizeof *s);
    if (p->channels < 1 || p->channels > 2)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "lame: %u channels; MP3 carries 1 or 2 (downmix first)", p->channels);
    int rate_ok = 0;
    for (size_t i = 0; lame_rates[i]; i++)
        rate_ok |= lame_rates[i] == p->sample_rate;
    if (!rate_ok)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "lame: %u Hz is not an MPEG rate (8000, 11025, 12000, 16000, 22050, "
                               "24000, 32000, 44100, 48000); resample first", p->sample_rate);
    s->channels = (int)p->channels;
    s->rate = (int)p->sample_rate;

    segue_rate_control rc = cfg ? cfg->rate_control : SEGUE_RC_DEFAULT;
    uint32_t bitrate = cfg ? cfg->bitrate : 0;
    float quality = cfg ? cfg->quality : NAN;
    if (rc == SEGUE_RC_DEFAULT)
        rc = !isnan(quality) ? SEGUE_RC_VBR : bitrate ? SEGUE_RC_CBR : SEGUE_RC_VBR;
    switch (rc) {
    case SEGUE_RC_CBR: {
        if (!bitrate)
            bitrate = 128000;
        int mpeg1 = p->sample_rate >= 32000;
        const unsigned *table = mpeg1 ? mpeg1_kbps : mpeg2_kbps;
        int ok = 0;
        for (size_t i = 0; i < 14; i++)
            ok |= table[i] * 1000u == bitrate;
        if (!ok)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "lame: CBR %u bit/s is not an MPEG-%s Layer III bitrate at %u Hz "
                                   "(%s kbit/s)",
                                   bitrate, mpeg1 ? "1" : "2", p->sample_rate,
                                   mpeg1 ? "32 40 48 56 64 80 96 112 128 160 192 224 256 320"
                                         : "8 16 24 32 40 48 56 64 80 96 112 128 144 160");
        s->vbr = vbr_off;
        s->kbps = (int)(bitrate / 1000u);
        break;
    }
    case SEGUE_RC_ABR:
        if (!bitrate)
            bitrate = 128000;
        if (bitrate < 8000 || bitrate > 320000)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "lame: ABR bitrate %u bit/s outside 8000..320000", bitrate);
        s->vbr = vbr_abr;
        s->kbps = (int)((bitrate + 500u) / 1000u);
        break;
    case SEGUE_RC_VBR:
        if (isnan(quality))
            quality = 2.0f;
        if (!(quality >= 0.0f && quality <= 9.0f))
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "lame: VBR quality %g outside 0..9 (V0 best)", (double)quality);
        s->vbr = vbr_default;
        s->quality = quality;
        break;
    default:
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "lame: rate control %d unknown",
                               (int)rc);
    }

    segue_stereo_mode sm = cfg ? cfg->stereo_mode : SEGUE_STEREO_DEFAULT;
    switch (sm) {
    case SEGUE_STEREO_DEFAULT:
    case SEGUE_STEREO_JOINT: s->mode = p->channels == 1 ? MONO : JOINT_STEREO; break;
    case SEGUE_STEREO_PLAIN: s->mode = p->channels == 1 ? MONO : STEREO; break;
    case SEGUE_STEREO_MONO: s->mode = MONO; break;
    default:
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "lame: stereo mode %d unknown",
                               (int)sm);
    }
    return SEGUE_OK;
}

/* LAME is not thread-safe while it sets up an encoder: lame_init() fills
 * the process-wide log table (util.c init_log_table, guarded only by a
 * plain static flag) and every lame_init_params() fills the process-wide
 * quantiser tables pow43/adj43/pow20/ipow20 (quantize_pvt.c
 * iteration_init), all without locking. Encoders opened from several
 * threads at once (segue batch -j N) would race on those writes, so setup
 * is serialised here. An encoder already running while another is set up
 * reads tables that are being rewritten with the same values; each value
 * is a single aligned float store, so a reader sees the value either way.
 * Encoding itself (lame_encode_*) touches only per-encoder state. */
static pthread_mutex_t lame_setup_lock = PTHREAD_MUTEX_INITIALIZER;

static segue_status open_lame_locked(const lame_settings *s, lame_global_flags **out,
                                     segue_error *err);

/* Creates and initialises a LAME encoder for `s`. */
static segue_status open_lame(const lame_settings *s, lame_global_flags **out, segue_error *err)
{
    pthread_mutex_lock(&lame_setup_lock);
    segue_status st = open_lame_locked(s, out, err);
    pthread_mutex_unlock(&lame_setup_lock);
    return st;
}

static segue_status open_lame_locked(const lame_settings *s, lame_global_flags **out,
                                     segue_error *err)
{
    *out = NULL;
    lame_global_flags *g = lame_init();
    if (!g)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "lame: lame_init failed");
    int bad = 0;
    bad |= lame_set_errorf(g, quiet) | lame_set_debugf(g, quiet) | lame_set_msgf(g, quiet);
    bad |= lame_set_num_channels(g, s->channels);
    bad |= lame_set_in_samplerate(g, s->rate);
    bad |= lame_set_out_samplerate(g, s->rate); /* never resample */
    bad |= lame_set_mode(g, s->mode);
    bad |= lame_set_bWriteVbrTag(g, 1);
    bad |= lame_set_findReplayGain(g, 0);
    lame_set_write_id3tag_automatic(g, 0);
    bad |= lame_set_VBR(g, s->vbr);
    if (s->vbr == vbr_off)
        bad |= lame_set_brate(g, s->kbps);
    else if (s->vbr == vbr_abr)
        bad |= lame_set_VBR_mean_bitrate_kbps(g, s->kbps);
    else
        bad |= lame_set_VBR_quality(g, s->quality);
    if (bad) {
        lame_close(g);
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "lame: settings rejected");
    }
    int rc = lame_init_params(g);
    if (rc < 0) {
        lame_close(g);
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "lame: lame_init_params failed (%d) for %d Hz, %d channels", rc,
                               s->rate, s->channels);
    }
    if (lame_get_out_samplerate(g) != s->rate) {
        lame_close(g);
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: would resample %d Hz to %d Hz",
                               s->rate, lame_get_out_samplerate(g));
    }
    *out = g;
    return SEGUE_OK;
}

/* LAME's tag frame for settings `s`, from a throwaway encoder flushed with
 * no input (see the file comment); *size 0 if LAME writes none. */
static segue_status probe_tag(lame_state *st, const lame_settings *s, size_t *size,
                              segue_error *err)
{
    lame_global_flags *g;
    segue_status rc = open_lame(s, &g, err);
    if (rc < 0)
        return rc;
    int n = lame_encode_flush(g, st->out, (int)st->out_cap);
    size_t t = n >= 0 ? lame_get_lametag_frame(g, st->tag, LAME_MAX_FRAME) : 0;
    lame_close(g);
    if (n < 0)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: probe encode failed (%d)", n);
    *size = t <= LAME_MAX_FRAME ? t : 0;
    return SEGUE_OK;
}

/* Offset of the LAME extension in a tag frame LAME wrote: header, side
 * information (ISO/IEC 11172-3 2.4.1.7: 17/32 bytes MPEG-1 mono/stereo,
 * 9/17 MPEG-2), then "Xing"/"Info", flags, frames, bytes, 100-byte TOC and
 * quality ([INFO] "Mp3 Info Tag rev 1 specifications"). */
static size_t lame_ext_offset(const uint8_t *f)
{
    int mpeg1 = ((f[1] >> 3) & 3) == 3, mono = (f[3] >> 6) == 3;
    size_t side = mpeg1 ? (mono ? 17u : 32u) : (mono ? 9u : 17u);
    return 4 + side + 4 + 4 + 4 + 4 + 100 + 4;
}

/* The template for the muxer (see the file comment). */
static segue_status make_template(lame_state *st, const lame_settings *s, segue_error *err)
{
    segue_status rc = probe_tag(st, s, &st->tag_size, err);
    if (rc < 0 || st->tag_size || s->vbr != vbr_off)
        return rc;
    /* CBR too low for LAME's tag: borrow the frame of the lowest higher
     * bitrate where it fits. */
    const int mpeg1 = s->rate >= 32000, mono = s->mode == MONO;
    const unsigned *table = mpeg1 ? mpeg1_kbps : mpeg2_kbps;
    /* LAME's rule (VbrTag.c InitVbrTag): the frame must hold header, side
     * information and the 156 bytes of Xing + LAME tag. */
    const unsigned need = 4u + (mpeg1 ? (mono ? 17u : 32u) : (mono ? 9u : 17u)) + 156u;
    for (size_t i = 0; i < 14 && !st->tag_size; i++) {
        if ((int)table[i] <= s->kbps || (mpeg1 ? 144000u : 72000u) * table[i] / (unsigned)s->rate < need)
            continue;
        lame_settings donor = *s;
        donor.kbps = (int)table[i];
        if ((rc = probe_tag(st, &donor, &st->tag_size, err)) < 0)
            return rc;
    }
    if (!st->tag_size)
        return SEGUE_OK;
    size_t ext = lame_ext_offset(st->tag);
    if (ext + 36 > st->tag_size)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: unexpected tag frame layout");
    /* The fields LAME derives from the bitrate, set as LAME's PutLameVBR
     * (VbrTag.c) would for the real settings ([INFO] field names):
     * "Lowpass filter value" Hz / 100 rounded, at most 255; "Encoding flags
     * + ATH type": ATH type, the "nspsytune" bit, the "nssafejoint" bit
     * (joint stereo with the preset's safe-joint flag); "ABR/CBR bitrate"
     * kbit/s, 255 at most; "Preset" the CBR bitrate, the preset LAME applies
     * for CBR. The noise-shaping bits ("Misc") come from the donor: LAME's
     * CBR presets use the same scalefactor scale for every bitrate up to
     * 160 kbit/s, which covers every bitrate that needs a donor. */
    lame_global_flags *g;
    if ((rc = open_lame(s, &g, err)) < 0)
        return rc;
    double lowpass = lame_get_lowpassfreq(g) / 100.0 + 0.5;
    unsigned ath = (unsigned)lame_get_ATHtype(g) & 15u;
    int safe_joint = s->mode == JOINT_STEREO && (lame_get_exp_nspsytune(g) & 2);
    lame_close(g);
    uint8_t *e = st->tag + ext;
    e[10] = (uint8_t)(lowpass > 255.0 ? 255.0 : lowpass < 0.0 ? 0.0 : lowpass);
    e[19] = (uint8_t)((e[19] & 0xC0u) | ath | 0x10u | (safe_joint ? 0x20u : 0u));
    e[20] = (uint8_t)(s->kbps >= 255 ? 255 : s->kbps);
    e[26] = (uint8_t)((e[26] & 0xF8u) | ((unsigned)s->kbps >> 8));
    e[27] = (uint8_t)s->kbps;
    st->own_tag = 1;
    st->placeholder_pending = 1;
    return SEGUE_OK;
}

static segue_status lame_encoder_init(void *priv, segue_codec_params *p, const segue_allocator *a,
                                      segue_error *err)
{
    lame_state *st = priv;
    lame_settings s;
    segue_status rc = resolve_settings(p, &s, err);
    if (rc < 0)
        return rc;
    if (p->max_packet_frames == 0 || p->max_packet_frames > (1u << 20))
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: bad packet size %u",
                               p->max_packet_frames);
    st->channels = p->channels;
    st->max_frames = p->max_packet_frames;
    /* lame.h lame_encode_buffer(): "mp3buf_size in bytes = 1.25*num_samples
     * + 7200" is the worst case for num_samples per channel; the first call
     * also carries the placeholder tag frame. */
    st->out_cap = st->max_frames + st->max_frames / 4 + 7200 + LAME_MAX_FRAME;
    st->out = segue_mem_alloc(a, st->out_cap);
    st->tag = segue_mem_alloc(a, LAME_MAX_FRAME);
    if (!st->out || !st->tag)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "lame: cannot allocate %zu-byte buffers",
                               st->out_cap);
    if ((rc = make_template(st, &s, err)) < 0)
        return rc;
    if ((rc = open_lame(&s, &st->gf, err)) < 0)
        return rc;
    p->codec = "mp3";
    p->sample_format = SEGUE_SAMPLE_F32;
    p->bits_per_sample = 0;
    p->block_align = 0;
    p->encoder_delay = (uint32_t)lame_get_encoder_delay(st->gf) + MP3_DECODER_DELAY;
    p->extradata = st->tag_size ? st->tag : NULL;
    p->extradata_size = st->tag_size;
    return SEGUE_OK;
}

static segue_status lame_encode(void *priv, const float *pcm, size_t frames, segue_packet *out,
                                segue_error *err)
{
    lame_state *st = priv;
    memset(out, 0, sizeof *out);
    out->pts = -1;
    if (!st->gf)
        return segue_error_set(err, SEGUE_ERR_STATE, "lame: encoder not initialised");
    int n;
    if (frames || pcm) {
        if (st->flush_stage)
            return segue_error_set(err, SEGUE_ERR_STATE, "lame: encode after flush");
        if (frames > st->max_frames || !pcm)
            return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: %zu frames exceed packet size",
                                   frames);
        if (frames == 0)
            return SEGUE_OK;
    }
    /* Our own placeholder goes in front of LAME's first bytes (out_cap has
     * room for it: LAME writes no placeholder of its own then). */
    size_t pre = st->placeholder_pending ? st->tag_size : 0;
    uint8_t *dst = st->out + pre;
    int cap = (int)(st->out_cap - pre);
    if (frames) {
        /* Stereo is interleaved; LAME's interleaved entry point assumes two
         * channels, so mono goes through the planar one. Floats are full
         * scale at +-1.0. */
        if (st->channels == 2)
            n = lame_encode_buffer_interleaved_ieee_float(st->gf, pcm, (int)frames, dst, cap);
        else
            n = lame_encode_buffer_ieee_float(st->gf, pcm, NULL, (int)frames, dst, cap);
        if (n < 0)
            return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: lame_encode_buffer failed (%d)", n);
    } else if (st->flush_stage == 0) {
        n = lame_encode_flush(st->gf, dst, cap);
        if (n < 0)
            return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: lame_encode_flush failed (%d)", n);
        st->flush_stage = 1;
    } else {
        n = -1;
    }
    if (n >= 0) {
        if (pre) {
            /* A frame header (the template's) and zeros, as LAME's own
             * placeholder looks. */
            memset(st->out, 0, pre);
            memcpy(st->out, st->tag, 4);
            st->placeholder_pending = 0;
        }
        out->data = st->out;
        out->size = pre + (size_t)n;
        return SEGUE_OK;
    }
    switch (st->flush_stage) {
    case 1: {
        st->flush_stage = 2;
        if (st->own_tag)
            return SEGUE_OK; /* the muxer completes our tag */
        size_t t = lame_get_lametag_frame(st->gf, st->out, st->out_cap);
        if (t > st->out_cap)
            return segue_error_set(err, SEGUE_ERR_INTERNAL, "lame: tag frame of %zu bytes", t);
        if (t != st->tag_size)
            return segue_error_set(err, SEGUE_ERR_INTERNAL,
                                   "lame: tag frame is %zu bytes, the placeholder %zu", t, st->tag_size);
        if (t) {
            out->data = st->out;
            out->size = t;
            out->flags = SEGUE_PACKET_HEADER_UPDATE;
        }
        return SEGUE_OK;
    }
    default:
        return SEGUE_END_OF_STREAM;
    }
}

static void lame_fini(void *priv, const segue_allocator *a)
{
    lame_state *st = priv;
    if (st->gf)
        lame_close(st->gf);
    segue_mem_free(a, st->out);
    segue_mem_free(a, st->tag);
    memset(st, 0, sizeof *st);
}

const segue_codec_desc segue_codec_mp3lame = {
    .name = "mp3",
    .long_name = "MPEG-1/2/2.5 Layer III through libmp3lame",
    .caps = SEGUE_CODEC_ENCODE,
    .priv_size = sizeof(lame_state),
    .encoder_rates = lame_rates,
    .decoder_init = NULL,
    .decode = NULL,
    .encoder_init = lame_encoder_init,
    .encode = lame_encode,
    .reset = NULL,
    .fini = lame_fini,
};
