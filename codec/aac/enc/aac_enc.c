/*
 * codec/aac/enc/aac_enc.c - segue's AAC-LC encoder: the "aac" encoder
 * descriptor, framing, channel elements, rate control and the
 * raw_data_block() writer (ISO/IEC 14496-3 4.4.2, 4.5.2).
 *
 * Settings (segue/encoder.h, segue_encoder_config):
 *   rate_control CBR: `bitrate` is the exact mean rate; every frame keeps
 *     the bit reservoir within the decoder buffer (see "Bit reservoir").
 *   rate_control ABR: `bitrate` is the mean over the stream; frames take
 *     what their perceptual entropy asks for, a virtual reservoir of about
 *     two seconds pulls the mean back to the target.
 *   rate_control VBR: `quality` 1..10 (fractions allowed; default 5):
 *     constant noise-to-mask ratio, the rate following the music. The
 *     nominal rates per channel (what music averages at each level, the
 *     figure the muxer writes as average bitrate) are 24, 32, 40, 48, 56,
 *     64, 80, 96, 112, 128 kbit/s for 1..10; a slow correction keeps a long
 *     programme's mean near it.
 *   rate_control DEFAULT: VBR when `quality` is set (not NaN), else ABR at
 *     `bitrate`. ABR is the recommendation: at the same size it sounds
 *     better than CBR (hard passages borrow from easy ones), and M4A
 *     players need no constant rate.
 *   `bitrate`: 0 means 64 kbit/s per channel (128 kbit/s stereo), or the
 *     most the rate allows when that is less (6 x sample_rate); else
 *     8000 to 6 x sample_rate bits per second per channel (the most a
 *     channel's 6144-bit decoder buffer passes per 1024-sample frame,
 *     14496-3 4.5.3.2), counting the LFE channel of 5.1 as a quarter.
 *   Channels 1 to 6: channel configurations 1 to 6 (14496-3 Table 1.19);
 *     the input is in WAV order (L R C LFE Ls Rs for 5.1) and is coded as
 *     the configuration's elements: SCE(C), CPE(L, R), CPE(Ls, Rs), LFE.
 *   Sample rates: the 12 AAC rates 8000..96000.
 *
 * Framing. params->encoder_delay is D = 1024 + A: frame f codes the input
 * delayed by D samples (the first frame's left half is silence), and
 * flushing emits frames until every input sample is complete:
 * ceil((D + n) / 1024) frames for n input samples. pts counts from 0 at
 * the first frame. A is 0 unless the container records the delay and the
 * length exactly (params->delay_recorded: M4A) and the input length n is
 * known at init (the config's total_frames or length_hint); then
 * A = (1024 - n mod 1024) mod 1024, so that D + n is a whole number of
 * frames and the stream has no end padding. A reader that applies the
 * edit list's start but not its end (ffmpeg up to at least 5.1 emits the
 * last frame whole) then still outputs exactly n samples. Priming other
 * than 1024 is what iTunes files carry too (Apple's encoders prime 2112
 * samples); ADTS keeps 1024, the only delay a reader of a raw stream can
 * assume.
 *
 * Bit reservoir (14496-3 4.5.3.2 and the ADTS buffer_fullness of 1.A.2.2):
 * the decoder holds 6144 bits per channel; a frame's bits are at most the
 * mean per frame plus the bits earlier frames left unused, and the unused
 * bits never exceed 6144 N - mean (N channels, the LFE not counted), else
 * the frame is padded
 * with a fill element. In CBR the reservoir starts empty, so a decoder
 * that starts after buffering the mean of one frame never underruns.
 */
#include <math.h>
#include <string.h>

#include "codec/aac/aac_tables.h"
#include "codec/aac/enc/aac_enc.h"
#include "codec/aac/enc/aac_enc_entropy.h"
#include "codec/codec.h"
#include "core/alloc.h"

#include <segue/encoder.h>

enum { ID_SCE = 0, ID_CPE = 1, ID_LFE = 3, ID_FIL = 6, ID_END = 7 };

/* Input buffer per channel: p[1024 f .. 1024 f + 3072) (the frame's span and
 * the next frame's transient blocks), plus room for one more input call. */
#define BUF_LEN 4096
#define NEED 3072

/* Intensity stereo: the lowest frequency it codes, and the smallest
 * normalised correlation |sum L R| / sqrt(E_L E_R) of a band it codes.
 * Measured with PEAQ (basic) on the development music at 96 kbit/s stereo,
 * with the rate-distortion scalefactors: music mean -0.521 without
 * intensity stereo; from 6 kHz -0.485 at a correlation of at least 0.5,
 * -0.451 at 0.3, -0.428 at any (-0.490 at 0.5 once bands of equal level
 * whose side signal is masked stay M/S, see ms_decide). PEAQ does not
 * model the stereo image, which intensity stereo narrows: the
 * inter-channel coherence of orchestral_dense from 6 to 16 kHz (median
 * over 0.5 s blocks of 2048-point spectra) is 0.24 in the source, 0.42
 * decoded without intensity stereo, 0.48 with it at 0.5, 0.57 at 0.3 and
 * 0.65 at any correlation. 0.5 keeps the image near what the coder without
 * it gives. FFmpeg's encoder codes intensity stereo from about 6 kHz too,
 * by default. */
#define IS_START_HZ 6000u
#define IS_MIN_CORR 0.5f

/* Input scale of the transform: the decoder's spectral values are in units
 * where 32768 is full scale (aac_sf_gain), and aacenc_mdct followed by the
 * decoder's filterbank reconstructs its input (simd/dsp.h). */
#ifndef AACENC_MDCT_SCALE
#define AACENC_MDCT_SCALE 32768.0f
#endif

/* The decoder buffer per channel (14496-3 4.5.3.2). */
#define BUF_BITS_PER_CH 6144

/* Channels the decoder buffer counts (NCC, 13818-7 8.2.2 / 14496-3
 * 4.5.3.2): every SCE and each channel of a CPE, but not the LFE; so 5.1
 * buffers 5 x 6144 bits. */
static unsigned buffer_channels(unsigned channels)
{
    return channels == 6 ? 5u : channels;
}

static const uint32_t aac_rates[] = {8000,  11025, 12000, 16000, 22050, 24000,
                                     32000, 44100, 48000, 64000, 88200, 96000, 0};
static const uint32_t sfi_rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};

typedef struct aacenc_elem {
    uint8_t id;   /* ID_SCE, ID_CPE, ID_LFE */
    uint8_t tag;  /* element_instance_tag */
    uint8_t ch[2];
} aacenc_elem;

