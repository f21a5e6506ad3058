/*
 * codec/aac/enc/aac_enc_tables.h - encoder-side Huffman tables of the AAC-LC
 * encoder, in aac_enc_tables.c as written by tools/gen_aac_enc_tables.py from
 * the decoder generator's codebook data (ISO/IEC 14496-3 Tables 4.A.1-4.A.12).
 * Internal to codec/aac/enc (aac_enc_entropy.c is the only reader).
 */
#ifndef SEGUE_CODEC_AAC_ENC_TABLES_H
#define SEGUE_CODEC_AAC_ENC_TABLES_H

#include <stdint.h>

/* Scalefactor codebook (Table 4.A.1) by difference + 60: code | length << 24. */
extern const uint32_t aacenc_sf_code[121];
/* Spectral codebooks 1..11 ([0] is NULL) by codeword index (4.6.3.3):
 * code | length << 24. */
extern const uint32_t *const aacenc_hcb_code[12];
/* The same books' codeword lengths plus, for the unsigned books, one sign
 * bit per nonzero value of the tuple (escape words of book 11 excluded). */
extern const uint8_t *const aacenc_hcb_bits[12];
/* Bit counting, several books per lookup in 16-bit fields (see the script):
 * quad_bits[125 (a+2) + 25 (b+2) + 5 (c+2) + (d+2)] = books 1, 2, 3, 4;
 * pair_bits_lo/hi[33 (y+16) + (z+16)] (values clamped to -16..16) = books
 * 5, 6, 7, 8 and 9, 10, 11. A field is meaningful only when every value is
 * within its book's range. */
extern const uint64_t aacenc_quad_bits[625];
extern const uint64_t aacenc_pair_bits_lo[1089];
extern const uint64_t aacenc_pair_bits_hi[1089];

#endif
