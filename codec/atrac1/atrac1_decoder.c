/*
 * codec/atrac1/atrac1_decoder.c - the own ATRAC1 (MiniDisc SP) decoder:
 * descriptor "atrac1".
 *
 * Packet: one frame, a 212-byte sound unit per channel, channel after
 * channel (block_align = 212 * channels); bytes past that are ignored.
 * Output: 512 interleaved float frames per packet, 1.0 = full scale, in
 * the polarity and scale of FFmpeg's decoder (its IMDCT scale is
 * -1/32768 on a spectrum in 16-bit units), so the decode matches FFmpeg's
 * to float rounding. No encoder delay is removed (the container knows it,
 * the codec does not).
 *
 * Sound unit syntax (per channel, MSB first):
 *   block size mode: 2 bits low, 2 bits mid, 2 bits high, 2 reserved
 *   3 bits: coded BFU count index; 2 + 3 bits: sizes of trailing fields
 *   4 bits word length index per coded BFU, then 6 bits scale factor index
 *   per coded BFU, then the mantissas: per BFU in band order, its lines as
 *   signed (index + 1)-bit integers (index 0: no bits, lines zero).
 * Dequantisation: line = mantissa * 2^((sf - 15) / 3) / (2^(wl-1) - 1).
 * Synthesis: per band, each block's spectrum (mid and high reversed, as
 * their QMF bands are mirrored) goes through a half IMDCT; consecutive
 * blocks overlap by 16 samples under a 32-point sine window; then the QMF
 * tree: low + mid -> 0-11 kHz, the high band delayed by 39 samples, then
 * (low+mid) + high -> 512 samples.
 *
 * Damage: a unit with an impossible block size mode (odd low/mid codes,
 * high code 1 or 2) or whose declared fields need more than its 1696 bits
 * is SEGUE_ERR_CORRUPT, and the state is left as it was (both channels are
 * parsed before anything is synthesised). A packet shorter than
 * 212 * channels bytes (a cut file) decodes as silence, apart from the
 * filterbank tails of the unit before, and returns SEGUE_OK; in strict
 * mode it is SEGUE_ERR_CORRUPT.
 *
 * Memory: sizeof(at1_state) (see README.md), allocated zeroed by the
 * caller; init fills its tables and allocates nothing; nothing allocates
 * after init.
 */
#include <math.h>
#include <string.h>

#include "codec/atrac1/atrac1_internal.h"
#include "codec/atrac1/atrac1_tables.h"

/* MSB-first reader over one sound unit; reads past the end give zeros,
 * though a unit that passes the bit budget check never gets there. */
typedef struct at1_bits {
    const uint8_t *data;
    size_t size_bits;
    size_t pos;
} at1_bits;

static unsigned at1_get(at1_bits *b, unsigned n)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned bit = 0;
        if (b->pos < b->size_bits)
            bit = ((unsigned)b->data[b->pos >> 3] >> (7u - (b->pos & 7u))) & 1u;
        b->pos++;
        v = (v << 1) | bit;
    }
    return v;
}

static int at1_get_signed(at1_bits *b, unsigned n)
{
    unsigned v = at1_get(b, n);
    /* two's complement of n bits */
    if (v & (1u << (n - 1)))
        return (int)v - (int)(1u << n);
    return (int)v;
}

static const char *const at1_band_name[AT1_BANDS] = {"low", "mid", "high"};
static const unsigned at1_band_start[AT1_BANDS] = {0, 128, 256};
static const unsigned at1_band_lines[AT1_BANDS] = {128, 128, 256};

