/*
 * codec/aac/aac_tables.h - constant tables of the AAC-LC decoder, all in
 * aac_tables.c as written by tools/gen_aac_tables.py (about 75 KB of
 * read-only data, 32 KB of it pow43).
 */
#ifndef SEGUE_CODEC_AAC_TABLES_H
#define SEGUE_CODEC_AAC_TABLES_H

#include <stdint.h>

/* Huffman decoding trees (ISO/IEC 14496-3 4.6.3, Tables 4.A.1-4.A.12):
 * book 0 is the scalefactor codebook, 1..11 the spectral codebooks. From
 * node aac_huff_root[book], read a bit b and go to aac_huff_nodes[node][b]:
 * >= 0 is the next node, < 0 is -(codeword index + 1). */
extern const int16_t aac_huff_nodes[][2];
extern const uint16_t aac_huff_root[12];

/* i^(4/3), i = 0..8191 (4.6.1.3). */
extern const float aac_pow43[8192];
/* 2^((s - 100) / 4) / 32768, s = 0..255 (4.6.2.3; the 1/32768 maps the
 * spec's 16-bit output scale to 1.0 = full scale). */
extern const float aac_sf_gain[256];

/* Rising window halves (4.6.11.3.2): sine and KBD (alpha 4 long, 6 short);
 * the falling half is the rising one reversed. */
extern const float aac_sine_long[1024];
extern const float aac_kbd_long[1024];
extern const float aac_sine_short[128];
extern const float aac_kbd_short[128];

/* IMDCT twiddles (cos, sin) of 2 pi (k + 1/8) / N, k < N/4, N = 2048 and 256;
 * FFT twiddles (cos, sin) of -2 pi k / 512, k < 256. */
extern const float aac_imdct_twiddle_long[1024];
extern const float aac_imdct_twiddle_short[128];
extern const float aac_fft_twiddle512[512];

/* TNS reflection coefficients (4.6.9.3) by [coef_res][code of 3 + coef_res
 * bits]. */
extern const float aac_tns_coef[2][16];
/* TNS_MAX_BANDS (Table 4.156, LC) by [short][sampling frequency index]. */
extern const uint8_t aac_tns_max_bands[2][13];

/* Scalefactor band offsets by sampling frequency index (Tables 4.129-4.147):
 * band b covers [swb[b], swb[b + 1]); swb[num_swb] is 1024 or 128. */
extern const uint8_t aac_num_swb_long[13];
extern const uint8_t aac_num_swb_short[13];
extern const uint16_t aac_swb_long[13][52];
extern const uint16_t aac_swb_short[13][16];

#endif