typedef struct aacenc_state {
    const segue_dsp *dsp;
    unsigned channels, sample_rate, sfi, nelem;
    aacenc_elem elem[4];
    int rc;                  /* SEGUE_RC_CBR, ABR or VBR */
    double mean_bits;        /* per frame, all channels */
    double quality;
    uint8_t asc[2];
    float *buf;              /* channels x BUF_LEN */
    unsigned fill;           /* samples of p in buf (from 1024 f) */
    unsigned delay;          /* encoder delay D, 1024..2047 (see Framing) */
    uint64_t total_in;
    uint64_t frames_out;
    int flushing;
    int started;             /* the first frame's transients were examined */
    /* Per channel, carried across frames. */
    aacenc_transient tr[AACENC_MAX_CHANNELS];
    aacenc_psy_state psy[AACENC_MAX_CHANNELS];
    int attack_next[AACENC_MAX_CHANNELS];
    float blk_next[AACENC_MAX_CHANNELS][8];
    int attack_cur[AACENC_MAX_CHANNELS];
    float blk_cur[AACENC_MAX_CHANNELS][8];
    uint8_t prev_seq[AACENC_MAX_CHANNELS];
    uint8_t prev_shape[AACENC_MAX_CHANNELS];
    uint8_t ms[AACENC_MAX_CHANNELS][AACENC_MAX_BANDS]; /* per CPE (index: first channel) */
    aacenc_chan *ch;         /* channels */
    aacenc_psy_tables psyt;
    aacenc_psy_state psy_kbd[2];     /* scratch: the model run on the KBD shape */
    aacenc_psy_out psy_out_kbd[2];
    aacenc_quant_tables qt;
    unsigned nbands_long, nbands_short, nbands_lfe;
    unsigned pns_start;      /* first long band coded as noise when noise-like; 0: no PNS */
    unsigned is_start[2];    /* first band (long, short) of intensity stereo; >= num_swb: none */
    float work[4096];
    /* Rate control. */
    double level;            /* reservoir: bits saved by earlier frames */
    double max_level;        /* CBR: 6144 N - mean; ABR/VBR: virtual bound */
    double pe_avg;
    int offset;              /* last frame's scalefactor offset */
    uint64_t bits_total;
    uint8_t *out;
    size_t out_cap;
} aacenc_state;

/* Audio bandwidth for a rate per channel (bits/s): below it the quantiser
 * spends the bits; above it the lines are not coded. Chosen so the noise of
 * the coded band stays near masked at each rate (a wider band at a low rate
 * buys treble with audible noise everywhere). */
static unsigned bandwidth_for(double bps_per_ch, unsigned rate)
{
    static const double pts[][2] = {{8000, 4000},   {16000, 7000},  {24000, 10000},
                                    {32000, 12000}, {48000, 16500}, {64000, 17000},
                                    {80000, 18500}, {96000, 20000}};
    double bw = 20000;
    unsigned n = sizeof pts / sizeof pts[0];
    if (bps_per_ch <= pts[0][0]) {
        bw = pts[0][1];
    } else if (bps_per_ch < pts[n - 1][0]) {
        for (unsigned i = 1; i < n; i++)
            if (bps_per_ch < pts[i][0]) {
                double t = (bps_per_ch - pts[i - 1][0]) / (pts[i][0] - pts[i - 1][0]);
                bw = pts[i - 1][1] + t * (pts[i][1] - pts[i - 1][1]);
                break;
            }
    }
    if (bw > rate * 0.5)
        bw = rate * 0.5;
    return (unsigned)bw;
}

/* Bands per window whose start lies below `hz`. */
static unsigned bands_below(const uint16_t *swb, unsigned nb, unsigned lines, unsigned rate,
                            unsigned hz)
{
    unsigned n = 0;
    while (n < nb && (double)swb[n] * rate / (2.0 * lines) < hz)
        n++;
    return n;
}

static const double vbr_kbps[10] = {24, 32, 40, 48, 56, 64, 80, 96, 112, 128};

/* The scalefactor offset (rate control's noise-to-mask ratio, in 1.5 dB
 * steps of the scalefactor) at which the music of the development corpus
 * averages each level's nominal rate with its bandwidth (measured with
 * CBR at those rates: the mean offset the rate search settles on). */
static const double vbr_offsets[10] = {0.7, -0.7, -1.7, -2.75, -3.8, -4.4, -5.95, -8.0, -10.6, -13.15};

static double vbr_offset(double q)
{
    if (q <= 1.0)
        return vbr_offsets[0];
    if (q >= 10.0)
        return vbr_offsets[9];
    int i = (int)q;
    double t = q - i;
    return vbr_offsets[i - 1] + t * (vbr_offsets[i] - vbr_offsets[i - 1]);
}

static double vbr_nominal_per_ch(double q)
{
    if (q <= 1.0)
        return vbr_kbps[0] * 1000.0;
    if (q >= 10.0)
        return vbr_kbps[9] * 1000.0;
    int i = (int)q;
    double t = q - i;
    return 1000.0 * (vbr_kbps[i - 1] + t * (vbr_kbps[i] - vbr_kbps[i - 1]));
}

static void aacenc_fini(void *priv, const segue_allocator *a)
{
    aacenc_state *s = priv;
    segue_mem_free(a, s->buf);
    segue_mem_free(a, s->ch);
    segue_mem_free(a, s->out);
    s->buf = NULL;
    s->ch = NULL;
    s->out = NULL;
}

static void reset_stream(aacenc_state *s)
{
    s->fill = s->delay; /* the priming: D samples of silence */
    memset(s->buf, 0, (size_t)s->channels * BUF_LEN * sizeof(float));
    s->total_in = 0;
    s->frames_out = 0;
    s->flushing = 0;
    s->started = 0;
    memset(s->tr, 0, sizeof s->tr);
    memset(s->psy, 0, sizeof s->psy);
    memset(s->prev_seq, 0, sizeof s->prev_seq);
    memset(s->prev_shape, 0, sizeof s->prev_shape);
    s->level = 0.0;
    s->pe_avg = 0.0;
    s->offset = 0;
    s->bits_total = 0;
}

static void aacenc_reset(void *priv)
{
    aacenc_state *s = priv;
    if (s->buf)
        reset_stream(s);
}