/* Parses one channel's sound unit into `u` (spectrum dequantised). */
static segue_status at1_parse_unit(at1_state *s, const uint8_t *data, unsigned ch, at1_unit *u,
                                   segue_error *err)
{
    at1_bits b = {data, (size_t)AT1_UNIT_BYTES * 8u, 0};
    /* Block size mode: low and mid code 0 (4 short blocks) or 2 (long);
     * high codes 0 (8 short blocks) or 3 (long). */
    for (unsigned band = 0; band < 2; band++) {
        unsigned code = at1_get(&b, 2);
        if (code & 1u)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "atrac1: unit %llu channel %u: block size code %u is invalid for "
                                   "the %s band",
                                   (unsigned long long)s->units, ch, code, at1_band_name[band]);
        u->log2_blocks[band] = 2u - code;
    }
    unsigned code = at1_get(&b, 2);
    if (code != 0 && code != 3)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "atrac1: unit %llu channel %u: block size code %u is invalid for the "
                               "high band",
                               (unsigned long long)s->units, ch, code);
    u->log2_blocks[2] = 3u - code;
    (void)at1_get(&b, 2); /* reserved */

    unsigned nbfu = at1_bfu_count[at1_get(&b, 3)];
    /* The budget counts the two header bytes, their copies at the end of
     * the unit, the word length and scale factor fields, and the trailing
     * fields whose sizes the next 2 + 3 bits select. */
    unsigned bits_used = nbfu * 10u + 32u + at1_trailer_bits_a[at1_get(&b, 2)] +
                         2u * at1_trailer_bits_b[at1_get(&b, 3)];
    uint8_t word_len_index[AT1_MAX_BFU];
    uint8_t sf_index[AT1_MAX_BFU];
    for (unsigned i = 0; i < nbfu; i++)
        word_len_index[i] = (uint8_t)at1_get(&b, 4);
    for (unsigned i = 0; i < nbfu; i++)
        sf_index[i] = (uint8_t)at1_get(&b, 6);
    for (unsigned i = nbfu; i < AT1_MAX_BFU; i++)
        word_len_index[i] = sf_index[i] = 0;

    for (unsigned band = 0; band < AT1_BANDS; band++) {
        for (unsigned bfu = at1_band_first_bfu[band]; bfu < at1_band_first_bfu[band + 1]; bfu++) {
            unsigned lines = at1_bfu_lines[bfu];
            unsigned wl = word_len_index[bfu] ? word_len_index[bfu] + 1u : 0u;
            bits_used += wl * lines;
            if (bits_used > AT1_UNIT_BYTES * 8u)
                return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                       "atrac1: unit %llu channel %u: word lengths need %u bits by "
                                       "BFU %u, the unit has %u",
                                       (unsigned long long)s->units, ch, bits_used, bfu,
                                       AT1_UNIT_BYTES * 8u);
            unsigned pos = u->log2_blocks[band] ? at1_bfu_start_short[bfu] : at1_bfu_start_long[bfu];
            float *line = u->spec + pos;
            if (!wl) {
                memset(line, 0, lines * sizeof *line);
                continue;
            }
            /* A wl-bit mantissa spans +-(2^(wl-1) - 1) = +-scale factor. */
            float sf = s->scale_factor[sf_index[bfu]];
            float inv_max = (float)(1.0 / (double)((1u << (wl - 1u)) - 1u));
            for (unsigned i = 0; i < lines; i++)
                line[i] = (float)at1_get_signed(&b, wl) * sf * inv_max;
        }
    }
    return SEGUE_OK;
}

/* One QMF synthesis stage: `n` samples each of a low and a high band at
 * rate r into 2n samples at 2r (the 48-tap polyphase pair of atrac.c's
 * prototype; `delay` keeps the last 46 inputs). */
