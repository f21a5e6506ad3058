/*
 * codec/atrac3/atrac3_decoder.c - the ATRAC3 decoder: descriptor "atrac3".
 *
 * Stream parameters: 1 or 2 channels, block_align = bytes of one frame for
 * all channels (LP2 384, LP4 192, 304, 272 ... any size up to 4096 that
 * splits evenly over the channels), extradata = the 14 bytes of the RIFF
 * WAVEFORMATEX extension of format tag 0x0270 (le16 1, le32 samples per
 * channel, le16 coding mode: non-zero = joint stereo, le16 copy of it,
 * le16 frame factor, le16 0). Without extradata the stream is taken as
 * independent channels. One packet = one frame of block_align bytes;
 * decode outputs 1024 interleaved float frames, 1.0 = full scale, the
 * encoder delay not removed (the container's job), in FFmpeg's polarity.
 *
 * Frame syntax (per sound unit, MSB first): id (6 bits 0x28; 2 bits 3 for
 * the second unit of a joint-stereo frame), coded QMF bands - 1 (2 bits),
 * gain control per coded band, tonal components, the spectrum in 32
 * quantisation units. Joint stereo: the second unit is stored byte-reversed
 * from the end of the frame, after optional 0xF8 fill bytes, and starts
 * with the weighting (1 + 3 bits) and the four band matrix selectors (2
 * bits each). Each of the four 256-sample QMF bands is an IMLT of 256
 * coefficients (odd bands mirrored), gain-compensated and overlapped, then
 * joint stereo is undone per band in the time domain, then three QMF
 * syntheses make 1024 samples. Where FFmpeg 5.1's decoder (the acceptance
 * reference) has a quirk, this decoder does the same, noted at the line.
 *
 * Draining (SEGUE_PACKET_DRAIN, codec/codec.h): the output lags the
 * input (the second IMLT halves wait in the overlap buffers, 46 samples
 * in each QMF history), so the last frame's tail is still inside when the
 * packets end; a drain request outputs it as the frame decoded from a
 * silent packet would (zero spectrum, no gain points). The core asks for
 * it when a RIFF fact length is not reached by the packets (atracdenc
 * writes no flushing frame).
 *
 * Damage: a frame with an impossible field (sound unit id, gain locations
 * not increasing, tonal coding mode 2, tonal quantiser < 2, more than 64
 * tonal components, bits past the end of its unit, a short packet) is
 * SEGUE_ERR_CORRUPT in strict mode; otherwise it decodes as 1024 frames of
 * silence and the decoder restarts as after a seek (concealment).
 *
 * Memory: sizeof(atrac3_state) = 22 064 bytes (x86_64 and mipsel; the same
 * struct serves mono), allocated zeroed by the caller; the budget is 24 KiB
 * for stereo and tests/atrac3/atrac3_unit.c checks it. Init allocates
 * nothing and nothing allocates after init. The constant tables
 * (atrac3_tables.c, about 9 KB) are read-only data. The IMLT, gain
 * compensation and QMF run through the segue_dsp table (simd/dsp.h), so
 * SEGUE_CPU / --cpu pick their scalar, SSE2, AVX2 or NEON versions.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/atrac3/atrac3_dsp.h"
#include "codec/atrac3/atrac3_tables.h"

enum {
    FRAME_SAMPLES = 1024,
    BAND_SAMPLES = 256,
    QMF_DELAY = 46,
    MAX_BLOCK_ALIGN = 4096,
    MAX_TONAL = 64,
    UNIT_ID = 0x28,
    JS_UNIT_ID = 3
};

typedef struct atrac3_channel {
    float overlap[4][BAND_SAMPLES];   /* second IMLT halves, per band */
    float qmf_delay[3][QMF_DELAY];    /* low pair, high pair, final stage */
    atrac3_gain_info gain[2][4];      /* [gain_switch]: this frame's, other: last */
    unsigned gain_switch;
} atrac3_channel;

