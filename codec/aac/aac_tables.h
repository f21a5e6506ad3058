/*
 * codec/aac/aac_tables.h - constant tables of the AAC-LC decoder, all in
 * aac_tables.c as written by tools/gen_aac_tables.py (about 40 KB of
 * read-only data, 31.6 KB of it the Huffman tables; pow43 and the IMDCT
 * tables are the filterbank kernels', simd/dsp_aac_tables.c).
 */
#ifndef SEGUE_CODEC_AAC_TABLES_H
#define SEGUE_CODEC_AAC_TABLES_H

#include <stdint.h>

/* Huffman decoding (ISO/IEC 14496-3 4.6.3, Tables 4.A.1-4.A.12): book 0 is
 * the scalefactor codebook, 1..11 the spectral codebooks. Book b's table
 * starts at aac_huff_lut + aac_huff_lut_root[b]; its first
 * 2^AAC_HUFF_LUT_BITS entries are indexed by the next AAC_HUFF_LUT_BITS
 * bits. Entry e:
 * - e & AAC_HUFF_SUB: a longer codeword: skip AAC_HUFF_LUT_BITS and index
 *   the table at (e >> 8) by the next e & 0x1f bits, whose entries are
 *   read as below (their lengths count from there);
 * - else e & 0x3f bits to consume (bit 5 is clear): the codeword and, for
 *   the unsigned spectral books, the sign bits after it (4.6.3.3) when they
 *   fit in the index. Book 0: the codeword index in bits 8-15. Books 1..11: the values
 *   with signs and the signed books' offset applied, two's complement,
 *   first value on top: quads (books 1-4) 4 bits each in bits 28-31, 24-27,
 *   20-23, 16-19; pairs (5-11) 6 bits each in bits 26-31, 20-25 (book 11's
 *   escape as +-16, and then AAC_HUFF_ESC is set). When e & AAC_HUFF_SIGNS is set the signs are still to
 *   read: the values are unsigned and bits 8-10 give how many are nonzero,
 *   one sign bit each, in order.
 * tools/gen_aac_tables.py, build_lut and spectral_entry. */
#define AAC_HUFF_LUT_BITS 9
#define AAC_HUFF_SUB 0x40u
#define AAC_HUFF_SIGNS 0x80u
#define AAC_HUFF_ESC 0x800u
extern const uint32_t aac_huff_lut[];
extern const uint16_t aac_huff_lut_root[12];

/* sign(v) |v|^(4/3) by the two's complement field of a spectral entry:
 * quads' 4 bits, pairs' 6 (v = -8..7, -32..31); the same floats as the
 * inverse quantisation kernel's pow43 (4.6.1.3). */
extern const float aac_spec_pow43_quad[16];
extern const float aac_spec_pow43_pair[64];

/* 2^((s - 100) / 4) / 32768, s = 0..255 (4.6.2.3; the 1/32768 maps the
 * spec's 16-bit output scale to 1.0 = full scale). */
extern const float aac_sf_gain[256];

/* Rising window halves (4.6.11.3.2): sine and KBD (alpha 4 long, 6 short);
 * the falling half is the rising one reversed. */
extern const float aac_sine_long[1024];
extern const float aac_kbd_long[1024];
extern const float aac_sine_short[128];
extern const float aac_kbd_short[128];

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