static segue_status aacenc_init(void *priv, segue_codec_params *p, const segue_allocator *a,
                                segue_error *err)
{
    aacenc_state *s = priv;
    const segue_encoder_config *cfg = p->encoder_config;
    unsigned sfi = 13;
    for (unsigned i = 0; i < 13; i++)
        if (sfi_rates[i] == p->sample_rate && p->sample_rate != 7350)
            sfi = i;
    if (sfi == 13)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "aac: sample rate %u Hz is not an AAC rate (8000..96000)",
                               p->sample_rate);
    if (p->channels < 1 || p->channels > 6)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "aac: %u channels (the encoder codes 1 to 6, 5.1 at most)",
                               p->channels);
    s->dsp = segue_dsp_get();
    s->channels = p->channels;
    s->sample_rate = p->sample_rate;
    s->sfi = sfi;

    /* Rate control settings. */
    int rc = cfg ? (int)cfg->rate_control : SEGUE_RC_DEFAULT;
    double quality = cfg ? cfg->quality : NAN;
    uint32_t bitrate = cfg ? cfg->bitrate : 0;
    if (rc == SEGUE_RC_DEFAULT)
        rc = !isnan(quality) ? SEGUE_RC_VBR : SEGUE_RC_ABR;
    if (rc != SEGUE_RC_CBR && rc != SEGUE_RC_ABR && rc != SEGUE_RC_VBR)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "aac: unknown rate control %d", rc);
    /* Coded channels: the LFE (5.1) counts as a quarter. */
    double eff_ch = p->channels == 6 ? 5.25 : (double)p->channels;
    double max_per_ch = 6.0 * p->sample_rate;
    if (rc == SEGUE_RC_VBR) {
        if (isnan(quality))
            quality = 5.0;
        if (!(quality >= 1.0 && quality <= 10.0))
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "aac: VBR quality %g outside 1..10", quality);
        double nom = vbr_nominal_per_ch(quality);
        if (nom > max_per_ch)
            nom = max_per_ch;
        bitrate = (uint32_t)(nom * eff_ch);
    } else {
        if (bitrate == 0)
            bitrate = (uint32_t)((max_per_ch < 64000.0 ? max_per_ch : 64000.0) * eff_ch);
        double per_ch = bitrate / eff_ch;
        if (per_ch < 8000.0 || per_ch > max_per_ch)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "aac: bitrate %u outside %.0f..%.0f for %u channels at %u Hz",
                                   bitrate, 8000.0 * eff_ch, max_per_ch * eff_ch, p->channels,
                                   p->sample_rate);
        /* The mean frame must fit the decoder buffer (6144 bits per
         * counted channel; 5.1's LFE has no share). */
        if (bitrate > max_per_ch * buffer_channels(p->channels))
            bitrate = (uint32_t)(max_per_ch * buffer_channels(p->channels));
    }
    s->rc = rc;
    s->quality = quality;
    s->mean_bits = (double)bitrate * AACENC_FRAME / p->sample_rate;

    /* Elements of channel configurations 1..6 from WAV order. */
    static const aacenc_elem maps[6][4] = {
        {{ID_SCE, 0, {0, 0}}},
        {{ID_CPE, 0, {0, 1}}},
        {{ID_SCE, 0, {2, 0}}, {ID_CPE, 0, {0, 1}}},
        {{ID_SCE, 0, {2, 0}}, {ID_CPE, 0, {0, 1}}, {ID_SCE, 1, {3, 0}}},
        {{ID_SCE, 0, {2, 0}}, {ID_CPE, 0, {0, 1}}, {ID_CPE, 1, {3, 4}}},
        {{ID_SCE, 0, {2, 0}}, {ID_CPE, 0, {0, 1}}, {ID_CPE, 1, {4, 5}}, {ID_LFE, 0, {3, 0}}}};
    static const unsigned nelems[6] = {1, 1, 2, 3, 3, 4};
    s->nelem = nelems[p->channels - 1];
    memcpy(s->elem, maps[p->channels - 1], sizeof s->elem);

    double per_ch = bitrate / eff_ch;
    unsigned bw = bandwidth_for(per_ch, p->sample_rate);
    s->nbands_long = bands_below(aac_swb_long[sfi], aac_num_swb_long[sfi], 1024, p->sample_rate, bw);
    s->nbands_short =
        bands_below(aac_swb_short[sfi], aac_num_swb_short[sfi], 128, p->sample_rate, bw);
    /* LFE: 14496-3 4.5.2.2 leaves its band to the encoder; 120 Hz is the
     * low-pass of the LFE channel in 5.1 production (ITU-R BS.775). */
    /* PNS from 5 kHz at 24 kbit/s a channel and less, rising with the
     * rate; none from 48 kbit/s a channel, where the wider dead zone of
     * noise-like bands (aac_enc_quant.c) codes noise better than
     * substitution does: at 96 kbit/s stereo, PNS from 9 kHz cost 0.02 ODG
     * on the mean of the development music, from 12 kHz it changed
     * nothing. */
    s->pns_start = 0;
    if (per_ch < 48000.0) {
        double hz = per_ch <= 24000.0 ? 5000.0 : 5000.0 + (per_ch - 24000.0) / 24000.0 * 4000.0;
        s->pns_start = bands_below(aac_swb_long[sfi], aac_num_swb_long[sfi], 1024, p->sample_rate,
                                   (unsigned)hz);
        if (s->pns_start == 0)
            s->pns_start = 1;
    }
    /* Intensity stereo from IS_START_HZ below 56 kbit/s a channel. */
    s->is_start[0] = s->is_start[1] = 255;
    if (per_ch < 56000.0) {
        s->is_start[0] = bands_below(aac_swb_long[sfi], aac_num_swb_long[sfi], 1024,
                                     p->sample_rate, IS_START_HZ);
        s->is_start[1] = bands_below(aac_swb_short[sfi], aac_num_swb_short[sfi], 128,
                                     p->sample_rate, IS_START_HZ);
    }
    s->nbands_lfe = bands_below(aac_swb_long[sfi], aac_num_swb_long[sfi], 1024, p->sample_rate, 160);

    aacenc_psy_init(&s->psyt, p->sample_rate, sfi);
    aacenc_quant_init(&s->qt, s->pns_start == 0);

    s->buf = segue_mem_calloc(a, (size_t)p->channels * BUF_LEN, sizeof(float));
    s->ch = segue_mem_calloc(a, p->channels, sizeof(aacenc_chan));
    s->out_cap = (size_t)p->channels * BUF_BITS_PER_CH / 8 + 64;
    s->out = segue_mem_alloc(a, s->out_cap);
    if (!s->buf || !s->ch || !s->out) {
        aacenc_fini(s, a);
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "aac: out of memory");
    }
    /* Frame-aligned priming (see Framing) when the container records it
     * and the length is known. */
    s->delay = AACENC_FRAME;
    if (p->delay_recorded && cfg) {
        int64_t n = cfg->total_frames >= 0 ? cfg->total_frames : cfg->length_hint;
        /* (A hint is only a header's claim: a wrong one costs at most the
         * alignment, the stream is still exact through the edit list.)
         * Not for inputs of half a frame or less: ffmpeg 5.1 outputs
         * nothing at all for an edit of at most 512 samples that starts
         * inside the stream's last packet, where with the plain delay it
         * outputs the whole packet. */
        if (n > AACENC_FRAME / 2)
            s->delay += (unsigned)((AACENC_FRAME - (uint64_t)n % AACENC_FRAME) % AACENC_FRAME);
    }
    reset_stream(s);
    double buf_bits = (double)BUF_BITS_PER_CH * buffer_channels(p->channels);
    if (rc == SEGUE_RC_CBR)
        s->max_level = buf_bits - s->mean_bits;
    else
        s->max_level = 86.0 * s->mean_bits; /* about 2 s at 44.1 kHz */

    /* AudioSpecificConfig (1.6.2.1): audioObjectType 2 (5 bits),
     * samplingFrequencyIndex (4), channelConfiguration (4), then
     * GASpecificConfig (4.4.1): frameLengthFlag 0, dependsOnCoreCoder 0,
     * extensionFlag 0. */
    s->asc[0] = (uint8_t)((2u << 3) | (sfi >> 1));
    s->asc[1] = (uint8_t)(((sfi & 1u) << 7) | (p->channels << 3));
    p->extradata = s->asc;
    p->extradata_size = 2;
    p->encoder_delay = s->delay;
    p->max_packet_frames = AACENC_FRAME;
    p->block_align = 0;
    p->bits_per_sample = 0;
    p->avg_bitrate = bitrate;
    p->max_bitrate = rc == SEGUE_RC_CBR
                         ? bitrate
                         : (uint32_t)((double)BUF_BITS_PER_CH * buffer_channels(p->channels) *
                                      p->sample_rate /
                                      AACENC_FRAME);
    return SEGUE_OK;
}