typedef struct atrac3_state {
    atrac3_channel ch[2];
    /* Band samples of channel c at [c * 1024] (the spectrum is decoded in
     * place), after QMF the channel's PCM there, finally interleaved. */
    float pcm[2 * FRAME_SAMPLES];
    union {
        float qmf[2 * 512 + QMF_DELAY];        /* QMF work, widest stage */
        struct {
            float imlt[512];                   /* one band's IMLT output */
            float fft[2 * 128];                /* its FFT work */
        } imdct;
        float deinterleave[FRAME_SAMPLES];     /* channel 0 while interleaving */
    } work;
    uint32_t channels;
    uint32_t block_align;
    int joint_stereo;
    int strict;
    /* Joint stereo: matrix selectors per band take effect one frame after
     * they are read; weighting pairs (flag, index) of the last three frames. */
    uint8_t matrix_prev[4], matrix_now[4], matrix_next[4];
    uint8_t weighting[6];
    unsigned long long frame_no;
} atrac3_state;

/* FFmpeg's IMDCT scale (libavcodec atrac3.c initialises its MDCT with
 * 1/32768) in this file's IMDCT normalisation: float output with 1.0 =
 * full scale, FFmpeg's polarity. */
#define ATRAC3_IMDCT_SCALE (-1.0f / 32768.0f)

/* ---- bit reader: MSB first, optionally over the bytes in reverse ---- */

typedef struct bitreader {
    const uint8_t *data; /* first byte in reading order */
    size_t size;         /* bytes */
    size_t pos;          /* bits consumed */
    int reversed;        /* byte i is data[-i] */
    int overrun;         /* read past the end */
} bitreader;

static unsigned br_byte(const bitreader *br, size_t i)
{
    if (i >= br->size)
        return 0;
    return br->reversed ? *(br->data - i) : br->data[i];
}

/* The next 8 bits without consuming them (zeros past the end). */
static unsigned br_peek8(const bitreader *br)
{
    size_t byte = br->pos >> 3;
    unsigned shift = (unsigned)(br->pos & 7u);
    unsigned two = (br_byte(br, byte) << 8) | br_byte(br, byte + 1);
    return (two >> (8u - shift)) & 0xFFu;
}

static void br_skip(bitreader *br, unsigned n)
{
    br->pos += n;
    if (br->pos > br->size * 8u)
        br->overrun = 1;
}

/* n <= 16 bits, unsigned. */
static unsigned br_read(bitreader *br, unsigned n)
{
    unsigned v = 0;
    while (n) {
        unsigned take = n > 8 ? 8 : n;
        v = (v << take) | (br_peek8(br) >> (8u - take));
        br_skip(br, take);
        n -= take;
    }
    return v;
}

/* n bits, two's complement. */
static int br_read_signed(bitreader *br, unsigned n)
{
    unsigned v = br_read(br, n);
    unsigned sign = 1u << (n - 1);
    return (int)(v ^ sign) - (int)sign;
}

/* ---- syntax tables: pure data of the format (FFmpeg atrac3data.h lists
 * the same facts) ---- */

/* Quantisation unit boundaries in the 1024-line spectrum. */
static const uint16_t subband_start[33] = {
    0,   8,   16,  24,  32,  40,  48,  56,  64,  80,  96,  112, 128, 144, 160, 176, 192,
    224, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024};
/* Constant-length code bits per quantiser selector. */
static const uint8_t clc_bits[8] = {0, 4, 3, 3, 4, 4, 5, 6};
/* Selector 1 codes pairs: 2 bits per value in CLC mode ... */
static const int8_t clc_pair_value[4] = {0, 1, -2, -1};
/* ... and one of 9 pairs in VLC mode. */
static const int8_t vlc_pair_value[9][2] = {{0, 0},  {0, 1},  {0, -1}, {1, 0}, {-1, 0},
                                            {1, 1},  {1, -1}, {-1, 1}, {-1, -1}};
/* 1 / (largest mantissa + 0.5) per selector. */
static const float inv_max_quant[8] = {0.0f,        1.0f / 1.5f, 1.0f / 2.5f,  1.0f / 3.5f,
                                       1.0f / 4.5f, 1.0f / 7.5f, 1.0f / 15.5f, 1.0f / 31.5f};
/* Joint stereo matrix selector s: the pair (matrix_coeff[2s],
 * matrix_coeff[2s+1]) weights the two units during the 8-sample change. */
static const float matrix_coeff[8] = {0.0f, 2.0f, 2.0f, 2.0f, 0.0f, 0.0f, 1.0f, 1.0f};