static void at1_iqmf(at1_state *s, const float *lo, const float *hi, unsigned n, float *out,
                     float *delay)
{
    float *work = s->qmf_work;
    memcpy(work, delay, AT1_QMF_DELAY * sizeof *work);
    float *in = work + AT1_QMF_DELAY;
    for (unsigned i = 0; i < n; i++) {
        in[2 * i] = lo[i] + hi[i];
        in[2 * i + 1] = lo[i] - hi[i];
    }
    const float *w = s->qmf_window;
    for (unsigned j = 0; j < n; j++) {
        const float *p = work + 2 * j;
        float even = 0.0f, odd = 0.0f;
        for (unsigned i = 0; i < AT1_QMF_TAPS; i += 2) {
            even += p[i] * w[i];
            odd += p[i + 1] * w[i + 1];
        }
        out[2 * j] = odd;
        out[2 * j + 1] = even;
    }
    memcpy(delay, work + 2 * n, AT1_QMF_DELAY * sizeof *work);
}

/* Blocks of one band back to time domain in s->band, overlapping each
 * block with the one before (the previous unit's last, for the first). */
static void at1_band_synth(at1_state *s, at1_channel *c, at1_unit *u, unsigned band)
{
    unsigned log2_blocks = u->log2_blocks[band];
    unsigned nblocks = 1u << log2_blocks;
    unsigned block_size = at1_band_lines[band] >> log2_blocks;
    const at1_dct4_plan *plan = block_size == 32 ? &s->plan[0]
                              : block_size == 128 ? &s->plan[1] : &s->plan[2];
    float *dst = s->band + at1_band_start[band];
    float *tail = c->tail[band];
    const float *win = s->sine_window;
    for (unsigned j = 0; j < nblocks; j++) {
        float *coef = u->spec + at1_band_start[band] + j * block_size;
        if (band > 0) {
            /* The mid and high QMF bands are frequency-mirrored. */
            for (unsigned i = 0; i < block_size / 2; i++) {
                float t = coef[i];
                coef[i] = coef[block_size - 1 - i];
                coef[block_size - 1 - i] = t;
            }
        }
        at1_imdct_half(s, plan, coef, s->block);
        float *out = dst + j * block_size;
        /* 32-sample sine-windowed overlap-add of the previous tail with
         * this block's head (time-reversed halves, the TDAC pairing). */
        for (unsigned k = 0; k < AT1_OVERLAP; k++) {
            float prev = tail[k];
            float cur = s->block[AT1_OVERLAP - 1 - k];
            float wa = win[k], wb = win[2 * AT1_OVERLAP - 1 - k];
            out[k] = prev * wb - cur * wa;
            out[2 * AT1_OVERLAP - 1 - k] = prev * wa + cur * wb;
        }
        /* A long block's middle passes unwindowed. */
        if (block_size > 2 * AT1_OVERLAP)
            memcpy(out + 2 * AT1_OVERLAP, s->block + AT1_OVERLAP,
                   (block_size - 2 * AT1_OVERLAP) * sizeof *out);
        memcpy(tail, s->block + block_size - AT1_OVERLAP, AT1_OVERLAP * sizeof *tail);
    }
}

/* One channel's unit to 512 samples in s->planar. */
static void at1_synth_channel(at1_state *s, at1_channel *c, at1_unit *u)
{
    for (unsigned band = 0; band < AT1_BANDS; band++)
        at1_band_synth(s, c, u, band);
    at1_iqmf(s, s->band, s->band + 128, 128, s->low_mid, c->qmf_low_mid);
    /* The high band is delayed by 39 samples (at the 22.05 kHz band rate)
     * so it lines up with the first stage's low+mid output. 39 is the value
     * of FFmpeg's decoder since its fix of the earlier 23; with 23 the
     * decode of a sweep differs from FFmpeg 5.1's by up to -26 dB above
     * 8 kHz, where the two paths overlap. */
    memcpy(s->high_in, c->high_delay, sizeof c->high_delay);
    memcpy(s->high_in + AT1_HIGH_DELAY, s->band + 256, 256 * sizeof(float));
    memcpy(c->high_delay, s->high_in + 256, sizeof c->high_delay);
    at1_iqmf(s, s->low_mid, s->high_in, 256, s->planar, c->qmf_full);
}

static void at1_reset_state(at1_state *s)
{
    memset(s->ch, 0, sizeof s->ch);
}