/* ---- analysis ---- */

static void decide_windows(aacenc_state *s, const aacenc_elem *e)
{
    unsigned n = e->id == ID_CPE ? 2 : 1, c0 = e->ch[0];
    uint8_t seq = AACENC_ONLY_LONG;
    if (e->id != ID_LFE) {
        int cur = -1, next = -1;
        float blk[8] = {0};
        for (unsigned k = 0; k < n; k++) {
            unsigned c = e->ch[k];
            int a = s->attack_cur[c];
            if (a >= 0 && (cur < 0 || a < cur))
                cur = a;
            if (s->attack_next[c] >= 0)
                next = 0;
            for (unsigned b = 0; b < 8; b++)
                blk[b] += s->blk_cur[c][b];
        }
        uint8_t prev = s->prev_seq[c0];
        int left_short = prev == AACENC_EIGHT_SHORT || prev == AACENC_LONG_START;
        int right_short = next >= 0;
        if (cur >= 0 || (left_short && right_short))
            seq = AACENC_EIGHT_SHORT;
        else if (left_short)
            seq = AACENC_LONG_STOP;
        else if (right_short)
            seq = AACENC_LONG_START;
        for (unsigned k = 0; k < n; k++) {
            aacenc_layout *l = &s->ch[e->ch[k]].layout;
            l->window_sequence = seq;
            l->window_shape = 0;
            if (seq == AACENC_EIGHT_SHORT)
                aacenc_group_windows(l, cur, blk);
            aacenc_layout_bands(l, s->sfi);
        }
        return;
    }
    aacenc_layout *l = &s->ch[c0].layout;
    l->window_sequence = seq;
    l->window_shape = 0;
    aacenc_layout_bands(l, s->sfi);
}

static float fast_log2f(float x)
{
    return log2f(x);
}

/* Perceptual noise substitution (14496-3 4.6.13) at low rates: a band of
 * a long frame whose lines are noise-like (tonality below PNS_TONALITY, see
 * aac_enc_psy.c) and lie above the rate's start frequency is sent as its
 * energy only; the decoder fills it with noise of that energy. Noise is
 * heard by its level and spectral envelope, not its waveform, and the
 * bits go to the bands where the waveform matters. Not in bands where
 * the two channels of a CPE are correlated (independent noise would widen
 * a centred source). */
#define PNS_TONALITY 0.12f

static void pns_decide(aacenc_state *s, const aacenc_elem *e)
{
    unsigned n = e->id == ID_CPE ? 2 : 1;
    for (unsigned k = 0; k < n; k++) {
        memset(s->ch[e->ch[k]].pns, 0, sizeof s->ch[0].pns);
        memset(s->ch[e->ch[k]].is_book, 0, sizeof s->ch[0].is_book);
    }
    aacenc_chan *a = &s->ch[e->ch[0]];
    if (!s->pns_start || e->id == ID_LFE || a->layout.window_sequence == AACENC_EIGHT_SHORT)
        return;
    const aacenc_layout *l = &a->layout;
    for (unsigned b = s->pns_start; b < a->nbands && b < l->num_swb; b++) {
        unsigned lo = l->band_off[b], hi = l->band_off[b + 1];
        int ok = 1;
        for (unsigned k = 0; k < n && ok; k++) {
            aacenc_chan *c = &s->ch[e->ch[k]];
            ok = c->psy.tonality[b] < PNS_TONALITY && c->psy.energy[b] > c->psy.thr[b];
        }
        if (ok && n == 2) {
            aacenc_chan *c = &s->ch[e->ch[1]];
            float x = 0.0f;
            for (unsigned i = lo; i < hi; i++)
                x += a->spec[i] * c->spec[i];
            float el = a->psy.energy[b], er = c->psy.energy[b];
            ok = x * x < 0.25f * el * er;
        }
        if (!ok)
            continue;
        for (unsigned k = 0; k < n; k++) {
            aacenc_chan *c = &s->ch[e->ch[k]];
            c->pns[b] = 1;
            /* energy per window 2^(nrg / 2) in the coder's units. */
            float en = c->psy.energy[b];
            c->nrg[b] = en > 0.0f ? (int)lrintf(2.0f * log2f(en)) : -100;
        }
    }
}

/* Intensity stereo (14496-3 4.6.8.2) for band gb of a CPE above the rate's
 * start frequency: the first channel carries the band of L + R (L - R when
 * the two are out of phase) scaled to L's energy, and the second only
 * is_position, R's level relative to L in 1.5 dB steps (the decoder's
 * R = 0.5^(is_position / 4) L). Above a few kHz the ear follows the
 * envelope and the level difference of each channel rather than the
 * waveform difference between them, and the bits of one channel's lines go
 * to the rest of the spectrum. The noise of the coded band appears in both
 * channels, scaled for R: its threshold is the smaller of L's and R's
 * scaled back. Returns 1 when the band is coded so. */
