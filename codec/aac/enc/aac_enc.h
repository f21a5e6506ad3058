/*
 * codec/aac/enc/aac_enc.h - internal interfaces between the parts of the
 * AAC-LC encoder: framing and bitstream (aac_enc.c), filterbank and window
 * switching (aac_enc_filterbank.c), psychoacoustic model (aac_enc_psy.c),
 * quantisation and rate control (aac_enc_quant.c). Not installed.
 *
 * Spectral layout. One channel's frame holds 1024 MDCT coefficients. A long
 * frame is one window, one group. An EIGHT_SHORT_SEQUENCE frame has 8
 * windows of 128 coefficients in window groups; the coefficients are kept
 * in the order spectral_data() codes them (14496-3 4.5.2.3.5, 4.6.3.3:
 * grouped and interleaved): for each group, for each scalefactor band, the
 * band's coefficients of each window of the group in turn. A "band" below
 * is one (group, scalefactor band) pair, a contiguous run of that order;
 * band index gb = g * num_swb + b, as the decoder indexes its band tables.
 */
#ifndef SEGUE_CODEC_AAC_ENC_H
#define SEGUE_CODEC_AAC_ENC_H

#include <stdint.h>

#include "simd/dsp.h"

#define AACENC_FRAME 1024
#define AACENC_MAX_CHANNELS 6
/* 8 groups x 15 short bands = 120, or 51 long bands: band arrays hold 128. */
#define AACENC_MAX_BANDS 128

/* window_sequence values (14496-3 Table 4.83). */
enum {
    AACENC_ONLY_LONG = 0,
    AACENC_LONG_START = 1,
    AACENC_EIGHT_SHORT = 2,
    AACENC_LONG_STOP = 3
};

/* The window layout of one channel's frame (ics_info, 4.5.2.3.3) and the
 * band offsets of the grouped-interleaved spectrum. */
typedef struct aacenc_layout {
    uint8_t window_sequence;
    uint8_t window_shape;        /* 0 sine, 1 KBD (4.6.11.3.2) */
    uint8_t num_groups;
    uint8_t group_len[8];
    uint8_t num_swb;             /* bands per window (long or short table) */
    uint8_t grouping;            /* scale_factor_grouping, 7 bits */
    const uint16_t *swb;         /* per-window band offsets, num_swb + 1 */
    /* Start of band gb in the grouped-interleaved spectrum, gb = g * num_swb
     * + b; band_off[gb + 1] - band_off[gb] = group_len[g] * width(b) for
     * b < num_swb - 1 (the group's last band ends at the group's end). */
    uint16_t band_off[AACENC_MAX_BANDS + 1];
} aacenc_layout;

/* Fills band_off from window_sequence, groups and the rate's band table. */
void aacenc_layout_bands(aacenc_layout *l, unsigned sfi);

/* ---- filterbank (aac_enc_filterbank.c) ---------------------------------- */

/* Transient detector state of one channel (attacks in 128-sample blocks of
 * a high-passed signal, compared with the recent energy envelope). */
typedef struct aacenc_transient {
    float hp_state[2];           /* high-pass filter memory */
    float env;                   /* smoothed block energy before the block examined */
} aacenc_transient;

/* Examines 8 blocks of 128 samples starting at `x` (the part of the next
 * frame that its short windows would cover, see aac_enc_filterbank.c).
 * Returns -1 when there is no attack, else the block 0..7 of the first one.
 * Also writes the 8 block energies to blk_energy (for grouping). */
int aacenc_detect_transient(aacenc_transient *t, const float *x, float blk_energy[8]);

/* Chooses the window groups of an EIGHT_SHORT frame from the attack block
 * (-1: none) and the 8 block energies, filling num_groups, group_len and
 * grouping. */
void aacenc_group_windows(aacenc_layout *l, int attack, const float blk_energy[8]);

/* Windows the 2048 samples `x` (the frame's time span, 14496-3 4.6.11.3.2)
 * for the layout's sequence and shape with previous shape `prev_shape`,
 * transforms them with the dsp kernel (scaled by `scale`), and writes the
 * 1024 coefficients to `spec` in grouped-interleaved order. `work` holds
 * 4096 floats. */
void aacenc_filterbank(const segue_dsp *dsp, const aacenc_layout *l, unsigned prev_shape,
                       const float *x, float scale, float *spec, float *work);

/* ---- psychoacoustic model (aac_enc_psy.c) ------------------------------- */

/* Per-rate constants of the model, computed at init for both block
 * lengths: band centres in Bark, spreading weights, absolute threshold. */
typedef struct aacenc_psy_tables {
    unsigned num_swb[2];         /* [0] long, [1] short */
    float bark[2][52];           /* Bark of each band's centre */
    float ath[2][52];            /* absolute threshold of hearing, energy units */
    float spread_up[2][52];      /* energy factor band b-1 -> b (towards high freqs) */
    float spread_down[2][52];    /* energy factor band b+1 -> b */
} aacenc_psy_tables;

/* Psychoacoustic state of one channel, carried frame to frame. */
typedef struct aacenc_psy_state {
    float prev_thr[52];          /* last long frame's threshold per band (pre-echo control) */
    int prev_short;              /* last frame was EIGHT_SHORT */
} aacenc_psy_state;