/* Reads `count` mantissas coded with `selector` (1..7). */
static void read_mantissas(bitreader *br, unsigned selector, int clc, int *m, unsigned count)
{
    if (selector == 1) {
        for (unsigned i = 0; i < count / 2; i++) {
            if (clc) {
                unsigned code = br_read(br, 4);
                m[2 * i] = clc_pair_value[code >> 2];
                m[2 * i + 1] = clc_pair_value[code & 3u];
            } else {
                const atrac3_huff_entry *e = &atrac3_huff_lut[0][br_peek8(br)];
                br_skip(br, e->length);
                m[2 * i] = vlc_pair_value[e->value][0];
                m[2 * i + 1] = vlc_pair_value[e->value][1];
            }
        }
        return;
    }
    for (unsigned i = 0; i < count; i++) {
        if (clc) {
            m[i] = br_read_signed(br, clc_bits[selector]);
        } else {
            const atrac3_huff_entry *e = &atrac3_huff_lut[selector - 1][br_peek8(br)];
            br_skip(br, e->length);
            m[i] = e->value;
        }
    }
}

static segue_status corrupt(segue_error *err, const atrac3_state *s, const char *what)
{
    return segue_error_set(err, SEGUE_ERR_CORRUPT, "atrac3: %s in frame %llu", what,
                           s->frame_no);
}

/* Gain control of bands 0..coded_bands; the rest have no points. */
static segue_status read_gain(bitreader *br, atrac3_gain_info *g, unsigned coded_bands,
                              const atrac3_state *s, segue_error *err)
{
    for (unsigned b = 0; b < 4; b++) {
        g[b].num_points = 0;
        if (b > coded_bands)
            continue;
        unsigned n = br_read(br, 3);
        g[b].num_points = (uint8_t)n;
        for (unsigned j = 0; j < n; j++) {
            g[b].level[j] = (uint8_t)br_read(br, 4);
            g[b].location[j] = (uint8_t)br_read(br, 5);
            if (j && g[b].location[j] <= g[b].location[j - 1])
                return corrupt(err, s, "gain control locations not increasing");
        }
    }
    return SEGUE_OK;
}

/* Tonal components, added into `spec` (zeroed). Returns the end of the
 * last component (-1: none) in *last_end. */
static segue_status read_tonal(bitreader *br, float *spec, unsigned coded_bands, int *last_end,
                               const atrac3_state *s, segue_error *err)
{
    *last_end = -1;
    unsigned groups = br_read(br, 5);
    if (groups == 0)
        return SEGUE_OK;
    unsigned mode_selector = br_read(br, 2);
    if (mode_selector == 2)
        return corrupt(err, s, "tonal coding mode 2");
    int clc = (int)(mode_selector & 1u);
    unsigned count = 0;
    for (unsigned g = 0; g < groups; g++) {
        unsigned band_flags[4] = {0, 0, 0, 0};
        for (unsigned b = 0; b <= coded_bands; b++)
            band_flags[b] = br_read(br, 1);
        unsigned values = br_read(br, 3) + 1;
        unsigned selector = br_read(br, 3);
        if (selector <= 1)
            return corrupt(err, s, "tonal quantiser selector below 2");
        if (mode_selector == 3)
            clc = (int)br_read(br, 1);
        /* Components sit in 64-line cells, four per coded band. */
        for (unsigned cell = 0; cell < (coded_bands + 1) * 4; cell++) {
            if (!band_flags[cell >> 2])
                continue;
            unsigned in_cell = br_read(br, 3);
            for (unsigned c = 0; c < in_cell; c++) {
                unsigned sf = br_read(br, 6);
                if (count >= MAX_TONAL)
                    return corrupt(err, s, "more than 64 tonal components");
                unsigned pos = cell * 64 + br_read(br, 6);
                unsigned n = values < FRAME_SAMPLES - pos ? values : FRAME_SAMPLES - pos;
                int m[8];
                read_mantissas(br, selector, clc, m, n);
                float scale = atrac3_sf_table[sf] * inv_max_quant[selector];
                for (unsigned i = 0; i < n; i++)
                    spec[pos + i] += (float)m[i] * scale;
                if ((int)(pos + n) > *last_end)
                    *last_end = (int)(pos + n);
                count++;
            }
        }
        if (br->overrun)
            return corrupt(err, s, "tonal components past the end of the sound unit");
    }
    return SEGUE_OK;
}

/* The spectrum: added into `spec` (which holds the tonal components).
 * Returns the index of the last coded quantisation unit. */
