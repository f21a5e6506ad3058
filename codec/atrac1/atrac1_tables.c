/*
 * codec/atrac1/atrac1_tables.c - the fixed tables of ATRAC1.
 *
 * These are data of the format, not formulas: the values are those of
 * FFmpeg's libavcodec/atrac1data.h (BFU layout) and libavcodec/atrac.c
 * (QMF prototype), which describe the Sony bitstream; typed in here.
 * The BFU layout is consistent by construction: in each band the lines
 * of all BFUs tile the band exactly once (tests/atrac1 checks that).
 */
#include "codec/atrac1/atrac1_tables.h"

const uint8_t at1_bfu_count[8] = {20, 28, 32, 36, 40, 44, 48, 52};
const uint8_t at1_trailer_bits_a[4] = {0, 112, 176, 208};
const uint8_t at1_trailer_bits_b[8] = {0, 24, 36, 48, 72, 108, 132, 156};

/* low: BFUs 0-19 (lines 0-127), mid: 20-35 (128-255), high: 36-51 (256-511) */
const uint8_t at1_band_first_bfu[4] = {0, 20, 36, 52};

const uint8_t at1_bfu_lines[52] = {
    8,  8,  8,  8,  4,  4,  4,  4,  8,  8,  8,  8,  6,  6,  6,  6,  6,  6,  6,  6, /* low */
    6,  6,  6,  6,  7,  7,  7,  7,  9,  9,  9,  9,  10, 10, 10, 10,                 /* mid */
    12, 12, 12, 12, 12, 12, 12, 12, 20, 20, 20, 20, 20, 20, 20, 20                  /* high */
};

const uint16_t at1_bfu_start_long[52] = {
    0,   8,   16,  24,  32,  36,  40,  44,  48,  56,  64,  72,  80,  86,  92,  98,  104, 110, 116, 122,
    128, 134, 140, 146, 152, 159, 166, 173, 180, 189, 198, 207, 216, 226, 236, 246,
    256, 268, 280, 292, 304, 316, 328, 340, 352, 372, 392, 412, 432, 452, 472, 492,
};

/* Short blocks: consecutive BFUs of equal width go to consecutive 32-line
 * blocks (groups of four in the low and mid band, of eight in the high). */
const uint16_t at1_bfu_start_short[52] = {
    0,   32,  64,  96,  8,   40,  72,  104, 12,  44,  76,  108, 20,  52,  84,  116, 26,  58,  90,  122,
    128, 160, 192, 224, 134, 166, 198, 230, 141, 173, 205, 237, 150, 182, 214, 246,
    256, 288, 320, 352, 384, 416, 448, 480, 268, 300, 332, 364, 396, 428, 460, 492,
};

const float at1_qmf_half[24] = {
    -0.00001461907f,  -0.00009205479f, -0.000056157569f, 0.00030117269f,
    0.0002422519f,    -0.00085293897f, -0.0005205574f,   0.0020340169f,
    0.00078333891f,   -0.0042153862f,  -0.00075614988f,  0.0078402944f,
    -0.000061169922f, -0.01344162f,    0.0024626821f,    0.021736089f,
    -0.007801671f,    -0.034090221f,   0.01880949f,      0.054326009f,
    -0.043596379f,    -0.099384367f,   0.13207909f,      0.46424159f,
};