/* Output of the model for one channel's frame, in the band order of the
 * layout. */
typedef struct aacenc_psy_out {
    float energy[AACENC_MAX_BANDS];
    float thr[AACENC_MAX_BANDS];       /* allowed noise energy */
    float tonality[AACENC_MAX_BANDS];  /* 0 noise-like .. 1 tonal (long frames) */
    float pe;                          /* perceptual entropy estimate, bits */
} aacenc_psy_out;

void aacenc_psy_init(aacenc_psy_tables *t, unsigned sample_rate, unsigned sfi);
/* Runs the model on `spec` (grouped-interleaved, layout `l`). `nbands` is
 * the number of bands per window that are coded (bandwidth limit): bands at
 * or above it get energy 0. */
void aacenc_psy_analyse(const aacenc_psy_tables *t, aacenc_psy_state *st, const aacenc_layout *l,
                        const float *spec, unsigned nbands, aacenc_psy_out *out);

/* ---- quantisation and rate control (aac_enc_quant.c) -------------------- */

/* One channel's coding decisions for a frame. */
typedef struct aacenc_chan {
    aacenc_layout layout;
    unsigned max_sfb;                  /* bands per window transmitted */
    unsigned nbands;                   /* bands per window inside the audio bandwidth */
    float spec[AACENC_FRAME];          /* grouped-interleaved coefficients */
    float spec34[AACENC_FRAME];        /* |spec|^(3/4) */
    aacenc_psy_out psy;
    float form[AACENC_MAX_BANDS];      /* sum of sqrt|x| per band (noise model) */
    float sf_base[AACENC_MAX_BANDS];   /* scalefactor putting the noise at the
                                          threshold; >= 1e8: nothing to code */
    int sf_min[AACENC_MAX_BANDS];      /* smallest sf keeping |q| <= 8191 */
    float thr4[AACENC_MAX_BANDS];      /* threshold^(1/4) */
    float avg4;                        /* mean thr4 of the coded bands */
    int sf[AACENC_MAX_BANDS];          /* scalefactor per band */
    uint8_t zero[AACENC_MAX_BANDS];    /* 1: every line quantised to 0 */
    uint8_t fixed[AACENC_MAX_BANDS];   /* book forced (PNS/intensity), else 0 */
    uint8_t pns[AACENC_MAX_BANDS];     /* 1: coded as noise (4.6.13) */
    int nrg[AACENC_MAX_BANDS];         /* PNS: noise energy value (sf chain unit) */
    uint8_t is_book[AACENC_MAX_BANDS]; /* second channel of a CPE: AACENC_INTENSITY_HCB
                                          (in phase) or _HCB2 (out of phase) for
                                          a band coded by intensity stereo, else 0 */
    int is_pos[AACENC_MAX_BANDS];      /* its is_position (4.6.8.2.3) */
    uint8_t book[AACENC_MAX_BANDS];    /* codebook per band (0: zero band) */
    unsigned band_bits[AACENC_MAX_BANDS][12]; /* spectral bits per book */
    int16_t q[AACENC_FRAME];           /* quantised values */
    unsigned spectral_bits;            /* section + spectral data bits */
    unsigned sf_bits;                  /* scale_factor_data bits */
    int global_gain;
} aacenc_chan;

/* Per-frame quantisation of a set of channels to a bit budget. */
typedef struct aacenc_quant_tables {
    float istep[256];                  /* 2^(-3/16 (sf - 100)) */
    float step[256];                   /* 2^(1/4 (sf - 100)) */
    float noise_gain[384];             /* 2^(3/8 o), o = offset + 128: the
                                          noise power an offset allows */
    float blend[256];                  /* 2^(o/16) - 1: offset o's step in
                                          the fourth root of the threshold */
    uint8_t sf_len[121];               /* scalefactor codeword bits of a
                                          difference -60..60 (Table 4.A.1) */
    float round_noise;                 /* quantiser rounding offset of a
                                          noise-like band (tonal: 0.4054) */
} aacenc_quant_tables;

/* Fills the tables. wide_dead_zone: nonzero to quantise noise-like bands
 * and short windows with the wider dead zone (rates without PNS). */
void aacenc_quant_init(aacenc_quant_tables *t, int wide_dead_zone);
/* Prepares a channel after the psychoacoustic model: |x|^(3/4), the
 * per-band noise model terms. */
void aacenc_quant_prepare(const segue_dsp *dsp, aacenc_chan *c, unsigned nbands);
/* Quantises channels c[0..n) with every band's noise target raised by
 * `offset` quarter-steps of scalefactor (offset 0: noise at the masking
 * threshold; larger: coarser), computes books, sections and scalefactor
 * bits, and returns the bits of section, scalefactor and spectral data of
 * all of them. max_sfb of channels sharing ics_info (`shared` pairs) are
 * set by the caller afterwards. */
unsigned aacenc_quant_channels(const segue_dsp *dsp, const aacenc_quant_tables *t,
                               aacenc_chan *const *c, unsigned n, int offset);
/* Recomputes sections and scalefactor bits of a channel for a given
 * max_sfb (after a CPE shares the larger of its two). Returns the channel's
 * section + scalefactor + spectral bits. */
unsigned aacenc_quant_finish(aacenc_chan *c, unsigned max_sfb);

#endif