static unsigned read_spectrum(bitreader *br, float *spec)
{
    unsigned last_unit = br_read(br, 5);
    int clc = (int)br_read(br, 1);
    unsigned selector[32], sf[32];
    for (unsigned i = 0; i <= last_unit; i++)
        selector[i] = br_read(br, 3);
    for (unsigned i = 0; i <= last_unit; i++)
        sf[i] = selector[i] ? br_read(br, 6) : 0;
    for (unsigned i = 0; i <= last_unit; i++) {
        if (!selector[i])
            continue;
        unsigned first = subband_start[i], width = subband_start[i + 1] - first;
        int m[128];
        read_mantissas(br, selector[i], clc, m, width);
        float scale = atrac3_sf_table[sf[i]] * inv_max_quant[selector[i]];
        for (unsigned k = 0; k < width; k++)
            spec[first + k] += (float)m[k] * scale;
    }
    return last_unit;
}

/* IMLT of bands 0..bands (the others are silent) of the spectrum in `out`,
 * gain compensation and overlap-add with the channel's state: `out` gets
 * the four 256-sample band signals. The next frame's gain points must be
 * in c->gain[c->gain_switch ^ 1]. */
static void synth_unit(atrac3_state *s, const segue_dsp *dsp, unsigned ch, int bands, float *out)
{
    atrac3_channel *c = &s->ch[ch];
    atrac3_gain_info *gain_next = c->gain[c->gain_switch ^ 1u];
    atrac3_gain_info *gain_now = c->gain[c->gain_switch];
    for (unsigned b = 0; b < 4; b++) {
        float *imlt = s->work.imdct.imlt;
        if ((int)b <= bands)
            dsp->atrac3_imlt(out + b * BAND_SAMPLES, (int)(b & 1u), ATRAC3_IMDCT_SCALE, imlt,
                             s->work.imdct.fft);
        else
            memset(imlt, 0, 512 * sizeof(float));
        /* The IMLT input (this band's coefficients) is consumed: the band's
         * time signal replaces it. */
        atrac3_gain_overlap(dsp, imlt, c->overlap[b], &gain_now[b], &gain_next[b],
                            out + b * BAND_SAMPLES);
    }
    c->gain_switch ^= 1u;
}

/* One sound unit: parses it and leaves the channel's four gain-compensated
 * band signals (256 samples each) in `out`. */
static segue_status decode_unit(atrac3_state *s, const segue_dsp *dsp, bitreader *br,
                                unsigned ch, int js_second, float *out, segue_error *err)
{
    atrac3_channel *c = &s->ch[ch];
    if (js_second) {
        if (br_read(br, 2) != JS_UNIT_ID)
            return corrupt(err, s, "joint stereo sound unit id is not 3");
    } else if (br_read(br, 6) != UNIT_ID) {
        return corrupt(err, s, "sound unit id is not 0x28");
    }
    unsigned coded_bands = br_read(br, 2);
    atrac3_gain_info *gain_next = c->gain[c->gain_switch ^ 1u];
    segue_status st = read_gain(br, gain_next, coded_bands, s, err);
    if (st < 0)
        return st;
    memset(out, 0, FRAME_SAMPLES * sizeof(float));
    int tonal_end;
    st = read_tonal(br, out, coded_bands, &tonal_end, s, err);
    if (st < 0)
        return st;
    unsigned last_unit = read_spectrum(br, out);
    if (br->overrun)
        return corrupt(err, s, "spectrum past the end of the sound unit");

    /* Bands to transform. FFmpeg 5.1 takes the start (not the end) of the
     * last coded unit, (start - 1) >> 8, widened to cover the tonal
     * components; bands above it are silent even if coefficients were
     * coded there. Kept for bit-compatible output. */
    int bands = ((int)subband_start[last_unit] - 1) >> 8;
    if (tonal_end >= 0 && ((tonal_end + 256) >> 8) > bands)
        bands = (tonal_end + 256) >> 8;
    synth_unit(s, dsp, ch, bands, out);
    return SEGUE_OK;
}

/* The sound unit of a silent frame, for draining: no gain points, a zero
 * spectrum (no band is transformed: the IMLT of zeros is zeros), so `out`
 * gets what the overlap and the last frame's gain still hold. */