static int is_decide(aacenc_chan *L, aacenc_chan *R, unsigned gb, int *prev_is)
{
    const aacenc_layout *l = &L->layout;
    unsigned lo = l->band_off[gb], hi = l->band_off[gb + 1];
    float el = L->psy.energy[gb], er = R->psy.energy[gb];
    float tl = L->psy.thr[gb], tr = R->psy.thr[gb];
    if (!(el > 0.0f) || !(er > 0.0f))
        return 0;
    float x = 0.0f;
    for (unsigned i = lo; i < hi; i++)
        x += L->spec[i] * R->spec[i];
    /* Only where the channels share a source (|correlation| >= IS_MIN_CORR):
     * a band of two unrelated signals (reverberation, a wide ensemble)
     * would lose its width. */
    if (x * x < IS_MIN_CORR * IS_MIN_CORR * el * er)
        return 0;
    float sign = x < 0.0f ? -1.0f : 1.0f;
    float ec = 0.0f;
    for (unsigned i = lo; i < hi; i++) {
        float v = L->spec[i] + sign * R->spec[i];
        ec += v * v;
    }
    if (!(ec > 1e-9f * (el + er)))
        return 0;
    /* is_position is coded as a difference from the previous intensity
     * band's (from 0 for the first) within the scalefactor book's +-60
     * (4.6.2.3.3): a band whose position the chain cannot reach is not
     * coded so (clamping would change R's level by 1.5 dB a step). */
    float pos = 2.0f * log2f(el / er);
    if (!(pos > -100.0f && pos < 100.0f))
        return 0;
    int ipos = (int)lrintf(pos);
    if (ipos < *prev_is - 60 || ipos > *prev_is + 60)
        return 0;
    float g = sqrtf(el / ec);
    for (unsigned i = lo; i < hi; i++) {
        L->spec[i] = g * (L->spec[i] + sign * R->spec[i]);
        R->spec[i] = 0.0f;
    }
    float tr_l = tr * el / er;
    L->psy.thr[gb] = tl < tr_l ? tl : tr_l;
    R->psy.energy[gb] = 0.0f;
    R->is_book[gb] = sign > 0.0f ? AACENC_INTENSITY_HCB : AACENC_INTENSITY_HCB2;
    R->is_pos[gb] = ipos;
    *prev_is = ipos;
    return 1;
}

/* Per-band M/S decision of a CPE (14496-3 4.6.8.1): code M = (L + R) / 2
 * and S = (L - R) / 2 where that lowers the perceptual entropy. The
 * thresholds of M and S are half the smaller of L's and R's: the noise of M
 * and S adds in both L and R, and must stay below the lower mask. */
static void ms_decide(aacenc_state *s, aacenc_chan *L, aacenc_chan *R, uint8_t *ms)
{
    const aacenc_layout *l = &L->layout;
    unsigned nb = l->num_swb;
    unsigned is_start = s->is_start[l->window_sequence == AACENC_EIGHT_SHORT];
    int prev_is = 0; /* the is_position chain, in coding order like plan() */
    for (unsigned gb = 0; gb < (unsigned)l->num_groups * nb; gb++) {
        ms[gb] = 0;
        unsigned lo = l->band_off[gb], hi = l->band_off[gb + 1];
        float tl = L->psy.thr[gb], tr = R->psy.thr[gb];
        float el = L->psy.energy[gb], er = R->psy.energy[gb];
        if (!(tl > 0.0f) || !(tr > 0.0f) || (el <= tl && er <= tr) || L->pns[gb] || R->pns[gb])
            continue;
        float em = 0.0f, es = 0.0f;
        for (unsigned i = lo; i < hi; i++) {
            float m = 0.5f * (L->spec[i] + R->spec[i]), d = 0.5f * (L->spec[i] - R->spec[i]);
            em += m * m;
            es += d * d;
        }
        float tm = tl < tr ? tl : tr;
        /* Not where the channels are the same signal at the same level
         * (S under its threshold, levels within 1.5 dB): M/S codes that
         * band as cheaply and as well, and a frame of such bands keeps
         * ms_mask_present 2 (one flag for all bands, where intensity bands
         * force a flag per band). */
        int same = es <= tm && el < 1.4142136f * er && er < 1.4142136f * el;
        if (gb % nb >= is_start && !same && is_decide(L, R, gb, &prev_is))
            continue;
        float pe_lr = fast_log2f(1.0f + el / tl) + fast_log2f(1.0f + er / tr);
        float pe_ms = fast_log2f(1.0f + em / tm) + fast_log2f(1.0f + es / tm);
        if (pe_ms < pe_lr) {
            ms[gb] = 1;
            for (unsigned i = lo; i < hi; i++) {
                float a = L->spec[i], b = R->spec[i];
                L->spec[i] = 0.5f * (a + b);
                R->spec[i] = 0.5f * (a - b);
            }
            L->psy.energy[gb] = em;
            R->psy.energy[gb] = es;
            L->psy.thr[gb] = tm;
            R->psy.thr[gb] = tm;
        }
    }
    (void)s;
}

/* ---- bit counting and writing ---- */

static unsigned ics_info_bits(const aacenc_layout *l)
{
    return l->window_sequence == AACENC_EIGHT_SHORT ? 15u : 11u;
}

static unsigned ms_bits(const aacenc_chan *c, const uint8_t *ms, unsigned *mode)
{
    unsigned n = 0, used = 0, nb = c->layout.num_swb;
    for (unsigned g = 0; g < c->layout.num_groups; g++)
        for (unsigned b = 0; b < c->max_sfb; b++) {
            n++;
            used += ms[g * nb + b];
        }
    *mode = used == 0 ? 0 : used == n ? 2 : 1;
    return 2 + (*mode == 1 ? n : 0);
}

/* Bits of the frame's raw_data_block() before the fill element and
 * byte alignment, for the current decisions. */
static unsigned frame_bits(aacenc_state *s)
{
    unsigned bits = 3; /* ID_END */
    for (unsigned i = 0; i < s->nelem; i++) {
        const aacenc_elem *e = &s->elem[i];
        aacenc_chan *a = &s->ch[e->ch[0]];
        bits += 3 + 4;
        if (e->id == ID_CPE) {
            aacenc_chan *b = &s->ch[e->ch[1]];
            unsigned mode;
            bits += 1 + ics_info_bits(&a->layout) + ms_bits(a, s->ms[e->ch[0]], &mode);
            bits += 2 * (8 + 3) + a->spectral_bits + a->sf_bits + b->spectral_bits + b->sf_bits;
        } else {
            bits += 8 + ics_info_bits(&a->layout) + 3 + a->spectral_bits + a->sf_bits;
        }
    }
    return bits;
}