static segue_status at1_init(void *priv, const segue_codec_params *p, const segue_allocator *a,
                             segue_error *err)
{
    (void)a;
    at1_state *s = priv;
    if (p->channels < 1 || p->channels > AT1_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "atrac1: %u channels (ATRAC1 has 1 or 2)", p->channels);
    if (p->sample_rate && p->sample_rate != 44100)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "atrac1: %u Hz (ATRAC1 is 44100 Hz only)", p->sample_rate);
    if (p->block_align && p->block_align != AT1_UNIT_BYTES * p->channels)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "atrac1: block_align %u, expected %u (212 bytes per channel)",
                               p->block_align, AT1_UNIT_BYTES * p->channels);
    memset(s, 0, sizeof *s);
    s->channels = p->channels;
    s->strict = p->strict;
    for (unsigned i = 0; i < 64; i++)
        s->scale_factor[i] = (float)pow(2.0, ((double)i - 15.0) / 3.0);
    for (unsigned i = 0; i < 2 * AT1_OVERLAP; i++)
        s->sine_window[i] = (float)sin(((double)i + 0.5) * (3.14159265358979323846 / 64.0));
    /* The prototype is symmetric; the stored half is scaled by 2 (the
     * synthesis gain of a two-band QMF pair). */
    for (unsigned i = 0; i < AT1_QMF_TAPS / 2; i++)
        s->qmf_window[i] = s->qmf_window[AT1_QMF_TAPS - 1 - i] = 2.0f * at1_qmf_half[i];
    at1_transform_init(s);
    return SEGUE_OK;
}

static segue_status at1_decode(void *priv, const segue_packet *pkt, const float **pcm,
                               size_t *frames, segue_error *err)
{
    at1_state *s = priv;
    *pcm = s->pcm;
    *frames = 0;
    if (!pkt || pkt->size == 0)
        return SEGUE_OK;
    size_t need = (size_t)AT1_UNIT_BYTES * s->channels;
    s->units++;
    if (!pkt->data || pkt->size < need) {
        if (s->strict || !pkt->data)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "atrac1: unit %llu: packet of %zu bytes, a frame is %zu",
                                   (unsigned long long)s->units, pkt->size, need);
        /* Cut file: silence, letting the previous unit's tails decay. */
        for (unsigned ch = 0; ch < s->channels; ch++) {
            memset(&s->unit[ch], 0, sizeof s->unit[ch]);
        }
    } else {
        for (unsigned ch = 0; ch < s->channels; ch++) {
            segue_status st = at1_parse_unit(s, pkt->data + (size_t)ch * AT1_UNIT_BYTES, ch,
                                             &s->unit[ch], err);
            if (st < 0)
                return st;
        }
    }
    for (unsigned ch = 0; ch < s->channels; ch++) {
        at1_synth_channel(s, &s->ch[ch], &s->unit[ch]);
        for (unsigned i = 0; i < AT1_FRAME_SAMPLES; i++)
            s->pcm[i * s->channels + ch] = s->planar[i];
    }
    size_t n = AT1_FRAME_SAMPLES;
    if (pkt->frames && pkt->frames < n)
        n = pkt->frames;
    *frames = n;
    return SEGUE_OK;
}

static void at1_reset(void *priv)
{
    at1_reset_state(priv);
}

static void at1_fini(void *priv, const segue_allocator *a)
{
    (void)a;
    (void)priv; /* init allocates nothing */
}

const segue_codec_desc segue_codec_atrac1 = {
    .name = "atrac1",
    .long_name = "ATRAC1 (MiniDisc SP, Adaptive TRansform Acoustic Coding)",
    .caps = SEGUE_CODEC_DECODE,
    .priv_size = sizeof(at1_state),
    .decoder_init = at1_init,
    .decode = at1_decode,
    .reset = at1_reset,
    .fini = at1_fini,
};