static void drain_unit(atrac3_state *s, const segue_dsp *dsp, unsigned ch, float *out)
{
    atrac3_channel *c = &s->ch[ch];
    atrac3_gain_info *gain_next = c->gain[c->gain_switch ^ 1u];
    for (unsigned b = 0; b < 4; b++)
        gain_next[b].num_points = 0;
    memset(out, 0, FRAME_SAMPLES * sizeof(float));
    synth_unit(s, dsp, ch, -1, out);
}

/* Linear change over the first 8 samples of a band (joint stereo). */
static float ramp(float from, float to, unsigned i)
{
    return from + (float)i * 0.125f * (to - from);
}

/* Undoes the per-band stereo matrix (selector change ramps over 8
 * samples). Selector 0: su1 = 2 s, su2 = 2 (m - s); 1: su1 = 2 (m + s),
 * su2 = -2 s; 2, 3: sum and difference. */
static void unmatrix(float *su1, float *su2, const uint8_t *prev, const uint8_t *now)
{
    for (unsigned b = 0; b < 4; b++) {
        float *l = su1 + b * BAND_SAMPLES, *r = su2 + b * BAND_SAMPLES;
        unsigned i = 0;
        if (prev[b] != now[b]) {
            float a0 = matrix_coeff[prev[b] * 2], b0 = matrix_coeff[prev[b] * 2 + 1];
            float a1 = matrix_coeff[now[b] * 2], b1 = matrix_coeff[now[b] * 2 + 1];
            for (; i < 8; i++) {
                float x = l[i], y = r[i];
                float t = x * ramp(a0, a1, i) + y * ramp(b0, b1, i);
                l[i] = t;
                r[i] = x * 2.0f - t;
            }
        }
        switch (now[b]) {
        case 0:
            for (; i < BAND_SAMPLES; i++) {
                float x = l[i], y = r[i];
                l[i] = y * 2.0f;
                r[i] = (x - y) * 2.0f;
            }
            break;
        case 1:
            for (; i < BAND_SAMPLES; i++) {
                float x = l[i], y = r[i];
                l[i] = (x + y) * 2.0f;
                r[i] = y * -2.0f;
            }
            break;
        default:
            for (; i < BAND_SAMPLES; i++) {
                float x = l[i], y = r[i];
                l[i] = x + y;
                r[i] = x - y;
            }
            break;
        }
    }
}

/* Weight pair for index 0..7 (7 = both 1; else i/7 and sqrt(2 - (i/7)^2),
 * swapped when the flag is set). */
static void channel_weights(unsigned flag, unsigned index, float w[2])
{
    if (index == 7) {
        w[0] = w[1] = 1.0f;
        return;
    }
    float a = (float)index / 7.0f;
    float b = sqrtf(2.0f - a * a);
    w[0] = flag ? b : a;
    w[1] = flag ? a : b;
}

/* Channel weighting of bands 1..3, from the pairs read one and two frames
 * ago. FFmpeg 5.1 ramps channel 1 with the older pair and channel 2 with
 * the newer one over the first 8 samples, then applies the newer pair to
 * both; kept for bit-compatible output. */
static void weight_channels(float *su1, float *su2, const uint8_t *wd)
{
    if (wd[1] == 7 && wd[3] == 7)
        return;
    float w0[2], w1[2];
    channel_weights(wd[0], wd[1], w0);
    channel_weights(wd[2], wd[3], w1);
    for (unsigned b = 1; b < 4; b++) {
        float *l = su1 + b * BAND_SAMPLES, *r = su2 + b * BAND_SAMPLES;
        unsigned i = 0;
        for (; i < 8; i++) {
            l[i] *= ramp(w0[0], w0[1], i);
            r[i] *= ramp(w1[0], w1[1], i);
        }
        for (; i < BAND_SAMPLES; i++) {
            l[i] *= w1[0];
            r[i] *= w1[1];
        }
    }
}

static void reset_state(atrac3_state *s)
{
    memset(s->ch, 0, sizeof s->ch);
    for (unsigned b = 0; b < 4; b++)
        s->matrix_prev[b] = s->matrix_now[b] = s->matrix_next[b] = 3;
    static const uint8_t weighting_init[6] = {0, 7, 0, 7, 0, 7};
    memcpy(s->weighting, weighting_init, sizeof weighting_init);
}

static void qmf_channels(atrac3_state *s, const segue_dsp *dsp);