static void write_ics_info(aacenc_bitwriter *bw, const aacenc_chan *c)
{
    const aacenc_layout *l = &c->layout;
    aacenc_bw_put(bw, 0, 1); /* ics_reserved_bit */
    aacenc_bw_put(bw, l->window_sequence, 2);
    aacenc_bw_put(bw, l->window_shape, 1);
    if (l->window_sequence == AACENC_EIGHT_SHORT) {
        aacenc_bw_put(bw, c->max_sfb, 4);
        aacenc_bw_put(bw, l->grouping, 7);
    } else {
        aacenc_bw_put(bw, c->max_sfb, 6);
        aacenc_bw_put(bw, 0, 1); /* predictor_data_present */
    }
}

/* individual_channel_stream() (4.4.2.7) without TNS, pulse or gain
 * control. */
static void write_ics(aacenc_bitwriter *bw, const aacenc_chan *c, int common_window)
{
    const aacenc_layout *l = &c->layout;
    unsigned nb = l->num_swb;
    int is_short = l->window_sequence == AACENC_EIGHT_SHORT;
    aacenc_bw_put(bw, (uint32_t)c->global_gain, 8);
    if (!common_window)
        write_ics_info(bw, c);
    for (unsigned g = 0; g < l->num_groups; g++)
        if (c->max_sfb)
            aacenc_section_write(bw, c->book + g * nb, c->max_sfb, is_short);
    int prev = c->global_gain, prev_nrg = c->global_gain - 90, first_noise = 1, prev_is = 0;
    for (unsigned g = 0; g < l->num_groups; g++)
        for (unsigned b = 0; b < c->max_sfb; b++) {
            unsigned gb = g * nb + b;
            if (c->book[gb] == AACENC_ZERO_HCB)
                continue;
            if (c->book[gb] == AACENC_INTENSITY_HCB || c->book[gb] == AACENC_INTENSITY_HCB2) {
                aacenc_sf_write(bw, c->is_pos[gb] - prev_is);
                prev_is = c->is_pos[gb];
                continue;
            }
            if (c->book[gb] == AACENC_NOISE_HCB) {
                if (first_noise)
                    aacenc_bw_put(bw, (uint32_t)(c->nrg[gb] - prev_nrg + 256), 9);
                else
                    aacenc_sf_write(bw, c->nrg[gb] - prev_nrg);
                first_noise = 0;
                prev_nrg = c->nrg[gb];
                continue;
            }
            aacenc_sf_write(bw, c->sf[gb] - prev);
            prev = c->sf[gb];
        }
    aacenc_bw_put(bw, 0, 1); /* pulse_data_present */
    aacenc_bw_put(bw, 0, 1); /* tns_data_present */
    aacenc_bw_put(bw, 0, 1); /* gain_control_data_present */
    for (unsigned g = 0; g < l->num_groups; g++)
        for (unsigned b = 0; b < c->max_sfb; b++) {
            unsigned gb = g * nb + b, lo = l->band_off[gb];
            if (c->book[gb] != AACENC_ZERO_HCB)
                aacenc_spectral_write(bw, c->q + lo, l->band_off[gb + 1] - lo, c->book[gb]);
        }
}

/* fill_element() (4.4.2.1, 4.4.2.7 extension_payload EXT_FILL) of at least
 * `bits` bits; returns the bits written. */
static unsigned write_fill(aacenc_bitwriter *bw, unsigned bits)
{
    unsigned written = 0;
    while (written < bits) {
        unsigned need = bits - written;
        /* 7 header bits, then count bytes; count 15.. needs 8 more bits. */
        unsigned count = need <= 7 ? 0 : (need - 7 + 7) / 8;
        if (count >= 15)
            count = (need - 15 + 7) / 8;
        if (count > 269)
            count = 269;
        aacenc_bw_put(bw, ID_FIL, 3);
        if (count >= 15) {
            aacenc_bw_put(bw, 15, 4);
            aacenc_bw_put(bw, count - 14, 8);
            written += 15;
        } else {
            aacenc_bw_put(bw, count, 4);
            written += 7;
        }
        if (count) {
            aacenc_bw_put(bw, 0, 8); /* extension_type EXT_FILL, fill_nibble */
            for (unsigned i = 1; i < count; i++)
                aacenc_bw_put(bw, 0xA5, 8); /* fill_byte 10100101 */
            written += 8 * count;
        }
    }
    return written;
}

/* ---- rate control ---- */

static void share_max_sfb(aacenc_state *s)
{
    for (unsigned i = 0; i < s->nelem; i++) {
        const aacenc_elem *e = &s->elem[i];
        if (e->id != ID_CPE)
            continue;
        aacenc_chan *a = &s->ch[e->ch[0]], *b = &s->ch[e->ch[1]];
        unsigned m = a->max_sfb > b->max_sfb ? a->max_sfb : b->max_sfb;
        if (a->max_sfb != m)
            aacenc_quant_finish(a, m);
        if (b->max_sfb != m)
            aacenc_quant_finish(b, m);
    }
}

/* The smallest offset (finest quantisation) whose bits fit `budget`,
 * searched from the last frame's offset outward, then by bisection. Leaves
 * the channels quantised at the returned offset. */
/* Quantises at `off`, remembering it as the state the channels are in. */
static unsigned quant_at(aacenc_state *s, aacenc_chan *const *cs, unsigned n, int off, int *cur)
{
    *cur = off;
    return aacenc_quant_channels(s->dsp, &s->qt, cs, n, off);
}

static int search_offset(aacenc_state *s, aacenc_chan *const *cs, unsigned n, unsigned overhead,
                         double budget)
{
    /* Bits fall as the offset rises. ok: an offset that fits (255 always
     * does: every line quantises to zero); bad: one that does not (-101
     * stands for "finer than the search goes"). */
    int ok = 255, bad = -101, cur = 1000;
    int t = s->offset < -100 ? -100 : s->offset > 254 ? 254 : s->offset;
    int step = 4;
    if (quant_at(s, cs, n, t, &cur) + overhead <= budget) {
        ok = t;
        for (;;) { /* finer, by doubling steps */
            t = ok - step;
            if (t < -100)
                break;
            if (quant_at(s, cs, n, t, &cur) + overhead > budget) {
                bad = t;
                break;
            }
            ok = t;
            step *= 2;
        }
    } else {
        bad = t;
        for (;;) { /* coarser */
            t = bad + step;
            if (t >= 255)
                break;
            if (quant_at(s, cs, n, t, &cur) + overhead <= budget) {
                ok = t;
                break;
            }
            bad = t;
            step *= 2;
        }
    }
    while (ok - bad > 1 && bad >= -100) {
        int mid = bad + (ok - bad) / 2;
        if (quant_at(s, cs, n, mid, &cur) + overhead <= budget)
            ok = mid;
        else
            bad = mid;
    }
    if (cur != ok)
        quant_at(s, cs, n, ok, &cur);
    return ok;
}

