/*
 * codec/atrac1/atrac1_tables.h - the fixed tables of the ATRAC1 sound unit
 * syntax (data, not formulas; atrac1_tables.c says where each comes from).
 */
#ifndef SEGUE_CODEC_ATRAC1_TABLES_H
#define SEGUE_CODEC_ATRAC1_TABLES_H

#include <stdint.h>

/* Coded BFU count, indexed by the 3-bit field after the block size mode. */
extern const uint8_t at1_bfu_count[8];
/* Bits of the unit's trailing fields, indexed by the next 2-bit and 3-bit
 * fields (the latter counts twice); the bit budget check needs them. */
extern const uint8_t at1_trailer_bits_a[4];
extern const uint8_t at1_trailer_bits_b[8];
/* First BFU of each band, then the total (52). */
extern const uint8_t at1_band_first_bfu[4];
/* Spectral lines per BFU. */
extern const uint8_t at1_bfu_lines[52];
/* Position of each BFU's first line in the 512-line spectrum, for a band
 * coded as one long block and as short blocks. */
extern const uint16_t at1_bfu_start_long[52];
extern const uint16_t at1_bfu_start_short[52];
/* The first half of the symmetric 48-tap QMF prototype. */
extern const float at1_qmf_half[24];

#endif