static segue_status decode_frame(atrac3_state *s, const uint8_t *data, segue_error *err)
{
    const segue_dsp *dsp = segue_dsp_get();
    segue_status st;
    if (s->joint_stereo) {
        bitreader br = {data, s->block_align, 0, 0, 0};
        st = decode_unit(s, dsp, &br, 0, 0, s->pcm, err);
        if (st < 0)
            return st;
        /* The second unit runs backwards from the last byte, after 0xF8
         * fill bytes (FFmpeg allows at most block_align - 4 of them). */
        size_t skip = 0;
        while (data[s->block_align - 1 - skip] == 0xF8) {
            if (skip + 4 >= s->block_align)
                return corrupt(err, s, "joint stereo frame is all fill bytes");
            skip++;
        }
        bitreader rb = {data + s->block_align - 1 - skip, s->block_align - skip, 0, 1, 0};
        memmove(s->weighting, s->weighting + 2, 4);
        s->weighting[4] = (uint8_t)br_read(&rb, 1);
        s->weighting[5] = (uint8_t)br_read(&rb, 3);
        for (unsigned b = 0; b < 4; b++) {
            s->matrix_prev[b] = s->matrix_now[b];
            s->matrix_now[b] = s->matrix_next[b];
            s->matrix_next[b] = (uint8_t)br_read(&rb, 2);
        }
        st = decode_unit(s, dsp, &rb, 1, 1, s->pcm + FRAME_SAMPLES, err);
        if (st < 0)
            return st;
        unmatrix(s->pcm, s->pcm + FRAME_SAMPLES, s->matrix_prev, s->matrix_now);
        weight_channels(s->pcm, s->pcm + FRAME_SAMPLES, s->weighting);
    } else {
        size_t unit_bytes = s->block_align / s->channels;
        for (unsigned ch = 0; ch < s->channels; ch++) {
            bitreader br = {data + ch * unit_bytes, unit_bytes, 0, 0, 0};
            st = decode_unit(s, dsp, &br, ch, 0, s->pcm + ch * FRAME_SAMPLES, err);
            if (st < 0)
                return st;
        }
    }
    qmf_channels(s, dsp);
    return SEGUE_OK;
}

/* The frame a silent packet would give: the samples still held in the
 * overlap halves and the QMF history come out, the state moves on as
 * after any frame. Joint stereo: the matrix selectors and the weighting
 * pair of the last frame are repeated (a silent frame has no reason to
 * change them), so the tail is unmatrixed as that frame said. */
static void drain_frame(atrac3_state *s)
{
    const segue_dsp *dsp = segue_dsp_get();
    for (unsigned ch = 0; ch < s->channels; ch++)
        drain_unit(s, dsp, ch, s->pcm + ch * FRAME_SAMPLES);
    if (s->joint_stereo) {
        memmove(s->weighting, s->weighting + 2, 4); /* [4], [5] repeat */
        for (unsigned b = 0; b < 4; b++) {
            s->matrix_prev[b] = s->matrix_now[b];
            s->matrix_now[b] = s->matrix_next[b]; /* next repeats */
        }
        unmatrix(s->pcm, s->pcm + FRAME_SAMPLES, s->matrix_prev, s->matrix_now);
        weight_channels(s->pcm, s->pcm + FRAME_SAMPLES, s->weighting);
    }
    qmf_channels(s, dsp);
}

/* The four bands of each channel (in s->pcm) to its 1024 PCM samples. */
static void qmf_channels(atrac3_state *s, const segue_dsp *dsp)
{
    for (unsigned ch = 0; ch < s->channels; ch++) {
        float *b0 = s->pcm + ch * FRAME_SAMPLES;
        float *b2 = b0 + 2 * BAND_SAMPLES, *b3 = b0 + 3 * BAND_SAMPLES;
        atrac3_channel *c = &s->ch[ch];
        /* Bands 0+1 and (mirrored) 3+2 to two half-rate signals, then
         * those to the full rate. */
        dsp->atrac3_qmf_synth(b0, b0 + BAND_SAMPLES, BAND_SAMPLES, b0, c->qmf_delay[0],
                              s->work.qmf);
        dsp->atrac3_qmf_synth(b3, b2, BAND_SAMPLES, b2, c->qmf_delay[1], s->work.qmf);
        dsp->atrac3_qmf_synth(b0, b2, 2 * BAND_SAMPLES, b0, c->qmf_delay[2], s->work.qmf);
    }
}