static segue_status encode_frame(aacenc_state *s, segue_packet *out, segue_error *err)
{
    unsigned nch = s->channels;
    /* Transients: frame 0's blocks once, then one frame ahead. */
    for (unsigned c = 0; c < nch; c++) {
        float *x = s->buf + (size_t)c * BUF_LEN;
        if (!s->started)
            s->attack_next[c] = aacenc_detect_transient(&s->tr[c], x + 512, s->blk_next[c]);
        s->attack_cur[c] = s->attack_next[c];
        memcpy(s->blk_cur[c], s->blk_next[c], sizeof s->blk_cur[c]);
        s->attack_next[c] = aacenc_detect_transient(&s->tr[c], x + 1024 + 512, s->blk_next[c]);
    }
    s->started = 1;

    /* Windows, transform, model. */
    aacenc_chan *cs[AACENC_MAX_CHANNELS];
    double pe = 0.0;
    for (unsigned i = 0; i < s->nelem; i++)
        decide_windows(s, &s->elem[i]);
    for (unsigned i = 0; i < s->nelem; i++) {
        const aacenc_elem *e = &s->elem[i];
        unsigned n = e->id == ID_CPE ? 2 : 1;
        float pe_shape[2] = {0.0f, 0.0f};
        for (unsigned k = 0; k < n; k++) {
            unsigned c = e->ch[k];
            aacenc_chan *ch = &s->ch[c];
            unsigned nbands = e->id == ID_LFE ? s->nbands_lfe
                              : ch->layout.window_sequence == AACENC_EIGHT_SHORT
                                  ? s->nbands_short
                                  : s->nbands_long;
            ch->nbands = nbands;
            aacenc_psy_state st0 = s->psy[c];
            ch->layout.window_shape = 0;
            aacenc_filterbank(s->dsp, &ch->layout, s->prev_shape[c], s->buf + (size_t)c * BUF_LEN,
                              AACENC_MDCT_SCALE, ch->spec, s->work);
            aacenc_psy_analyse(&s->psyt, &s->psy[c], &ch->layout, ch->spec, nbands, &ch->psy);
            pe_shape[0] += ch->psy.pe;
            if (ch->layout.window_sequence != AACENC_EIGHT_SHORT && e->id != ID_LFE) {
                /* The KBD alternative: the transform of the same frame with
                 * a KBD falling half, into spec34 (free until
                 * aacenc_quant_prepare) and the model on it. */
                s->psy_kbd[k] = st0;
                ch->layout.window_shape = 1;
                aacenc_filterbank(s->dsp, &ch->layout, s->prev_shape[c],
                                  s->buf + (size_t)c * BUF_LEN, AACENC_MDCT_SCALE, ch->spec34,
                                  s->work);
                aacenc_psy_analyse(&s->psyt, &s->psy_kbd[k], &ch->layout, ch->spec34, nbands,
                                   &s->psy_out_kbd[k]);
                ch->layout.window_shape = 0;
                pe_shape[1] += s->psy_out_kbd[k].pe;
            } else {
                pe_shape[1] = 1e30f;
            }
        }
        /* Window shape (4.6.11.3.2): the one whose spectrum needs the fewer
         * bits by perceptual entropy. KBD's far side lobes are lower, which
         * pays on sparse, tonal spectra (the sine window's leakage is then
         * coded as if it were signal); the sine window's narrower main lobe
         * wins on dense ones. One shape per element (common_window). */
        if (pe_shape[1] < 0.97f * pe_shape[0]) {
            for (unsigned k = 0; k < n; k++) {
                unsigned c = e->ch[k];
                aacenc_chan *ch = &s->ch[c];
                ch->layout.window_shape = 1;
                memcpy(ch->spec, ch->spec34, sizeof ch->spec);
                ch->psy = s->psy_out_kbd[k];
                s->psy[c] = s->psy_kbd[k];
            }
        }
        pns_decide(s, e);
        if (e->id == ID_CPE)
            ms_decide(s, &s->ch[e->ch[0]], &s->ch[e->ch[1]], s->ms[e->ch[0]]);
        for (unsigned k = 0; k < n; k++) {
            aacenc_chan *ch = &s->ch[e->ch[k]];
            aacenc_quant_prepare(s->dsp, ch, ch->nbands);
            pe += ch->psy.pe;
        }
    }
    for (unsigned c = 0; c < nch; c++)
        cs[c] = &s->ch[c];

    /* Budget. */
    double mean = s->mean_bits, max_frame = (double)BUF_BITS_PER_CH * buffer_channels(nch);
    if (s->pe_avg <= 0.0)
        s->pe_avg = pe > 1.0 ? pe : 1.0;
    double budget;
    if (s->rc == SEGUE_RC_VBR) {
        budget = max_frame;
    } else {
        /* Share of the reservoir by perceptual entropy: a frame that needs
         * more than the average borrows, an easy one saves; and a pull
         * towards a half-full reservoir. */
        double ratio = pe / s->pe_avg;
        if (ratio > 3.0)
            ratio = 3.0;
        budget = mean * (0.6 + 0.4 * ratio) + 0.25 * (s->level - 0.5 * s->max_level);
        if (s->rc == SEGUE_RC_ABR)
            budget = mean * (0.5 + 0.5 * ratio) + s->level / 40.0;
        if (budget < 0.5 * mean)
            budget = 0.5 * mean;
    }
    double hard_max = mean + s->level;
    if (s->rc != SEGUE_RC_CBR || hard_max > max_frame)
        hard_max = max_frame;
    if (budget > hard_max)
        budget = hard_max;
    budget -= 8; /* byte alignment */

    unsigned overhead = 3;
    for (unsigned i = 0; i < s->nelem; i++) {
        const aacenc_elem *e = &s->elem[i];
        overhead += e->id == ID_CPE ? 7u + 1 + 2 + 2 * 11 : 7u + 11;
        overhead += ics_info_bits(&s->ch[e->ch[0]].layout);
    }
    int off;
    if (s->rc == SEGUE_RC_VBR) {
        /* Constant quality, and a proportional pull on the bits over or
         * under the nominal rate so far (the reservoir level): 0.15 of an
         * offset step per frame of deficit, so that a programme's mean
         * stays within a few percent of the nominal rate. */
        double drift = -s->level / mean * 0.15;
        drift = drift > 24.0 ? 24.0 : drift < -24.0 ? -24.0 : drift;
        off = (int)lrint(vbr_offset(s->quality) + drift);
        unsigned bits = aacenc_quant_channels(s->dsp, &s->qt, cs, nch, off) + overhead;
        if (bits > budget)
            off = search_offset(s, cs, nch, overhead, budget);
    } else {
        off = search_offset(s, cs, nch, overhead, budget);
    }
    s->offset = off;

    /* CPEs share max_sfb (one ics_info), which the search did not price,
     * nor the ms_used flags: if the frame ends up over the hard limit,
     * coarsen until it fits (the reservoir rule is absolute). */
    unsigned bits;
    for (;;) {
        share_max_sfb(s);
        bits = frame_bits(s);
        if ((double)bits + 7.0 <= hard_max || off >= 255)
            break;
        off++;
        aacenc_quant_channels(s->dsp, &s->qt, cs, nch, off);
    }
    s->offset = off;

    /* The reservoir may not overflow: pad (CBR). */
    unsigned fill = 0;
    if (s->rc == SEGUE_RC_CBR) {
        double min_bits = mean + s->level - s->max_level;
        if ((double)bits < min_bits) {
            fill = (unsigned)ceil(min_bits - bits);
            fill = fill < 7 ? 7 : fill;
        }
    }

    aacenc_bitwriter bw;
    aacenc_bw_init(&bw, s->out, s->out_cap);
    for (unsigned i = 0; i < s->nelem; i++) {
        const aacenc_elem *e = &s->elem[i];
        aacenc_chan *a = &s->ch[e->ch[0]];
        aacenc_bw_put(&bw, e->id, 3);
        aacenc_bw_put(&bw, e->tag, 4);
        if (e->id == ID_CPE) {
            aacenc_chan *b = &s->ch[e->ch[1]];
            const uint8_t *ms = s->ms[e->ch[0]];
            unsigned mode, nb = a->layout.num_swb;
            aacenc_bw_put(&bw, 1, 1); /* common_window */
            write_ics_info(&bw, a);
            ms_bits(a, ms, &mode);
            aacenc_bw_put(&bw, mode, 2);
            if (mode == 1)
                for (unsigned g = 0; g < a->layout.num_groups; g++)
                    for (unsigned sb = 0; sb < a->max_sfb; sb++)
                        aacenc_bw_put(&bw, ms[g * nb + sb], 1);
            write_ics(&bw, a, 1);
            write_ics(&bw, b, 1);
        } else {
            write_ics(&bw, a, 0);
        }
    }
    if (fill)
        write_fill(&bw, fill);
    aacenc_bw_put(&bw, ID_END, 3);
    size_t bytes = aacenc_bw_flush(&bw);
    if (bw.overflow)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "aac: frame %llu overflowed its buffer",
                               (unsigned long long)s->frames_out);

    double used = 8.0 * (double)bytes;
    s->level += mean - used;
    if (s->rc == SEGUE_RC_CBR) {
        if (s->level < 0.0) /* cannot happen: the budget is capped */
            s->level = 0.0;
    } else {
        if (s->level > s->max_level)
            s->level = s->max_level;
        if (s->level < -s->max_level)
            s->level = -s->max_level;
    }
    s->pe_avg = 0.95 * s->pe_avg + 0.05 * pe;
    s->bits_total += (uint64_t)used;

    for (unsigned c = 0; c < nch; c++) {
        s->prev_seq[c] = s->ch[c].layout.window_sequence;
        s->prev_shape[c] = s->ch[c].layout.window_shape;
        float *x = s->buf + (size_t)c * BUF_LEN;
        memmove(x, x + AACENC_FRAME, (BUF_LEN - AACENC_FRAME) * sizeof(float));
        memset(x + BUF_LEN - AACENC_FRAME, 0, AACENC_FRAME * sizeof(float));
    }
    s->fill -= AACENC_FRAME;
    out->data = s->out;
    out->size = bytes;
    out->pts = (int64_t)(s->frames_out * AACENC_FRAME);
    out->frames = AACENC_FRAME;
    out->flags = 0;
    s->frames_out++;
    return SEGUE_OK;
}

