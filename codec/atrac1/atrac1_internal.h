/*
 * codec/atrac1/atrac1_internal.h - the state of the own ATRAC1 decoder,
 * shared by its files and the memory report in tests/atrac1.
 *
 * ATRAC1 (MiniDisc SP) codes each channel as a 212-byte sound unit of 512
 * samples: a two-stage QMF tree splits the signal into a low (0-5.5 kHz,
 * 128 samples), a mid (5.5-11 kHz, 128 samples) and a high band
 * (11-22 kHz, 256 samples); each band is one long MDCT block or 4 (low,
 * mid) / 8 (high) short 32-sample blocks. The decoder reverses this.
 */
#ifndef SEGUE_CODEC_ATRAC1_INTERNAL_H
#define SEGUE_CODEC_ATRAC1_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"

enum {
    AT1_UNIT_BYTES = 212,   /* one channel's sound unit */
    AT1_FRAME_SAMPLES = 512, /* samples per channel per sound unit */
    AT1_MAX_CHANNELS = 2,
    AT1_BANDS = 3,          /* low, mid, high */
    AT1_MAX_BFU = 52,       /* block floating units in a sound unit */
    AT1_OVERLAP = 16,       /* half the 32-sample sine window between blocks */
    AT1_QMF_TAPS = 48,
    AT1_QMF_DELAY = 46,     /* history a 48-tap polyphase pair keeps */
    AT1_HIGH_DELAY = 39     /* the high band waits for the low+mid QMF stage */
};

/* One complex value of a twiddle table. */
typedef struct at1_complex {
    float re, im;
} at1_complex;

/* Twiddles for one block length M (32, 128 or 256 coefficients): the
 * DCT-IV behind the half IMDCT runs as an M/2-point complex FFT. */
typedef struct at1_dct4_plan {
    unsigned m;                  /* coefficients (= half-IMDCT outputs) */
    unsigned log2_half;          /* log2(M / 2), the FFT size */
    const at1_complex *pre;      /* M/2 entries: e^{-i pi n / M} */
    const at1_complex *post;     /* M/2 entries: e^{-i pi (4k+1) / (4M)} */
} at1_dct4_plan;

/* Per-channel history carried from one sound unit to the next. */
typedef struct at1_channel {
    float tail[AT1_BANDS][AT1_OVERLAP];      /* last 16 IMDCT outputs of each band */
    float qmf_low_mid[AT1_QMF_DELAY];        /* stage 1 (low + mid) synthesis history */
    float qmf_full[AT1_QMF_DELAY];           /* stage 2 ((low+mid) + high) history */
    float high_delay[AT1_HIGH_DELAY];        /* high band samples not yet combined */
} at1_channel;

/* A parsed sound unit: block modes plus the dequantised spectrum. */
typedef struct at1_unit {
    unsigned log2_blocks[AT1_BANDS];         /* 0: one long block; 2 or 3: short */
    float spec[AT1_FRAME_SAMPLES];           /* MDCT coefficients, band after band */
} at1_unit;

typedef struct at1_state {
    unsigned channels;
    int strict;
    uint64_t units;                          /* packets decoded, for messages */
    at1_channel ch[AT1_MAX_CHANNELS];
    at1_unit unit[AT1_MAX_CHANNELS];
    /* Work buffers of one channel's synthesis (no stack arrays in decode). */
    float band[AT1_FRAME_SAMPLES];           /* time-domain bands: low | mid | high */
    float block[256];                        /* one block's half-IMDCT output */
    at1_complex fft[128];                    /* FFT work area */
    float low_mid[256];                      /* stage 1 output (0-11 kHz at 22.05 kHz) */
    float high_in[AT1_HIGH_DELAY + 256];     /* delayed high band for stage 2 */
    float qmf_work[AT1_QMF_DELAY + AT1_FRAME_SAMPLES];
    float planar[AT1_FRAME_SAMPLES];         /* one channel's output */
    float pcm[AT1_MAX_CHANNELS * AT1_FRAME_SAMPLES]; /* interleaved output */
    /* Tables made at init from their formulas. */
    float scale_factor[64];                  /* 2^((i - 15) / 3) */
    float sine_window[2 * AT1_OVERLAP];      /* sin((i + 1/2) pi / 64) */
    float qmf_window[AT1_QMF_TAPS];
    at1_complex fft_twiddle[64];             /* e^{-2 pi i k / 128} */
    at1_complex twiddle_pre[16 + 64 + 128];
    at1_complex twiddle_post[16 + 64 + 128];
    at1_dct4_plan plan[3];                   /* M = 32, 128, 256 */
} at1_state;

/* Fills the twiddle tables and plans of `s` (decoder init). */
void at1_transform_init(at1_state *s);
/* The half IMDCT of one block as FFmpeg's imdct_half defines it with
 * scale -1/32768 (the middle M of the 2M outputs of a 2M-point IMDCT),
 * from M = plan->m coefficients `in` into `out` (M samples). */
void at1_imdct_half(at1_state *s, const at1_dct4_plan *plan, const float *in, float *out);

#endif