/* Planar [L][R] to interleaved, in place: each R[i] is read before the
 * writes of step i (positions 2i, 2i+1 >= 1024 only hold R[j], j <= i). */
static void interleave(atrac3_state *s)
{
    if (s->channels != 2)
        return;
    float *l = s->work.deinterleave;
    memcpy(l, s->pcm, FRAME_SAMPLES * sizeof(float));
    for (unsigned i = 0; i < FRAME_SAMPLES; i++) {
        float r = s->pcm[FRAME_SAMPLES + i];
        s->pcm[2 * i] = l[i];
        s->pcm[2 * i + 1] = r;
    }
}

static segue_status atrac3_init(void *priv, const segue_codec_params *p, const segue_allocator *a,
                                segue_error *err)
{
    atrac3_state *s = priv;
    (void)a;
    if (p->channels < 1 || p->channels > 2)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "atrac3: %u channels (this decoder takes 1 or 2)", p->channels);
    if (p->block_align == 0 || p->block_align > MAX_BLOCK_ALIGN ||
        p->block_align % p->channels != 0 || p->block_align / p->channels < 8)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "atrac3: frame size %u bytes for %u channels", p->block_align,
                               p->channels);
    int joint = 0;
    if (p->extradata && p->extradata_size >= 14) {
        const uint8_t *e = p->extradata;
        /* le16 at byte 6: the coding mode, non-zero = joint stereo. */
        joint = (e[6] | e[7]) != 0;
    } else if (p->extradata && p->extradata_size != 0) {
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "atrac3: %zu bytes of extradata (expected the 14-byte RIFF "
                               "extension)", p->extradata_size);
    }
    if (joint && p->channels != 2)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "atrac3: joint stereo with %u channel(s)", p->channels);
    s->channels = p->channels;
    s->block_align = p->block_align;
    s->joint_stereo = joint;
    s->strict = p->strict;
    s->frame_no = 0;
    reset_state(s);
    return SEGUE_OK;
}

static segue_status atrac3_decode(void *priv, const segue_packet *pkt, const float **pcm,
                                  size_t *frames, segue_error *err)
{
    atrac3_state *s = priv;
    *pcm = s->pcm;
    *frames = 0;
    if (pkt && (pkt->flags & SEGUE_PACKET_DRAIN)) {
        /* End of stream: the tail the last frames left in the overlap and
         * QMF state (codec.h, SEGUE_PACKET_DRAIN). */
        drain_frame(s);
        interleave(s);
        *frames = pkt->frames && pkt->frames < FRAME_SAMPLES ? pkt->frames : FRAME_SAMPLES;
        return SEGUE_OK;
    }
    if (!pkt || pkt->size == 0)
        return SEGUE_OK;
    s->frame_no++;
    segue_status st;
    if (!pkt->data || pkt->size < s->block_align) {
        if (s->strict)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "atrac3: packet of %zu bytes, frames are %u bytes (frame %llu)",
                                   pkt->size, s->block_align, s->frame_no);
        st = SEGUE_ERR_CORRUPT;
    } else {
        /* Details are recorded only when they are returned (strict). */
        st = decode_frame(s, pkt->data, s->strict ? err : NULL);
    }
    if (st < 0) {
        if (s->strict)
            return st;
        /* Concealment: silence, and start over as after a seek. */
        reset_state(s);
        memset(s->pcm, 0, sizeof s->pcm);
    } else {
        interleave(s);
    }
    size_t n = FRAME_SAMPLES;
    if (pkt->frames && pkt->frames < n)
        n = pkt->frames;
    *frames = n;
    return SEGUE_OK;
}

static void atrac3_reset(void *priv)
{
    reset_state(priv);
}

static void atrac3_fini(void *priv, const segue_allocator *a)
{
    (void)priv; /* init allocates nothing */
    (void)a;
}

const segue_codec_desc segue_codec_atrac3 = {
    .name = "atrac3",
    .long_name = "ATRAC3 (Sony Adaptive TRansform Acoustic Coding 3)",
    .caps = SEGUE_CODEC_DECODE,
    .priv_size = sizeof(atrac3_state),
    .decoder_init = atrac3_init,
    .decode = atrac3_decode,
    .reset = atrac3_reset,
    .fini = atrac3_fini,
};