static segue_status aacenc_encode(void *priv, const float *pcm, size_t frames, segue_packet *out,
                                  segue_error *err)
{
    aacenc_state *s = priv;
    out->data = NULL;
    out->size = 0;
    out->pts = -1;
    out->frames = 0;
    out->flags = 0;
    if (pcm && frames) {
        if (s->flushing)
            return segue_error_set(err, SEGUE_ERR_STATE, "aac: input after the flush began");
        if (frames > AACENC_FRAME)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "aac: %zu frames in one call (at most 1024)", frames);
        unsigned nch = s->channels;
        for (unsigned c = 0; c < nch; c++) {
            float *x = s->buf + (size_t)c * BUF_LEN + s->fill;
            for (size_t i = 0; i < frames; i++) {
                float v = pcm[i * nch + c];
                /* NaN and infinities are not audio: silence them; clip far
                 * outside full scale (the quantiser's range is 8191^(4/3) =
                 * 165 000 steps of the finest scalefactor). */
                if (!(v > -8.0f))
                    v = v != v ? 0.0f : -8.0f;
                else if (!(v < 8.0f))
                    v = 8.0f;
                x[i] = v;
            }
        }
        s->fill += (unsigned)frames;
        s->total_in += frames;
        if (s->fill >= NEED)
            return encode_frame(s, out, err);
        return SEGUE_OK;
    }
    /* Flush: frames until delay + total_in samples are covered. */
    s->flushing = 1;
    uint64_t need_frames = (s->delay + s->total_in + AACENC_FRAME - 1) / AACENC_FRAME;
    if (s->frames_out >= need_frames)
        return SEGUE_END_OF_STREAM;
    /* The rest of the buffer is already zero (the tail of the input). */
    s->fill = NEED;
    return encode_frame(s, out, err);
}

const segue_codec_desc segue_codec_aacenc = {
    .name = "aac",
    .long_name = "AAC-LC (segue encoder)",
    .caps = SEGUE_CODEC_ENCODE,
    .priv_size = sizeof(aacenc_state),
    .encoder_rates = aac_rates,
    .encoder_init = aacenc_init,
    .encode = aacenc_encode,
    .reset = aacenc_reset,
    .fini = aacenc_fini,
};
